"""The Transformer translator (Vaswani et al. 2017): encoder self-attention, decoder masked self-attention +
encoder–decoder attention, pre-LayerNorm blocks, on the decoding step protocol.

    src (B, S) ─► E_src·√d + PE ─► drop ─► N × block(self-attn, padding mask) ─► LN ─► memory (B, S, D)
    tgt (B, T) ─► E_tgt·√d + PE ─► drop ─► N × block(causal self-attn, cross-attn(memory), FF) ─► LN ─► E_tgtᵀ ─► logits

Positions are sinusoidal (§3.5), embeddings are scaled by ``√d`` (§3.4), the output layer is the
target embedding transposed, and source and target share one embedding matrix when
``share_embeddings`` (the caller sets it when both sides use one vocabulary, §3.4's shared
matrix). The loss may smooth the labels (``label_smoothing`` ε, §5.4: ε = 0.1).

Decoding (:mod:`wordlab.decoding`): :meth:`TransformerSeq2Seq.start` encodes the source once and
projects its keys/values for every decoder layer's cross-attention; :meth:`~TransformerSeq2Seq.step`
feeds target tokens against the self-attention KV cache; the state also holds the step's
cross-attention weights ``(B, layers, heads, S)`` for heat-maps (:meth:`~TransformerSeq2Seq.step_attention`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError
from ..layers.positional import SinusoidalPositions
from ..layers.transformer import KV, TransformerBlock

ARCH = "transformer"


@dataclass(frozen=True)
class TransformerSeq2SeqConfig:
    """Hyper-parameters of :class:`TransformerSeq2Seq` (stored in ``seq2seq`` checkpoints with ``arch``)."""

    cli_label: ClassVar[str] = "with --arch transformer"  # how shared flags' help names this architecture

    src_vocab: int = field(default=0, metadata={"cli": False})
    tgt_vocab: int = field(default=0, metadata={"cli": False})
    layers: int = field(default=3, metadata={"help": "encoder and decoder blocks (each)"})
    dim: int = field(default=256, metadata={"help": "model width"})
    heads: int = field(default=4, metadata={"help": "attention heads (must divide --dim)"})
    hidden: int = field(default=0, metadata={"help": "feed-forward width (0 = 4 x --dim)"})
    dropout: float = field(default=0.1, metadata={"help": "dropout on embeddings and residual branches"})
    attn_dropout: float = field(default=0.1, metadata={"help": "dropout on attention weights"})
    share_embeddings: bool = field(default=False, metadata={"cli": False})
    label_smoothing: float = field(default=0.0, metadata={"help": "label smoothing epsilon of the loss (0.1 in Vaswani et al.)"})
    pad_id: int = field(default=0, metadata={"cli": False})
    bos_id: int = field(default=2, metadata={"cli": False})
    eos_id: int = field(default=3, metadata={"cli": False})
    arch: str = field(default=ARCH, metadata={"cli": False})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        if self.arch != ARCH:
            raise ConfigError(f"TransformerSeq2SeqConfig.arch must be {ARCH!r}, not {self.arch!r}")
        for name in ("layers", "dim", "heads"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.hidden < 0:
            raise ConfigError(f"hidden must be >= 0 (0 = 4 x dim), got {self.hidden}")
        if self.dim % self.heads:
            raise ConfigError(f"dim {self.dim} must be a multiple of heads {self.heads}")
        for name in ("dropout", "attn_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.share_embeddings and self.src_vocab != self.tgt_vocab:
            raise ConfigError(f"shared embeddings need one vocabulary; got {self.src_vocab} source and "
                              f"{self.tgt_vocab} target words")

    @property
    def ff_hidden(self) -> int:
        return self.hidden or 4 * self.dim


class TransformerDecoderState(NamedTuple):
    """Decoding state: encoder memory (projected per layer), its mask, the self-attention cache."""

    memory_kv: tuple[KV, ...]           # per decoder layer: cross-attention keys/values (B, H, S, d_k)
    mask: torch.Tensor                  # (B, S) True = real source token
    self_kv: tuple[KV, ...] | None      # per decoder layer: keys/values of the target so far
    position: int                       # position of the next target token
    attention: torch.Tensor | None      # (B, layers, heads, S) cross-attention of the last step


class TransformerSeq2Seq(nn.Module):
    """Encoder–decoder Transformer; see the module docstring."""

    def __init__(self, cfg: TransformerSeq2SeqConfig) -> None:
        super().__init__()
        self.cfg = self.config = cfg
        self.tgt_embedding = nn.Embedding(cfg.tgt_vocab, cfg.dim, padding_idx=cfg.pad_id)
        self.src_embedding = self.tgt_embedding if cfg.share_embeddings else \
            nn.Embedding(cfg.src_vocab, cfg.dim, padding_idx=cfg.pad_id)
        self.positions = SinusoidalPositions(cfg.dim)
        self.drop = nn.Dropout(cfg.dropout)
        block = dict(dropout=cfg.dropout, attn_dropout=cfg.attn_dropout)
        self.encoder = nn.ModuleList(TransformerBlock(cfg.dim, cfg.heads, cfg.ff_hidden, **block)
                                     for _ in range(cfg.layers))
        self.decoder = nn.ModuleList(TransformerBlock(cfg.dim, cfg.heads, cfg.ff_hidden, cross=True, **block)
                                     for _ in range(cfg.layers))
        self.ln_enc, self.ln_dec = nn.LayerNorm(cfg.dim), nn.LayerNorm(cfg.dim)
        for name, p in self.named_parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        nn.init.normal_(self.tgt_embedding.weight, std=cfg.dim ** -0.5)    # the scaled embedding starts at unit size
        if not cfg.share_embeddings:
            nn.init.normal_(self.src_embedding.weight, std=cfg.dim ** -0.5)
        with torch.no_grad():
            self.tgt_embedding.weight[cfg.pad_id].zero_()
            self.src_embedding.weight[cfg.pad_id].zero_()

    @property
    def bos_id(self) -> int:
        return self.cfg.bos_id

    @property
    def eos_id(self) -> int:
        return self.cfg.eos_id

    @property
    def pad_id(self) -> int:
        return self.cfg.pad_id

    def _embed(self, emb: nn.Embedding, ids: torch.Tensor, start: int = 0) -> torch.Tensor:
        pos = torch.arange(start, start + ids.size(1), device=ids.device)
        return self.drop(emb(ids) * math.sqrt(self.cfg.dim) + self.positions(pos))   # (B, T, D)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Memory ``(B, S, D)`` and mask ``(B, S)`` of a padded source batch."""
        mask = torch.arange(src.size(1), device=src.device).unsqueeze(0) < lengths.to(src.device).unsqueeze(1)
        x = self._embed(self.src_embedding, src)
        for blk in self.encoder:
            x = blk(x, mask=mask).x
        return self.ln_enc(x), mask

    def _decode(self, y: torch.Tensor, memory_kv, mask, past=None, start: int = 0, need_weights: bool = False):
        x = self._embed(self.tgt_embedding, y, start)
        kvs, atts = [], []
        for i, blk in enumerate(self.decoder):
            out = blk(x, causal=True, past=None if past is None else past[i], positions=None,
                      memory_kv=memory_kv[i], memory_mask=mask, need_weights=need_weights)
            x = out.x
            kvs.append(out.kv)
            atts.append(out.cross_weights)
        logits = F.linear(self.ln_dec(x), self.tgt_embedding.weight)                 # (B, T, V)
        return logits, tuple(kvs), (torch.stack(atts, 1) if need_weights else None)  # (B, L, H, T, S)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits ``(B, T, V)`` for decoder inputs ``tgt_in`` = ``<bos> y1 … yn``."""
        memory, mask = self.encode(src, lengths)
        memory_kv = [blk.cross_attn.project_kv(memory) for blk in self.decoder]
        return self._decode(tgt_in, memory_kv, mask)[0]

    def loss(self, batch) -> tuple[torch.Tensor, int]:
        """Mean (label-smoothed) cross-entropy per target token, padding ignored, and the token count."""
        dev = next(self.parameters()).device
        logits = self(batch.src.to(dev), batch.src_len, batch.tgt_in.to(dev))
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), batch.tgt_out.to(dev).reshape(-1),
                               ignore_index=self.cfg.pad_id, label_smoothing=self.cfg.label_smoothing)
        return loss, batch.tokens

    # ------------------------------------------------------------------ decoding protocol
    def start(self, src: torch.Tensor, lengths: torch.Tensor) -> TransformerDecoderState:
        memory, mask = self.encode(src, lengths)
        memory_kv = tuple(blk.cross_attn.project_kv(memory) for blk in self.decoder)
        return TransformerDecoderState(memory_kv, mask, None, 0, None)

    def step(self, tokens: torch.Tensor, state: TransformerDecoderState
             ) -> tuple[torch.Tensor, TransformerDecoderState]:
        logits, kvs, att = self._decode(tokens, state.memory_kv, state.mask, state.self_kv, state.position,
                                        need_weights=True)
        return logits[:, -1], TransformerDecoderState(state.memory_kv, state.mask, kvs,
                                                      state.position + tokens.size(1), att[:, :, :, -1])

    def reorder_state(self, state: TransformerDecoderState | None, index: torch.Tensor
                      ) -> TransformerDecoderState | None:
        if state is None:
            return None
        index = index.to(state.mask.device)
        pick = (lambda kvs: None if kvs is None else
                tuple((k.index_select(0, index), v.index_select(0, index)) for k, v in kvs))  # noqa: E731
        att = None if state.attention is None else state.attention.index_select(0, index)
        return TransformerDecoderState(pick(state.memory_kv), state.mask.index_select(0, index),
                                       pick(state.self_kv), state.position, att)

    def step_attention(self, state: TransformerDecoderState) -> torch.Tensor | None:
        """Cross-attention weights ``(B, layers, heads, S)`` of the step that produced ``state``."""
        return state.attention

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


def select_attention(weights, layer: int | None = None, head: int | str = "mean"):
    """A ``(steps, layers, heads, S)`` attention array → ``(steps, S)`` for one layer (default: the last)
    and one head or their mean; a ``(steps, S)`` array (an RNN's) is returned as it is."""
    import numpy as np

    w = np.asarray(weights)
    if w.ndim == 2:
        return w
    L, H = w.shape[1], w.shape[2]
    layer = L - 1 if layer is None else layer
    if not -L <= layer < L:
        raise ConfigError(f"--layer {layer}: the model has {L} decoder layers (0 … {L - 1})")
    w = w[:, layer]
    if head == "mean":
        return w.mean(axis=1)
    head = int(head)
    if not -H <= head < H:
        raise ConfigError(f"--head {head}: the model has {H} heads (0 … {H - 1}, or mean)")
    return w[:, head]
