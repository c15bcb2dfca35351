"""Counting a corpus on several processes: each counts its share of the blocks, the counts merge exactly.

A ``.gz`` cannot be split by byte range, so under ``torchrun`` every process reads the whole stream and
counts every N-th block of it (block ``i`` goes to process ``i mod N``; blocks end at whitespace or a line
end, so no token is ever cut). Each process also notes, for every word, the block where it first saw it.
Merged, the counts are summed and the words put in global first-occurrence order (first block, then order
of appearance in that block — which only the process owning the block saw), so
:meth:`Vocabulary.from_counts` on the merged counts gives exactly the vocabulary one process builds:
same words, ids, counts and total::

    blocks:   b0 b1 b2 b3 b4 …      rank 0 counts b0 b2 b4 …, rank 1 counts b1 b3 …
    merged:   count(w) = Σ_r count_r(w)      first(w) = min_r (first block_r(w), order in that block)

Nothing here imports torch in a single process: :func:`process_group` is ``None`` unless
:func:`wordlab.distributed.init_from_env` joined a group of more than one process.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from types import ModuleType
from typing import Callable, Sequence

import numpy as np

from ..errors import DataError
from .reader import Corpus
from .vocab import Vocabulary, _byte_counter

log = logging.getLogger(__name__)

Shard = tuple[list[str], np.ndarray, np.ndarray, int]  # words (first seen here), counts, first block, tokens


def process_group() -> ModuleType | None:
    """:mod:`wordlab.distributed` when this process is one of several, else ``None`` (no torch import)."""
    mod = sys.modules.get("wordlab.distributed")
    return mod if mod is not None and mod.is_distributed() else None


def is_main() -> bool:
    """True on the process that writes files (rank 0, or the only process)."""
    group = process_group()
    return group is None or group.is_main()


def count_shard(corpus: Corpus, rank: int, world: int, on_bytes: Callable[[int], None] | None = None) -> Shard:
    """Count the blocks ``i`` with ``i % world == rank``: words in first-seen order, their counts, the
    global index of the block where each was first seen, and the number of tokens counted."""
    first: list[int] = []
    counter = _byte_counter(keep_ids=False) if corpus.compiled_split else None
    if counter is not None:  # the compiled splitter, block by block (the same words and counts as chunks())
        i = 0
        for path in corpus.files:
            for block in corpus.byte_blocks(path, on_bytes=on_bytes):
                if i % world == rank:
                    before = int(counter.state[0])
                    counter.add(block)
                    first.extend([i] * (int(counter.state[0]) - before))
                i += 1
        words, counts = counter.words_and_counts()
        return words, counts, np.asarray(first, np.int64), int(counter.total)
    seen: Counter[str] = Counter()
    total = 0
    for i, tokens in enumerate(corpus.chunks(on_bytes=on_bytes)):
        if i % world == rank:
            before = len(seen)
            seen.update(tokens)
            total += len(tokens)
            first.extend([i] * (len(seen) - before))
    return list(seen), np.fromiter(seen.values(), np.int64, len(seen)), np.asarray(first, np.int64), total


def merge_shards(parts: Sequence[Shard]) -> tuple[list[str], np.ndarray, int]:
    """Every process's :func:`count_shard` merged: words in global first-occurrence order, summed counts, tokens."""
    counts: dict[str, int] = {}
    where: dict[str, tuple[int, int]] = {}
    for words, cnt, first, _ in parts:
        for j, (w, c, b) in enumerate(zip(words, cnt.tolist(), first.tolist())):
            counts[w] = counts.get(w, 0) + c
            key = (b, j)  # a block belongs to one process: j orders the words first seen in it
            if w not in where or key < where[w]:
                where[w] = key
    order = sorted(counts, key=where.__getitem__)
    return order, np.fromiter((counts[w] for w in order), np.int64, len(order)), sum(p[3] for p in parts)


def build_vocabulary(corpus: Corpus, *, min_count: int = 1, max_size: int | None = None,
                     specials: Sequence[str] = (), on_bytes: Callable[[int], None] | None = None) -> Vocabulary:
    """:meth:`Vocabulary.build` of ``corpus``; under torchrun each process counts its share of the blocks and
    every process gets the merged vocabulary (identical to one process's)."""
    group = process_group()
    if group is None:
        return Vocabulary.build(corpus, min_count=min_count, max_size=max_size, specials=specials, on_bytes=on_bytes)
    part = count_shard(corpus, group.rank(), group.world_size(), on_bytes)
    words, counts, total = merge_shards(group.gather_objects(part))
    if total == 0:
        raise DataError(f"{corpus.name}: holds no tokens")
    log.info("rank %d counted %d of %d tokens", group.rank(), part[3], total)
    vocab, _ = Vocabulary.from_counts(words, counts, min_count=min_count, max_size=max_size, specials=specials,
                                      total_words=total, source=corpus.name)
    return vocab
