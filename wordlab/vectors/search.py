"""Exact top-k cosine search that reads a quarter of the memory: an int8 pre-filter with a proven bound.

A 300k x 300 float32 unit matrix is 360 MB; one query must read all of it, so a plain
matrix-vector product is bound by memory bandwidth (about 20-25 ms here). This index keeps each
unit row x also as int8 codes c with a per-row scale s (``x ≈ s c``, 90 MB) and the exact residual
norm ``e = ||x - s c||``. For a query q, by Cauchy-Schwarz

    | q·x - s (q·c) |  <=  ||q|| e

so ``lb = s q·c - ||q|| e`` and ``ub = s q·c + ||q|| e`` bracket every true score. With τ the k-th
largest lower bound, at least k rows score >= τ, hence every row of the true top k has ub >= τ.
Only those candidates (typically tens of rows) are re-scored exactly in float32 and sorted: the
result equals a full scan's, not an approximation. A small absolute slack covers float rounding.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..cpus import num_threads

logger = logging.getLogger(__name__)


def unit_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows / ||row||, norms) in float32; all-zero rows stay zero instead of becoming NaN."""
    norms = np.linalg.norm(matrix, axis=1).astype(np.float32)  # (n,)
    safe = np.where(norms > 0, norms, np.float32(1))
    return (matrix / safe[:, None]).astype(np.float32, copy=False), norms


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``scores``, largest first (argpartition, then sort only those k)."""
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k < scores.shape[0]:
        part = np.argpartition(scores, -k)[-k:]
    else:
        part = np.arange(scores.shape[0])
    return part[np.argsort(-scores[part], kind="stable")]

def _int8_scores(codes, scale, out, q):  # pragma: no cover - compiled by jit()
    n, d = codes.shape
    for i in range(n):
        acc = np.float32(0.0)
        for j in range(d):
            acc += np.float32(codes[i, j]) * q[j]
        out[i] = acc * scale[i]


def _quantize(unit, codes, scale, error):  # pragma: no cover - compiled by jit()
    n, d = unit.shape
    for i in range(n):
        peak = 0.0
        for j in range(d):
            peak = max(peak, abs(unit[i, j]))
        s = np.float32(peak / 127.0) if peak > 0 else np.float32(1.0)
        scale[i] = s
        err = 0.0
        for j in range(d):
            c = min(127.0, max(-127.0, np.rint(unit[i, j] / s)))
            codes[i, j] = np.int8(c)
            r = np.float64(unit[i, j]) - np.float64(s) * c
            err += r * r
        error[i] = np.sqrt(err)


def _int8_scores_many(codes, scale, out, q):  # pragma: no cover - compiled by jit()
    """``out[b, i] = scale[i] * (codes[i] · q[b])``, two rows x four queries per tile (8 accumulators, each
    widened code and query element used four / two times from registers: about 2x a row-at-a-time loop)."""
    n, d = codes.shape
    nq = q.shape[0]
    r0 = np.empty(d, dtype=np.float32)
    r1 = np.empty(d, dtype=np.float32)
    i = 0
    while i + 1 < n:
        for j in range(d):
            r0[j] = np.float32(codes[i, j])
            r1[j] = np.float32(codes[i + 1, j])
        s0, s1 = scale[i], scale[i + 1]
        b = 0
        while b + 3 < nq:
            a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = np.float32(0.0)
            for j in range(d):
                x0, x1 = r0[j], r1[j]
                y0, y1, y2, y3 = q[b, j], q[b + 1, j], q[b + 2, j], q[b + 3, j]
                a00 += x0 * y0
                a01 += x0 * y1
                a02 += x0 * y2
                a03 += x0 * y3
                a10 += x1 * y0
                a11 += x1 * y1
                a12 += x1 * y2
                a13 += x1 * y3
            out[b, i], out[b + 1, i], out[b + 2, i], out[b + 3, i] = a00 * s0, a01 * s0, a02 * s0, a03 * s0
            out[b, i + 1], out[b + 1, i + 1] = a10 * s1, a11 * s1
            out[b + 2, i + 1], out[b + 3, i + 1] = a12 * s1, a13 * s1
            b += 4
        while b < nq:
            a0 = a1 = np.float32(0.0)
            for j in range(d):
                a0 += r0[j] * q[b, j]
                a1 += r1[j] * q[b, j]
            out[b, i], out[b, i + 1] = a0 * s0, a1 * s1
            b += 1
        i += 2
    while i < n:
        for b in range(nq):
            acc = np.float32(0.0)
            for j in range(d):
                acc += np.float32(codes[i, j]) * q[b, j]
            out[b, i] = acc * scale[i]
        i += 1


_JITTED: dict = {}


def jit(fn, **options):
    """``numba.njit(cache=True, nogil=True, **options)(fn)``, compiled on first use (numba imports in ~1 s,
    so ``import wordlab.vectors`` stays cheap); None when numba is not installed."""
    if fn not in _JITTED:
        try:
            import numba
        except ImportError:  # pragma: no cover - numba is a declared dependency
            _JITTED[fn] = None
        else:
            _JITTED[fn] = numba.njit(cache=True, nogil=True, **options)(fn)
    return _JITTED[fn]


_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=num_threads(), thread_name_prefix="wordlab-search")
    return _POOL


def _run_split(kernel, n_rows: int, arrays_by_rows: tuple, shared: tuple, min_rows: int = 20000) -> None:
    """Run a nogil ``kernel(*row_slices, *shared)`` over row blocks on a small thread pool.

    Plain OS threads instead of numba's parallel loops: on a busy machine an OpenMP barrier waits
    for the slowest core, while independent blocks just finish when they get their turn.
    """
    parts = min(num_threads(), max(1, n_rows // min_rows))
    if parts == 1:
        kernel(*(a[:n_rows] for a in arrays_by_rows), *shared)
        return
    bounds = np.linspace(0, n_rows, parts + 1).astype(int)
    futures = [_pool().submit(kernel, *(a[lo:hi] for a in arrays_by_rows), *shared)
               for lo, hi in zip(bounds[:-1], bounds[1:])]
    for f in futures:
        f.result()


ROUNDING_SLACK = 1e-4  # absolute, per unit of ||q||: far above float32 accumulation error over d terms


class Int8Index:
    """int8 codes of a unit-row matrix for exact top-k cosine search (see the module docstring)."""

    def __init__(self, unit: np.ndarray) -> None:
        unit = np.ascontiguousarray(unit, dtype=np.float32)
        n, d = unit.shape
        self.codes = np.empty((n, d), dtype=np.int8)  # (n, d)
        self.scale = np.empty(n, dtype=np.float32)  # (n,)
        error = np.empty(n, dtype=np.float64)  # (n,) exact ||x - s c||
        _run_split(jit(_quantize), n, (unit, self.codes, self.scale, error), ())
        self.error = (error * (1 + 1e-6) + ROUNDING_SLACK).astype(np.float32)

    def approx_scores(self, q: np.ndarray, n_rows: int) -> np.ndarray:
        """``s_i (q · c_i)`` for the first ``n_rows`` rows, float32 ``(n_rows,)``."""
        out = np.empty(n_rows, dtype=np.float32)
        q = np.ascontiguousarray(q, dtype=np.float32)
        _run_split(jit(_int8_scores, fastmath=True), n_rows, (self.codes, self.scale, out), (q,), min_rows=50000)
        return out

    def approx_scores_many(self, queries: np.ndarray, n_rows: int) -> np.ndarray:
        """``approx_scores`` of every row of ``queries`` (B, d) at once, float32 ``(B, n_rows)``.

        Each row's codes are read and widened to float32 once for the whole batch, and multiplied by the
        queries in register tiles, so under load a query costs about half of a lone :meth:`approx_scores`.
        """
        q = np.ascontiguousarray(queries, dtype=np.float32)  # (B, d)
        out = np.empty((q.shape[0], n_rows), dtype=np.float32)
        kernel = jit(_int8_scores_many, fastmath=True)
        parts = min(num_threads(), max(1, n_rows // 50000))
        bounds = np.linspace(0, n_rows, parts + 1).astype(int)
        if parts == 1:
            kernel(self.codes[:n_rows], self.scale[:n_rows], out, q)
            return out
        pool = _pool()
        futures = [pool.submit(kernel, self.codes[lo:hi], self.scale[lo:hi], out[:, lo:hi], q)
                   for lo, hi in zip(bounds[:-1], bounds[1:])]
        for f in futures:
            f.result()
        return out

    def search_many(self, unit: np.ndarray, queries: np.ndarray, k: int, n_rows: int
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`search` for every row of ``queries`` (B, d); one pass over the codes for the batch."""
        if len(queries) == 1:
            return [self.search(unit, queries[0], k, n_rows)]
        return [self._refine(unit, q, approx, k, n_rows)
                for q, approx in zip(queries, self.approx_scores_many(queries, n_rows))]

    def search(self, unit: np.ndarray, q: np.ndarray, k: int, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact ``(indices, scores)`` of the ``k`` rows of ``unit[:n_rows]`` with the largest ``unit @ q``."""
        return self._refine(unit, q, self.approx_scores(q, n_rows), k, n_rows)

    def _refine(self, unit: np.ndarray, q: np.ndarray, approx: np.ndarray, k: int, n_rows: int
                ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top ``k`` from the approximate scores: bound, keep the candidates, re-score them in float32."""
        k = min(k, n_rows)
        slack = self.error[:n_rows] * np.float32(np.linalg.norm(q))  # (R,)
        if n_rows >= 64 * k:
            # tau from every 16th row is <= the k-th largest lower bound over all rows (a subset's k-th largest
            # is no larger), so the rows with upper bound >= it hold the k best lower bounds: the exact tau
            # is then found among them instead of by a partition of all rows.
            sub = approx[::16] - slack[::16]
            tau0 = np.partition(sub, len(sub) - k)[len(sub) - k]
            upper = approx + slack
            pre = np.flatnonzero(upper >= tau0)  # (m0,) at least k rows: the subset's own k best
            lower = approx[pre] - slack[pre]
            tau = np.partition(lower, len(pre) - k)[len(pre) - k]  # k-th largest lower bound
            cand = pre[upper[pre] >= tau]  # every row of the true top k is here
        else:
            lower = approx - slack
            tau = np.partition(lower, n_rows - k)[n_rows - k]  # k-th largest lower bound
            approx += slack  # now the upper bounds
            cand = np.flatnonzero(approx >= tau)  # every row of the true top k is here
        exact = unit[cand] @ q  # (m,)
        order = top_k(exact, k)
        return cand[order], exact[order]


def build_index(unit: np.ndarray) -> Int8Index | None:
    """An :class:`Int8Index` of ``unit``, or None when numba is missing."""
    if jit(_quantize) is None or jit(_int8_scores, fastmath=True) is None:
        return None
    logger.debug("building int8 search index for %s vectors", unit.shape)
    return Int8Index(unit)
