"""Fuzzing the word-vector loaders: word2vec text and binary, GloVe-style text, .npz, Word2Vec model files,
and the registry's detection in front of them. Only wordlab's own errors may escape (see fuzzing.py)."""

from __future__ import annotations

import gzip
import io
import json

import numpy as np
import pytest

from fuzzing import FAST_CASES, SLOW_CASES, fuzz_loader
from wordlab import artifacts
from wordlab.vectors import KeyedVectors
from wordlab.vectors.formats import read_npz, read_word2vec

CASES = [FAST_CASES, pytest.param(SLOW_CASES, marks=pytest.mark.slow)]
WORDS = ["the", "king", "queen", "één", "日本", "a-b"]


def _kv() -> KeyedVectors:
    rng = np.random.default_rng(0)
    return KeyedVectors(WORDS, rng.standard_normal((len(WORDS), 5)).astype(np.float32),
                        counts=np.arange(len(WORDS)) + 3)


def _saved(tmp_path, name, **kw) -> bytes:
    path = tmp_path / "seeds" / name
    path.parent.mkdir(exist_ok=True)
    _kv().save(path, **kw)
    return path.read_bytes()


def _glove() -> bytes:
    kv = _kv()
    return "".join(f"{w} {' '.join(map(str, v))}\n" for w, v in zip(kv.index_to_key, kv.vectors)).encode()


def _c_tool_text() -> bytes:  # the C tool's layout: trailing space after each value
    kv = _kv()
    return (f"{len(kv)} {kv.vector_size}\n" + "".join(
        f"{w} {''.join(f'{x:.6f} ' for x in v)}\n" for w, v in zip(kv.index_to_key, kv.vectors))).encode()


@pytest.mark.parametrize("n", CASES)
def test_word2vec_text(tmp_path, n):
    seeds = [_saved(tmp_path, "v.txt"), _c_tool_text()]
    stats = fuzz_loader(lambda p: read_word2vec(p, binary=False), seeds, n, tmp_path, name="v.txt", seed=1)
    assert stats["accepted"] > 0 and stats["rejected"] > 0


@pytest.mark.parametrize("n", CASES)
def test_word2vec_binary(tmp_path, n):
    seeds = [_saved(tmp_path, "v.bin")]
    stats = fuzz_loader(lambda p: read_word2vec(p, binary=True), seeds, n, tmp_path, name="v.bin", seed=2)
    assert stats["accepted"] > 0 and stats["rejected"] > 0


@pytest.mark.parametrize("n", CASES)
def test_word2vec_binary_gzip(tmp_path, n):
    seeds = [_saved(tmp_path, "v.bin")]
    fuzz_loader(lambda p: read_word2vec(p, binary=True), seeds, n, tmp_path, name="v.bin.gz", seed=3,
                write=lambda p, d: p.write_bytes(gzip.compress(d, mtime=0)))


@pytest.mark.parametrize("n", CASES)
def test_compressed_stream_itself(tmp_path, n):
    """Mutating the gzip bytes (not the content): a damaged stream is a one-line error."""
    seeds = [gzip.compress(_saved(tmp_path, "v.txt"), mtime=0)]
    fuzz_loader(lambda p: KeyedVectors.load(p), seeds, n, tmp_path, name="v.txt.gz", seed=4)


@pytest.mark.parametrize("n", CASES)
def test_glove_text(tmp_path, n):
    stats = fuzz_loader(lambda p: read_word2vec(p, no_header=True), [_glove()], n, tmp_path, name="g.txt", seed=5)
    assert stats["accepted"] > 0


@pytest.mark.parametrize("n", CASES)
def test_npz(tmp_path, n):
    seeds = [_saved(tmp_path, "v.npz")]
    fuzz_loader(read_npz, seeds, n, tmp_path, name="v.npz", seed=6)


@pytest.mark.parametrize("n", CASES)
def test_npz_structure(tmp_path, n):
    """Structure-aware: valid zips whose members have wrong types, dtypes or shapes."""
    rng = np.random.default_rng(7)
    good = {"format": "wordlab.vectors", "version": 1, "keys": WORDS, "extra": {}}
    values = [None, 1, -1, 2.5, "x", [], {}, ["a"], [1, 2], {"a": 1}, True, 10**20, "wordlab.vectors", WORDS[::-1],
              WORDS + WORDS, [None] * 6, [["x"]] * 6]
    path = tmp_path / "s.npz"
    for i in range(n):
        meta = dict(good)
        if rng.random() < 0.7:
            meta[str(rng.choice(list(good) + ["provenance"]))] = values[rng.integers(len(values))]
        else:
            meta = values[rng.integers(len(values))]
        arrays = {"meta": np.frombuffer(json.dumps(meta).encode(), np.uint8)}
        shape = [(6, 5), (5, 6), (6,), (0, 5), (6, 5, 1), ()][rng.integers(6)]
        dtype = [np.float32, np.float64, np.int64, np.bool_, "U3", np.complex64][rng.integers(6)]
        arrays["vectors"] = np.zeros(shape, dtype)
        if rng.random() < 0.5:
            arrays["counts"] = np.zeros([(6,), (5,), (6, 1)][rng.integers(3)], [np.int64, np.float32][rng.integers(2)])
        if rng.random() < 0.1:
            arrays["meta"] = np.zeros(4, np.float64)
        if rng.random() < 0.1:
            del arrays["vectors"]
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        path.write_bytes(buf.getvalue())
        try:
            artifacts.load(path)
        except Exception as e:  # noqa: BLE001
            from wordlab.errors import WordlabError

            assert isinstance(e, WordlabError), f"case {i}: {meta!r:.200} {shape} {dtype}: {type(e).__name__}: {e}"
            assert "\n" not in str(e)


@pytest.mark.parametrize("n", CASES)
def test_word2vec_model_file(tmp_path, n):
    from wordlab.word2vec import Word2Vec

    corpus = [["a", "b", "c", "a", "b"], ["b", "c", "a", "d"]] * 5
    model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1, workers=1)
    model.save(tmp_path / "m.npz")
    fuzz_loader(Word2Vec.load, [(tmp_path / "m.npz").read_bytes()], n, tmp_path, name="model.npz", seed=8)


@pytest.mark.parametrize("n", CASES)
def test_registry_detection_of_any_vector_file(tmp_path, n):
    """The registry in front: mutants of every kind, loaded without saying the kind."""
    seeds = [_saved(tmp_path, "v.txt"), _saved(tmp_path, "v.bin"), _glove(), _c_tool_text(), _saved(tmp_path, "v.npz")]
    fuzz_loader(artifacts.load, seeds, n, tmp_path, name="anything", seed=9)
