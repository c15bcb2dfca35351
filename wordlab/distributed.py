"""Multi-process training on ``torch.distributed``: who is the main process, reductions, broadcasts.

Every function is a no-op in a single process (no process group initialised), so library code calls
them unconditionally: ``if is_main(): write(...)``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank (0 in a single process)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    """Number of processes (1 in a single process)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_main() -> bool:
    """True on the process that writes files and shows progress (rank 0; always in one process)."""
    return rank() == 0


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """``obj`` as held by rank ``src``, on every rank (a picklable value; the identity in one process)."""
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def agree(flag: bool) -> bool:
    """Rank 0's ``flag`` on every rank: a decision (stop, time budget) taken once and obeyed by all."""
    if not is_distributed():
        return bool(flag)
    t = torch.tensor([1.0 if flag else 0.0])
    dist.broadcast(t, src=0)
    return bool(t.item())


def all_sum(values: list[float]) -> list[float]:
    """Element-wise sum of ``values`` over all ranks (float64; the values themselves in one process)."""
    if not is_distributed():
        return list(values)
    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()
