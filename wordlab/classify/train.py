"""Training a sentence classifier with the shared loop (:func:`wordlab.training.fit`).

Batches are length-bucketed: each epoch shuffles the examples (seeded with ``seed + epoch``),
cuts them into pools of ``pool`` batches, sorts each pool by length and shuffles the batch
order, so a batch pads little but the order still changes every epoch::

    epoch e: permute(n) ─► [pool 0: sort by length ─► b0 b1 … b99] [pool 1 …] ─► shuffle batches

Each batch is padded with id 0 to its longest sentence; models mask by length, so padding
never changes a prediction. Before every step, and before evaluation, Kim's max-norm
projection is applied to the output layer (so every evaluated and saved model satisfies it).
"""

from __future__ import annotations

import logging
import math
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..batching import length_batches, pad
from ..errors import ConfigError
from ..evaluation.classification import accuracy
from ..layers.embedding import embedding_matrix
from ..tensor import check_model_memory, device as get_device
from ..text import PAD, UNK, Vocabulary
from ..training import FitResult, TrainConfig, fit
from .data import LabelledTexts
from .models import ClassifierConfig, SentenceClassifier

log = logging.getLogger(__name__)

__all__ = ["build_vocab", "pretrained_weights", "encode_texts", "pad_batch", "ClassificationTask", "split_dev",
           "predict_proba", "train_classifier"]

KIND = "classifier"


def build_vocab(texts: Sequence[list[str]], min_count: int = 1) -> Vocabulary:
    """Vocabulary of ``texts`` with ``<pad>`` = 0 and ``<unk>`` = 1."""
    return Vocabulary.build(iter(texts), min_count=min_count, specials=(PAD, UNK))


def pretrained_weights(vocab: Vocabulary, vectors, dim: int | None = None, seed: int = 0,
                       standardize: bool = False) -> tuple[np.ndarray, float]:
    """Embedding table for ``vocab`` from a ``KeyedVectors`` (OOV rows ``U(±0.25)``, ``<pad>`` zero) and the
    fraction of non-special words found in the vectors (``standardize``: see ``embedding_matrix``).
    Subword vectors (fastText) give every word outside their vocabulary its n-gram vector; the
    special tokens (``<unk>``) keep a random row."""
    matrix, found = embedding_matrix(vocab.itos, vectors, dim, seed=seed, padding_idx=0, standardize=standardize)
    rand, _ = embedding_matrix(vocab.itos, None, matrix.shape[1], seed=seed, padding_idx=0)
    special = set(vocab.specials)
    specials = np.array([w in special for w in vocab.itos], dtype=bool)
    matrix[specials], found[specials] = rand[specials], False
    words = len(vocab) - int(specials.sum())
    known = sum(1 for w in vocab.itos if w not in special and w in vectors.key_to_index)
    coverage = float(found.sum()) / max(words, 1)
    log.info("vectors cover %d of %d vocabulary words (%.1f%%; %d from character n-grams); the rest start "
             "uniform in ±0.25", int(found.sum()), words, 100 * coverage, int(found.sum()) - known)
    return matrix, coverage


def encode_texts(texts: Sequence[list[str]], vocab: Vocabulary) -> list[np.ndarray]:
    """Token lists → id arrays (unknown words → ``<unk>``)."""
    return [vocab.encode(t, unknown="unk") for t in texts]


def pad_batch(seqs: Sequence[np.ndarray], dev: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Id arrays → ``(ids (B, T) int64 padded with 0, lengths (B,) int64)``."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    if lengths.min(initial=1) < 1:
        raise ConfigError("cannot classify an empty sentence")
    return pad(seqs).to(dev), torch.from_numpy(lengths).to(dev)


class ClassificationTask:
    """:class:`wordlab.training.Task` for classification; evaluates ``dev_acc`` / ``dev_loss`` on a dev split."""

    unit = "sent"
    perplexity = False

    def __init__(self, ids: Sequence[np.ndarray], labels: np.ndarray, *, dev_ids: Sequence[np.ndarray] = (),
                 dev_labels: np.ndarray | None = None, batch_size: int = 50, pool: int = 100, seed: int = 0,
                 device: torch.device | None = None) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch size must be >= 1, got {batch_size}")
        self.ids, self.labels = list(ids), torch.as_tensor(np.asarray(labels), dtype=torch.long)
        self.lengths = np.fromiter((len(s) for s in self.ids), dtype=np.int64, count=len(self.ids))
        self.dev_ids, self.dev_labels = list(dev_ids), dev_labels
        self.batch_size, self.pool, self.seed = batch_size, pool, seed
        self.device = device or torch.device("cpu")

    def num_batches(self, epoch: int) -> int:
        return math.ceil(len(self.ids) / self.batch_size)

    def batches(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        rng = np.random.default_rng(self.seed + epoch)
        for idx in length_batches(self.lengths, self.batch_size, rng, self.pool)[start:]:
            ids, lengths = pad_batch([self.ids[i] for i in idx], self.device)
            yield ids, lengths, self.labels[idx].to(self.device)

    def train_step(self, model: nn.Module, batch) -> tuple[torch.Tensor, int]:
        ids, lengths, y = batch
        model.apply_max_norm()
        return F.cross_entropy(model(ids, lengths), y), len(y)

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        model.apply_max_norm()
        if not self.dev_ids:
            return {}
        probs = predict_proba(model, self.dev_ids)
        y = np.asarray(self.dev_labels)
        loss = float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None)).mean())
        return {"dev_acc": accuracy(y, probs.argmax(1)), "dev_loss": loss}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


@torch.no_grad()
def predict_proba(model: nn.Module, ids: Sequence[np.ndarray], batch_size: int = 500) -> np.ndarray:
    """Class probabilities ``(N, K)`` (softmax of the logits), in eval mode, batched by length."""
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    order = np.argsort([len(s) for s in ids], kind="stable")
    out: np.ndarray | None = None
    for p in range(0, len(order), batch_size):
        idx = order[p:p + batch_size]
        x, lengths = pad_batch([ids[i] for i in idx], dev)
        probs = torch.softmax(model(x, lengths).float(), dim=-1).cpu().numpy()
        if out is None:
            out = np.zeros((len(ids), probs.shape[1]), dtype=np.float32)
        out[idx] = probs
    model.train(was_training)
    return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def split_dev(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of ``range(n)`` into ``(train, dev)`` with ``round(fraction · n)`` dev examples."""
    if not 0.0 <= fraction < 1.0:
        raise ConfigError(f"dev fraction must be in [0, 1), got {fraction}")
    order = np.random.default_rng(seed).permutation(n)
    k = int(round(fraction * n))
    return np.sort(order[k:]), np.sort(order[:k])


def train_classifier(
    data: LabelledTexts,
    vocab: Vocabulary,
    config: ClassifierConfig,
    train_config: TrainConfig,
    *,
    weights: np.ndarray | None = None,
    dev: LabelledTexts | None = None,
    dev_fraction: float = 0.1,
    batch_size: int = 50,
    out: str | None = None,
    progress: bool | None = None,
    device: str | torch.device = "auto",
) -> tuple[SentenceClassifier, FitResult]:
    """Train on ``data`` with early stopping on ``dev`` (default: a seeded ``dev_fraction`` of ``data``).

    With ``train_config.monitor == "dev_acc"`` (and ``mode="max"``) the best dev epoch is restored.
    ``out`` writes the best model as a ``"classifier"`` checkpoint with vocabulary and label names.
    """
    if len(set(data.labels.tolist())) < 2:
        present = sorted({data.label_names[i] for i in data.labels})
        raise ConfigError(f"training data has only the label(s) {present}; a classifier needs at least two")
    config = config.resolve(weights)  # the checkpoint stores decided values, never None
    if dev is None and dev_fraction > 0:
        tr, dv = split_dev(len(data), dev_fraction, train_config.seed)
        data, dev = data.subset(tr), data.subset(dv)
    dev_ = get_device(device)
    check_model_memory(lambda: SentenceClassifier(config, weights), "the classifier")
    torch.manual_seed(train_config.seed)
    model = SentenceClassifier(config, weights).to(dev_)
    task = ClassificationTask(encode_texts(data.texts, vocab), data.labels,
                              dev_ids=encode_texts(dev.texts, vocab) if dev is not None else (),
                              dev_labels=dev.labels if dev is not None else None,
                              batch_size=batch_size, seed=train_config.seed, device=dev_)
    if dev is None and train_config.monitor.startswith("dev_"):
        raise ConfigError(f"monitor {train_config.monitor!r} needs a dev split; give dev data or dev_fraction > 0")
    result = fit(model, task, train_config, out=out, kind=KIND, model_config=config, vocab=vocab,
                 extra={"labels": list(data.label_names)}, restore_best=True, progress=progress)
    return model, result
