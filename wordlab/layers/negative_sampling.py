"""Negative sampling (Mikolov et al. 2013b, "Distributed Representations of Words and Phrases"),
built as in DLfS-2 ch. 4: ``EmbeddingDot`` scores (hidden, word) pairs against an output
embedding, ``NegativeSamplingLoss`` turns one positive and ``k`` negatives into binary
classification with sigmoid + cross-entropy::

    L = -log σ(h · w_out[target]) - Σ_{n=1..k} log σ(-h · w_out[neg_n])

Noise words come from the unigram distribution raised to 0.75 (``wordlab.text.NoiseSampler``);
callers may pass their own ``negatives`` (the word2vec trainers do, to share them per centre word).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..text.sampling import NoiseSampler


class EmbeddingDot(nn.Module):
    """Scores ``h · W[idx]`` of hidden vectors against rows of an output embedding (DLfS-2 §4.2.3)."""

    def __init__(self, embedding: nn.Embedding) -> None:
        super().__init__()
        self.embed = embedding

    def forward(self, h: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """``h`` (B, D), ``idx`` (B,) or (B, K) → scores (B,) or (B, K)."""
        w = self.embed(idx)  # (B, D) or (B, K, D)
        if idx.dim() == 1:
            return (h * w).sum(-1)  # (B,)
        return (w * h.unsqueeze(-2)).sum(-1)  # (B, K, D) * (B, 1, D) → (B, K); faster than bmm for K×1 products


class NegativeSamplingLoss(nn.Module):
    """Sigmoid + binary cross-entropy over 1 positive and ``k`` negatives per example, summed.

    Parameters
    ----------
    embedding: the output embedding ``W_out`` (V, D).
    counts: word counts for the noise distribution (only needed when ``forward`` draws negatives).
    k: negatives per positive.
    power: noise distribution exponent (0.75).
    reduction: ``"sum"`` (word2vec's SGD: one step of size α per pair) or ``"mean"``.
    """

    def __init__(self, embedding: nn.Embedding, counts: np.ndarray | None = None, k: int = 5,
                 power: float = 0.75, reduction: str = "sum", seed: int | None = None) -> None:
        super().__init__()
        if k < 1:
            raise ValueError(f"k (negatives per positive) must be >= 1, got {k}")
        if reduction not in ("sum", "mean", "none"):
            raise ValueError(f"reduction must be sum, mean or none, not {reduction!r}")
        self.dot = EmbeddingDot(embedding)
        self.k = k
        self.reduction = reduction
        self.sampler = NoiseSampler(counts, power, seed=seed) if counts is not None else None

    def forward(self, h: torch.Tensor, target: torch.Tensor, negatives: torch.Tensor | None = None,
                neg_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Loss of hidden vectors ``h`` (B, D) predicting ``target`` (B,) against ``negatives`` (B, k).

        ``neg_mask`` (B, k), 1 = use, 0 = ignore (e.g. a noise word equal to the target, which
        word2vec skips). Negatives are drawn from the noise distribution when not given.
        """
        if negatives is None:
            if self.sampler is None:
                raise ValueError("NegativeSamplingLoss was built without counts: pass negatives")
            negatives = torch.from_numpy(self.sampler.sample((h.shape[0], self.k))).to(h.device)
        pos = self.dot(h, target)  # (B,)
        neg = self.dot(h, negatives)  # (B, k)
        # -log σ(x) = softplus(-x);  -log σ(-x) = softplus(x)
        neg_loss = F.softplus(neg)  # (B, k)
        if neg_mask is not None:
            neg_loss = neg_loss * neg_mask
        loss = F.softplus(-pos) + neg_loss.sum(-1)  # (B,)
        if self.reduction == "sum":
            return loss.sum()
        if self.reduction == "mean":
            return loss.mean()
        return loss
