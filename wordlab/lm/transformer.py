"""A decoder-only Transformer language model (GPT, Radford et al. 2018/2019) beside the RNNs.

    ids (B, T) ─► Embedding (+ positions) ─► drop ─► L × pre-LN block (causal) ─► LayerNorm ─► Eᵀ ─► logits (B, T, V)

The output layer is the input embedding transposed (tied, Press & Wolf 2017). Dropout sits on the
embeddings, on the attention weights and on every residual branch. Weights start as GPT-2's:
normal(0, 0.02), the projections into the residual stream scaled by ``1/√(2L)``.

**Training** reads the same batchified stream as the RNN (:func:`wordlab.lm.data.batchify`) in
non-overlapping windows of ``context`` tokens; nothing is carried from one window to the next,
and each epoch shifts the window boundaries by a seeded offset so a token does not always sit
at the same position.

**Evaluation protocol** (:func:`sliding_nll`). The RNN carries its state over the whole text; a
Transformer sees at most ``context`` tokens. The text is scored with windows of ``context`` tokens
every ``stride = context // 2`` tokens; each token is counted exactly once, in the first window
where it is not among the first ``context - stride`` positions (the first window counts all of
its tokens), so every token but the first ``context - stride`` has at least ``context - stride``
tokens of left context. The last window is moved back to end at the last token.

**KV cache and decoding** (:mod:`wordlab.decoding`'s step protocol). ``step(tokens, state)`` feeds
new tokens against a :class:`KVCache` (the keys and values of every layer, the tokens they came
from and the next position), so generating never recomputes the prefix. Past the context window:

* rotary positions — the cache **slides**: the oldest entries are dropped so that at most
  ``context`` keys remain (one per generated token); the kept keys keep their rotation (scores
  depend on distances only), so nothing is recomputed. Every query then attends to the last
  ``context`` positions at every layer; with more than one layer the kept upper-layer keys still
  carry information from the dropped tokens (as the caches of Transformer-XL and StreamingLLM do),
  so the result is not a fresh recompute of the last window — with one layer it is;
* absolute positions (learned, sinusoidal) — the positions cannot grow past the window, so the
  last ``context // 2`` tokens are **re-encoded** from position 0 (a re-prefill), after which
  ``context // 2`` more tokens fit before the next one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar, Iterator, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError
from ..layers.positional import POSITIONS, LearnedPositions, SinusoidalPositions
from ..layers.transformer import KV, TransformerBlock
from .data import batchify, bptt_windows, num_windows


@dataclass(frozen=True)
class TransformerLMConfig:
    """Shape and regularisation of :class:`TransformerLanguageModel` (stored in its checkpoints).

    ``vocab_size=0`` is taken from the data. ``arch`` names the architecture in the checkpoint (``"lm"`` checkpoints hold either this or
    :class:`wordlab.lm.LMConfig`, which has no ``arch`` and means ``"rnn"``).
    """

    cli_label: ClassVar[str] = "with --arch transformer"  # how shared flags' help names this architecture

    vocab_size: int = field(default=0, metadata={"cli": False})
    layers: int = field(default=4, metadata={"help": "Transformer blocks"})
    dim: int = field(default=256, metadata={"help": "model width (embedding size)"})
    heads: int = field(default=4, metadata={"help": "attention heads (must divide --dim)"})
    hidden: int = field(default=0, metadata={"help": "feed-forward width (0 = 4 x --dim)"})
    context: int = field(default=128, metadata={"help": "longest sequence the model sees; also the training window"})
    positions: str = field(default="learned", metadata={"help": "position information", "choices": POSITIONS})
    dropout: float = field(default=0.1, metadata={"help": "dropout on residual branches"})
    attn_dropout: float = field(default=0.1, metadata={"help": "dropout on attention weights"})
    emb_dropout: float = field(default=0.1, metadata={"help": "dropout on the embeddings"})
    arch: str = field(default="transformer", metadata={"cli": False})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        if self.arch != "transformer":
            raise ConfigError(f"TransformerLMConfig.arch must be 'transformer', not {self.arch!r}")
        if self.vocab_size != 0 and self.vocab_size < 2:
            raise ConfigError(f"vocab_size must be >= 2 (or 0: from the data), got {self.vocab_size}")
        for name in ("layers", "dim", "heads", "context"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.context < 2:
            raise ConfigError(f"context must be >= 2 tokens, got {self.context}")
        if self.hidden < 0:
            raise ConfigError(f"hidden must be >= 0 (0 = 4 x dim), got {self.hidden}")
        if self.dim % self.heads:
            raise ConfigError(f"dim {self.dim} must be a multiple of heads {self.heads}")
        if self.positions not in POSITIONS:
            raise ConfigError(f"positions must be one of {', '.join(POSITIONS)}, not {self.positions!r}")
        if self.positions == "rotary" and (self.dim // self.heads) % 2:
            raise ConfigError(f"rotary positions need an even head size; dim/heads = {self.dim // self.heads}")
        for name in ("dropout", "attn_dropout", "emb_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be in [0, 1), got {getattr(self, name)}")

    @property
    def ff_hidden(self) -> int:
        """The feed-forward width (``hidden``, or ``4 · dim`` when 0)."""
        return self.hidden or 4 * self.dim


class KVCache(NamedTuple):
    """The decoding state of :class:`TransformerLanguageModel`: what the next step attends over."""

    layers: tuple[KV, ...]    # per layer (keys, values), (B, H, S, d_k) each
    tokens: torch.Tensor      # (B, S) the ids those keys came from (for a re-prefill)
    position: int             # position of the next token (rotary: grows; absolute: == S)


class TransformerLanguageModel(nn.Module):
    """Decoder-only Transformer LM; hyper-parameters in :class:`TransformerLMConfig`.

    ``forward(ids (B, T), state=None) -> (logits (B, T, V), KVCache)`` (the RNN's signature);
    ``step`` / ``reorder_state`` are the decoding protocol; ``text_nll`` scores a whole text.
    """

    def __init__(self, cfg: TransformerLMConfig) -> None:
        super().__init__()
        self.config = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.dim)
        if cfg.positions == "learned":
            self.positions = LearnedPositions(cfg.dim, cfg.context)
        elif cfg.positions == "sinusoidal":
            self.positions = SinusoidalPositions(cfg.dim, cfg.context)
        else:
            self.positions = None  # rotary: inside the attention
        self.drop = nn.Dropout(cfg.emb_dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(cfg.dim, cfg.heads, cfg.ff_hidden, dropout=cfg.dropout, attn_dropout=cfg.attn_dropout,
                             rotary=cfg.positions == "rotary") for _ in range(cfg.layers))
        self.ln_f = nn.LayerNorm(cfg.dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2 initialisation: N(0, 0.02), residual projections N(0, 0.02/√(2L)), zero biases, unit LayerNorms."""
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif ".ln_" in name or name.startswith("ln_"):
                nn.init.ones_(p)
            elif name.endswith("out_proj.weight") or name.endswith("fc2.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * self.config.layers))
            else:
                nn.init.normal_(p, std=0.02)

    def num_parameters(self) -> int:
        """Trainable parameters (the tied embedding counted once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    # ------------------------------------------------------------------ forward
    def features(self, ids: torch.Tensor, past: tuple[KV, ...] | None = None,
                 start: int = 0) -> tuple[torch.Tensor, tuple[KV, ...]]:
        """Final hidden states ``(B, T, D)`` of ``ids`` at positions ``start …`` after the cached ``past``."""
        T = ids.size(1)
        pos = torch.arange(start, start + T, device=ids.device)
        x = self.embedding(ids)                                                  # (B, T, D)
        if self.positions is not None:
            x = x + self.positions(pos)
        x = self.drop(x)
        new = []
        for i, blk in enumerate(self.blocks):
            out = blk(x, causal=True, past=None if past is None else past[i], positions=pos)
            x = out.x
            new.append(out.kv)
        return self.ln_f(x), tuple(new)

    def output(self, h: torch.Tensor) -> torch.Tensor:
        """Logits from hidden states: the tied embedding transposed, ``(…, D) → (…, V)``."""
        return F.linear(h, self.embedding.weight)

    def forward(self, ids: torch.Tensor, state: KVCache | None = None) -> tuple[torch.Tensor, KVCache]:
        """Logits ``(B, T, V)`` of the next token at every position of ``ids`` and the grown cache."""
        if state is None and ids.size(1) <= self.config.context:
            h, kv = self.features(ids)
            return self.output(h), KVCache(kv, ids, ids.size(1))
        return self._incremental(ids, state)

    def _incremental(self, ids: torch.Tensor, state: KVCache | None) -> tuple[torch.Tensor, KVCache]:
        """Feed ``ids`` chunk by chunk against the cache, sliding or re-prefilling at the window's end."""
        C = self.config.context
        outs = []
        i = 0
        while i < ids.size(1):
            room = C if state is None else C - state.tokens.size(1)
            if room <= 0:
                state = self._make_room(state, ids.size(1) - i)
                continue
            chunk = ids[:, i:i + room]
            if state is None:
                h, kv = self.features(chunk)
                state = KVCache(kv, chunk, chunk.size(1))
            else:
                h, kv = self.features(chunk, state.layers, start=state.position)
                state = KVCache(kv, torch.cat((state.tokens, chunk), dim=1), state.position + chunk.size(1))
            outs.append(self.output(h))
            i += chunk.size(1)
        return torch.cat(outs, dim=1), state

    def _make_room(self, state: KVCache, need: int) -> KVCache:
        """A full cache → one with room for ``need`` more tokens (at least one, at most ``context // 2``).

        Rotary: the oldest entries are dropped (the cache slides); absolute: the last ``context // 2``
        tokens are re-encoded from position 0 (a re-prefill).
        """
        C = self.config.context
        keep = C // 2
        if self.config.positions == "rotary":
            keep = max(C - need, C // 2)
            layers = tuple((k[:, :, -keep:], v[:, :, -keep:]) for k, v in state.layers)
            return KVCache(layers, state.tokens[:, -keep:], state.position)
        tokens = state.tokens[:, -keep:]
        _, kv = self.features(tokens)                                            # re-prefill from position 0
        return KVCache(kv, tokens, tokens.size(1))

    def step(self, tokens: torch.Tensor, state: KVCache | None = None) -> tuple[torch.Tensor, KVCache]:
        """The decoding step protocol: logits ``(B, V)`` after the last of ``tokens`` ``(B, T)``, and the cache."""
        if state is None and tokens.size(1) > self.config.context:
            tokens = tokens[:, -self.config.context:]      # a long prompt: only the last window matters
        if state is None:
            h, kv = self.features(tokens)
            return self.output(h[:, -1]), KVCache(kv, tokens, tokens.size(1))
        logits, state = self._incremental(tokens, state)
        return logits[:, -1], state

    def reorder_state(self, state: KVCache | None, index: torch.Tensor) -> KVCache | None:
        """Rows ``index`` of every cached tensor (beam reordering); ``None`` stays ``None``."""
        if state is None:
            return None
        index = index.to(state.tokens.device)
        layers = tuple((k.index_select(0, index), v.index_select(0, index)) for k, v in state.layers)
        return KVCache(layers, state.tokens.index_select(0, index), state.position)

    # ------------------------------------------------------------------ scoring
    @torch.no_grad()
    def text_nll(self, ids: np.ndarray | torch.Tensor, batch_size: int = 10, bptt: int | None = None,
                 limit: int | None = None) -> tuple[float, int]:
        """Summed NLL (nats) and target count of a text by :func:`sliding_nll` (``bptt`` is ignored)."""
        return sliding_nll(self, ids, batch_size=batch_size, limit=limit)

    def text_chunks(self, ids: np.ndarray | torch.Tensor, batch_size: int = 10, bptt: int | None = None,
                    limit: int | None = None):
        """:func:`sliding_nll`'s pass as ``(h, y, log p(y))`` chunks of one stream in text order (``bptt`` ignored)."""
        return sliding_chunks(self, ids, batch_size=batch_size, limit=limit)


def sliding_windows(n: int, context: int, stride: int) -> list[tuple[int, int, int]]:
    """``(start, length, first_counted)`` of the windows over ``n`` tokens (``n - 1`` targets).

    Window ``(s, L, j)`` reads tokens ``s … s+L-1``, predicts ``s+1 … s+L`` and counts the
    predictions from its ``j``-th on; together they count every target exactly once.
    """
    if not 1 <= stride <= context:
        raise ConfigError(f"stride must be in [1, context={context}], got {stride}")
    targets = n - 1
    if targets < 1:
        return []
    L = min(context, targets)
    out, covered, s = [], 0, 0
    while covered < targets:
        s = min(s, targets - L)                       # the last window ends at the last token
        out.append((s, L, covered - s))
        covered = s + L
        s += stride
    return out


def sliding_nll(model: TransformerLanguageModel, ids: np.ndarray | torch.Tensor, *, stride: int | None = None,
                batch_size: int = 10, limit: int | None = None) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) of every token but the first, and their count.

    The sliding-window protocol of the module docstring: windows of ``context`` tokens every
    ``stride`` (default ``context // 2``) tokens, each token counted once. ``limit`` caps the number
    of windows (quick checks). Only the counted positions go through the output layer.
    """
    total, count = 0.0, 0
    for _, y, logp in sliding_chunks(model, ids, stride=stride, batch_size=batch_size, limit=limit):
        total -= float(logp.sum())
        count += y.numel()
    return total, count


@torch.no_grad()
def sliding_chunks(model: TransformerLanguageModel, ids: np.ndarray | torch.Tensor, *, stride: int | None = None,
                   batch_size: int = 10, limit: int | None = None):
    """:func:`sliding_nll`'s windows yielding, per group of windows, the counted positions in text order as
    one stream: ``(h (1, n, D), y (1, n), log p(y) (1, n))`` (for :mod:`wordlab.lm.cache`)."""
    was_training = model.training
    model.eval()
    C = model.config.context
    stride = stride or max(1, C // 2)
    dev = next(model.parameters()).device
    data = torch.as_tensor(np.asarray(ids, dtype=np.int64)) if not isinstance(ids, torch.Tensor) else ids.long()
    data = data.to(dev)
    wins = sliding_windows(data.numel(), C, stride)
    if limit is not None:
        wins = wins[:limit]
    try:
        for b in range(0, len(wins), max(1, batch_size)):
            group = wins[b:b + batch_size]
            L = group[0][1]
            x = torch.stack([data[s:s + L] for s, _, _ in group])
            y = torch.stack([data[s + 1:s + 1 + L] for s, _, _ in group])
            h, _ = model.features(x)
            keep = torch.stack([torch.arange(L, device=dev) >= j for _, _, j in group])
            h, y = h[keep], y[keep]                                          # (n, D), (n,): window-major = text order
            logp = torch.log_softmax(model.output(h).float(), dim=-1).gather(-1, y[:, None]).squeeze(-1)
            yield h[None], y[None], logp[None]
    finally:
        model.train(was_training)


class TransformerLMTask:
    """Context-length windows of one batchified id stream for :func:`wordlab.training.fit` (unit: tokens).

    Parameters
    ----------
    train, valid: id arrays (``valid`` may be ``None``).
    batch_size: training streams; each batch is ``(batch_size, context)``.
    context: window length (the model's context).
    eval_batch_size: windows per validation forward pass.
    eval_limit: at most this many validation windows.
    seed: epoch ``e`` starts its windows at a seeded offset in ``[0, context)``.
    """

    unit = "tok"
    perplexity = True

    def __init__(self, train: np.ndarray, valid: np.ndarray | None, *, batch_size: int = 20, context: int = 128,
                 eval_batch_size: int = 10, eval_limit: int | None = None, seed: int = 0,
                 device: torch.device | str = "cpu") -> None:
        self.data = batchify(train, batch_size).to(torch.device(device))      # (B, L)
        self.valid, self.context, self.seed = valid, context, seed
        self.eval_batch_size, self.eval_limit = eval_batch_size, eval_limit
        if self.data.size(1) <= context:
            raise ConfigError(f"the training text gives {self.data.size(1)} tokens per stream, not more than the "
                              f"context of {context}; lower --context or --batch-size")

    def _offset(self, epoch: int) -> int:
        return 0 if epoch == 0 else int(np.random.default_rng(self.seed + epoch).integers(self.context))

    def num_batches(self, epoch: int) -> int:
        return num_windows(self.data[:, self._offset(epoch):], self.context)

    def batches(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        yield from bptt_windows(self.data[:, self._offset(epoch):], self.context, start)

    def train_step(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, int]:
        x, y = batch                                                             # (B, t), (B, t)
        h, _ = model.features(x)
        logits = model.output(h)                                                 # (B, t, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), y.reshape(-1))  # float32 softmax
        return loss, y.numel()

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if self.valid is None:
            return {}
        total, count = sliding_nll(model, self.valid, batch_size=self.eval_batch_size, limit=self.eval_limit)
        loss = total / count
        return {"valid_loss": loss, "valid_ppl": math.exp(loss)}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass
