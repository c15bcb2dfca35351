"""``FastTextKeyedVectors``: word vectors that also give a vector to any string, from its n-grams.

A word's vector is the mean of its input rows (the tool's ``getWordVector``): a vocabulary word
averages its own row and its character n-gram rows; any other string averages its n-gram rows
(``<``/``>`` boundaries, ``min_n..max_n`` characters, ``hash % bucket``), so misspelled, rare
and invented words get vectors. ``vectors`` holds the vocabulary words' full vectors, so every
query, evaluation and file format of :class:`~wordlab.vectors.KeyedVectors` works unchanged;
``get_vector``, ``most_similar``, ``similarity`` (and everything built on them) accept
out-of-vocabulary strings too. ``"w" in kv`` still means "w is in the vocabulary" (gensim's
fastText vectors answer True for any string); :meth:`has_vector` tells whether a string gets one.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
from numba import njit

from ..atomic import atomic_write
from ..errors import DataError
from ..vectors import KeyedVectors
from ..vectors.formats import format_from_path
from .hashing import EOS, ngram_buckets, subword_table

FORMAT = "wordlab.fasttext-vectors/1"


@njit(nogil=True, cache=True)
def mean_rows(V, N, offsets, rows, out):
    """``out[i] = mean(W[rows[offsets[i]:offsets[i+1]]])`` for ``W = [V; N]`` (zeros for an empty set)."""
    n = V.shape[0]
    for i in range(offsets.shape[0] - 1):
        a, b = offsets[i], offsets[i + 1]
        for d in range(V.shape[1]):
            out[i, d] = 0.0
        for k in range(a, b):
            r = rows[k]
            if r < n:
                for d in range(V.shape[1]):
                    out[i, d] += V[r, d]
            else:
                for d in range(V.shape[1]):
                    out[i, d] += N[r - n, d]
        if b > a:
            inv = np.float32(1.0) / np.float32(b - a)
            for d in range(V.shape[1]):
                out[i, d] *= inv
    return out


class FastTextKeyedVectors(KeyedVectors):
    """Vocabulary vectors plus hashed character n-gram vectors (gensim's ``FastTextKeyedVectors`` names).

    Parameters
    ----------
    keys: the vocabulary words (row ``i`` of ``vectors_vocab``).
    vectors_vocab: ``(len(keys), dim)`` the words' own input rows.
    vectors_ngrams: ``(bucket, dim)`` the n-gram rows (fewer when ``prune`` maps buckets to rows).
    min_n, max_n, bucket: the n-gram range and the number of hash buckets.
    prune: for pruned (quantized) models, bucket → row of ``vectors_ngrams`` (-1: dropped).
    """

    def __init__(self, keys, vectors_vocab: np.ndarray, vectors_ngrams: np.ndarray, min_n: int, max_n: int,
                 bucket: int, counts: np.ndarray | None = None, prune: np.ndarray | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        keys = list(keys)
        self.vectors_vocab = np.ascontiguousarray(vectors_vocab, dtype=np.float32)
        self.vectors_ngrams = np.ascontiguousarray(vectors_ngrams, dtype=np.float32)
        self.min_n, self.max_n, self.bucket = int(min_n), int(max_n), int(bucket)
        self.prune = prune
        eos = keys.index(EOS) if EOS in keys else -1
        offsets, rows = subword_table(keys, self.min_n, self.max_n, self.bucket, eos=eos, prune=prune)
        dim = self.vectors_vocab.shape[1] if self.vectors_vocab.ndim == 2 else self.vectors_ngrams.shape[1]
        full = mean_rows(self.vectors_vocab.reshape(len(keys), dim), self.vectors_ngrams.reshape(-1, dim), offsets, rows,
                         np.empty((len(keys), dim), np.float32))
        super().__init__(keys, full, counts=counts, extra=extra)

    def ngram_rows(self, word: str) -> np.ndarray:
        """Rows of ``vectors_ngrams`` for ``word``'s character n-grams (pruned buckets dropped)."""
        buckets = ngram_buckets(word, self.min_n, self.max_n, self.bucket)
        if self.prune is not None and len(buckets):
            buckets = self.prune[buckets]
            buckets = buckets[buckets >= 0]
        return buckets

    def has_vector(self, word: str) -> bool:
        """True when ``word`` is in the vocabulary or has at least one n-gram row."""
        return word in self.key_to_index or (isinstance(word, str) and len(self.ngram_rows(word)) > 0)

    def get_vector(self, key, norm: bool = False) -> np.ndarray:
        """The vector of ``key``: its row for a vocabulary word, else the mean of its n-gram rows."""
        if key in self.key_to_index or not isinstance(key, str):
            return super().get_vector(key, norm=norm)
        rows = self.ngram_rows(key)
        if len(rows) == 0:
            super().get_vector(key)  # raises KeyError with spelling suggestions
        v = self.vectors_ngrams[rows].mean(axis=0, dtype=np.float32)
        if norm:
            n = float(np.linalg.norm(v))
            v = v / n if n > 0 else v
        return v

    word_vec = get_vector

    def _exclude(self, queries) -> set[int]:
        return {self.get_index(q) for q in queries if isinstance(q, (str, int, np.integer)) and
                (q in self.key_to_index or not isinstance(q, str))}

    def __repr__(self) -> str:
        return (f"FastTextKeyedVectors({len(self)} keys, vector_size={self.vector_size}, "
                f"n-grams {self.min_n}..{self.max_n} in {self.bucket} buckets)")

    # ---- files ------------------------------------------------------------------------------
    def save(self, path, format: str | None = None, progress: bool | None = None) -> None:
        """``.npz``: vocabulary and n-gram rows (OOV vectors survive); ``.vec``/``.txt``/``.bin``: word2vec files."""
        if format_from_path(path, format) != "npz":
            return super().save(path, format=format, progress=progress)
        meta = {"format": FORMAT, "min_n": self.min_n, "max_n": self.max_n, "bucket": self.bucket,
                "keys": self.index_to_key, "extra": self.extra}
        arrays = dict(vectors_vocab=self.vectors_vocab, vectors_ngrams=self.vectors_ngrams,
                      meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
        if self.counts is not None:
            arrays["counts"] = self.counts
        if self.prune is not None:
            arrays["prune"] = self.prune
        with atomic_write(path, "wb") as f:
            np.savez(f, **arrays)

    @classmethod
    def load_npz(cls, path: str | os.PathLike) -> "FastTextKeyedVectors":
        """Read what :meth:`save` wrote to ``.npz``."""
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
                if meta.get("format") != FORMAT:
                    raise DataError(f"{path}: not wordlab fastText vectors (no {FORMAT!r} header)")
                return cls(meta["keys"], z["vectors_vocab"], z["vectors_ngrams"], meta["min_n"], meta["max_n"],
                           meta["bucket"], counts=z["counts"] if "counts" in z else None,
                           prune=z["prune"] if "prune" in z else None, extra=meta.get("extra"))
        except (OSError, ValueError, KeyError) as e:
            if isinstance(e, DataError):
                raise
            raise DataError(f"{path}: not readable as wordlab fastText vectors: {e}") from None


def vectors_from_facebook(model) -> FastTextKeyedVectors:
    """The word vectors of a :class:`~wordlab.fasttext.facebook.FacebookModel` (quantized rows decoded)."""
    W = model.input if isinstance(model.input, np.ndarray) else model.input.dense()
    n = model.nwords
    return FastTextKeyedVectors(model.words[:n], W[:n], W[n:], model.args["minn"], model.args["maxn"],
                                model.args["bucket"], counts=model.counts[:n], prune=model.prune_table(),
                                extra={"source": "fasttext-bin"})
