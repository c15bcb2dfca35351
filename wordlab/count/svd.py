"""Truncated SVD of a sparse (S)PPMI matrix and the word vectors made from it.

``M ≈ U_d Σ_d V_dᵀ`` (the ``d`` largest singular triplets), and the word vectors are

    W = U_d · Σ_d^p        (p = ``eig_weight``; Levy, Goldberg & Dagan 2015 §3.3: p = 0.5 or 0
                            beat the "correct" p = 1 on similarity; DLfS-2 §2.4.3 uses p = 0)

optionally with the context vectors added (``add_context``, "w + c", Levy et al. §3.3): the rows
of ``W`` and of ``C = V_d · Σ_d^p`` are unit-normalised and summed, as in hyperwords' ensemble.

Three solvers, all seeded: ``"krylov"`` (randomized block Krylov, Musco & Musco 2015; the default),
``"randomized"`` (subspace iteration, Halko, Martinsson & Tropp 2011, Alg. 4.4, as scikit-learn's
``randomized_svd``) — both a few sparse × dense block products with SVQB
re-orthonormalisation — and ``"arpack"`` (``scipy.sparse.linalg.svds``, Lanczos; exact to
tolerance, several times slower at d = 300). ``benchmarks/count.py`` compares the three.
Signs are fixed so that the largest-magnitude entry of each column of ``U`` is positive.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch

from ..errors import ConfigError
from ..progress import progress_bar

log = logging.getLogger(__name__)

SOLVERS = ("krylov", "randomized", "arpack")


def check_dim(dim: int, shape: tuple[int, int]) -> None:
    """One-line :class:`ConfigError` unless ``1 ≤ dim < min(shape)``."""
    limit = min(shape)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ConfigError(f"dim must be an integer >= 1, got {dim!r}")
    if dim >= limit:
        raise ConfigError(f"dim={dim} must be smaller than the vocabulary size ({limit} words); "
                          f"lower --dim or use a larger corpus / lower --min-count")


def svd_flip(U: np.ndarray, Vt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flip signs so the largest-|.| entry of each column of ``U`` is positive (deterministic output)."""
    rows = np.argmax(np.abs(U), axis=0)  # (d,)
    signs = np.sign(U[rows, np.arange(U.shape[1])])
    signs[signs == 0] = 1
    return U * signs, Vt * signs[:, None]


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run small dense decompositions single-threaded: on a loaded machine a threaded 300 × 300
    ``eigh`` was measured at 5–10 s (threads waiting on each other) against 0.02 s on one thread."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def orthonormal_basis(Y: np.ndarray, rtol: float | None = None) -> np.ndarray:
    """An orthonormal basis ``Q`` of the numerical column space of a tall ``Y`` (m × l), by SVQB.

    ``YᵀY = V Λ Vᵀ``, ``Q = Y V Λ^(-1/2)`` over the eigenvalues above ``rtol · max Λ`` (default
    1e-6 in float32, 1e-12 in float64: what the Gram matrix resolves; dependent
    directions are dropped, so ``Q`` may have fewer than ``l`` columns), done twice (Stathopoulos
    & Wu 2002). Only GEMMs on the tall matrix and an ``l × l`` eigen-decomposition: much faster
    than a Householder QR of a tall matrix, and robust to the nearly dependent columns of a
    Krylov basis. Dense algebra runs in torch (the tall GEMMs threaded, the small ``eigh`` on
    one thread), never through numpy's threaded OpenBLAS, which was 30× slower on a loaded machine.
    """
    Q = torch.from_numpy(np.ascontiguousarray(Y))
    if rtol is None:
        rtol = 1e-6 if Y.dtype == np.float32 else 1e-12
    for _ in range(2):
        G = (Q.T @ Q).double()  # (l, l)
        with _one_thread():
            w, V = torch.linalg.eigh(G)  # ascending
        keep = w > rtol * float(w[-1].clamp_min(torch.finfo(torch.float64).tiny))
        if not bool(keep.any()):
            return np.zeros((Y.shape[0], 0), dtype=Y.dtype)
        T = V[:, keep] / w[keep].sqrt()  # (l, r): Q ← Q V Λ^(-1/2)
        Q = Q @ T.to(Q.dtype)  # (m, r)
    return Q.numpy()


def randomized_svd(M: sp.spmatrix | np.ndarray, k: int, *, n_iter: int = 3, oversample: int = 20, seed: int = 0,
                   progress: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``k`` largest singular triplets ``(U (m,k), s (k,), Vt (k,n))`` by randomized subspace iteration.

    Halko et al. 2011 (arXiv:0909.4061), Alg. 4.4: ``Q = orth((M Mᵀ)^q M Ω)`` with a Gaussian
    ``Ω`` of ``k + oversample`` columns, re-orthonormalised after every product, then the SVD of
    the small ``B = Qᵀ M`` through the eigen-decomposition of ``B Bᵀ`` (float64).
    """
    m, n = M.shape
    width = min(k + max(oversample, 0), min(m, n))
    rng = np.random.default_rng(seed)
    dtype = np.float32 if M.dtype == np.float32 else np.float64
    MT = M.T.tocsr() if sp.issparse(M) else M.T  # row-major transpose: fast products
    with progress_bar(2 * n_iter + 2, desc="randomized SVD", unit="product", enabled=progress) as bar:
        Q = orthonormal_basis(np.asarray(M @ rng.standard_normal((n, width)).astype(dtype)))  # (m, width)
        bar.update()
        for _ in range(n_iter):
            Z = orthonormal_basis(np.asarray(MT @ Q))  # (n, width)
            Q = orthonormal_basis(np.asarray(M @ Z))  # (m, width)
            bar.update(2)
        Bt = torch.from_numpy(np.asarray(MT @ Q, dtype=np.float64))  # (n, width) = (Qᵀ M)ᵀ
        bar.update()
    return _ritz(Q, Bt, k)


def block_krylov_svd(M: sp.spmatrix | np.ndarray, k: int, *, n_iter: int = 4, oversample: int = 20,
                     block: int | None = None, seed: int = 0,
                     progress: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``k`` largest singular triplets by randomized block Krylov iteration (Musco & Musco 2015, Alg. 2).

    ``K = [MΩ, (MMᵀ)MΩ, …, (MMᵀ)^q MΩ]`` with a Gaussian ``Ω`` of ``block`` columns (default
    ``(k + oversample) / 2``), then Rayleigh–Ritz on ``orth(K)``. It keeps every power of the
    iteration that subspace iteration throws away, so for the same number of column products it
    resolves the tail of a flat spectrum (PPMI's) much better (arXiv:1504.05477).
    """
    m, n = M.shape
    cap = min(m, n)
    b = min(block or -(-(k + max(oversample, 0)) // 2), cap)
    q = max(n_iter, 0)
    b = max(b, -(-k // (q + 1)))  # the Krylov space must hold k directions
    if b * (q + 1) >= cap:  # small matrix: the Krylov space would be everything; one exact block
        b, q = cap, 0
    rng = np.random.default_rng(seed)
    dtype = np.float32 if M.dtype == np.float32 else np.float64
    MT = M.T.tocsr() if sp.issparse(M) else M.T
    with progress_bar(2 * q + 2, desc="block Krylov SVD", unit="product", enabled=progress) as bar:
        Q = orthonormal_basis(np.asarray(M @ rng.standard_normal((n, b)).astype(dtype)))  # (m, b)
        blocks = [Q]
        bar.update()
        for _ in range(q):
            Z = orthonormal_basis(np.asarray(MT @ Q))  # (n, b)
            Q = orthonormal_basis(np.asarray(M @ Z))  # (m, b), next power block
            blocks.append(Q)
            bar.update(2)
        K = orthonormal_basis(np.hstack(blocks))  # (m, ≤ b(q+1)): basis of the Krylov space
        del blocks
        Bt = torch.from_numpy(np.asarray(MT @ K, dtype=np.float64))  # (n, b(q+1)) = (Kᵀ M)ᵀ
        bar.update()
    return _ritz(K, Bt, k)


def _ritz(Q: np.ndarray, Bt: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SVD of ``M ≈ Q B`` from ``Bᵀ = Mᵀ Q`` (n × l): eigen-decompose ``B Bᵀ`` (l × l, float64)."""
    G = Bt.T @ Bt  # (l, l)
    with _one_thread():
        evals, Ub = torch.linalg.eigh(G)  # B Bᵀ = Ub diag(s²) Ubᵀ, ascending
    if len(evals) < k:  # the basis lost dependent directions: pad with zero singular triplets
        pad = k - len(evals)
        evals = torch.cat([torch.zeros(pad, dtype=evals.dtype), evals])
        Ub = torch.cat([torch.zeros(Ub.shape[0], pad, dtype=Ub.dtype), Ub], dim=1)
    order = torch.argsort(evals, descending=True)[:k]
    s = evals[order].clamp_min(0).sqrt()  # (k,)
    Ub = Ub[:, order]  # (l, k)
    Vt = (Bt @ Ub).T / torch.where(s > 0, s, torch.ones_like(s))[:, None]  # (k, n): Σ⁻¹ Ubᵀ B
    Q_t = torch.from_numpy(Q)
    U = Q_t @ Ub.to(Q_t.dtype)  # (m, k)
    return U.numpy(), s.numpy(), Vt.numpy()


def _dense_svd(M: sp.spmatrix | np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact SVD of a small matrix (dense, one thread), the ``k`` largest triplets."""
    A = torch.from_numpy(np.ascontiguousarray(M.toarray() if sp.issparse(M) else M))
    with _one_thread():
        U, s, Vt = torch.linalg.svd(A, full_matrices=False)
    return U[:, :k].numpy(), s[:k].numpy(), Vt[:k].numpy()


def arpack_svd(M: sp.spmatrix | np.ndarray, k: int, *, seed: int = 0, tol: float = 0.0,
               progress: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``k`` largest singular triplets with ``scipy.sparse.linalg.svds`` (ARPACK), largest first."""
    op = spla.aslinearoperator(M)
    with progress_bar(None, desc="ARPACK SVD", unit="matvec", enabled=progress) as bar:
        def matvec(x):
            bar.update()
            return op.matvec(x)

        def rmatvec(x):
            bar.update()
            return op.rmatvec(x)

        counted = spla.LinearOperator(M.shape, matvec=matvec, rmatvec=rmatvec, dtype=M.dtype)
        U, s, Vt = spla.svds(counted, k=k, tol=tol, solver="arpack", random_state=seed)
    order = np.argsort(-s)
    return U[:, order], s[order], Vt[order]


def truncated_svd(M: sp.spmatrix | np.ndarray, k: int, *, solver: str = "krylov", n_iter: int = 4,
                  oversample: int = 20, seed: int = 0,
                  progress: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(U, s, Vt)``: the ``k`` largest singular triplets, ``s`` descending, signs fixed by :func:`svd_flip`."""
    check_dim(k, M.shape)
    if k + max(oversample, 0) >= min(M.shape) and solver != "arpack":  # small: a sketch would be everything
        U, s, Vt = _dense_svd(M, k)
    elif solver == "krylov":
        U, s, Vt = block_krylov_svd(M, k, n_iter=n_iter, oversample=oversample, seed=seed, progress=progress)
    elif solver == "randomized":
        U, s, Vt = randomized_svd(M, k, n_iter=n_iter, oversample=oversample, seed=seed, progress=progress)
    elif solver == "arpack":
        U, s, Vt = arpack_svd(M, k, seed=seed, progress=progress)
    else:
        raise ConfigError(f"svd solver must be one of {', '.join(SOLVERS)}, not {solver!r}")
    U, Vt = svd_flip(U, Vt)
    return U, s, Vt


def svd_vectors(M: sp.spmatrix | np.ndarray, dim: int, eig_weight: float = 0.5, add_context: bool = False, *,
                solver: str = "krylov", n_iter: int = 4, oversample: int = 20, seed: int = 0,
                progress: bool | None = None) -> np.ndarray:
    """Word vectors ``U_d Σ_d^p`` (float32, ``(n_words, dim)``) of a PPMI matrix; ``add_context`` gives ``ŵ + ĉ``.

    Parameters
    ----------
    M: (S)PPMI matrix, words × contexts (square when ``add_context``).
    dim: number of singular triplets ``d`` (``1 ≤ d < min(M.shape)``).
    eig_weight: ``p`` in ``U Σ^p`` (0: U only, 0.5: hyperwords' best, 1: the plain SVD projection).
    add_context: add the unit-normalised context vectors ``V Σ^p`` to the unit-normalised word vectors.
    solver, n_iter, oversample, seed: see :func:`truncated_svd`.
    """
    if not np.isfinite(eig_weight):
        raise ConfigError(f"eig_weight must be a finite number, got {eig_weight}")
    if add_context and M.shape[0] != M.shape[1]:
        raise ConfigError(f"add_context needs a square word × context matrix, got shape {M.shape}")
    U, s, Vt = truncated_svd(M, dim, solver=solver, n_iter=n_iter, oversample=oversample, seed=seed,
                             progress=progress)
    weight = s ** eig_weight  # (d,)
    W = U * weight  # (V, d)
    if add_context:
        W = _unit(W) + _unit(Vt.T * weight)
    return np.ascontiguousarray(W, dtype=np.float32)


def _unit(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1)
