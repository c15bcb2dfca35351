"""How many CPU cores this process may use — torch-free, so numpy/numba paths can ask without importing torch."""

from __future__ import annotations

import os


def num_threads() -> int:
    """Number of CPU cores this process may use (affinity-aware; at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return os.cpu_count() or 1
