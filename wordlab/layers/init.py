"""Weight initialisation (the seed notes' 权重初始化): Xavier/Glorot and He/Kaiming, on ``torch.nn.init``.

Why the scale matters: with ``y = W x`` and i.i.d. weights of variance ``σ²``, the
variance of each output is ``fan_in · σ² · Var(x)``. Keeping it constant layer after
layer needs ``σ² ≈ 1 / fan_in``.

* Xavier / Glorot (Glorot & Bengio 2010, http://proceedings.mlr.press/v9/glorot10a.html),
  for tanh / sigmoid: a compromise between the forward and backward pass,
  ``Var(W) = gain² · 2 / (fan_in + fan_out)``; uniform on ``±gain · sqrt(6 / (fan_in + fan_out))``.
* He / Kaiming (He et al. 2015, arXiv 1502.01852), for ReLU: half the units are zero, so
  ``Var(W) = gain² / fan`` with ``gain = sqrt(2)``; normal ``std = sqrt(2 / fan_in)``,
  uniform on ``±sqrt(6 / fan_in)``.

``fan_in`` of a ``Linear(in, out)`` weight is ``in``; of a ``Conv1d(C, M, k)`` weight it is ``C · k``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError

__all__ = ["ACTIVATIONS", "gain", "fans", "xavier_uniform_", "he_uniform_", "init_weights_"]

ACTIVATIONS = ("relu", "tanh", "gelu", "sigmoid", "linear")


def gain(activation: str) -> float:
    """The recommended gain for ``activation`` (``torch.nn.init.calculate_gain``; GELU treated as ReLU)."""
    if activation not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return nn.init.calculate_gain("relu" if activation == "gelu" else activation)


def fans(weight: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight tensor (``(out, in, *kernel)`` layout, as torch stores them)."""
    return nn.init._calculate_fan_in_and_fan_out(weight)


def xavier_uniform_(weight: torch.Tensor, activation: str = "tanh") -> torch.Tensor:
    """Glorot uniform: ``U(-a, a)``, ``a = gain · sqrt(6 / (fan_in + fan_out))``; in place."""
    return nn.init.xavier_uniform_(weight, gain=gain(activation))


def he_uniform_(weight: torch.Tensor, activation: str = "relu", mode: str = "fan_in") -> torch.Tensor:
    """He uniform: ``U(-b, b)``, ``b = gain · sqrt(3 / fan)`` (``= sqrt(6 / fan_in)`` for ReLU); in place."""
    return nn.init.kaiming_uniform_(weight, mode=mode, nonlinearity="relu" if activation == "gelu" else activation)


def init_weights_(module: nn.Module, activation: str = "relu", scheme: str = "auto") -> nn.Module:
    """Initialise every ``Linear`` / ``Conv*`` weight of ``module`` in place; biases to zero.

    ``scheme="auto"`` picks He for ReLU/GELU and Xavier for tanh/sigmoid/linear;
    ``"he"`` / ``"xavier"`` force one (uniform variants).
    """
    if scheme == "auto":
        scheme = "he" if activation in ("relu", "gelu") else "xavier"
    if scheme not in ("he", "xavier"):
        raise ConfigError(f"unknown init scheme {scheme!r}; choose auto, he or xavier")
    gain(activation)  # validates the name
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            if scheme == "he":
                he_uniform_(m.weight, activation if activation in ("relu", "gelu") else "relu")
            else:
                xavier_uniform_(m.weight, activation)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module
