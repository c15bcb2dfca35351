"""Vocabulary: order, pruning, specials, encode/decode, JSON, one-pass encoding, the compiled counter, the id cache."""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter

import numpy as np
import pytest

from wordlab.errors import ConfigError, DataError
from wordlab.text import (EOS, PAD, SPECIALS, UNK, Vocabulary, build_vocab_and_ids, encode_corpus, read_corpus,
                          scan_and_encode)
from wordlab.text import reader

TOKENS = "b a c a b d a e b c f".split()  # counts a3 b3 c2 d1 e1 f1; b first seen before a


def naive_order(tokens, min_count=1):
    """Reference: count desc, ties by first occurrence (written as a plain loop)."""
    counts, first = Counter(tokens), {}
    for i, t in enumerate(tokens):
        first.setdefault(t, i)
    words = [w for w in counts if counts[w] >= min_count]
    return sorted(words, key=lambda w: (-counts[w], first[w])), counts


def test_order_is_count_desc_then_first_occurrence():
    v = Vocabulary.build([TOKENS[:4], TOKENS[4:]])
    assert v.itos == ["b", "a", "c", "d", "e", "f"]
    assert v.counts.tolist() == [3, 3, 2, 1, 1, 1] and v.counts.dtype == np.int64
    assert v.total_words == len(TOKENS) and v.coverage() == 1.0
    assert v.stoi == {w: i for i, w in enumerate(v.itos)}


def test_text8_head_matches_a_naive_count(text8_head):
    tokens = gzip.open(text8_head, "rt", encoding="utf-8").read().split()
    order, counts = naive_order(tokens, min_count=5)
    v = Vocabulary.build(read_corpus(text8_head), min_count=5)
    assert v.itos == order
    assert v.counts.tolist() == [counts[w] for w in order]
    assert len(v) == 15440 and v.total_words == len(tokens) == 1_171_945
    assert v.coverage() == pytest.approx(sum(counts[w] for w in order) / len(tokens))


def test_min_count_and_max_size():
    v = Vocabulary.build([TOKENS], min_count=2)
    assert v.itos == ["b", "a", "c"] and v.total_words == 11
    assert v.coverage() == pytest.approx(8 / 11)
    v = Vocabulary.build([TOKENS], max_size=4)
    assert v.itos == ["b", "a", "c", "d"]
    v = Vocabulary.build([TOKENS], max_size=4, specials=(PAD, UNK))
    assert v.itos == [PAD, UNK, "b", "a"]  # max_size counts the specials


def test_specials_come_first_and_keep_their_corpus_counts():
    v = Vocabulary.build([TOKENS + [EOS, EOS]], specials=SPECIALS)
    assert v.itos[:4] == list(SPECIALS) == [PAD, UNK, "<bos>", EOS]
    assert v.counts[:4].tolist() == [0, 0, 0, 2]
    assert v.itos[4:] == ["b", "a", "c", "d", "e", "f"]
    assert v.specials == SPECIALS and v.unk_id == 1
    assert v.most_common(2) == [("b", 3), ("a", 3)]


def test_every_word_under_min_count_names_the_corpus():
    with pytest.raises(DataError, match=r"^my\.txt: no word occurs at least min_count=10 times"):
        Vocabulary.build([TOKENS], min_count=10, source="my.txt")
    with pytest.raises(ConfigError):
        Vocabulary.build([TOKENS], min_count=0)
    with pytest.raises(DataError, match="holds no tokens"):
        Vocabulary.build([[]])


def test_encode_decode_and_unknown_modes():
    v = Vocabulary.build([TOKENS], min_count=2, specials=(PAD, UNK))
    ids = v.encode(["a", "zzz", "b"])
    assert ids.dtype == np.int32 and ids.tolist() == [v["a"], v.unk_id, v["b"]]  # auto → unk
    assert v.encode(["a", "zzz", "b"], unknown="drop").tolist() == [v["a"], v["b"]]
    with pytest.raises(KeyError, match="'zzz' not in vocabulary"):
        v.encode(["a", "zzz"], unknown="error")
    with pytest.raises(ConfigError):
        v.encode(["a"], unknown="bogus")
    assert v.decode(v.encode(["c", "a", "b"])) == ["c", "a", "b"]
    plain = Vocabulary.build([TOKENS], min_count=2)
    assert plain.encode(["a", "zzz", "b"]).tolist() == [plain["a"], plain["b"]]  # auto → drop
    with pytest.raises(ConfigError):
        plain.encode(["a"], unknown="unk")
    assert v.encode([]).dtype == np.int32


def test_json_round_trip(tmp_path):
    v = Vocabulary.build([TOKENS + ["naïve", "日本"]], specials=(PAD, UNK))
    path = tmp_path / "sub" / "vocab.json"
    v.save(path)
    w = Vocabulary.load(path)
    assert w == v and w.itos == v.itos and w.specials == v.specials and w.total_words == v.total_words
    assert w.counts.dtype == np.int64 and w.fingerprint() == v.fingerprint()
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "wordlab.vocabulary/1"
    assert Vocabulary.from_dict(v.to_dict()) == v


def test_load_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match=r"bad\.json: not valid JSON"):
        Vocabulary.load(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    with pytest.raises(DataError, match="not a wordlab vocabulary"):
        Vocabulary.load(other)
    with pytest.raises(DataError, match="no such file"):
        Vocabulary.load(tmp_path / "missing.json")
    with pytest.raises(DataError, match="twice"):
        Vocabulary(["a", "a"])


def test_fingerprint_and_extend():
    v = Vocabulary.build([TOKENS])
    assert Vocabulary(v.itos, v.counts + 1).fingerprint() != v.fingerprint()
    w = v.extend(["a", "new"], [2, 5])
    assert w.itos == v.itos + ["new"] and w["a"] == v["a"]
    assert w.counts[w["a"]] == 5 and w.counts[w["new"]] == 5 and w.total_words == v.total_words + 7


@pytest.mark.parametrize("specials,unknown", [((), "auto"), ((), "drop"), ((PAD, UNK), "unk"),
                                              ((PAD, UNK), "drop"), ((PAD, UNK), "auto")])
def test_scan_and_encode_equals_build_then_encode(specials, unknown):
    chunks = [TOKENS + [UNK], TOKENS[::-1]]
    vocab, ids = scan_and_encode(chunks, min_count=2, specials=specials, unknown=unknown)
    ref = Vocabulary.build(chunks, min_count=2, specials=specials)
    assert vocab == ref
    all_tokens = chunks[0] + chunks[1]
    if unknown == "drop" and UNK in specials:  # a literal <unk> in the text stays, pruned words go
        expected = [ref[t] for t in all_tokens if t in ref.stoi]
    else:
        expected = ref.encode(all_tokens, unknown=unknown).tolist()
    assert ids.dtype == np.int32 and ids.tolist() == expected


def test_scan_and_encode_unknown_error_and_bad_option():
    with pytest.raises(KeyError, match="'d' not in vocabulary"):
        scan_and_encode([TOKENS], min_count=2, unknown="error")
    _, ids = scan_and_encode([TOKENS], unknown="error")
    assert len(ids) == len(TOKENS)
    with pytest.raises(ConfigError):
        scan_and_encode([TOKENS], unknown="bogus")
    with pytest.raises(ConfigError):
        scan_and_encode([TOKENS], unknown="unk")


# ---------------------------------------------------------------- the compiled counter
TRICKY = ("a\u00a0b c\u2003d\x1ce\x1df\u3000g\u0085h  x\u200by \u2028z\u2029w\u202fv\u205fu\u1680t "
          "é ü 日本 日本\ttab\x0bvt\x0cff\r\nend  a a b")


@pytest.fixture()
def compiled(monkeypatch):
    """Send every whitespace corpus through the compiled splitter, however small."""
    monkeypatch.setattr(reader, "COMPILED_MIN_BYTES", 0)


def test_compiled_split_is_str_split(tmp_path, compiled):
    from wordlab.text.fastcount import ByteCounter

    counter = ByteCounter(keep_ids=True, capacity=2)  # tiny capacity: the tables grow many times
    counter.add(TRICKY.encode("utf-8"))
    words, counts = counter.words_and_counts()
    expected = Counter(TRICKY.split())
    assert words == list(expected) and counts.tolist() == list(expected.values())
    assert [words[i] for i in counter.id_array()] == TRICKY.split()


def test_packed_words_merge_by_bytes_even_when_hashes_collide():
    from wordlab.text.fastcount import ByteCounter, merge_packed

    texts = [TRICKY, "end zzz é a new ü", ""]
    parts = []
    for t in texts:
        c = ByteCounter(capacity=2)
        c.add(t.encode("utf-8"))
        parts.append(c.packed())
    want = list(dict.fromkeys(w for t in texts for w in Counter(t.split())))
    words, of = merge_packed(parts)
    assert words == want
    entries = [w for t in texts for w in Counter(t.split())]
    assert [words[i] for i in of] == entries
    # every hash the same: only the byte comparison tells words apart
    collided = [(data, off, np.zeros_like(h)) for data, off, h in parts]
    assert merge_packed(collided)[0] == want and merge_packed([])[0] == []


@pytest.mark.parametrize("specials", [(), (PAD, UNK)])
def test_compiled_and_python_paths_agree(tmp_path, compiled, specials):
    rng = np.random.default_rng(0)
    words = [w for w in TRICKY.split()] + [f"w{i}" for i in range(3000)]
    text = " ".join(words[i] for i in rng.zipf(1.2, size=60000) % len(words))
    path = tmp_path / "c.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(text.replace(" w1 ", "\u3000w1\n"))
    corpus = reader.Corpus(path, block_size=4096)
    assert corpus.compiled_split
    assert Vocabulary.build(corpus, min_count=2, specials=specials) == \
        Vocabulary.build(corpus.chunks(), min_count=2, specials=specials)
    v1, ids1 = scan_and_encode(corpus, min_count=2, specials=specials)
    v2, ids2 = scan_and_encode(corpus.chunks(), min_count=2, specials=specials)
    assert v1 == v2 and np.array_equal(ids1, ids2)


def test_compiled_path_reports_bad_input_like_the_python_path(tmp_path, compiled):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok " * 100 + b"caf\xe9 x\n")
    with pytest.raises(DataError, match=r"bad\.txt: invalid UTF-8 at byte offset 303 "):
        Vocabulary.build(read_corpus(bad))
    v = Vocabulary.build(read_corpus(bad, encoding_errors="replace"))
    assert v.counts[v["caf\ufffd"]] == 1 and v["ok"] == 0
    blank = tmp_path / "blank.txt"
    blank.write_text(" \u00a0 \n", encoding="utf-8")
    with pytest.raises(DataError, match=r"blank\.txt: holds no tokens"):
        Vocabulary.build(read_corpus(blank))


def test_small_corpora_skip_the_compiled_path(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("a b\n")
    assert not read_corpus(path).compiled_split
    assert not read_corpus(path, tokenizer="regex").compiled_split


# ---------------------------------------------------------------- the id cache
CALLS = {"n": 0}


def counting_tokenizer(text: str) -> list[str]:
    CALLS["n"] += 1
    return text.split()


def test_id_cache_skips_tokenizing_and_follows_file_changes(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b a c a b\n" * 20)
    cache = tmp_path / "cache"
    corpus = read_corpus(path, tokenizer=counting_tokenizer)
    CALLS["n"] = 0
    v1, ids1 = build_vocab_and_ids(corpus, min_count=1, cache_dir=cache)
    assert CALLS["n"] > 0 and ids1.tolist() == v1.encode(corpus_tokens(path)).tolist()
    CALLS["n"] = 0
    v2, ids2 = build_vocab_and_ids(read_corpus(path, tokenizer=counting_tokenizer), min_count=1, cache_dir=cache)
    assert CALLS["n"] == 0, "second run tokenized the corpus again"
    assert v2 == v1 and np.array_equal(ids2, ids1) and ids2.dtype == np.int32
    # another option → another entry
    build_vocab_and_ids(read_corpus(path, tokenizer=counting_tokenizer), min_count=2, cache_dir=cache)
    assert CALLS["n"] > 0
    # the file changes → the cache is not used
    path.write_text("z y z\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    CALLS["n"] = 0
    v3, ids3 = build_vocab_and_ids(read_corpus(path, tokenizer=counting_tokenizer), min_count=1, cache_dir=cache)
    assert CALLS["n"] > 0 and v3.itos == ["z", "y"] and ids3.tolist() == [0, 1, 0]


def corpus_tokens(path):
    return path.read_text().split()


def test_id_cache_disabled_and_corrupt(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b a\n")
    cache = tmp_path / "cache"
    build_vocab_and_ids(read_corpus(path), cache_dir=False)
    assert not cache.exists()
    v, ids = build_vocab_and_ids(read_corpus(path), cache_dir=cache)
    for f in cache.glob("*.ids.npy"):
        f.write_bytes(b"garbage")
    v2, ids2 = build_vocab_and_ids(read_corpus(path), cache_dir=cache)  # rebuilt, not crashed
    assert v2 == v and np.array_equal(ids2, ids)


def test_default_cache_dir_is_the_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDLAB_CACHE", str(tmp_path / "envcache"))
    path = tmp_path / "c.txt"
    path.write_text("a b a\n")
    build_vocab_and_ids(read_corpus(path))
    assert list((tmp_path / "envcache").glob("*.ids.npy"))


def test_encode_corpus_with_a_training_vocabulary_and_cache(tmp_path):
    train, valid = tmp_path / "train.txt", tmp_path / "valid.txt"
    train.write_text("a b c a b a\n")
    valid.write_text("a x b\n")
    vocab, _ = build_vocab_and_ids(read_corpus(train, eos=True), specials=(PAD, UNK, EOS), cache_dir=tmp_path)
    ids = encode_corpus(read_corpus(valid, eos=True), vocab, cache_dir=tmp_path)
    assert vocab.decode(ids) == ["a", UNK, "b", EOS]
    again = encode_corpus(read_corpus(valid, eos=True), vocab, cache_dir=tmp_path)
    assert np.array_equal(again, ids) and list(tmp_path.glob("*.enc.npy"))
