"""Model checkpoints: ``state_dict`` + config (JSON-able dict) + vocabulary, never pickled code.

A checkpoint is a dict of tensors and plain Python values written with ``torch.save``
through :func:`wordlab.atomic.atomic_write` and read back with
``torch.load(..., weights_only=True)``, so loading a file can never run code::

    {"format": "wordlab.checkpoint/1", "kind": "lm", "config": {...},
     "vocab": {...} | None, "state_dict": {...}, "optimizer": {...} | None,
     "scheduler": {...} | None, "progress": {...} | None, "rng": {...} | None, "extra": {...}}

Models rebuild themselves from ``config`` (a dataclass's ``asdict``), the way nanoGPT does.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
from pathlib import Path
from typing import Any

import torch

from .atomic import atomic_write
from .errors import CheckpointError
from .text.vocab import Vocabulary

log = logging.getLogger(__name__)

FORMAT = "wordlab.checkpoint/1"


def config_dict(config: Any) -> dict:
    """A dataclass instance (or dict) → plain dict."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return dataclasses.asdict(config)
    if isinstance(config, dict):
        return dict(config)
    raise TypeError(f"config must be a dataclass instance or a dict, not {type(config).__name__}")


def config_from_dict(cls: type, d: dict, source: str = "checkpoint") -> Any:
    """Rebuild dataclass ``cls`` from ``d``; unknown keys are an error naming ``source``."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise CheckpointError(f"{source}: config has fields {unknown} that {cls.__name__} does not know")
    try:
        return cls(**d)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{source}: bad {cls.__name__} config: {e}") from None


def save_checkpoint(
    path: str | os.PathLike,
    *,
    kind: str,
    config: Any,
    state_dict: dict[str, torch.Tensor],
    vocab: Vocabulary | dict | None = None,
    optimizer: dict | None = None,
    scheduler: dict | None = None,
    progress: dict | None = None,
    rng: dict | None = None,
    extra: dict | None = None,
) -> None:
    """Write a checkpoint atomically (temp file + rename). Tensors are moved to the CPU."""
    payload = {
        "format": FORMAT,
        "kind": kind,
        "config": config_dict(config),
        "vocab": vocab.to_dict() if isinstance(vocab, Vocabulary) else vocab,
        "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
        "optimizer": optimizer,
        "scheduler": scheduler,
        "progress": progress,
        "rng": rng,
        "extra": extra or {},
    }
    with atomic_write(path, "wb") as f:
        torch.save(payload, f)


def load_checkpoint(path: str | os.PathLike, kind: str | None = None,
                    map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint with ``weights_only=True``; check its format and (optionally) its kind.

    Raises :class:`CheckpointError` with a one-line message for a missing, truncated or
    foreign file, or one of another kind.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # torch.load on garbage raises anything (KeyError, EOFError, UnpicklingError, ...)
        first = f"{type(e).__name__}: {str(e).strip().splitlines()[0]}" if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{path}: not a readable wordlab checkpoint (truncated or corrupt?): {first}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a wordlab checkpoint (no {FORMAT!r} header)")
    if kind is not None and payload.get("kind") != kind:
        raise CheckpointError(f"{path}: is a {payload.get('kind')!r} checkpoint, expected {kind!r}")
    return payload


def checkpoint_vocab(payload: dict, source: str = "checkpoint") -> Vocabulary | None:
    """The :class:`Vocabulary` stored in a loaded checkpoint (``None`` when it has none)."""
    v = payload.get("vocab")
    return None if v is None else Vocabulary.from_dict(v, source=source)


def state_dict_bytes(state_dict: dict[str, torch.Tensor]) -> bytes:
    """Serialise a state dict to bytes (for tests and hashing)."""
    buf = io.BytesIO()
    torch.save(state_dict, buf)
    return buf.getvalue()
