"""Sentence classifiers: Kim's ``TextCNN`` and an ``MLP`` over mean-pooled embeddings (the baseline).

Both read token ids ``(B, T)`` padded with id 0 (``<pad>``) plus lengths ``(B,)`` and return
logits ``(B, K)``::

    ids ─► WordEmbedding (rand | static | non-static | multichannel) ─► (B, T, C·D)
        ├─ textcnn: TextCNN (widths 3,4,5 × 100, ReLU, max-over-time, dropout, max-norm) ─► (B, K)
        └─ mlp:     mean over the T real positions ─► MLP([C·D, hidden..., K]) ─► (B, K)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from ..layers.cnn import TextCNN, mean_over_time
from ..layers.embedding import MODES, WordEmbedding
from ..layers.mlp import MLP
from ..text import TOKENIZERS

__all__ = ["MODELS", "ClassifierConfig", "SentenceClassifier"]

MODELS = ("textcnn", "mlp")


@dataclass(frozen=True)
class ClassifierConfig:
    """Hyper-parameters of :class:`SentenceClassifier` (Kim 2014's values by default).

    ``None`` in ``mode``, ``embed_dim`` and ``clean`` means "decided by the data" and is resolved by
    :func:`wordlab.classify.train_text_classifier` (non-static with vectors, else rand; the vectors'
    dimension, else 300; Kim's cleaning for MR files, not for TSV); ``vocab_size`` and
    ``num_classes`` come from the data too. Each field's ``metadata`` is its command-line flag.
    """

    model: str = field(default="textcnn", metadata={
        "help": "TextCNN (Kim 2014) or an MLP over mean-pooled embeddings", "flag": "--arch", "choices": MODELS,
        "deprecated": ("--model",)})
    mode: str | None = field(default=None, metadata={
        "help": "embedding mode (none = non-static with --vectors, else rand)", "choices": MODES})
    vocab_size: int = field(default=0, metadata={"cli": False})
    embed_dim: int | None = field(default=None, metadata={
        "help": "embedding size (none = the vectors' dimension, or 300 without vectors)", "flag": "--dim",
        "deprecated": ("--embed-dim",)})
    num_classes: int = field(default=2, metadata={"cli": False})
    widths: tuple[int, ...] = field(default=(3, 4, 5), metadata={"help": "TextCNN filter widths"})
    maps: int = field(default=100, metadata={"help": "TextCNN feature maps per width"})
    dropout: float = field(default=0.5, metadata={"help": "dropout before the output layer"})
    max_norm: float | None = field(default=3.0, metadata={
        "help": "L2 bound of the output weight vectors (none or 0 = off)"})
    hidden: tuple[int, ...] = field(default=(100,), metadata={"help": "MLP hidden sizes"})
    activation: str = field(default="relu", metadata={"cli": False})
    clean: bool | None = field(default=None, metadata={
        "help": "Kim's clean_str tokenisation (none = on for --pos/--neg, off for --tsv)"})
    tokenizer: str = field(default="whitespace", metadata={
        "help": "tokenizer when not cleaning", "choices": TOKENIZERS})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        if self.max_norm == 0:
            object.__setattr__(self, "max_norm", None)
        if self.model not in MODELS:
            raise ConfigError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        if self.mode is not None and self.mode not in MODES:
            raise ConfigError(f"unknown embedding mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if self.num_classes < 2:
            raise ConfigError(f"a classifier needs at least 2 classes, got {self.num_classes}")
        if self.embed_dim is not None and self.embed_dim < 1:
            raise ConfigError(f"embed_dim must be >= 1, got {self.embed_dim}")
        if self.maps < 1:
            raise ConfigError(f"maps must be >= 1, got {self.maps}")

    def resolve(self, weights: np.ndarray | torch.Tensor | None = None, clean: bool = True) -> "ClassifierConfig":
        """A copy with the ``None`` fields decided: mode non-static with ``weights`` else rand, embed_dim
        the weights' width else 300, ``clean`` the given default."""
        mode = self.mode or ("non-static" if weights is not None else "rand")
        dim = self.embed_dim or (int(weights.shape[1]) if weights is not None else 300)
        return replace(self, mode=mode, embed_dim=dim, clean=clean if self.clean is None else self.clean)
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        # checkpoints hand lists back; keep the dataclass hashable and comparable
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))


class SentenceClassifier(nn.Module):
    """Embedding + TextCNN or mean-pool MLP; see the module docstring.

    ``weights``: initial embedding table ``(vocab_size, embed_dim)`` (required for the
    static / non-static / multichannel modes, random ``±0.25`` rows for ``rand``).
    """

    def __init__(self, config: ClassifierConfig, weights: np.ndarray | torch.Tensor | None = None) -> None:
        super().__init__()
        c = config = config.resolve(weights)
        if c.mode != "rand" and weights is None:
            raise ConfigError(f"embedding mode {c.mode!r} needs pre-trained vectors (--vectors); use mode rand "
                              f"to train without them")
        self.config = c
        self.embedding = WordEmbedding(c.vocab_size, c.embed_dim, c.mode, weights, padding_idx=0)
        d = self.embedding.out_dim
        if c.model == "textcnn":
            self.head: nn.Module = TextCNN(d, c.num_classes, c.widths, c.maps, c.dropout, c.max_norm)
        else:
            self.head = MLP([d, *c.hidden, c.num_classes], activation=c.activation, dropout=c.dropout)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` ids, ``(B,)`` lengths → ``(B, K)`` logits."""
        x = self.embedding(ids)  # (B, T, C·D)
        if isinstance(self.head, TextCNN):
            return self.head(x, lengths)
        return self.head(mean_over_time(x.transpose(1, 2), lengths))  # (B, C·D) → (B, K)

    def apply_max_norm(self) -> None:
        """Kim's max-norm projection of the output layer (TextCNN only; no-op otherwise)."""
        if isinstance(self.head, TextCNN):
            self.head.apply_max_norm()
