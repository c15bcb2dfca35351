"""GloVe: the AdaGrad step and cost against a dense numpy reference, loss decreases, clusters separate,
checkpoint/resume, the co-occurrence cache and its checks, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from wordlab.count.cooccurrence_cache import cached_cooccurrence, load_cooccurrence, save_cooccurrence
from wordlab.count.glove import GloVe, init_params, weights
from wordlab.count.glove_config import GloVeConfig
from wordlab.count.glove_kernel import adagrad_slice
from wordlab.errors import CheckpointError, ConfigError, DataError
from wordlab.text import Vocabulary, read_corpus


def _tiny(seed=0, V=5):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, (V, V)).astype(np.float64) * rng.random((V, V)) * 150
    X = np.triu(X) + np.triu(X, 1).T
    return X


def _dense_step(X, p, eta, clip, x_max, alpha, order):
    """The reference update, written out with dense numpy per non-zero (``glove.c``'s loop)."""
    p = {k: v.copy() for k, v in p.items()}
    cost = 0.0
    for i, j in order:
        x = X[i, j]
        diff = p["W"][i] @ p["C"][j] + p["bw"][i] + p["bc"][j] - np.log(x)
        f = 1.0 if x > x_max else (x / x_max) ** alpha
        fdiff = f * diff
        cost += 0.5 * fdiff * diff
        t1 = np.clip(fdiff * p["C"][j], -clip, clip) * eta
        t2 = np.clip(fdiff * p["W"][i], -clip, clip) * eta
        p["W"][i] -= t1 / np.sqrt(p["GW"][i])
        p["C"][j] -= t2 / np.sqrt(p["GC"][j])
        p["GW"][i] += t1 ** 2
        p["GC"][j] += t2 ** 2
        p["bw"][i] -= fdiff / np.sqrt(p["gbw"][i])
        p["bc"][j] -= fdiff / np.sqrt(p["gbc"][j])
        p["gbw"][i] += fdiff ** 2
        p["gbc"][j] += fdiff ** 2
    return p, cost


@pytest.mark.parametrize("clip", [100.0, 0.001])
def test_adagrad_kernel_equals_dense_reference(clip):
    X = _tiny()
    rows, cols = np.nonzero(X)
    order = list(zip(rows.tolist(), cols.tolist()))
    p = init_params(X.shape[0], 4, seed=3, dtype=np.float64)
    p["W"] *= 50  # larger vectors: clipping and every term matter
    ref, ref_cost = _dense_step(X, p, 0.05, clip, 100.0, 0.75, order)
    got = {k: v.copy() for k, v in p.items()}
    vals = X[rows, cols]
    cost, used = adagrad_slice(rows.astype(np.int32), cols.astype(np.int32), np.log(vals), weights(vals, 100.0, 0.75),
                               got["W"], got["C"], got["bw"], got["bc"], got["GW"], got["GC"], got["gbw"], got["gbc"],
                               0.05, clip, 0, len(rows))
    assert used == len(rows)
    assert cost == pytest.approx(ref_cost, rel=1e-10)
    for k in ref:
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-10, atol=1e-13)


def test_cost_is_the_weighted_least_squares_objective():
    X = _tiny(1)
    model = GloVe(GloVeConfig(dim=3, epochs=0, min_count=1))
    model.fit(matrix=sp.csr_matrix(X), vocab=[f"w{i}" for i in range(len(X))])
    p = model.params
    nz = X > 0
    pred = p["W"] @ p["C"].T + p["bw"][:, None] + p["bc"][None, :]
    f = np.where(X > 100, 1.0, (X / 100.0) ** 0.75)
    dense = 0.5 * (f * (pred - np.log(np.where(nz, X, 1))) ** 2)[nz].mean()
    assert model.cost(sp.csr_matrix(X)) == pytest.approx(dense, rel=1e-5)  # float32 parameters


def test_loss_decreases_and_w_plus_c():
    X = _tiny(2, V=12) + 1.0
    model = GloVe(GloVeConfig(dim=6, epochs=30, threads=1, min_count=1))
    kv = model.fit(matrix=sp.csr_matrix(X), vocab=[f"w{i}" for i in range(12)])
    h = model.history
    assert len(h) == 30 and h[-1] < 0.2 * h[0]
    assert all(b <= a * 1.05 for a, b in zip(h, h[1:]))
    np.testing.assert_allclose(kv.vectors, (model.params["W"].astype(np.float64) + model.params["C"]).astype(np.float32))
    np.testing.assert_allclose(model.vectors("w").vectors, model.params["W"].astype(np.float32))


def _cosines(v):
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    return v @ v.T


def test_eigenvalue_weighted_output():
    X = _tiny(3, V=12) + 1.0
    model = GloVe(GloVeConfig(dim=6, epochs=5, threads=1, min_count=1))
    model.fit(matrix=sp.csr_matrix(X), vocab=[f"w{i}" for i in range(12)])
    wc = (model.params["W"].astype(np.float64) + model.params["C"])
    u, s, _ = np.linalg.svd(wc, full_matrices=False)
    half = model.vectors(eig=0.5).vectors
    np.testing.assert_allclose(_cosines(half), _cosines(u * np.sqrt(s)), atol=1e-5)  # U·S^0.5 (up to signs)
    assert np.abs(_cosines(half) - _cosines(wc)).max() > 1e-3  # it changes the geometry ...
    np.testing.assert_allclose(model.vectors(eig=1).vectors, wc.astype(np.float32))  # ... and p = 1 leaves W + W̃
    model.config = model.config.replace(eig=0.0)  # the config's p is the default; p = 0 whitens: U
    np.testing.assert_allclose(np.linalg.norm(model.vectors().vectors, axis=0), 1.0, rtol=1e-5)


def _cluster_corpus(path, seed=0, lines=400):
    """Two topics: words of one topic only ever co-occur with each other."""
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]]
    with open(path, "w") as f:
        for _ in range(lines):
            t = topics[rng.integers(2)]
            f.write(" ".join(rng.choice(t, 12)) + "\n")


def test_topics_separate(tmp_path):
    _cluster_corpus(tmp_path / "c.txt")
    model = GloVe(GloVeConfig(dim=10, window=3, epochs=25, min_count=1, threads=2, x_max=10))
    kv = model.fit(read_corpus(tmp_path / "c.txt"), cache_dir=tmp_path / "cache")
    same = np.mean([kv.similarity(f"a{i}", f"a{j}") for i in range(8) for j in range(i + 1, 8)])
    cross = np.mean([kv.similarity(f"a{i}", f"b{j}") for i in range(8) for j in range(8)])
    assert same > cross + 0.5
    assert model.stats["cooccurrence_cached"] is False
    again = GloVe(GloVeConfig(dim=10, window=3, epochs=1, min_count=1))
    again.fit(read_corpus(tmp_path / "c.txt"), cache_dir=tmp_path / "cache")
    assert again.stats["cooccurrence_cached"] is True


def test_checkpoint_resume_equals_straight_run(tmp_path):
    X = sp.csr_matrix(_tiny(4, V=8) + 0.5)
    words = [f"w{i}" for i in range(8)]
    straight = GloVe(GloVeConfig(dim=4, epochs=6, threads=1, min_count=1))
    straight.fit(matrix=X, vocab=words)
    first = GloVe(GloVeConfig(dim=4, epochs=3, threads=1, min_count=1))
    first.fit(matrix=X, vocab=words, checkpoint=tmp_path / "g.npz")
    resumed = GloVe.load_checkpoint(tmp_path / "g.npz")
    assert resumed.epochs_done == 3
    resumed.config = resumed.config.replace(epochs=6)
    resumed.fit(matrix=X, vocab=words)
    for k in ("W", "C", "bw", "GW"):
        np.testing.assert_array_equal(resumed.params[k], straight.params[k])
    assert resumed.history == pytest.approx(straight.history)
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CheckpointError):
        GloVe.load_checkpoint(tmp_path / "bad.npz")


def test_cooccurrence_cache_checks(tmp_path):
    m = sp.csr_matrix(np.array([[0, 2.0, 0], [2.0, 0, 1.0], [0, 1.0, 0]], np.float32))
    save_cooccurrence(tmp_path / "x", m, "k1", {"window": 2})
    assert (load_cooccurrence(tmp_path / "x", "k1", 3) != m).nnz == 0
    with pytest.raises(DataError, match="key"):
        load_cooccurrence(tmp_path / "x", "other", 3)
    with pytest.raises(DataError, match="vocabulary has 4"):
        load_cooccurrence(tmp_path / "x", "k1", 4)
    header = json.loads((tmp_path / "x.json").read_text())
    header["nnz"] = 5
    (tmp_path / "x.json").write_text(json.dumps(header))
    with pytest.raises(DataError, match="non-zeros"):
        load_cooccurrence(tmp_path / "x")
    (tmp_path / "x.npz").write_bytes(b"garbage")
    with pytest.raises(DataError, match="npz"):
        load_cooccurrence(tmp_path / "x")


def test_corrupt_cache_entry_is_recounted(tmp_path):
    _cluster_corpus(tmp_path / "c.txt", lines=30)
    corpus = read_corpus(tmp_path / "c.txt")
    vocab = Vocabulary([f"a{i}" for i in range(8)] + [f"b{i}" for i in range(8)])
    from wordlab.text import encode_corpus
    ids = encode_corpus(corpus, vocab, cache_dir=False)
    m1, info1 = cached_cooccurrence(corpus, vocab, ids, window=2, cache_dir=tmp_path)
    (tmp_path / f"{info1['key']}.cooc.npz").write_bytes(b"broken")
    m2, info2 = cached_cooccurrence(corpus, vocab, ids, window=2, cache_dir=tmp_path)
    assert not info2["cached"] and (m1 != m2).nnz == 0


@pytest.mark.parametrize("kw", [dict(dim=0), dict(x_max=0), dict(alpha=-1), dict(output="c"), dict(lr=float("nan")),
                                dict(weighting="gauss"), dict(threads=-1), dict(eig=1.5),
                                dict(eig=-0.1)])
def test_config_errors(kw):
    with pytest.raises(ConfigError):
        GloVeConfig(**kw)


def test_cli_train_glove(tmp_path, capsys):
    from wordlab.cli import main
    from wordlab.vectors import KeyedVectors
    _cluster_corpus(tmp_path / "c.txt", lines=120)
    out = tmp_path / "v.txt"
    assert main(["train", "glove", str(tmp_path / "c.txt"), "-o", str(out), "--dim", "5", "--window", "3",
                 "--epochs", "3", "--min-count", "1", "--x-max", "10", "--save-model", str(tmp_path / "g.npz"),
                 "-q"]) == 0
    first = out.read_text().splitlines()[0].split()
    assert len(first) == 6 and not first[0].isdigit()  # the reference tool's text: no header line
    assert KeyedVectors.load(out).vectors.shape == (16, 5)
    assert "cost" in capsys.readouterr().out
    assert main(["train", "glove", str(tmp_path / "c.txt"), "-o", str(tmp_path / "v.bin"), "--dim", "5",
                 "--epochs", "5", "--min-count", "1", "--save-model", str(tmp_path / "g.npz"), "--resume", "-q"]) == 0
    assert "resuming" in capsys.readouterr().out
    assert main(["train", "glove", str(tmp_path / "c.txt"), "-o", str(tmp_path / "v.xyz"), "-q"]) == 1


def test_cli_small_corpus_preset(tmp_path):
    from wordlab.cli import main
    from wordlab.count.glove import GloVe
    from wordlab.count.glove_config import PRESETS
    _cluster_corpus(tmp_path / "c.txt", lines=60)
    assert main(["train", "glove", str(tmp_path / "c.txt"), "-o", str(tmp_path / "v.txt"), "--preset", "small-corpus",
                 "--dim", "5", "--epochs", "2", "--min-count", "1", "--threads", "1", "--save-model",
                 str(tmp_path / "g.npz"), "--no-cache", "-q"]) == 0
    cfg = GloVe.load_checkpoint(tmp_path / "g.npz").config
    recipe = PRESETS["small-corpus"]
    assert (cfg.x_max, cfg.window, cfg.lr, cfg.output) == (recipe["x_max"], recipe["window"], recipe["lr"],
                                                          recipe["output"])
    assert (cfg.weighting, cfg.alpha, cfg.eig) == (recipe["weighting"], recipe["alpha"], recipe["eig"])
    # the published recipe (README "GloVe on a small corpus"): window 30 (1/d), x_max 3, lr 0.1, 5 epochs, U·S^0.5
    assert (recipe["window"], recipe["x_max"], recipe["lr"], recipe["epochs"], recipe["eig"]) == (30, 3.0, 0.1, 5, 0.5)
    assert (cfg.epochs, cfg.dim, cfg.min_count) == (2, 5, 1)  # typed flags win over the preset
    GloVeConfig(**recipe)  # the preset is a valid configuration
