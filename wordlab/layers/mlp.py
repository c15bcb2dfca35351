"""``MLP``: a stack of ``Linear`` layers with activation, optional batch/layer norm and dropout.

For ``sizes = [d0, d1, ..., dL]`` the network is::

    h_0 = x
    h_l = dropout(act(norm(W_l h_{l-1} + b_l)))   for l = 1 .. L-1
    y   = W_L h_{L-1} + b_L                        (no activation: logits / regression output)

Weights start He-initialised for ReLU/GELU and Xavier for tanh/sigmoid (see :mod:`wordlab.layers.init`).
Batch norm: Ioffe & Szegedy 2015 (arXiv 1502.03167); layer norm: Ba et al. 2016 (arXiv 1607.06450).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..errors import ConfigError
from .init import init_weights_

__all__ = ["MLP", "activation_module", "NORMS"]

NORMS = (None, "batch", "layer")


def activation_module(name: str) -> nn.Module:
    """``"relu" | "tanh" | "gelu" | "sigmoid"`` → the torch module."""
    table = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}
    if name not in table:
        raise ConfigError(f"unknown activation {name!r}; choose one of {', '.join(table)}")
    return table[name]()


class MLP(nn.Module):
    """Multi-layer perceptron over the last dimension.

    Parameters
    ----------
    sizes: layer widths including input and output, e.g. ``[300, 100, 2]`` (at least two).
    activation: ``relu``, ``tanh``, ``gelu`` or ``sigmoid`` between layers.
    dropout: drop probability after each hidden activation (``0`` disables).
    norm: ``None``, ``"batch"`` (``BatchNorm1d``, input must be ``(B, d)``) or ``"layer"`` (``LayerNorm``).
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", dropout: float = 0.0,
                 norm: str | None = None) -> None:
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ConfigError(f"MLP sizes must list at least an input and an output width, all >= 1; got {sizes}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout}")
        if norm not in NORMS:
            raise ConfigError(f"norm must be None, 'batch' or 'layer', not {norm!r}")
        activation_module(activation)  # validate early
        self.sizes, self.activation, self.norm = sizes, activation, norm
        layers: list[nn.Module] = []
        for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(d_in, d_out))
            if i < len(sizes) - 2:  # hidden layer
                if norm == "batch":
                    layers.append(nn.BatchNorm1d(d_out))
                elif norm == "layer":
                    layers.append(nn.LayerNorm(d_out))
                layers.append(activation_module(activation))
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
        self.net = nn.Sequential(*layers)
        init_weights_(self.net, activation)
        last = [m for m in self.net if isinstance(m, nn.Linear)][-1]
        nn.init.xavier_uniform_(last.weight)  # output layer: no nonlinearity follows

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., sizes[0])`` → ``(..., sizes[-1])``."""
        return self.net(x)
