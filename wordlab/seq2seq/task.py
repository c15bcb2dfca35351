"""Training a :class:`Seq2Seq` with the shared loop (:func:`wordlab.training.fit`) through a ``Task``."""

from __future__ import annotations

import math
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from .data import Batch, batch_indices, make_batch

IdPairs = Sequence[tuple[np.ndarray, np.ndarray]]  # (source ids, target ids) per sentence pair


class Seq2SeqTask:
    """Length-bucketed, seeded batches of encoded pairs (``seed + epoch`` shuffles each epoch).

    ``evaluate`` reports the validation loss / perplexity per target token (when there is a
    validation set) plus whatever ``metrics(model)`` returns (e.g. accuracy and BLEU by decoding).
    """

    unit = "tok"
    perplexity = True

    def __init__(self, train: IdPairs, valid: IdPairs | None = None, batch_size: int = 128, seed: int = 0,
                 metrics: Callable[[nn.Module], dict] | None = None) -> None:
        self.train, self.valid = train, valid or []
        self.batch_size, self.seed, self.metrics = batch_size, seed, metrics
        self.lengths = np.array([len(s) for s, _ in train])

    def num_batches(self, epoch: int) -> int:
        return math.ceil(len(self.train) / self.batch_size)

    def batches(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        order = batch_indices(self.lengths, self.batch_size, seed=self.seed + epoch)
        for idx in order[start:]:
            yield make_batch(self.train, idx)

    def train_step(self, model: nn.Module, batch: Batch) -> tuple[torch.Tensor, int]:
        return model.loss(batch)

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.valid:
            total, tokens = 0.0, 0
            lengths = [len(s) for s, _ in self.valid]
            for idx in batch_indices(lengths, 512):
                loss, n = model.loss(make_batch(self.valid, idx))
                total += loss.item() * n
                tokens += n
            out["valid_loss"] = total / max(tokens, 1)
            out["valid_ppl"] = math.exp(min(out["valid_loss"], 50))
        if self.metrics is not None:
            out.update(self.metrics(model))
        return out

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass
