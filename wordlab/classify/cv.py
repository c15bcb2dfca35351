"""Seeded (stratified) k-fold cross-validation of a sentence classifier — Kim's protocol for MR.

Kim 2014 evaluates MR, which has no standard split, by 10-fold cross-validation; in each
fold 10 % of the training part is held out as a dev set for early stopping, and the test
accuracy at the best dev epoch is reported. As in Kim's ``process_data.py`` the vocabulary
(and the embedding table built from it) covers every sentence of the data set: it uses no
labels, and words seen only in the test fold keep their pre-trained (or random) vectors.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np

from ..errors import ConfigError
from ..text import Vocabulary
from ..training import TrainConfig
from .data import LabelledTexts
from ..evaluation.classification import classification_report
from .models import ClassifierConfig
from .train import encode_texts, predict_proba, train_classifier

log = logging.getLogger(__name__)

__all__ = ["kfold_indices", "cross_validate"]


def kfold_indices(labels: np.ndarray, folds: int, seed: int = 0) -> list[np.ndarray]:
    """Stratified folds: each class is shuffled (seeded) and dealt round-robin, so every fold has
    (almost) the class proportions of the whole. Returns ``folds`` sorted index arrays."""
    labels = np.asarray(labels)
    if folds < 2 or folds > len(labels):
        raise ConfigError(f"folds must be between 2 and the number of examples ({len(labels)}), got {folds}")
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(folds)]
    offset = 0
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        for j, i in enumerate(idx):
            parts[(offset + j) % folds].append(int(i))
        offset += len(idx)
    return [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]


def cross_validate_texts(texts: list, labels: list, folds: int, fit, *, seed: int = 0, limit: int | None = None,
                         on_fold=None) -> dict:
    """k-fold accuracy of a linear text classifier: ``fit(train_texts, train_labels)`` returns a model with
    ``test(texts, labels) -> accuracy``. Folds are stratified on each example's (first) label, as
    :func:`kfold_indices` makes them; ``limit`` runs only the first folds; ``on_fold(k, accuracy, seconds)``
    after each. Returns ``{"folds", "accuracy", "accuracy_std", "per_fold", "train_seconds"}``."""
    first = [y if isinstance(y, str) else y[0] for y in labels]
    names = sorted(set(first))
    y = np.array([names.index(x) for x in first])
    accs, secs = [], []
    for k, test in enumerate(kfold_indices(y, folds, seed=seed)[:limit]):
        train = np.setdiff1d(np.arange(len(texts)), test)
        t0 = time.perf_counter()
        model = fit([texts[i] for i in train], [labels[i] for i in train])
        secs.append(time.perf_counter() - t0)
        accs.append(model.test([texts[i] for i in test], [labels[i] for i in test]))
        if on_fold is not None:
            on_fold(k, accs[-1], secs[-1])
    return {"folds": folds, "accuracy": float(np.mean(accs)), "accuracy_std": float(np.std(accs)),
            "per_fold": accs, "train_seconds": secs}


def cross_validate(data: LabelledTexts, vocab: Vocabulary, config: ClassifierConfig, train_config: TrainConfig,
                   *, folds: int = 10, run_folds: int | None = None, weights: np.ndarray | None = None,
                   seed: int = 0, dev_fraction: float = 0.1, batch_size: int = 50, progress: bool | None = None,
                   device: str = "auto", start_fold: int = 0) -> dict:
    """Train and test on each of ``folds`` seeded folds (only the first ``run_folds`` when given; from fold
    ``start_fold`` on, so a long run can be split into parts on the same folds and merged).

    Returns ``{"folds": [per-fold report], "accuracy": mean, "accuracy_std", "macro_f1": mean,
    "confusion": summed, "seconds_per_fold": mean, "folds_run", "folds_total"}``.
    """
    parts = kfold_indices(data.labels, folds, seed)
    if not 0 <= start_fold < folds:
        raise ConfigError(f"start fold must be in [0, {folds}), got {start_fold}")
    n_run = folds - start_fold if run_folds is None else max(1, min(run_folds, folds - start_fold))
    ids_all = encode_texts(data.texts, vocab)
    k = len(data.label_names)
    rows = []
    for f in range(start_fold, start_fold + n_run):
        test = parts[f]
        train = np.setdiff1d(np.arange(len(data)), test, assume_unique=True)
        t0 = time.perf_counter()
        model, fitres = train_classifier(data.subset(train), vocab, config, replace(train_config, seed=seed + f),
                                         weights=weights, dev_fraction=dev_fraction, batch_size=batch_size,
                                         progress=progress, device=device)
        probs = predict_proba(model, [ids_all[i] for i in test])
        seconds = time.perf_counter() - t0
        rep = classification_report(data.labels[test], probs.argmax(1), k)
        rep.update({"fold": f, "seconds": round(seconds, 2), "epochs": len(fitres.history),
                    "best_epoch": fitres.best_epoch, "best_dev": fitres.best, "stopped": fitres.stopped})
        log.info("fold %d/%d: accuracy %.4f (best dev %.4f at epoch %s, %.1f s)", f + 1, folds, rep["accuracy"],
                 fitres.best or float("nan"), fitres.best_epoch, seconds)
        rows.append(rep)
    acc = np.array([r["accuracy"] for r in rows])
    return {"folds": rows, "folds_run": n_run, "folds_total": folds, "accuracy": float(acc.mean()),
            "accuracy_std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
            "macro_f1": float(np.mean([r["macro_f1"] for r in rows])),
            "confusion": np.sum([r["confusion"] for r in rows], axis=0).tolist(),
            "seconds_per_fold": float(np.mean([r["seconds"] for r in rows])), "labels": list(data.label_names)}
