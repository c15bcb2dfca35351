"""``train_text_classifier``: what ``wordlab classify train`` does, in one call.

It owns every decision the data drives: the vocabulary, the pre-trained vectors and their
coverage, the embedding mode (non-static with vectors, else rand), the embedding size, Kim's
cleaning (on for MR files, off for TSV), the learning rate of the optimizer (``TrainConfig``'s
per-optimizer default) and what early stopping watches (dev accuracy when there is a dev split)::

    from wordlab.classify import train_text_classifier
    run = train_text_classifier(pos="rt-polarity.pos", neg="rt-polarity.neg", vectors="vectors.bin", out="clf.pt")
    run.summary["best_dev_acc"]
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Any

from ..atomic import check_output
from ..errors import ConfigError, DataError
from ..training import FitResult, TrainConfig
from .cv import cross_validate
from .data import LabelledTexts, read_mr, read_tsv
from .models import ClassifierConfig, SentenceClassifier
from .predict import evaluate, load_classifier
from .train import build_vocab, pretrained_weights, train_classifier

#: the training defaults of a classifier (a :class:`TrainConfig` over these): Kim 2014's Adadelta
#: (learning rate: TrainConfig's per-optimizer default, 1.0), 25 epochs, early stop after 5 without a better dev
TRAIN_DEFAULTS: dict = {"epochs": 25, "optimizer": "adadelta", "early_stop": 5}


@dataclass(frozen=True)
class ClassifierTrainingConfig:
    """How the labelled data is used: the dev part for early stopping, batches, cross-validation."""

    dev_fraction: float = field(default=0.1, metadata={
        "help": "part of the training data held out for early stopping (0 = none: stop on the training loss)"})
    batch_size: int = field(default=50, metadata={"help": "sentences per batch"})
    folds: int | None = field(default=None, metadata={"help": "k-fold cross-validation (e.g. 10), seeded"})
    run_folds: int | None = field(default=None, metadata={"help": "with --folds: run only the first N folds"})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        if not 0.0 <= self.dev_fraction < 1.0:
            raise ConfigError(f"dev_fraction must be in [0, 1), got {self.dev_fraction}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.folds is not None and self.folds < 2:
            raise ConfigError(f"folds must be >= 2, got {self.folds}")
        if self.run_folds is not None and self.run_folds < 1:
            raise ConfigError(f"run_folds must be >= 1, got {self.run_folds}")


@dataclass
class ClassifierRun:
    """What :func:`train_text_classifier` returns: a summary (JSON-ready), the model and loop result
    (when ``out`` was given), the data and the resolved config."""

    summary: dict[str, Any]
    config: ClassifierConfig
    data: LabelledTexts
    model: SentenceClassifier | None = None
    fit: FitResult | None = None


def read_labelled(*, pos: str | os.PathLike | None = None, neg: str | os.PathLike | None = None,
                  tsv: str | os.PathLike | None = None, clean: bool | None = None, tokenizer: str = "whitespace",
                  label_names: list[str] | None = None) -> LabelledTexts:
    """MR files (``pos`` + ``neg``) or a ``label<TAB>text`` TSV; ``clean=None``: Kim's cleaning for MR only."""
    if tsv and (pos or neg):
        raise ConfigError("give either --tsv or --pos/--neg, not both")
    if tsv:
        return read_tsv(tsv, clean=bool(clean), tokenizer=tokenizer, label_names=label_names)
    if pos and neg:
        data = read_mr(pos, neg, clean=True if clean is None else clean, tokenizer=tokenizer)
        if label_names is not None and data.label_names != list(label_names):
            raise DataError(f"MR files give the labels neg, pos but the model knows {', '.join(label_names)}")
        return data
    raise ConfigError("no data: give --pos FILE --neg FILE (MR layout) or --tsv FILE (label<TAB>text)")


def train_text_classifier(data: LabelledTexts | None = None, config: ClassifierConfig | None = None,
                          train_cfg: TrainConfig | None = None, options: ClassifierTrainingConfig | None = None, *,
                          pos: str | os.PathLike | None = None, neg: str | os.PathLike | None = None,
                          tsv: str | os.PathLike | None = None, vectors: str | os.PathLike | None = None,
                          out: str | os.PathLike | None = None, device: str = "auto",
                          progress: bool | None = None) -> ClassifierRun:
    """Train a sentence classifier (``out``) and/or cross-validate it (``options.folds``).

    ``data`` or the files (``pos``/``neg`` MR layout, or ``tsv``); ``vectors``: pre-trained word
    vectors (any file :func:`wordlab.artifacts.load` reads) to initialise the embeddings. ``None``
    fields of ``config`` are decided here (see the module docstring); ``train_cfg`` defaults to
    ``TrainConfig(**TRAIN_DEFAULTS)``, and its monitor is dev accuracy when there is a dev split.
    """
    config = config or ClassifierConfig()
    train_cfg = train_cfg or TrainConfig(**TRAIN_DEFAULTS)
    options = options or ClassifierTrainingConfig()
    if not (out or options.folds):
        raise ConfigError("give -o FILE for the trained model (or --folds K to cross-validate only)")
    if config.mode not in (None, "rand") and not vectors:
        raise ConfigError(f"--mode {config.mode} needs --vectors FILE; use --mode rand to train without vectors")
    if out is not None:
        check_output(out, [p for p in (pos, neg, tsv, vectors) if p], binary=True, what="model file")
    if data is None:
        data = read_labelled(pos=pos, neg=neg, tsv=tsv, clean=config.clean, tokenizer=config.tokenizer)
    if len(set(data.labels.tolist())) < 2:
        raise DataError(f"{tsv or pos or 'the data'}: every example has the label "
                        f"{data.label_names[data.labels[0]]!r}; a classifier needs at least two labels")
    vocab = build_vocab(data.texts)
    weights, coverage = None, None
    if vectors:
        from ..artifacts import load_vectors

        kv = load_vectors(vectors)  # any vector file, or a model's .wv (word2vec, fastText, GloVe)
        weights, coverage = pretrained_weights(vocab, kv, config.embed_dim, seed=train_cfg.seed)
    config = replace(config, vocab_size=len(vocab), num_classes=len(data.label_names)).resolve(
        weights, clean=config.clean if config.clean is not None else not tsv)
    dev = options.dev_fraction > 0
    train_cfg = replace(train_cfg, monitor="dev_acc" if dev else "loss", mode="max" if dev else "min")
    summary: dict[str, Any] = {"examples": len(data), "labels": data.label_names, "vocabulary": len(vocab),
                               "model": config.model, "mode": config.mode, "embed_dim": config.embed_dim,
                               "vectors": str(vectors) if vectors else None, "vector_coverage": coverage}
    if options.folds:
        t0 = time.perf_counter()
        run_folds = 1 if train_cfg.dry_run else options.run_folds
        cv = cross_validate(data, vocab, config, train_cfg, folds=options.folds, run_folds=run_folds, weights=weights,
                            seed=train_cfg.seed, dev_fraction=options.dev_fraction, batch_size=options.batch_size,
                            progress=progress, device=device)
        cv["seconds"] = round(time.perf_counter() - t0, 2)
        summary["cv"] = cv
    model = res = None
    if out:
        model, res = train_classifier(data, vocab, config, train_cfg, weights=weights,
                                      dev_fraction=options.dev_fraction, batch_size=options.batch_size, out=out,
                                      progress=progress, device=device)
        summary.update({"output": str(out), "epochs": len(res.history), "best_epoch": res.best_epoch,
                        "best_dev_acc": res.best if dev else None, "stopped": res.stopped})
    return ClassifierRun(summary, config, data, model, res)


def evaluate_classifier(model_file: str | os.PathLike, *, pos: str | os.PathLike | None = None,
                        neg: str | os.PathLike | None = None, tsv: str | os.PathLike | None = None,
                        device: str = "auto") -> dict:
    """Accuracy, macro-F1 and the confusion matrix of a checkpoint on MR files or a TSV (read as it was trained)."""
    clf = load_classifier(model_file, device=device)
    data = read_labelled(pos=pos, neg=neg, tsv=tsv, clean=clf.config.clean, tokenizer=clf.config.tokenizer,
                         label_names=clf.labels)
    return evaluate(clf, data)
