"""The fast CPU trainer: ``workers`` Python threads run the ``nogil`` numba kernel on jobs.

The corpus (an ``int32`` id array) is cut into jobs of ``batch_words`` words. Each thread
takes the next job number from a shared counter, trains it with
:func:`wordlab.word2vec.kernel.train_job` (which releases the GIL) and reports
``(words, effective words, loss)`` to the calling thread, which updates the progress bar
between kernel calls. Job ``j`` of epoch ``e`` draws its random numbers from a seed mixed
from ``(seed, e, j)``, so with one worker the result does not depend on timing at all.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..text.sampling import keep_probability, noise_distribution
from .checks import check_kernel_inputs
from .config import Word2VecConfig

ProgressFn = Callable[[int, int, float, int], None]  # (words, effective words, loss sum, loss pairs)
JobFn = Callable[[np.ndarray, int, int], tuple[int, float, int]]  # (ids, words before, seed) -> as train_job

LOSS_EVERY = 16  # measure the loss on every 16th centre word (the log is not free)


@dataclass(frozen=True)
class SamplingTables:
    """Per-word subsampling thresholds and the noise distribution's alias table.

    ``sample_int[w] = keep(w) * 2**32`` (a word survives when a 32-bit random number is below
    it); ``accept`` / ``alias``: Walker's alias table of ``count ** ns_exponent`` (O(1) draws).
    """

    sample_int: np.ndarray  # (V,) int64
    accept: np.ndarray  # (V,) int64
    alias: np.ndarray  # (V,) int32
    noise: np.ndarray  # (V,) float64, the noise distribution itself

    eos: int = -1  # the sentence-boundary id (never trained, never drawn as noise), -1 for none

    @classmethod
    def build(cls, counts: np.ndarray, config: Word2VecConfig, eos: int = -1) -> "SamplingTables":
        """Tables for a vocabulary's ``counts``.

        The subsampling threshold is ``sample`` times the number of *retained* training words (the
        vocabulary's counts, ``<eos>`` left out), as gensim's ``retain_total`` and the C tool's
        ``train_words``, not the corpus size with pruned words included.
        """
        from .kernel import alias_table

        words = np.array(counts, dtype=np.int64)  # the training words: <eos> is a boundary, not a word
        if eos >= 0:
            words[eos] = 0
        keep = keep_probability(counts, config.sample, int(words.sum())).astype(np.float64)
        sample_int = np.minimum(np.round(keep * 2.0**32), 2.0**32).astype(np.int64)
        noise = noise_distribution(words, config.ns_exponent)
        accept, alias = alias_table(noise)
        return cls(sample_int, accept, alias, noise, eos)


def job_seed(seed: int, epoch: int, job: int) -> int:
    """A 48-bit seed for job ``job`` of epoch ``epoch`` (splitmix64 of the three)."""
    x = (seed * 0x9E3779B97F4A7C15 + epoch * 0xBF58476D1CE4E5B9 + job * 0x94D049BB133111EB + 1) & (2**64 - 1)
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & (2**64 - 1)
    x ^= x >> 31
    return x & (2**48 - 1)


def spread_order(jobs: int, parts: int) -> list[int]:
    """Jobs ``0 … jobs-1`` cut into ``parts`` contiguous parts, taken one from each part in turn."""
    bounds = [jobs * k // parts for k in range(parts + 1)]
    out = []
    for i in range(bounds[1] - bounds[0] + 1):
        out.extend(bounds[k] + i for k in range(parts) if bounds[k] + i < bounds[k + 1])
    return out


def train_epoch_fast(W_in: np.ndarray, W_out: np.ndarray, ids: np.ndarray, tables: SamplingTables,
                     config: Word2VecConfig, *, epoch: int, words_before: int, total_words: int,
                     workers: int, on_progress: ProgressFn | None = None,
                     job: JobFn | None = None, first_job: int = 0, spread: bool = False) -> tuple[int, float, int]:
    """One pass over ``ids`` with ``workers`` threads; returns ``(effective words, loss sum, loss pairs)``.

    ``words_before`` / ``total_words`` place this epoch on the linear α schedule of the whole run.
    ``job(chunk, words_before_chunk, seed)`` replaces word2vec's kernel call (fastText's kernel uses it).
    ``first_job``: the number of the first job (its seed's index) when ``ids`` is a slice of the epoch's
    array cut at a multiple of ``batch_words`` (a process's shard, :mod:`.parallel`).
    ``spread``: the threads work on distant parts of the text at once, as the C tools' threads do (each its
    own contiguous part of the file): the jobs are taken in the order part 0, part 1, …, part 0, … of
    ``workers`` contiguous parts, instead of in text order, where the threads train neighbouring chunks —
    the same article, the same words — together and Hogwild's overlapping writes fall on the same rows.
    α follows the words trained so far (the order the jobs are taken in), as the tools' global count does;
    each job keeps its own seed, so a run is reproducible for a given number of threads.
    """
    from .kernel import train_job

    if job is None:  # the kernel has no bounds checks: every index it will follow must be in range
        check_kernel_inputs(W_in, W_out, ids, tables, config.vector_size)
    step = config.batch_words
    starts = list(range(0, len(ids), step))
    n_threads = max(1, min(workers, len(starts)))
    order = spread_order(len(starts), n_threads) if spread else range(len(starts))
    results: queue.Queue = queue.Queue()
    lock = threading.Lock()
    next_job = [0]
    stop = threading.Event()

    def worker() -> None:
        try:
            while not stop.is_set():
                with lock:
                    j = next_job[0]
                    next_job[0] += 1
                if j >= len(starts):
                    break
                p = order[j]  # the chunk; j: how many were taken before it (its place on the α schedule)
                s = starts[p]
                chunk = ids[s:s + step]
                seed = job_seed(config.seed, epoch, first_job + p)
                if job is not None:
                    eff, loss, pairs = job(chunk, words_before + j * step, seed)
                else:
                    eff, loss, pairs = train_job(
                        W_in, W_out, chunk, tables.sample_int, tables.accept, tables.alias, config.sg,
                        config.negative, config.window, config.alpha, config.min_alpha,
                        words_before + j * step, max(total_words, 1), step, seed, LOSS_EVERY, tables.eos)
                results.put((len(chunk), eff, loss, pairs))
        except BaseException as e:  # re-raised in the calling thread
            results.put(e)

    threads = [threading.Thread(target=worker, name=f"word2vec-{i}", daemon=True) for i in range(n_threads)]
    for t in threads:
        t.start()
    effective, loss_sum, loss_pairs = 0, 0.0, 0
    try:
        for _ in range(len(starts)):
            while True:
                try:
                    item = results.get(timeout=0.2)  # wake up for Ctrl-C
                    break
                except queue.Empty:
                    if not any(t.is_alive() for t in threads) and results.empty():
                        raise RuntimeError("word2vec worker threads stopped early") from None
            if isinstance(item, BaseException):
                raise item
            words, eff, loss, pairs = item
            effective += eff
            loss_sum += loss
            loss_pairs += pairs
            if on_progress is not None:
                on_progress(words, eff, loss, pairs)
    finally:
        stop.set()
        for t in threads:
            t.join()
    return effective, loss_sum, loss_pairs


def hs_job(W_in: np.ndarray, W_out: np.ndarray, W_hs: np.ndarray, tree, tables: SamplingTables, c,
           total_words: int):
    """The per-chunk kernel call (``job(chunk, words_before, seed)``) of word2vec with hierarchical softmax
    (``W_hs`` holds the inner nodes of ``tree``), its inputs checked once here and each chunk's ids per call."""
    from .checks import check_chunk_ids, check_hs_inputs, check_kernel_inputs
    from .kernel import train_job_hs

    t = tables
    check_kernel_inputs(W_in, W_out, np.zeros(0, np.int32), t, c.vector_size)
    offsets, points, labels = check_hs_inputs(W_hs, tree, len(W_in), c.vector_size, label_is_code=False)
    V = len(W_in)

    def job(chunk: np.ndarray, before: int, seed: int):
        check_chunk_ids(chunk, V)
        return train_job_hs(W_in, W_out, W_hs, offsets, points, labels, chunk, t.sample_int, t.accept, t.alias, c.sg,
                            c.negative, c.hs, c.window, c.alpha, c.min_alpha, before, max(total_words, 1),
                            c.batch_words, seed, LOSS_EVERY, t.eos)

    return job
