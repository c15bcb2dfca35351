"""A trained classifier loaded from its checkpoint: predict labels and probabilities for raw sentences."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..checkpoint import build_model, checkpoint_vocab, config_from_dict, load_checkpoint
from ..errors import CheckpointError, DataError
from ..tensor import device as get_device
from ..text import Vocabulary
from .data import LabelledTexts, make_tokenizer
from ..evaluation.classification import classification_report
from .models import ClassifierConfig, SentenceClassifier
from .train import KIND, encode_texts, predict_proba

log = logging.getLogger(__name__)

__all__ = ["Classifier", "load_classifier", "evaluate"]


@dataclass
class Classifier:
    """Model + vocabulary + label names + the tokenisation it was trained with."""

    model: SentenceClassifier
    vocab: Vocabulary
    labels: list[str]

    @property
    def config(self) -> ClassifierConfig:
        return self.model.config

    def tokenize(self, text: str) -> list[str]:
        """The training-time tokenisation (Kim's cleaning when the model was trained with it)."""
        return make_tokenizer(self.config.clean, self.config.tokenizer)(text)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``(N, K)`` class probabilities; an empty (after cleaning) text is a :class:`DataError`."""
        tokens = []
        for i, t in enumerate(texts, 1):
            toks = self.tokenize(t)
            if not toks:
                raise DataError(f"text {i} is empty" + (" after cleaning" if t.strip() else "")
                                + "; give a sentence with at least one word")
            tokens.append(toks)
        return predict_proba(self.model, encode_texts(tokens, self.vocab))

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """``[(label, probability of that label), ...]`` for each text."""
        probs = self.predict_proba(texts)
        best = probs.argmax(1)
        return [(self.labels[k], float(probs[i, k])) for i, k in enumerate(best)]


def load_classifier(path: str | Path, device: str | torch.device = "auto", payload: dict | None = None) -> Classifier:
    """Rebuild a classifier from a ``wordlab classify train`` checkpoint (weights_only load; or ``payload``)."""
    ck = payload if payload is not None else load_checkpoint(path, kind=KIND)
    config = config_from_dict(ClassifierConfig, ck["config"], source=str(path))
    vocab = checkpoint_vocab(ck, source=str(path))
    labels = (ck.get("extra") or {}).get("labels")
    if vocab is None or not isinstance(labels, list) or len(labels) != config.num_classes \
            or not all(isinstance(x, str) for x in labels):
        raise CheckpointError(f"{path}: classifier checkpoint lacks its vocabulary or label names")
    if len(vocab) != config.vocab_size:
        raise CheckpointError(f"{path}: vocabulary has {len(vocab)} words but the model was built for "
                              f"{config.vocab_size}; the file mixes two models")

    def factory() -> SentenceClassifier:
        placeholder = None if config.mode == "rand" else torch.zeros((config.vocab_size, config.embed_dim))
        return SentenceClassifier(config, placeholder)

    model = build_model(factory, ck["state_dict"], str(path))
    model.to(get_device(device)).eval()
    return Classifier(model, vocab, labels)


def evaluate(clf: Classifier, data: LabelledTexts) -> dict:
    """Accuracy, macro-F1, per-class F1 and confusion matrix of ``clf`` on ``data`` (same label names)."""
    if list(data.label_names) != clf.labels:
        raise DataError(f"the data's labels {data.label_names} differ from the model's {clf.labels}")
    probs = predict_proba(clf.model, encode_texts(data.texts, clf.vocab))
    report = classification_report(data.labels, probs.argmax(1), len(clf.labels))
    report["labels"] = clf.labels
    return report
