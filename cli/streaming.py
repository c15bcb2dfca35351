"""Reading stdin as it arrives: lines in batches of whatever is already there, never waiting for more.

``wordlab translate`` answers each line typed (or piped slowly) at once, and still decodes a large
piped file in full batches: :func:`line_batches` blocks only until one line is available, then
takes every further line that can be read without blocking (up to ``max_batch``).
"""

from __future__ import annotations

import io
import os
import select
from typing import IO, Iterator

from wordlab.errors import DataError


def _decode(raw: bytes, lineno: int, name: str) -> str:
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as e:
        raise DataError(f"{name}:{lineno}: not UTF-8 (byte {raw[e.start]:#04x} at column {e.start + 1})") from None


def _readable_now(fd: int) -> bool:
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):  # not selectable: do not wait for more
        return False


def line_batches(stream: IO, max_batch: int = 256, name: str = "<stdin>") -> Iterator[list[str]]:
    """Lines of ``stream`` (without their line break), in batches of those already available.

    Blocks only for the first line of each batch. A stream without a file descriptor (e.g.
    ``io.StringIO``) is read ``max_batch`` lines at a time. Non-UTF-8 input raises
    :class:`~wordlab.errors.DataError` naming the line.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        fd = None
    if fd is None:
        batch: list[str] = []
        for line in stream:
            batch.append(line.rstrip("\r\n"))
            if len(batch) == max_batch:
                yield batch
                batch = []
        if batch:
            yield batch
        return
    pending: list[bytes] = []
    partial, eof, lineno = b"", False, 0

    def read() -> None:
        nonlocal partial, eof
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            eof = True
            if partial:
                pending.append(partial)
                partial = b""
            return
        *lines, partial = (partial + chunk).split(b"\n")
        pending.extend(lines)

    while True:
        while not pending and not eof:
            read()                                   # wait for one line
        while not eof and len(pending) < max_batch and _readable_now(fd):
            read()                                   # take what has arrived, without waiting
        if not pending:
            return
        batch_raw, pending = pending[:max_batch], pending[max_batch:]
        out = []
        for raw in batch_raw:
            lineno += 1
            out.append(_decode(raw, lineno, name))
        yield out
