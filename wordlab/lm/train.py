"""Training a language model with the shared loop :func:`wordlab.training.fit`.

:class:`LMTask` is the ``Task`` the loop drives: truncated-BPTT windows over the batchified
training stream, the hidden state carried from window to window (detached), and reset only at
the start of an epoch. The carried state is part of :meth:`LMTask.state_dict`, so a run killed
mid-epoch and resumed continues from exactly the same state.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field, replace
from typing import Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..atomic import check_output
from ..checkpoint import load_checkpoint
from ..distributed import all_sum, gather_along, init_from_env, split_along, world_size
from ..errors import CheckpointError, ConfigError
from ..tensor import check_model_memory, device as get_device
from ..training import FitResult, TrainConfig, fit, resume_path
from ..layers.recurrent import detach_state, state_from_plain, state_to_plain
from .config import TRAIN_DEFAULTS, LMConfig, LMDataConfig
from .data import LMData, batchify, bptt_windows, load_lm_data, num_windows
from .arch import build_language_model, make_lm_task
from .evaluate import text_nll
from .model import RNNLanguageModel
from ..evaluation.perplexity import nll

log = logging.getLogger(__name__)


class LMTask:
    """BPTT batches of one id stream for :func:`wordlab.training.fit` (unit: tokens).

    Parameters
    ----------
    train, valid: id arrays (``valid`` may be ``None``: no validation metrics).
    batch_size, bptt: training streams and window length.
    eval_batch_size: streams for validation (10, as in the PyTorch example).
    eval_limit: at most this many validation windows (``None``: the whole text).

    In a process group (torchrun) each rank trains on its ``batch_size / world_size`` consecutive streams
    (``batch_size`` must divide), so N ranks together see exactly the single-process batch; validation
    streams are shared out the same way and the sums reduced. The carried hidden state is gathered to
    full ``batch_size`` rows in :meth:`state_dict`, so a run resumes on any number of ranks that divides it.
    """

    unit = "tok"
    perplexity = True
    shards = True  # batches are this rank's share of the global batch (see wordlab.loop.start_run)

    def __init__(self, train: np.ndarray, valid: np.ndarray | None, *, batch_size: int = 20, bptt: int = 35,
                 eval_batch_size: int = 10, eval_limit: int | None = None, lstm: bool = True,
                 device: torch.device | str = "cpu") -> None:
        self.dev = torch.device(device)
        init_from_env()
        if batch_size % world_size():
            raise ConfigError(f"batch size {batch_size} must be divisible by the number of processes "
                              f"({world_size()}): each trains on an equal share of the streams")
        self.data = split_along(batchify(train, batch_size), 0).to(self.dev)  # (B / world_size, L)
        self.valid = valid
        self.bptt = bptt
        self.eval_batch_size = eval_batch_size
        self.eval_limit = eval_limit
        self.lstm = lstm
        self.state = None

    def num_batches(self, epoch: int) -> int:
        return num_windows(self.data, self.bptt)

    def batches(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if start == 0:
            self.state = None  # each epoch starts from the zero state
        yield from bptt_windows(self.data, self.bptt, start)

    def train_step(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, int]:
        x, y = batch  # (B, t), (B, t)
        logits, state = model(x, self.state)  # (B, t, V)
        self.state = detach_state(state)
        # time-major (free: the model's logits are a view of a (t, B, V) tensor); float32 softmax under bf16
        loss = F.cross_entropy(logits.transpose(0, 1).reshape(-1, logits.size(-1)).float(), y.t().reshape(-1))
        return loss, y.numel()

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if self.valid is None:
            return {}
        if world_size() == 1:
            total, count = nll(model, self.valid, batch_size=self.eval_batch_size, bptt=self.bptt,
                               limit=self.eval_limit)
        else:  # this rank's validation streams: batchify of their concatenation gives them back as rows
            mine = split_along(batchify(self.valid, self.eval_batch_size), 0)  # (≤ ceil(B / world), L)
            total, count = nll(model, mine.reshape(-1), batch_size=mine.size(0), bptt=self.bptt,
                               limit=self.eval_limit) if mine.size(0) else (0.0, 0)
            total, count = all_sum([total, count])
        loss = total / count
        return {"valid_loss": loss, "valid_ppl": math.exp(loss)}

    def state_dict(self) -> dict:
        return {"hidden": state_to_plain(gather_along(self.state, 1))}  # (layers, B, H): all ranks' streams

    def load_state_dict(self, state: dict) -> None:
        self.state = split_along(state_from_plain(state.get("hidden"), self.lstm, self.dev), 1)


@dataclass
class LMTrainResult:
    """What :func:`train_language_model` returns."""

    model: RNNLanguageModel
    fit: FitResult
    metrics: dict = field(default_factory=dict)
    data: LMData | None = None  # the encoded text and its vocabulary


def train_language_model(
    data: LMData | str | os.PathLike | list,
    model_cfg: LMConfig | None = None,
    train_cfg: TrainConfig | None = None,
    *,
    valid: str | os.PathLike | list | None = None,
    test: str | os.PathLike | list | None = None,
    data_cfg: LMDataConfig | None = None,
    batch_size: int | None = None,
    bptt: int | None = None,
    eval_batch_size: int | None = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    device: str | torch.device = "auto",
    extra: dict | None = None,
    progress: bool | None = None,
) -> LMTrainResult:
    """Train an :class:`RNNLanguageModel` on ``data.train``; validate on ``data.valid`` each epoch.

    ``data``: an :class:`LMData`, or the training file(s) — then ``valid`` / ``test`` files and
    ``data_cfg`` (``<eos>``, vocabulary cut-offs, batch and BPTT sizes) say how to read them; what
    ``wordlab lm train`` does::

        train_language_model("ptb.train.txt", LMConfig(), valid="ptb.valid.txt", out="lm.pt")

    ``model_cfg`` defaults to ``LMConfig()`` (its ``vocab_size=0`` is taken from the data);
    ``train_cfg`` to ``TrainConfig(**TRAIN_DEFAULTS)``. The best model (lowest validation loss, or
    training loss without ``valid``) is written to ``out`` and restored at the end; ``metrics`` then
    holds ``valid_ppl`` / ``test_ppl`` of it. ``resume`` continues from ``out``'s ``.resume.pt``,
    which must hold the same vocabulary and config.
    """
    data_cfg = data_cfg or LMDataConfig()
    batch_size = batch_size or data_cfg.batch_size
    bptt = bptt or data_cfg.bptt
    eval_batch_size = eval_batch_size or data_cfg.eval_batch_size
    model_cfg = model_cfg or LMConfig()
    train_cfg = train_cfg or TrainConfig(**TRAIN_DEFAULTS)
    if min(batch_size, bptt, eval_batch_size) < 1:
        raise ConfigError("batch_size, bptt and eval_batch_size must be >= 1")
    if not isinstance(data, LMData):
        files = [data] if isinstance(data, (str, os.PathLike)) else list(data)
        if out is not None:
            check_output(out, [*files, *_paths(valid), *_paths(test)], binary=True, what="model file")
        if data_cfg.tokenizer == "bpe":
            if not data_cfg.eos:
                raise ConfigError("--tokenizer bpe reads one line at a time and ends each with <eos>; drop --no-eos")
            from .subword import load_bpe_lm_data

            data = load_bpe_lm_data(files, valid, test, vocab_size=data_cfg.vocab_size)
        else:
            data = load_lm_data(files, valid, test, eos=data_cfg.eos, min_count=data_cfg.min_count,
                                max_size=data_cfg.max_vocab, progress=progress)
        extra = {"eos": data_cfg.eos, **(extra or {})}
    if data.tokenizer is not None:  # the checkpoint carries its tokenizer (validated when loaded)
        extra = {"tokenizer": data.tokenizer.to_json(), **(extra or {})}
    if model_cfg.vocab_size == 0:
        model_cfg = replace(model_cfg, vocab_size=len(data.vocab))
    dev = get_device(device)
    if model_cfg.vocab_size != len(data.vocab):
        raise CheckpointError(f"model config has vocab_size {model_cfg.vocab_size} but the vocabulary has "
                              f"{len(data.vocab)} words")
    if resume:
        _check_resumable(out, data, model_cfg)
    width = getattr(model_cfg, "hidden_size", 0) or getattr(model_cfg, "dim", 0)  # activations: logits + states
    check_model_memory(lambda: build_language_model(model_cfg), "the language model",
                       activations=4 * 4 * (batch_size or 20) * (bptt or 35) * (model_cfg.vocab_size + 8 * width * model_cfg.layers))
    torch.manual_seed(train_cfg.seed)
    model = build_language_model(model_cfg).to(dev)
    dry = train_cfg.dry_run
    task = make_lm_task(model, data.train, data.valid, batch_size=batch_size, bptt=bptt,
                        eval_batch_size=eval_batch_size, eval_limit=dry, seed=train_cfg.seed, device=dev)
    monitor = "valid_loss" if data.valid is not None else "loss"
    if train_cfg.monitor != monitor:
        train_cfg = replace(train_cfg, monitor=monitor)
    extra = {"batch_size": batch_size, "bptt": bptt, **(extra or {})}
    result = fit(model, task, train_cfg, out=out, kind="lm", model_config=model_cfg, vocab=data.vocab,
                 extra=extra, resume=resume, restore_best=True, progress=progress)
    metrics: dict = {}
    limit = dry
    for name, ids in (("valid", data.valid), ("test", data.test)):
        if ids is not None:
            total, count = text_nll(model, ids, batch_size=eval_batch_size, bptt=bptt, limit=limit)
            metrics[f"{name}_ppl"] = math.exp(total / count)
            metrics[f"{name}_tokens"] = count
    return LMTrainResult(model, result, metrics, data)


def _paths(files: str | os.PathLike | list | None) -> list:
    return [] if files is None else ([files] if isinstance(files, (str, os.PathLike)) else list(files))


def _check_resumable(out: str | os.PathLike | None, data: LMData, model_cfg: LMConfig) -> None:
    if out is None:
        return
    path = resume_path(out)
    ck = load_checkpoint(path, kind="lm")
    words = (ck.get("vocab") or {}).get("words")
    if words != data.vocab.itos:
        n = len(words) if isinstance(words, list) else 0
        raise CheckpointError(f"{path}: was trained with another vocabulary ({n} words) than the training files "
                              f"give now ({len(data.vocab)}); resume with the same --train files and options")
    saved = ck.get("config") or {}
    now = {k: v for k, v in model_cfg.__dict__.items()}
    diff = sorted(k for k in now if saved.get(k) != now[k])
    if diff:
        raise CheckpointError(f"{path}: was trained with other model options ({', '.join(diff)} differ); "
                              f"resume with the same options")
