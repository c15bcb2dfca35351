"""The one training loop shared by the neural models (language model, seq2seq, classifiers).

Not a framework: a model supplies a small :class:`Task` (how to iterate batches, how to
turn one batch into a loss, how to evaluate), and :func:`fit` does the rest —
optimizer, gradient clipping (``torch.nn.utils.clip_grad_norm_``), learning-rate
schedule, tqdm bar (loss / perplexity / units·s⁻¹ / ETA), evaluation each epoch,
best-model checkpoint, resumable checkpoints, history as JSON, a time budget and a
``dry_run`` mode for CI.

The loop is in parts, in :mod:`wordlab.loop`: ``start_run`` (optimizer, schedule, budget),
``resume_state``, ``train_epoch``, ``evaluate``, ``end_epoch`` (history row, best model, plateau, stop
decision) and the writers ``save_resume`` / ``save_best`` / ``save_history``. Files and
the progress bar come only from the main process (:func:`wordlab.distributed.is_main`); decisions
(time budget) are rank 0's, broadcast to the others.

Resume is exact: the resumable checkpoint holds the model, optimizer, scheduler, every
RNG state and a :class:`LoopState` — the position ``(epoch, step)``, the task's carried state
(e.g. an LM's hidden state), the history — which counts globally and so does not depend on the
number of processes. A task must therefore produce the same batches for the same
``epoch`` (seed its shuffling with ``seed + epoch``, never with the global RNG); then a run
killed at any point and resumed ends with the same weights as an uninterrupted one.

Checkpoint files, for ``out="lm.pt"``::

    lm.pt               best model so far (weights + config + vocab; what `eval`/`generate` load)
    lm.resume.pt        last training state (written every ``checkpoint_every`` steps and each epoch)
    lm.history.json     one row per epoch
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Protocol

import torch
from torch import nn

from .distributed import translate_errors
from .errors import ConfigError
from .loop import (LoopState, Run, end_epoch, evaluate, history_path, resume_path, resume_state,  # noqa: F401
                   start_run, train_epoch)
from .optim import make_optimizer, make_scheduler, scheduled_lr  # noqa: F401
from .tensor import check_precision

log = logging.getLogger(__name__)

OPTIMIZERS = ("sgd", "adam", "adamw", "adadelta")
SCHEDULES = ("none", "plateau", "cosine", "inverse_sqrt")
#: the learning rate ``TrainConfig(lr=None)`` takes for each optimizer (Adadelta: Zeiler 2012 / Kim 2014's 1.0)
DEFAULT_LR = {"sgd": 0.1, "adam": 1e-3, "adamw": 1e-3, "adadelta": 1.0}


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of :func:`fit`.

    ``schedule="plateau"`` divides the learning rate by ``lr_decay`` when the monitored
    validation metric has not improved for ``patience + 1`` epochs (the PyTorch
    word-language-model example anneals by 4 after every epoch without improvement);
    ``"cosine"`` anneals from ``lr`` to ``min_lr`` over all steps (Loshchilov & Hutter 2017);
    ``"inverse_sqrt"`` is ``lr · √(warmup / step)`` after the warm-up (Vaswani et al. 2017 §5.3, peak
    ``lr``). ``warmup`` steps first raise the rate linearly from ``lr / warmup`` to ``lr`` (cosine then
    anneals over the remaining steps).
    ``anneal_minutes`` makes the run's length a time budget instead of a number of epochs (for
    comparisons at equal training time, as Geiping & Goldstein 2023 "Cramming"): the cosine schedule
    follows whichever is further along, the steps or the minutes spent by all invocations together
    (evaluations included), and training stops when the minutes are spent. ``max_minutes`` still bounds
    each invocation, so a budgeted run can be cut into segments with ``resume`` (a validation figure
    after each). The rate then depends on the machine's speed: such a run is not reproducible step for step.
    ``precision="bf16"`` runs the training forward pass under bfloat16 autocast
    (:func:`wordlab.tensor.autocast`); evaluation is always float32. ``lr=None`` takes the
    optimizer's :data:`DEFAULT_LR`; ``clip=0`` is ``None`` (no clipping). Each field's ``metadata``
    is its command-line flag (:mod:`wordlab.cli.configargs`); a model's own training defaults
    (e.g. :data:`wordlab.lm.config.TRAIN_DEFAULTS`) are overrides of these.
    """

    epochs: int = field(default=10, metadata={"help": "passes over the training data", "aliases": ("--iter",)})
    optimizer: str = field(default="adam", metadata={"help": "optimizer", "choices": OPTIMIZERS})
    lr: float | None = field(default=None, metadata={
        "help": "learning rate (none = the optimizer's default: " + ", ".join(f"{k} {v:g}" for k, v in
                                                                              DEFAULT_LR.items()) + ")"})
    weight_decay: float = field(default=0.0, metadata={"help": "weight decay"})
    momentum: float = field(default=0.0, metadata={"help": "SGD momentum"})
    clip: float | None = field(default=None, metadata={"help": "gradient norm clip (none or 0 = off)"})
    accumulate: int = field(default=1, metadata={
        "help": "batches whose gradients add up to one optimizer step (a k times larger batch in the memory of "
                "one; under torchrun the processes exchange gradients once per optimizer step)"})
    schedule: str = field(default="none", metadata={
        "help": "learning-rate schedule: divide by --lr-decay when validation stops improving (plateau), "
                "cosine, or none", "choices": SCHEDULES})
    lr_decay: float = field(default=4.0, metadata={"help": "plateau divisor"})
    patience: int = field(default=0, metadata={"help": "epochs without improvement before dividing"})
    min_lr: float = field(default=0.0, metadata={"help": "final learning rate of the cosine schedule"})
    warmup: int = field(default=0, metadata={
        "help": "linear learning-rate warm-up over this many steps (cosine, inverse_sqrt; Vaswani et al. 2017 use 4000)"})
    early_stop: int | None = field(default=None, metadata={
        "help": "stop after this many epochs without improvement (none = never)"})
    monitor: str = field(default="loss", metadata={"cli": False})
    mode: str = field(default="min", metadata={"cli": False})
    max_minutes: float | None = field(default=None, metadata={"help": "stop training after this many minutes"})
    anneal_minutes: float | None = field(default=None, metadata={
        "help": "a time budget for the whole run (resumes included): the cosine schedule anneals over these "
                "minutes (or over the epochs, if they end first) and training stops when they are spent"})
    dry_run: int | None = field(default=None, metadata={
        "help": "train only a few steps (bare flag: 3) and validate on as many batches, for CI", "const": 3,
        "metavar": "STEPS"})
    checkpoint_every: int = field(default=0, metadata={
        "help": "write the .resume.pt every N steps (0 = each epoch only)"})
    seed: int = field(default=0, metadata={"help": "random seed"})
    precision: str = field(default="fp32", metadata={
        "help": "training arithmetic: bf16 autocast is ~1.9x faster on CPUs with AVX512-BF16 and on CUDA; "
                "weights and evaluation stay float32", "choices": ("fp32", "bf16")})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        if self.lr is None and self.optimizer in DEFAULT_LR:
            object.__setattr__(self, "lr", DEFAULT_LR[self.optimizer])
        if self.clip == 0:
            object.__setattr__(self, "clip", None)
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
        if self.anneal_minutes is not None and not self.anneal_minutes > 0:
            raise ConfigError(f"--anneal-minutes must be > 0, got {self.anneal_minutes}")
        if self.warmup < 0:
            raise ConfigError(f"warmup must be >= 0 steps, got {self.warmup}")
        if self.accumulate < 1:
            raise ConfigError(f"accumulate must be >= 1 batches per optimizer step, got {self.accumulate}")
        if self.schedule == "inverse_sqrt" and self.warmup < 1:
            raise ConfigError("the inverse_sqrt schedule needs --warmup >= 1 steps (its peak is at the end of warm-up)")
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

    Under torchrun (:mod:`wordlab.distributed`) every process runs the same task: by default the
    loop deals its batches round-robin, one per process per step; a task whose batches are already
    this process's share of the global batch sets ``shards = True`` (the LM splits its streams).
    ``evaluate`` then runs on every process (rank 0's metrics are used) and ``state_dict`` must be
    callable on every process (it may gather across them).
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
    resume: continue from ``resume_path(out)`` (error if it does not exist). ``cfg.epochs`` may be
        raised (or lowered) on resume: the cosine schedule is then recomputed for the new total number
        of steps — from the step reached, the rate is the one a run started with the new ``epochs`` would
        use there (a raise after a finished cosine run therefore warms the rate back up).
        ``cfg.max_minutes`` counts only this invocation's time.
    restore_best: load the best weights (by ``cfg.monitor``) into ``model`` before returning.
    progress: a progress bar on stderr: ``None`` when stderr is a terminal, ``True`` always, ``False``
        never; only the main process (:func:`wordlab.distributed.is_main`) shows one.

    ``cfg.max_minutes`` bounds the whole call: training, the evaluation ending each epoch and the
    checkpoint writes. Training stops when one more step and the epoch's evaluation would not fit
    (estimated from the last step and the last evaluation); at least one step is taken per call, so
    repeated ``resume`` calls always make progress.
    """
    if resume and out is None:
        raise ConfigError("resume needs an output path (its .resume.pt file holds the training state)")
    with translate_errors():  # a lost process: one RankLost line, not a gloo/NCCL traceback
        run = start_run(model, task, cfg, out=out, kind=kind, model_config=model_config, vocab=vocab, extra=extra,
                        restore_best=restore_best, progress=progress)
        state = resume_state(run) if resume else LoopState()
        run.budget.eval_seconds = state.eval_seconds
        stopped = "completed"
        while state.epoch < run.epochs and stopped == "completed":
            cut, seconds, units = train_epoch(run, state)
            metrics = evaluate(run, state)
            stopped = end_epoch(run, state, metrics, partial=cut, seconds=seconds, units=units)
    result = FitResult(history=state.history, best=state.best, best_epoch=state.best_epoch,
                       steps=state.step_total, stopped=stopped)
    if restore_best and run.best_state is not None:
        model.load_state_dict(run.best_state)
    return result
