"""Word-vector files in the artifact registry (:mod:`wordlab.artifacts`): each loads as ``KeyedVectors``.

word2vec text and binary (a ``<count> <dim>`` header, then text rows or binary records), GloVe-style
text (rows ``<word> <v1> ... <vd>`` without a header) and wordlab's ``.npz``; compressed files
(gzip, bzip2, xz) are looked through. Detection reads the bytes, never only the suffix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..artifacts import npz_format, register
from ..errors import DataError
from .formats import NPZ_FORMAT, sniff_format


def _sniffed(path: Path) -> str:
    try:
        return sniff_format(path)
    except DataError:
        return ""



def _loader(fmt: str):
    def load(path: Path, format: str | None = None, **kwargs: Any):
        from .keyed import KeyedVectors

        return KeyedVectors.load(path, format=format or fmt, **kwargs)  # an explicit format overrides the sniff

    load.__name__ = f"load_{fmt}_vectors"
    return load


register(name="vectors-npz", describe="word vectors (wordlab .npz)", priority=50, groups=("vectors",),
         sniff=lambda path, head: npz_format(path, head) == NPZ_FORMAT, load=_loader("npz"))
register(name="word2vec-binary", describe="word vectors (word2vec binary)", priority=20, groups=("vectors",),
         sniff=lambda path, head: head[:4] != b"PK\x03\x04" and _sniffed(path) == "binary", load=_loader("binary"))
register(name="word2vec-text", describe="word vectors (word2vec text)", priority=20, groups=("vectors",),
         sniff=lambda path, head: head[:4] != b"PK\x03\x04" and _sniffed(path) == "text", load=_loader("text"))
register(name="glove-text", describe="word vectors (GloVe-style text without a header)", priority=0,
         groups=("vectors",), sniff=lambda path, head: _sniffed(path) == "glove", load=_loader("glove"))
