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
import socket
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
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
    model._plan = _share_tables(model) if model.config.shared_tables else None
    log.info("rank %d of %d: %d words of %d in this process's shard per epoch", dist.rank(), dist.world_size(),
             _shard_words(len(ids), model.config.batch_words, dist.rank(), dist.world_size()), len(ids))


def table_names(model: "Word2Vec") -> list[str]:
    """The tables training changes: ``W_in`` (fastText: with its n-gram buckets), ``W_out`` and, with
    hierarchical softmax, ``W_hs``."""
    hs = getattr(model, "W_hs", None)
    return ["W_in", "W_out"] + (["W_hs"] if hs is not None and len(hs) else [])


def tables(model: "Word2Vec") -> list[np.ndarray]:
    """The arrays of :func:`table_names`."""
    return [getattr(model, name) for name in table_names(model)]


# ------------------------------------------------------------------ one copy per machine (shared memory)
@dataclass
class SharingPlan:
    """How this process's tables are shared: with the processes of its machine (one copy in shared memory,
    trained Hogwild as threads do), merged between machines by their lowest-ranked process (``leader``)."""

    machines: int  # machines in the job (processes grouped by host)
    leader: bool  # this process merges its machine's copy with the other machines'
    group: object | None = None  # the leaders' process group (several machines), else None
    memory: np.memmap | None = field(default=None, repr=False)  # the mapping the tables are views of


def machine_key() -> str:
    """What identifies this process's machine: host name and boot id, plus torchrun's node rank
    (``GROUP_RANK``), so that nodes started on one host (a multi-node rehearsal) are kept apart."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}|{boot}|{os.environ.get('GROUP_RANK', '')}"


def _shared_dir() -> Path | None:
    """Where shared tables are mapped from: ``/dev/shm`` (memory, never written to disk), else ``None``."""
    d = Path("/dev/shm")
    return d if d.is_dir() and os.access(d, os.W_OK) else None


def _share_tables(model: "Word2Vec") -> SharingPlan | None:
    """Put the tables of the processes of each machine into one shared mapping (every process calls this).

    The machine's lowest rank writes its tables (identical on every process after :func:`start`) to a file
    in ``/dev/shm``; the others map it; the file is removed as soon as all have mapped it, so nothing is
    left behind if a process dies. ``None`` when no machine runs two processes, or when a machine lacks
    room in ``/dev/shm`` (every process then keeps its own copy and merges, as with ``shared_tables=False``).
    """
    dist = group()
    keys = dist.gather_objects(machine_key())
    me = dist.rank()
    mates = [r for r, k in enumerate(keys) if k == keys[me]]
    leaders = sorted({keys.index(k) for k in keys})
    if all(keys.count(k) == 1 for k in keys):
        return None
    names, arrays = table_names(model), tables(model)
    offsets, size = [], 0
    for W in arrays:
        offsets.append(size)
        size += -(-W.nbytes // 64) * 64  # each table on a cache-line boundary
    path = ""
    if me == mates[0] and len(mates) > 1:
        where = _shared_dir()
        free = os.statvfs(where).f_bavail * os.statvfs(where).f_frsize if where else 0
        if free >= size + (64 << 20):
            fd, path = tempfile.mkstemp(prefix="wordlab-tables-", dir=where)
            os.close(fd)
            memory = np.memmap(path, dtype=np.uint8, mode="w+", shape=(size,))
            for W, o in zip(arrays, offsets):
                memory[o:o + W.nbytes].view(W.dtype).reshape(W.shape)[...] = W
            memory.flush()
            del memory
        else:
            log.warning("rank %d: /dev/shm has %.0f MiB free, the tables need %.0f MiB: every process keeps its "
                        "own copy", me, free / 2**20, size / 2**20)
    paths = dist.gather_objects(path)
    if any(keys.count(keys[r]) > 1 and not paths[r] for r in leaders):  # a machine could not share: nobody does
        dist.barrier()
        if path:
            os.unlink(path)
        return None
    memory = np.memmap(paths[mates[0]], dtype=np.uint8, mode="r+", shape=(size,))
    dist.barrier()  # every process has mapped its machine's file
    if path:
        os.unlink(path)
    for name, W, o in zip(names, arrays, offsets):
        setattr(model, name, np.ndarray(W.shape, W.dtype, buffer=memory, offset=o))  # a plain array, shared
    plan = SharingPlan(machines=len(leaders), leader=me == mates[0], memory=memory)
    if plan.machines > 1:
        plan.group = dist.new_group(leaders)  # every process takes part in creating it
    log.info("rank %d: tables shared with %d process(es) of this machine (%.0f MiB); %d machine(s) merge",
             me, len(mates) - 1, size / 2**20, plan.machines)
    return plan


def finish(model: "Word2Vec", wait: bool = True) -> None:
    """After training: give the model private copies of shared tables and drop the mapping (``wait``: first
    wait until no process writes; not after an error, when the others may be gone)."""
    plan = getattr(model, "_plan", None)
    model._plan = None
    if plan is None or plan.memory is None:
        return
    if wait:
        group().barrier()
    for name in table_names(model):
        setattr(model, name, np.array(getattr(model, name)))
    model._wv = None
    plan.memory = None


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


def merge_updates(weights: Sequence[np.ndarray], bases: Sequence[np.ndarray],
                  plan: SharingPlan | None = None) -> float:
    """Apply every process's update since the last merge to each table, on every process (in place).

    ``W ← base + Σ_r (W_r − base)``: each table becomes its ``base`` (the merged table of the last sync,
    identical everywhere) plus the sum over the processes of what each changed since; ``base`` is then
    set to the result. Returns the seconds it took (waiting for the slowest process included).
    """
    dist = group()
    t0 = time.perf_counter()
    if plan is not None:  # shared tables: wait until no process writes, then only the leaders merge
        dist.barrier()
        if not (plan.leader and plan.machines > 1):
            dist.barrier()
            return time.perf_counter() - t0
    for W, base in zip(weights, bases):
        np.subtract(W, base, out=W)  # this process's (or machine's) update
        _collective(W, lambda t: dist.all_reduce_(t, "sum", group=plan.group if plan else None))
        W += base
        base[...] = W
    if plan is not None:
        dist.barrier()
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
    plan: SharingPlan | None = getattr(model, "_plan", None)
    one_copy = plan is not None and plan.machines == 1  # one machine, one shared copy: nothing to merge
    per_sync = max(1, -(-c.sync_words // step)) if c.sync_words and not one_copy else max(largest, 1)
    segments = max(1, -(-largest // per_sync))  # the same count on every process: the collectives pair up

    def trained(q: int, k: int) -> int:  # words process q trains in its first k segments
        a, b = shares[q]
        return max(0, min(min(a + k * per_sync, b) * step, len(ids)) - a * step)

    scaled_total = max(total_words // world, 1)
    job = model._epoch_job(scaled_total)
    eff = loss = pairs = 0
    sync_seconds = 0.0
    merged = tables(model)
    merging = plan is None or (plan.leader and plan.machines > 1)
    bases = [W.copy() for W in merged] if merging else []  # the tables as merged last (equal everywhere)
    if plan is not None:
        dist.barrier()  # shared tables: nobody writes before the leader has taken its copy
    for k in range(segments):
        j0 = min(ja + k * per_sync, jb)
        j1 = min(j0 + per_sync, jb)
        segment = ids[j0 * step:min(j1 * step, len(ids))]
        if len(segment):
            done = words_before + sum(trained(q, k) for q in range(world))  # all processes, before segment k
            e, l_, p = train_epoch_fast(model.W_in, model.W_out, segment, model.tables, c, epoch=epoch,
                                        words_before=done // world, total_words=scaled_total, workers=workers,
                                        on_progress=on_progress, job=job, first_job=j0, spread=model._spread_jobs)
            eff, loss, pairs = eff + e, loss + l_, pairs + p
        sync_seconds += merge_updates(merged, bases, plan)
    eff, loss, pairs = dist.all_sum([eff, loss, pairs])
    return int(eff), float(loss), int(pairs), {"syncs": segments, "sync_seconds": sync_seconds}
