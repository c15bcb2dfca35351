"""word2vec and fastText on several processes: corpus shards and model averaging over ``torch.distributed``.

Under ``torchrun`` (or ``wordlab --nproc N``) every process holds the same vocabulary, the same id array
and — broadcast from rank 0 — the same initial tables. An epoch's id array is cut into the jobs of
``batch_words`` words that one process would run (same boundaries, same seeds); process ``r`` trains the
``r``-th contiguous share of those jobs with the compiled kernel, and after every ``sync_words`` words of
its share (whole jobs; ``0`` = once, at the end of the epoch) the processes merge their tables with one
``all_reduce`` per table on ``torch.from_numpy`` views (no copy on gloo). fastText's n-gram buckets are
rows of its ``W_in``, so they are merged with it. Every epoch ends with a merge, so all processes finish
with identical tables::

    rank 0: jobs 0 .. J/N-1     ──train sync_words──► merge ──train sync_words──► merge … merge
    rank 1: jobs J/N .. 2J/N-1  ──train sync_words──► merge ──train sync_words──► merge … merge

    merge:  W ← base + Σ_r (W_r − base);  base ← W      (base: the tables after the previous merge)

This is model averaging with the processes' updates *summed* rather than averaged: the plain average
``base + (1/N) Σ_r (W_r − base)`` (iterative parameter mixing, McDonald et al. 2010; Spark MLlib's Word2Vec,
once per iteration) gives every update 1/N of its weight, as if the learning rate were divided by N.
Summing is what the threads of one process do (Hogwild, Recht et al. 2011), with the other processes'
updates arriving up to ``sync_words`` words late. On 300k words of text8 (skip-gram, d=32, 3 epochs, 2
processes; the settings of ``tests/test_distributed_word2vec.py``) the last epoch's loss was above one
process's by 1.9 % summing, 4.4 % averaging and 3.6 % averaging among the processes that changed a row when
merging every 50k words; by 0.3 % summing and 2.0 % row-averaging every 10k words. Staleness costs quality as
``sync_words`` grows (``benchmarks/distributed.py`` measures it). One copy of each table (``base``) is kept.

The learning rate follows global progress: at a job of process ``r`` it is set from the words all
processes trained before the current segment plus N × the words ``r`` trained in it (the processes run at
about the same speed) — passed to the unchanged kernels as ``words_before / N`` of ``total / N``.

Nothing here imports torch in a single process: :func:`group` is ``None`` unless
:func:`wordlab.distributed.init_from_env` joined a process group of more than one process.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import zlib
from types import ModuleType
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from ..cpus import num_threads
from ..errors import ConfigError, DataError
from .fast_trainer import train_epoch_fast

if TYPE_CHECKING:
    from .model import Word2Vec

log = logging.getLogger(__name__)


def group() -> ModuleType | None:
    """:mod:`wordlab.distributed` when this process is one of several, else ``None`` (no torch import)."""
    mod = sys.modules.get("wordlab.distributed")
    return mod if mod is not None and mod.is_distributed() else None


def is_main() -> bool:
    """True on the process that writes files (rank 0, or the only process)."""
    g = group()
    return g is None or g.is_main()


def default_workers() -> int:
    """Threads per process for ``--threads 0`` under torchrun: this machine's cores shared by its processes."""
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)
    return max(1, num_threads() // max(local, 1))


def start(model: "Word2Vec", ids: np.ndarray) -> None:
    """Before training on several processes: check that every process holds the same vocabulary and corpus
    (one line naming the first that differs), then give every process rank 0's tables."""
    dist = group()
    if model.config.trainer != "fast":
        raise ConfigError(f"several processes train with the compiled kernel only (--trainer fast), "
                          f"not {model.config.trainer!r}")
    mine = (model.vocab.fingerprint(), int(len(ids)), zlib.crc32(np.ascontiguousarray(ids).view(np.uint8)),
            tuple(model.W_in.shape))
    seen = dist.gather_objects(mine)
    for r, theirs in enumerate(seen):
        if theirs != seen[0]:
            what = ("vocabulary" if theirs[0] != seen[0][0] else "corpus" if theirs[1:3] != seen[0][1:3]
                    else "table shape")
            raise DataError(f"rank {r} holds another {what} than rank 0 ({theirs[1]:,} vs {seen[0][1]:,} training "
                            f"words): every process must read the same corpus files with the same settings")
    for W in tables(model):
        _collective(W, lambda t: dist.broadcast_(t, src=0))
    log.info("rank %d of %d: %d words of %d in this process's shard per epoch", dist.rank(), dist.world_size(),
             _shard_words(len(ids), model.config.batch_words, dist.rank(), dist.world_size()), len(ids))


def tables(model: "Word2Vec") -> list[np.ndarray]:
    """The tables training changes: ``W_in`` (fastText: with its n-gram buckets), ``W_out`` and, with
    hierarchical softmax, ``W_hs``."""
    hs = getattr(model, "W_hs", None)
    return [model.W_in, model.W_out] + ([hs] if hs is not None and len(hs) else [])


def _collective(W: np.ndarray, op: Callable) -> None:
    """Run ``op`` on a torch view of ``W`` in place (through the GPU when the process group is NCCL's)."""
    import torch

    t = torch.from_numpy(W)  # shares W's memory
    dev = group()._comm_device()
    if dev.type == "cpu":
        op(t)
    else:  # NCCL reduces device tensors only
        g = t.to(dev)
        op(g)
        t.copy_(g.cpu())


def merge_updates(weights: Sequence[np.ndarray], bases: Sequence[np.ndarray]) -> float:
    """Apply every process's update since the last merge to each table, on every process (in place).

    ``W ← base + Σ_r (W_r − base)``: each table becomes its ``base`` (the merged table of the last sync,
    identical everywhere) plus the sum over the processes of what each changed since; ``base`` is then
    set to the result. Returns the seconds it took (waiting for the slowest process included).
    """
    dist = group()
    t0 = time.perf_counter()
    for W, base in zip(weights, bases):
        np.subtract(W, base, out=W)  # this process's update
        _collective(W, lambda t: dist.all_reduce_(t, "sum"))
        W += base
        base[...] = W
    return time.perf_counter() - t0


def _shard_words(n: int, step: int, rank: int, world: int) -> int:
    """Words in process ``rank``'s share of the ``ceil(n / step)`` jobs of an epoch of ``n`` words."""
    from ..distributed import shard_range

    a, b = shard_range(-(-n // step), rank, world)
    return max(0, min(b * step, n) - a * step)


def train_epoch_merged(model: "Word2Vec", ids: np.ndarray, *, epoch: int, words_before: int, total_words: int,
                       workers: int, on_progress=None) -> tuple[int, float, int, dict]:
    """One epoch on this process's share of the jobs, merging the tables every ``sync_words`` words.

    Returns ``(effective words, loss sum, loss pairs)`` summed over all processes, and
    ``{"syncs", "sync_seconds"}`` (this process's time in the merges, waiting included).
    """
    from ..distributed import shard_range

    dist = group()
    c = model.config
    step, world, rank = c.batch_words, dist.world_size(), dist.rank()
    n_jobs = -(-len(ids) // step)
    shares = [shard_range(n_jobs, q, world) for q in range(world)]
    ja, jb = shares[rank]
    largest = max(b - a for a, b in shares)
    per_sync = max(1, -(-c.sync_words // step)) if c.sync_words else max(largest, 1)
    segments = max(1, -(-largest // per_sync))  # the same count on every process: the collectives pair up

    def trained(q: int, k: int) -> int:  # words process q trains in its first k segments
        a, b = shares[q]
        return max(0, min(min(a + k * per_sync, b) * step, len(ids)) - a * step)

    scaled_total = max(total_words // world, 1)
    job = model._epoch_job(scaled_total)
    eff = loss = pairs = 0
    sync_seconds = 0.0
    merged = tables(model)
    bases = [W.copy() for W in merged]  # the tables as merged last (equal on every process)
    for k in range(segments):
        j0 = min(ja + k * per_sync, jb)
        j1 = min(j0 + per_sync, jb)
        segment = ids[j0 * step:min(j1 * step, len(ids))]
        if len(segment):
            done = words_before + sum(trained(q, k) for q in range(world))  # all processes, before segment k
            e, l_, p = train_epoch_fast(model.W_in, model.W_out, segment, model.tables, c, epoch=epoch,
                                        words_before=done // world, total_words=scaled_total, workers=workers,
                                        on_progress=on_progress, job=job, first_job=j0)
            eff, loss, pairs = eff + e, loss + l_, pairs + p
        sync_seconds += merge_updates(merged, bases)
    eff, loss, pairs = dist.all_sum([eff, loss, pairs])
    return int(eff), float(loss), int(pairs), {"syncs": segments, "sync_seconds": sync_seconds}
