"""Translation (seq2seq) checkpoints in the artifact registry: ``artifacts.load`` gives a ``Translator``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..artifacts import register_checkpoint_kind


def _load(path: Path, payload: dict, device: Any = "cpu", **kwargs: Any):
    from ..tensor import device as get_device
    from .model import load_model
    from .translator import Translator

    model, src, tgt, data, _ = load_model(path, get_device(device), payload=payload, **kwargs)
    return Translator(model, src, tgt, data)


register_checkpoint_kind("seq2seq", describe="a translation-model (seq2seq) checkpoint", groups=("model",),
                         load=_load)
