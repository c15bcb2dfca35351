"""Language-model checkpoints in the artifact registry: ``artifacts.load`` gives a ``LanguageModel``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..artifacts import register_checkpoint_kind


def _load(path: Path, payload: dict, device: Any = "auto", **kwargs: Any):
    from .load import load_lm

    return load_lm(path, device=device, payload=payload, **kwargs)


register_checkpoint_kind("lm", describe="a language-model checkpoint", groups=("model",), load=_load)
