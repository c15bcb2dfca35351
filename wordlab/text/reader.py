"""Streaming corpus reader: plain, gzip, bz2 and xz files and directories of them.

Files are read in binary blocks (4 MiB by default) and each block is cut at its last
ASCII whitespace byte (its last newline in line mode). In UTF-8 an ASCII byte never
occurs inside a multi-byte character, so a cut there neither splits a token nor a
character, and a 100 MB one-line file (text8) streams with memory bounded by the block
size. Decoding errors are reported with the exact byte offset of the bad byte.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import lzma
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Sequence

from ..errors import DataError
from .tokenize import EOS, get_tokenizer

log = logging.getLogger(__name__)

BLOCK_SIZE = 4 << 20
COMPILED_MIN_BYTES = 16 << 20  # corpora this large (text bytes, estimated) use the compiled splitter
_WHITESPACE = b" \t\n\r\f\v"
_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_TEXT_SUFFIXES = {".txt", ".tokens", ".text", ".tsv", ".csv", ".raw", ".cor", ""}

PathLike = str | os.PathLike


def expand_paths(paths: PathLike | Sequence[PathLike]) -> list[Path]:
    """Files named by ``paths``; a directory stands for the text files under it (sorted).

    Raises :class:`DataError` for a missing path or a directory without text files.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and not f.name.startswith(".") and _is_text_name(f)
            )
            if not found:
                raise DataError(f"{p}: directory holds no text files (.txt, .tokens, .gz, .bz2, .xz, ...)")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        elif p.exists():
            raise DataError(f"{p}: not a regular file")
        else:
            raise DataError(f"{p}: no such file or directory")
    if not files:
        raise DataError("no corpus files given")
    return files


def _is_text_name(f: Path) -> bool:
    suffixes = [s.lower() for s in f.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else "") in _TEXT_SUFFIXES


def open_binary(path: PathLike) -> BinaryIO:
    """Open ``path`` for binary reading, decompressing .gz/.bz2/.xz by suffix."""
    opener = _COMPRESSED.get(Path(path).suffix.lower(), open)
    return opener(path, "rb")  # type: ignore[return-value]


def file_size(path: PathLike) -> int:
    """On-disk size in bytes (compressed size for compressed files)."""
    return Path(path).stat().st_size


def iter_raw_blocks(
    path: PathLike,
    *,
    lines: bool = False,
    block_size: int = BLOCK_SIZE,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, block)``: undecoded blocks of ``path`` that end on ASCII white space (a newline if ``lines``).

    ``offset`` is the (decompressed) byte offset of the block in the file. ``on_bytes(n)`` is
    called with the number of on-disk bytes consumed, for progress bars. Raises
    :class:`DataError` for unreadable, empty, binary or truncated files.
    """
    path = Path(path)
    seps = b"\n" if lines else _WHITESPACE
    offset = 0  # offset (in decompressed bytes) of the first byte of ``pending``
    pending = b""
    raw_pos = 0
    seen_any = False
    try:
        f = open_binary(path)
    except OSError as e:
        raise DataError(f"{path}: cannot open: {e.strerror or e}") from None
    with f:
        raw = getattr(f, "fileobj", None) or getattr(f, "_fp", None)
        while True:
            try:
                data = f.read(block_size)
            except (EOFError, zlib.error, OSError, lzma.LZMAError) as e:
                raise DataError(f"{path}: compressed stream is corrupt or ends early (truncated file?): {e}") from None
            if on_bytes is not None:
                pos = _raw_tell(raw, f)
                if pos is not None:
                    on_bytes(pos - raw_pos)
                    raw_pos = pos
            if not data:
                break
            if not seen_any:
                seen_any = True
                if b"\x00" in data[:8192]:
                    raise DataError(f"{path}: looks like a binary file (NUL bytes in the first 8 KiB), not text")
                if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark is not part of the first token
                    data, offset = data[3:], 3
            buf = pending + data
            cut = _last_sep(buf, seps)
            if cut < 0:  # no separator yet: a very long token/line, keep reading
                pending = buf
                continue
            chunk, pending = buf[: cut + 1], buf[cut + 1 :]
            yield offset, chunk
            offset += len(chunk)
    if not seen_any:
        raise DataError(f"{path}: file is empty")
    if pending:
        yield offset, pending


def iter_blocks(
    path: PathLike,
    *,
    lines: bool = False,
    encoding_errors: str = "strict",
    block_size: int = BLOCK_SIZE,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """Yield decoded text blocks of ``path`` that end on a whitespace boundary (a newline if ``lines``).

    ``on_bytes(n)`` is called with the number of on-disk bytes consumed, for progress bars.
    Raises :class:`DataError` for empty, binary, non-UTF-8 (with byte offset) or truncated files.
    """
    path = Path(path)
    for offset, chunk in iter_raw_blocks(path, lines=lines, block_size=block_size, on_bytes=on_bytes):
        yield _decode(chunk, path, offset, encoding_errors)


def _raw_tell(raw, f) -> int | None:
    try:
        return (raw.tell() if raw is not None else f.tell())
    except (OSError, ValueError, AttributeError):
        return None


def _last_sep(buf: bytes, seps: bytes) -> int:
    if len(seps) == 1:
        return buf.rfind(seps)
    return max(buf.rfind(bytes([s])) for s in seps)


def _decode(chunk: bytes, path: Path, offset: int, errors: str) -> str:
    try:
        return chunk.decode("utf-8", errors=errors)
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path}: invalid UTF-8 at byte offset {offset + e.start} (byte 0x{chunk[e.start]:02x}); "
            f"use --encoding-errors replace (or encoding_errors='replace') to go on"
        ) from None


@dataclass
class Corpus:
    """A re-iterable token stream over one or more files (like gensim's ``LineSentence``).

    Parameters
    ----------
    paths: files and/or directories (plain, .gz, .bz2, .xz).
    tokenizer: ``"whitespace"`` (default), ``"regex"``, ``"treebank"``, ``"toktok"`` or a callable ``str -> list[str]``.
    eos: sentence-per-line mode — append ``<eos>`` after every line, PTB style.
    encoding_errors: ``"strict"`` (fail with the byte offset), ``"replace"`` or ``"ignore"``.

    Iterating yields tokens; :meth:`chunks` yields lists of tokens (fast path);
    :meth:`sentences` yields lists of at most ``max_len`` tokens (lines in ``eos`` mode).
    """

    paths: PathLike | Sequence[PathLike]
    tokenizer: str | Callable[[str], list[str]] = "whitespace"
    eos: bool = False
    encoding_errors: str = "strict"
    block_size: int = BLOCK_SIZE
    files: list[Path] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.files = expand_paths(self.paths)
        self._tokenize = get_tokenizer(self.tokenizer)
        if self.encoding_errors not in ("strict", "replace", "ignore"):
            raise DataError(f"encoding_errors must be strict, replace or ignore, not {self.encoding_errors!r}")

    @property
    def name(self) -> str:
        """The corpus as given (its path, or the first paths), for messages."""
        given = [self.paths] if isinstance(self.paths, (str, os.PathLike)) else list(self.paths)
        text = ", ".join(str(p) for p in given[:2])
        return text + (f" and {len(given) - 2} more" if len(given) > 2 else "")

    @property
    def total_bytes(self) -> int:
        """Sum of on-disk file sizes (what the progress bar of :meth:`chunks` counts)."""
        return sum(file_size(f) for f in self.files)

    def signature(self) -> dict:
        """What identifies this token stream (files with size and mtime, tokenizer, eos) for caching."""
        tok = self.tokenizer if isinstance(self.tokenizer, str) else getattr(self.tokenizer, "__qualname__", "callable")
        return {
            "files": [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns] for f in self.files],
            "tokenizer": tok,
            "eos": self.eos,
            "encoding_errors": self.encoding_errors,
        }

    @property
    def compiled_split(self) -> bool:
        """Whether counting goes through :meth:`byte_blocks` and the compiled splitter.

        Only for the whitespace tokenizer without ``eos``, and only for corpora of about
        :data:`COMPILED_MIN_BYTES` of text or more: loading the compiled code costs ~0.5 s,
        which a smaller corpus does not win back (compressed files count three times their size).
        """
        if self.tokenizer != "whitespace" or self.eos:
            return False
        text_bytes = sum(file_size(f) * (3 if f.suffix.lower() in _COMPRESSED else 1) for f in self.files)
        return text_bytes >= COMPILED_MIN_BYTES

    def byte_blocks(self, path: PathLike, on_bytes: Callable[[int], None] | None = None) -> Iterator[bytes]:
        """Blocks of one file as valid UTF-8 bytes, for the compiled white-space splitter.

        A block that is not valid UTF-8 fails with the byte offset (``encoding_errors="strict"``)
        or is decoded as asked and re-encoded with its tokens joined by spaces.
        """
        path = Path(path)
        for offset, raw in iter_raw_blocks(path, block_size=self.block_size, on_bytes=on_bytes):
            if not raw.isascii():
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    raw = " ".join(_decode(raw, path, offset, self.encoding_errors).split()).encode("utf-8")
            yield raw

    def chunks(self, on_bytes: Callable[[int], None] | None = None) -> Iterator[list[str]]:
        """Yield the tokens block by block (each block a list of thousands of tokens)."""
        tok = self._tokenize
        for path in self.files:
            nonempty = False
            for text in iter_blocks(path, lines=self.eos, encoding_errors=self.encoding_errors,
                                    block_size=self.block_size, on_bytes=on_bytes):
                if self.eos:
                    if text.endswith("\n"):
                        text = text[:-1]
                    tokens: list[str] = []
                    for line in text.split("\n"):
                        tokens.extend(tok(line))
                        tokens.append(EOS)
                else:
                    tokens = tok(text)
                if tokens:
                    nonempty = True
                    yield tokens
            if not nonempty:
                raise DataError(f"{path}: holds no tokens (only whitespace)")

    def __iter__(self) -> Iterator[str]:
        for tokens in self.chunks():
            yield from tokens

    def sentences(self, max_len: int = 10000) -> Iterator[list[str]]:
        """Lists of tokens: one per line in ``eos`` mode (``<eos>`` included), else runs of ``max_len``."""
        if self.eos:
            sent: list[str] = []
            for tokens in self.chunks():
                for t in tokens:
                    sent.append(t)
                    if t == EOS:
                        yield sent
                        sent = []
            if sent:
                yield sent
            return
        rest: list[str] = []  # runs continue across blocks: only the last one is short
        for tokens in self.chunks():
            if rest:
                need = max_len - len(rest)
                rest.extend(tokens[:need])
                if len(rest) < max_len:
                    continue
                yield rest
                tokens, rest = tokens[need:], []
            full = len(tokens) - len(tokens) % max_len
            for i in range(0, full, max_len):
                yield tokens[i : i + max_len]
            rest = tokens[full:]
        if rest:
            yield rest


def read_corpus(
    paths: PathLike | Sequence[PathLike],
    tokenizer: str | Callable[[str], list[str]] = "whitespace",
    eos: bool = False,
    encoding_errors: str = "strict",
) -> Corpus:
    """Open a corpus for streaming; see :class:`Corpus`. Paths are checked now, contents when read."""
    return Corpus(paths, tokenizer=tokenizer, eos=eos, encoding_errors=encoding_errors)


def iter_lines(path: PathLike, encoding_errors: str = "strict") -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` (1-based, newline stripped) of one file, for line-oriented formats
    (analogy questions, word pairs, translation pairs).

    Raises :class:`DataError` as :func:`iter_raw_blocks` does; with ``encoding_errors="strict"`` a
    line that is not UTF-8 fails as ``path:LINE: not UTF-8 (byte 0x.. at column C)``.
    """
    path = Path(path)
    lineno = 0
    for _, raw in iter_raw_blocks(path, lines=True):
        try:
            text = raw.decode("utf-8", errors=encoding_errors)
        except UnicodeDecodeError as e:
            bad_line = lineno + raw.count(b"\n", 0, e.start) + 1
            column = e.start - raw.rfind(b"\n", 0, e.start)
            raise DataError(f"{path}:{bad_line}: not UTF-8 (byte 0x{raw[e.start]:02x} at column {column}); "
                            f"convert the file to UTF-8") from None
        if text.endswith("\n"):
            text = text[:-1]
        for line in text.split("\n"):
            lineno += 1
            yield lineno, line.rstrip("\r")
