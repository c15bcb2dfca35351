"""Build a vocabulary and encode a corpus in one read, with the id array cached as ``.npy``.

The cache key is a hash of the corpus signature (absolute paths, sizes, mtimes,
tokenizer, ``eos``) and the vocabulary options, so editing a file or changing
``min_count`` makes a new entry; a second run with the same inputs skips tokenizing.
Cache files are written atomically. The directory is ``$WORDLAB_CACHE`` or
``~/.cache/wordlab``; pass ``cache_dir=False`` to disable.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from ..atomic import atomic_write
from ..errors import DataError
from ..progress import byte_bar
from .reader import Corpus
from .vocab import Vocabulary, cache_key, scan_and_encode

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$WORDLAB_CACHE`` or ``~/.cache/wordlab``."""
    return Path(os.environ.get("WORDLAB_CACHE") or Path.home() / ".cache" / "wordlab")


def _resolve(cache_dir: str | os.PathLike | bool | None) -> Path | None:
    if cache_dir is False:
        return None
    if cache_dir is None or cache_dir is True:
        return default_cache_dir()
    return Path(cache_dir)


def build_vocab_and_ids(
    corpus: Corpus,
    *,
    min_count: int = 1,
    max_size: int | None = None,
    specials: Sequence[str] = (),
    unknown: str = "auto",
    cache_dir: str | os.PathLike | bool | None = None,
    progress: bool | None = None,
) -> tuple[Vocabulary, np.ndarray]:
    """Vocabulary and ``np.int32`` id array of ``corpus``, from the cache when possible.

    See :func:`wordlab.text.vocab.scan_and_encode` for ``unknown``.
    """
    directory = _resolve(cache_dir)
    key = cache_key(corpus.signature(), extra={"min_count": min_count, "max_size": max_size,
                                               "specials": list(specials), "unknown": unknown})
    if directory is not None:
        vpath, ipath = directory / f"{key}.vocab.json", directory / f"{key}.ids.npy"
        if vpath.exists() and ipath.exists():
            try:
                vocab = Vocabulary.load(vpath)
                ids = np.load(ipath, allow_pickle=False)
                log.info("loaded cached ids %s (%d tokens)", ipath, len(ids))
                return vocab, ids
            except (DataError, ValueError, OSError) as e:  # corrupt cache: rebuild
                log.warning("ignoring unreadable cache %s: %s", ipath, e)
    with byte_bar(corpus.total_bytes, desc="reading corpus", enabled=progress) as bar:
        vocab, ids = scan_and_encode(corpus, min_count=min_count, max_size=max_size, specials=specials,
                                     unknown=unknown, on_bytes=bar.update)
    if directory is not None:
        try:
            with atomic_write(directory / f"{key}.ids.npy") as f:
                np.save(f, ids, allow_pickle=False)
            vocab.save(directory / f"{key}.vocab.json")
            with atomic_write(directory / f"{key}.json", "w", encoding="utf-8") as f:
                json.dump(corpus.signature(), f)
        except OSError as e:
            log.warning("could not write the id cache in %s: %s", directory, e)
    return vocab, ids


def encode_corpus(corpus: Corpus, vocab: Vocabulary, *, unknown: str = "auto",
                  cache_dir: str | os.PathLike | bool | None = None, progress: bool | None = None) -> np.ndarray:
    """Encode ``corpus`` with a given vocabulary (e.g. a validation file with the training vocabulary)."""
    directory = _resolve(cache_dir)
    key = cache_key(corpus.signature(), vocab, extra={"unknown": unknown})
    path = directory / f"{key}.enc.npy" if directory is not None else None
    if path is not None and path.exists():
        try:
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError) as e:
            log.warning("ignoring unreadable cache %s: %s", path, e)
    parts = []
    with byte_bar(corpus.total_bytes, desc="encoding", enabled=progress) as bar:
        for tokens in corpus.chunks(on_bytes=bar.update):
            parts.append(vocab.encode(tokens, unknown=unknown))
    ids = np.concatenate(parts) if parts else np.zeros(0, np.int32)
    if path is not None:
        try:
            with atomic_write(path) as f:
                np.save(f, ids, allow_pickle=False)
        except OSError as e:
            log.warning("could not write the id cache %s: %s", path, e)
    return ids
