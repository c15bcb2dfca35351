"""Word embeddings initialised from pre-trained vectors, in Kim's four modes.

Kim 2014 (arXiv 1408.5882, section 3.1):

* ``rand``         every row random, trained with the model;
* ``static``       rows from pre-trained vectors, kept frozen;
* ``non-static``   rows from pre-trained vectors, fine-tuned;
* ``multichannel`` two tables from the same vectors, one frozen and one fine-tuned; their
                   outputs are concatenated along the feature axis, so a following
                   ``Conv1d`` sees ``2·D`` input channels (each filter has weights for both).

Words missing from the vectors (and every row in ``rand``) are drawn from ``U(-a, a)`` with
``a = 0.25``, Kim's choice, which gives them roughly the variance of word2vec's vectors.
Row ``padding_idx`` (``<pad>``) is zero and receives no gradient.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError

log = logging.getLogger(__name__)

__all__ = ["MODES", "embedding_matrix", "WordEmbedding"]

MODES = ("rand", "static", "non-static", "multichannel")


def embedding_matrix(words: Sequence[str], vectors: Any | None, dim: int | None = None, *, scale: float = 0.25,
                     seed: int = 0, padding_idx: int | None = 0, standardize: bool = False
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Rows for ``words`` (a vocabulary's ``itos``) from ``vectors`` (a ``KeyedVectors``), by word.

    Returns ``(matrix (V, D) float32, found (V,) bool)``: row ``i`` is ``vectors[words[i]]`` when the
    word is there, else uniform in ``±scale`` (seeded); the ``padding_idx`` row is zero. Subword
    vectors (``FastTextKeyedVectors``, which have ``has_vector``) also give out-of-vocabulary words
    their n-gram vector (``found`` is then True for them).
    ``dim`` must equal ``vectors.vector_size`` when both are given (:class:`ConfigError` otherwise).

    ``standardize``: first subtract the mean of all the vectors and rescale them so their entries
    have the standard deviation of ``U(±scale)`` (``scale / sqrt(3)``). Vectors trained on a small
    corpus share a large common direction (rare words point almost the same way); removing it
    (cf. Mu & Viswanath 2018, "All-but-the-Top", arXiv 1702.01417) keeps rare words apart, and the
    rescaling puts found and random rows on the same scale, which was Kim's reason for ``±0.25``.
    """
    if vectors is not None:
        vdim = int(vectors.vector_size)
        if dim is not None and dim != vdim:
            raise ConfigError(f"the vectors have dimension {vdim} but the embedding dimension asked for is {dim}; "
                              f"drop the dimension option or use vectors of dimension {dim}")
        dim = vdim
    if dim is None or dim < 1:
        raise ConfigError(f"embedding dimension must be >= 1, got {dim}")
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-scale, scale, size=(len(words), dim)).astype(np.float32)
    found = np.zeros(len(words), dtype=bool)
    if vectors is not None:
        index = vectors.key_to_index
        rows = np.fromiter((index.get(w, -1) for w in words), dtype=np.int64, count=len(words))
        found = rows >= 0
        table = np.asarray(vectors.vectors, dtype=np.float32)
        shift, factor = np.zeros((1, dim), np.float32), np.float32(1.0)
        if standardize:
            shift = table.mean(axis=0, keepdims=True)
            factor = np.float32(scale / np.sqrt(3.0) / max(float((table - shift).std()), 1e-12))
            table = (table - shift) * factor
        matrix[found] = table[rows[found]]
        subword = getattr(vectors, "has_vector", None)  # fastText: a vector for any string from its n-grams
        if subword is not None:
            for i in np.flatnonzero(~found):
                if i != padding_idx and subword(words[i]):
                    matrix[i] = (np.asarray(vectors.get_vector(words[i]), np.float32) - shift[0]) * factor
                    found[i] = True
    if padding_idx is not None:
        matrix[padding_idx] = 0.0
        found[padding_idx] = False
    return matrix, found


class WordEmbedding(nn.Module):
    """Token ids ``(B, T)`` → vectors ``(B, T, channels · D)`` in one of :data:`MODES`.

    Parameters
    ----------
    num_words, dim: table size.
    mode: ``rand``, ``static``, ``non-static`` or ``multichannel``.
    weights: initial table ``(num_words, dim)`` (e.g. from :func:`embedding_matrix`); required unless ``rand``.
    padding_idx: id of the padding token (zero row, no gradient).
    """

    def __init__(self, num_words: int, dim: int, mode: str = "rand", weights: np.ndarray | torch.Tensor | None = None,
                 padding_idx: int | None = 0, scale: float = 0.25) -> None:
        super().__init__()
        if mode not in MODES:
            raise ConfigError(f"unknown embedding mode {mode!r}; choose one of {', '.join(MODES)}")
        if weights is None:
            if mode != "rand":
                log.info("embedding mode %s without vectors: starting from random rows", mode)
            weights = torch.empty(num_words, dim).uniform_(-scale, scale)
            if padding_idx is not None:
                weights[padding_idx] = 0.0
        weights = torch.as_tensor(weights, dtype=torch.float32)
        if tuple(weights.shape) != (num_words, dim):
            raise ConfigError(f"embedding weights have shape {tuple(weights.shape)}, expected ({num_words}, {dim})")
        self.mode, self.dim = mode, dim
        self.embed = nn.Embedding.from_pretrained(weights.clone(), freeze=(mode == "static"), padding_idx=padding_idx)
        self.static: nn.Embedding | None = None
        if mode == "multichannel":
            self.static = nn.Embedding.from_pretrained(weights.clone(), freeze=True, padding_idx=padding_idx)

    @property
    def channels(self) -> int:
        """Number of tables (2 in ``multichannel``, else 1)."""
        return 2 if self.static is not None else 1

    @property
    def out_dim(self) -> int:
        """Width of the output: ``channels · dim``."""
        return self.channels * self.dim

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` int64 ids → ``(B, T, channels · D)``."""
        x = self.embed(ids)  # (B, T, D)
        if self.static is not None:
            x = torch.cat([self.static(ids), x], dim=-1)  # (B, T, 2D)
        return x
