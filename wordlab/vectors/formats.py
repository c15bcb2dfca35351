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
is wrong: bad header, short or long rows, non-numeric values, truncated files, duplicate words,
NaN or infinite values (``allow_nonfinite=True`` lets them through), a header announcing more
rows than the file can hold (refused before anything is allocated). A UTF-8 byte-order mark at
the start is skipped. A text file without the header line (GloVe's layout) is recognised from its
content (:func:`sniff_format` returns ``"glove"``).

Writers refuse words the readers (wordlab's or gensim's) could not give back: empty words, words
holding white space or control characters, words over 100 kB. Text and binary files get their
provenance (:mod:`wordlab.provenance`) in a ``<file>.provenance.json`` sidecar; ``.npz`` files in
their metadata.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import mmap
import os
import warnings
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Callable

import numpy as np

from wordlab.atomic import atomic_write, atomic_write_text
from wordlab.errors import DataError
from wordlab.progress import progress_bar

from .npz import NPZ_FORMAT, NPZ_META, NPZ_VERSION, read_npz, write_npz  # noqa: F401 (re-exported)
from .sniff import BOM as _BOM, sniff_bytes
from .words import CONTROL as _CONTROL, MAX_WORD_BYTES as _MAX_WORD_BYTES
from .words import check_finite, check_unique as _check_unique, check_writable_words, decode_words as _decode_words

PathLike = str | os.PathLike
_COMPRESSED = {".gz": gzip, ".bz2": bz2, ".xz": lzma}
_FORMATS = {"bin": "binary", "binary": "binary", "word2vec-binary": "binary",
            "txt": "text", "text": "text", "vec": "text", "word2vec": "text", "word2vec-text": "text",
            "npz": "npz", "native": "npz", "glove": "glove", "no-header": "glove", "noheader": "glove"}
_DECOMPRESS_ERRORS = (EOFError, OSError, lzma.LZMAError, zlib.error, ValueError)
_PRECHECK_BYTES = 1 << 24  # results larger than this are checked against the file size before allocating


def format_from_path(path: PathLike, format: str | None = None) -> str:
    """``"binary"``, ``"text"`` or ``"npz"`` from an explicit ``format`` or the file suffix.

    Suffixes: ``.bin`` binary, ``.txt``/``.vec``/``.w2v`` text, ``.npz`` native (a trailing
    ``.gz``/``.bz2``/``.xz`` is looked through). Returns ``""`` when the suffix says nothing.
    """
    if format:
        try:
            return _FORMATS[format.lower()]
        except KeyError:
            raise DataError(f"unknown vector format {format!r}; use one of: bin, text, glove, npz") from None
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    return {".bin": "binary", ".txt": "text", ".vec": "text", ".w2v": "text", ".npz": "npz"}.get(last, "")


def sniff_format(path: PathLike) -> str:
    """The format of an existing file from its first bytes: ``"npz"`` (zip magic), ``"text"`` (a
    ``<count> <dim>`` header then text rows), ``"glove"`` (text rows ``<word> <v1> ... <vd>`` without a
    header), ``"binary"`` (a header then binary records), or ``""`` (none of these)."""
    with _open_read(path) as f:
        try:
            head = f.read(65536)
        except _DECOMPRESS_ERRORS as e:
            raise DataError(f"{path}: cannot decompress ({e}); the file is damaged or truncated") from None
    return sniff_bytes(head)


_MAGIC = ((b"\x1f\x8b", gzip), (b"BZh", bz2), (b"\xfd7zXZ\x00", lzma))


def _compression(path: Path) -> Any:
    """The module that decompresses ``path`` (by suffix, else by magic number), or ``None``."""
    module = _COMPRESSED.get(path.suffix.lower())
    if module is not None or not path.is_file():
        return module
    with open(path, "rb") as f:
        head = f.read(6)
    return next((m for magic, m in _MAGIC if head.startswith(magic)), None)


def _open_read(path: PathLike) -> BinaryIO:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a word-vector file")
    module = _compression(path)
    return module.open(path, "rb") if module else open(path, "rb")  # type: ignore[return-value]


def _read_all(path: PathLike) -> bytes:
    with _open_read(path) as f:
        try:
            return f.read()
        except _DECOMPRESS_ERRORS as e:
            raise DataError(f"{path}: cannot decompress ({e}); the file is damaged or truncated") from None


def _parse_header(path: PathLike, data: bytes | mmap.mmap, min_record: Callable[[int], int] | None = None,
                  limit: int | None = None) -> tuple[int, int, int]:
    """(count, dim, offset of the first record) from the ``"<count> <dim>\\n"`` first line.

    ``min_record(dim)``: the fewest bytes one record can take; a header announcing more records
    (up to ``limit``) than the file's size can hold is refused before anything is allocated.
    """
    start = len(_BOM) if data[:3] == _BOM else 0
    nl = data.find(b"\n", start)
    if nl < 0:
        raise DataError(f"{path}: line 1: no header line '<count> <dim>' (file is empty or not word2vec format)")
    parts = data[start:nl].split()
    try:
        count, dim = (int(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        count = dim = None
    if count is None or dim is None or count < 0 or dim <= 0:
        shown = data[start:start + min(nl - start, 60)].decode("utf-8", "replace")
        raise DataError(f"{path}: line 1: header {shown!r} is not '<count> <dim>' with two positive integers "
                        "(is this a word2vec file? for a file without header use no_header=True)")
    if min_record is not None:
        n = count if limit is None else min(count, max(0, int(limit)))
        room = len(data) - nl - 1
        if n * dim * 4 > _PRECHECK_BYTES and n * min_record(dim) > room:  # small ones: the parser says more
            raise DataError(f"{path}: line 1: header announces {count} vectors of {dim} values, but the "
                            f"{room} bytes after it can hold at most {room // min_record(dim)}; the header is "
                            "wrong or the file is truncated")
    return count, dim, nl + 1


def read_word2vec(path: PathLike, binary: bool = False, limit: int | None = None, unicode_errors: str = "strict",
                  no_header: bool = False, progress: bool | None = None,
                  allow_nonfinite: bool = False) -> tuple[list[str], np.ndarray]:
    """Read a word2vec text or binary file → ``(words, vectors float32 (n, d))``.

    ``limit`` reads only the first ``limit`` vectors; ``unicode_errors`` is passed to ``bytes.decode``
    (the C tool may cut a multi-byte character at its word-length limit); ``no_header`` reads a
    text file without the ``"<count> <dim>"`` line (GloVe layout); ``allow_nonfinite`` accepts
    NaN and infinite values (refused by default, naming the first word that has one).
    """
    if unicode_errors not in ("strict", "replace", "ignore", "backslashreplace", "surrogateescape"):
        raise DataError(f"unicode_errors must be strict, replace or ignore, not {unicode_errors!r}")
    words, vectors = _read_word2vec(path, binary, limit, unicode_errors, no_header, progress)
    if not allow_nonfinite:
        check_finite(path, words, vectors, "record" if binary else "line", 1 if binary or no_header else 2)
    return words, vectors


def _read_word2vec(path: PathLike, binary: bool, limit: int | None, unicode_errors: str, no_header: bool,
                   progress: bool | None) -> tuple[list[str], np.ndarray]:
    if binary and no_header:
        raise DataError(f"{path}: no_header works only for text files (binary records need the dimension)")
    if binary and Path(path).is_file() and _compression(Path(path)) is None and Path(path).stat().st_size > 0:
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
    count, dim, pos = _parse_header(path, data, lambda d: 4 * d + 2, limit)  # a record: word, space, 4d bytes
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
        body, first_line = data[len(_BOM):] if data[:3] == _BOM else data, 1
        lines = body.split(b"\n")
        while lines and not lines[-1].strip():
            lines.pop()
        count = len(lines)
        first = lines[0].rstrip().split(b" ") if lines else []
        dim = len(first) - 1
        if count == 0 or dim <= 0:
            raise DataError(f"{path}: line 1: no '<word> <v1> ... <vd>' row found")
    else:
        count, dim, offset = _parse_header(path, data, lambda d: 2 * d + 1, limit)  # "w" + d × " v" + "\n"
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
                   progress: bool | None = None, provenance: dict | bool | None = None) -> None:
    """Write ``words``/``vectors`` in word2vec text or binary layout, byte-identical to gensim's output.

    ``provenance`` goes to a ``<file>.provenance.json`` sidecar (default: a fresh record; ``False``: none).
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise DataError(f"{path}: {len(words)} words but vectors of shape {vectors.shape}")
    n, dim = vectors.shape
    check_writable_words(path, words)
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
    write_sidecar(path, provenance)


def write_sidecar(path: PathLike, provenance: dict | bool | None = None) -> None:
    """Write ``provenance`` (default: :func:`wordlab.provenance.record`) beside ``path`` as JSON.

    Nothing is written for ``provenance=False`` or when ``path`` is not a regular file (a device,
    a FIFO, standard output).
    """
    if provenance is False or not Path(path).is_file():
        return
    from wordlab.provenance import record, sidecar_path

    rec = record() if provenance in (None, True) else provenance
    try:
        atomic_write_text(sidecar_path(path), json.dumps(rec, ensure_ascii=False, indent=1) + "\n")
    except OSError as e:  # the vectors are written; a missing sidecar is not worth failing the run
        import logging

        logging.getLogger(__name__).warning("could not write the provenance of %s: %s", path, e)


def read_vectors(path: PathLike, format: str | None = None, limit: int | None = None,
                 unicode_errors: str = "strict", progress: bool | None = None, allow_nonfinite: bool = False
                 ) -> tuple[list[str], np.ndarray, np.ndarray | None, dict[str, Any]]:
    """Any vector file → ``(words, vectors, counts or None, extra)``; the format from ``format`` or the content.

    A ``.txt``/``.vec`` suffix says "text"; whether it has a header line is read from the file.
    """
    fmt = format_from_path(path, format) if format else ""
    if not fmt:
        fmt = sniff_format(path) or format_from_path(path)
        if not fmt:
            raise DataError(f"{path}: not a word-vector file (neither word2vec text or binary, a GloVe-style "
                            "text file nor a wordlab .npz)")
    elif fmt == "text" and sniff_format(path) == "glove":
        fmt = "glove"
    if fmt == "npz":
        words, vectors, counts, extra = read_npz(path, allow_nonfinite=allow_nonfinite)
        if limit is not None:
            words, vectors = words[:limit], vectors[:limit]
            counts = counts[:limit] if counts is not None else None
        return words, vectors, counts, extra
    words, vectors = read_word2vec(path, binary=fmt == "binary", limit=limit, unicode_errors=unicode_errors,
                                   no_header=fmt == "glove", progress=progress, allow_nonfinite=allow_nonfinite)
    return words, vectors, None, {}
