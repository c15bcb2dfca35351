"""The encoder: embedding + LSTM/GRU over the source, optionally bidirectional (DLfS-2 ``Encoder``)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..errors import ConfigError
from ..layers.recurrent import make_rnn

CELLS = ("rnn", "lstm", "gru")  # built by layers.recurrent.make_rnn; "rnn" is tanh, its state a tensor as GRU's

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]  # GRU h, or LSTM (h, c); each (layers, B, H)


class Encoder(nn.Module):
    """Embed the source and run an RNN over it.

    A bidirectional encoder gives each direction ``hidden // 2`` units and concatenates them,
    so its outputs and final state have ``hidden`` units like a unidirectional one (the
    OpenNMT ``brnn`` convention) and the decoder can start from that state directly.
    Padding (id ``pad_id``) is skipped with a packed sequence, so it changes nothing.
    """

    def __init__(self, vocab_size: int, emb: int, hidden: int, cell: str = "lstm", layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, pad_id: int = 0) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ConfigError(f"cell must be one of {', '.join(CELLS)}, not {cell!r}")
        if bidirectional and hidden % 2:
            raise ConfigError(f"a bidirectional encoder splits hidden between its directions; hidden {hidden} is odd")
        self.bidirectional, self.hidden, self.layers = bidirectional, hidden, layers
        self.embedding = nn.Embedding(vocab_size, emb, padding_idx=pad_id)
        self.dropout = nn.Dropout(dropout)
        self.rnn = make_rnn(cell, emb, hidden // 2 if bidirectional else hidden, layers,
                            dropout=dropout if layers > 1 else 0.0, bidirectional=bidirectional)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, State]:
        """``src`` (B, S) ids, ``lengths`` (B,) → outputs (B, S, H) (zeros at padding) and the final state."""
        x = self.dropout(self.embedding(src))                        # (B, S, E)
        if int(lengths.min()) == src.size(1):                        # no padding: skip packing
            out, state = self.rnn(x)                                 # (B, S, H)
        else:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, state = self.rnn(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))  # (B, S, H)
        if self.bidirectional:
            state = tuple(self._merge(s) for s in state) if isinstance(state, tuple) else self._merge(state)
        return self.dropout(out), state

    def _merge(self, s: torch.Tensor) -> torch.Tensor:
        """(layers·2, B, H/2) → (layers, B, H): forward and backward final states side by side."""
        s = s.view(self.layers, 2, s.size(1), s.size(2))             # (L, 2, B, H/2)
        return torch.cat([s[:, 0], s[:, 1]], dim=-1)                 # (L, B, H)
