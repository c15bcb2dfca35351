"""RNN language model: embedding → stacked RNN/LSTM/GRU with (locked) dropout → softmax.

DLfS-2 ch. 5–6 (``Rnnlm`` → ``BetterRnnlm``) and the PyTorch ``word_language_model`` example,
on ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``. With variational dropout, one single-layer module per layer so a locked
dropout mask (Gal & Ghahramani 2016) can sit between layers, as in AWD-LSTM (Merity et al. 2017).

    ids (B, T) ─► Embedding ─► drop_e ─► RNN₁ ─► drop ─► … ─► RNN_L ─► drop ─► [proj] ─► Linear ─► logits (B, T, V)

The model is incremental: ``forward(ids, state)`` returns the new state, so generation feeds
one token at a time and never recomputes the prefix; ``step`` / ``reorder_state`` are the step
protocol :mod:`wordlab.decoding` samples and searches with. It takes and returns batch-first tensors but
runs time-major inside, as the PyTorch example does (``nn.LSTM`` without ``batch_first`` saves two
transposes: ~10 % of a 2×200 LSTM's training step on CPU); the logits come back as a ``(B, T, V)``
view of a contiguous ``(T, B, V)`` tensor, so ``logits.transpose(0, 1)`` is free.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers.recurrent import LockedDropout, State, make_rnn, select_state
from .config import LMConfig


class RNNLanguageModel(nn.Module):
    """Word-level RNN language model; hyper-parameters in :class:`LMConfig`.

    ``forward(ids (B, T), state) -> (logits (B, T, V), state)``; the state is a list with one
    entry per recurrent module (a ``(layers, B, H)`` tensor, or an ``(h, c)`` pair for LSTM),
    ``None`` = zeros. With ``variational=True`` there is one single-layer module per layer (locked
    masks between them); otherwise one fused ``layers``-deep module, as in the PyTorch example.
    """

    def __init__(self, cfg: LMConfig) -> None:
        super().__init__()
        self.config = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.emb_size)
        if cfg.variational:
            # one module per layer, a locked mask between layers
            self.emb_drop = LockedDropout(cfg.emb_dropout, batch_first=False)
            self.rnns = nn.ModuleList(
                make_rnn(cfg.cell, cfg.emb_size if i == 0 else cfg.hidden_size, cfg.hidden_size, batch_first=False)
                for i in range(cfg.layers))
            self.drops = nn.ModuleList(LockedDropout(cfg.dropout, batch_first=False) for _ in range(cfg.layers))
        else:
            # Zaremba et al.'s per-step dropout: one fused multi-layer module drops between its layers itself
            self.emb_drop = nn.Dropout(cfg.emb_dropout)
            self.rnns = nn.ModuleList([make_rnn(cfg.cell, cfg.emb_size, cfg.hidden_size, cfg.layers,
                                                dropout=cfg.dropout if cfg.layers > 1 else 0.0, batch_first=False)])
            self.drops = nn.ModuleList([nn.Dropout(cfg.dropout)])
        out_size = cfg.hidden_size
        # Weight tying needs the softmax input to have the embedding's size: project when it does not.
        self.proj = nn.Linear(cfg.hidden_size, cfg.emb_size) if cfg.tie_weights and cfg.hidden_size != cfg.emb_size \
            else None
        if self.proj is not None:
            out_size = cfg.emb_size
        self.decoder = nn.Linear(out_size, cfg.vocab_size)
        self.reset_parameters()
        if cfg.tie_weights:
            # Press & Wolf 2017 ("Using the Output Embedding to Improve Language Models", arXiv 1608.05859);
            # Inan et al. 2017 ("Tying Word Vectors and Word Classifiers", arXiv 1611.01462).
            self.decoder.weight = self.embedding.weight

    def reset_parameters(self) -> None:
        """Uniform ``±init_range`` for every weight, zero decoder bias (Zaremba et al. 2014, arXiv 1409.2329)."""
        r = self.config.init_range
        for name, p in self.named_parameters():
            nn.init.uniform_(p, -r, r)
        nn.init.zeros_(self.decoder.bias)

    @property
    def is_lstm(self) -> bool:
        """Whether each layer's state is an ``(h, c)`` pair."""
        return self.config.cell == "lstm"

    def forward(self, ids: torch.Tensor, state: State = None) -> tuple[torch.Tensor, list]:
        """Logits of the next word at every position, and the state after the last one.

        ``ids`` is ``(B, T)``; the logits are ``(B, T, V)``, a transposed view of a contiguous
        time-major ``(T, B, V)`` tensor."""
        h, new_state = self.features(ids, state)
        return self.output(h), new_state

    def features(self, ids: torch.Tensor, state: State = None) -> tuple[torch.Tensor, list]:
        """The vectors the output layer reads, ``(B, T, D)`` (a view of time-major ``(T, B, D)``), and the state."""
        x = self.emb_drop(self.embedding(ids.t()))  # (T, B, E)
        new_state = []
        for i, (rnn, drop) in enumerate(zip(self.rnns, self.drops)):
            x, s = rnn(x, None if state is None else state[i])  # (T, B, H)
            x = drop(x)
            new_state.append(s)
        if self.proj is not None:
            x = self.proj(x)  # (T, B, E)
        return x.transpose(0, 1), new_state

    def output(self, h: torch.Tensor) -> torch.Tensor:
        """Logits from :meth:`features` (``(B, T, D)`` → ``(B, T, V)``, time-major underneath as ``h`` is)."""
        return self.decoder(h.transpose(0, 1)).transpose(0, 1)

    def step(self, ids: torch.Tensor, state: State = None) -> tuple[torch.Tensor, list]:
        """The decoding step protocol: logits (B, V) of the word after the last of ``ids`` (B, T), and the state."""
        logits, state = self(ids, state)                      # (B, T, V)
        return logits[:, -1], state

    def reorder_state(self, state: State, index: torch.Tensor) -> State:
        """Rows ``index`` (B',) of the batch axis of every layer's state (``None`` stays ``None``)."""
        return select_state(state, index)

    def init_state(self, batch_size: int) -> list:
        """The all-zero state for ``batch_size`` sequences."""
        w = self.embedding.weight
        H = self.config.hidden_size
        out = []
        for rnn in self.rnns:
            zeros = lambda: w.new_zeros(rnn.num_layers, batch_size, H)  # noqa: E731  (layers, B, H)
            out.append((zeros(), zeros()) if self.is_lstm else zeros())
        return out

    def num_parameters(self) -> int:
        """Trainable parameters (a tied matrix counted once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
