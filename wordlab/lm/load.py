"""Loading a trained language model back from its checkpoint, and exporting its word vectors."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch

from ..checkpoint import build_model, checkpoint_vocab, load_checkpoint
from ..errors import CheckpointError, DataError
from ..tensor import device as get_device
from ..text import Vocabulary
from .config import LMConfig
from .arch import build_language_model, lm_config_from_dict
from .model import RNNLanguageModel
from .subword import checkpoint_tokenizer

if TYPE_CHECKING:  # pragma: no cover
    from ..vectors import KeyedVectors


class LanguageModel(NamedTuple):
    """A loaded language model: the module, its vocabulary and the checkpoint's payload (config, provenance)."""

    model: RNNLanguageModel
    vocab: Vocabulary
    payload: dict

    @property
    def config(self) -> LMConfig:
        return self.model.cfg if hasattr(self.model, "cfg") else self.model.config  # type: ignore[return-value]

    @property
    def provenance(self) -> dict | None:
        return self.payload.get("provenance")


def load_lm(path: str | os.PathLike, device: str | torch.device = "auto", payload: dict | None = None
            ) -> LanguageModel:
    """Rebuild the model of an ``lm`` checkpoint (weights, config, vocabulary) in eval mode.

    Returns ``LanguageModel(model, vocab, payload)`` (a named tuple: unpacks as before); raises
    :class:`CheckpointError` (one line) for a missing, truncated or foreign file, or one whose
    weights or vocabulary do not fit its config. ``payload``: an already loaded checkpoint.
    """
    payload = payload if payload is not None else load_checkpoint(path, kind="lm")
    cfg = lm_config_from_dict(payload.get("config") or {}, source=str(path))   # RNN or Transformer (its "arch")
    try:
        vocab = checkpoint_vocab(payload, source=str(path))
    except DataError as e:
        raise CheckpointError(str(e)) from None
    if vocab is None:
        raise CheckpointError(f"{path}: checkpoint holds no vocabulary; it cannot map words to ids")
    if len(vocab) != cfg.vocab_size:
        raise CheckpointError(f"{path}: vocabulary has {len(vocab)} words but the model was built for "
                              f"{cfg.vocab_size}; the file mixes two models")
    model = build_model(lambda: build_language_model(cfg), payload["state_dict"], str(path))
    checkpoint_tokenizer(payload, vocab, source=str(path))  # a stored BPE tokenizer must parse and fit the vocabulary
    model.to(get_device(device)).eval()
    return LanguageModel(model, vocab, payload)


def embeddings_to_keyed_vectors(model: RNNLanguageModel, vocab: Vocabulary) -> "KeyedVectors":
    """The model's input embeddings as :class:`wordlab.vectors.KeyedVectors` (one row per vocabulary word)."""
    from ..vectors import KeyedVectors

    weights = model.embedding.weight.detach().cpu().numpy().astype(np.float32)  # (V, E)
    if len(vocab) != len(weights):
        raise CheckpointError(f"vocabulary has {len(vocab)} words but the embedding {len(weights)} rows")
    return KeyedVectors(list(vocab.itos), weights)
