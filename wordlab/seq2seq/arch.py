"""Translator architectures: config class → model class, one table (``seq2seq`` checkpoints store ``arch``).

A stored config without ``arch`` (every RNN checkpoint) is a :class:`~wordlab.seq2seq.model.Seq2SeqConfig`;
``"arch": "transformer"`` is a :class:`~wordlab.seq2seq.transformer.TransformerSeq2SeqConfig`. Both models
implement the decoding step protocol, so ``Translator``, ``seq2seq eval`` and ``translate`` serve either.
"""

from __future__ import annotations

import dataclasses

from torch import nn

from ..checkpoint import config_from_dict
from ..errors import CheckpointError
from ..text import Vocabulary
from .model import Seq2Seq, Seq2SeqConfig
from .transformer import TransformerSeq2Seq, TransformerSeq2SeqConfig

#: ``arch`` name → (config class, model class)
MODELS: dict[str, tuple[type, type]] = {
    "rnn": (Seq2SeqConfig, Seq2Seq),
    "transformer": (TransformerSeq2SeqConfig, TransformerSeq2Seq),
}


def build_seq2seq(cfg) -> nn.Module:
    """A fresh translator for a config of any architecture."""
    for config_cls, model_cls in MODELS.values():
        if isinstance(cfg, config_cls):
            return model_cls(cfg)
    raise TypeError(f"not a seq2seq config: {type(cfg).__name__}")


def seq2seq_config_from_dict(d: dict, source: str = "checkpoint"):
    """The model config a ``seq2seq`` checkpoint stores (``arch`` picks the class; none = ``rnn``)."""
    arch = d.get("arch", "rnn")
    if arch not in MODELS:
        raise CheckpointError(f"{source}: unknown seq2seq architecture {arch!r} (this wordlab knows "
                              f"{', '.join(MODELS)})")
    return config_from_dict(MODELS[arch][0], d, source=source)


def share_when_possible(cfg, src: Vocabulary, tgt: Vocabulary):
    """``cfg`` with ``share_embeddings=True`` when it has that option and both sides have one vocabulary."""
    names = {f.name for f in dataclasses.fields(cfg)}
    if "share_embeddings" in names and src.itos == tgt.itos:
        return dataclasses.replace(cfg, share_embeddings=True)
    return cfg
