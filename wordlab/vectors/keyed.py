"""``KeyedVectors``: words and their vectors, with gensim's query names and return shapes.

Every embedding method in wordlab (PPMI-SVD, word2vec, LM input embeddings) ends in one of these.
Cosine queries run against the unit-normalised matrix, computed once and cached; the top-k is
taken with ``np.argpartition`` (no full sort). Queries for unknown words raise
``KeyError("'kingg' not in vocabulary; did you mean: king, kings?")``.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Iterable, Sequence, Union

import numpy as np

from .formats import format_from_path, read_vectors, read_word2vec, write_npz, write_word2vec
from .search import build_index, top_k, unit_rows
from .suggest import oov_message

logger = logging.getLogger(__name__)

Key = Union[str, int, np.integer]
Query = Union[Key, np.ndarray, tuple]  # a key, a vector, or (key or vector, weight)
PathLike = Union[str, os.PathLike]


def _as_list(value: Any) -> list:
    """gensim's ``_ensure_list``: None → [], one key or 1-D vector → [it], else list(value)."""
    if value is None:
        return []
    if isinstance(value, (str, int, np.integer)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


class KeyedVectors:
    """Keys (words) and their float32 vectors, queried by cosine similarity like gensim's ``KeyedVectors``.

    Parameters
    ----------
    keys: the words, one per row of ``vectors``; must be unique.
    vectors: array ``(len(keys), vector_size)``; stored as contiguous float32.
    counts: optional corpus counts, one per key (kept by the ``.npz`` format).

    Attributes ``vectors``, ``index_to_key``, ``key_to_index``, ``vector_size``; ``len(kv)``,
    ``"w" in kv``, ``kv["w"]`` (one vector) or ``kv[["a", "b"]]`` (a matrix).
    """

    #: matrices with at least this many entries get an int8 search index (exact results, ~4x less memory read)
    search_index_min_size: int = 4_000_000
    #: ... built at the query after this many (a one-shot query should not pay for building it)
    search_index_after: int = 2

    def __init__(self, keys: Sequence[str], vectors: np.ndarray, counts: np.ndarray | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        keys = list(keys)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array (n, d), got shape {vectors.shape}")
        if vectors.shape[0] != len(keys):
            raise ValueError(f"{len(keys)} keys but {vectors.shape[0]} vectors; they must match one to one")
        key_to_index = {k: i for i, k in enumerate(keys)}
        if len(key_to_index) != len(keys):
            seen: set = set()
            dup = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise ValueError(f"duplicate key {dup!r}: keys must be unique")
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(keys),):
                raise ValueError(f"counts has shape {counts.shape}, expected ({len(keys)},)")
        self.index_to_key: list[str] = keys
        self.key_to_index: dict[str, int] = key_to_index
        self.counts = counts
        self.extra: dict[str, Any] = dict(extra or {})
        self._vectors = vectors
        self._unit: np.ndarray | None = None
        self._norms: np.ndarray | None = None
        self._index: Any = None
        self._searches = 0

    # ---- container protocol -------------------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """The raw vectors, float32 ``(n, d)``; assigning new ones clears the cached unit matrix."""
        return self._vectors

    @vectors.setter
    def vectors(self, value: np.ndarray) -> None:
        value = np.ascontiguousarray(value, dtype=np.float32)
        if value.ndim != 2 or value.shape[0] != len(self.index_to_key):
            raise ValueError(f"vectors must have shape ({len(self.index_to_key)}, d), got {value.shape}")
        self._vectors, self._unit, self._norms, self._index = value, None, None, None

    @property
    def vector_size(self) -> int:
        return int(self._vectors.shape[1])

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key: object) -> bool:
        return key in self.key_to_index

    def __iter__(self):
        return iter(self.index_to_key)

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} keys, vector_size={self.vector_size})"

    def __getitem__(self, key_or_keys: Key | Iterable[Key]) -> np.ndarray:
        if isinstance(key_or_keys, (str, int, np.integer)):
            return self.get_vector(key_or_keys)
        return np.vstack([self.get_vector(k) for k in key_or_keys])

    def has_index_for(self, key: object) -> bool:
        return key in self.key_to_index

    def get_index(self, key: Key, default: int | None = None) -> int:
        """Row of ``key``; an int in range is its own index; unknown → ``default`` or KeyError with suggestions."""
        index = self.key_to_index.get(key, -1)  # type: ignore[arg-type]
        if index >= 0:
            return index
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key < len(self):
            return int(key)
        if default is not None:
            return default
        raise KeyError(oov_message(key, self.key_to_index, self.index_to_key))

    def get_vector(self, key: Key, norm: bool = False) -> np.ndarray:
        """The vector of ``key`` (unit length if ``norm``); read-only view."""
        i = self.get_index(key)
        row = (self.get_normed_vectors() if norm else self._vectors)[i]
        row.flags.writeable = False
        return row

    word_vec = get_vector

    def get_vecattr(self, key: Key, attr: str) -> int:
        """gensim's per-key attribute; wordlab keeps one, ``"count"`` (the corpus count, when the vectors have counts)."""
        if attr != "count" or self.counts is None:
            raise KeyError(f"no per-key attribute {attr!r}" + ("" if attr != "count" else " (these vectors have no counts)"))
        return int(self.counts[self.get_index(key)])

    # ---- norms ------------------------------------------------------------------------------
    def get_normed_vectors(self) -> np.ndarray:
        """Rows scaled to unit L2 length, float32 ``(n, d)``; computed once, cached (read-only)."""
        if self._unit is None:
            self._unit, self._norms = unit_rows(self._vectors)
            self._unit.flags.writeable = False
        return self._unit

    @property
    def norms(self) -> np.ndarray:
        """L2 norm of every row, float32 ``(n,)``."""
        if self._norms is None:
            self.get_normed_vectors()
        return self._norms  # type: ignore[return-value]

    def fill_norms(self, force: bool = False) -> None:
        """gensim name: make sure the cached norms exist."""
        if force:
            self._unit = self._norms = self._index = None
        self.get_normed_vectors()

    # ---- queries ------------------------------------------------------------------------------
    def _weighted(self, positive: Any, negative: Any) -> tuple[list, np.ndarray]:
        items = [(q, 1.0) for q in _as_list(positive)] + [(q, -1.0) for q in _as_list(negative)]
        queries, weights = [], []
        for q, w in items:
            if isinstance(q, tuple):
                q, w = q
            queries.append(q)
            weights.append(float(w))
        return queries, np.asarray(weights, dtype=np.float32)

    def _query_vector(self, q: Any, norm: bool = True) -> np.ndarray:
        if isinstance(q, np.ndarray):
            if q.shape != (self.vector_size,):
                raise ValueError(f"query vector has shape {q.shape}, expected ({self.vector_size},)")
            return q.astype(np.float32, copy=False)
        return self.get_vector(q, norm=norm)

    def get_mean_vector(self, keys: Sequence[Any], weights: Sequence[float] | np.ndarray | None = None,
                        pre_normalize: bool = True, post_normalize: bool = False) -> np.ndarray:
        """Weighted mean of the (unit, if ``pre_normalize``) vectors of ``keys``: Σ wᵢ vᵢ / Σ |wᵢ|."""
        if len(keys) == 0:
            raise ValueError("cannot compute a mean of no keys")
        w = np.ones(len(keys), np.float32) if weights is None else np.asarray(weights, dtype=np.float32)
        mean = np.zeros(self.vector_size, dtype=np.float32)
        for q, wi in zip(keys, w):
            mean += wi * self._query_vector(q, norm=pre_normalize)
        mean /= np.abs(w).sum()
        if post_normalize:
            n = np.linalg.norm(mean)
            if n > 0:
                mean /= n
        return mean

    def _exclude(self, queries: Sequence[Any]) -> set[int]:
        return {self.get_index(q) for q in queries if not isinstance(q, np.ndarray)}

    def _result(self, scores: np.ndarray, topn: int, exclude: set[int]) -> list[tuple[str, float]]:
        best = top_k(scores, topn + len(exclude))
        out = [(self.index_to_key[i], float(scores[i])) for i in best if i not in exclude]
        return out[:topn]

    def most_similar(self, positive: Any = None, negative: Any = None, topn: int | None = 10,
                     restrict_vocab: int | None = None) -> list[tuple[str, float]] | np.ndarray:
        """Keys closest by cosine to the mean of the unit ``positive`` minus ``negative`` vectors (3CosAdd).

        Items may be keys, vectors, or ``(key, weight)`` pairs. The query keys themselves are not
        returned. ``restrict_vocab=n`` searches only the first n keys. ``topn=None`` returns the
        similarity to every key as an array (gensim's convention).
        """
        if isinstance(topn, int) and topn < 1:
            return []
        queries, weights = self._weighted(positive, negative)
        if not queries:
            raise ValueError("cannot compute similarity with no input")
        mean = self.get_mean_vector(queries, weights, pre_normalize=True, post_normalize=True)
        if not topn:
            return self.get_normed_vectors()[:restrict_vocab] @ mean  # (n,)
        exclude = self._exclude(queries)
        best, scores = self._search(mean, topn + len(exclude), restrict_vocab)
        out = [(self.index_to_key[i], float(s)) for i, s in zip(best, scores) if i not in exclude]
        return out[:topn]

    def _search(self, query: np.ndarray, k: int, restrict_vocab: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Exact (indices, cosines) of the ``k`` rows most similar to ``query``; int8 pre-filter on big matrices."""
        unit = self.get_normed_vectors()
        n_rows = min(len(self), restrict_vocab or len(self))
        if n_rows * self.vector_size >= self.search_index_min_size and k < n_rows // 4:
            self._searches += 1
            if self._index is None and self._searches > self.search_index_after:
                self._index = build_index(unit) or False  # pays for itself after ~20 queries
            if self._index:
                return self._index.search(unit, query, k, n_rows)
        scores = unit[:n_rows] @ query  # (R,)
        best = top_k(scores, k)
        return best, scores[best]

    def similar_by_key(self, key: Key, topn: int | None = 10, restrict_vocab: int | None = None):
        """The ``topn`` keys closest to ``key``."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def similar_by_vector(self, vector: np.ndarray, topn: int | None = 10, restrict_vocab: int | None = None):
        """The ``topn`` keys closest by cosine to ``vector``."""
        return self.most_similar(positive=[np.asarray(vector, dtype=np.float32)], topn=topn,
                                 restrict_vocab=restrict_vocab)

    def most_similar_cosmul(self, positive: Any = None, negative: Any = None, topn: int | None = 10,
                            restrict_vocab: int | None = None) -> list[tuple[str, float]] | np.ndarray:
        """3CosMul (Levy & Goldberg 2014, eq. 4): argmax_x Π_pos s(x, p) / (Π_neg s(x, n) + 1e-6),

        with cosines shifted to [0, 1], s = (1 + cos) / 2, as gensim does. Unlike gensim 4.4,
        ``restrict_vocab`` is honoured.
        """
        if isinstance(topn, int) and topn < 1:
            return []
        pos, neg = _as_list(positive), _as_list(negative)
        if not pos:
            raise ValueError("cannot compute similarity with no input")
        unit = self.get_normed_vectors()[:restrict_vocab] if restrict_vocab else self.get_normed_vectors()
        num = np.ones(unit.shape[0], dtype=np.float32)  # (n,)
        den = np.ones(unit.shape[0], dtype=np.float32)  # (n,); an empty product is 1, as in gensim
        for q in pos:
            num *= (1 + unit @ self._query_vector(q)) / 2
        for q in neg:
            den *= (1 + unit @ self._query_vector(q)) / 2
        scores = num / (den + np.float32(1e-6))
        if not topn:
            return scores
        return self._result(scores, topn, self._exclude(pos + neg))

    @staticmethod
    def cosine_similarities(vector_1: np.ndarray, vectors_all: np.ndarray) -> np.ndarray:
        """Cosine of ``vector_1`` (d,) with each row of ``vectors_all`` (n, d)."""
        return (vectors_all @ vector_1) / (np.linalg.norm(vector_1) * np.linalg.norm(vectors_all, axis=1))

    def similarity(self, w1: Key, w2: Key) -> float:
        """Cosine similarity of two keys."""
        return float(np.dot(self.get_vector(w1, norm=True), self.get_vector(w2, norm=True)))

    def distance(self, w1: Key, w2: Key) -> float:
        """Cosine distance, ``1 - similarity``."""
        return 1.0 - self.similarity(w1, w2)

    def distances(self, word_or_vector: Key | np.ndarray, other_words: Sequence[Key] = ()) -> np.ndarray:
        """Cosine distances from a key or vector to ``other_words`` (all keys if empty)."""
        v = self._query_vector(word_or_vector, norm=False)
        others = self._vectors[[self.get_index(w) for w in other_words]] if other_words else self._vectors
        return 1 - self.cosine_similarities(v, others)

    def n_similarity(self, ws1: Sequence[Key], ws2: Sequence[Key]) -> float:
        """Cosine between the means of the raw vectors of two key sets."""
        if not (len(ws1) and len(ws2)):
            raise ZeroDivisionError("At least one of the passed lists is empty.")
        m1 = self.get_mean_vector(ws1, pre_normalize=False)
        m2 = self.get_mean_vector(ws2, pre_normalize=False)
        return float(np.dot(m1, m2) / (np.linalg.norm(m1) * np.linalg.norm(m2)))

    def rank_by_centrality(self, words: Sequence[Key], use_norm: bool = True) -> list[tuple[float, Key]]:
        """(similarity to the centroid, key), most central first; unknown keys are ignored with a warning."""
        used = [w for w in words if w in self]
        if len(used) != len(words):
            logger.warning("ignoring keys not in the vocabulary: %s", sorted(set(map(str, words)) - set(map(str, used))))
        if not used:
            raise ValueError("cannot select a key from an empty list")
        vecs = np.vstack([self.get_vector(w, norm=use_norm) for w in used])  # (k, d)
        mean = vecs.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-30)
        dists = vecs @ mean
        return sorted(zip((float(d) for d in dists), used), reverse=True)

    def doesnt_match(self, words: Sequence[Key]) -> Key:
        """The key farthest from the mean of all the given keys."""
        return self.rank_by_centrality(words)[-1][1]

    def closer_than(self, key1: Key, key2: Key) -> list[str]:
        """Keys closer to ``key1`` than ``key2`` is."""
        i1, i2 = self.get_index(key1), self.get_index(key2)
        sims = self.get_normed_vectors() @ self.get_normed_vectors()[i1]
        return [self.index_to_key[i] for i in np.flatnonzero(sims > sims[i2]) if i != i1]

    def rank(self, key1: Key, key2: Key) -> int:
        """1 + the number of keys (other than ``key1``) closer to ``key1`` than ``key2``."""
        i1, i2 = self.get_index(key1), self.get_index(key2)
        sims = self.get_normed_vectors() @ self.get_normed_vectors()[i1]
        closer = sims > sims[i2]
        closer[i1] = False
        return int(closer.sum()) + 1

    def most_similar_to_given(self, key1: Key, keys_list: Sequence[Key]) -> Key:
        """The key of ``keys_list`` most similar to ``key1``."""
        return keys_list[int(np.argmax([self.similarity(key1, k) for k in keys_list]))]

    # ---- evaluation (gensim's methods; the work is in wordlab.evaluation) -----------------------
    def evaluate_word_analogies(self, analogies: PathLike, restrict_vocab: int | None = 300000,
                                case_insensitive: bool = True, dummy4unknown: bool = False,
                                similarity_function: str = "most_similar") -> tuple[float, list[dict]]:
        """Analogy accuracy ``(score, sections)`` as gensim's method; see
        :func:`wordlab.evaluation.evaluate_word_analogies`. ``similarity_function``: ``"most_similar"``
        (3CosAdd) or ``"most_similar_cosmul"`` (3CosMul)."""
        from wordlab.errors import ConfigError
        from wordlab.evaluation import evaluate_word_analogies

        methods = {"most_similar": "3cosadd", "most_similar_cosmul": "3cosmul"}
        if similarity_function not in methods:
            raise ConfigError(f"similarity_function must be one of {', '.join(methods)}, got {similarity_function!r}")
        return evaluate_word_analogies(self, analogies, restrict_vocab=restrict_vocab,
                                       case_insensitive=case_insensitive, dummy4unknown=dummy4unknown,
                                       method=methods[similarity_function])

    def evaluate_word_pairs(self, pairs: PathLike, delimiter: str | None = "\t", encoding: str = "utf8",
                            restrict_vocab: int | None = 300000, case_insensitive: bool = True,
                            dummy4unknown: bool = False):
        """``((pearson, p), (spearman, p), oov_percent)`` on a word-pair file, as gensim's method; see
        :func:`wordlab.evaluation.evaluate_word_pairs`. Files are read as UTF-8."""
        from wordlab.errors import ConfigError
        from wordlab.evaluation import evaluate_word_pairs

        if encoding.lower().replace("-", "") != "utf8":
            raise ConfigError(f"evaluate_word_pairs reads UTF-8 files only, not {encoding!r}")
        return evaluate_word_pairs(self, pairs, delimiter=delimiter, restrict_vocab=restrict_vocab,
                                   case_insensitive=case_insensitive, dummy4unknown=dummy4unknown)

    # ---- files --------------------------------------------------------------------------------
    def save_word2vec_format(self, fname: PathLike, binary: bool = False, progress: bool | None = None) -> None:
        """Write the C word2vec text (``binary=False``) or binary layout, byte-identical to gensim; atomic."""
        write_word2vec(fname, self.index_to_key, self._vectors, binary=binary, progress=progress)

    @classmethod
    def load_word2vec_format(cls, fname: PathLike, binary: bool = False, limit: int | None = None,
                             unicode_errors: str = "strict", no_header: bool = False,
                             progress: bool | None = None, allow_nonfinite: bool = False) -> "KeyedVectors":
        """Read a word2vec text or binary file (the C tool's or gensim's); ``limit`` keeps the first n."""
        keys, vectors = read_word2vec(fname, binary=binary, limit=limit, unicode_errors=unicode_errors,
                                      no_header=no_header, progress=progress, allow_nonfinite=allow_nonfinite)
        return cls(keys, vectors)

    def save(self, path: PathLike, format: str | None = None, progress: bool | None = None) -> None:
        """Save by suffix or ``format``: ``.bin`` word2vec binary, ``.txt``/``.vec`` text; any other name
        (``.npz``, gensim's ``.kv`` / ``.model`` / …) the native ``.npz`` + JSON layout (never a pickle)."""
        fmt = format_from_path(path, format) or "npz"
        if fmt == "npz":
            write_npz(path, self.index_to_key, self._vectors, counts=self.counts, extra=self.extra)
        else:
            write_word2vec(path, self.index_to_key, self._vectors, binary=fmt == "binary", progress=progress)

    @classmethod
    def load(cls, path: PathLike, format: str | None = None, limit: int | None = None,
             unicode_errors: str = "strict", progress: bool | None = None,
             allow_nonfinite: bool = False, mmap: str | None = None) -> "KeyedVectors":
        """Load a file :meth:`save` (or gensim / the C tool, or a GloVe-style text file without header) wrote.

        The format comes from ``format`` or the file's content (see :func:`~wordlab.vectors.formats.read_vectors`),
        so any file name works; NaN or infinite values are refused unless ``allow_nonfinite``. ``mmap`` is
        accepted for gensim's scripts and ignored (the arrays are read into memory).
        """
        keys, vectors, counts, extra = read_vectors(path, format=format, limit=limit, unicode_errors=unicode_errors,
                                                    progress=progress, allow_nonfinite=allow_nonfinite)
        return cls(keys, vectors, counts=counts, extra=extra)
