"""Atomic file writes: every artifact wordlab writes goes through :func:`atomic_write`.

The content is written to a temporary file in the destination's directory, flushed and
``fsync``-ed, then moved over the destination with :func:`os.replace` (atomic on POSIX
and Windows). An interrupted run therefore leaves either the old file or the new one,
never a half-written one, and the temporary file is removed on any exception.

What the destination may be:

- a regular file (or a new name): temp file + rename, as above;
- a symbolic link: the link is followed and its *target* is replaced; the link stays a link;
- a character device or FIFO (``/dev/stdout``, ``/dev/null``, a named pipe): written as a stream,
  never replaced by a regular file;
- ``-``: standard output (see :data:`STDOUT`).

Before a long job starts, :func:`check_output` refuses an output that would destroy an input or that
cannot be written, so a run is never lost at its last step. Temporary files left behind by a killed
writer (``.NAME.PID.*.tmp`` whose process is gone) are removed the next time that name is written.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterable, Iterator

from .errors import ConfigError

_UMASK = os.umask(0)  # read once, at import (os.umask can only be read by setting it)
os.umask(_UMASK)

STDOUT = "-"
"""The output name meaning standard output."""


def is_stream(path: str | os.PathLike) -> bool:
    """True for ``-`` and for an existing character device or FIFO (written as a stream, not replaced)."""
    if str(path) == STDOUT:
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def resolve_output(path: str | os.PathLike) -> Path:
    """The file a write to ``path`` really replaces: a symbolic link's target (followed to the end)."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on clean exit rename it to ``path``.

    Streams (``-``, devices, FIFOs) are written directly; a symbolic link's target is replaced.

    >>> with atomic_write("vectors.txt", "w", encoding="utf-8") as f:  # doctest: +SKIP
    ...     f.write("...")
    """
    if "w" not in mode:
        raise ValueError(f"atomic_write needs a write mode, got {mode!r}")
    if is_stream(path):
        with _open_stream(path, mode, encoding) as f:
            yield f
        return
    path = resolve_output(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(directory, path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
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


@contextlib.contextmanager
def _open_stream(path: str | os.PathLike, mode: str, encoding: str | None) -> Iterator[IO]:
    """Standard output or a device / FIFO, opened for writing without replacing it."""
    if str(path) != STDOUT:
        with open(path, mode, encoding=encoding) as f:
            yield f
        return
    raw = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
    if "b" in mode:
        if raw is None:
            raise ConfigError("-o -: standard output takes no binary data here; name a file")
        yield raw
        raw.flush()
        return
    if raw is None:  # e.g. a test's StringIO: write text as it is
        yield sys.stdout
        sys.stdout.flush()
        return
    sys.stdout.flush()
    f = io.TextIOWrapper(raw, encoding=encoding or "utf-8", write_through=True)
    try:
        yield f
        f.flush()
    finally:
        f.detach()  # leave sys.stdout's buffer open


def _remove_stale_temps(directory: Path, name: str) -> None:
    """Delete ``.NAME.PID.*.tmp`` files in ``directory`` whose writing process no longer exists."""
    prefix = f".{name}."
    try:
        entries = [e for e in os.scandir(directory) if e.name.startswith(prefix) and e.name.endswith(".tmp")]
    except OSError:
        return
    for e in entries:
        pid = e.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(e.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _target_mode(path: Path) -> int:
    """The existing file's permissions, else ``0o666`` less the process umask (what ``open()`` gives)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_UMASK


def check_output(path: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (), *,
                 binary: bool = False, what: str = "output") -> None:
    """Refuse, before any work, an output that cannot be written or that would overwrite an input.

    Checks: ``-`` only for text outputs; not a directory; not the same file as any of ``inputs``
    (links followed); its directory exists or can be made, is a directory, and is writable.
    Raises :class:`~wordlab.errors.ConfigError` with one line naming the path.
    """
    if str(path) == STDOUT:
        if binary:
            raise ConfigError(f"{what} '-': this output is binary; name a file instead of standard output")
        return
    if is_stream(path):
        return
    p = resolve_output(path)
    if p.is_dir():
        raise ConfigError(f"{what} {path}: is a directory; name a file")
    for src in inputs:
        if str(src) == STDOUT:
            continue
        with contextlib.suppress(OSError):
            if Path(src).exists() and p.exists() and os.path.samefile(src, p):
                raise ConfigError(f"{what} {path}: is the input {src}; writing it would destroy the input")
    parent = p.parent if str(p.parent) else Path(".")
    existing = parent
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{what} {path}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {path}: directory {existing} is not writable")
    if p.exists() and not os.access(p, os.W_OK) and not os.access(parent, os.W_OK):
        raise ConfigError(f"{what} {path}: file is not writable")


def check_output_dir(path: str | os.PathLike, what: str = "--out") -> Path:
    """Make (or accept) the output folder ``path``; one-line :class:`ConfigError` when it cannot be one.

    Refuses ``-`` (a folder cannot be standard output), an existing file, a non-folder on the way
    and an unwritable folder, before any work starts.
    """
    if str(path) == STDOUT:
        raise ConfigError(f"{what} '-': this output is a folder of files; name a folder instead of standard output")
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{what} {path}: is a file, not a folder; name a folder (it is made when missing)")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{what} {path}: cannot make this folder ({e.strerror or e})") from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {path}: folder is not writable")
    return p


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, "wb") as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(text)
