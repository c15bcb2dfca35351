"""Artifact kinds of :mod:`wordlab.count`: the GloVe checkpoint and the co-occurrence cache entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..artifacts import npz_format, register


def _sniff_glove(path: Path, head: bytes) -> bool:
    return (npz_format(path, head) or "").startswith("wordlab.glove/")


def _load_glove(path: Path, **kwargs: Any):
    from .glove import GloVe

    return GloVe.load_checkpoint(path)


def _header(path: Path) -> Path:
    return path.with_suffix(".json")


def _sniff_cooc(path: Path, head: bytes) -> bool:
    if head[:4] != b"PK\x03\x04" or not _header(path).is_file():
        return False
    try:
        with open(_header(path), encoding="utf-8") as f:
            return str(json.loads(f.read(1 << 16)).get("format", "")).startswith("wordlab.cooccurrence/")
    except (OSError, ValueError, AttributeError):
        return False


def _load_cooc(path: Path, **kwargs: Any):
    from .cooccurrence_cache import load_cooccurrence

    return load_cooccurrence(path.with_suffix(""), vocab_size=kwargs.get("vocab_size"))


register(name="glove-model", describe="a GloVe checkpoint (train glove --save-model; training can go on)",
         priority=50, groups=("model",), sniff=_sniff_glove, load=_load_glove)
register(name="cooccurrence", describe="a co-occurrence matrix (scipy sparse .npz with its JSON header)",
         priority=40, sniff=_sniff_cooc, load=_load_cooc)
