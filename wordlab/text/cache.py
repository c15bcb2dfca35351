"""Build a vocabulary and encode a corpus in one read, with the id array cached as ``.npy``.

The cache key is a hash of the corpus's *content* (SHA-256 of every file, streamed and cached per
process by :func:`wordlab.provenance.file_sha256`), the tokenizer, ``eos`` and the vocabulary
options, so an edited or swapped file makes a new entry even with the same size and mtime. A
second run with the same inputs skips tokenizing.

The compiled trainers index their weight tables with these ids, so an entry is trusted only
after it is checked: its JSON record (format, key, length, vocabulary size, CRC-32 of the ids),
the ``.npy`` (int32, 1-D, the recorded length and checksum), the vocabulary's SHA-256 and every id
within the vocabulary.
Anything else (a truncated, edited or foreign file) is logged and rebuilt. Cache files are written
atomically. The directory is ``$WORDLAB_CACHE`` or ``~/.cache/wordlab``; ``cache_dir=False``
disables it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from ..atomic import atomic_write
from ..errors import DataError
from ..progress import byte_bar
from ..provenance import file_sha256, note_data
from ..schema import NPZ_ERRORS, load_npy
from .reader import Corpus
from .vocab import Vocabulary, cache_key, scan_and_encode

log = logging.getLogger(__name__)

CACHE_FORMAT = "wordlab.idcache/2"


def default_cache_dir() -> Path:
    """``$WORDLAB_CACHE`` or ``~/.cache/wordlab``."""
    return Path(os.environ.get("WORDLAB_CACHE") or Path.home() / ".cache" / "wordlab")


def _resolve(cache_dir: str | os.PathLike | bool | None) -> Path | None:
    if cache_dir is False:
        return None
    if cache_dir is None or cache_dir is True:
        return default_cache_dir()
    return Path(cache_dir)


def content_signature(corpus: Corpus) -> dict:
    """What identifies the token stream: each file's content hash and size, tokenizer, eos, decoding."""
    sig = corpus.signature()
    files = [[str(f.resolve()), f.stat().st_size, file_sha256(f)] for f in corpus.files]
    return {**{k: v for k, v in sig.items() if k != "files"}, "files": files}


def _checksum(ids: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(ids).view(np.uint8)) & 0xFFFFFFFF


class _Stale(Exception):
    """A cache entry that does not pass its checks (the message says which)."""


def _check_ids(ids: np.ndarray, record: dict, vocab_size: int, key: str, kind: str) -> np.ndarray:
    if not isinstance(record, dict) or record.get("format") != CACHE_FORMAT or record.get("key") != key \
            or record.get("kind") != kind:
        raise _Stale("record has another format or key")
    if not isinstance(ids, np.ndarray) or ids.dtype != np.int32 or ids.ndim != 1:
        raise _Stale(f"ids are {getattr(ids, 'dtype', type(ids).__name__)} of shape {getattr(ids, 'shape', '?')}, "
                     "not 1-D int32")
    if len(ids) != record.get("length"):
        raise _Stale(f"{len(ids)} ids, the record says {record.get('length')}")
    if record.get("vocab_size") != vocab_size:
        raise _Stale(f"vocabulary of {vocab_size} words, the record says {record.get('vocab_size')}")
    if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise _Stale(f"ids outside 0..{vocab_size - 1}")
    if _checksum(ids) != record.get("crc32"):
        raise _Stale("checksum of the ids does not match")
    return ids


def _read_record(path: Path) -> dict:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise _Stale(f"record unreadable ({type(e).__name__})") from None
    if not isinstance(record, dict):
        raise _Stale("record is not a JSON object")
    return record


def _load_ids(path: Path) -> np.ndarray:
    try:
        return load_npy(path)  # the header's shape is checked against the file size before reading
    except NPZ_ERRORS as e:
        raise _Stale(f"ids unreadable ({type(e).__name__})") from None


def _write_entry(directory: Path, key: str, kind: str, ids: np.ndarray, vocab: Vocabulary | None,
                 vocab_size: int, signature: dict) -> None:
    try:
        with atomic_write(directory / f"{key}.{kind}.npy") as f:
            np.save(f, ids, allow_pickle=False)
        record = {"format": CACHE_FORMAT, "key": key, "kind": kind, "length": int(len(ids)),
                  "vocab_size": int(vocab_size), "crc32": _checksum(ids), "corpus": signature}
        if vocab is not None:
            text = json.dumps(vocab.to_dict(), ensure_ascii=False).encode("utf-8")
            with atomic_write(directory / f"{key}.vocab.json") as f:
                f.write(text)
            record["vocab_sha256"] = hashlib.sha256(text).hexdigest()
        with atomic_write(directory / f"{key}.{kind}.json", "w", encoding="utf-8") as f:
            json.dump(record, f)
    except OSError as e:
        log.warning("could not write the id cache in %s: %s", directory, e)


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
    """Vocabulary and ``np.int32`` id array of ``corpus``, from the cache when a checked entry exists.

    See :func:`wordlab.text.vocab.scan_and_encode` for ``unknown``.
    """
    note_data(*corpus.files)
    directory = _resolve(cache_dir)
    signature = content_signature(corpus) if directory is not None else {}
    key = cache_key(signature, extra={"min_count": min_count, "max_size": max_size,
                                      "specials": list(specials), "unknown": unknown})
    if directory is not None:
        vpath, ipath, rpath = (directory / f"{key}.vocab.json", directory / f"{key}.ids.npy",
                               directory / f"{key}.ids.json")
        if ipath.exists():
            try:
                record = _read_record(rpath)
                try:
                    text = vpath.read_bytes()
                    if hashlib.sha256(text).hexdigest() != record.get("vocab_sha256"):
                        raise _Stale("the vocabulary's checksum does not match")
                    vocab = Vocabulary.from_dict(json.loads(text.decode("utf-8")), source=str(vpath))
                except (DataError, ValueError, TypeError, OSError) as e:
                    raise _Stale(f"vocabulary unreadable: {e}") from None
                ids = _check_ids(_load_ids(ipath), record, len(vocab), key, "ids")
                log.info("loaded cached ids %s (%d tokens)", ipath, len(ids))
                return vocab, ids
            except _Stale as e:
                log.warning("rebuilding the id cache %s: %s", ipath, e)
    with byte_bar(corpus.total_bytes, desc="reading corpus", enabled=progress) as bar:
        vocab, ids = scan_and_encode(corpus, min_count=min_count, max_size=max_size, specials=specials,
                                     unknown=unknown, on_bytes=bar.update)
    if directory is not None:
        _write_entry(directory, key, "ids", ids, vocab, len(vocab), signature)
    return vocab, ids


def encode_corpus(corpus: Corpus, vocab: Vocabulary, *, unknown: str = "auto",
                  cache_dir: str | os.PathLike | bool | None = None, progress: bool | None = None) -> np.ndarray:
    """Encode ``corpus`` with a given vocabulary (e.g. a validation file with the training vocabulary)."""
    note_data(*corpus.files)
    directory = _resolve(cache_dir)
    signature = content_signature(corpus) if directory is not None else {}
    key = cache_key(signature, vocab, extra={"unknown": unknown})
    if directory is not None and (directory / f"{key}.enc.npy").exists():
        try:
            ids = _check_ids(_load_ids(directory / f"{key}.enc.npy"), _read_record(directory / f"{key}.enc.json"),
                             len(vocab), key, "enc")
            return ids
        except _Stale as e:
            log.warning("rebuilding the id cache %s: %s", directory / f"{key}.enc.npy", e)
    parts = []
    with byte_bar(corpus.total_bytes, desc="encoding", enabled=progress) as bar:
        for tokens in corpus.chunks(on_bytes=bar.update):
            parts.append(vocab.encode(tokens, unknown=unknown))
    ids = np.concatenate(parts) if parts else np.zeros(0, np.int32)
    ids = np.ascontiguousarray(ids, dtype=np.int32)
    if directory is not None:
        _write_entry(directory, key, "enc", ids, None, len(vocab), signature)
    return ids
