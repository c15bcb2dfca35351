"""Dense DLfS-2 reference implementations (ch. 2, ``common/util.py``): small vocabularies only.

These follow the book — a ``V × V`` dense matrix, the co-occurrence counted with a Python loop
per token, PPMI over the whole matrix, a full ``np.linalg.svd`` — and serve as the reference the
sparse path is tested against, and as the baseline of the scaling benchmark: a 70k-word
vocabulary needs a 70k² float32 matrix (≈ 20 GB) here, against a few hundred MB sparse.
"""

from __future__ import annotations

import numpy as np

from .ppmi import check_ppmi_args


def create_co_matrix(corpus: np.ndarray, vocab_size: int, window_size: int = 1) -> np.ndarray:
    """DLfS-2's ``create_co_matrix``: dense ``(V, V)`` int32 counts of left and right neighbours."""
    corpus_size = len(corpus)
    co_matrix = np.zeros((vocab_size, vocab_size), dtype=np.int32)
    for idx, word_id in enumerate(corpus):
        for i in range(1, window_size + 1):
            left_idx = idx - i
            right_idx = idx + i
            if left_idx >= 0:
                co_matrix[word_id, corpus[left_idx]] += 1
            if right_idx < corpus_size:
                co_matrix[word_id, corpus[right_idx]] += 1
    return co_matrix


def ppmi_dense(C: np.ndarray, alpha: float = 1.0, shift_k: float = 1.0) -> np.ndarray:
    """Dense (S)PPMI of the whole matrix, vectorised: ``max(log(C·Σ#c^α / (#w·#c^α)) − log k, 0)`` (float64).

    With α = 1, k = 1 this is DLfS-2's ``ppmi`` in natural log (the book's loop uses ``log2``).
    """
    check_ppmi_args(alpha, shift_k)
    C = np.asarray(C, dtype=np.float64)
    row_sum = C.sum(axis=1)  # (V,) #w
    col_pow = C.sum(axis=0) ** alpha  # (V,) #c^α
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(C) + np.log(col_pow.sum()) - np.log(row_sum)[:, None] - np.log(col_pow)[None, :]
    pmi = np.where(C > 0, pmi - np.log(shift_k), 0.0)
    return np.maximum(pmi, 0.0)


def svd_dense(M: np.ndarray, dim: int, eig_weight: float = 0.5) -> np.ndarray:
    """DLfS-2 §2.4.3 with the eigenvalue weight: the first ``dim`` columns of ``U · diag(s)**p`` (full SVD)."""
    M = np.asarray(M)
    if not np.issubdtype(M.dtype, np.floating):
        M = M.astype(np.float64)
    U, s, _ = np.linalg.svd(M, full_matrices=False)  # O(V³) time, V² memory
    return U[:, :dim] * s[:dim] ** eig_weight
