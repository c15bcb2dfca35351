"""Pooling over time and Kim's sentence CNN (``TextCNN``).

Shapes follow torch: 1-D convolutions take ``(B, C, T)`` (channels = embedding
dimensions, T = sentence length). A text layer takes the embedded sentence as
``(B, T, D)`` and transposes once.

Kim 2014, "Convolutional Neural Networks for Sentence Classification" (arXiv 1408.5882):
for each filter width ``h`` a feature ``c_i = ReLU(w · x_{i:i+h-1} + b)``; max-over-time
pooling keeps ``max_i c_i`` per feature map (Collobert et al. 2011); the pooled vector
(3 widths × 100 maps) goes through dropout 0.5 to a softmax layer whose weight vectors are
rescaled to L2 norm ≤ 3 after each update ("max-norm", Hinton et al. 2012, arXiv 1207.0580).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import ConfigError
from .init import init_weights_

__all__ = ["max_over_time", "mean_over_time", "TextCNN", "length_mask"]


def length_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """``(B,)`` lengths → ``(B, max_len)`` bool, True at valid positions."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def max_over_time(x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """``(B, C, T)`` → ``(B, C)``: the maximum over positions ``t < lengths[b]`` (all when ``None``)."""
    if lengths is not None:
        x = x.masked_fill(~length_mask(lengths, x.size(-1))[:, None, :], float("-inf"))
    return x.max(dim=-1).values


def mean_over_time(x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """``(B, C, T)`` → ``(B, C)``: the mean over positions ``t < lengths[b]`` (all when ``None``)."""
    if lengths is None:
        return x.mean(dim=-1)
    mask = length_mask(lengths, x.size(-1))[:, None, :].to(x.dtype)  # (B, 1, T)
    return (x * mask).sum(-1) / lengths.clamp(min=1)[:, None].to(x.dtype)


class TextCNN(nn.Module):
    """Kim's CNN over an embedded sentence.

    Each width ``h`` convolves with padding ``h - 1`` on both sides (Kim pads every sentence
    with ``h_max - 1`` zero vectors at each end), so any sentence of length ≥ 1 — even one
    shorter than the widest filter — gives ``T + h - 1`` windows, and those that touch at
    least one real word (``t < length + h - 1``) are max-pooled. The pooled value of a
    sentence therefore does not depend on how much padding its batch carries.

    Parameters
    ----------
    in_dim: embedding width ``D`` (× channels for Kim's multichannel model).
    num_classes: output classes.
    widths, maps: filter widths and feature maps per width (Kim: 3, 4, 5 × 100).
    dropout: on the pooled vector (Kim: 0.5).
    max_norm: L2 bound of each output-class weight vector (Kim: 3; ``None`` disables).
    """

    def __init__(self, in_dim: int, num_classes: int, widths: Sequence[int] = (3, 4, 5), maps: int = 100,
                 dropout: float = 0.5, max_norm: float | None = 3.0) -> None:
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if not widths or min(widths) < 1 or maps < 1 or num_classes < 2:
            raise ConfigError(f"TextCNN needs widths >= 1, maps >= 1 and >= 2 classes; got widths={widths}, "
                              f"maps={maps}, classes={num_classes}")
        if max_norm is not None and not max_norm > 0:
            raise ConfigError(f"max_norm must be > 0 (or None), got {max_norm}")
        self.widths, self.max_norm = widths, max_norm
        self.convs = nn.ModuleList(nn.Conv1d(in_dim, maps, w, padding=w - 1) for w in widths)
        init_weights_(self.convs, "relu")
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(maps * len(widths), num_classes)
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T, D)`` → pooled features ``(B, maps · len(widths))``."""
        x = x.transpose(1, 2)  # (B, D, T)
        pooled = []
        for w, conv in zip(self.widths, self.convs):
            c = F.relu(conv(x))  # (B, maps, T + w - 1)
            pooled.append(max_over_time(c, None if lengths is None else lengths + (w - 1)))  # (B, maps)
        return torch.cat(pooled, dim=1)  # (B, maps · n_widths)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T, D)`` embedded sentences (+ their lengths ``(B,)``) → logits ``(B, num_classes)``."""
        return self.out(self.dropout(self.features(x, lengths)))

    @torch.no_grad()
    def apply_max_norm(self) -> None:
        """Rescale each output-class weight vector to L2 norm ≤ ``max_norm`` (in place)."""
        if self.max_norm is not None:
            self.out.weight.copy_(torch.renorm(self.out.weight, p=2, dim=0, maxnorm=self.max_norm))
