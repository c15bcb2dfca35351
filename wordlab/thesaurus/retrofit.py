"""Retrofitting word vectors to a lexicon (Faruqui et al. 2015, "Retrofitting Word Vectors to Semantic
Lexicons", NAACL; https://arxiv.org/abs/1411.4166).

Given vectors ``q̂_i`` and a graph of related words (WordNet synonyms, or with hypernyms and
hyponyms: the paper's WN_all), find ``q_i`` near both their own vector and their neighbours:

    Ψ(Q) = Σ_i [ α_i ‖q_i − q̂_i‖² + Σ_{j ∈ N(i)} β_ij ‖q_i − q_j‖² ]

with the paper's ``α_i = 1``, ``β_ij = 1 / deg(i)``. Each iteration (10 in the paper) updates every
word with neighbours in place, in vocabulary order, by the closed-form coordinate step

    q_i ← (α_i q̂_i + Σ_j β_ij q_j) / (α_i + Σ_j β_ij)  =  (deg(i) q̂_i + Σ_j q_j) / (2 deg(i))

(the authors' ``retrofit.py``, which first scales every vector to unit length; so does this). Words without
neighbours in the vocabulary keep their vectors. The neighbour graph is built once as a CSR
matrix over the vocabulary; an iteration is a loop over its rows (a few seconds for 30k words).
"""

from __future__ import annotations

import logging
from typing import Callable, Iterable

import numpy as np
import scipy.sparse as sp
from numba import njit

from ..errors import ConfigError
from ..vectors import KeyedVectors
from .similarity import LEXICONS, neighbours

log = logging.getLogger(__name__)


def lexicon_graph(words: list[str], neighbours_of: Callable[[str], Iterable[str]]) -> sp.csr_matrix:
    """Symmetric-or-not 0/1 adjacency over ``words``: row ``i`` holds the in-vocabulary neighbours of word ``i``."""
    index = {w: i for i, w in enumerate(words)}
    lower = {}
    for w, i in index.items():  # neighbours are lower-case lemmas; map them onto the vocabulary's spelling
        lower.setdefault(w.lower(), i)
    rows, cols = [], []
    for i, w in enumerate(words):
        for n in neighbours_of(w):
            j = index.get(n, lower.get(n.lower()))
            if j is not None and j != i:
                rows.append(i)
                cols.append(j)
    data = np.ones(len(rows), np.float32)
    g = sp.csr_matrix((data, (np.array(rows, np.int64), np.array(cols, np.int64))), shape=(len(words), len(words)))
    g.data[:] = 1.0  # duplicates summed by the constructor count once
    g.sort_indices()
    return g


@njit(cache=True)
def _iterate(Q, Q0, indptr, indices, iterations):  # pragma: no cover - compiled
    V, D = Q.shape
    for _ in range(iterations):
        for i in range(V):
            a, b = indptr[i], indptr[i + 1]
            deg = b - a
            if deg == 0:
                continue
            for d in range(D):
                s = deg * Q0[i, d]
                for k in range(a, b):
                    s += Q[indices[k], d]
                Q[i, d] = s / (2.0 * deg)
    return Q


def retrofit_matrix(vectors: np.ndarray, graph: sp.csr_matrix, iterations: int = 10) -> np.ndarray:
    """Retrofitted copy of ``vectors`` (float64 maths, float32 result) for a neighbour ``graph`` over its rows."""
    if iterations < 0:
        raise ConfigError(f"iterations must be >= 0, got {iterations}")
    if graph.shape != (len(vectors), len(vectors)):
        raise ConfigError(f"graph is {graph.shape}, the vectors have {len(vectors)} rows")
    Q0 = np.asarray(vectors, np.float64)
    Q0 = Q0 / np.sqrt((Q0 * Q0).sum(axis=1, keepdims=True) + 1e-6)  # as the authors' read_word_vecs
    Q = _iterate(Q0.copy(), Q0, graph.indptr.astype(np.int64), graph.indices.astype(np.int64), int(iterations))
    return Q.astype(np.float32)


def retrofit(kv: KeyedVectors, lexicon: str = "synonyms", iterations: int = 10, wn=None,
             graph: sp.csr_matrix | None = None) -> tuple[KeyedVectors, dict]:
    """Retrofit ``kv`` to WordNet (``lexicon`` ``"synonyms"`` or ``"all"``); returns new vectors and statistics."""
    if lexicon not in LEXICONS:
        raise ConfigError(f"lexicon must be one of {', '.join(LEXICONS)}, not {lexicon!r}")
    words = list(kv.index_to_key)
    if graph is None:
        if wn is None:
            from .wordnet import load_wordnet
            wn = load_wordnet()
        cache: dict[str, set[str]] = {}
        graph = lexicon_graph(words, lambda w: cache.setdefault(w, neighbours(w, lexicon, wn)))
    vec = retrofit_matrix(kv.vectors, graph, iterations)
    deg = np.diff(graph.indptr)
    stats = {"words": len(words), "words_with_neighbours": int((deg > 0).sum()), "edges": int(graph.nnz),
             "iterations": iterations, "lexicon": lexicon}
    log.info("retrofit: %d of %d words have WordNet neighbours (%d edges)", stats["words_with_neighbours"],
             len(words), graph.nnz)
    counts = getattr(kv, "counts", None)
    return KeyedVectors(words, vec, counts=counts), stats
