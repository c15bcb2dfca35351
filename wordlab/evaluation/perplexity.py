"""Perplexity: ``exp`` of the mean negative log-likelihood of every target token.

    PPL = exp( -1/N · Σ_t log p(w_t | w_<t) )

The text is evaluated the standard way (PyTorch example, Zaremba et al.): ``batchify`` into
``batch_size`` streams, BPTT windows of ``bptt`` tokens, the recurrent state carried (never
reset) across the whole text. Targets are every token of each stream but its first, ``<eos>``
included; with ``batch_size=1`` that is every token of the text but the first.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..layers.recurrent import detach_state


@torch.no_grad()
def _carried(model: nn.Module, forward, ids: np.ndarray | torch.Tensor, batch_size: int, bptt: int,
             limit: int | None):
    """The evaluation pass: ``forward(x, state) -> (out, state)`` over every BPTT window with the state carried;
    yields ``(out, y)`` per window (``y`` (B, t): the next tokens), the model in eval mode meanwhile."""
    from ..lm.data import batchify, bptt_windows  # here: wordlab.lm imports this module

    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    data = batchify(ids, batch_size).to(dev)  # (B, L)
    state = None
    try:
        for k, (x, y) in enumerate(bptt_windows(data, bptt)):
            if limit is not None and k >= limit:
                break
            out, state = forward(x, state)
            state = detach_state(state)
            yield out, y
    finally:
        model.train(was_training)


@torch.no_grad()
def nll(model: nn.Module, ids: np.ndarray | torch.Tensor, batch_size: int = 10, bptt: int = 35,
        limit: int | None = None) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) and the number of target tokens it covers.

    ``limit`` caps the number of windows (for quick checks, e.g. a dry run).
    """
    total, count = 0.0, 0
    for logits, y in _carried(model, model, ids, batch_size, bptt, limit):  # logits (B, t, V)
        total += F.cross_entropy(logits.transpose(0, 1).reshape(-1, logits.size(-1)), y.t().reshape(-1),
                                 reduction="sum").item()  # time-major: no copy of the logits
        count += y.numel()
    return total, count


@torch.no_grad()
def hidden_chunks(model: nn.Module, ids: np.ndarray | torch.Tensor, batch_size: int = 10, bptt: int = 35,
                  limit: int | None = None):
    """The same pass as :func:`nll`, yielding per window ``(h (B, t, D), y (B, t), log p(y) (B, t))``: the
    model's hidden states (its ``features``), next tokens and their log-probabilities (for
    :mod:`wordlab.lm.cache`)."""
    for h, y in _carried(model, model.features, ids, batch_size, bptt, limit):
        logp = torch.log_softmax(model.output(h).float(), dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)
        yield h, y, logp


def perplexity(model: nn.Module, ids: np.ndarray | torch.Tensor, batch_size: int = 10, bptt: int = 35) -> float:
    """``exp`` of the mean NLL per target token of ``ids`` under ``model`` (see the module docstring)."""
    total, count = nll(model, ids, batch_size=batch_size, bptt=bptt)
    return math.exp(total / count)
