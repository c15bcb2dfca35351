"""What :func:`wordlab.training.fit` steps with: the optimizer, the plateau scheduler and the closed-form
learning-rate schedules (warm-up, cosine over steps or minutes, inverse square root)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:  # annotations only: training.py imports the loop, which imports this module
    from .training import TrainConfig


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer named by ``cfg.optimizer`` over the parameters that require gradients."""
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.Adadelta(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def make_scheduler(optimizer: torch.optim.Optimizer, cfg: TrainConfig):
    """The stateful torch scheduler for ``cfg.schedule="plateau"`` (``None`` otherwise: the cosine
    schedule is the closed form :func:`scheduled_lr`, recomputed from the step, so a resumed run may
    change the total)."""
    if cfg.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode=cfg.mode, factor=1.0 / cfg.lr_decay, patience=cfg.patience, min_lr=cfg.min_lr)
    return None


def scheduled_lr(cfg: TrainConfig, step: int, total_steps: int, time_fraction: float = 0.0) -> float:
    """The learning rate of step ``step`` (0-based) for the closed-form schedules.

    ``cfg.warmup`` steps rise linearly to ``cfg.lr``; then cosine annealing to ``cfg.min_lr`` at
    ``total_steps`` (``CosineAnnealingLR``'s closed form), ``lr · √(warmup / (step + 1))``
    (``inverse_sqrt``, Vaswani et al. 2017 §5.3) or ``lr`` (``none``). ``time_fraction``: the part of
    ``cfg.anneal_minutes`` spent; the cosine follows it where it is further along than the steps."""
    w = getattr(cfg, "warmup", 0)
    if step < w:
        return cfg.lr * (step + 1) / w
    if cfg.schedule == "inverse_sqrt":
        return cfg.lr * math.sqrt(w / (step + 1))
    if cfg.schedule != "cosine":
        return cfg.lr
    t = max(min(step - w, total_steps - w) / max(1, total_steps - w), min(time_fraction, 1.0))
    return cfg.min_lr + (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * t)) / 2
