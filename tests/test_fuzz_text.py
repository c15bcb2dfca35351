"""Fuzzing the text loaders: corpora (plain and gzip, whitespace and eos modes), translation-pair files (tsv and
DLfS-2), label files (tsv and MR), vocabulary JSON and the id cache. Only wordlab's own errors may escape."""

from __future__ import annotations

import gzip
import random

import numpy as np
import pytest

from fuzzing import FAST_CASES, SLOW_CASES, fuzz_loader, mutant
from wordlab.classify.data import read_mr, read_tsv
from wordlab.seq2seq.data import DataConfig, read_pairs
from wordlab.text import Vocabulary, build_vocab_and_ids, read_corpus
from wordlab.text.cache import encode_corpus

CASES = [FAST_CASES, pytest.param(SLOW_CASES, marks=pytest.mark.slow)]
CORPUS = ("the king and the queen . \n" "un roi et une reine ; der König\n" "a\tb  c\r\n" "ĳ 日本語 ☃\n") * 3


def _corpus(path, eos):
    vocab, ids = build_vocab_and_ids(read_corpus(path, eos=eos), min_count=1, cache_dir=False)
    assert len(ids) == 0 or (ids.min() >= 0 and ids.max() < len(vocab))


@pytest.mark.parametrize("n", CASES)
def test_corpus(tmp_path, n):
    stats = fuzz_loader(lambda p: _corpus(p, eos=False), [CORPUS.encode()], n, tmp_path, name="c.txt", seed=21)
    assert stats["accepted"] > 0


@pytest.mark.parametrize("n", CASES)
def test_corpus_lines_gzip(tmp_path, n):
    fuzz_loader(lambda p: _corpus(p, eos=True), [CORPUS.encode()], n, tmp_path, name="c.txt.gz", seed=22,
                write=lambda p, d: p.write_bytes(gzip.compress(d, mtime=0)))


@pytest.mark.parametrize("n", CASES)
def test_corpus_gzip_stream(tmp_path, n):
    fuzz_loader(lambda p: _corpus(p, eos=False), [gzip.compress(CORPUS.encode(), mtime=0)], n, tmp_path,
                name="c.txt.gz", seed=23)


@pytest.mark.parametrize("n", CASES)
def test_pair_files(tmp_path, n):
    tsv = "Go.\tVa !\nI am cold.\tJ'ai froid.\nHe is tall.\tIl est grand.\n".encode() * 2
    dlfs2 = b"16+75  _91  \n52+607 _659 \n75+22  _97  \n"
    configs = [DataConfig(), DataConfig(format="dlfs2"), DataConfig(char=True), DataConfig(tutorial=True, swap=True)]
    counter = iter(range(10**9))

    def load(path):
        read_pairs(path, configs[next(counter) % len(configs)])

    fuzz_loader(load, [tsv, dlfs2], n, tmp_path, name="pairs.txt", seed=24)


@pytest.mark.parametrize("n", CASES)
def test_label_files(tmp_path, n):
    tsv = "pos\ta fine film\nneg\tdull , dull , dull\npos\tgreat !\n".encode()
    counter = iter(range(10**9))

    def load(path):
        k = next(counter) % 3
        if k == 0:
            read_tsv(path)
        elif k == 1:
            read_tsv(path, clean=True, label_names=["neg", "pos"])
        else:
            read_mr(path, path)

    fuzz_loader(load, [tsv], n, tmp_path, name="labels.tsv", seed=25)


@pytest.mark.parametrize("n", CASES)
def test_vocabulary_json(tmp_path, n):
    (tmp_path / "v.json").parent.mkdir(exist_ok=True)
    Vocabulary(["<unk>", "the", "a"], [0, 5, 3], specials=("<unk>",)).save(tmp_path / "v.json")
    fuzz_loader(Vocabulary.load, [(tmp_path / "v.json").read_bytes()], n, tmp_path, name="vocab.json", seed=26)


@pytest.mark.parametrize("n", [FAST_CASES // 2, pytest.param(SLOW_CASES // 2, marks=pytest.mark.slow)])
def test_id_cache_entries(tmp_path, n):
    """Mutated cache files are rebuilt, never trusted: the ids always come out equal to a fresh build."""
    corpus = tmp_path / "c.txt"
    corpus.write_text(CORPUS)
    cache = tmp_path / "cache"
    vocab, ids = build_vocab_and_ids(read_corpus(corpus), cache_dir=cache)
    enc = encode_corpus(read_corpus(corpus), vocab, cache_dir=cache)
    files = sorted(p for p in cache.iterdir() if p.is_file())
    originals = {p: p.read_bytes() for p in files}
    rng = random.Random(27)
    for case in range(n):
        victim = files[case % len(files)]
        data, steps = mutant([originals[victim]], rng, 3)
        victim.write_bytes(data)
        v2, ids2 = build_vocab_and_ids(read_corpus(corpus), cache_dir=cache)
        enc2 = encode_corpus(read_corpus(corpus), vocab, cache_dir=cache)
        assert v2 == vocab and np.array_equal(ids2, ids) and np.array_equal(enc2, enc), (case, victim.name, steps)
        for p, b in originals.items():  # the rebuilt entry is written again; restore for the next case
            p.write_bytes(b)
