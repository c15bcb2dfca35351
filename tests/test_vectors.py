"""KeyedVectors queries against gensim's KeyedVectors on the same random vectors."""

from __future__ import annotations

import time

import numpy as np
import pytest

from wordlab.vectors import KeyedVectors, suggest, top_k

from oracle import require

gensim_models = require("gensim.models")  # the oracle: required under CI=true


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(7)
    keys = [f"w{i}" for i in range(2000)] + ["king", "kings", "queen", "man", "woman", "paris", "France", "naïve"]
    vectors = rng.standard_normal((len(keys), 32)).astype(np.float32)
    g = gensim_models.KeyedVectors(32)
    g.add_vectors(keys, vectors)
    return KeyedVectors(keys, vectors), g


def _same(ours, theirs, tol=1e-5):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=tol)


def test_attributes(pair):
    kv, g = pair
    assert kv.index_to_key == g.index_to_key and kv.key_to_index == g.key_to_index
    assert kv.vector_size == 32 and len(kv) == len(g) and kv.vectors.dtype == np.float32
    assert "king" in kv and "kingg" not in kv
    np.testing.assert_array_equal(kv["king"], g["king"])
    np.testing.assert_array_equal(kv[["king", "man"]], g[["king", "man"]])
    np.testing.assert_allclose(kv.get_vector("king", norm=True), g.get_vector("king", norm=True), rtol=1e-6)
    assert kv.get_normed_vectors() is kv.get_normed_vectors()  # cached


@pytest.mark.parametrize("query", [
    dict(positive=["king"]),
    dict(positive=["king", "woman"], negative=["man"]),
    dict(positive=["king", "woman"], negative=["man"], restrict_vocab=500),
    dict(positive=[("king", 2.0), "woman"], negative=[("man", -0.5)], topn=20),
    dict(positive="paris", topn=3),
])
def test_most_similar_matches_gensim(pair, query):
    kv, g = pair
    _same(kv.most_similar(**query), g.most_similar(**query))


def test_most_similar_topn_none_and_vector(pair):
    kv, g = pair
    np.testing.assert_allclose(kv.most_similar("king", topn=None), g.most_similar("king", topn=None), atol=1e-5)
    v = kv["queen"] + 0.1
    _same(kv.similar_by_vector(v, topn=7), g.similar_by_vector(v, topn=7))
    assert kv.most_similar("king", topn=0) == []


def test_cosmul_matches_gensim(pair):
    kv, g = pair
    q = dict(positive=["king", "woman"], negative=["man"], topn=10)
    _same(kv.most_similar_cosmul(**q), g.most_similar_cosmul(**q))
    _same(kv.most_similar_cosmul(positive=["paris"]), g.most_similar_cosmul(positive=["paris"]))
    restricted = kv.most_similar_cosmul(restrict_vocab=100, **q)
    assert all(kv.key_to_index[w] < 100 for w, _ in restricted)  # gensim 4.4 ignores restrict_vocab here


def test_pairwise_queries_match_gensim(pair):
    kv, g = pair
    assert kv.similarity("king", "queen") == pytest.approx(float(g.similarity("king", "queen")), abs=1e-6)
    assert kv.distance("king", "queen") == pytest.approx(float(g.distance("king", "queen")), abs=1e-6)
    assert kv.n_similarity(["king", "man"], ["queen", "woman"]) == pytest.approx(
        float(g.n_similarity(["king", "man"], ["queen", "woman"])), abs=1e-6)
    words = ["king", "queen", "man", "woman", "w17"]
    assert kv.doesnt_match(words) == g.doesnt_match(words)
    for other in ("queen", "w3", "paris"):
        assert kv.rank("king", other) == g.rank("king", other)
    np.testing.assert_allclose(kv.distances("king", ["queen", "man"]), g.distances("king", ["queen", "man"]),
                               atol=1e-6)
    assert sorted(kv.closer_than("king", "w10")) == sorted(g.closer_than("king", "w10"))


def test_oov_error_suggests_close_words(pair):
    kv, _ = pair
    with pytest.raises(KeyError) as e:
        kv.most_similar("kingg")
    assert e.value.args[0] == "'kingg' not in vocabulary; did you mean: king, kings?"
    with pytest.raises(KeyError, match="did you mean: France"):
        kv["france"]
    with pytest.raises(KeyError) as e:
        kv["zzzzzzzzzzzz"]
    assert e.value.args[0] == "'zzzzzzzzzzzz' not in vocabulary"


def test_suggest_is_fast_on_a_large_vocabulary():
    keys = [f"tok{i:06d}" for i in range(300_000)] + ["king", "kings"]
    index = {k: i for i, k in enumerate(keys)}
    t0 = time.perf_counter()
    for _ in range(5):
        assert suggest("kingg", index, keys)[:2] == ["king", "kings"]
    assert (time.perf_counter() - t0) / 5 < 0.05


def test_top_k_equals_full_sort():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal(10_000).astype(np.float32)
    for k in (1, 10, 10_000, 20_000):
        np.testing.assert_array_equal(top_k(scores, k), np.argsort(-scores, kind="stable")[:k])


def test_zero_vector_gives_no_nan():
    kv = KeyedVectors(["a", "b", "c"], np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]))
    assert np.isfinite(kv.get_normed_vectors()).all()
    assert [w for w, _ in kv.most_similar("a")] == ["c", "b"]


def test_constructor_checks():
    with pytest.raises(ValueError, match="duplicate key 'a'"):
        KeyedVectors(["a", "b", "a"], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="2 keys but 3 vectors"):
        KeyedVectors(["a", "b"], np.zeros((3, 2)))
    kv = KeyedVectors(["a", "b"], np.eye(2))
    kv.vectors = np.array([[1.0, 1.0], [0.0, 2.0]])
    np.testing.assert_allclose(kv.get_vector("b", norm=True), [0.0, 1.0])  # cache cleared on assignment


@pytest.mark.parametrize("kind", ["gaussian", "sparse", "skewed"])
def test_int8_search_index_returns_the_exact_top_k(kind):
    rng = np.random.default_rng(11)
    n, d = 20_000, 64
    if kind == "gaussian":
        vectors = rng.standard_normal((n, d))
    elif kind == "sparse":  # a few large coordinates per row: coarse int8 steps, loose bounds
        vectors = rng.standard_normal((n, d)) * (rng.random((n, d)) < 0.1)
        vectors[:, 0] += 1e-3
    else:  # one shared direction dominates: many scores crowd near the threshold
        vectors = rng.standard_normal((n, d)) * 0.1 + 3.0
    keys = [f"k{i}" for i in range(n)]
    plain, indexed = KeyedVectors(keys, vectors), KeyedVectors(keys, vectors)
    plain.search_index_min_size = 10**18
    indexed.search_index_min_size, indexed.search_index_after = 0, 0
    for i in range(0, 40, 3):
        for restrict in (None, 5_000):
            a = plain.most_similar(keys[i], topn=15, restrict_vocab=restrict)
            b = indexed.most_similar(keys[i], topn=15, restrict_vocab=restrict)
            assert [w for w, _ in a] == [w for w, _ in b]
            np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-6)
    assert indexed._index  # the int8 path was really taken


@pytest.mark.parametrize("kind", ["gaussian", "skewed"])
def test_int8_batched_search_and_the_server_index_match_a_full_scan(kind):
    from wordlab.serve.vectors import VectorIndex
    from wordlab.vectors.search import build_index

    rng = np.random.default_rng(12)
    n, d = 20_001, 64  # odd rows and 13 queries: the kernel's leftover row and queries outside its 2 x 4 tiles
    vectors = rng.standard_normal((n, d)) * (1.0 if kind == "gaussian" else 0.1) + (0.0 if kind == "gaussian" else 3.0)
    kv = KeyedVectors([f"k{i}" for i in range(n)], vectors)
    unit = kv.get_normed_vectors()
    index = build_index(unit)
    queries = np.ascontiguousarray(unit[:13])  # (B, d)
    full = np.stack([unit @ q for q in queries])  # (B, n), row by row as the exact re-scoring does
    many = index.approx_scores_many(queries, n)
    for b in (0, 5, 12):
        np.testing.assert_allclose(many[b], index.approx_scores(queries[b], n), atol=1e-5)
    for (idx, scores), row in zip(index.search_many(unit, queries, 15, n), full):
        assert idx.tolist() == top_k(row, 15).tolist()
        np.testing.assert_allclose(scores, row[idx], rtol=1e-6)
    for int8_min_size in (0, 10**18):  # the served index, with and without the int8 pre-filter
        served = VectorIndex(kv, int8_min_size=int8_min_size)
        assert (served._int8 is not None) == (int8_min_size == 0)
        for batch in (queries[:1], queries):
            got = served.search_many(batch, 10, [{i} for i in range(len(batch))])
            for i, rows in enumerate(got):
                row = full[i].copy()
                row[i] = -9
                assert [w for w, _ in rows] == [f"k{j}" for j in top_k(row, 10)]
