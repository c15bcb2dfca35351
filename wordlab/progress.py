"""tqdm progress bars for long loops, written to stderr (never to stdout).

``enabled=None`` means "when stderr is a terminal", so library calls stay quiet in
scripts and logs; the CLI passes ``enabled=True`` unless ``--quiet``.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm.auto import tqdm


def want_progress(enabled: bool | None) -> bool:
    """Resolve the three-way ``progress`` flag the library functions take."""
    if enabled is None:
        return sys.stderr.isatty()
    return bool(enabled)


def progress_bar(total: float | None = None, desc: str = "", unit: str = "it", enabled: bool | None = None,
                 **kwargs: Any) -> tqdm:
    """A tqdm bar on stderr; disabled (zero cost) unless :func:`want_progress` says so."""
    kwargs.setdefault("dynamic_ncols", True)
    kwargs.setdefault("leave", False)
    return tqdm(total=total, desc=desc, unit=unit, disable=not want_progress(enabled), file=sys.stderr, **kwargs)


def byte_bar(total_bytes: int, desc: str = "reading", enabled: bool | None = None) -> tqdm:
    """A progress bar counting bytes (KiB/MiB scaling)."""
    return progress_bar(total_bytes, desc=desc, unit="B", enabled=enabled, unit_scale=True, unit_divisor=1024)
