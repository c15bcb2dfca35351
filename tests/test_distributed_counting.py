"""Counting on several processes: shares of the blocks / of the id stream merged give exactly the
single-process vocabulary and co-occurrence matrix — in-process for each share, then 2 processes over gloo
through the verbs (`vocab`, `train ppmi`, `train glove`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

from wordlab.count.cooccurrence import cooccurrence
from wordlab.text import Corpus, Vocabulary, build_vocab_and_ids, read_corpus
from wordlab.text import reader as text_reader
from wordlab.text.shards import count_shard, merge_shards

sys.path.insert(0, os.path.dirname(__file__))
from test_distributed_word2vec import _corpus, _run_ranks  # noqa: E402


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("world", [2, 3])
def test_block_shares_merge_to_the_single_process_vocabulary(tmp_path, monkeypatch, compiled, world):
    path = _corpus(tmp_path / "c.txt", 60_000)
    monkeypatch.setattr(text_reader, "COMPILED_MIN_BYTES", 0 if compiled else 1 << 40)
    corpus = Corpus(path, block_size=1 << 14)  # about 25 blocks
    assert corpus.compiled_split == compiled
    words, counts, total = merge_shards([count_shard(corpus, r, world) for r in range(world)])
    for min_count, max_size in ((1, None), (3, 500)):
        one = Vocabulary.build(corpus, min_count=min_count, max_size=max_size)
        many, _ = Vocabulary.from_counts(words, counts, min_count=min_count, max_size=max_size, total_words=total)
        assert many.itos == one.itos and np.array_equal(many.counts, one.counts)  # same ids, ties included
        assert many.total_words == one.total_words


def _stream(tmp_path, weighting, subsample):
    """A 30k-word corpus as ids, the counting options (chunks of 4096 tokens) and its single-process matrix."""
    vocab, ids = build_vocab_and_ids(read_corpus(_corpus(tmp_path / "c.txt", 30_000)), min_count=2, cache_dir=False)
    kw = dict(weighting=weighting, subsample=subsample, counts=vocab.counts, total_words=vocab.total_words, seed=3,
              chunk_tokens=4096)
    return vocab, ids, kw, cooccurrence(ids, len(vocab), 4, **kw)


@pytest.mark.parametrize("weighting,subsample", [("uniform", None), ("harmonic", 1e-3)])
def test_stream_shares_sum_to_the_single_process_cooccurrences(tmp_path, weighting, subsample):
    vocab, ids, kw, whole = _stream(tmp_path, weighting, subsample)
    parts = [cooccurrence(ids, len(vocab), 4, shard=(r, 3), **kw) for r in range(3)]
    assert all(p.nnz for p in parts)
    merged = (parts[0] + parts[1] + parts[2]).astype(np.float32).tocsr()
    merged.sort_indices()
    assert (merged != whole).nnz == 0
    # directed parts (what the processes exchange): fewer non-zeros, their sum S gives C = S + Sᵀ
    directed = [cooccurrence(ids, len(vocab), 4, shard=(r, 3), directed=True, **kw) for r in range(3)]
    assert all(d.nnz < p.nnz for d, p in zip(directed, parts))
    S = directed[0] + directed[1] + directed[2]
    assert ((S + S.T).astype(np.float32) != whole).nnz == 0


@pytest.mark.parametrize("weighting,subsample", [("uniform", None), ("harmonic", 1e-3)])
def test_claimed_chunks_sum_to_the_single_process_cooccurrences(tmp_path, weighting, subsample):
    from wordlab.count.cooccurrence import chunk_bounds

    vocab, ids, kw, whole = _stream(tmp_path, weighting, subsample)
    # chunks dealt unevenly and in any order, as a work queue may deal them
    k = len(chunk_bounds(len(ids), 4096, shared=True))  # subsampling keeps fewer tokens: a bound
    taken = {0: [c for c in range(200) if c % 3 == 0], 1: [c for c in range(200) if c % 3 == 1 or c == 2][::-1],
             2: [c for c in range(200) if c % 3 == 2 and c != 2]}
    seen: list[int] = []

    def claim(r):
        def deal(n):
            assert n < 200 and n <= k
            mine = [c for c in taken[r] if c < n]
            seen.extend(mine)
            return iter(mine)
        return deal

    parts = [cooccurrence(ids, len(vocab), 4, claim=claim(r), directed=True, **kw) for r in range(3)]
    assert sorted(seen) == list(range(len(seen))) and all(p.nnz for p in parts)  # each chunk counted once
    S = parts[0] + parts[1] + parts[2]
    assert ((S + S.T).astype(np.float32) != whole).nnz == 0


def test_shared_chunks_cover_the_stream_and_end_in_quarters():
    from wordlab.count.cooccurrence import chunk_bounds

    for n, size in ((17_718_310, 1 << 21), (10, 4), (9, 4), (1, 8), (0, 8), (4096 * 7, 4096)):
        for shared in (False, True):
            b = chunk_bounds(n, size, shared)
            assert [a for a, _ in b] == ([0] + [z for _, z in b[:-1]] if n else []) and (b[-1][1] if b else 0) == n
            assert all(0 < z - a <= size for a, z in b)
            if shared and n > 2 * size:  # the last one to two full chunks' worth of tokens in quarters
                small = [z - a for a, z in b if z - a < size]
                assert 4 < len(small) <= 8 and max(small) == size // 4 and b[-len(small) - 1][1] % size == 0
    assert chunk_bounds(10, 4) == [(0, 4), (4, 8), (8, 10)]


def test_claimed_blocks_merge_to_the_single_process_vocabulary(tmp_path, monkeypatch):
    from wordlab.text.reader import _COMPRESSED, file_size
    from wordlab.text.shards import plan_files

    paths = _files(tmp_path, [4000, 4000, 4000, 6000], gz=(3,))
    monkeypatch.setattr(text_reader, "COMPILED_MIN_BYTES", 0)
    corpus = Corpus(paths, block_size=1 << 12)
    sizes = [file_size(f) * (3 if f.suffix in _COMPRESSED else 1) for f in paths]  # as count_shard plans
    assert plan_files(sizes, 2) == [1, 1, -1, 0]  # the third file is shared by blocks
    # the blocks of each shared file dealt by a queue: rank 0 gets blocks 0-2 and every 4th, rank 1 the rest
    def claim(r):
        def blocks():
            return (i for i in range(10_000) if (i < 3 or i % 4 == 0) == (r == 0))
        return blocks

    shards = [count_shard(corpus, r, 2, claim=claim(r)) for r in range(2)]
    assert sum(s[3] for s in shards) == 18_000 and all(s[3] for s in shards)
    # a queue that runs dry before the file ends: that process counts no more of it, the other the rest
    few = [count_shard(corpus, 0, 2, claim=lambda: iter([1])), count_shard(corpus, 1, 2, claim=lambda: (
        i for i in range(10_000) if i != 1))]
    assert merge_shards(few)[1].tolist() == merge_shards(shards)[1].tolist()
    words, counts, total = merge_shards(shards)
    many, _ = Vocabulary.from_counts(words, counts, min_count=1, total_words=total)
    one = Vocabulary.build(corpus, min_count=1)
    assert many.itos == one.itos and np.array_equal(many.counts, one.counts) and many.total_words == 18_000


def test_work_queues_deal_every_item_once_and_more_to_a_faster_rank(tmp_path):
    _run_ranks("queue", tmp_path, worker=COUNT_WORKER)
    got = [json.loads((tmp_path / f"queue.{r}.json").read_text()) for r in range(2)]
    for q, n in ((0, 40), (1, 30)):
        assert sorted(got[0][q] + got[1][q]) == list(range(n))  # every index to exactly one rank
        assert all(g[q] == sorted(g[q]) for g in got)  # increasing on each rank
    assert len(got[1][0]) > 2 * len(got[0][0])  # rank 0 sleeps 20 ms an item: rank 1 takes most of them


def test_three_processes_merge_sparse_matrices_exactly_to_every_rank_or_one(tmp_path):
    _run_ranks("merge", tmp_path, world=3, worker=COUNT_WORKER)
    # each rank checked its result of the 2 x (to every rank + to each of the 3 roots) merges it received
    assert [json.loads((tmp_path / f"merged.{r}.json").read_text()) for r in range(3)] == [4, 4, 4]


def test_two_processes_count_through_the_verbs_exactly(tmp_path):
    from wordlab.cli import main

    corpus = _corpus(tmp_path / "corpus.txt", 40_000)
    _run_ranks("count", tmp_path)
    assert main(["-q", "vocab", str(corpus), "--min-count", "2", "-o", str(tmp_path / "vocab.1.json")]) == 0
    assert main(["-q", "train", "ppmi", str(corpus), "--min-count", "2", "--dim", "8", "--no-cache", "-o",
                 str(tmp_path / "ppmi.1.npz")]) == 0
    assert (tmp_path / "vocab.2.json").read_text() == (tmp_path / "vocab.1.json").read_text()
    stats = [json.loads((tmp_path / f"ppmi.{n}.npz.json").read_text())["stats"] for n in (1, 2)]
    assert {k: stats[1][k] for k in ("words", "tokens", "nnz_cooccurrence", "nnz_ppmi")} == \
        {k: stats[0][k] for k in ("words", "tokens", "nnz_cooccurrence", "nnz_ppmi")}
    assert (tmp_path / "glove.2.npz").exists()
    # the library call the verbs make: both processes hold exactly the single-process matrix
    vocab, ids = build_vocab_and_ids(read_corpus(corpus), min_count=2, cache_dir=False)
    whole = cooccurrence(ids, len(vocab), 4, weighting="harmonic", subsample=1e-3, counts=vocab.counts,
                         total_words=vocab.total_words, seed=3)
    for r in range(2):
        assert (scipy.sparse.load_npz(tmp_path / f"cooc.{r}.npz") != whole).nnz == 0


def _files(tmp_path: Path, words: list[int], gz: tuple[int, ...] = ()) -> list[Path]:
    """Files of ``words[k]`` words each (different parts of text8, so words first appear in later files too)."""
    import gzip

    text = _corpus(tmp_path / "all.txt", sum(words)).read_text(encoding="utf-8").split()
    paths, at = [], 0
    for k, n in enumerate(words):
        body = "\n".join(" ".join(text[i:i + 500]) for i in range(at, at + n, 500)) + "\n"
        at += n
        if k in gz:
            paths.append(tmp_path / f"part{k}.txt.gz")
            with gzip.open(paths[-1], "wt", encoding="utf-8") as f:
                f.write(body)
        else:
            paths.append(tmp_path / f"part{k}.txt")
            paths[-1].write_text(body, encoding="utf-8")
    return paths


@pytest.mark.parametrize("sizes,world,owners", [
    ([10, 10, 10, 10, 10], 2, [0, 1, 0, 1, -1]),  # equal files: two each, the fifth shared by blocks
    ([10], 2, [-1]),  # one file: shared by blocks
    ([30, 10, 10, 10], 2, [0, 1, 1, 1]),  # a big file alone on one process, the small ones on the other
    ([50, 10, 5], 2, [-1, 0, 1]),  # too big to give to anyone whole
    ([10, 10], 3, [-1, -1]),
    ([4, 4, 4], 3, [0, 1, 2]),
    ([7, 3], 1, [0, 0]),
])
def test_plan_deals_whole_files_within_a_fair_share(sizes, world, owners):
    from wordlab.text.shards import plan_files

    plan = plan_files(sizes, world)
    assert plan == owners
    for r in range(world):  # nobody reads more than its fair share of whole files
        assert sum(s for s, o in zip(sizes, plan) if o == r) <= sum(sizes) / world


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("world", [2, 3])
@pytest.mark.parametrize("words", [[8000] * 5, [20_000, 3000, 9000, 500, 7000], [30_000]])
def test_file_shares_merge_to_the_single_process_vocabulary(tmp_path, monkeypatch, compiled, world, words):
    paths = _files(tmp_path, words, gz=(1, 3))
    monkeypatch.setattr(text_reader, "COMPILED_MIN_BYTES", 0 if compiled else 1 << 40)
    corpus = Corpus(paths, block_size=1 << 13)
    assert corpus.compiled_split == compiled
    done = [[] for _ in range(world)]
    shards = [count_shard(corpus, r, world, on_bytes=done[r].append) for r in range(world)]
    assert sum(s[3] for s in shards) == sum(words)
    assert all(sum(d) == corpus.total_bytes for d in done)  # every rank's progress bar ends full
    if len(words) > 1:  # files dealt: every process counted a part, none (nearly) all
        assert all(0 < s[3] < sum(words) for s in shards)
    merged_words, counts, total = merge_shards(shards)
    for min_count, max_size in ((1, None), (3, 800)):  # ties in count are ordered by first occurrence
        many, _ = Vocabulary.from_counts(merged_words, counts, min_count=min_count, max_size=max_size,
                                         total_words=total)
        one = Vocabulary.build(corpus, min_count=min_count, max_size=max_size)
        assert many.itos == one.itos and np.array_equal(many.counts, one.counts)
        assert many.total_words == one.total_words == sum(words)


COUNT_WORKER = Path(__file__).with_name("distributed_counting_worker.py")


@pytest.mark.parametrize("words", [[9000, 2000, 6000, 500, 4000], [15_000]], ids=["uneven-files", "one-file"])
def test_two_processes_deal_the_files_and_merge_exactly(tmp_path, words):
    from wordlab.count.cooccurrence import cooccurrence as count_pairs
    from wordlab.text import encode_corpus

    paths = _files(tmp_path, words, gz=(0, 2))
    (tmp_path / "files.json").write_text(json.dumps([str(p) for p in paths]))
    _run_ranks("files", tmp_path, worker=COUNT_WORKER)
    corpus = Corpus(paths)
    one = Vocabulary.build(corpus, min_count=1)
    ids = encode_corpus(corpus, one, cache_dir=False)
    whole = count_pairs(ids, len(one), 3)
    harmonic = count_pairs(ids, len(one), 3, weighting="harmonic")
    for r in range(2):
        got = json.loads((tmp_path / f"vocab.{r}.json").read_text())
        assert got["itos"] == one.itos and got["counts"] == one.counts.tolist() and got["total"] == sum(words)
        assert (scipy.sparse.load_npz(tmp_path / f"cooc.{r}.npz") != whole).nnz == 0
    # root=0: the sum on rank 0 only
    assert (scipy.sparse.load_npz(tmp_path / "root.0.npz") != harmonic).nnz == 0
    assert (tmp_path / "root.1.none").exists() and not (tmp_path / "root.1.npz").exists()


def test_two_processes_train_ppmi_with_rank_0_factorising(tmp_path):
    from wordlab.count import PPMIConfig, train_ppmi

    paths = _files(tmp_path, [6000, 3000, 5000])
    (tmp_path / "files.json").write_text(json.dumps([str(p) for p in paths]))
    _run_ranks("ppmi", tmp_path, worker=COUNT_WORKER)
    v0, v1 = (np.load(tmp_path / f"vectors.{r}.npy") for r in range(2))
    assert np.array_equal(v0, v1)  # every rank holds rank 0's vectors
    model, _ = train_ppmi([str(p) for p in paths], PPMIConfig(dim=8, min_count=2), cache_dir=False)
    np.testing.assert_allclose(v0, model.wv.vectors, atol=1e-4)
    for r in range(2):
        stats = json.loads((tmp_path / f"stats.{r}.json").read_text())
        assert {k: stats[k] for k in ("words", "tokens", "nnz_cooccurrence", "nnz_ppmi")} == \
            {k: model.stats[k] for k in ("words", "tokens", "nnz_cooccurrence", "nnz_ppmi")}


def test_a_bad_file_read_by_one_process_fails_both_with_its_line(tmp_path):
    from wordlab.text.shards import plan_files

    paths = _files(tmp_path, [4000, 4000])
    paths[1].write_bytes(b"\x00\x01binary".ljust(paths[0].stat().st_size, b"x"))
    assert plan_files([p.stat().st_size for p in paths], 2) == [0, 1]  # rank 1 alone reads the bad file
    (tmp_path / "files.json").write_text(json.dumps([str(p) for p in paths]))
    _run_ranks("bad", tmp_path, worker=COUNT_WORKER)
    for r in range(2):
        assert f"{paths[1]}: looks like a binary file" in (tmp_path / f"error.{r}.txt").read_text()
