"""``CBOW`` and ``SkipGram`` as ``nn.Module``s: two ``nn.Embedding`` tables and a ``NegativeSamplingLoss``.

DLfS-2 ch. 3–4 in torch. ``W_in`` holds the word vectors users keep; ``W_out`` the output
("context") vectors the loss scores against. Both are ``sparse=True`` embeddings, so an
SGD step touches only the rows of a batch. Initialised as the word2vec C tool and gensim
do: ``W_in ~ U(-0.5, 0.5) / D``, ``W_out = 0``.

Direction: as in the C tool and gensim, skip-gram's input is a *context* word's vector and
its target the *centre* word (``h = W_in[context]`` predicts ``centre``); over a window this
is the same set of pairs as "centre predicts context", and it lets one set of negatives per
centre word be shared by the whole window (see :mod:`wordlab.word2vec.kernel`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..layers.negative_sampling import NegativeSamplingLoss


def init_input_vectors(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """``U(-1, 1) / dim`` (float32, (n, dim)) — gensim 4's initial word vectors (``prep_vectors``).

    The C tool draws ``U(-0.5, 0.5) / dim``; on wikimix (5 epochs, 3 seeds) the wider start gave
    +0.5 analogy points for both CBOW and skip-gram and closed most of CBOW's gap to gensim.
    """
    return ((rng.random((n, dim), dtype=np.float32) * np.float32(2.0) - np.float32(1.0))
            / np.float32(dim)).astype(np.float32)


class _Word2VecModule(nn.Module):
    def __init__(self, vocab_size: int, dim: int, W_in: np.ndarray | None = None,
                 W_out: np.ndarray | None = None, seed: int = 1) -> None:
        super().__init__()
        self.W_in = nn.Embedding(vocab_size, dim, sparse=True)
        self.W_out = nn.Embedding(vocab_size, dim, sparse=True)
        with torch.no_grad():
            if W_in is None:
                W_in = init_input_vectors(vocab_size, dim, np.random.default_rng(seed))
            if W_out is None:
                W_out = np.zeros((vocab_size, dim), np.float32)
            # share memory with the numpy arrays (CPU), so both trainers update the same weights
            self.W_in.weight = nn.Parameter(torch.from_numpy(np.ascontiguousarray(W_in, np.float32)))
            self.W_out.weight = nn.Parameter(torch.from_numpy(np.ascontiguousarray(W_out, np.float32)))
        self.loss = NegativeSamplingLoss(self.W_out, reduction="sum")


class SkipGram(_Word2VecModule):
    """Skip-gram with negative sampling (Mikolov et al. 2013a/b).

    ``forward(inputs, targets, negatives, neg_mask)``: ``inputs`` (B,) context words,
    ``targets`` (B,) their centre words, ``negatives`` (B, k) noise words → summed loss.
    """

    def forward(self, inputs: torch.Tensor, targets: torch.Tensor, negatives: torch.Tensor,
                neg_mask: torch.Tensor | None = None) -> torch.Tensor:
        h = self.W_in(inputs)  # (B, D)
        return self.loss(h, targets, negatives, neg_mask)


class CBOW(_Word2VecModule):
    """Continuous bag of words: the mean of the context vectors predicts the centre word.

    ``forward(contexts, ctx_mask, targets, negatives, neg_mask)``: ``contexts`` (B, C) padded
    with any id where ``ctx_mask`` (B, C) is 0. The gradient reaching each context row is the
    full gradient of ``h`` — not ``1/m`` of it — which is the update of the C tool and of gensim's
    ``cbow_mean=1`` (a straight-through mean: forward ``mean``, backward ``sum``).
    """

    def forward(self, contexts: torch.Tensor, ctx_mask: torch.Tensor, targets: torch.Tensor,
                negatives: torch.Tensor, neg_mask: torch.Tensor | None = None) -> torch.Tensor:
        mask = ctx_mask.to(self.W_in.weight.dtype).unsqueeze(-1)  # (B, C, 1)
        total = (self.W_in(contexts) * mask).sum(1)  # (B, D)
        count = mask.sum(1).clamp_min(1.0)  # (B, 1)
        h = (total / count).detach() + total - total.detach()  # value: mean; gradient: as for the sum
        return self.loss(h, targets, negatives, neg_mask)
