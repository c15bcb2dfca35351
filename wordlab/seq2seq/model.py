"""``Seq2Seq``: encoder + (attention) decoder, with DLfS-2's reversed input and peeky options.

The variants of DLfS-2 ch. 7–8 are one class with flags:

==================  ==============================================================
plain seq2seq       ``Seq2SeqConfig()``  (Sutskever et al. 2014)
reversed input      ``reverse_source=True``  (Sutskever et al. 2014, Section 3.3)
peeky               ``peeky=True``  (Cho et al. 2014; DLfS-2 ``PeekySeq2seq``)
attention           ``attention="dot"|"general"|"additive"``  (DLfS-2 ``AttentionSeq2seq``)
==================  ==============================================================

Reversal happens inside :meth:`Seq2Seq.encode` (so callers always pass the source in reading
order) and the encoder outputs are flipped back afterwards: attention weight ``s`` always
belongs to source token ``s``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..checkpoint import build_model, checkpoint_vocab, config_from_dict, load_checkpoint, save_checkpoint
from ..errors import CheckpointError, ConfigError
from ..text import Vocabulary
from .data import Batch, DataConfig
from ..layers.recurrent import select_state
from .decoders import AttentionDecoder, Decoder
from .encoders import CELLS, Encoder, State

ATTENTIONS = ("none", "dot", "general", "additive")
KIND = "seq2seq"


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Hyper-parameters of :class:`Seq2Seq` (DLfS-2 defaults for the date task: emb 16, hidden 256).

    ``src_vocab`` / ``tgt_vocab`` 0: set from the training pairs' vocabularies by
    :func:`wordlab.seq2seq.train_seq2seq`. Each field's ``metadata`` is its command-line flag.
    """

    src_vocab: int = field(default=0, metadata={"cli": False})
    tgt_vocab: int = field(default=0, metadata={"cli": False})
    emb: int = field(default=16, metadata={
        "help": "embedding size (16: DLfS-2's wordvec)", "flag": "--dim", "deprecated": ("--emb",)})
    hidden: int = field(default=256, metadata={"help": "recurrent state size"})
    cell: str = field(default="lstm", metadata={"help": "recurrent cell", "choices": tuple(CELLS)})
    layers: int = field(default=1, metadata={"help": "stacked recurrent layers"})
    bidirectional: bool = field(default=False, metadata={"help": "bidirectional encoder (hidden split in two)"})
    attention: str = field(default="none", metadata={"help": "attention score", "choices": ATTENTIONS})
    peeky: bool = field(default=False, metadata={"help": "feed the encoder's final state to every decoder step"})
    reverse_source: bool = field(default=False, metadata={
        "help": "feed the source reversed (Sutskever et al. 2014)", "flag": "--reverse",
        "aliases": ("--reverse-source",)})
    dropout: float = field(default=0.0, metadata={"help": "dropout on embeddings and outputs"})
    teacher_forcing: float = field(default=1.0, metadata={"help": "teacher forcing ratio"})
    pad_id: int = field(default=0, metadata={"cli": False})
    bos_id: int = field(default=2, metadata={"cli": False})
    eos_id: int = field(default=3, metadata={"cli": False})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        if self.attention not in ATTENTIONS:
            raise ConfigError(f"attention must be one of {', '.join(ATTENTIONS)}, not {self.attention!r}")
        if self.cell not in CELLS:
            raise ConfigError(f"cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        for name in ("src_vocab", "tgt_vocab"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 1 (or 0: from the data), got {getattr(self, name)}")
        for name in ("emb", "hidden", "layers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 <= self.teacher_forcing <= 1.0:
            raise ConfigError(f"teacher forcing ratio must be in [0, 1], got {self.teacher_forcing}")
        if self.bidirectional and self.hidden % 2:
            raise ConfigError(f"a bidirectional encoder needs an even hidden size, got {self.hidden}")


class Encoded(NamedTuple):
    """What the decoder needs from one encoded batch (computed once per source sentence)."""

    memory: torch.Tensor              # (B, S, H) encoder outputs, in source reading order
    mask: torch.Tensor                # (B, S) True = real token, False = padding
    proj_keys: torch.Tensor | None    # (B, S, ·) attention key projection, or None
    state: State                      # initial decoder state, (L, B, H) (an (h, c) pair for LSTM)
    peek: torch.Tensor | None         # (B, H) encoder's final top-layer hidden vector (peeky), or None


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse the first ``lengths[b]`` positions of each row of ``x`` (B, S, ...); padding stays put."""
    S = x.size(1)
    pos = torch.arange(S, device=x.device).unsqueeze(0)               # (1, S)
    L = lengths.to(x.device).unsqueeze(1)                             # (B, 1)
    idx = torch.where(pos < L, L - 1 - pos, pos)                      # (B, S)
    if x.dim() > 2:
        idx = idx.unsqueeze(-1).expand(-1, -1, *x.shape[2:])
    return x.gather(1, idx)


class DecoderState(NamedTuple):
    """The decoding state of the step protocol (:mod:`wordlab.decoding.protocol`): ``start`` → ``step`` → …

    The encoder's memory is kept once per source sentence: rows ``r`` of the batch (beams) read
    memory row ``r // group``, so beam search does not copy it ``K`` times nor gather it each step.
    """

    rnn: State                        # decoder RNN state, (L, B, H) (an (h, c) pair for LSTM)
    memory: torch.Tensor              # (N, S, H) encoder outputs, one row per source sentence
    mask: torch.Tensor                # (N, S) True = real source token
    proj_keys: torch.Tensor | None    # (N, S, ·) attention key projection, or None
    peek: torch.Tensor | None         # (B, H) peeky input per row, or None
    group: int                        # rows per source sentence: B = N · group
    attention: torch.Tensor | None    # (B, S) attention weights of the last step, or None


class Seq2Seq(nn.Module):
    """Encoder–decoder for translation; see the module docstring for the variants."""

    def __init__(self, cfg: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = cfg
        self.encoder = Encoder(cfg.src_vocab, cfg.emb, cfg.hidden, cfg.cell, cfg.layers, cfg.bidirectional,
                               cfg.dropout, cfg.pad_id)
        common = dict(vocab_size=cfg.tgt_vocab, emb=cfg.emb, hidden=cfg.hidden, cell=cfg.cell, layers=cfg.layers,
                      dropout=cfg.dropout, peeky=cfg.peeky, pad_id=cfg.pad_id)
        self.decoder = Decoder(**common) if cfg.attention == "none" \
            else AttentionDecoder(**common, attention=cfg.attention)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        """Encode ``src`` (B, S) with real lengths ``lengths`` (B,)."""
        lengths = lengths.to(src.device)
        if self.config.reverse_source:
            src = reverse_padded(src, lengths)
        memory, state = self.encoder(src, lengths)                   # (B, S, H)
        if self.config.reverse_source:
            memory = reverse_padded(memory, lengths)                 # back to reading order
        mask = torch.arange(src.size(1), device=src.device).unsqueeze(0) < lengths.unsqueeze(1)  # (B, S)
        h = state[0] if isinstance(state, tuple) else state
        peek = h[-1] if self.config.peeky else None                     # (B, H)
        return Encoded(memory, mask, self.decoder.project_keys(memory), state, peek)

    def decode(self, y: torch.Tensor, state: State, enc: Encoded) -> tuple[torch.Tensor, State, torch.Tensor | None]:
        """``T`` decoder steps from tokens ``y`` (B, T): logits (B, T, V), state, weights (B, T, S) or None."""
        return self.decoder(y, state, enc.memory, enc.mask, enc.proj_keys, enc.peek)

    # ---- the step protocol of wordlab.decoding: start / step / reorder_state (+ step_attention)

    @property
    def bos_id(self) -> int:
        return self.config.bos_id

    @property
    def eos_id(self) -> int:
        return self.config.eos_id

    @property
    def pad_id(self) -> int:
        return self.config.pad_id

    def start(self, src: torch.Tensor, lengths: torch.Tensor) -> DecoderState:
        """Encode ``src`` (B, S) once: the decoder's initial state (memory and mask inside)."""
        enc = self.encode(src, lengths)
        return DecoderState(enc.state, enc.memory, enc.mask, enc.proj_keys, enc.peek, 1, None)

    def step(self, tokens: torch.Tensor, state: DecoderState) -> tuple[torch.Tensor, DecoderState]:
        """Feed ``tokens`` (B, T): logits (B, V) after the last one, and the new state."""
        logits, rnn, w = self.decoder(tokens, state.rnn, state.memory, state.mask, state.proj_keys, state.peek,
                                      state.group)                # (B, T, V), …, (B, T, S)
        return logits[:, -1], state._replace(rnn=rnn, attention=None if w is None else w[:, -1])

    def reorder_state(self, state: DecoderState | None, index: torch.Tensor) -> DecoderState | None:
        """Rows ``index`` (B',) of ``state``.

        The memory stays one row per sentence as long as the new rows come in blocks that share a
        memory row (beam reordering within a sentence's beams: nothing is copied; dropping finished
        sentences: the kept sentences' rows are gathered once); otherwise it is gathered per row.
        """
        if state is None:
            return None
        R, N = index.numel(), state.memory.size(0)
        mem_row = index // state.group if state.group > 1 else index          # (B',) memory row of each new row
        pick_rows = None
        for g in sorted({state.group, R // N if N else 0}, reverse=True):     # rows per sentence, largest first
            if g >= 1 and R % g == 0:
                blocks = mem_row.view(-1, g)                                  # (B'/g, g)
                if torch.equal(blocks, blocks[:, :1].expand_as(blocks)):
                    rows = blocks[:, 0]
                    same = rows.numel() == N and torch.equal(rows, torch.arange(N, device=rows.device))
                    pick_rows, group = (None if same else rows), g
                    break
        else:
            pick_rows, group = mem_row, 1
        memory, mask, keys = state.memory, state.mask, state.proj_keys
        if pick_rows is not None:
            gather = (lambda t: None if t is None else t.index_select(0, pick_rows))  # noqa: E731
            memory, mask, keys = gather(memory), gather(mask), gather(keys)
        pick = (lambda t: None if t is None else t.index_select(0, index))  # noqa: E731
        return DecoderState(select_state(state.rnn, index), memory, mask, keys, pick(state.peek), group,
                            pick(state.attention))

    def step_attention(self, state: DecoderState) -> torch.Tensor | None:
        """Attention weights (B, S) of the step that produced ``state`` (``None`` without attention)."""
        return state.attention

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Training logits (B, T, V) for the decoder inputs ``tgt_in`` (B, T) = ``<bos> y1 … yn``.

        With ``teacher_forcing < 1`` (in training mode) each step feeds, with that probability, the
        reference token, else the model's own previous prediction (Williams & Zipser 1989; the
        PyTorch tutorial's ``teacher_forcing_ratio``); otherwise all steps run at once.
        """
        enc = self.encode(src, lengths)
        ratio = self.config.teacher_forcing
        if ratio >= 1.0 or not self.training:
            logits, _, _ = self.decode(tgt_in, enc.state, enc)
            return logits
        state, y, steps = enc.state, tgt_in[:, :1], []
        for t in range(tgt_in.size(1)):
            logits, state, _ = self.decode(y, state, enc)            # (B, 1, V)
            steps.append(logits)
            if t + 1 < tgt_in.size(1):
                own = logits.argmax(-1)                              # (B, 1)
                use_ref = torch.rand(own.shape, device=own.device) < ratio
                y = torch.where(use_ref, tgt_in[:, t + 1:t + 2], own)
        return torch.cat(steps, dim=1)                               # (B, T, V)

    def loss(self, batch: Batch) -> tuple[torch.Tensor, int]:
        """Mean cross-entropy per target token (padding ignored) and the number of tokens."""
        dev = next(self.parameters()).device
        logits = self(batch.src.to(dev), batch.src_len, batch.tgt_in.to(dev))   # (B, T, V)
        tgt = batch.tgt_out.to(dev)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt.reshape(-1), ignore_index=self.config.pad_id)
        return loss, batch.tokens


def save_model(path: str | Path, model: Seq2Seq, src_vocab: Vocabulary, tgt_vocab: Vocabulary,
               data: DataConfig, extra: dict | None = None) -> None:
    """Write a ``seq2seq`` checkpoint: weights, config, both vocabularies, the data options."""
    save_checkpoint(path, kind=KIND, config=model.config, state_dict=model.state_dict(),
                    vocab=vocabs_payload(src_vocab, tgt_vocab), extra={"data": asdict(data), **(extra or {})})


def vocabs_payload(src_vocab: Vocabulary, tgt_vocab: Vocabulary) -> dict:
    """Both vocabularies as the checkpoint's ``vocab`` entry."""
    return {"source": src_vocab.to_dict(), "target": tgt_vocab.to_dict()}


def load_model(path: str | Path, device: str | torch.device = "cpu", payload: dict | None = None
               ) -> tuple[Seq2Seq, Vocabulary, Vocabulary, DataConfig, dict]:
    """Read a ``seq2seq`` checkpoint: (model in eval mode, source vocab, target vocab, data options, payload)."""
    ck = payload if payload is not None else load_checkpoint(path, kind=KIND, map_location=device)
    from .arch import build_seq2seq, seq2seq_config_from_dict  # RNN or Transformer, by the stored "arch"

    cfg = seq2seq_config_from_dict(ck["config"], source=str(path))
    v = ck.get("vocab") or {}
    if "source" not in v or "target" not in v:
        raise CheckpointError(f"{path}: seq2seq checkpoint lacks its source/target vocabularies")
    src_vocab = checkpoint_vocab({"vocab": v["source"]}, source=f"{path} (source vocabulary)")
    tgt_vocab = checkpoint_vocab({"vocab": v["target"]}, source=f"{path} (target vocabulary)")
    if src_vocab is None or tgt_vocab is None:
        raise CheckpointError(f"{path}: seq2seq checkpoint lacks its source/target vocabularies")
    if len(src_vocab) != cfg.src_vocab or len(tgt_vocab) != cfg.tgt_vocab:
        raise CheckpointError(f"{path}: vocabulary sizes {len(src_vocab)}/{len(tgt_vocab)} do not match the "
                              f"model's {cfg.src_vocab}/{cfg.tgt_vocab}")
    data = config_from_dict(DataConfig, (ck.get("extra") or {}).get("data", {}), source=str(path))
    model = build_model(lambda: build_seq2seq(cfg), ck["state_dict"], str(path))
    return model.to(device).eval(), src_vocab, tgt_vocab, data, ck
