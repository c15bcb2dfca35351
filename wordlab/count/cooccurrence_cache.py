"""Co-occurrence counts cached on disk: scipy sparse ``.npz`` + a JSON header, checked before use.

Counting is the slow part of GloVe and PPMI-SVD on a small machine and does not change between
runs that only change the model's settings, so :func:`cached_cooccurrence` keeps the matrix under
``$WORDLAB_CACHE`` (or ``~/.cache/wordlab``). The key is a SHA-256 of

    corpus content (SHA-256 of each file) + tokenizer + eos + vocabulary fingerprint
    + window + weighting + dynamic window + subsampling (threshold and seed)

and an entry is trusted only after its checks: the header's format and key, the matrix's shape
``V × V`` for this vocabulary, its number of non-zeros, CRC-32 of its index and value arrays,
indices within range and every value finite and positive. Anything else is logged and counted
afresh. ``scipy.sparse.load_npz`` reads with ``allow_pickle=False``; files are written atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..atomic import atomic_write
from ..errors import DataError
from ..text.cache import _resolve, content_signature
from ..text.reader import Corpus
from ..text.vocab import Vocabulary
from .cooccurrence import cooccurrence_merged

log = logging.getLogger(__name__)

FORMAT = "wordlab.cooccurrence/1"


def cache_key(corpus: Corpus, vocab: Vocabulary, params: dict[str, Any]) -> str:
    """SHA-256 (hex, 32 chars) of the corpus content, tokenizer, vocabulary and counting parameters."""
    text = json.dumps({"corpus": content_signature(corpus), "vocab": vocab.fingerprint(), "params": params},
                      sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _crc(*arrays: np.ndarray) -> int:
    c = 0
    for a in arrays:
        c = zlib.crc32(np.ascontiguousarray(a).view(np.uint8), c)
    return c & 0xFFFFFFFF


def header_of(matrix: sp.csr_matrix, key: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"format": FORMAT, "key": key, "shape": list(matrix.shape), "nnz": int(matrix.nnz),
            "crc32": _crc(matrix.indptr, matrix.indices, matrix.data), "params": params}


def save_cooccurrence(path_stem: str | os.PathLike, matrix: sp.csr_matrix, key: str, params: dict[str, Any]) -> None:
    """Write ``<stem>.npz`` and ``<stem>.json`` (the header) atomically."""
    stem = Path(path_stem)
    matrix = matrix.tocsr()
    with atomic_write(stem.with_name(stem.name + ".npz")) as f:
        sp.save_npz(f, matrix, compressed=False)
    with atomic_write(stem.with_name(stem.name + ".json"), "w", encoding="utf-8") as f:
        json.dump(header_of(matrix, key, params), f)


def load_cooccurrence(path_stem: str | os.PathLike, key: str | None = None, vocab_size: int | None = None
                      ) -> sp.csr_matrix:
    """Read and check an entry; :class:`DataError` (one line) names what does not match."""
    stem = Path(path_stem)
    npz, js = stem.with_name(stem.name + ".npz"), stem.with_name(stem.name + ".json")
    try:
        header = json.loads(js.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{js}: no such file (the header written beside {npz.name})") from None
    except (OSError, ValueError) as e:
        raise DataError(f"{js}: unreadable header ({type(e).__name__})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DataError(f"{js}: not a wordlab co-occurrence header (expected format {FORMAT!r})")
    if key is not None and header.get("key") != key:
        raise DataError(f"{js}: key {header.get('key')!r} is not the one asked for")
    shape = header.get("shape")
    if not (isinstance(shape, list) and len(shape) == 2 and all(isinstance(s, int) and s > 0 for s in shape)
            and shape[0] == shape[1]):
        raise DataError(f"{js}: shape must be [V, V] with V > 0, got {shape!r}")
    if vocab_size is not None and shape[0] != vocab_size:
        raise DataError(f"{js}: matrix is {shape[0]} x {shape[0]}, the vocabulary has {vocab_size} words")
    from ..schema import NPZ_ERRORS, load_npz

    if not npz.is_file():
        raise DataError(f"{npz}: no such file")
    try:  # members read with their sizes checked first (no allocation from a lying header), no pickle
        z = load_npz(npz, ("indices", "indptr", "data", "shape", "format"))
    except DataError:
        raise
    except NPZ_ERRORS + (zipfile.BadZipFile, zlib.error) as e:
        raise DataError(f"{npz}: not a readable scipy sparse .npz ({type(e).__name__}: {str(e)[:80]})") from None
    if len(z) != 5 or z["format"].ndim != 0 or z["format"].dtype.kind not in "SU" or str(z["format"].item()) \
            not in ("csr", "b'csr'"):
        raise DataError(f"{npz}: not a csr matrix saved by scipy.sparse.save_npz")
    indptr, indices, data = z["indptr"], z["indices"], z["data"]
    if (indptr.ndim, indices.ndim, data.ndim) != (1, 1, 1) or len(indptr) != shape[0] + 1 \
            or len(indices) != len(data) or indptr.dtype.kind != "i" or indices.dtype.kind != "i" \
            or data.dtype.kind != "f" or (len(indptr) and (indptr[0] != 0 or indptr[-1] != len(data)
                                                           or np.any(np.diff(indptr) < 0))):
        raise DataError(f"{npz}: inconsistent csr arrays (indptr / indices / data)")
    m = sp.csr_matrix((data, indices, indptr), shape=tuple(shape))
    if list(m.shape) != shape or m.nnz != header.get("nnz"):
        raise DataError(f"{npz}: shape {m.shape} / {m.nnz} non-zeros do not match the header "
                        f"({tuple(shape)} / {header.get('nnz')})")
    if _crc(m.indptr, m.indices, m.data) != header.get("crc32"):
        raise DataError(f"{npz}: checksum does not match the header (file changed or truncated)")
    if m.nnz and (int(m.indices.min()) < 0 or int(m.indices.max()) >= shape[1]):
        raise DataError(f"{npz}: column indices outside 0..{shape[1] - 1}")
    if m.nnz and not (np.all(np.isfinite(m.data)) and float(m.data.min()) > 0):
        raise DataError(f"{npz}: co-occurrence counts must be finite and positive")
    return sp.csr_matrix(m)


def cached_cooccurrence(corpus: Corpus | None, vocab: Vocabulary, ids: np.ndarray, *, window: int,
                        weighting: str = "harmonic", dynamic_window: bool = False, subsample: float = 0.0,
                        seed: int = 0, cache_dir: str | os.PathLike | bool | None = None,
                        progress: bool | None = None) -> tuple[sp.csr_matrix, dict[str, Any]]:
    """The co-occurrence matrix of ``ids`` (from the cache when a checked entry exists); also ``{"cached", "key"}``.

    Without a ``corpus`` (ids given directly) nothing is cached: the key needs the corpus content.
    """
    params = {"window": int(window), "weighting": weighting, "dynamic_window": bool(dynamic_window),
              "subsample": float(subsample), "seed": int(seed) if subsample else 0, "tokens": int(len(ids))}
    directory = _resolve(cache_dir) if corpus is not None else None
    key = cache_key(corpus, vocab, params) if directory is not None else None
    if directory is not None:
        stem = directory / f"{key}.cooc"
        if stem.with_name(stem.name + ".npz").exists():
            try:
                m = load_cooccurrence(stem, key, len(vocab))
                log.info("loaded cached co-occurrences %s (%d non-zeros)", stem, m.nnz)
                return m, {"cached": True, "key": key}
            except DataError as e:
                log.warning("ignoring the co-occurrence cache entry: %s", e)
    m = cooccurrence_merged(ids, len(vocab), window, weighting=weighting, dynamic_window=dynamic_window,
                     subsample=subsample or None, counts=vocab.counts if len(vocab.counts) else None,
                     total_words=vocab.total_words or None, seed=seed, progress=progress)
    if directory is not None:
        try:
            save_cooccurrence(directory / f"{key}.cooc", m, key, params)
        except OSError as e:
            log.warning("could not write the co-occurrence cache in %s: %s", directory, e)
    return m, {"cached": False, "key": key}
