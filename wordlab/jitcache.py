"""Where numba keeps wordlab's compiled kernels, so read-only installs still run.

numba caches a ``cache=True`` kernel next to its source (``__pycache__``), else under the user's
cache directory (``~/.cache/numba``); when neither is writable (a system-wide install, a container
user without a home) it raises ``RuntimeError: cannot cache function`` at import. Before numba is
first imported, :func:`configure_numba_cache` checks the package directory and, when it is not
writable, points ``NUMBA_CACHE_DIR`` at the first writable place of: the user's cache directory
(``$XDG_CACHE_HOME`` or ``~/.cache``)``/wordlab/numba``, then a private directory in the
temporary directory (``wordlab-numba-<uid>``, mode 0700, owned by this user — cached kernels are
code, so a directory another user controls is never used). When nothing is writable, caching is
turned off with a warning: kernels compile in every process (slower start, same results).
An explicit ``NUMBA_CACHE_DIR`` is always left alone.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import tempfile
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent


def writable_dir(path: Path) -> bool:
    """Whether ``path`` exists or can be made, and a file can be created in it (a real probe: root ignores modes)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def _private_temp_dir() -> Path | None:
    """``<tmp>/wordlab-numba-<uid>``: created 0700, or reused only when this user owns it and nobody else may write."""
    try:
        base = Path(tempfile.gettempdir())
    except (OSError, FileNotFoundError):
        return None
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = base / f"wordlab-numba-{uid}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = path.lstat()
        if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != uid) or st.st_mode & 0o022:
            return None
    except OSError:
        return None
    return path if writable_dir(path) else None


def numba_cache_dir(package_dir: Path = PACKAGE_DIR) -> tuple[str, Path | None]:
    """``("default", None)`` when numba can cache in-tree, ``("dir", path)`` for a writable fallback,
    ``("none", None)`` when nothing is writable."""
    if writable_dir(package_dir / "__pycache__"):
        return "default", None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    user = Path(base) / "wordlab" / "numba"
    if writable_dir(user):
        return "dir", user
    temp = _private_temp_dir()
    return ("dir", temp) if temp is not None else ("none", None)


def _disable_caching() -> None:
    """Compile ``cache=True`` kernels without caching (numba would otherwise refuse to define them)."""
    from numba.core import dispatcher

    dispatcher.Dispatcher.enable_caching = lambda self: None


def configure_numba_cache(package_dir: Path = PACKAGE_DIR) -> str:
    """Make numba's kernel cache work for this install (call before numba compiles a wordlab kernel).

    Returns what was done: ``"env"`` (``NUMBA_CACHE_DIR`` was set already), ``"default"`` (the
    package directory is writable), the fallback directory now in ``NUMBA_CACHE_DIR``, or ``"off"``.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return "env"
    try:
        kind, path = numba_cache_dir(package_dir)
    except Exception:  # pragma: no cover - a probe must never break ``import wordlab``
        return "default"
    if kind == "default":
        return "default"
    if kind == "dir":
        os.environ["NUMBA_CACHE_DIR"] = str(path)
        if "numba" in sys.modules:  # imported before wordlab: numba has read its config already
            from numba.core import config

            config.CACHE_DIR = str(path)
        log.debug("%s is not writable: numba caches wordlab's kernels in %s", package_dir, path)
        return str(path)
    warnings.warn(f"no writable directory for numba's kernel cache ({package_dir}, the user's cache directory and "
                  "the temporary directory are all read-only): kernels compile in every process; set "
                  "NUMBA_CACHE_DIR to a writable directory to cache them", RuntimeWarning, stacklevel=2)
    _disable_caching()
    return "off"
