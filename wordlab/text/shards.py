"""Counting a corpus on several processes: each counts its share, the counts merge exactly.

A ``.gz`` cannot be split by byte range: it must be read from its start. So when the corpus has several
files, whole files are dealt to the processes (largest first, to the least-loaded one, while that keeps it
within its fair share of the bytes: :func:`plan_files`) and each process reads only its own. What does not
fit — a single file, the odd one of several equal files — is shared by blocks: every process reads it and
counts the blocks it takes from a work queue (:func:`wordlab.distributed.work_queue`: each block to the
first process that asks, so a process done sooner with its whole files, or faster, counts more of them;
blocks end at whitespace or a line end, so no token is ever cut). Each
process notes, for every word, the file and block where it first saw it. Merged, the counts are summed and
the words put in global first-occurrence order (first file, then block, then order of appearance in that
block — which only the process owning the block saw), so :meth:`Vocabulary.from_counts` on the merged counts
gives exactly the vocabulary one process builds: same words, ids, counts and total::

    files:    f0 f1 f2 (equal sizes), 2 processes: rank 0 reads f0, rank 1 reads f1, both read f2
    f2:       blocks b0 b1 b2 b3 …  each counted by the rank that took it, e.g. rank 0 b0 b2 b3, rank 1 b1 …
    merged:   count(w) = Σ_r count_r(w)      first(w) = min_r (file, block, order in that block)

Nothing here imports torch in a single process: :func:`process_group` is ``None`` unless
:func:`wordlab.distributed.init_from_env` joined a group of more than one process.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import numpy as np

from ..errors import DataError
from .reader import _COMPRESSED, Corpus, file_size
from .vocab import Vocabulary, _byte_counter

if TYPE_CHECKING:
    from .fastcount import Packed

log = logging.getLogger(__name__)

# words first seen here (``str``, or a compiled counter's packed bytes: :meth:`ByteCounter.packed`), their counts,
# the block where each was first seen, tokens
Shard = tuple["list[str] | Packed", np.ndarray, np.ndarray, int]


def process_group() -> ModuleType | None:
    """:mod:`wordlab.distributed` when this process is one of several, else ``None`` (no torch import)."""
    mod = sys.modules.get("wordlab.distributed")
    return mod if mod is not None and mod.is_distributed() else None


def is_main() -> bool:
    """True on the process that writes files (rank 0, or the only process)."""
    group = process_group()
    return group is None or group.is_main()


def plan_files(sizes: Sequence[int], world: int) -> list[int]:
    """Which process reads each file: its rank, or ``-1`` for a file every process reads and counts a share of
    the blocks of. Files go whole, largest first, to the least-loaded process while that keeps it within its
    fair share (``sum(sizes) / world``); what does not fit (a single file, the odd file of equal ones) is
    shared by blocks — a ``.gz`` must be read from its start, so a whole file is read by one process only."""
    if world <= 1:
        return [0] * len(sizes)
    owner = [-1] * len(sizes)
    fair = sum(sizes) / world
    load = [0] * world
    for f in sorted(range(len(sizes)), key=lambda f: (-sizes[f], f)):
        r = min(range(world), key=lambda q: (load[q], q))
        if load[r] + sizes[f] <= fair:
            owner[f] = r
            load[r] += sizes[f]
    return owner


def _key(file: int, block: int) -> int:
    """Where a block lies in the corpus, as one ordered integer: file, then block within the file."""
    return (file << 40) | block


def count_shard(corpus: Corpus, rank: int, world: int, on_bytes: Callable[[int], None] | None = None,
                claim: Callable[[], Iterable[int]] | None = None) -> Shard:
    """Count this process's share (:func:`plan_files`: whole files, and every ``world``-th block of the shared
    files): words in first-seen order, their counts, where each was first seen (:func:`_key` of its file and
    block) and the number of tokens counted. ``claim``: the blocks of each shared file are dealt as the
    processes ask for them instead — ``claim()`` yields the increasing block indices this process counts
    (:func:`wordlab.distributed.work_queue`), so a process that is done with its whole files sooner, or
    counts faster, takes more of them."""
    # text bytes, estimated as in Corpus.compiled_split: a compressed file holds about three times its size
    owner = plan_files([file_size(f) * (3 if f.suffix.lower() in _COMPRESSED else 1) for f in corpus.files], world)
    first: list[int] = []
    counter = _byte_counter(keep_ids=False) if corpus.compiled_split else None
    seen: Counter[str] = Counter()
    total = 0
    shared = 0  # blocks of the shared files so far: dealt round-robin over the processes
    for k, path in enumerate(corpus.files):
        if owner[k] not in (-1, rank):
            if on_bytes is not None:  # another process reads this file: the progress bar counts it as done
                on_bytes(file_size(path))
            continue
        blocks = (corpus.byte_blocks(path, on_bytes=on_bytes) if counter is not None
                  else replace(corpus, paths=[path]).chunks(on_bytes=on_bytes))
        wanted = iter(claim()) if owner[k] == -1 and claim is not None else None
        want = next(wanted, None) if wanted is not None else None
        for i, block in enumerate(blocks):
            if wanted is not None:  # read on to the next block this process got (None: it gets no more)
                if want is None or i < want:
                    continue
                want = next(wanted, None)
            elif owner[k] == -1:
                mine = shared % world == rank
                shared += 1
                if not mine:
                    continue
            if counter is not None:  # the compiled splitter, block by block (the same words and counts as chunks())
                before = int(counter.state[0])
                counter.add(block)
                first.extend([_key(k, i)] * (int(counter.state[0]) - before))
            else:
                before = len(seen)
                seen.update(block)
                total += len(block)
                first.extend([_key(k, i)] * (len(seen) - before))
    if counter is not None:  # the words stay bytes: merge_shards needs no str per word and shard
        n = int(counter.state[0])
        return counter.packed(), counter.counts[:n].copy(), np.asarray(first, np.int64), int(counter.total)
    return list(seen), np.fromiter(seen.values(), np.int64, len(seen)), np.asarray(first, np.int64), total


def merge_shards(parts: Sequence[Shard]) -> tuple[list[str], np.ndarray, int]:
    """Every process's :func:`count_shard` merged: words in global first-occurrence order, summed counts, tokens.

    Vectorised: each (word, shard) entry gets the word's index among the distinct words (a compiled hash
    table over the packed bytes when every shard comes from the compiled counter, else a ``dict``), counts are
    summed with ``np.add.at`` and each word keeps its smallest key ``(block key, position in its shard's
    list)`` — a block belongs to one process, so the position orders the words first seen in it.
    """
    if parts and all(isinstance(p[0], tuple) for p in parts):
        from .fastcount import merge_packed

        distinct, of = merge_packed([p[0] for p in parts])
    else:
        words = [w for p in parts for w in _words(p[0])]
        distinct = list(dict.fromkeys(words))
        index = {w: i for i, w in enumerate(distinct)}
        of = np.fromiter((index[w] for w in words), np.int64, len(words))
    cnt = np.concatenate([np.asarray(p[1], np.int64) for p in parts]) if parts else np.zeros(0, np.int64)
    block = np.concatenate([np.asarray(p[2], np.int64) for p in parts]) if parts else np.zeros(0, np.int64)
    pos = np.concatenate([np.arange(len(p[1]), dtype=np.int64) for p in parts]) if parts else np.zeros(0, np.int64)
    counts = np.zeros(len(distinct), np.int64)
    np.add.at(counts, of, cnt)
    by_key = np.lexsort((pos, block, of))  # per word, its entries by key: the first is its first occurrence
    firsts = by_key[np.flatnonzero(np.r_[True, of[by_key][1:] != of[by_key][:-1]])] if len(of) else by_key
    order = np.lexsort((pos[firsts], block[firsts]))  # words by first occurrence
    word_of = of[firsts][order]
    return [distinct[i] for i in word_of.tolist()], counts[word_of], sum(p[3] for p in parts)


def _words(words: "list[str] | Packed") -> list[str]:
    """A shard's words as ``str`` (decoding packed ones)."""
    if not isinstance(words, tuple):
        return words
    data, off = words[0], np.asarray(words[1]).tolist()
    return [data[off[i]:off[i + 1]].decode("utf-8") for i in range(len(off) - 1)]


def build_vocabulary(corpus: Corpus, *, min_count: int = 1, max_size: int | None = None,
                     specials: Sequence[str] = (), on_bytes: Callable[[int], None] | None = None) -> Vocabulary:
    """:meth:`Vocabulary.build` of ``corpus``; under torchrun each process counts its share (its files, its
    blocks of the shared ones) and every process gets the merged vocabulary (identical to one process's)."""
    group = process_group()
    if group is None:
        return Vocabulary.build(corpus, min_count=min_count, max_size=max_size, specials=specials, on_bytes=on_bytes)
    try:
        part: Shard | str = count_shard(corpus, group.rank(), group.world_size(), on_bytes, group.work_queue)
    except DataError as e:  # a file only this process reads is bad: every process fails with its line
        part = str(e)
    parts = group.gather_objects(part)
    bad = next((p for p in parts if isinstance(p, str)), None)
    if bad is not None:
        raise DataError(bad)
    words, counts, total = merge_shards(parts)
    if total == 0:
        raise DataError(f"{corpus.name}: holds no tokens")
    log.info("rank %d counted %d of %d tokens", group.rank(), parts[group.rank()][3], total)
    vocab, _ = Vocabulary.from_counts(words, counts, min_count=min_count, max_size=max_size, specials=specials,
                                      total_words=total, source=corpus.name)
    return vocab
