"""Device, seeding, threads and numpy⇄torch helpers — the one module that knows CPU vs GPU.

Every other module asks :func:`device` for a ``torch.device`` and moves tensors with
:func:`to_tensor` / :func:`to_numpy`; nothing else branches on CUDA.
"""

from __future__ import annotations

import logging
import os
import random
from typing import Any

import numpy as np
import torch

from .errors import ConfigError

log = logging.getLogger(__name__)

__all__ = [
    "device",
    "set_seed",
    "set_threads",
    "num_threads",
    "to_tensor",
    "to_numpy",
    "rng_state",
    "set_rng_state",
    "synchronize",
]


def device(spec: str | torch.device | None = "auto") -> torch.device:
    """Resolve a device spec: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``.

    Raises :class:`ConfigError` when CUDA is asked for but not available.
    """
    if isinstance(spec, torch.device):
        return spec
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device {spec!r} asked for, but CUDA is not available here; use --device cpu or auto")
        return torch.device(spec)
    if spec == "cpu":
        return torch.device("cpu")
    raise ConfigError(f"unknown device {spec!r}; expected auto, cpu, cuda or cuda:N")


def is_cuda(dev: torch.device | str) -> bool:
    """True when ``dev`` is a CUDA device."""
    return torch.device(dev).type == "cuda"


def synchronize(dev: torch.device | str | None = None) -> None:
    """Wait for queued kernels on ``dev`` (no-op on CPU); use before reading a timer."""
    if dev is not None and is_cuda(dev):
        torch.cuda.synchronize(torch.device(dev))


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def num_threads() -> int:
    """Number of CPU cores this process may use (affinity-aware)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return os.cpu_count() or 1


def set_threads(n: int | None) -> int:
    """Set torch's intra-op thread count (``None`` or 0 → every available core); returns the count used."""
    n = int(n) if n else num_threads()
    if n < 1:
        raise ConfigError(f"thread count must be >= 1, got {n}")
    torch.set_num_threads(n)
    return n


def to_tensor(array: Any, dev: torch.device | str | None = None, dtype: torch.dtype | None = None) -> torch.Tensor:
    """numpy array (or list) → torch tensor on ``dev``, sharing memory on CPU when the dtype allows."""
    t = torch.from_numpy(array) if isinstance(array, np.ndarray) else torch.as_tensor(array)
    if dtype is not None:
        t = t.to(dtype)
    if dev is not None:
        t = t.to(device(dev))
    return t


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """torch tensor (any device, any grad state) → numpy array on the CPU."""
    return tensor.detach().cpu().numpy()


def rng_state() -> dict[str, Any]:
    """Every RNG's state as tensors and plain Python values (safe for ``torch.load(weights_only=True)``)."""
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": _to_plain(random.getstate()),
        "numpy": {
            "kind": np_state[0],
            "keys": torch.from_numpy(np_state[1].astype(np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    random.setstate(_to_tuple(state["python"]))
    n = state["numpy"]
    np.random.set_state(
        (n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"])
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, tuple):
        return [_to_plain(x) for x in obj]
    return obj


def _to_tuple(obj: Any) -> Any:
    if isinstance(obj, list):
        return tuple(_to_tuple(x) for x in obj)
    return obj
