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
    "dim": 100_000,            # vector / model width: wider is a typo (gensim's largest published is 1,000)
}
#: config fields that hold a capped quantity under another name
CAP_ALIASES: dict[str, str] = {"vector_size": "dim", "emb": "dim", "emb_size": "dim", "embed_dim": "dim",
                               "hidden": "dim", "hidden_size": "dim", "max_length": "max_len"}

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


# -- numeric fields of the config dataclasses: type, finiteness and range, by field name ----------------------
#: ranges by field name (the same name means the same idea in every config): (low, high, low inclusive)
RANGES: dict[str, tuple[float, float, bool]] = {
    **{n: (0.0, math.inf, True) for n in (
        "seed", "checkpoint_every", "patience", "warmup", "weight_decay", "momentum", "min_lr", "sample",
        "subsample", "top_k", "threads", "workers", "min_alpha", "shift", "grad_clip")},
    **{n: (0.0, math.inf, False) for n in ("max_minutes", "temperature", "init_range", "x_max", "lr_decay",
                                           "repetition_penalty")},
    **{n: (0.0, 1.0, True) for n in ("dropout", "emb_dropout", "attn_dropout", "label_smoothing")},
}
#: fields that are fractions in [0, 1]
FRACTIONS = ("teacher_forcing", "top_p", "valid", "test", "dev_fraction")
#: the largest integer any option may hold: larger ones are typos (and overflow the compiled kernels)
MAX_INT = 2**40
MAX_SEED = 2**63 - 1


def _flag(f) -> str:
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def check_numbers(config) -> None:
    """Check every numeric field of the dataclass ``config`` before anything is built from it.

    Type (an ``int`` field holds an integer, a ``float`` field a number; ``bool`` is neither),
    finiteness, the caps of :data:`CAPS` (overridable with :func:`allow_over_limits`), the ranges of
    :data:`RANGES` / :data:`FRACTIONS` by field name, seeds in ``[0, 2**63)`` and integers below
    :data:`MAX_INT`. Raises :class:`ConfigError` naming the flag.
    """
    import dataclasses

    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        kind = str(f.type).replace(" ", "")
        if value is None or kind not in ("int", "float", "int|None", "float|None"):
            continue
        flag = _flag(f)
        is_int = kind.startswith("int")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (is_int and not isinstance(value, int)):
            raise ConfigError(f"{flag} must be {'an integer' if is_int else 'a number'}, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{flag} must be a finite number, got {value}")
        if is_int and abs(value) > (MAX_SEED if f.name == "seed" else MAX_INT):
            raise ConfigError(f"{flag} {value} is far too large")
        if f.name == "seed" and value < 0:
            raise ConfigError(f"{flag} must be >= 0, got {value}")
        capped = CAP_ALIASES.get(f.name, f.name)
        if capped in CAPS:
            cap = CAPS[capped]
            if value > cap and not forced():
                raise ConfigError(f"{flag} {value:,} is over the limit of {cap:,}; pass --force if you really mean it")
        if f.name in RANGES:
            low, high, inclusive = RANGES[f.name]
            if not ((value >= low if inclusive else value > low) and value <= high):
                bound = f">= {low:g}" if inclusive else f"> {low:g}"
                if high != math.inf:
                    bound = f"in [{low:g}, {high:g}]"
                raise ConfigError(f"{flag} must be {bound}, got {value}")
        if f.name in FRACTIONS and not 0.0 <= value <= 1.0:
            raise ConfigError(f"{flag} must be a fraction in [0, 1], got {value}")
