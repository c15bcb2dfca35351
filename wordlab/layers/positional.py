"""Position information for attention, which by itself is blind to order.

Three kinds, named by where they come from:

* ``"sinusoidal"`` — fixed vectors added to the word vectors (Vaswani et al. 2017, §3.5):
  ``PE(pos, 2i) = sin(pos / 10000^{2i/d})``, ``PE(pos, 2i+1) = cos(pos / 10000^{2i/d})``.
* ``"learned"`` — one trained vector per position (GPT, Radford et al. 2018; BERT), up to ``max_len``.
* ``"rotary"`` — nothing is added; queries and keys are rotated by an angle proportional to their
  position, pair of dimensions by pair of dimensions (RoFormer, Su et al. 2021, arXiv 2104.09864,
  Eq. 34), so ``q_m · k_n`` depends only on ``m - n``. Unlike the two absolute kinds it has no
  longest position, which is why a rotary model's KV cache can slide past its context window.

The rotary pairing is the "rotate half" layout of GPT-NeoX / Llama: dimension ``i`` is paired
with dimension ``i + d/2`` (not ``2i`` with ``2i+1`` as in the paper) — the same rotation on a
permutation of the dimensions.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import ConfigError

POSITIONS = ("learned", "sinusoidal", "rotary")


def sinusoidal_table(length: int, dim: int) -> torch.Tensor:
    """The ``(length, dim)`` table of Vaswani et al. 2017 §3.5 (sin on even, cos on odd dimensions)."""
    pos = torch.arange(length, dtype=torch.float64).unsqueeze(1)                 # (L, 1)
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))  # (⌈d/2⌉,)
    table = torch.zeros(length, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div[: dim // 2])
    return table.float()


class SinusoidalPositions(nn.Module):
    """Fixed sinusoidal position vectors: ``forward(positions (T,)) -> (T, dim)`` (no parameters)."""

    def __init__(self, dim: int, max_len: int = 4096) -> None:
        super().__init__()
        self.dim = dim
        self.register_buffer("table", sinusoidal_table(max_len, dim), persistent=False)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        need = int(positions.max()) + 1 if positions.numel() else 0
        if need > self.table.size(0):  # computed, not learned: any length works
            self.table = sinusoidal_table(max(need, 2 * self.table.size(0)), self.dim).to(self.table.device)
        return self.table[positions]                                            # (T, D)


class LearnedPositions(nn.Module):
    """One trained vector per position ``0 … max_len-1``: ``forward(positions (T,)) -> (T, dim)``."""

    def __init__(self, dim: int, max_len: int) -> None:
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.zeros(max_len, dim))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        if positions.numel() and int(positions.max()) >= self.max_len:
            raise ConfigError(f"position {int(positions.max())} is past the {self.max_len} learned positions; "
                              f"feed at most {self.max_len} tokens at a time")
        return self.weight[positions]                                           # (T, D)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """``(x₁, x₂) → (-x₂, x₁)`` on the two halves of the last dimension."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class RotaryEmbedding(nn.Module):
    """Rotary position embedding of a head size ``head_dim`` (even): rotates queries and keys in place of adding.

    ``forward(x (B, H, T, Dh), positions (T,))`` returns ``x`` rotated by ``θ_i · pos`` with
    ``θ_i = base^{-2i/Dh}`` (RoFormer Eq. 15 with its ``base = 10000``).
    """

    def __init__(self, head_dim: int, base: float = 10000.0) -> None:
        super().__init__()
        if head_dim % 2:
            raise ConfigError(f"rotary positions need an even head size, got {head_dim}")
        self.head_dim = head_dim
        self.register_buffer("inv_freq", base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim),
                             persistent=False)

    def cos_sin(self, positions: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """``cos`` and ``sin`` of every angle, ``(T, Dh)`` each (the halves repeated)."""
        angles = positions.float().unsqueeze(1) * self.inv_freq.unsqueeze(0)   # (T, Dh/2)
        angles = torch.cat((angles, angles), dim=-1)                            # (T, Dh)
        return angles.cos().to(dtype), angles.sin().to(dtype)

    def forward(self, x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        cos, sin = self.cos_sin(positions, x.dtype)
        return x * cos + rotate_half(x) * sin                                   # (B, H, T, Dh)
