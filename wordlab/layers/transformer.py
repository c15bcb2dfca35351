"""Transformer pieces: multi-head attention, the position-wise feed-forward, the pre-LayerNorm block.

Multi-head attention (Vaswani et al. 2017, arXiv 1706.03762, §3.2.2)::

    head_h = softmax(Q W_h^Q (K W_h^K)ᵀ / √d_k + M) V W_h^V          (Eq. 1, one per head)
    MultiHead(Q, K, V) = Concat(head_1 … head_H) W^O

``M`` is ``0`` where a query may look and ``-∞`` where it may not. **Mask semantics** are those of
:class:`wordlab.layers.attention.Attention`, written once: ``mask`` is a bool tensor ``(B, S)``,
``True`` for a real key position and ``False`` for padding, so padded keys get weight exactly 0;
``causal=True`` additionally lets position ``t`` see keys ``≤ t`` only (a decoder's self-attention).
Every query must keep at least one key (padding goes at the end, so causal rows always see
position 0).

The fast path is :func:`torch.nn.functional.scaled_dot_product_attention` (fused kernels; the
weights are never materialised); ``need_weights=True`` takes the explicit path above and also
returns the ``(B, H, T, S)`` weights, for heat-maps. Both give the same outputs.

**Caches.** Self-attention can be run incrementally: ``past = (k, v)`` holds the keys and values
of earlier positions ``(B, H, P, d_k)``; the new ones are appended and returned, so generating a
token costs one query against the cache instead of a recompute of the prefix. Cross-attention
projects the encoder memory once per source sentence (:meth:`MultiHeadAttention.project_kv`) and
takes the result as ``memory_kv`` at every decoding step — an argument, never module state.

The block is pre-LayerNorm (GPT-2, Radford et al. 2019; Xiong et al. 2020, arXiv 2002.04745, who
show it trains without the warm-up post-LN needs)::

    x = x + Dropout(SelfAttention(LN(x)))
    x = x + Dropout(CrossAttention(LN(x), memory))      # decoder of an encoder–decoder only
    x = x + Dropout(FeedForward(LN(x)))                  # FeedForward = W₂ GELU(W₁ x) (Hendrycks & Gimpel 2016)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError
from .positional import RotaryEmbedding

KV = tuple[torch.Tensor, torch.Tensor]  # keys, values: (B, H, S, d_k) each


def attention_mask(mask: torch.Tensor | None, causal: bool, T: int, S: int,
                   device: torch.device) -> torch.Tensor | None:
    """Bool ``(B|1, 1, T, S)`` mask, ``True`` = may attend, from a padding mask and/or causality.

    With a cache of ``P = S - T`` earlier positions, query ``t`` sits at position ``P + t`` and
    may see keys ``0 … P + t``.
    """
    allowed = None
    if causal:
        q = torch.arange(T, device=device).unsqueeze(1) + (S - T)                # (T, 1)
        allowed = (torch.arange(S, device=device).unsqueeze(0) <= q).view(1, 1, T, S)
    if mask is not None:
        pad = mask.to(device=device, dtype=torch.bool).view(mask.size(0), 1, 1, S)  # (B, 1, 1, S)
        allowed = pad if allowed is None else allowed & pad
    return allowed


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention, self or cross (see the module docstring).

    Parameters
    ----------
    dim: model width ``d_model`` (queries, outputs); split into ``heads`` heads of ``dim // heads``.
    heads: number of heads (must divide ``dim``).
    kv_dim: width of the key/value source (default ``dim``; the encoder width for cross-attention).
    dropout: dropout on the attention weights (training only).
    rotary: rotate queries and keys by their positions (:class:`RotaryEmbedding`); self-attention only.
    """

    def __init__(self, dim: int, heads: int, *, kv_dim: int | None = None, dropout: float = 0.0,
                 bias: bool = True, rotary: bool = False) -> None:
        super().__init__()
        if heads < 1 or dim % heads:
            raise ConfigError(f"the model width {dim} must be a multiple of the number of heads {heads}")
        self.dim, self.heads, self.head_dim = dim, heads, dim // heads
        self.dropout = dropout
        self.q_proj = nn.Linear(dim, dim, bias=bias)
        self.kv_proj = nn.Linear(kv_dim or dim, 2 * dim, bias=bias)   # W^K and W^V stacked
        self.out_proj = nn.Linear(dim, dim, bias=bias)
        self.rotary = RotaryEmbedding(self.head_dim) if rotary else None

    def extra_repr(self) -> str:
        return f"dim={self.dim}, heads={self.heads}, dropout={self.dropout}, rotary={self.rotary is not None}"

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        return x.view(B, T, self.heads, self.head_dim).transpose(1, 2)          # (B, H, T, d_k)

    def project_kv(self, source: torch.Tensor, positions: torch.Tensor | None = None) -> KV:
        """Keys and values of ``source`` ``(B, S, kv_dim)`` → ``(B, H, S, d_k)`` each (rotated when rotary)."""
        k, v = self.kv_proj(source).chunk(2, dim=-1)
        k, v = self._split(k), self._split(v)
        if self.rotary is not None:
            k = self.rotary(k, positions if positions is not None else torch.arange(k.size(2), device=k.device))
        return k, v

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None, *, mask: torch.Tensor | None = None,
                causal: bool = False, past: KV | None = None, memory_kv: KV | None = None,
                positions: torch.Tensor | None = None,
                need_weights: bool = False) -> tuple[torch.Tensor, KV, torch.Tensor | None]:
        """Attend from ``x`` ``(B, T, dim)``.

        Parameters
        ----------
        memory: ``(B, S, kv_dim)`` keys/values source for cross-attention; ``None`` = self-attention.
        mask: ``(B, S)`` bool, ``True`` = real key position (over ``past`` + ``x`` for self-attention).
        causal: position ``t`` sees keys up to ``t`` only (self-attention).
        past: cached ``(k, v)`` of the ``P`` earlier positions (self-attention); the new ones are appended.
        memory_kv: ``self.project_kv(memory)`` computed once per source sentence (cross-attention).
        positions: ``(T,)`` positions of ``x`` for rotary (default ``P … P+T-1``).
        need_weights: also return the ``(B, H, T, S)`` attention weights (explicit path).

        Returns
        -------
        output ``(B, T, dim)``, the keys/values attended over (the grown cache for self-attention),
        and the weights or ``None``.
        """
        B, T, _ = x.shape
        q = self._split(self.q_proj(x))                                          # (B, H, T, d_k)
        if memory is None and memory_kv is None:                                 # self-attention
            P = 0 if past is None else past[0].size(2)
            if positions is None:
                positions = torch.arange(P, P + T, device=x.device)
            k, v = self.project_kv(x, positions)                                 # (B, H, T, d_k)
            if self.rotary is not None:
                q = self.rotary(q, positions)
            if past is not None:
                k, v = torch.cat((past[0], k), dim=2), torch.cat((past[1], v), dim=2)  # (B, H, P+T, d_k)
        else:                                                                    # cross-attention
            if causal:
                raise ConfigError("cross-attention cannot be causal")
            k, v = memory_kv if memory_kv is not None else self.project_kv(memory)
        S = k.size(2)
        p = self.dropout if self.training else 0.0
        if need_weights:
            allowed = attention_mask(mask, causal, T, S, x.device)
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)         # (B, H, T, S)
            if allowed is not None:
                scores = scores.masked_fill(~allowed, float("-inf"))
            weights = torch.softmax(scores, dim=-1, dtype=torch.promote_types(q.dtype, torch.float32)
                                    ).to(q.dtype)                                # (B, H, T, S)
            out = F.dropout(weights, p, self.training) @ v                       # (B, H, T, d_k)
        else:
            weights = None
            if causal and mask is None and S == T:                               # fused causal kernel
                out = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
            else:
                # one query against a cache sees every cached key: no mask at all
                allowed = attention_mask(mask, causal and T > 1, T, S, x.device)
                out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        out = out.transpose(1, 2).reshape(B, T, self.dim)                       # (B, T, dim)
        return self.out_proj(out), (k, v), weights


class FeedForward(nn.Module):
    """Position-wise feed-forward ``W₂ GELU(W₁ x + b₁) + b₂`` (Vaswani et al. 2017 Eq. 2, with GELU as GPT)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))                                     # (B, T, D)


class BlockOutput(NamedTuple):
    """What a :class:`TransformerBlock` returns."""

    x: torch.Tensor                        # (B, T, D)
    kv: KV                                 # self-attention keys/values so far (the cache)
    self_weights: torch.Tensor | None      # (B, H, T, S) with need_weights
    cross_weights: torch.Tensor | None     # (B, H, T, S_src) with need_weights and cross-attention


class TransformerBlock(nn.Module):
    """Pre-LayerNorm Transformer layer: self-attention [+ cross-attention] + feed-forward, each residual.

    Parameters
    ----------
    dim, heads, hidden: model width, attention heads, feed-forward width.
    dropout: on each sub-layer's output before the residual sum.
    attn_dropout: on the attention weights.
    cross: add encoder–decoder attention (a Transformer decoder layer).
    rotary: rotary positions in the self-attention.
    """

    def __init__(self, dim: int, heads: int, hidden: int, *, dropout: float = 0.1, attn_dropout: float = 0.1,
                 cross: bool = False, rotary: bool = False) -> None:
        super().__init__()
        self.ln_self = nn.LayerNorm(dim)
        self.self_attn = MultiHeadAttention(dim, heads, dropout=attn_dropout, rotary=rotary)
        self.ln_cross = nn.LayerNorm(dim) if cross else None
        self.cross_attn = MultiHeadAttention(dim, heads, dropout=attn_dropout) if cross else None
        self.ln_ff = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, hidden)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, *, mask: torch.Tensor | None = None, causal: bool = False,
                past: KV | None = None, positions: torch.Tensor | None = None,
                memory_kv: KV | None = None, memory_mask: torch.Tensor | None = None,
                need_weights: bool = False) -> BlockOutput:
        """One layer over ``x`` ``(B, T, D)``; ``memory_kv`` = ``cross_attn.project_kv(memory)`` (decoder only)."""
        h, kv, w_self = self.self_attn(self.ln_self(x), mask=mask, causal=causal, past=past, positions=positions,
                                       need_weights=need_weights)
        x = x + self.drop(h)
        w_cross = None
        if self.cross_attn is not None:
            if memory_kv is None:
                raise ConfigError("a decoder layer needs the encoder memory (memory_kv)")
            h, _, w_cross = self.cross_attn(self.ln_cross(x), memory_kv=memory_kv, mask=memory_mask,
                                            need_weights=need_weights)
            x = x + self.drop(h)
        x = x + self.drop(self.ff(self.ln_ff(x)))
        return BlockOutput(x, kv, w_self, w_cross)
