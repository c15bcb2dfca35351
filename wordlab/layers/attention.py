"""Attention: a query attends over a set of keys (= values) and returns their weighted sum.

Three score functions, each named by its equation:

* ``"dot"``      ``score(q, k) = qᵀ k``                 Luong, Pham & Manning 2015 (D15-1166), Eq. 8 ("dot")
* ``"general"``  ``score(q, k) = qᵀ W_a k``             Luong et al. 2015, Eq. 8 ("general")
* ``"additive"`` ``score(q, k) = v_aᵀ tanh(W_a q + U_a k)``  Bahdanau, Cho & Bengio 2015 (arXiv 1409.0473),
  Section A.1.2 (there ``e_ij = v_aᵀ tanh(W_a s_{i-1} + U_a h_j)``)

then ``weights = softmax(scores)`` over the keys and ``context = Σ_j weights_j · k_j``
(DLfS-2's ``AttentionWeight`` + ``WeightSum``).

**Mask semantics** (written once, used everywhere): ``mask`` is a bool tensor ``(B, S)``,
``True`` for a real source position and ``False`` for padding. Masked scores are set to
``-inf`` before the softmax, so padded positions get weight exactly ``0`` and their key
vectors cannot change the context. Every row must have at least one real position.

**Cheap path**: the part of the score that depends only on the keys (``W_a k`` for
"general", ``U_a k`` for "additive") is computed once per source sentence by
:meth:`Attention.project_keys` and passed back in as ``proj_keys`` at every decoding step;
it is an argument, never state kept on the module.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError

KINDS = ("dot", "general", "additive")


class Attention(nn.Module):
    """Score queries against keys, softmax over the (unmasked) keys, return ``(context, weights)``.

    Parameters
    ----------
    kind: ``"dot"``, ``"general"`` or ``"additive"`` (see the module docstring for the equations).
    query_size: size of a query vector (the decoder state).
    key_size: size of a key vector (the encoder output); must equal ``query_size`` for ``"dot"``.
    hidden_size: size of the additive layer (``W_a``, ``U_a`` output; default ``key_size``).
    """

    def __init__(self, kind: str, query_size: int, key_size: int | None = None,
                 hidden_size: int | None = None) -> None:
        super().__init__()
        key_size = query_size if key_size is None else key_size
        if kind not in KINDS:
            raise ConfigError(f"attention kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if kind == "dot" and key_size != query_size:
            raise ConfigError(f"dot attention needs query size == key size, got {query_size} and {key_size}; "
                              f"use 'general' or 'additive'")
        self.kind = kind
        self.query_size, self.key_size = query_size, key_size
        if kind == "general":
            self.W_a = nn.Linear(key_size, query_size, bias=False)  # Luong Eq. 8: W_a h̄_s, projected once
        elif kind == "additive":
            hidden_size = hidden_size or key_size
            self.W_a = nn.Linear(query_size, hidden_size, bias=False)  # on the query, every step
            self.U_a = nn.Linear(key_size, hidden_size, bias=False)    # on the keys, once per sentence
            self.v_a = nn.Linear(hidden_size, 1, bias=False)

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, query_size={self.query_size}, key_size={self.key_size}"

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """The key-only part of the score, once per source sentence: ``(B, S, K)`` → ``(B, S, ·)``."""
        if self.kind == "general":
            return self.W_a(keys)  # (B, S, Q)
        if self.kind == "additive":
            return self.U_a(keys)  # (B, S, A)
        return keys  # (B, S, K): dot needs no projection

    def scores(self, query: torch.Tensor, proj_keys: torch.Tensor) -> torch.Tensor:
        """Unnormalised scores: query ``(B, T, Q)``, projected keys ``(B, S, ·)`` → ``(B, T, S)``."""
        if self.kind == "additive":
            q = self.W_a(query)                                       # (B, T, A)
            e = torch.tanh(q.unsqueeze(2) + proj_keys.unsqueeze(1))   # (B, T, S, A)
            return self.v_a(e).squeeze(-1)                            # (B, T, S)
        return torch.bmm(query, proj_keys.transpose(1, 2))           # (B, T, Q) x (B, Q, S) → (B, T, S)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None,
                proj_keys: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend.

        Parameters
        ----------
        query: ``(B, Q)`` for one step or ``(B, T, Q)`` for ``T`` steps at once.
        keys: ``(B, S, K)`` encoder outputs (they are also the values).
        mask: ``(B, S)`` bool, ``True`` = real position, ``False`` = padding (weight exactly 0).
        proj_keys: ``self.project_keys(keys)``, computed once per sentence; computed here when ``None``.

        Returns
        -------
        context ``(B, K)`` / ``(B, T, K)`` and weights ``(B, S)`` / ``(B, T, S)`` (each row sums to 1).
        """
        single = query.dim() == 2
        if single:
            query = query.unsqueeze(1)                                # (B, 1, Q)
        if proj_keys is None:
            proj_keys = self.project_keys(keys)
        scores = self.scores(query, proj_keys)                        # (B, T, S)
        if mask is not None:
            scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = F.softmax(scores, dim=-1)                           # (B, T, S)
        context = torch.bmm(weights, keys)                            # (B, T, S) x (B, S, K) → (B, T, K)
        if single:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights
