"""Best and second-best answer of many analogy questions at once, from per-word cosine blocks.

Every score 3CosAdd or 3CosMul gives a candidate x depends on x only through cos(x, a), cos(x, b)
and cos(x, c). A section of the Google set has thousands of questions but only a few hundred
distinct words, so instead of one (d,)-by-(d, R) product per question we compute, block by block
of candidate columns, the cosines of the section's distinct words with the candidates::

    S = U_words @ U[c0:c1].T                      # (W, B): one GEMM per column block

and a compiled kernel combines three rows of S per question, ``S[b] + S[c] - S[a]`` (3CosAdd,
the cosine with b - a + c up to the positive factor 1 / ||b - a + c||) or
``s[b] s[c] / (s[a] + 1e-6)`` with ``s = (1 + S) / 2`` (3CosMul), keeping the running best and
second-best candidate of every question (the query words themselves excluded). The block width B
keeps S under ``max_memory_mb``; W x R x d multiply-adds replace Q x R x d.

A process that has not loaded numba yet pays ~0.5-1 s for it on the first kernel call (importing
numba, then initialising its CPU target), more than a small evaluation takes. So while numba is not
loaded and the job is small (``Q x R x d <= NUMPY_MAX_WORK``), the same best/second-best come from
NumPy and BLAS instead (:func:`best_two_numpy`: one GEMM of the questions' combined vectors for
3CosAdd, row gathers of S for 3CosMul), ~4x slower per question than the kernel but with nothing to
load; once numba is loaded (a second evaluation, word2vec training, a search index) the kernel runs.
``WORDLAB_ANALOGY_KERNEL=numpy|numba`` forces one path (benchmarks, tests).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from wordlab.vectors.search import _run_split, jit

CACHE_BYTES = 4 * 2**20  # target size of one (W, B) block of cosines
NUMPY_BLOCK_BYTES = 8 * 2**20  # target size of one (questions, R) block of scores on the NumPy path
#: largest Q x R x d (the whole evaluation's) done with NumPy while numba is not loaded: about where NumPy's
#: extra time over the kernel equals numba's start-up (benchmarks/vectors.py --only cold: 6.9k answered
#: questions x 15k rows x 100 dims cost the same both ways in a fresh process)
NUMPY_MAX_WORK = 1e10


def use_numpy(n_questions: int, n_rows: int, dim: int) -> bool:
    """Whether :func:`best_two` takes the NumPy path (see the module docstring)."""
    forced = os.environ.get("WORDLAB_ANALOGY_KERNEL", "auto").lower()
    if forced in ("numpy", "numba"):
        return forced == "numpy"
    return "numba" not in sys.modules and n_questions * n_rows * dim <= NUMPY_MAX_WORK


def _combine(ra, rb, rc, ia, ib, ic, best_i, best_v, second_v, sims, col0, cosmul):  # pragma: no cover - jit
    """Update best/second of questions (rows ra/rb/rc of ``sims``; query columns ia/ib/ic) over one block."""
    width = sims.shape[1]
    tmp = np.empty(width, dtype=np.float32)
    eps = np.float32(1e-6)
    for q in range(ra.shape[0]):
        a, b, c = sims[ra[q]], sims[rb[q]], sims[rc[q]]
        sv = second_v[q]
        above = 0  # a count, not a max: LLVM vectorises this reduction (it does not vectorise float max)
        if cosmul:
            for j in range(width):
                v = b[j] * c[j] / (a[j] + eps)
                tmp[j] = v
                above += v > sv
        else:
            for j in range(width):
                v = b[j] + c[j] - a[j]
                tmp[j] = v
                above += v > sv
        if above == 0:
            continue  # nothing in this block beats the current second best (the common case)
        bv, bi = best_v[q], best_i[q]
        for j in range(width):
            v = tmp[j]
            if v > sv:
                col = col0 + j
                if col == ia[q] or col == ib[q] or col == ic[q]:
                    continue
                if v > bv:
                    sv, bv, bi = bv, v, col
                else:
                    sv = v
        best_v[q], best_i[q], second_v[q] = bv, bi, sv


def best_two(unit: np.ndarray, ids: np.ndarray, n_rows: int, method: str, max_memory_mb: float = 256,
             kernel: str = "auto") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For questions ``ids`` (Q, >=3 columns a, b, c) → (best index, best score, second-best score).

    Candidates are rows ``[0, n_rows)`` of ``unit`` (unit-length rows), excluding each question's
    a, b, c. Scores are 3CosAdd's ``cos(x,b) + cos(x,c) - cos(x,a)`` or 3CosMul's (see module doc).
    ``kernel``: ``"numpy"``, ``"numba"`` or ``"auto"`` (:func:`use_numpy` on this call's size).
    """
    if kernel == "numpy" or (kernel == "auto" and use_numpy(len(ids), n_rows, unit.shape[1])):
        return best_two_numpy(unit, ids, n_rows, method, max_memory_mb)
    n_q = len(ids)
    best_i = np.full(n_q, -1, dtype=np.int64)
    best_v = np.full(n_q, -np.inf, dtype=np.float32)
    second_v = np.full(n_q, -np.inf, dtype=np.float32)
    if n_q == 0:
        return best_i, best_v, second_v
    words, inv = np.unique(ids[:, :3], return_inverse=True)
    inv = inv.reshape(-1, 3).astype(np.int64)
    ra, rb, rc = (np.ascontiguousarray(inv[:, j]) for j in range(3))
    ia, ib, ic = (np.ascontiguousarray(ids[:, j], dtype=np.int64) for j in range(3))
    query = unit[words]  # (W, d)
    # a block of S small enough to stay in cache while every question reads three of its rows
    budget = min(max_memory_mb * 2**20, CACHE_BYTES)
    width = int(max(256, min(n_rows, budget // (4 * len(words)))))
    cosmul = method == "3cosmul"
    for col0 in range(0, n_rows, width):
        col1 = min(n_rows, col0 + width)
        sims = query @ unit[col0:col1].T  # (W, d) @ (d, B) -> (W, B)
        if cosmul:
            sims += 1
            sims *= 0.5
        _run_split(jit(_combine), n_q, (ra, rb, rc, ia, ib, ic, best_i, best_v, second_v),
                   (sims, col0, cosmul), min_rows=64)
    return best_i, best_v, second_v


def best_two_numpy(unit: np.ndarray, ids: np.ndarray, n_rows: int, method: str,
                   max_memory_mb: float = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`best_two` with NumPy and BLAS only (no compiled kernel to load); same results up to float rounding."""
    n_q = len(ids)
    best_i = np.full(n_q, -1, dtype=np.int64)
    best_v = np.full(n_q, -np.inf, dtype=np.float32)
    second_v = np.full(n_q, -np.inf, dtype=np.float32)
    if n_q == 0 or n_rows == 0:
        return best_i, best_v, second_v
    cand = unit[:n_rows]  # (R, d)
    budget = min(max_memory_mb * 2**20, NUMPY_BLOCK_BYTES)
    step = int(max(1, budget // (4 * n_rows)))
    cosmul = method == "3cosmul"
    for q0 in range(0, n_q, step):
        block = ids[q0:q0 + step, :3]  # (r, 3)
        r = np.arange(len(block))
        if cosmul:
            words, inv = np.unique(block, return_inverse=True)
            inv = inv.reshape(-1, 3)
            sims = unit[words] @ cand.T  # (W, R)
            sims += 1
            sims *= 0.5
            scores = sims[inv[:, 1]] * sims[inv[:, 2]]  # (r, R)
            scores /= sims[inv[:, 0]] + np.float32(1e-6)
        else:  # cos(x, b) + cos(x, c) - cos(x, a) = x . (b + c - a) for unit rows: one GEMM
            scores = (unit[block[:, 1]] + unit[block[:, 2]] - unit[block[:, 0]]) @ cand.T  # (r, R)
        for j in range(3):
            inside = block[:, j] < n_rows
            scores[r[inside], block[inside, j]] = -np.inf  # the query words are never the answer
        top = scores.argmax(axis=1)
        best_i[q0:q0 + len(block)] = top
        best_v[q0:q0 + len(block)] = scores[r, top]
        scores[r, top] = -np.inf
        second_v[q0:q0 + len(block)] = scores.max(axis=1)
    return best_i, best_v, second_v
