"""Sparse co-occurrence, PPMI and SVD against dense hand computations (DLfS-2 ch. 2)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from wordlab.count import (PPMIConfig, PPMISVD, cooccurrence, create_co_matrix, ppmi, ppmi_dense, svd_dense,
                           svd_vectors, truncated_svd)
from wordlab.count.svd import orthonormal_basis
from wordlab.errors import ConfigError, DataError
from wordlab.text import Vocabulary, read_corpus

TEXT = "you say goodbye and i say hello ."


def dlfs2_ids() -> tuple[np.ndarray, list[str]]:
    words = list(dict.fromkeys(TEXT.split()))
    return np.array([words.index(w) for w in TEXT.split()], dtype=np.int32), words


def naive_cooccurrence(ids, V, window, weight=lambda d: 1.0):
    """Straight loop over tokens and offsets, both sides: the definition."""
    C = np.zeros((V, V))
    for i, w in enumerate(ids):
        for d in range(1, window + 1):
            for j in (i - d, i + d):
                if 0 <= j < len(ids):
                    C[w, ids[j]] += weight(d)
    return C


def test_dlfs2_co_matrix_and_ppmi_match_the_book():
    ids, words = dlfs2_ids()
    C = cooccurrence(ids, len(words), window=1)
    assert C.dtype == np.float32 and sp.isspmatrix_csr(C)
    dense = create_co_matrix(ids, len(words), window_size=1)
    # the book's printed matrix (DLfS-2 §2.3.4): row "say" co-occurs with you, goodbye, i, hello
    assert dense[words.index("say")].tolist() == [1, 0, 1, 0, 1, 1, 0]
    np.testing.assert_array_equal(C.toarray(), dense)
    P = ppmi(C, alpha=1.0, shift_k=1.0).toarray()
    np.testing.assert_allclose(P, ppmi_dense(dense), atol=1e-6)
    # the book prints PPMI in log2: row "you" = [0, 1.807, 0, ...], row "hello" has 2.807 for "."
    np.testing.assert_allclose(P[0, 1] / np.log(2), 1.807, atol=1e-3)
    np.testing.assert_allclose(P[words.index("hello"), words.index(".")] / np.log(2), 2.807, atol=1e-3)


@pytest.mark.parametrize("window", [1, 2, 5])
@pytest.mark.parametrize("chunk", [3, 7, 1 << 20])
def test_cooccurrence_matches_naive_loop_on_random_corpus(window, chunk):
    rng = np.random.default_rng(window * 100 + chunk % 97)
    V = 13
    ids = rng.integers(0, V, size=301).astype(np.int32)
    C = cooccurrence(ids, V, window, chunk_tokens=chunk)
    np.testing.assert_allclose(C.toarray(), naive_cooccurrence(ids, V, window), atol=1e-5)
    np.testing.assert_array_equal(C.toarray(), C.toarray().T)  # symmetric window
    np.testing.assert_array_equal(C.toarray(), create_co_matrix(ids, V, window))


@pytest.mark.parametrize("dynamic", [False, True])
@pytest.mark.parametrize("L,chunk", [(4, 17), (1, 17), (5, 3), (9, 1 << 20)])  # offsets ride in 0-4 low bits
def test_weighted_cooccurrence(dynamic, L, chunk):
    rng = np.random.default_rng(3)
    V = 9
    ids = rng.integers(0, V, size=200)
    C = cooccurrence(ids, V, L, weighting="harmonic", dynamic_window=dynamic, chunk_tokens=chunk)
    weight = (lambda d: (1 / d) * (L - d + 1) / L) if dynamic else (lambda d: 1 / d)
    np.testing.assert_allclose(C.toarray(), naive_cooccurrence(ids, V, L, weight), rtol=1e-6)


def test_subsampling_drops_frequent_tokens_reproducibly():
    rng = np.random.default_rng(0)
    ids = np.concatenate([np.zeros(5000, np.int64), rng.integers(1, 50, 5000)])
    rng.shuffle(ids)
    full = cooccurrence(ids, 50, 2)
    a = cooccurrence(ids, 50, 2, subsample=1e-3, seed=1)
    b = cooccurrence(ids, 50, 2, subsample=1e-3, seed=1)
    np.testing.assert_array_equal(a.toarray(), b.toarray())
    assert a[0].sum() < 0.5 * full[0].sum()  # word 0 is half the corpus: mostly removed


def test_ppmi_on_random_counts_with_smoothing_and_shift():
    rng = np.random.default_rng(1)
    dense = rng.poisson(0.7, size=(20, 20)).astype(np.float64)
    dense += dense.T
    for alpha, k in [(1.0, 1.0), (0.75, 1.0), (0.75, 5.0), (0.5, 2.0)]:
        got = ppmi(sp.csr_matrix(dense), alpha=alpha, shift_k=k).toarray()
        # hand computation: P(w,c) / (P(w) P_α(c)) with P_α(c) = #c^α / Σ #c^α
        D = dense.sum()
        pw = dense.sum(1) / D
        pc = dense.sum(0) ** alpha / (dense.sum(0) ** alpha).sum()
        with np.errstate(divide="ignore"):
            pmi = np.log(dense / D) - np.log(pw)[:, None] - np.log(pc)[None, :]
        expect = np.where(dense > 0, np.maximum(pmi - np.log(k), 0), 0)
        np.testing.assert_allclose(got, expect, atol=1e-5)
        np.testing.assert_allclose(got, ppmi_dense(dense, alpha, k), atol=1e-5)
        assert not np.any(sp.csr_matrix(got).data == 0)


def test_ppmi_rejects_bad_input():
    with pytest.raises(ConfigError, match="alpha"):
        ppmi(sp.csr_matrix(np.eye(3)), alpha=0)
    with pytest.raises(ConfigError, match="shift_k"):
        ppmi(sp.csr_matrix(np.eye(3)), shift_k=0)
    with pytest.raises(DataError, match="all zeros"):
        ppmi(sp.csr_matrix((3, 3)))


@pytest.mark.parametrize("solver", ["krylov", "randomized", "arpack"])
def test_truncated_svd_matches_numpy(solver):
    rng = np.random.default_rng(2)
    # a matrix with a decaying spectrum, so the top singular vectors are well separated
    A = rng.standard_normal((60, 40)) @ np.diag(0.8 ** np.arange(40)) @ rng.standard_normal((40, 50))
    M = sp.csr_matrix(A.astype(np.float32))
    U, s, Vt = truncated_svd(M, 5, solver=solver, n_iter=6, seed=0)
    U0, s0, Vt0 = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(s, s0[:5], rtol=1e-4)
    for j in range(5):  # equal up to the sign of each singular pair
        sign = np.sign(U[:, j] @ U0[:, j])
        np.testing.assert_allclose(sign * U[:, j], U0[:, j], atol=2e-3)
        np.testing.assert_allclose(sign * Vt[j], Vt0[j], atol=2e-3)


def test_svd_vectors_eig_weight_and_context():
    rng = np.random.default_rng(4)
    Q1, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    Q2, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    A = Q1 @ np.diag(np.linspace(10, 1, 30)) @ Q2.T  # well-separated singular values
    M = sp.csr_matrix(A)
    for p in (0.0, 0.5, 1.0):
        W = svd_vectors(M, 4, eig_weight=p, solver="arpack")
        ref = svd_dense(A, 4, eig_weight=p)
        np.testing.assert_allclose(np.abs(W), np.abs(ref), atol=1e-4)  # columns up to sign
    W = svd_vectors(M, 4, eig_weight=0.5, add_context=True)
    assert W.shape == (30, 4) and W.dtype == np.float32
    U, s, Vt = np.linalg.svd(A)
    w, c = U[:, :4] * s[:4] ** 0.5, Vt[:4].T * s[:4] ** 0.5
    expect = w / np.linalg.norm(w, axis=1, keepdims=True) + c / np.linalg.norm(c, axis=1, keepdims=True)
    np.testing.assert_allclose(np.abs(W), np.abs(expect), atol=1e-3)


def test_orthonormal_basis_tall_and_rank_deficient():
    rng = np.random.default_rng(5)
    Y = rng.standard_normal((5000, 40)).astype(np.float32)
    Q = orthonormal_basis(Y)
    np.testing.assert_allclose(Q.T @ Q, np.eye(40), atol=1e-4)
    np.testing.assert_allclose(Q @ (Q.T @ Y), Y, atol=1e-3)  # same column space
    Y[:, 1] = Y[:, 0]  # rank deficient: the dependent direction is dropped
    Q = orthonormal_basis(Y)
    assert Q.shape == (5000, 39)
    np.testing.assert_allclose(Q.T @ Q, np.eye(39), atol=1e-4)
    np.testing.assert_allclose(Q @ (Q.T @ Y), Y, atol=1e-3)


def test_bad_arguments_are_one_line_errors():
    ids, words = dlfs2_ids()
    with pytest.raises(ConfigError, match="window must be an integer >= 1"):
        cooccurrence(ids, len(words), 0)
    with pytest.raises(DataError, match=r"ids\[0\] = 9 is outside the vocabulary 0..6"):
        cooccurrence(np.array([9, 1]), 7, 1)
    with pytest.raises(ConfigError, match="dim=7 must be smaller than the vocabulary size"):
        svd_vectors(sp.csr_matrix(np.eye(7)), 7)
    with pytest.raises(ConfigError, match="weighting"):
        cooccurrence(ids, 7, 2, weighting="gaussian")
    with pytest.raises(ConfigError, match="window"):
        PPMIConfig(window=0)
    for bad in (dict(alpha=0), dict(shift=-1), dict(solver="lapack"), dict(dim=0), dict(subsample=2)):
        with pytest.raises(ConfigError):
            PPMIConfig(**bad)


def test_model_fit_min_count_and_saves_config(tmp_path):
    text = ("the cat sat on the mat . the dog sat on the log . a cat and a dog . rare\n" * 30)
    (tmp_path / "c.txt").write_text(text + "unique words here\n", encoding="utf-8")
    model = PPMISVD(PPMIConfig(dim=4, window=2, min_count=5))
    kv = model.fit(read_corpus(tmp_path / "c.txt"), cache_dir=False)
    assert "unique" not in kv and "rare" in kv  # min_count filtering
    assert kv.vectors.shape == (len(model.vocab), 4)
    assert model.stats["nnz_cooccurrence"] >= model.stats["nnz_ppmi"] > 0
    # the same vectors from ids + vocab, and the sparse pipeline equals the dense one
    ids = model.vocab.encode(text.split())
    kv2 = PPMISVD(PPMIConfig(dim=4, window=2, min_count=5)).fit(ids=ids, vocab=model.vocab)
    np.testing.assert_allclose(kv2.vectors, kv.vectors, atol=1e-5)
    dense = ppmi_dense(create_co_matrix(ids, len(model.vocab), 2), alpha=0.75)
    np.testing.assert_allclose(np.abs(kv.vectors), np.abs(svd_dense(dense, 4, 0.5)), atol=2e-3)
    out = tmp_path / "v.txt"
    js = model.save(out)
    assert js == tmp_path / "v.txt.json" and out.exists()
    assert PPMISVD.load_config(out) == model.config


def test_model_rejects_tiny_vocab_and_large_dim_before_counting(tmp_path, monkeypatch):
    import wordlab.count.model as model_mod

    def boom(*a, **k):  # counting must not start
        raise AssertionError("cooccurrence called")

    monkeypatch.setattr(model_mod, "cooccurrence_merged", boom)
    (tmp_path / "one.txt").write_text("spam " * 50, encoding="utf-8")
    with pytest.raises(DataError, match="only 1 distinct word"):
        PPMISVD(dim=2, min_count=1).fit(read_corpus(tmp_path / "one.txt"), cache_dir=False)
    (tmp_path / "few.txt").write_text("a b c a b c a b c\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="dim=3 must be smaller than the vocabulary size \\(3 words\\)"):
        PPMISVD(dim=3, min_count=1).fit(read_corpus(tmp_path / "few.txt"), cache_dir=False)
    with pytest.raises(DataError, match="only 1 distinct"):
        PPMISVD(dim=1).fit(ids=np.zeros(10, np.int32), vocab=Vocabulary(["x", "y"]))


def test_interrupted_save_leaves_no_half_written_file(tmp_path, monkeypatch):
    model = PPMISVD(dim=2, window=1, min_count=1)
    ids, words = dlfs2_ids()
    model.fit(ids=np.tile(ids, 3), vocab=words)
    target = tmp_path / "vectors.bin"
    target.write_bytes(b"old")

    import wordlab.atomic

    def interrupted(fd):  # the data is written, the rename has not happened yet
        raise KeyboardInterrupt

    monkeypatch.setattr(wordlab.atomic.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.bin"]  # no temp file, no json
    assert target.read_bytes() == b"old"
