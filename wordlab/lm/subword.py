"""Language models over byte-pair-encoded text: data, the tokenizer in the checkpoint, streamed text.

Any language model (RNN or Transformer) trains on BPE ids exactly as on word ids — the
vocabulary is the tokenizer's, ``<unk>`` (id 0) and ``<eos>`` (id 1) included — so this module
only adds the text ends: files → ids through :class:`~wordlab.text.bpe.BPETokenizer`, the tokenizer
stored in (and validated from) the checkpoint's ``extra["tokenizer"]``, and generated ids → clean
text, streamed piece by piece.
"""

from __future__ import annotations

import os
from typing import Iterator, Sequence

from torch import nn

from ..decoding import SamplingConfig, cut_at_stops, stream
from ..errors import CheckpointError, ConfigError, DataError
from ..text import Vocabulary
from ..text.bpe import EOS_ID, UNK_ID, BPETokenizer, is_bpe_payload, tokenizer_from_extra
from .data import LMData

Paths = str | os.PathLike | Sequence[str | os.PathLike]
TOKENIZERS = ("word", "bpe")


def load_bpe_lm_data(train: Paths, valid: Paths | None = None, test: Paths | None = None, *,
                     vocab_size: int = 8000, tokenizer: BPETokenizer | None = None) -> LMData:
    """Train a BPE tokenizer on ``train`` (unless given) and encode the three texts, ``<eos>`` per line."""
    bpe = tokenizer or BPETokenizer.train_files(train, vocab_size=vocab_size)
    enc = (lambda p: None if p is None else bpe.encode_files(p, eos=True))  # noqa: E731
    return LMData(bpe.vocab(), bpe.encode_files(train, eos=True), enc(valid), enc(test), tokenizer=bpe)


def checkpoint_tokenizer(payload: dict, vocab: Vocabulary, source: str = "checkpoint") -> BPETokenizer | None:
    """The BPE tokenizer an ``lm`` checkpoint was trained with, checked against its vocabulary; ``None`` for words."""
    extra = payload.get("extra") or {}
    if not is_bpe_payload(extra):
        return None
    try:
        return tokenizer_from_extra(extra, vocab, source=source)
    except DataError as e:
        raise CheckpointError(str(e)) from None


def stream_bpe_text(model: nn.Module, bpe: BPETokenizer, prompt: str = "", cfg: SamplingConfig | None = None,
                    **options) -> Iterator[str]:
    """Generated text after ``prompt``, piece by piece as tokens are drawn, ended before the first stop string.

    ``<unk>`` is banned unless ``cfg.allow_unk``; ``cfg.banned`` entries must each be one token.
    An empty prompt starts from ``<eos>`` (the start of a line).
    """
    cfg = cfg or SamplingConfig()
    if options:
        cfg = SamplingConfig(**{**cfg.__dict__, **options})
    banned = set()
    for word in cfg.banned:
        i = bpe.tokenizer.token_to_id(word)
        if i is None:
            raise ConfigError(f"banned token {word!r} is not one token of the BPE vocabulary")
        banned.add(i)
    if not cfg.allow_unk:
        banned.add(UNK_ID)
    ids = bpe.encode_text(prompt) if prompt else [EOS_ID]
    stop_ids = [EOS_ID] if cfg.stop_at_eos else []
    pieces = bpe.stream_decode(stream(model, ids, cfg, banned=sorted(banned), stop_ids=stop_ids))
    return cut_at_stops(pieces, cfg.stop)


def stream_lm_text(model: nn.Module, vocab: Vocabulary, payload: dict | None, prompt: str = "",
                   cfg: SamplingConfig | None = None, **options) -> Iterator[str]:
    """Generated text of a loaded ``lm`` checkpoint, through its BPE tokenizer when it has one, else as words."""
    bpe = checkpoint_tokenizer(payload or {}, vocab)
    if bpe is not None:
        return stream_bpe_text(model, bpe, prompt, cfg, **options)
    from .generate import stream_text

    return stream_text(model, vocab, prompt, cfg, **options)


__all__ = ["TOKENIZERS", "load_bpe_lm_data", "checkpoint_tokenizer", "stream_bpe_text", "stream_lm_text"]
