"""Where an artifact came from: wordlab version, the command or call that made it, its config, its data.

Every file wordlab writes carries a ``provenance`` record (checkpoints in their payload, ``.npz``
files in their JSON metadata, word2vec text/binary files in a ``<file>.provenance.json`` sidecar)::

    {"wordlab_version": "0.1.0", "created": "2026-11-29T15:40:00Z",
     "command": ["wordlab", "lm", "train", ...],            # sys.argv of the process
     "call": "wordlab.lm.train.train_language_model",       # the outermost wordlab function on the stack
     "python": "3.12.3", "config": {...},
     "data": [{"path": "/abs/train.txt", "bytes": 5101618, "sha256": "..."}]}

The training data is what this process read through wordlab's readers (they call :func:`note_data`)
plus any paths given explicitly. Hashes are streamed (SHA-256, 1 MiB blocks) and cached per
(path, size, mtime) within a process, so a checkpoint written every epoch hashes its corpus once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import platform
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterable

_BLOCK = 1 << 20
_lock = threading.Lock()
_hash_cache: dict[tuple[str, int, int, int, int], str] = {}
_data: dict[str, None] = {}  # insertion-ordered set of the data files this process read


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, streamed; cached per (resolved path, size, mtime) in this process.

    The key also holds the inode and ctime, which a rewrite changes even when size and mtime are kept.
    """
    p = Path(path).resolve()
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    with _lock:
        cached = _hash_cache.get(key)
    if cached is not None:
        return cached
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            h.update(block)
    digest = h.hexdigest()
    with _lock:
        _hash_cache[key] = digest
    return digest


def note_data(*paths: str | os.PathLike) -> None:
    """Record that this process reads ``paths`` as data (readers call this; hashing waits for a write)."""
    with _lock:
        for path in paths:
            _data[str(Path(path).resolve())] = None


def data_files() -> list[str]:
    """The data files noted so far in this process, in the order first read."""
    with _lock:
        return list(_data)


def forget_data() -> None:
    """Clear the noted data files (tests; a long-lived process starting an unrelated job)."""
    with _lock:
        _data.clear()


def data_record(paths: Iterable[str | os.PathLike]) -> list[dict[str, Any]]:
    """``[{"path", "bytes", "sha256"}]`` for the regular files among ``paths`` (others are named only)."""
    out = []
    seen = set()
    for path in paths:
        p = Path(path).resolve()
        if str(p) in seen:
            continue
        seen.add(str(p))
        try:
            if p.is_file():
                out.append({"path": str(p), "bytes": p.stat().st_size, "sha256": file_sha256(p)})
            else:
                out.append({"path": str(p), "bytes": None, "sha256": None})
        except OSError:  # vanished or unreadable since it was read: keep the name
            out.append({"path": str(p), "bytes": None, "sha256": None})
    return out


def calling_function() -> str | None:
    """Qualified name of the outermost ``wordlab`` function on the stack (outside ``cli``), if any."""
    frame = sys._getframe(1)
    found = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if (module == "wordlab" or module.startswith("wordlab.")) and not module.startswith("wordlab.cli") \
                and module not in (__name__, "wordlab.checkpoint", "wordlab.atomic"):
            code = frame.f_code
            found = f"{module}.{getattr(code, 'co_qualname', code.co_name)}"
        frame = frame.f_back
    return found


def record(config: Any = None, data: Iterable[str | os.PathLike] | None = None,
           call: str | None = None) -> dict[str, Any]:
    """A provenance record for an artifact written now (see the module docstring).

    ``config``: a dict or dataclass (stored as a dict); ``data``: training files beyond the
    ones noted by the readers; ``call``: the library call (default: found on the stack).
    """
    from . import __version__

    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        cfg: dict | None = dataclasses.asdict(config)
    else:
        cfg = dict(config) if isinstance(config, dict) else None
    paths = data_files() + [str(p) for p in (data or ())]
    return {
        "wordlab_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": [str(a) for a in sys.argv],
        "call": call or calling_function(),
        "python": platform.python_version(),
        "config": cfg,
        "data": data_record(paths),
    }


def sidecar_path(path: str | os.PathLike) -> Path:
    """Where the provenance of a file without room for metadata (word2vec text/binary) is written."""
    p = Path(path)
    return p.with_name(p.name + ".provenance.json")
