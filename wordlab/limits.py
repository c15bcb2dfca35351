"""Limits checked before anything is allocated or looped over: caps on options, and memory estimates.

Two kinds of guard, both raising :class:`~wordlab.errors.ConfigError` with one line that says what
to change:

- **caps** on options whose huge values only ever come from a typo or a hostile file
  (:data:`CAPS`: generated tokens per call, ``max_len``, ``beam``, ``negative``, ``window``);
- **memory**: a job whose estimated memory exceeds what the machine has available
  (``MemAvailable`` from ``/proc/meminfo``, or the cgroup limit where lower) is refused up front
  with the estimate, as gensim's ``estimate_memory`` reports it.

Both can be lifted for one call with :func:`allow_over_limits` (the CLI's ``--force``).
Non-finite numbers (``inf``, ``nan``) are never allowed: :func:`check_finite`.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
from typing import Iterator

from .errors import ConfigError

CAPS: dict[str, int] = {
    "max_tokens": 1_000_000,   # tokens generated per call
    "max_len": 10_000,         # longest decoded sequence
    "beam": 256,
    "negative": 1_000,
    "window": 1_000,
}

_force: contextvars.ContextVar[bool] = contextvars.ContextVar("wordlab_force", default=False)


@contextlib.contextmanager
def allow_over_limits(enabled: bool = True) -> Iterator[None]:
    """Within this block, caps and memory checks warn nothing and pass (``--force``)."""
    token = _force.set(bool(enabled))
    try:
        yield
    finally:
        _force.reset(token)


def forced() -> bool:
    """True inside :func:`allow_over_limits`."""
    return _force.get()


def check_finite(name: str, value: float) -> None:
    """Refuse ``inf`` and ``nan`` for option ``name``."""
    if isinstance(value, (int, float)) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value}")


def check_cap(name: str, value: int | float | None, cap: int | None = None) -> None:
    """Refuse ``value`` above the cap for ``name`` (from :data:`CAPS` unless given) unless forced."""
    if value is None:
        return
    check_finite(name, value)
    cap = CAPS[name] if cap is None else cap
    if value > cap and not forced():
        flag = "--" + name.replace("_", "-")
        raise ConfigError(f"{flag} {value:,} is over the limit of {cap:,}; pass --force if you really mean it")


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cgroup_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            used = None
            for cur in ("/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory/memory.usage_in_bytes"):
                with contextlib.suppress(OSError, ValueError), open(cur) as g:
                    used = int(g.read().strip())
                    break
            return int(text) - (used or 0)
    return None


def available_memory() -> int | None:
    """Bytes this process may still allocate: MemAvailable, or the cgroup's room where lower."""
    limits = [v for v in (_meminfo_available(), _cgroup_limit()) if v is not None]
    env = os.environ.get("WORDLAB_MEMORY_LIMIT")  # tests and containers without /proc
    if env and env.isdigit():
        limits.append(int(env))
    return min(limits) if limits else None


def human_bytes(n: float) -> str:
    """``1536`` → ``'1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def check_memory(estimate: int | float, what: str) -> None:
    """Refuse a job needing ``estimate`` bytes when the machine has less available (unless forced)."""
    if not math.isfinite(estimate):
        raise ConfigError(f"{what}: the memory estimate is not finite; check the sizes")
    avail = available_memory()
    if avail is not None and estimate > avail and not forced():
        raise ConfigError(f"{what} needs about {human_bytes(estimate)} but only {human_bytes(avail)} is available;"
                          " make it smaller (--dim, --max-vocab, --batch-size) or pass --force")


def estimate_embedding_memory(vocab_size: int, dim: int, tables: int = 2, bytes_per: int = 4) -> int:
    """Bytes of ``tables`` float tables of ``vocab_size × dim`` (word2vec: W_in and W_out, as gensim)."""
    return int(vocab_size) * int(dim) * int(tables) * int(bytes_per)
