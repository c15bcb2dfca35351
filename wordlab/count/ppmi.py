"""Positive pointwise mutual information on the non-zeros of a sparse count matrix.

With ``#(w, c)`` the co-occurrence counts, ``#w = Σ_c #(w, c)``, ``#c = Σ_w #(w, c)``, ``D = Σ #(w, c)``,
and the context distribution smoothed with exponent α (Levy, Goldberg & Dagan 2015, §3.1 "cds")

    P_α(c) = #c^α / Σ_c' #c'^α,

the shifted positive PMI (SPPMI, Levy & Goldberg 2014; hyperwords ``counts2pmi.py``) is

    PMI(w, c)   = log( #(w, c) · D / #w ) − log P_α(c) − log D
                = log( P(w, c) / (P(w) · P_α(c)) )
    SPPMI(w, c) = max(PMI(w, c) − log k, 0).

A pair that never co-occurs has PMI = −∞ and SPPMI = 0, so only the stored non-zeros of the
count matrix are ever touched: the result has the same sparsity pattern minus the entries that
clip to zero. α = 1 and k = 1 give DLfS-2's PPMI (§2.4.1; the book uses ``log2``, we use ``ln``).
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError, DataError

log = logging.getLogger(__name__)


def check_ppmi_args(alpha: float, shift_k: float) -> None:
    """One-line :class:`ConfigError` for a smoothing exponent ≤ 0 or a shift ``k`` ≤ 0."""
    if not np.isfinite(alpha) or alpha <= 0:
        raise ConfigError(f"alpha (context distribution smoothing) must be > 0, got {alpha}")
    if not np.isfinite(shift_k) or shift_k <= 0:
        raise ConfigError(f"shift_k must be > 0 (SPPMI subtracts log k; k=1 is plain PPMI), got {shift_k}")


def ppmi(C: sp.spmatrix, alpha: float = 0.75, shift_k: float = 1.0) -> sp.csr_matrix:
    """SPPMI of a sparse count matrix (rows: words, columns: contexts), computed on its non-zeros.

    Parameters
    ----------
    C: non-negative counts, any scipy sparse format, shape ``(n_words, n_contexts)``.
    alpha: context distribution smoothing exponent (0.75 per Levy et al.; 1 = none).
    shift_k: SPPMI shift ``k`` (1 = plain PPMI; 5 ~ SGNS with 5 negatives).

    Returns
    -------
    ``csr_matrix`` float32 of the same shape with ``max(PMI − log k, 0)``; zeros are not stored.
    """
    check_ppmi_args(alpha, shift_k)
    C = sp.csr_matrix(C, dtype=np.float64, copy=True)
    C.sum_duplicates()
    C.eliminate_zeros()
    if C.nnz and C.data.min() < 0:
        raise DataError("co-occurrence counts must be >= 0, found a negative entry")
    if C.nnz == 0:
        raise DataError("co-occurrence matrix is all zeros: no pair of words co-occurs (corpus too small?)")
    row_sum = np.asarray(C.sum(axis=1)).ravel()  # #w
    col_sum = np.asarray(C.sum(axis=0)).ravel()  # #c
    col_pow = col_sum ** alpha  # #c^α (0 for contexts never seen)
    log_norm = np.log(col_pow.sum())  # log Σ #c^α
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))  # row of each stored entry
    # PMI = log #(w,c) − log #w − log #c^α + log Σ #c^α   (the D of P(w,c) and P(w) cancels)
    data = np.log(C.data) - np.log(row_sum[rows]) - np.log(col_pow[C.indices]) + (log_norm - np.log(shift_k))
    np.maximum(data, 0.0, out=data)
    nnz_in = C.nnz
    out = sp.csr_matrix((data.astype(np.float32), C.indices, C.indptr), shape=C.shape)
    out.eliminate_zeros()
    log.info("ppmi: alpha=%g shift_k=%g, %d of %d non-zeros kept", alpha, shift_k, out.nnz, nnz_in)
    return out
