"""The model file of ``Word2Vec`` and ``FastText``: one ``.npz``, no pickle, written atomically.

Members: ``W_in``, ``W_out``, ``W_hs`` (hierarchical softmax only), ``counts`` and ``meta`` (UTF-8 JSON:
``format``, config, words, training state, provenance). Reading checks every member's stored size before
it is read (:func:`wordlab.schema.load_npz`) and answers a damaged or foreign file with one line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import CheckpointError
from ..schema import NPZ_ERRORS, load_npz, npz_meta

MEMBERS = ("W_in", "W_out", "counts", "W_hs")


def write_model_file(path: str | os.PathLike, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """``arrays`` and ``meta`` (as UTF-8 JSON bytes) as one ``.npz`` at ``path``, atomically."""
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))


def read_model_file(path: str | os.PathLike, fmt: str, what: str) -> tuple[dict, dict[str, np.ndarray]]:
    """``(meta, arrays)`` of a model file whose ``meta["format"]`` is ``fmt``; ``what`` names the kind in errors
    (``"word2vec model"``). Raises :class:`CheckpointError` (one line) for a missing, damaged or foreign file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such model file")
    try:
        meta = npz_meta(path)  # a JSON object, or a one-line DataError
        arrays = load_npz(path, MEMBERS)  # sizes checked before reading
    except NPZ_ERRORS as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise CheckpointError(f"{path}: not a readable wordlab {what} (truncated or foreign?): {first}") from None
    if meta.get("format") != fmt:
        raise CheckpointError(f"{path}: not a wordlab {what} (no {fmt!r} header)")
    missing = [m for m in MEMBERS[:3] if m not in arrays]
    if missing:
        raise CheckpointError(f"{path}: not a complete wordlab {what}: no {', '.join(missing)}")
    return meta, arrays
