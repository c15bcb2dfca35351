"""Decoders: plain / peeky (DLfS-2 ch. 7) and with attention (DLfS-2 ch. 8; Luong et al. 2015).

Both run their RNN over the whole teacher-forced target at once in training (one cuDNN/MKL
call) and one token at a time in search; :meth:`Decoder.forward` serves both (``T = 1``).

* ``Decoder``: ``h_t = RNN([E y_{t-1}; peek], h_{t-1})``, ``logits = W_o [h_t; peek]``, where the
  RNN starts from the encoder's final state and ``peek`` (DLfS-2's ``PeekyDecoder``) is the
  encoder's final hidden vector fed to every step (only when ``peeky``).
* ``AttentionDecoder``: the same RNN, then ``c_t = Σ_s a_ts h̄_s`` with ``a_t = attention(h_t, h̄)``
  and the attentional hidden state ``h̃_t = tanh(W_c [c_t; h_t])`` (Luong et al. 2015, Eq. 5),
  ``logits = W_o h̃_t``. The query is the current state ``h_t`` (Luong's "global attention"; also
  DLfS-2's ``AttentionDecoder``), so teacher-forced training needs no Python loop over time.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers.attention import Attention
from ..layers.recurrent import make_rnn
from .encoders import State


class Decoder(nn.Module):
    """Embedding + RNN + output layer; optional peeky input (see the module docstring)."""

    def __init__(self, vocab_size: int, emb: int, hidden: int, cell: str = "lstm", layers: int = 1,
                 dropout: float = 0.0, peeky: bool = False, pad_id: int = 0) -> None:
        super().__init__()
        self.peeky = peeky
        peek = hidden if peeky else 0
        self.embedding = nn.Embedding(vocab_size, emb, padding_idx=pad_id)
        self.dropout = nn.Dropout(dropout)
        self.rnn = make_rnn(cell, emb + peek, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(hidden + peek, vocab_size)

    def forward(self, y: torch.Tensor, state: State, memory: torch.Tensor | None = None,
                mask: torch.Tensor | None = None, proj_keys: torch.Tensor | None = None,
                peek: torch.Tensor | None = None, group: int = 1
                ) -> tuple[torch.Tensor, State, torch.Tensor | None]:
        """Decode ``T`` steps.

        ``y`` (B, T) previous tokens; ``state`` the RNN state; ``memory`` (N, S, H) encoder outputs,
        ``mask`` (N, S) True = real source position, ``proj_keys`` their projection (attention only);
        ``peek`` (B, H) the encoder's final hidden vector (peeky only). ``group``: rows per source
        sentence, ``B = N · group`` (row ``r`` attends over memory row ``r // group``; beam search keeps
        the memory once per sentence instead of once per beam).
        Returns logits (B, T, V), the new state, and attention weights (B, T, S) or ``None``.
        """
        x = self.dropout(self.embedding(y))                              # (B, T, E)
        if self.peeky:
            p = peek.unsqueeze(1).expand(-1, y.size(1), -1)              # (B, T, H)
            x = torch.cat([x, p], dim=-1)                                # (B, T, E+H)
        h, state = self.rnn(x, state)                                    # (B, T, H)
        h, weights = self.attend(h, memory, mask, proj_keys, group)
        h = self.dropout(h)
        if self.peeky:
            h = torch.cat([h, p], dim=-1)                                # (B, T, H'+H)
        return self.out(h), state, weights                               # (B, T, V)

    def attend(self, h: torch.Tensor, memory: torch.Tensor | None, mask: torch.Tensor | None,
               proj_keys: torch.Tensor | None, group: int = 1) -> tuple[torch.Tensor, torch.Tensor | None]:
        """No attention: the RNN output (B, T, H) goes straight to the output layer."""
        return h, None

    def project_keys(self, memory: torch.Tensor) -> torch.Tensor | None:
        """Key projection, once per source sentence (``None`` without attention)."""
        return None


class AttentionDecoder(Decoder):
    """:class:`Decoder` + :class:`~wordlab.layers.attention.Attention` over the encoder outputs."""

    def __init__(self, vocab_size: int, emb: int, hidden: int, cell: str = "lstm", layers: int = 1,
                 dropout: float = 0.0, peeky: bool = False, pad_id: int = 0, attention: str = "additive") -> None:
        super().__init__(vocab_size, emb, hidden, cell, layers, dropout, peeky, pad_id)
        self.attention = Attention(attention, query_size=hidden, key_size=hidden)
        self.combine = nn.Linear(2 * hidden, hidden)                     # Luong Eq. 5: W_c [c_t; h_t]

    def attend(self, h: torch.Tensor, memory: torch.Tensor | None, mask: torch.Tensor | None,
               proj_keys: torch.Tensor | None, group: int = 1) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``h̃_t = tanh(W_c [c_t; h_t])`` with ``c_t`` the attention context of ``h_t``.

        With ``group > 1`` the ``group`` rows of one sentence are its queries: (N·g, T, H) is viewed
        as (N, g·T, H), so one memory row serves them all without being copied.
        """
        B, T, H = h.shape
        q = h.reshape(B // group, group * T, H) if group > 1 else h                     # (N, g·T, H)
        context, weights = self.attention(q, memory, mask=mask, proj_keys=proj_keys)  # (N, g·T, H), (N, g·T, S)
        if group > 1:
            context, weights = context.reshape(B, T, -1), weights.reshape(B, T, -1)    # (B, T, H), (B, T, S)
        return torch.tanh(self.combine(torch.cat([context, h], dim=-1))), weights    # (B, T, H)

    def project_keys(self, memory: torch.Tensor) -> torch.Tensor:
        return self.attention.project_keys(memory)
