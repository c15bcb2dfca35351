"""Recurrent building blocks: locked (variational) dropout, RNN cell factory, state helpers.

Locked dropout (Gal & Ghahramani 2016, "A Theoretically Grounded Application of Dropout in
Recurrent Neural Networks", arXiv 1512.05287) samples ONE mask per sequence and feature and
reuses it at every time step, instead of a fresh mask per step; Merity et al. 2017 (AWD-LSTM)
call it ``LockedDropout``. A recurrent state is a tensor ``(layers, B, H)`` (RNN, GRU) or a
pair ``(h, c)`` of them (LSTM); :func:`detach_state` cuts it from the graph between
truncated-BPTT windows.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..errors import ConfigError

CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")

State = Any  # torch.Tensor | tuple[torch.Tensor, ...] | list[...] | None


class LockedDropout(nn.Module):
    """Dropout whose mask is shared over the time axis (Gal & Ghahramani 2016).

    Input ``(B, T, H)`` with ``batch_first=True`` (mask ``(B, 1, H)``) or ``(T, B, H)`` with
    ``batch_first=False`` (mask ``(1, B, H)``); kept units are scaled by ``1/(1-p)``.
    Identity in eval mode or when ``p == 0``.
    """

    def __init__(self, p: float = 0.5, batch_first: bool = True) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ConfigError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.batch_first = batch_first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.batch_first:
            mask = x.new_empty(x.size(0), 1, x.size(2))  # (B, 1, H)
        else:
            mask = x.new_empty(1, x.size(1), x.size(2))  # (1, B, H)
        return x * mask.bernoulli_(1.0 - self.p) / (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}, batch_first={self.batch_first}"


def make_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0,
             batch_first: bool = True, bidirectional: bool = False) -> nn.RNNBase:
    """``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` (tanh or relu; ``"rnn"`` is ``"rnn_tanh"``); ``batch_first=False``
    takes ``(T, B, ·)`` input, which skips the two transposes ``batch_first`` costs (~10 % of a small LSTM
    LM's step on CPU)."""
    kw = dict(dropout=dropout, batch_first=batch_first, bidirectional=bidirectional)
    if cell == "lstm":
        return nn.LSTM(input_size, hidden_size, num_layers, **kw)
    if cell == "gru":
        return nn.GRU(input_size, hidden_size, num_layers, **kw)
    if cell in ("rnn", "rnn_tanh", "rnn_relu"):
        return nn.RNN(input_size, hidden_size, num_layers, nonlinearity="relu" if cell == "rnn_relu" else "tanh",
                      **kw)
    raise ConfigError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")


def detach_state(state: State) -> State:
    """Cut a recurrent state (tensor, tuple/list of them, or None) from the autograd graph."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return type(state)(detach_state(s) for s in state)


def state_to_plain(state: State) -> Any:
    """A recurrent state as nested lists of CPU tensors (``torch.load(weights_only=True)``-safe)."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach().cpu()
    return [state_to_plain(s) for s in state]


def state_from_plain(plain: Any, like_lstm: bool, dev: torch.device | str = "cpu") -> State:
    """Inverse of :func:`state_to_plain` for a list of per-layer states (LSTM layers hold ``(h, c)`` tuples)."""
    if plain is None:
        return None
    if like_lstm:
        return [tuple(t.to(dev) for t in layer) for layer in plain]
    return [t.to(dev) for t in plain]


def select_state(state: State, index: torch.Tensor | slice) -> State:
    """Rows ``index`` of the batch axis (dim 1 of ``(layers, B, H)``) of every tensor in ``state``."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state[:, index]
    return type(state)(select_state(s, index) for s in state)
