"""The one training loop shared by the neural models (language model, seq2seq, classifiers).

Not a framework: a model supplies a small :class:`Task` (how to iterate batches, how to
turn one batch into a loss, how to evaluate), and :func:`fit` does the rest —
optimizer, gradient clipping (``torch.nn.utils.clip_grad_norm_``), learning-rate
schedule, tqdm bar (loss / perplexity / units·s⁻¹ / ETA), evaluation each epoch,
best-model checkpoint, resumable checkpoints, history as JSON, a time budget and a
``dry_run`` mode for CI.

Resume is exact: the resumable checkpoint holds the model, optimizer, scheduler, every
RNG state, the position ``(epoch, step)``, the task's carried state (e.g. an LM's hidden
state) and the history. A task must therefore produce the same batches for the same
``epoch`` (seed its shuffling with ``seed + epoch``, never with the global RNG); then a run
killed at any point and resumed ends with the same weights as an uninterrupted one.

Checkpoint files, for ``out="lm.pt"``::

    lm.pt               best model so far (weights + config + vocab; what `eval`/`generate` load)
    lm.resume.pt        last training state (written every ``checkpoint_every`` steps and each epoch)
    lm.history.json     one row per epoch
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Protocol

import torch
from torch import nn

from .atomic import atomic_write_text
from .checkpoint import load_checkpoint, save_checkpoint
from .errors import CheckpointError, ConfigError
from .progress import progress_bar
from .tensor import autocast, check_precision, rng_state, set_rng_state, set_seed

log = logging.getLogger(__name__)

OPTIMIZERS = ("sgd", "adam", "adamw", "adadelta")
SCHEDULES = ("none", "plateau", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of :func:`fit`.

    ``schedule="plateau"`` divides the learning rate by ``lr_decay`` when the monitored
    validation metric has not improved for ``patience + 1`` epochs (the PyTorch
    word-language-model example anneals by 4 after every epoch without improvement);
    ``"cosine"`` anneals from ``lr`` to ``min_lr`` over all steps (Loshchilov & Hutter 2017).
    ``precision="bf16"`` runs the training forward pass under bfloat16 autocast
    (:func:`wordlab.tensor.autocast`); evaluation is always float32.
    """

    epochs: int = 10
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.0
    clip: float | None = None
    schedule: str = "none"
    lr_decay: float = 4.0
    patience: int = 0
    min_lr: float = 0.0
    early_stop: int | None = None
    monitor: str = "loss"
    mode: str = "min"
    max_minutes: float | None = None
    dry_run: int | None = None
    checkpoint_every: int = 0
    seed: int = 0
    precision: str = "fp32"

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ConfigError(f"epochs must be >= 1, got {self.epochs}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}")
        if not self.lr > 0:
            raise ConfigError(f"learning rate must be > 0, got {self.lr}")
        if self.clip is not None and not self.clip > 0:
            raise ConfigError(f"clip must be > 0 (or None to disable), got {self.clip}")
        if self.lr_decay < 1:
            raise ConfigError(f"lr_decay is a divisor and must be >= 1, got {self.lr_decay}")
        if self.mode not in ("min", "max"):
            raise ConfigError(f"mode must be min or max, not {self.mode!r}")
        check_precision(self.precision)
        if self.dry_run is not None and self.dry_run < 1:
            raise ConfigError(f"dry_run must be >= 1 steps, got {self.dry_run}")


class Task(Protocol):
    """What a model gives :func:`fit`.

    ``unit`` names what ``train_step`` counts (``"tok"`` for tokens); ``perplexity=True``
    shows ``exp(loss)`` in the bar and history (for models whose loss is a mean NLL per unit).
    """

    unit: str
    perplexity: bool

    def num_batches(self, epoch: int) -> int:
        """Number of training batches in ``epoch``."""

    def batches(self, epoch: int, start: int = 0) -> Iterator[Any]:
        """Batches of ``epoch`` from index ``start``; the same for the same epoch (seeded by epoch)."""

    def train_step(self, model: nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        """Forward one batch: (mean loss to back-propagate, number of units it covers)."""

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        """Validation metrics (called under ``torch.no_grad()`` with ``model.eval()``); ``{}`` if none."""

    def state_dict(self) -> dict:
        """State carried between batches (e.g. hidden state), for mid-epoch resume; ``{}`` if none."""

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`."""


@dataclass
class FitResult:
    """What :func:`fit` returns: per-epoch history and how training ended."""

    history: list[dict] = field(default_factory=list)
    best: float | None = None
    best_epoch: int | None = None
    steps: int = 0
    stopped: str = "completed"  # completed | early_stop | time_budget | dry_run


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


def make_scheduler(optimizer: torch.optim.Optimizer, cfg: TrainConfig, total_steps: int):
    """The torch LR scheduler for ``cfg.schedule`` (``None`` for ``"none"``)."""
    if cfg.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode=cfg.mode, factor=1.0 / cfg.lr_decay, patience=cfg.patience, min_lr=cfg.min_lr)
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps), eta_min=cfg.min_lr)
    return None


def resume_path(out: str | Path) -> Path:
    """``lm.pt`` → ``lm.resume.pt``."""
    out = Path(out)
    return out.with_name(out.stem + ".resume" + (out.suffix or ".pt"))


def history_path(out: str | Path) -> Path:
    """``lm.pt`` → ``lm.history.json``."""
    out = Path(out)
    return out.with_name(out.stem + ".history.json")


def _improved(value: float, best: float | None, mode: str) -> bool:
    return best is None or (value < best if mode == "min" else value > best)


def fit(
    model: nn.Module,
    task: Task,
    cfg: TrainConfig,
    *,
    out: str | Path | None = None,
    kind: str = "model",
    model_config: Any = None,
    vocab: Any = None,
    extra: dict | None = None,
    resume: bool = False,
    restore_best: bool = False,
    progress: bool | None = None,
) -> FitResult:
    """Train ``model`` on ``task``; see the module docstring for the files written under ``out``.

    Parameters
    ----------
    out: best-model checkpoint path (``None``: write nothing).
    kind, model_config, vocab, extra: stored in every checkpoint (``wordlab.checkpoint`` layout),
        so the best model can be rebuilt with its vocabulary.
    resume: continue from ``resume_path(out)`` (error if it does not exist).
    restore_best: load the best weights (by ``cfg.monitor``) into ``model`` before returning.
    """
    if resume and out is None:
        raise ConfigError("resume needs an output path (its .resume.pt file holds the training state)")
    dev = next(model.parameters()).device
    set_seed(cfg.seed)
    optimizer = make_optimizer(model, cfg)
    epochs = 1 if cfg.dry_run else cfg.epochs
    steps_per_epoch = [min(task.num_batches(e), cfg.dry_run or 10**18) for e in range(epochs)]
    scheduler = make_scheduler(optimizer, cfg, sum(steps_per_epoch))
    result = FitResult()
    best_state: dict | None = None
    epoch, start_step, step_total = 0, 0, 0
    run_loss, run_units, run_steps = 0.0, 0, 0
    t_budget = time.monotonic()
    elapsed_before = 0.0

    def snapshot(epoch_: int, step_: int) -> None:
        if out is None:
            return
        save_checkpoint(
            resume_path(out), kind=kind, config=model_config or {}, vocab=vocab, state_dict=model.state_dict(),
            optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict() if scheduler else None,
            progress={"epoch": epoch_, "step": step_, "step_total": step_total, "best": result.best,
                      "best_epoch": result.best_epoch, "history": result.history,
                      "run_loss": run_loss, "run_units": run_units, "run_steps": run_steps,
                      "elapsed": elapsed_before + time.monotonic() - t_budget,
                      "train_config": asdict(cfg), "task": task.state_dict() if hasattr(task, "state_dict") else {}},
            rng=rng_state(), extra=extra)

    if resume:
        path = resume_path(out)
        ck = load_checkpoint(path, kind=kind, map_location=dev)
        try:
            model.load_state_dict(ck["state_dict"])
        except RuntimeError as e:
            raise CheckpointError(f"{path}: weights do not fit this model: {str(e).splitlines()[0]}") from None
        optimizer.load_state_dict(ck["optimizer"])
        if scheduler is not None and ck.get("scheduler"):
            scheduler.load_state_dict(ck["scheduler"])
        p = ck["progress"]
        epoch, start_step, step_total = p["epoch"], p["step"], p["step_total"]
        result.best, result.best_epoch, result.history = p["best"], p["best_epoch"], list(p["history"])
        run_loss, run_units, run_steps = p["run_loss"], p["run_units"], p["run_steps"]
        elapsed_before = p.get("elapsed", 0.0)
        if start_step and result.history and result.history[-1].get("partial"):
            result.history.pop()  # the row of an epoch cut short by a time budget; it is redone now
        if hasattr(task, "load_state_dict") and p.get("task"):
            task.load_state_dict(p["task"])
        set_rng_state(ck["rng"])
        if out is not None and Path(out).exists() and restore_best:
            best_state = load_checkpoint(out, kind=kind, map_location="cpu")["state_dict"]
        log.info("resumed from %s at epoch %d step %d", path, epoch + 1, start_step)

    def over_budget() -> bool:
        return cfg.max_minutes is not None and (elapsed_before + time.monotonic() - t_budget) > 60 * cfg.max_minutes

    unit = getattr(task, "unit", "it")
    show_ppl = getattr(task, "perplexity", False)
    while epoch < epochs and result.stopped == "completed":
        n = steps_per_epoch[epoch]
        model.train()
        t0 = time.perf_counter()
        units_epoch = 0
        if start_step == 0:
            run_loss, run_units, run_steps = 0.0, 0, 0
        bar = progress_bar(n, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", enabled=progress, initial=start_step)
        step = start_step
        for batch in task.batches(epoch, start_step):
            if step >= n:
                break
            optimizer.zero_grad(set_to_none=True)
            with autocast(dev, cfg.precision):  # training forward only; evaluation stays float32
                loss, units = task.train_step(model, batch)
            if not torch.isfinite(loss):
                raise ConfigError(f"loss became {loss.item()} at epoch {epoch + 1} step {step + 1}; "
                                  f"lower the learning rate or set a gradient clip")
            loss.backward()
            if cfg.clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            optimizer.step()
            if cfg.schedule == "cosine":
                scheduler.step()
            step += 1
            step_total += 1
            run_loss += loss.item() * units
            run_units += units
            run_steps += 1
            units_epoch += units
            mean = run_loss / max(run_units, 1)
            rate = units_epoch / max(time.perf_counter() - t0, 1e-9)
            post = {"loss": f"{mean:.3f}"}
            if show_ppl:
                post["ppl"] = f"{math.exp(min(mean, 50)):.1f}"
            post[f"{unit}/s"] = f"{rate:,.0f}"
            post["lr"] = f"{optimizer.param_groups[0]['lr']:.3g}"
            bar.set_postfix(post, refresh=False)
            bar.update(1)
            if cfg.checkpoint_every and step_total % cfg.checkpoint_every == 0 and step < n:
                snapshot(epoch, step)
            if over_budget():
                result.stopped = "time_budget"
                break
        bar.close()
        seconds = time.perf_counter() - t0
        train_loss = run_loss / max(run_units, 1)
        model.eval()
        with torch.no_grad():
            metrics = dict(task.evaluate(model) or {})
        model.train()
        row = {"epoch": epoch + 1, "steps": step, "train_loss": train_loss, "lr": optimizer.param_groups[0]["lr"],
               "seconds": round(seconds, 3), f"{unit}_per_s": round(units_epoch / max(seconds, 1e-9), 1)}
        if show_ppl:
            row["train_ppl"] = math.exp(min(train_loss, 50))
        row.update(metrics)
        partial = result.stopped == "time_budget" and step < n  # the budget cut this epoch short
        if partial:
            row["partial"] = True
        monitored = metrics.get(cfg.monitor, train_loss if cfg.monitor in ("loss", "train_loss") else None)
        if monitored is None:
            raise ConfigError(f"monitor {cfg.monitor!r} is not among the evaluation metrics {sorted(metrics)}")
        row["monitor"] = monitored
        result.history.append(row)
        log.info("epoch %d: %s", epoch + 1, {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
        if _improved(monitored, result.best, cfg.mode):
            result.best, result.best_epoch = monitored, epoch + 1
            if restore_best:
                best_state = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
            if out is not None:
                save_checkpoint(out, kind=kind, config=model_config or {}, vocab=vocab,
                                state_dict=model.state_dict(),
                                progress={"epoch": epoch + 1, "best": monitored, "monitor": cfg.monitor},
                                extra=extra)
        if cfg.schedule == "plateau" and not partial:
            scheduler.step(monitored)
        if cfg.early_stop is not None and result.best_epoch is not None \
                and epoch + 1 - result.best_epoch >= cfg.early_stop:
            result.stopped = "early_stop"
        if cfg.dry_run:
            result.stopped = "dry_run"
        if partial:  # --resume finishes this epoch where the budget stopped it (its row is then replaced)
            snapshot(epoch, step)
        else:
            epoch += 1
            start_step = 0
            snapshot(epoch, 0)
        if out is not None:
            atomic_write_text(history_path(out), json.dumps(result.history, indent=1))
        if result.stopped == "completed" and over_budget():
            result.stopped = "time_budget"
    result.steps = step_total
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
    return result
