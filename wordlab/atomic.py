"""Atomic file writes: every artifact wordlab writes goes through :func:`atomic_write`.

The content is written to a temporary file in the destination's directory, flushed and
``fsync``-ed, then moved over the destination with :func:`os.replace` (atomic on POSIX
and Windows). An interrupted run therefore leaves either the old file or the new one,
never a half-written one, and the temporary file is removed on any exception.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

_UMASK = os.umask(0)  # read once, at import (os.umask can only be read by setting it)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on clean exit rename it to ``path``.

    >>> with atomic_write("vectors.txt", "w", encoding="utf-8") as f:  # doctest: +SKIP
    ...     f.write("...")
    """
    if "w" not in mode:
        raise ValueError(f"atomic_write needs a write mode, got {mode!r}")
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            if hasattr(os, "fchmod"):  # POSIX: mkstemp makes 0600; give the mode open() would
                os.fchmod(f.fileno(), _target_mode(path))
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _target_mode(path: Path) -> int:
    """The existing file's permissions, else ``0o666`` less the process umask (what ``open()`` gives)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_UMASK


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, "wb") as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(text)
