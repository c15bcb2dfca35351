"""The word2vec model file (``Word2Vec.save``: one ``.npz`` whose JSON ``meta`` says ``wordlab.word2vec/1``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..artifacts import npz_format, register

MODEL_FORMAT = "wordlab.word2vec/1"


def _sniff(path: Path, head: bytes) -> bool:
    return (npz_format(path, head) or "").startswith("wordlab.word2vec/")


def _load(path: Path, **kwargs: Any):
    from .model import Word2Vec

    return Word2Vec.load(path, **kwargs)


register(name="word2vec-model", describe="a word2vec model (Word2Vec.save, training can go on)", priority=50,
         groups=("model",), sniff=_sniff, load=_load)
