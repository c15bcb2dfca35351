"""The parts of the training loop :func:`wordlab.training.fit` is made of.

:class:`LoopState` is where training stands (the resume payload, global over processes); :class:`Run`
what one invocation holds (model, optimizer, schedule, budget, output paths). :func:`start_run`,
:func:`resume_state`, :func:`train_epoch`, :func:`evaluate` and :func:`end_epoch` are one invocation's
steps; :func:`save_resume`, :func:`save_best` and :func:`save_history` write files, on the main process
only (:func:`wordlab.distributed.is_main`) — every process calls them, as gathering the task's state
may be collective. Decisions (time budget) are rank 0's, broadcast to the others
(:func:`wordlab.distributed.agree`).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import torch
from torch import nn

from .atomic import atomic_write_text
from .checkpoint import load_checkpoint, save_checkpoint
from .distributed import (agree, all_sum, broadcast_number, broadcast_object, gather_objects, init_from_env, is_main,
                          rank, world_size, wrap_step)
from .errors import CheckpointError, ConfigError
from .optim import make_optimizer, make_scheduler, scheduled_lr
from .progress import progress_bar, want_progress
from .tensor import autocast, check_bf16, rng_state, set_rng_state, set_seed

if TYPE_CHECKING:  # annotations only: training.py imports this module
    from .training import Task, TrainConfig

log = logging.getLogger("wordlab.training")

@dataclass
class LoopState:
    """Where training stands: the resume payload (besides weights, optimizer, scheduler and RNG states).

    Every count is global — the whole batch of all processes together — so a state written by N processes
    resumes on any other number. ``epoch`` is the 0-based epoch in progress and ``step`` the batches of it
    already done; ``run_*`` accumulate that epoch's training loss; ``elapsed`` is the time of all
    invocations so far (reported, never budgeted); ``eval_seconds`` the last evaluation's duration (the
    time budget keeps room for it); ``task`` the task's carried state (e.g. an LM's hidden state).
    """

    epoch: int = 0
    step: int = 0
    step_total: int = 0
    best: float | None = None
    best_epoch: int | None = None
    history: list[dict] = field(default_factory=list)
    run_loss: float = 0.0
    run_units: int = 0
    run_steps: int = 0
    elapsed: float = 0.0
    eval_seconds: float = 0.0
    task: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "LoopState":
        """From :meth:`to_dict` (or the ``progress`` dict of an older resume file: same keys)."""
        state = cls(**{f.name: d[f.name] for f in fields(cls) if d.get(f.name) is not None})
        state.history = list(state.history)
        return state


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


clock = time.monotonic  # the budget's clock (a module attribute, so tests can drive it)


class Budget:
    """The time budget of one invocation (``TrainConfig.max_minutes``).

    Training steps, evaluations and checkpoint writes all count; time spent by earlier invocations of a
    resumed run does not. :meth:`allows` says whether one more training step and the evaluation that
    ends its epoch still fit, estimated from the last step and the last evaluation.
    """

    def __init__(self, minutes: float | None, eval_seconds: float = 0.0) -> None:
        self.seconds = None if minutes is None else 60.0 * minutes
        self.start = clock()
        self.step_seconds = 0.0
        self.eval_seconds = eval_seconds
        self.steps = 0  # training steps taken in this invocation

    def elapsed(self) -> float:
        return clock() - self.start

    def allows(self) -> bool:
        if self.seconds is None:
            return True
        return self.elapsed() + self.step_seconds + self.eval_seconds <= self.seconds


@dataclass
class Run:
    """One invocation of :func:`fit`: what does not change while it runs (and is not resumed)."""

    model: nn.Module
    step: Callable[[Any], Any]  # batch → (loss, units): the task's train_step, under DDP in a process group
    task: Task
    cfg: TrainConfig
    optimizer: torch.optim.Optimizer
    scheduler: Any
    steps_per_epoch: list[int]  # batches of each epoch (the task's batches: global, whatever the world size)
    budget: Budget
    per_step: int = 1  # task batches one step consumes: 1, or the world size when ranks deal whole batches
    out: Path | None = None
    kind: str = "model"
    model_config: Any = None
    vocab: Any = None
    extra: dict | None = None
    restore_best: bool = False
    progress: bool = False
    best_state: dict | None = None
    pending: list[float] = field(default_factory=lambda: [0.0, 0.0])  # this rank's loss·units, units not yet reduced
    counted: float = 0.0  # this call's seconds already added to ``LoopState.elapsed``

    @property
    def epochs(self) -> int:
        return len(self.steps_per_epoch)

    @property
    def total_steps(self) -> int:
        return sum(self.steps_per_epoch)


def start_run(model: nn.Module, task: Task, cfg: TrainConfig, *, out=None, kind="model", model_config=None,
              vocab=None, extra=None, restore_best=False, progress=None) -> Run:
    """Seed, build the optimizer and scheduler, count each epoch's batches, start the clock.

    In a process group (:func:`wordlab.distributed.init_from_env`) the model is wrapped in
    ``DistributedDataParallel`` and each rank is seeded with ``cfg.seed + rank`` (its own dropout masks).
    A task whose batches are already this rank's share (``task.shards = True``, e.g. the LM's streams)
    takes one batch per step; any other task's batches are dealt round-robin, one per rank per step
    (the global batch is then ``world_size`` of the task's batches).
    """
    init_from_env()
    set_seed(cfg.seed + rank())
    optimizer = make_optimizer(model, cfg)
    per = 1 if getattr(task, "shards", False) else world_size()
    epochs = 1 if cfg.dry_run else cfg.epochs
    steps = [min(task.num_batches(e), (cfg.dry_run or 10**18) * per) for e in range(epochs)]
    return Run(model=model, step=wrap_step(model, task), task=task, cfg=cfg, optimizer=optimizer,
               scheduler=make_scheduler(optimizer, cfg), steps_per_epoch=steps, budget=Budget(cfg.max_minutes),
               per_step=per, out=None if out is None else Path(out), kind=kind, model_config=model_config,
               vocab=vocab, extra=extra, restore_best=restore_best, progress=is_main() and want_progress(progress))


def resume_state(run: Run) -> LoopState:
    """Load ``resume_path(run.out)`` into the model, optimizer, scheduler, RNGs and task; its :class:`LoopState`."""
    path = resume_path(run.out)
    dev = next(run.model.parameters()).device
    ck = load_checkpoint(path, kind=run.kind, map_location=dev)
    try:
        run.model.load_state_dict(ck["state_dict"])
    except RuntimeError as e:
        raise CheckpointError(f"{path}: weights do not fit this model: {str(e).splitlines()[0]}") from None
    run.optimizer.load_state_dict(ck["optimizer"])
    if run.scheduler is not None and ck.get("scheduler"):
        run.scheduler.load_state_dict(ck["scheduler"])
    p = ck["progress"]
    state = LoopState.from_dict(p)
    if state.step and state.history and state.history[-1].get("partial"):
        state.history.pop()  # the row of an epoch cut short by a time budget; it is redone now
    if state.task and hasattr(run.task, "load_state_dict"):
        run.task.load_state_dict(state.task)
    rngs = p.get("rngs") or []
    if len(rngs) == world_size() > 1:
        set_rng_state(rngs[rank()])
    else:
        set_rng_state(ck["rng"])
        if world_size() > 1:  # another world size: each rank its own (new) dropout stream
            torch.manual_seed(run.cfg.seed + 1_000_003 * state.step_total + rank())
    before = (p.get("train_config") or {}).get("epochs")
    if before is not None and before != run.cfg.epochs and not run.cfg.dry_run:
        log.info("epochs changed from %d to %d on resume; the schedule now spans %d steps",
                 before, run.cfg.epochs, run.total_steps)
    if run.restore_best and run.out.exists():
        run.best_state = load_checkpoint(run.out, kind=run.kind, map_location="cpu")["state_dict"]
    log.info("resumed from %s at epoch %d step %d", path, state.epoch + 1, state.step)
    return state


def train_epoch(run: Run, state: LoopState) -> tuple[bool, float, int]:
    """Train from ``state.step`` to the end of epoch ``state.epoch`` or until the budget runs out.

    Returns (cut short by the budget, seconds spent, units this rank trained in this call).
    """
    cfg, model, optimizer = run.cfg, run.model, run.optimizer
    per = run.per_step
    n = run.steps_per_epoch[state.epoch]
    n = state.step + (n - state.step) // per * per  # every rank takes the same number of steps
    dev = next(model.parameters()).device
    if cfg.precision == "bf16":  # refused up front with one line, not by oneDNN inside the first step
        check_bf16(dev, recurrent=any(isinstance(m, nn.RNNBase) for m in model.modules()))
    if state.step == 0:
        state.run_loss, state.run_units, state.run_steps = 0.0, 0, 0
    unit = getattr(run.task, "unit", "it")
    show_ppl = getattr(run.task, "perplexity", False)
    model.train()
    t0 = time.perf_counter()
    units_epoch = 0
    cut = False
    bar = progress_bar(n, desc=f"epoch {state.epoch + 1}/{run.epochs}", unit="batch", enabled=run.progress,
                       initial=state.step)
    batches = _my_batches(run.task.batches(state.epoch, state.step), per)
    for group in _groups(batches, cfg.accumulate, (n - state.step) // per):
        t_step = clock()
        spent = _anneal_fraction(run, state)
        if spent >= 1.0 and run.budget.steps:
            cut = True  # the run's --anneal-minutes are spent
            break
        if cfg.schedule in ("cosine", "inverse_sqrt") or getattr(cfg, "warmup", 0):
            for param_group in optimizer.param_groups:
                param_group["lr"] = scheduled_lr(cfg, state.step_total, run.total_steps, spent)
        loss_sum, units = _optimizer_step(run, state, group, dev)
        before = state.step_total // per
        state.step += per * len(group)
        state.step_total += per * len(group)
        state.run_steps += len(group)
        run.pending[0] += loss_sum
        run.pending[1] += units
        units_epoch += units
        if run.progress:
            mean = (state.run_loss + run.pending[0]) / max(state.run_units + run.pending[1], 1)
            post = {"loss": f"{mean:.3f}"}
            if show_ppl:
                post["ppl"] = f"{math.exp(min(mean, 50)):.1f}"
            post[f"{unit}/s"] = f"{units_epoch / max(time.perf_counter() - t0, 1e-9):,.0f}"
            post["lr"] = f"{optimizer.param_groups[0]['lr']:.3g}"
            bar.set_postfix(post, refresh=False)
            bar.update(per * len(group))
        every = cfg.checkpoint_every
        if every and state.step_total // per // every > before // every and state.step < n:
            save_resume(run, state)
        run.budget.step_seconds = clock() - t_step
        run.budget.steps += 1
        if state.step < n and cfg.max_minutes is not None and not agree(run.budget.allows()):
            cut = True
            break
    bar.close()
    return cut, time.perf_counter() - t0, units_epoch


def _groups(batches: Iterator[Any], k: int, count: int) -> Iterator[list]:
    """The first ``count`` of ``batches`` in consecutive groups of ``k`` (the last one may be shorter)."""
    group: list = []
    for i, batch in enumerate(batches):
        if i >= count:
            break
        group.append(batch)
        if len(group) == k:
            yield group
            group = []
    if group:
        yield group


def _optimizer_step(run: Run, state: LoopState, group: list, dev: torch.device) -> tuple[float, int]:
    """One optimizer step on ``group``: each batch's loss ÷ ``len(group)`` back-propagated, the gradients
    added up (``--accumulate``), clipped, applied. Under DDP the gradients are exchanged once, during the
    last batch's backward (the others run under ``no_sync``). Returns (Σ loss × units, Σ units)."""
    cfg, optimizer = run.cfg, run.optimizer
    optimizer.zero_grad(set_to_none=True)
    loss_sum, units_sum = 0.0, 0
    for i, batch in enumerate(group):
        skip_sync = i < len(group) - 1 and hasattr(run.step, "no_sync")
        with run.step.no_sync() if skip_sync else contextlib.nullcontext():
            with autocast(dev, cfg.precision):  # training forward only; evaluation stays float32
                loss, units = run.step(batch)
            if not torch.isfinite(loss):
                raise ConfigError(f"training diverged: the loss became {loss.item()} at epoch {state.epoch + 1} "
                                  f"step {state.step + 1}; the learning rate (--lr "
                                  f"{optimizer.param_groups[0]['lr']:g}) is probably too high: lower it or set --clip")
            (loss / len(group) if len(group) > 1 else loss).backward()
        loss_sum += loss.item() * units
        units_sum += units
    if cfg.clip:
        nn.utils.clip_grad_norm_(run.model.parameters(), cfg.clip)
    optimizer.step()
    return loss_sum, units_sum


def _anneal_fraction(run: Run, state: LoopState) -> float:
    """The part of ``cfg.anneal_minutes`` spent by all invocations so far (0 without it); rank 0's figure."""
    if run.cfg.anneal_minutes is None:
        return 0.0
    spent = (state.elapsed + run.budget.elapsed() - run.counted) / (60.0 * run.cfg.anneal_minutes)
    return broadcast_number(spent) if world_size() > 1 else spent


def _my_batches(batches: Iterator[Any], per: int) -> Iterator[Any]:
    """This rank's batch of each group of ``per`` consecutive batches (all of them when ``per == 1``)."""
    if per == 1:
        yield from batches
        return
    me = rank()
    group = []
    for b in batches:
        group.append(b)
        if len(group) == per:
            yield group[me]
            group = []


def _reduce_running(run: Run, state: LoopState) -> None:
    """Add every rank's loss sums since the last call to ``state`` (the state stays global)."""
    loss, units = all_sum(run.pending)
    state.run_loss += loss
    state.run_units += int(units)
    run.pending = [0.0, 0.0]


def evaluate(run: Run, state: LoopState) -> dict[str, float]:
    """The task's validation metrics (no grad, eval mode), as rank 0 computed them; times the evaluation."""
    t = clock()
    run.model.eval()
    with torch.no_grad():
        metrics = dict(run.task.evaluate(run.model) or {})
    run.model.train()
    metrics = broadcast_object(metrics)
    state.eval_seconds = run.budget.eval_seconds = clock() - t
    return metrics


def end_epoch(run: Run, state: LoopState, metrics: dict, *, partial: bool, seconds: float, units: int) -> str:
    """Record the epoch's history row, keep the best model, step the plateau schedule, persist.

    Returns how training goes on: ``"completed"`` (continue), ``"early_stop"``, ``"time_budget"``, ``"dry_run"``.
    """
    cfg = run.cfg
    _reduce_running(run, state)
    units = all_sum([units])[0]
    unit = getattr(run.task, "unit", "it")
    train_loss = state.run_loss / max(state.run_units, 1)
    row = {"epoch": state.epoch + 1, "steps": state.step, "train_loss": train_loss,
           "lr": run.optimizer.param_groups[0]["lr"], "seconds": round(seconds, 3),
           f"{unit}_per_s": round(units / max(seconds, 1e-9), 1)}
    if getattr(run.task, "perplexity", False):
        row["train_ppl"] = math.exp(min(train_loss, 50))
    row.update(metrics)
    if partial:
        row["partial"] = True
    monitored = metrics.get(cfg.monitor, train_loss if cfg.monitor in ("loss", "train_loss") else None)
    if monitored is None:
        raise ConfigError(f"monitor {cfg.monitor!r} is not among the evaluation metrics {sorted(metrics)}")
    row["monitor"] = monitored
    state.history.append(row)
    log.info("epoch %d: %s", state.epoch + 1, {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
    if _improved(monitored, state.best, cfg.mode):
        state.best, state.best_epoch = monitored, state.epoch + 1
        if run.restore_best:
            run.best_state = copy.deepcopy({k: v.detach().cpu() for k, v in run.model.state_dict().items()})
        save_best(run, state)
    if cfg.schedule == "plateau" and not partial:
        run.scheduler.step(monitored)
    stopped = "completed"
    if partial:
        stopped = "time_budget"  # --resume finishes this epoch where the budget stopped it (its row is then replaced)
    else:
        state.epoch += 1
        state.step = 0
    if cfg.early_stop is not None and state.best_epoch is not None \
            and state.epoch - state.best_epoch >= cfg.early_stop and not partial:
        stopped = "early_stop"
    if cfg.dry_run:
        stopped = "dry_run"
    save_resume(run, state)
    save_history(run, state)
    if stopped == "completed" and state.epoch < run.epochs and cfg.max_minutes is not None \
            and not agree(run.budget.allows()):
        stopped = "time_budget"
    return stopped


def save_resume(run: Run, state: LoopState) -> None:
    """Write the resumable checkpoint (main process only; every process must call it)."""
    if run.out is None:
        return
    _reduce_running(run, state)
    now = run.budget.elapsed()
    state.elapsed += now - run.counted
    run.counted = now
    state.task = run.task.state_dict() if hasattr(run.task, "state_dict") else {}
    rngs = gather_objects(rng_state()) if world_size() > 1 else []
    if not is_main():
        return
    save_checkpoint(
        resume_path(run.out), kind=run.kind, config=run.model_config or {}, vocab=run.vocab,
        state_dict=run.model.state_dict(), optimizer=run.optimizer.state_dict(),
        scheduler=run.scheduler.state_dict() if run.scheduler else None,
        progress={**state.to_dict(), "train_config": asdict(run.cfg), "rngs": rngs, "world_size": world_size()},
        rng=rng_state(), extra=run.extra)


def save_best(run: Run, state: LoopState) -> None:
    """Write the best-model checkpoint ``run.out`` (main process only)."""
    if run.out is None or not is_main():
        return
    save_checkpoint(run.out, kind=run.kind, config=run.model_config or {}, vocab=run.vocab,
                    state_dict=run.model.state_dict(),
                    progress={"epoch": state.best_epoch, "best": state.best, "monitor": run.cfg.monitor},
                    extra=run.extra)


def save_history(run: Run, state: LoopState) -> None:
    """Write ``history_path(run.out)`` (main process only)."""
    if run.out is not None and is_main():
        atomic_write_text(history_path(run.out), json.dumps(state.history, indent=1))
