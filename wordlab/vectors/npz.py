"""wordlab's native vector file: one ``.npz`` (``allow_pickle=False``) holding ``vectors`` (float32, (n, d)),
optional ``counts`` (int64, (n,)) and ``meta`` (the UTF-8 bytes of a JSON object: format, version, keys,
extra, provenance), checked against :data:`NPZ_META` and the arrays' sizes before anything is used."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from wordlab import schema
from wordlab.atomic import atomic_write
from wordlab.errors import DataError

from .words import check_finite, check_unique as _check_unique

PathLike = str | os.PathLike
NPZ_FORMAT = "wordlab.vectors"
NPZ_VERSION = 1
#: the .npz metadata: field → type (checked before any field is used)
NPZ_META = schema.Record({"format": str, "version": int, "keys": schema.ListOf(str), "extra": schema.Optional(dict),
                          "provenance": schema.Optional(dict)}, required=("format", "keys"))


def write_npz(path: PathLike, words: list[str], vectors: np.ndarray, counts: np.ndarray | None = None,
              extra: dict[str, Any] | None = None, provenance: dict | bool | None = None) -> None:
    """Native format: ``vectors``, optional ``counts`` and JSON ``meta`` (keys, extra, provenance) in one ``.npz``."""
    for i, w in enumerate(words):
        if not isinstance(w, str):
            raise DataError(f"{path}: cannot write key {i} ({w!r}): keys must be strings")
    meta = {"format": NPZ_FORMAT, "version": NPZ_VERSION, "keys": list(words), "extra": extra or {}}
    if provenance is not False:
        from wordlab.provenance import record

        meta["provenance"] = record() if provenance in (None, True) else provenance
    arrays: dict[str, np.ndarray] = {
        "vectors": np.asarray(vectors, dtype=np.float32),
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
    }
    if counts is not None:
        arrays["counts"] = np.asarray(counts, dtype=np.int64)
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


def read_npz(path: PathLike, allow_nonfinite: bool = False
             ) -> tuple[list[str], np.ndarray, np.ndarray | None, dict[str, Any]]:
    """Read :func:`write_npz` output → ``(words, vectors, counts or None, extra)``.

    The metadata is checked against :data:`NPZ_META` and the arrays' dtypes and shapes against it
    before use; NaN or infinite vectors are refused unless ``allow_nonfinite``.
    """
    if not Path(path).exists():
        raise DataError(f"{path}: no such file")
    meta = schema.npz_meta(path)
    if meta.get("format") != NPZ_FORMAT:
        raise DataError(f"{path}: .npz metadata is not wordlab vectors (format {str(meta.get('format'))[:40]!r})")
    schema.validate(meta, NPZ_META, str(path), "meta")
    if meta.get("version", 0) > NPZ_VERSION:
        raise DataError(f"{path}: vectors file version {meta['version']} is newer than this wordlab reads "
                        f"({NPZ_VERSION}); upgrade wordlab")
    words = meta["keys"]
    try:
        z = schema.load_npz(path, ("vectors", "counts"))
        if "vectors" not in z:
            raise DataError(f"{path}: not a wordlab vectors .npz (no 'vectors' member)")
        raw = z["vectors"]
        schema.validate(raw, schema.Array("fiu", 2), str(path), "vectors")
        vectors = np.ascontiguousarray(raw, dtype=np.float32)
        counts = z.get("counts")
        if counts is not None:
            schema.validate(counts, schema.Array("iu", 1), str(path), "counts")
    except DataError:
        raise
    except schema.NPZ_ERRORS as e:
        raise DataError(f"{path}: cannot read as .npz ({type(e).__name__}: {str(e)[:160]}); the file is damaged, "
                        "truncated or not a wordlab vectors file") from None
    if vectors.shape[0] != len(words):
        raise DataError(f"{path}: field 'vectors': {len(words)} keys but vectors of shape {vectors.shape}; "
                        "the file is damaged")
    if counts is not None and counts.shape != (len(words),):
        raise DataError(f"{path}: field 'counts': shape {counts.shape} does not match {len(words)} keys")
    _check_unique(path, words, lambda i: f"key {i + 1}")
    if not allow_nonfinite:
        check_finite(path, words, vectors, "key")
    return words, vectors, counts, meta.get("extra") or {}
