"""Word-vector queries for the server: exact neighbour search (int8 pre-filter), completion, 2-D map."""

from __future__ import annotations

import asyncio
import bisect
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError, DataError
from ..vectors.search import build_index, top_k
from .gemm import build_gemm

GEMM_MIN_BATCH = 2  # a lone query: the numba kernel (memory-bound, two threads); more: the int8 GEMM


class UnknownWord(DataError):
    """A query word the vectors do not have."""


class VectorIndex:
    """Unit vectors of a ``KeyedVectors`` (fastText: out-of-vocabulary words from their subwords).

    Matrices of at least ``int8_min_size`` entries get the library's int8 pre-filter
    (:mod:`wordlab.vectors.search`): a quarter of the memory read per query, same top k as a full scan.
    Batches of at least ``GEMM_MIN_BATCH`` queries go through the int8 × int8 GEMM of :mod:`.gemm`
    (``gemm=False``: the numba kernel for every batch).
    """

    def __init__(self, kv: Any, int8_min_size: int = 4_000_000, gemm: bool = True) -> None:
        self.kv = kv
        self.words: list[str] = list(kv.index_to_key)
        self.unit = np.ascontiguousarray(kv.get_normed_vectors(), dtype=np.float32)
        self._int8 = build_index(self.unit) if self.unit.size >= int8_min_size else None
        self._gemm = build_gemm(self._int8) if gemm and self._int8 is not None else None
        self._sorted = sorted((w.lower(), i) for i, w in enumerate(self.words))
        self._sorted_keys = [w for w, _ in self._sorted]
        self._maps: dict[tuple[int, str], dict] = {}

    def __len__(self) -> int:
        return len(self.words)

    def vector(self, word: str) -> np.ndarray:
        """Unit vector of ``word``; :class:`UnknownWord` when the vectors have none."""
        i = self.kv.key_to_index.get(word, -1)
        if i >= 0:
            return self.unit[i]
        has = getattr(self.kv, "has_vector", None)
        if has is not None and has(word):                 # fastText: built from its character n-grams
            v = np.asarray(self.kv.get_vector(word), dtype=np.float32)
            n = float(np.linalg.norm(v))
            if n > 0:
                return v / n
        raise UnknownWord(f"{word!r} is not in the vocabulary")

    def index(self, word: str) -> int | None:
        i = self.kv.key_to_index.get(word, -1)
        return i if i >= 0 else None

    def search_many(self, queries: np.ndarray, k: int, exclude: Sequence[set[int]], pool: Executor | None = None
                    ) -> list[list[tuple[str, float]]]:
        """Exact top ``k`` (word, cosine) for each row of ``queries`` (B, d), the query's own words excluded.

        ``pool``: a one-thread executor that takes half of a batch's GEMM blocks."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        n = len(self.words)
        kk = min(n, k + max((len(e) for e in exclude), default=0))
        if self._int8 is not None and kk < n // 4:
            if self._gemm is not None and len(queries) >= GEMM_MIN_BATCH:
                found = self._gemm.search_many(self.unit, queries, kk, pool)
                for b, f in enumerate(found):
                    if f is None:  # too many tied scores for its candidate slots: the per-query bound decides
                        found[b] = self._int8.search(self.unit, queries[b], kk, n)
            else:
                found = self._int8.search_many(self.unit, queries, kk, n)
        else:
            found = []
            for q in queries:  # small matrices: a full scan, row by row as KeyedVectors.most_similar does
                scores = self.unit @ q  # (n,)
                idx = top_k(scores, kk)
                found.append((idx, scores[idx]))
        return [[(self.words[i], s) for i, s in zip(idx.tolist(), scores.tolist()) if i not in ex][:k]
                for (idx, scores), ex in zip(found, exclude)]

    def complete(self, prefix: str, limit: int) -> list[str]:
        """Words starting with ``prefix`` (case-insensitive), most frequent (earliest in the file) first."""
        p = prefix.lower()
        lo = bisect.bisect_left(self._sorted_keys, p)
        hits: list[int] = []
        for j in range(lo, min(len(self._sorted), lo + 5000)):
            w, i = self._sorted[j]
            if not w.startswith(p):
                break
            hits.append(i)
        return [self.words[i] for i in sorted(hits)[:limit]]

    def cosmul(self, positive: list[str], negative: list[str], topn: int) -> list[tuple[str, float]]:
        """3CosMul (Levy & Goldberg 2014) over every word."""
        num = np.ones(len(self.words), dtype=np.float32)
        den = np.ones(len(self.words), dtype=np.float32)
        for w in positive:
            num *= (1 + self.unit @ self.vector(w)) / 2
        for w in negative:
            den *= (1 + self.unit @ self.vector(w)) / 2
        scores = num / (den + np.float32(1e-6))
        ex = {i for i in (self.index(w) for w in positive + negative) if i is not None}
        best = np.argpartition(-scores, min(len(scores) - 1, topn + len(ex)))[:topn + len(ex)]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in best if i not in ex][:topn]

    def coordinates(self, n: int, method: str = "pca") -> dict:
        """2-D coordinates of the first ``n`` words (PCA; t-SNE when scikit-learn is installed), cached."""
        n = min(n, len(self.words))
        key = (n, method)
        if key not in self._maps:
            x = self.unit[:n].astype(np.float64)
            if method == "pca":
                x = x - x.mean(0)
                _, s, vt = np.linalg.svd(x, full_matrices=False)
                xy = x @ vt[:2].T if vt.shape[0] >= 2 else np.c_[x @ vt[:1].T, np.zeros(n)]
            elif method == "tsne":
                try:
                    from sklearn.manifold import TSNE
                except ImportError:
                    raise ConfigError("the t-SNE map needs scikit-learn (pip install scikit-learn); "
                                      "use method=pca") from None
                xy = TSNE(2, init="pca", random_state=0, perplexity=min(30.0, max(2.0, (n - 1) / 3))).fit_transform(x)
            else:
                raise ConfigError(f"unknown map method {method!r}; use pca or tsne")
            self._maps[key] = {"method": method, "words": self.words[:n], "x": [round(float(v), 5) for v in xy[:, 0]],
                               "y": [round(float(v), 5) for v in xy[:, 1]]}
        return self._maps[key]


async def _one_torch_thread(loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor) -> None:
    """Give ``executor``'s thread one torch intra-op thread, leaving every other thread's count as it was.

    The int8 GEMM of a pass runs there. On a small machine its OpenMP team would wait at barriers for cores
    that the event loop (and the clients) are using: measured on 2 vCPUs, one thread costs about half the
    CPU per query of two. ``torch.set_num_threads`` also sets the default that threads not yet using torch
    pick up, so that default is put back from this thread (which keeps its own count) right after.
    """
    import torch

    before = torch.get_num_threads()

    def one() -> None:
        torch.get_num_threads()  # this thread takes the default now, so the reset below cannot reach it
        torch.set_num_threads(1)

    await loop.run_in_executor(executor, one)
    torch.set_num_threads(before)


@dataclass
class _Pending:
    query: np.ndarray
    k: int
    exclude: set[int]
    future: asyncio.Future = field(repr=False)
    arrived: float = 0.0  # the event loop's clock when the query was queued


class MicroBatcher:
    """Neighbour queries that arrive while a pass runs are answered together by the next pass.

    Under load every pass takes all queries queued meanwhile (up to ``max_batch``), so the vectors are
    read once per batch instead of once per request. A pass starts when the oldest queued query has
    waited ``window`` seconds (or the batch is full): every pass reads all the int8 codes (90 MB for
    300k x 300) whatever its size, so at a steady request rate a short wait buys several queries per
    read instead of one. Passes run one at a time on a thread of their own, with a helper thread for half of the GEMM. ``enabled=False`` gives one
    scan per request (the baseline).
    """

    def __init__(self, index: VectorIndex, max_batch: int = 64, enabled: bool = True, window: float = 0.005
                 ) -> None:
        self.index, self.max_batch, self.enabled = index, max_batch, enabled
        self.window = window
        self._queue: list[_Pending] = []
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None  # runs the passes
        self._helper: ThreadPoolExecutor | None = None  # scans half of a pass's GEMM blocks
        self.passes = 0
        self.answered = 0

    async def query(self, vector: np.ndarray, k: int, exclude: set[int]) -> list[tuple[str, float]]:
        if not self.enabled:
            self.passes += 1
            self.answered += 1
            res = await asyncio.to_thread(self.index.search_many, vector[None, :], k, [exclude])
            return res[0]
        loop = asyncio.get_running_loop()
        if self._worker is None or self._worker.done() or self._worker.get_loop() is not loop:
            self._wake = asyncio.Event()
            self._queue = []
            self._worker = loop.create_task(self._run())
        item = _Pending(vector, k, exclude, loop.create_future(), loop.time())
        self._queue.append(item)
        self._wake.set()  # type: ignore[union-attr]
        return await item.future

    async def _gather(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait until the oldest queued query is ``window`` seconds old or ``max_batch`` queries wait."""
        while self._queue and len(self._queue) < self.max_batch:
            left = self._queue[0].arrived + self.window - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(min(left, 0.001))

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wordlab-batch")
            self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wordlab-batch-half")
            await _one_torch_thread(loop, self._executor)
            await _one_torch_thread(loop, self._helper)
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self.window > 0:
                await self._gather(loop)
            while self._queue:
                batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
                batch = [b for b in batch if not b.future.done()]  # a cancelled request costs nothing
                if not batch:
                    continue
                k = max(b.k for b in batch)
                try:
                    res = await loop.run_in_executor(self._executor, self.index.search_many,
                                                     np.stack([b.query for b in batch]), k, [b.exclude for b in batch],
                                                     self._helper)
                except Exception as e:  # pragma: no cover - reported to every waiting request
                    for b in batch:
                        if not b.future.done():
                            b.future.set_exception(e)
                    continue
                self.passes += 1
                self.answered += len(batch)
                for b, r in zip(batch, res):
                    if not b.future.done():
                        b.future.set_result(r[:b.k])
