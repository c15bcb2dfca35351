"""Sparse word–context co-occurrence counts from an id array (DLfS-2 §2.3 at real scale).

For a corpus ``w_1 … w_N`` (word ids) and a window ``L``, the symmetric co-occurrence
matrix is

    C[a, b] = Σ_i Σ_{1 ≤ d ≤ L} weight(d) · ([w_i = a, w_{i+d} = b] + [w_i = b, w_{i+d} = a])

— every word is a context of the words up to ``L`` positions to its left and to its right,
which is what DLfS-2's ``create_co_matrix`` counts. Weights: ``"uniform"`` (1), ``"harmonic"``
(``1/d``, GloVe), and with ``dynamic_window=True`` also ``(L - d + 1) / L``, word2vec's
randomly shrunk window in expectation (Levy, Goldberg & Dagan 2015, §3.2 "dynamic context window").

The count is vectorised per offset and streamed over the id array in chunks: for each chunk
and offset ``d`` the pairs ``(w_i, w_{i+d})`` become int64 codes ``w_i · V + w_{i+d}``; the
chunk's codes are sorted into a small sparse matrix; the chunks' matrices are summed like a binary
counter (two sums of 2^k chunks merge into one of 2^(k+1)), so each count is merged about log₂(chunks)
times, not once per later chunk. Peak memory is about twice the total's non-zeros plus one chunk, not the
corpus.

Subsampling (``subsample=t``) removes frequent tokens before windowing with word2vec's keep
probability (:func:`wordlab.text.keep_probability`) — the "dirty" subsampling of Levy et al.,
which widens the effective window.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterable

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError, DataError
from ..progress import progress_bar
from ..text import keep_probability

log = logging.getLogger(__name__)

WEIGHTINGS = ("uniform", "harmonic")
CHUNK_TOKENS = 1 << 21
MIN_SHARED_CHUNK = 1 << 18  # the smallest chunk cooccurrence_merged gives each of several processes on one machine


def offset_weights(window: int, weighting: str = "uniform", dynamic_window: bool = False) -> np.ndarray:
    """Weight of a context at distance ``d = 1..window`` (float64, shape ``(window,)``)."""
    check_window(window)
    if weighting not in WEIGHTINGS:
        raise ConfigError(f"weighting must be one of {', '.join(WEIGHTINGS)}, not {weighting!r}")
    d = np.arange(1, window + 1, dtype=np.float64)
    w = 1.0 / d if weighting == "harmonic" else np.ones(window)
    if dynamic_window:
        w = w * (window - d + 1) / window
    return w


def check_window(window: int) -> None:
    """One-line :class:`ConfigError` unless ``window`` is an integer ≥ 1."""
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ConfigError(f"window must be an integer >= 1, got {window!r}")


def subsample_ids(ids: np.ndarray, sample: float, counts: np.ndarray | None = None,
                  total_words: int | None = None, seed: int = 0) -> np.ndarray:
    """``ids`` with each token kept with word2vec's probability ``min(1, (√(c/t) + 1)·t/c)``, ``t = sample·total``."""
    if counts is None:
        counts = np.bincount(ids, minlength=int(ids.max()) + 1 if len(ids) else 0)
    keep = keep_probability(counts, sample, total_words if total_words is not None else int(np.sum(counts)))
    rng = np.random.default_rng(seed)
    return ids[rng.random(len(ids), dtype=np.float32) < keep[ids]]


def _check_ids(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise DataError(f"ids must be a 1-D array of word ids, got shape {ids.shape}")
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise DataError(f"ids must be integers, got dtype {ids.dtype}")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
        raise ConfigError(f"vocab_size must be an integer >= 1, got {vocab_size!r}")
    if ids.size:
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= vocab_size:
            bad = lo if lo < 0 else hi
            pos = int(np.flatnonzero(ids == bad)[0])
            raise DataError(f"ids[{pos}] = {bad} is outside the vocabulary 0..{vocab_size - 1}")
    return ids


def cooccurrence(ids: np.ndarray, vocab_size: int, window: int = 5, *, weighting: str = "uniform",
                 dynamic_window: bool = False, subsample: float | None = None, counts: np.ndarray | None = None,
                 total_words: int | None = None, seed: int = 0, chunk_tokens: int = CHUNK_TOKENS,
                 progress: bool | None = None, shard: tuple[int, int] | None = None,
                 claim: Callable[[int], Iterable[int]] | None = None, directed: bool = False) -> sp.csr_matrix:
    """Symmetric co-occurrence matrix of a corpus given as word ids.

    Parameters
    ----------
    ids: 1-D integer array, the corpus as word ids ``0 .. vocab_size-1`` (one stream; windows
        cross line ends, as in word2vec).
    vocab_size: ``V``, the matrix is ``V × V``.
    window: contexts up to ``window`` positions left and right (``≥ 1``).
    weighting: ``"uniform"`` (each context counts 1) or ``"harmonic"`` (``1/d``).
    dynamic_window: also weight by ``(window - d + 1) / window`` (word2vec's shrunk window, in expectation).
    subsample: word2vec subsampling threshold (e.g. ``1e-5``); ``None``/0 keeps every token.
    counts, total_words: word counts and corpus size for subsampling (default: from ``ids``).
    seed: seeds the subsampling draw.
    chunk_tokens: tokens per chunk (memory per chunk ≈ ``window · chunk_tokens · 16`` bytes).
    shard: ``(rank, world)``: count only the pairs whose left word lies in part ``rank`` of ``world``
        near-equal ranges of the (subsampled) stream, in float64 — the parts sum to the whole matrix
        (:func:`cooccurrence_merged`).
    claim: instead of ``shard``, the chunks are dealt as the processes ask for them: ``claim(k)`` yields the
        indices, out of the ``k`` chunks of :func:`chunk_bounds`, that this process counts
        (:func:`wordlab.distributed.work_queue`: each chunk to one process, a faster process takes more).
        The result is this process's part, as with ``shard``.
    directed: with ``shard`` or ``claim``, the part's left-to-right counts ``A`` only (float64, not
        symmetrised): the whole matrix is ``S + Sᵀ`` of their sum ``S`` — what :func:`cooccurrence_merged`
        exchanges, about 40 % fewer non-zeros than the symmetric parts.

    Returns
    -------
    ``scipy.sparse.csr_matrix`` (float32, ``V × V``, symmetric, canonical: sorted indices, no duplicates).
    """
    offsets = offset_weights(window, weighting, dynamic_window)
    ids = _check_ids(ids, vocab_size)
    if chunk_tokens < 1:
        raise ConfigError(f"chunk_tokens must be >= 1, got {chunk_tokens}")
    if subsample:
        if subsample < 0:
            raise ConfigError(f"subsample must be >= 0, got {subsample}")
        ids = subsample_ids(ids, subsample, counts, total_words, seed)
    V = int(vocab_size)
    if (V * V) << int(window - 1).bit_length() >= 1 << 63:  # pair codes (w·V + c, offset in the low bits)
        raise ConfigError(f"a vocabulary of {V:,} words is too large to count pairs of (window {window})")
    n = len(ids)
    uniform = bool(np.all(offsets == 1.0))
    if claim is not None:
        bounds = chunk_bounds(n, chunk_tokens, shared=True)
        chunks: Iterable[tuple[int, int]] = (bounds[k] for k in claim(len(bounds)))
        longest = max((b - a for a, b in bounds), default=0)
    else:
        lo, hi = (0, n) if shard is None else (n * shard[0] // shard[1], n * (shard[0] + 1) // shard[1])
        chunks = ((a, min(a + chunk_tokens, hi)) for a in range(lo, hi, chunk_tokens))
        longest = min(chunk_tokens, max(hi - lo, 0))
    part_only = shard is not None or claim is not None
    stack: list[tuple[int, sp.csr_matrix]] = []  # (level, sum of 2**level chunks): a binary-counter merge
    # one code buffer and one flag buffer for every chunk: arrays this large are mapped fresh by each
    # allocation, so reusing them saves the page faults of every chunk after the first
    work = (np.empty(longest * len(offsets), np.int64), np.empty(longest * len(offsets), bool))
    total_tokens = n if claim is not None or shard is None else hi - lo
    with progress_bar(total_tokens, desc="counting co-occurrences", unit="tok", enabled=progress,
                      unit_scale=True) as bar:
        for start, stop in chunks:
            part = _chunk_counts(ids, start, stop, V, offsets, uniform, work)
            if part is not None:
                level = 0
                while stack and stack[-1][0] == level:  # equal-sized sums merge: each count is merged log k times
                    part = stack.pop()[1] + part  # canonical csr + csr: a linear merge
                    level += 1
                stack.append((level, part))
            # claimed chunks: the bar follows the queue (every process's chunks up to this one are taken)
            bar.update(max(stop - bar.n, 0) if claim is not None else stop - start)
    total = sp.csr_matrix((V, V), dtype=np.float64)  # float64 sums stay exact past 2**24
    for _, part in reversed(stack):
        total = part + total
    if part_only and directed:
        return total
    sym = (total + total.T).tocsr()  # C = A + Aᵀ: right and left contexts
    del total
    if part_only:  # a part: summed with the others in float64, then rounded once
        return sym
    sym = _rounded(sym)
    log.info("co-occurrence: %d tokens, window %d, %d non-zeros", n, window, sym.nnz)
    return sym


def chunk_bounds(n: int, chunk_tokens: int = CHUNK_TOKENS, shared: bool = False) -> list[tuple[int, int]]:
    """``[start, stop)`` of the chunks of an ``n``-token stream: ``chunk_tokens`` each. ``shared``: chunks dealt
    to processes as they ask (:func:`cooccurrence` ``claim``) — the last ``2 · chunk_tokens`` tokens are cut
    in chunks of a quarter, so that the process that takes the last chunk finishes soon after the others."""
    small = max(chunk_tokens // 4, 1)
    tail = min(-(-max(n - 2 * chunk_tokens, 0) // chunk_tokens) * chunk_tokens, n) if shared else n  # quarters
    bulk = [(a, min(a + chunk_tokens, tail)) for a in range(0, tail, chunk_tokens)]
    return bulk + [(a, min(a + small, n)) for a in range(tail, n, small)]


def _rounded(sym: sp.csr_matrix) -> sp.csr_matrix:
    """The float64 sums rounded once to float32, in canonical form (sorted indices, no duplicates)."""
    sym = sym.astype(np.float32, copy=False)  # a merged float32 sum is already canonical: no copy, no scan
    sym.sum_duplicates()
    sym.sort_indices()
    return sym


def _chunk_counts(ids: np.ndarray, start: int, stop: int, V: int, offsets: np.ndarray,
                  uniform: bool, work: tuple[np.ndarray, np.ndarray] | None = None) -> sp.csr_matrix | None:
    """Counts of the pairs ``(ids[i], ids[i+d])`` for ``start ≤ i < stop`` and ``d = 1..len(offsets)``.

    The pair codes are written into one buffer and sorted in place (the counts are the run lengths), so a
    chunk makes no copies of its codes — memory traffic, not arithmetic, is what counting costs.
    """
    n = len(ids)
    x = ids[start:min(stop + len(offsets), n)].astype(np.int64)  # the chunk plus its right overhang
    spans = []
    for d in range(1, len(offsets) + 1):
        m = min(stop, n - d) - start  # pairs whose right end is still inside the corpus
        if m <= 0:
            break
        spans.append(m)
    if not spans:
        return None
    # weighted: the offset rides in the low bits of the code, (w·V + c)·2^k + d - 1, so that one in-place
    # sort groups equal pairs and equal offsets: each run is a count n_d, and C[w, c] = Σ_d n_d · weight(d)
    shift = 0 if uniform else int(len(spans) - 1).bit_length()
    total = sum(spans)
    all_codes = work[0][:total] if work is not None and len(work[0]) >= total else np.empty(total, np.int64)
    at = 0
    for d, m in enumerate(spans, start=1):
        part = all_codes[at:at + m]
        np.multiply(x[:m], V << shift, out=part)
        part += x[d:d + m] << shift  # (m,) pair codes w·V + c
        if shift:
            part += d - 1
        at += m
    all_codes.sort()
    new = work[1][:total] if work is not None and len(work[1]) >= total else np.empty(total, bool)
    new[0] = True
    np.not_equal(all_codes[1:], all_codes[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    runs = all_codes[starts]
    n = np.diff(starts, append=len(all_codes))
    if uniform:
        uniq, data = runs, n.astype(np.float64)
    else:
        pair = runs >> shift
        first = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
        uniq = pair[first]
        data = np.bincount(np.cumsum(np.r_[False, pair[1:] != pair[:-1]]),
                           weights=n * offsets[runs & ((1 << shift) - 1)], minlength=len(uniq))
    rows, cols = np.divmod(uniq, V)
    # uniq is sorted, so (rows, cols) is already in csr order: build indptr directly
    indptr = np.zeros(V + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=V), out=indptr[1:])
    return sp.csr_matrix((data, cols.astype(np.int32), indptr), shape=(V, V))


def cooccurrence_merged(ids: np.ndarray, vocab_size: int, window: int = 5, *, root: int | None = None,
                        **kwargs) -> sp.csr_matrix | None:
    """:func:`cooccurrence`; under torchrun each process counts the pairs of its range of the id stream and
    every process gets the sum (float64 parts, rounded to float32 once: the single-process matrix).

    ``root``: only that rank gets the matrix, the others ``None`` — for a job where one rank factorises it
    (PPMI-SVD): the summed row blocks are gathered there instead of everywhere. In one process the matrix.

    The processes take chunks of the stream from a work queue as they go (:func:`cooccurrence` ``claim``); with
    ``k`` processes on one machine each chunk is ``1/k`` of :data:`CHUNK_TOKENS` (at least
    :data:`MIN_SHARED_CHUNK`), so that together they need the scratch memory of one process.

    The processes exchange their left-to-right counts ``A_r`` (``directed=True``); the sum ``S`` is made
    symmetric, ``C = S + Sᵀ``, by the ranks in parallel, each for its rows (``merge_sparse(symmetric=True)``)
    — fewer non-zeros cross than with symmetric parts, and no rank transposes the whole matrix.
    """
    from ..text.shards import process_group

    group = process_group()
    if group is None:
        return cooccurrence(ids, vocab_size, window, **kwargs)
    # chunks of 1/k the size for k processes on one machine: the machine's scratch memory stays that of one
    # process (and the work queue's grain is finer)
    kwargs.setdefault("chunk_tokens", max(CHUNK_TOKENS // group.local_world_size(), MIN_SHARED_CHUNK))
    part = cooccurrence(ids, vocab_size, window, claim=group.work_queue, directed=True, **kwargs)
    total = group.merge_sparse(part, dtype=np.float32, root=root, symmetric=True)  # S + Sᵀ summed in float64
    del part
    if total is None:
        return None
    return _rounded(total)  # each block rounded once on its rank: the single-process matrix
