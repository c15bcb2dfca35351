"""Batched exact neighbour search for the server: an int8 × int8 GEMM (FBGEMM, through torch) and a running bound.

:class:`~wordlab.vectors.search.Int8Index` keeps each unit row ``x_i`` as int8 codes ``c_i`` with a scale ``s_i``
and the exact residual norm ``e_i = ||x_i - s_i c_i||``. Here each query ``q_b`` of a batch is quantized too:
``Q_b = round(t_b q_b)``, integers in [-63, 63] with ``t_b = 63 / max_j |q_bj|``, and its residual
``r_b = q_b - Q_b / t_b`` is known exactly. Then

    x_i · q_b  =  s_i (c_i · Q_b) / t_b  +  (x_i - s_i c_i) · q_b  +  s_i c_i · r_b

so by Cauchy–Schwarz the approximate score ``a_bi = s_i (c_i · Q_b) / t_b`` is within
``U_b = E ||q_b|| + W ||r_b||`` of the true one (``E = max e_i`` with the index's rounding slack,
``W = max ||s_i c_i||``). With ``A_b`` the k-th largest ``a_bi``, the k-th best true score is at least
``A_b - U_b``, so every row of the true top k has ``a_bi >= A_b - 2 U_b``: only those rows (tens) are
re-scored exactly in float32. The result is a full scan's, not an approximation.

``c_i · Q_b`` is a product of integers, which FBGEMM's dynamic-quantized linear computes exactly: the batch
gets a pin row holding -64 and 63, so its per-tensor quantization has scale 1 and zero point 64 (the
integers pass unchanged), and ``reduce_range`` keeps the unsigned operand in [0, 127], so the u8 × s8
multiply-add pairs (AVX2 ``vpmaddubsw``) never saturate int16; |c · Q| <= 300 · 127 · 63 < 2^24 is exact in
float32. :func:`build_gemm` checks this on sample rows against int64 arithmetic and returns None (the
caller keeps the numba kernel) if the build does anything else.

Rows are scanned in blocks whose (B, rows) scores stay in cache; a numba filter keeps, per query, the rows
with ``a_bi`` at or above a running threshold (the k-th largest ``a`` seen so far minus ``2 U_b``; it
only rises, so no row of the final candidate set is dropped early).
"""

from __future__ import annotations

import logging
import warnings
from concurrent.futures import Executor

import numpy as np

from ..vectors.search import Int8Index, jit, top_k

logger = logging.getLogger(__name__)

LEVELS = 63           # query codes in [-LEVELS, LEVELS]; the pin row adds -64 so the range is exactly 127 wide
BLOCK_ROWS = 32768    # rows per GEMM call at most: (B + 1) x BLOCK_ROWS float32 scores stay in L2/L3
CAPACITY = 4096       # candidate slots per query before a compaction raises its threshold


def _collect(scores, offset, inv_t, slack2, k, thr, count, cand_idx, cand_val, overflow):  # pragma: no cover - jit
    """Append rows ``offset + i`` with ``a = scores[b, i] * inv_t[b] >= thr[b]`` to query b's candidate slots.

    A full buffer is compacted: its k-th largest ``a`` minus ``slack2[b]`` becomes the new threshold (the
    k-th largest of every row seen, since every row above the old threshold is kept). A buffer that stays
    full after compaction (many tied scores) marks the query in ``overflow``; the caller answers it another way.
    """
    nq = inv_t.shape[0]
    m = scores.shape[1]
    cap = cand_idx.shape[1]
    for b in range(nq):
        if overflow[b]:
            continue
        t = thr[b]
        it = inv_t[b]
        c = count[b]
        for i0 in range(0, m, 16):
            i1 = min(m, i0 + 16)
            peak = scores[b, i0]
            for i in range(i0 + 1, i1):  # vectorised: most chunks of 16 hold no candidate at all
                peak = max(peak, scores[b, i])
            if peak * it < t:
                continue
            for i in range(i0, i1):
                a = scores[b, i] * it
                if a < t:
                    continue
                if c == cap:
                    kth = np.partition(cand_val[b, :c].copy(), c - k)[c - k]
                    t = max(t, kth - slack2[b])
                    j = 0
                    for h in range(c):
                        if cand_val[b, h] >= t:
                            cand_idx[b, j] = cand_idx[b, h]
                            cand_val[b, j] = cand_val[b, h]
                            j += 1
                    c = j
                    if c == cap:
                        overflow[b] = True
                        break
                    if a < t:
                        continue
                cand_idx[b, c] = offset + i
                cand_val[b, c] = a
                c += 1
            if overflow[b]:
                break
        thr[b] = t
        count[b] = c


class Int8Gemm:
    """FBGEMM-packed blocks of an :class:`Int8Index`'s codes for exact batched top-k search."""

    def __init__(self, index: Int8Index, block_rows: int = BLOCK_ROWS) -> None:
        import torch

        n, d = index.codes.shape
        self.n, self.d = n, d
        self.bound_e = float(index.error.max())  # E: residual of the rows, with the index's rounding slack
        norms = np.sqrt(np.einsum("ij,ij->i", index.codes, index.codes, dtype=np.float64))  # (n,) ||c_i||
        self.bound_w = float((norms * index.scale).max()) * (1 + 1e-5)  # W >= max ||s_i c_i||
        self.blocks: list[tuple[int, object]] = []
        scale = torch.from_numpy(index.scale.astype(np.float64))
        zero = torch.zeros(n, dtype=torch.long)
        with warnings.catch_warnings():  # torch marks quantized tensor construction deprecated; FBGEMM is the op
            warnings.simplefilter("ignore", UserWarning)
            parts = 2 * -(-n // (2 * block_rows))  # an even number of equal blocks: two threads, equal halves
            step = -(-n // parts)
            for lo in range(0, n, step):
                hi = min(n, lo + step)
                w = torch._make_per_channel_quantized_tensor(torch.from_numpy(index.codes[lo:hi]), scale[lo:hi],
                                                             zero[lo:hi], 0)
                self.blocks.append((lo, torch.ops.quantized.linear_prepack(w, None)))

    def _block_scores(self, x, packed):
        import torch

        return torch.ops.quantized.linear_dynamic(x, packed, True).numpy()  # (B + 1, rows) = s_i (c_i · X_b)

    def _quantize(self, queries: np.ndarray):
        """Integer queries with the pin row, ``1 / t_b`` and the bound ``2 U_b`` for each query."""
        import torch

        peak = np.abs(queries).max(1).astype(np.float64)  # (B,)
        t = np.where(peak > 0, LEVELS / np.where(peak > 0, peak, 1.0), 1.0)  # (B,)
        codes = np.clip(np.rint(queries * t[:, None]), -LEVELS, LEVELS)  # (B, d) integers
        resid = np.linalg.norm(queries - codes / t[:, None], axis=1)  # (B,) exact in float64
        pin = np.zeros((1, self.d))
        pin[0, 0], pin[0, 1 % self.d] = -LEVELS - 1, LEVELS
        x = torch.from_numpy(np.concatenate([codes, pin]).astype(np.float32))  # (B + 1, d)
        bound = self.bound_e * np.linalg.norm(queries, axis=1) + self.bound_w * resid + 1e-5  # (B,) U_b
        return x, (1.0 / t).astype(np.float32), (2 * bound).astype(np.float32)

    def check(self, rng: np.random.Generator, rows: int = 64) -> tuple[np.ndarray, np.ndarray, int]:
        """The GEMM's scores of integer queries (the largest products, random ones, the pin row) on the first
        ``rows`` rows of the last block: ``(scores (5, rows), queries (5, d), first row)``."""
        import torch

        lo, packed = self.blocks[-1]
        x = rng.integers(-LEVELS, LEVELS + 1, size=(5, self.d)).astype(np.float32)
        x[0] = np.where(np.arange(self.d) % 2 == 0, LEVELS, -LEVELS)  # the largest products
        x[1] = -x[0]
        x[-1] = 0
        x[-1, 0], x[-1, 1 % self.d] = -LEVELS - 1, LEVELS  # the pin row
        got = self._block_scores(torch.from_numpy(x), packed)[:, :rows]  # (5, rows)
        return got, x, lo

    def _scan(self, x, inv_t: np.ndarray, slack2: np.ndarray, k: int, blocks: list) -> tuple:
        """GEMM and candidate filter over ``blocks``: per query, its kept (row, approximate score) slots."""
        nq = len(inv_t)
        thr = np.full(nq, -np.inf, dtype=np.float32)
        count = np.zeros(nq, dtype=np.int64)
        cand_idx = np.empty((nq, CAPACITY), dtype=np.int64)
        cand_val = np.empty((nq, CAPACITY), dtype=np.float32)
        overflow = np.zeros(nq, dtype=np.bool_)
        collect = jit(_collect, fastmath=True)
        for lo, packed in blocks:
            collect(self._block_scores(x, packed), lo, inv_t, slack2, k, thr, count, cand_idx, cand_val, overflow)
        return count, cand_idx, cand_val, overflow

    def candidates(self, queries: np.ndarray, k: int, pool: Executor | None = None) -> list[np.ndarray | None]:
        """For each query, the row indices that can be in its top ``k`` (None: ask the exact fallback).

        ``pool``: a one-thread executor that scans every other block while this thread scans the rest (each
        half keeps the rows above its own running threshold, which is at most the whole matrix's).
        """
        x, inv_t, slack2 = self._quantize(np.ascontiguousarray(queries, dtype=np.float64))
        if pool is None or len(self.blocks) < 2:
            parts = [self._scan(x, inv_t, slack2, k, self.blocks)]
        else:
            other = pool.submit(self._scan, x, inv_t, slack2, k, self.blocks[1::2])
            parts = [self._scan(x, inv_t, slack2, k, self.blocks[0::2]), other.result()]
        out: list[np.ndarray | None] = []
        for b in range(len(queries)):
            if any(p[3][b] for p in parts):
                out.append(None)
                continue
            idx = np.concatenate([p[1][b, :p[0][b]] for p in parts])
            vals = np.concatenate([p[2][b, :p[0][b]] for p in parts])
            c = len(vals)
            if c < k:
                out.append(None)
                continue
            tau = np.partition(vals, c - k)[c - k] - slack2[b]  # A_b - 2 U_b
            out.append(idx[vals >= tau])
        return out

    def search_many(self, unit: np.ndarray, queries: np.ndarray, k: int, pool: Executor | None = None
                    ) -> list[tuple[np.ndarray, np.ndarray] | None]:
        """Exact ``(indices, scores)`` of the top ``k`` rows of ``unit`` for each query (None: not answered)."""
        out: list[tuple[np.ndarray, np.ndarray] | None] = []
        for q, cand in zip(queries, self.candidates(queries, k, pool)):
            if cand is None:
                out.append(None)
                continue
            exact = unit[cand] @ q  # (m,)
            order = top_k(exact, k)
            out.append((cand[order], exact[order]))
        return out


def build_gemm(index: Int8Index) -> Int8Gemm | None:
    """An :class:`Int8Gemm` of ``index`` when torch's FBGEMM int8 linear is there and exact, else None."""
    if jit(_collect, fastmath=True) is None:
        return None
    try:
        import torch

        if "fbgemm" not in torch.backends.quantized.supported_engines:
            return None
        gemm = Int8Gemm(index)
        got, x, lo = gemm.check(np.random.default_rng(0))
    except (ImportError, AttributeError, RuntimeError) as e:  # no torch, or quantized ops gone from this build
        logger.debug("int8 GEMM unavailable (%s); the numba kernel answers batches", e)
        return None
    rows = got.shape[1]
    codes = index.codes[lo:lo + rows].astype(np.int64)  # (rows, d)
    exact = (x.astype(np.int64) @ codes.T) * index.scale[lo:lo + rows].astype(np.float64)  # (5, rows)
    if not np.array_equal(got.astype(np.float64), exact.astype(np.float32).astype(np.float64)):
        err = float(np.abs(got - exact).max())
        logger.warning("torch's int8 GEMM is not exact on integer queries here (max error %.3g); "
                       "the numba kernel answers batches", err)
        return None
    return gemm
