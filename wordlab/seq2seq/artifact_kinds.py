"""Translation (seq2seq) checkpoints in the artifact registry: ``artifacts.load`` gives a ``Translator``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..artifacts import register_checkpoint_kind


def _load(path: Path, payload: dict, device: Any = "cpu", **kwargs: Any):
    from ..tensor import device as get_device
    from .translator import Translator

    if kwargs:
        raise TypeError(f"a seq2seq checkpoint takes no options {sorted(kwargs)}")
    return Translator.load(path, get_device(device), payload=payload)  # validates a stored BPE model too


register_checkpoint_kind("seq2seq", describe="a translation-model (seq2seq) checkpoint", groups=("model",),
                         load=_load)
