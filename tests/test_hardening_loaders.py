"""Hardening of the loaders (issue 15, items 3, 4, 6, 7, 9): one test per class of bad input."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest

from wordlab import artifacts
from wordlab.errors import CheckpointError, DataError, WordlabError
from wordlab.text import Vocabulary, build_vocab_and_ids, read_corpus
from wordlab.vectors import KeyedVectors
from wordlab.vectors.formats import read_word2vec, write_word2vec

WORDS = ["the", "king", "queen"]


def _vectors(bad=None):
    v = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    if bad is not None:
        v[1, 2] = bad
    return v


# ---------------------------------------------------------------- 3: no NaN or inf passes silently
@pytest.mark.parametrize("suffix", [".txt", ".bin", ".npz"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_vectors_are_refused_unless_allowed(tmp_path, suffix, bad):
    path = tmp_path / f"v{suffix}"
    KeyedVectors(WORDS, _vectors(bad)).save(path)
    with pytest.raises(DataError, match=r"'king' has a NaN or infinite value; pass allow_nonfinite=True") as e:
        KeyedVectors.load(path)
    assert "\n" not in str(e.value) and str(path) in str(e.value)
    with pytest.raises(DataError, match="NaN or infinite"):
        artifacts.load(path)
    kv = KeyedVectors.load(path, allow_nonfinite=True)
    assert not np.isfinite(kv["king"]).all()


def test_glove_text_with_nan_names_the_line(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("a 0.1 0.2\nb nan 0.3\n")
    with pytest.raises(DataError, match=r"g\.txt: line 2: word 'b' has a NaN"):
        KeyedVectors.load(path)


def test_cli_allow_nonfinite(tmp_path, capsys):
    from wordlab.cli import main

    path = tmp_path / "v.txt"
    KeyedVectors(WORDS, _vectors(np.nan)).save(path)
    assert main(["similar", str(path), "the"]) == 1
    assert "NaN or infinite" in capsys.readouterr().err
    assert main(["convert", str(path), str(tmp_path / "out.npz"), "--allow-nonfinite"]) == 0


# ---------------------------------------------------------------- 4: the kernels trust nothing they read
def test_id_cache_with_a_swapped_corpus_of_same_size_and_mtime_is_not_reused(tmp_path):
    corpus = tmp_path / "c.txt"
    cache = tmp_path / "cache"
    corpus.write_text("a b a c\n")
    _, ids1 = build_vocab_and_ids(read_corpus(corpus), cache_dir=cache)
    stat = corpus.stat()
    corpus.write_text("c c b a\n")  # same size
    os.utime(corpus, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime
    vocab, ids2 = build_vocab_and_ids(read_corpus(corpus), cache_dir=cache)
    assert vocab.itos[0] == "c" and vocab.decode(ids2) == ["c", "c", "b", "a"]


@pytest.mark.parametrize("damage", ["out_of_range", "negative", "int64", "2d", "short", "bad_record", "vocab"])
def test_damaged_id_cache_is_rebuilt_never_trusted(tmp_path, damage, caplog):
    corpus = tmp_path / "c.txt"
    cache = tmp_path / "cache"
    corpus.write_text("a b a c b a\n")
    vocab, ids = build_vocab_and_ids(read_corpus(corpus), cache_dir=cache)
    ipath = next(cache.glob("*.ids.npy"))
    rpath, vpath = ipath.with_suffix(".json"), next(cache.glob("*.vocab.json"))
    bad = {"out_of_range": np.array([0, 1, 10**6, 2, 1, 0], np.int32),
           "negative": np.array([0, 1, -5, 2, 1, 0], np.int32),
           "int64": ids.astype(np.int64), "2d": ids.reshape(2, 3), "short": ids[:3]}.get(damage)
    if bad is not None:
        np.save(ipath, bad)
    elif damage == "bad_record":
        rpath.write_text(json.dumps({**json.loads(rpath.read_text()), "length": "six"}))
    else:
        vpath.write_text(json.dumps(Vocabulary(["a", "c", "b"], [3, 1, 2]).to_dict()))  # ids now mean other words
    v2, ids2 = build_vocab_and_ids(read_corpus(corpus), cache_dir=cache)
    assert v2 == vocab and np.array_equal(ids2, ids)
    assert "rebuilding the id cache" in caplog.text


def test_resumed_model_with_mismatched_W_out_is_refused_before_the_kernel(tmp_path):
    from wordlab.word2vec import Word2Vec

    corpus = [["a", "b", "c", "a", "b"], ["b", "c", "a", "d"]] * 5
    model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1, workers=1)
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as z:
        arrays = dict(z)
    for name, value in [("W_out", np.zeros((4, 3), np.float32)), ("W_out", np.zeros((2, 4), np.float32)),
                        ("W_in", np.zeros((4,), np.float32)), ("counts", np.zeros((4, 1), np.int64))]:
        np.savez(tmp_path / "bad.npz", **{**arrays, name: value})
        with pytest.raises(CheckpointError, match=f"bad.npz: field '{name}'"):
            Word2Vec.load(tmp_path / "bad.npz")
    meta = json.loads(arrays["meta"].tobytes())
    for field, value in [("words", "abcd"), ("state", {"epochs_done": "2"}), ("total_words", None)]:
        np.savez(tmp_path / "bad.npz", **{**arrays, "meta": np.frombuffer(
            json.dumps({**meta, field: value}).encode(), np.uint8)})
        with pytest.raises(CheckpointError, match=f"bad.npz: field 'meta.{field}"):
            Word2Vec.load(tmp_path / "bad.npz")


def test_kernel_inputs_are_checked_in_memory_too():
    from wordlab.word2vec import Word2Vec

    corpus = [["a", "b", "c", "a", "b"], ["b", "c", "a", "d"]] * 5
    model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1, workers=1)
    V = len(model.vocab)
    model.W_out = np.zeros((2, 4), np.float32)  # what a bad update would leave
    with pytest.raises(CheckpointError, match=rf"W_out \(2, 4\) must both be \({V}, 4\)"):
        model.train()
    model.W_out = np.zeros((V, 4), np.float32)
    model._ids = np.array([0, 1, 70], np.int32)
    with pytest.raises(DataError, match=f"ids hold 70, outside the vocabulary of {V} words"):
        model.train()


# ---------------------------------------------------------------- 6: structured files against a schema
@pytest.mark.parametrize("meta, field", [
    ({"format": "wordlab.vectors", "version": 1, "keys": "abc"}, "meta.keys"),
    ({"format": "wordlab.vectors", "version": "1", "keys": WORDS}, "meta.version"),
    ({"format": "wordlab.vectors", "keys": [1, 2, 3]}, r"meta.keys\[0\]"),
    ({"format": "wordlab.vectors", "keys": WORDS, "extra": [1]}, "meta.extra"),
    ({"format": "wordlab.vectors"}, "meta.keys"),
])
def test_npz_metadata_of_the_wrong_type_names_the_field(tmp_path, meta, field):
    buf = io.BytesIO()
    np.savez(buf, vectors=_vectors(), meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    (tmp_path / "v.npz").write_bytes(buf.getvalue())
    with pytest.raises(DataError, match=f"v.npz: field '{field}'"):
        KeyedVectors.load(tmp_path / "v.npz")


def test_npz_header_claiming_huge_array_is_refused_before_reading(tmp_path):
    import zipfile

    npy = io.BytesIO()
    np.save(npy, _vectors())
    old = b"'shape': (3, 4), }"
    new = b"'shape': (1000000000000, 4), }"  # 10**12 rows; the header's space padding absorbs the difference
    data = npy.getvalue().replace(old + b" " * (len(new) - len(old)), new)
    assert data != npy.getvalue() and len(data) == len(npy.getvalue())
    meta = np.frombuffer(json.dumps({"format": "wordlab.vectors", "version": 1, "keys": WORDS}).encode(), np.uint8)
    meta_npy = io.BytesIO()
    np.save(meta_npy, meta)
    with zipfile.ZipFile(tmp_path / "v.npz", "w") as z:  # a well-formed zip (right CRCs) holding the lying header
        z.writestr("vectors.npy", data)
        z.writestr("meta.npy", meta_npy.getvalue())
    with pytest.raises(DataError, match=r"v.npz: cannot read as .npz .*claims \(1000000000000, 4\) .*more than the file"):
        KeyedVectors.load(tmp_path / "v.npz")
    np.save(tmp_path / "ids.npy", np.zeros(3, np.int32))
    raw = (tmp_path / "ids.npy").read_bytes()
    (tmp_path / "ids.npy").write_bytes(raw.replace(b"(3,), }" + b" " * 10, b"(10000000000000,), }"))
    from wordlab.schema import load_npy

    with pytest.raises(ValueError, match="more than the file holds"):
        load_npy(tmp_path / "ids.npy")


# ---------------------------------------------------------------- 7: everything written can be read back
@pytest.mark.parametrize("word, says", [
    ("new\nline", "white space"), ("tab\tbed", "white space"), ("nb\u00a0sp", "white space"),
    ("line\u2028sep", "white space"), ("bell\x07", "control characters"), ("", "empty"),
    ("x" * 100_001, "over the 100000-byte limit"), ("\ud800", "lone surrogate"),
])
@pytest.mark.parametrize("binary", [False, True])
def test_writers_refuse_words_readers_cannot_give_back(tmp_path, word, says, binary):
    path = tmp_path / ("v.bin" if binary else "v.txt")
    with pytest.raises(DataError, match=f"cannot write word 1 .*{says}") as e:
        write_word2vec(path, ["ok", word, "fine"], _vectors(), binary=binary)
    assert "\n" not in str(e.value) and not path.exists()


def test_unicode_words_round_trip(tmp_path):
    words = ["één", "日本", "naïve"]
    for name in ("v.txt", "v.bin"):
        write_word2vec(tmp_path / name, words, _vectors(), binary=name.endswith(".bin"))
        assert read_word2vec(tmp_path / name, binary=name.endswith(".bin"))[0] == words


def test_bom_is_not_part_of_the_first_token(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_bytes(b"\xef\xbb\xbfhello world hello\n")
    vocab, _ = build_vocab_and_ids(read_corpus(corpus), cache_dir=False)
    assert vocab.itos == ["hello", "world"]
    for header in (b"3 4\n", b""):
        path = tmp_path / "v.txt"
        rows = b"".join(w.encode() + b" 0.1 0.2 0.3 0.4\n" for w in WORDS)
        path.write_bytes(b"\xef\xbb\xbf" + header + rows)
        assert KeyedVectors.load(path).index_to_key == WORDS
    from wordlab.seq2seq.data import read_pairs

    pairs = tmp_path / "p.tsv"
    pairs.write_bytes(b"\xef\xbb\xbfgo\tva\n")
    assert read_pairs(pairs)[0][0] == ["go"]


@pytest.mark.parametrize("binary", [False, True])
def test_header_claiming_10_to_the_12_rows_is_refused_before_allocating(tmp_path, binary):
    path = tmp_path / ("v.bin" if binary else "v.txt")
    write_word2vec(path, WORDS, _vectors(), binary=binary)
    data = path.read_bytes().replace(b"3 4\n", b"1000000000000 4\n", 1)
    path.write_bytes(data)
    with pytest.raises(DataError, match="header announces 1000000000000 vectors of 4 values, but the"):
        read_word2vec(path, binary=binary)
    path.write_bytes(data.replace(b" 4\n", b" 1000000000\n", 1))
    with pytest.raises(DataError, match="header announces"):
        read_word2vec(path, binary=binary)


# ---------------------------------------------------------------- 9 (part): headerless GloVe from every verb
def test_headerless_glove_file_loads_from_every_vectors_verb(tmp_path, capsys):
    from wordlab.cli import main

    rng = np.random.default_rng(0)
    words = ["king", "queen", "man", "woman", "paris", "france"]
    vecs = rng.standard_normal((6, 8)).astype(np.float32)
    glove = tmp_path / "glove.6B.8d.txt"
    glove.write_text("".join(f"{w} {' '.join(f'{x:.5f}' for x in v)}\n" for w, v in zip(words, vecs)))
    (tmp_path / "q.txt").write_text(": capital\nman king woman queen\n")
    for argv in (["similar", str(glove), "king"], ["analogy", str(glove), "man", "king", "woman"],
                 ["eval", str(glove), "--analogies", str(tmp_path / "q.txt")],
                 ["convert", str(glove), str(tmp_path / "out.bin")]):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 0, (argv, err)
    assert KeyedVectors.load(tmp_path / "out.bin").index_to_key == words


def test_errors_are_wordlab_errors():
    assert issubclass(CheckpointError, WordlabError) and issubclass(DataError, WordlabError)


def test_a_python_2_npy_header_loads_without_a_warning(tmp_path):
    import warnings

    from wordlab.schema import load_npy

    header = "{'descr': '<i4', 'fortran_order': False, 'shape': (3L,), }"  # Python 2 wrote longs as 3L
    header += " " * (64 - 10 - len(header) - 1) + "\n"
    path = tmp_path / "old.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
                     + np.arange(3, dtype="<i4").tobytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_npy(path).tolist() == [0, 1, 2]
