"""fastText files in the artifact registry (:mod:`wordlab.artifacts`), recognised by content, not suffix.

* ``fasttext-bin``: the fastText tool's unsupervised ``.bin`` (magic 793712314, ``args.model`` cbow or
  skip-gram) → :class:`~wordlab.fasttext.FastTextKeyedVectors` (every string gets a vector);
* ``fasttext-supervised``: a supervised ``.bin`` or quantized ``.ftz`` (``args.model`` = sup) →
  :class:`~wordlab.fasttext.FastTextClassifier`;
* ``fasttext-model``: ``FastText.save`` (``.npz``, ``wordlab.fasttext/1``) → :class:`~wordlab.fasttext.FastText`;
* ``fasttext-vectors``: ``FastTextKeyedVectors.save`` to ``.npz`` (``wordlab.fasttext-vectors/1``).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from ..artifacts import npz_format, register

MAGIC_BYTES = struct.pack("<i", 793712314)  # facebook.MAGIC; not imported: registering must not import the package

_MODEL_OFFSET = 8 + 7 * 4  # magic, version, then args: dim ws epoch minCount neg wordNgrams loss | model


def _facebook_model_field(head: bytes) -> int | None:
    if head[:4] != MAGIC_BYTES or len(head) < _MODEL_OFFSET + 4:
        return None
    return struct.unpack_from("<i", head, _MODEL_OFFSET)[0]


def _load_bin(path: Path, **kwargs: Any):
    from .facebook import read_facebook
    from .keyed import vectors_from_facebook

    return vectors_from_facebook(read_facebook(path))


def _load_supervised(path: Path, **kwargs: Any):
    from .supervised import FastTextClassifier

    return FastTextClassifier.load(path)


def _load_model(path: Path, **kwargs: Any):
    from .model import FastText

    return FastText.load(path, progress=kwargs.get("progress"))


def _load_vectors(path: Path, **kwargs: Any):
    from .keyed import FastTextKeyedVectors

    return FastTextKeyedVectors.load_npz(path)


register(name="fasttext-bin", describe="fastText word vectors (Facebook .bin)", priority=90, groups=("vectors",),
         sniff=lambda path, head: _facebook_model_field(head) in (1, 2), load=_load_bin)
register(name="fasttext-supervised", describe="a fastText classifier (Facebook supervised .bin/.ftz)", priority=90,
         groups=("model",), sniff=lambda path, head: _facebook_model_field(head) == 3, load=_load_supervised)
register(name="fasttext-model", describe="a fastText model (FastText.save, training can go on)", priority=50,
         groups=("model",), sniff=lambda path, head: (npz_format(path, head) or "").startswith("wordlab.fasttext/"),
         load=_load_model)
register(name="fasttext-vectors", describe="fastText word vectors (wordlab .npz with n-gram rows)", priority=55,
         groups=("vectors",),
         sniff=lambda path, head: (npz_format(path, head) or "").startswith("wordlab.fasttext-vectors/"),
         load=_load_vectors)
