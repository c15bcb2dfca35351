"""fastText hashing and Facebook ``.bin`` files, checked against the real tool's output.

``tests/data/fasttext/`` holds tiny models made by the fastText tool (``make_models.py``) and the
vectors the tool gave for in-vocabulary, out-of-vocabulary and non-ASCII words.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import oracle
import pytest

from wordlab.errors import DataError
from wordlab.fasttext.facebook import MAGIC_BYTES, read_facebook, write_facebook
from wordlab.fasttext.hashing import char_ngrams, ft_hash, ngram_buckets, subword_table, word_ngram_buckets
from wordlab.fasttext.keyed import FastTextKeyedVectors, vectors_from_facebook

DATA = Path(__file__).resolve().parent / "data" / "fasttext"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
WORDS = ["the", "café", "naïve", "zürich", "日本語", "a", "über-länge", "𝔘nicode", "x" * 30, "</s>", "é"]


def _gensim_inner():
    if os.environ.get("CI"):
        from gensim.models import fasttext_inner
        return fasttext_inner
    return oracle.require("gensim.models.fasttext_inner")


def test_hash_matches_gensim_ft_hash_bytes():
    inner = _gensim_inner()
    for w in WORDS:
        assert ft_hash(w) == inner.ft_hash_bytes(w.encode("utf-8"))
        assert [ft_hash(g) for g in char_ngrams(w, 3, 6)] == \
            [inner.ft_hash_bytes(g) for g in inner.compute_ngrams_bytes(w, 3, 6)]


def test_hash_sign_extends_bytes():
    # FNV-1a with unsigned bytes would give 0xe40c292c for b"\xe9"; the tool XORs 0xffffffe9
    assert ft_hash(b"a") == 0xE40C292C
    h = 2166136261
    h = ((h ^ 0xFFFFFFE9) * 16777619) & 0xFFFFFFFF
    assert ft_hash(b"\xe9") == h


def test_char_ngrams_respect_characters_and_boundaries():
    assert char_ngrams("ab", 1, 2) == [b"<a", b"a", b"ab", b"b", b"b>"]  # no lone "<" or ">"
    grams = char_ngrams("é", 1, 3)
    assert all(g.decode("utf-8") for g in grams)  # never cut inside a character
    assert b"<\xc3\xa9>" in grams
    assert ngram_buckets("</s>", 3, 6, 100).size == 0


def test_subword_table_matches_per_word_hashing():
    offsets, rows = subword_table(WORDS, 3, 6, 1000, eos=WORDS.index("</s>"))
    for i, w in enumerate(WORDS):
        want = [i] + [len(WORDS) + int(b) for b in ngram_buckets(w, 3, 6, 1000)]
        assert rows[offsets[i]:offsets[i + 1]].tolist() == want


def test_word_ngrams_wrap_like_uint64():
    # two negative int32 hashes: the tool sign-extends them into uint64 arithmetic
    a, b = 0xF0000000, 0x80000001
    sa, sb = a - (1 << 32), b - (1 << 32)
    h = ((sa & (2**64 - 1)) * 116049371 + (sb & (2**64 - 1))) & (2**64 - 1)
    assert word_ngram_buckets([a, b], 2, 2_000_000) == [h % 2_000_000]
    assert word_ngram_buckets([a, b, a], 1, 10) == []


@pytest.mark.parametrize("name", ["tiny_sg", "tiny_cbow"])
def test_word_vectors_equal_the_tools(name):
    model = read_facebook(DATA / f"{name}.bin")
    assert model.nwords == EXPECTED[name]["nwords"] and model.args["bucket"] == 1000 and model.args["dim"] == 10
    kv = vectors_from_facebook(model)
    assert isinstance(kv, FastTextKeyedVectors)
    for word, want in EXPECTED[name]["vectors"].items():
        assert (word in kv) == (word in EXPECTED[name]["in_vocab"]), word
        np.testing.assert_allclose(kv.get_vector(word), want, rtol=1e-5, atol=1e-6, err_msg=word)
    assert {"café", "zürich", "naïve"} <= set(EXPECTED[name]["in_vocab"])  # non-ASCII in-vocabulary words
    assert "zzqx" not in kv and kv.has_vector("zzqx")


def test_oov_queries(tmp_path):
    kv = vectors_from_facebook(read_facebook(DATA / "tiny_sg.bin"))
    sims = kv.most_similar("anarchisms", topn=3)
    assert len(sims) == 3 and all(w in kv for w, _ in sims)
    assert -1.0 <= kv.similarity("anarchisms", "anarchism") <= 1.0
    assert kv.similarity("anarchisms", "anarchism") > kv.similarity("anarchisms", "café")
    with pytest.raises(KeyError):
        kv.get_vector("")  # "<>" has no n-gram of 3..6 characters
    path = tmp_path / "v.npz"
    kv.save(path)
    back = FastTextKeyedVectors.load_npz(path)
    np.testing.assert_array_equal(back.get_vector("zzqx"), kv.get_vector("zzqx"))


def test_write_is_byte_identical_and_the_tool_loads_it(tmp_path):
    src = DATA / "tiny_sg.bin"
    out = tmp_path / "copy.bin"
    write_facebook(out, read_facebook(src))
    assert out.read_bytes() == src.read_bytes()
    fasttext = oracle.require("fasttext")
    ft = fasttext.load_model(str(out))
    np.testing.assert_allclose(ft.get_word_vector("zzqx"), EXPECTED["tiny_sg"]["vectors"]["zzqx"], rtol=1e-6)


def test_gensim_reads_what_wordlab_writes(tmp_path):
    if not os.environ.get("CI"):
        oracle.require("gensim")
    from gensim.models.fasttext import load_facebook_model

    model = read_facebook(DATA / "tiny_cbow.bin")
    model.input = model.input * 2  # not just a copy of the tool's file
    out = tmp_path / "doubled.bin"
    write_facebook(out, model)
    g = load_facebook_model(str(out))
    for word in ("the", "café", "zzqx", "日本語"):
        np.testing.assert_allclose(g.wv[word], 2 * np.asarray(EXPECTED["tiny_cbow"]["vectors"][word]), rtol=1e-5,
                                   atol=1e-6)


def _corrupt(tmp_path, data: bytes) -> Path:
    p = tmp_path / "bad.bin"
    p.write_bytes(data)
    return p


def test_damaged_files_give_one_line(tmp_path):
    good = (DATA / "tiny_sg.bin").read_bytes()
    cases = {
        "not a fastText model": b"\x00" * 64,
        "truncated": good[: len(good) // 2],
        "trailing": good + b"\x00",
        "version": MAGIC_BYTES + struct.pack("<i", 99) + good[8:],
    }
    # a header announcing 2**40 input rows must fail before allocating them
    huge = bytearray(good)
    struct.pack_into("<i", huge, 8 + 8 * 4, 2**31 - 1)  # args.bucket
    cases["expected"] = bytes(huge)
    for needle, data in cases.items():
        with pytest.raises(DataError) as e:
            read_facebook(_corrupt(tmp_path, data))
        msg = str(e.value)
        assert "\n" not in msg and "bad.bin" in msg and needle in msg, msg
