"""Sentence-classifier checkpoints in the artifact registry: ``artifacts.load`` gives a ``Classifier``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..artifacts import register_checkpoint_kind


def _load(path: Path, payload: dict, device: Any = "auto", **kwargs: Any):
    from .predict import load_classifier

    return load_classifier(path, device=device, payload=payload, **kwargs)


register_checkpoint_kind("classifier", describe="a sentence-classifier checkpoint", groups=("model",), load=_load)
