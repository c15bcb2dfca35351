"""Word-vector files: word2vec text and binary (the C tool's and gensim's layout) and a native ``.npz``.

word2vec layout (Mikolov et al. 2013, ``word2vec.c``; gensim's ``save_word2vec_format``)::

    text:    "<count> <dim>\\n" then per word  "<word> <v1> <v2> ... <vdim>\\n"
    binary:  "<count> <dim>\\n" then per word  "<word> " + dim little-endian float32 (+ optional "\\n")

The C tool writes a ``\\n`` after every binary vector and a trailing space after every text value;
gensim writes neither. Both variants are read; the writers produce gensim's bytes exactly (text
values are ``str(np.float32(v))``, the shortest string that reads back to the same float32).

The native format is one ``.npz`` (``allow_pickle=False``) holding ``vectors`` (float32, (n, d)),
optional ``counts`` (int64, (n,)) and ``meta`` (the UTF-8 bytes of a JSON object with the keys).

Readers parse in bulk with numpy (one ``np.fromstring`` per text row, one ``memcpy`` per binary
record) and raise :class:`~wordlab.errors.DataError` naming the file, the line or record and what
is wrong: bad header, short or long rows, non-numeric values, truncated files, duplicate words.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import mmap
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Callable

import numpy as np

from wordlab.atomic import atomic_write
from wordlab.errors import DataError
from wordlab.progress import progress_bar

PathLike = str | os.PathLike
NPZ_FORMAT = "wordlab.vectors"
NPZ_VERSION = 1
_COMPRESSED = {".gz": gzip, ".bz2": bz2, ".xz": lzma}
_FORMATS = {"bin": "binary", "binary": "binary", "word2vec-binary": "binary",
            "txt": "text", "text": "text", "vec": "text", "word2vec": "text", "word2vec-text": "text",
            "npz": "npz", "native": "npz"}
_MAX_WORD_BYTES = 100_000
_CONTROL = bytes(range(32)) + b"\x7f"  # never part of a word; in a "word" they mean misaligned records  # a longer "word" in a binary file means a wrong header or a damaged file


def format_from_path(path: PathLike, format: str | None = None) -> str:
    """``"binary"``, ``"text"`` or ``"npz"`` from an explicit ``format`` or the file suffix.

    Suffixes: ``.bin`` binary, ``.txt``/``.vec``/``.w2v`` text, ``.npz`` native (a trailing
    ``.gz``/``.bz2``/``.xz`` is looked through). Returns ``""`` when the suffix says nothing.
    """
    if format:
        try:
            return _FORMATS[format.lower()]
        except KeyError:
            raise DataError(f"unknown vector format {format!r}; use one of: bin, text, npz") from None
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    return {".bin": "binary", ".txt": "text", ".vec": "text", ".w2v": "text", ".npz": "npz"}.get(last, "")


def sniff_format(path: PathLike) -> str:
    """Guess the format of an existing file from its first bytes (zip magic, header, binary bytes)."""
    with _open_read(path) as f:
        head = f.read(65536)
    if head[:4] == b"PK\x03\x04":
        return "npz"
    nl = head.find(b"\n")
    body = head[nl + 1:] if nl >= 0 else b""
    try:
        body.decode("utf-8")
        text = True
    except UnicodeDecodeError as e:  # a cut multi-byte character at the end of the block is fine
        text = e.start >= len(body) - 3 and e.reason == "unexpected end of data"
    if text and any(b < 9 or 13 < b < 32 for b in body[:4096]):
        text = False
    return "text" if text else "binary"


def _open_read(path: PathLike) -> BinaryIO:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a word-vector file")
    module = _COMPRESSED.get(path.suffix.lower())
    return module.open(path, "rb") if module else open(path, "rb")  # type: ignore[return-value]


def _read_all(path: PathLike) -> bytes:
    with _open_read(path) as f:
        try:
            return f.read()
        except (EOFError, OSError, lzma.LZMAError) as e:
            raise DataError(f"{path}: cannot decompress ({e}); the file is damaged or truncated") from None


def _parse_header(path: PathLike, data: bytes | mmap.mmap) -> tuple[int, int, int]:
    """(count, dim, offset of the first record) from the ``"<count> <dim>\\n"`` first line."""
    nl = data.find(b"\n")
    if nl < 0:
        raise DataError(f"{path}: line 1: no header line '<count> <dim>' (file is empty or not word2vec format)")
    parts = data[:nl].split()
    try:
        count, dim = (int(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        count = dim = None
    if count is None or dim is None or count < 0 or dim <= 0:
        shown = data[:min(nl, 60)].decode("utf-8", "replace")
        raise DataError(f"{path}: line 1: header {shown!r} is not '<count> <dim>' with two positive integers "
                        "(is this a word2vec file? for a file without header use no_header=True)")
    return count, dim, nl + 1


def _decode_words(path: PathLike, raw: list[bytes], unicode_errors: str, where: Callable[[int], str]) -> list[str]:
    """Decode all words at once; on failure name the record/line of the bad word."""
    if not raw:
        return []
    try:
        return b"\n".join(raw).decode("utf-8", errors=unicode_errors).split("\n")
    except UnicodeDecodeError as e:
        pos, i = 0, 0
        for i, w in enumerate(raw):
            pos += len(w) + 1
            if pos > e.start:
                break
        raise DataError(f"{path}: {where(i)}: word {raw[i][:40]!r} is not valid UTF-8 "
                        "(pass unicode_errors='replace' or 'ignore' to load it anyway)") from None


def _check_unique(path: PathLike, words: list[str], where: Callable[[int], str]) -> None:
    if len(set(words)) == len(words):
        return
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        if w in seen:
            raise DataError(f"{path}: {where(i)}: duplicate word {w!r} (first at {where(seen[w])}); "
                            "each word must appear once")
        seen[w] = i


def read_word2vec(path: PathLike, binary: bool = False, limit: int | None = None, unicode_errors: str = "strict",
                  no_header: bool = False, progress: bool | None = None) -> tuple[list[str], np.ndarray]:
    """Read a word2vec text or binary file → ``(words, vectors float32 (n, d))``.

    ``limit`` reads only the first ``limit`` vectors; ``unicode_errors`` is passed to ``bytes.decode``
    (the C tool may cut a multi-byte character at its word-length limit); ``no_header`` reads a
    text file without the ``"<count> <dim>"`` line (GloVe layout).
    """
    if binary and no_header:
        raise DataError(f"{path}: no_header works only for text files (binary records need the dimension)")
    if binary and Path(path).suffix.lower() not in _COMPRESSED and Path(path).is_file() \
            and Path(path).stat().st_size > 0:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if hasattr(mmap, "MADV_SEQUENTIAL"):
                data.madvise(mmap.MADV_SEQUENTIAL)  # read ahead: records are parsed front to back
            return _read_binary(path, data, limit, unicode_errors, progress)  # no copy of the whole file
    data = _read_all(path)
    if binary:
        return _read_binary(path, data, limit, unicode_errors, progress)
    return _read_text(path, data, limit, unicode_errors, no_header, progress)


def _read_binary(path: PathLike, data: bytes | mmap.mmap, limit: int | None, unicode_errors: str,
                 progress: bool | None) -> tuple[list[str], np.ndarray]:
    count, dim, pos = _parse_header(path, data)
    n = count if limit is None else min(count, max(0, int(limit)))
    rb = 4 * dim
    vectors = np.empty((n, dim), dtype=np.float32)  # (n, d)
    out = memoryview(vectors.reshape(-1).view(np.uint8))  # flat bytes of the (n, d) result
    find, size = data.find, len(data)
    raw: list[bytes] = []
    append = raw.append
    step = 8192
    with memoryview(data) as mv, progress_bar(n, desc=f"loading {Path(path).name}", unit="vec",
                                              enabled=progress) as bar:
        for start in range(0, n, step):
            for i in range(start, min(n, start + step)):
                while pos < size and data[pos] == 10:  # the C tool's "\n" after each vector
                    pos += 1
                sp = find(b" ", pos, pos + _MAX_WORD_BYTES)
                if sp < 0:
                    what = ("file ends" if pos >= size else "no space after a word within 100 kB")
                    raise DataError(f"{path}: record {i + 1} (byte offset {pos}): {what}; header says {count} "
                                    f"vectors of {dim} floats: the file is truncated or the header is wrong")
                end = sp + 1 + rb
                if end > size:
                    raise DataError(f"{path}: record {i + 1} (byte offset {pos}): truncated: vector needs {rb} "
                                    f"bytes, only {size - sp - 1} left (header says {count} vectors of {dim} floats)")
                append(data[pos:sp])
                out[i * rb:(i + 1) * rb] = mv[sp + 1:end]
                pos = end
            bar.update(min(n, start + step) - start)
    where = _record_label()
    joined = b"\n".join(raw)
    if raw and (len(joined.translate(None, _CONTROL)) != len(joined) - len(raw) + 1 or not all(raw)):
        i = next(i for i, w in enumerate(raw) if not w or len(w.translate(None, _CONTROL)) != len(w))
        raise DataError(f"{path}: record {i + 1}: word {raw[i][:40]!r} is empty or holds control bytes; "
                        f"the header's dimension ({dim}) does not match the vectors, or the file is damaged")
    words = _decode_words(path, raw, unicode_errors, where)
    if limit is None:
        rest = data[pos:].strip(b"\n")
        if rest:
            raise DataError(f"{path}: byte offset {pos}: {len(rest)} bytes after the {count} vectors the header "
                            f"announces; the header count or dimension ({dim}) is wrong")
    _check_unique(path, words, where)
    return words, vectors


def _read_text(path: PathLike, data: bytes, limit: int | None, unicode_errors: str, no_header: bool,
               progress: bool | None) -> tuple[list[str], np.ndarray]:
    if no_header:
        body, first_line = data, 1
        lines = body.split(b"\n")
        while lines and not lines[-1].strip():
            lines.pop()
        count = len(lines)
        first = lines[0].rstrip().split(b" ") if lines else []
        dim = len(first) - 1
        if count == 0 or dim <= 0:
            raise DataError(f"{path}: line 1: no '<word> <v1> ... <vd>' row found")
    else:
        count, dim, offset = _parse_header(path, data)
        first_line = 2
        lines = data[offset:].split(b"\n")
    n = count if limit is None else min(count, max(0, int(limit)))
    vectors = np.empty((n, dim), dtype=np.float32)  # (n, d)
    raw: list[bytes] = []
    fromstring = np.fromstring
    step = 8192
    with warnings.catch_warnings(), progress_bar(n, desc=f"loading {Path(path).name}", unit="vec",
                                                  enabled=progress) as bar:
        warnings.simplefilter("error", DeprecationWarning)  # numpy < 2.3 warns on unparsable text
        for start in range(0, n, step):
            for i in range(start, min(n, start + step)):
                if i >= len(lines) or (i == len(lines) - 1 and not lines[i]):
                    raise DataError(f"{path}: line {i + first_line}: file ends after {i} vectors but the header "
                                    f"says {count}; the file is truncated or the header count is wrong")
                line = lines[i]
                sp = line.find(b" ")
                try:
                    row = fromstring(line[sp + 1:], dtype=np.float32, sep=" ") if sp > 0 else None
                except (ValueError, DeprecationWarning):
                    row = None
                if row is None or row.shape[0] != dim:
                    raise DataError(f"{path}: line {i + first_line}: {_row_problem(line, dim)}")
                vectors[i] = row
                raw.append(line[:sp])
            bar.update(min(n, start + step) - start)
    if limit is None:
        extra = [j for j in range(n, len(lines)) if lines[j].strip()]
        if extra:
            raise DataError(f"{path}: line {extra[0] + first_line}: more rows than the {count} the header "
                            "announces; fix the header count")
    where = _line_label(first_line)
    words = _decode_words(path, raw, unicode_errors, where)
    _check_unique(path, words, where)
    return words, vectors


def _record_label() -> Callable[[int], str]:
    return lambda i: f"record {i + 1}"


def _line_label(first_line: int) -> Callable[[int], str]:
    return lambda i: f"line {i + first_line}"


def _row_problem(line: bytes, dim: int) -> str:
    """Say what is wrong with one text row (slow path, only on error)."""
    parts = line.rstrip(b"\r").strip().split()
    if not parts:
        return f"empty line where a '<word> <{dim} numbers>' row was expected"
    if line.find(b" ") <= 0:
        return f"row {line[:40]!r} has no word followed by a space"
    for tok in parts[1:]:
        try:
            float(tok)
        except ValueError:
            return f"word {parts[0][:40].decode('utf-8', 'replace')!r}: value {tok[:20].decode('utf-8', 'replace')!r} " \
                   "is not a number"
    return (f"word {parts[0][:40].decode('utf-8', 'replace')!r} has {len(parts) - 1} values, the header says {dim} "
            "(short row or dimension mismatch)")


def _open_write(path: PathLike):
    """Atomic binary writer, compressing by suffix (.gz/.bz2/.xz)."""
    return atomic_write(path, "wb")


def _compressor(path: PathLike, raw: BinaryIO) -> BinaryIO:
    module = _COMPRESSED.get(Path(path).suffix.lower())
    if module is gzip:
        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)  # type: ignore[return-value]
    if module is not None:
        return module.open(raw, "wb")  # type: ignore[return-value]
    return raw


def write_word2vec(path: PathLike, words: list[str], vectors: np.ndarray, binary: bool = False,
                   progress: bool | None = None) -> None:
    """Write ``words``/``vectors`` in word2vec text or binary layout, byte-identical to gensim's output."""
    vectors = np.asarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    for i, w in enumerate(words):
        if not w or " " in w or "\n" in w:
            raise DataError(f"{path}: cannot write word {i} ({w!r}): word2vec words may not be empty or contain "
                            "spaces or newlines")
    step = 4096
    with _open_write(path) as raw, progress_bar(n, desc=f"writing {Path(path).name}", unit="vec",
                                                enabled=progress) as bar:
        f = _compressor(path, raw)
        f.write(f"{n} {dim}\n".encode("utf-8"))
        for start in range(0, n, step):
            stop = min(n, start + step)
            if binary:
                chunk = b"".join(f"{words[i]} ".encode("utf-8") + vectors[i].tobytes() for i in range(start, stop))
            else:
                chunk = "".join(f"{words[i]} {' '.join(map(str, vectors[i]))}\n"
                                for i in range(start, stop)).encode("utf-8")
            f.write(chunk)
            bar.update(stop - start)
        if f is not raw:
            f.close()


def write_npz(path: PathLike, words: list[str], vectors: np.ndarray, counts: np.ndarray | None = None,
              extra: dict[str, Any] | None = None) -> None:
    """Native format: ``vectors``, optional ``counts`` and JSON ``meta`` (keys, extra) in one ``.npz``."""
    meta = {"format": NPZ_FORMAT, "version": NPZ_VERSION, "keys": list(words), "extra": extra or {}}
    arrays: dict[str, np.ndarray] = {
        "vectors": np.asarray(vectors, dtype=np.float32),
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
    }
    if counts is not None:
        arrays["counts"] = np.asarray(counts, dtype=np.int64)
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


def read_npz(path: PathLike) -> tuple[list[str], np.ndarray, np.ndarray | None, dict[str, Any]]:
    """Read :func:`write_npz` output → ``(words, vectors, counts or None, extra)``."""
    if not Path(path).exists():
        raise DataError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "vectors" not in z.files or "meta" not in z.files:
                raise DataError(f"{path}: not a wordlab vectors .npz (members {sorted(z.files)}; "
                                "expected 'vectors' and 'meta')")
            vectors = np.ascontiguousarray(z["vectors"], dtype=np.float32)
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            counts = z["counts"] if "counts" in z.files else None
    except DataError:
        raise
    except (OSError, ValueError, EOFError, KeyError, UnicodeDecodeError, io.UnsupportedOperation,
            zipfile.BadZipFile) as e:
        raise DataError(f"{path}: cannot read as .npz ({type(e).__name__}: {e}); the file is damaged, "
                        "truncated or not a wordlab vectors file") from None
    if not isinstance(meta, dict) or meta.get("format") != NPZ_FORMAT or not isinstance(meta.get("keys"), list):
        raise DataError(f"{path}: .npz metadata is not wordlab vectors (format {meta.get('format')!r})")
    if meta.get("version", 0) > NPZ_VERSION:
        raise DataError(f"{path}: vectors file version {meta['version']} is newer than this wordlab reads "
                        f"({NPZ_VERSION}); upgrade wordlab")
    words = meta["keys"]
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise DataError(f"{path}: {len(words)} keys but vectors of shape {vectors.shape}; the file is damaged")
    if counts is not None and counts.shape != (len(words),):
        raise DataError(f"{path}: counts of shape {counts.shape} do not match {len(words)} keys")
    _check_unique(path, words, lambda i: f"key {i + 1}")
    return words, vectors, counts, meta.get("extra") or {}
