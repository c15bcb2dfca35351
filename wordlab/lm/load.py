"""Loading a trained language model back from its checkpoint, and exporting its word vectors."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..checkpoint import checkpoint_vocab, config_from_dict, load_checkpoint
from ..errors import CheckpointError, DataError
from ..tensor import device as get_device
from ..text import Vocabulary
from .config import LMConfig
from .model import RNNLanguageModel

if TYPE_CHECKING:  # pragma: no cover
    from ..vectors import KeyedVectors


def load_lm(path: str | os.PathLike, device: str | torch.device = "auto") -> tuple[RNNLanguageModel, Vocabulary, dict]:
    """Rebuild the model of an ``lm`` checkpoint (weights, config, vocabulary) in eval mode.

    Returns ``(model, vocab, payload)``; raises :class:`CheckpointError` (one line) for a
    missing, truncated or foreign file, or one whose weights or vocabulary do not fit its config.
    """
    payload = load_checkpoint(path, kind="lm")
    cfg = config_from_dict(LMConfig, payload.get("config") or {}, source=str(path))
    try:
        vocab = checkpoint_vocab(payload, source=str(path))
    except DataError as e:
        raise CheckpointError(str(e)) from None
    if vocab is None:
        raise CheckpointError(f"{path}: checkpoint holds no vocabulary; it cannot map words to ids")
    if len(vocab) != cfg.vocab_size:
        raise CheckpointError(f"{path}: vocabulary has {len(vocab)} words but the model was built for "
                              f"{cfg.vocab_size}; the file mixes two models")
    model = RNNLanguageModel(cfg)
    try:
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: weights do not fit the stored config: {str(e).strip().splitlines()[0]}") \
            from None
    model.to(get_device(device)).eval()
    return model, vocab, payload


def embeddings_to_keyed_vectors(model: RNNLanguageModel, vocab: Vocabulary) -> "KeyedVectors":
    """The model's input embeddings as :class:`wordlab.vectors.KeyedVectors` (one row per vocabulary word)."""
    from ..vectors import KeyedVectors

    weights = model.embedding.weight.detach().cpu().numpy().astype(np.float32)  # (V, E)
    if len(vocab) != len(weights):
        raise CheckpointError(f"vocabulary has {len(vocab)} words but the embedding {len(weights)} rows")
    return KeyedVectors(list(vocab.itos), weights)
