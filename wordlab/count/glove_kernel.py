"""GloVe's AdaGrad step over a slice of the shuffled non-zeros (numba, ``nogil``: Hogwild threads).

For a non-zero ``X_ij`` with weight ``f = min(1, (X_ij / x_max)^α)`` (Pennington et al. 2014, eq. 8–9):

    diff   = w_i · w̃_j + b_i + b̃_j − log X_ij
    J     += ½ f diff²                                   (the reported cost)
    g_w    = clip(f diff · w̃_j) · η,  g_w̃ = clip(f diff · w_i) · η       (per component)
    w_i   −= g_w / √G_w,  G_w += g_w²   (and the same for w̃_j)
    b_i   −= f diff / √G_b,  G_b += (f diff)²                            (and b̃_j)

exactly as the reference ``glove.c``: AdaGrad accumulators start at 1 and accumulate the
*scaled* step ``(η·g)²``, the biases step without ``η``, and gradient components are clipped to
``±grad_clip``. A non-finite ``diff`` skips the update (the reference does the same). The kernel may
fuse multiply-adds, reassociate the dot product and use reciprocals (numba ``fastmath`` without
``nnan``/``ninf``, so the finiteness check stays; in float64 the results agree with the step written
out in numpy to ~1e-10 relative). The model keeps its parameters in float32 (``glove.c`` uses
double): half the memory traffic, 1.7x the speed measured here. Each thread
updates the shared ``W``, ``C`` (= ``W̃``), biases and accumulators without locks.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath={"contract", "arcp", "nsz", "reassoc", "afn"})
def adagrad_slice(rows, cols, logx, fx, W, C, bw, bc, GW, GC, gbw, gbc, eta, clip, start, stop):  # pragma: no cover
    """One pass over non-zeros ``start..stop``; returns the summed cost ``Σ ½ f diff²`` and the count used."""
    D = W.shape[1]
    cost = 0.0
    used = 0
    for k in range(start, stop):
        i = rows[k]
        j = cols[k]
        diff = bw[i] + bc[j] - logx[k]
        for d in range(D):
            diff += W[i, d] * C[j, d]
        fdiff = fx[k] * diff
        if not (math.isfinite(diff) and math.isfinite(fdiff)):
            continue
        cost += 0.5 * fdiff * diff
        used += 1
        for d in range(D):
            t1 = min(max(fdiff * C[j, d], -clip), clip) * eta
            t2 = min(max(fdiff * W[i, d], -clip), clip) * eta
            W[i, d] -= t1 / math.sqrt(GW[i, d])
            C[j, d] -= t2 / math.sqrt(GC[j, d])
            GW[i, d] += t1 * t1
            GC[j, d] += t2 * t2
        bw[i] -= fdiff / math.sqrt(gbw[i])
        bc[j] -= fdiff / math.sqrt(gbc[j])
        fdiff *= fdiff
        gbw[i] += fdiff
        gbc[j] += fdiff
    return cost, used


@njit(cache=True, nogil=True)
def cost_slice(rows, cols, logx, fx, W, C, bw, bc, start, stop):  # pragma: no cover - compiled
    """``Σ ½ f (w_i·w̃_j + b_i + b̃_j − log X_ij)²`` over non-zeros ``start..stop`` (no update)."""
    D = W.shape[1]
    cost = 0.0
    for k in range(start, stop):
        i = rows[k]
        j = cols[k]
        diff = bw[i] + bc[j] - logx[k]
        for d in range(D):
            diff += W[i, d] * C[j, d]
        cost += 0.5 * fx[k] * diff * diff
    return cost
