"""Sentence-classifier checkpoints in the artifact registry: ``artifacts.load`` gives a ``Classifier``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..artifacts import npz_format, register, register_checkpoint_kind


def _load(path: Path, payload: dict, device: Any = "auto", **kwargs: Any):
    from .predict import load_classifier

    return load_classifier(path, device=device, payload=payload, **kwargs)


register_checkpoint_kind("classifier", describe="a sentence-classifier checkpoint", groups=("model",), load=_load)


def _load_nbsvm(path: Path, **kwargs: Any):
    from .nbsvm import NBSVM

    return NBSVM.load(path)


register(name="nbsvm", describe="an NBSVM classifier (wordlab .npz, classify train --arch nbsvm)", priority=55,
         groups=("model",), sniff=lambda path, head: (npz_format(path, head) or "").startswith("wordlab.nbsvm/"),
         load=_load_nbsvm)
