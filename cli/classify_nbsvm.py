"""``wordlab classify train --arch nbsvm``: NBSVM (Wang & Manning 2012) on word n-grams (no torch).

Wired into ``classify train`` by :func:`add_arguments` (its own flags ``--smoothing``,
``--interpolation``, ``--svm-c``, ``--max-iter``; ``--word-ngrams`` is the fastText flag of the same
meaning, so pass ``--word-ngrams 2`` for Wang & Manning's bigrams) and :func:`run_train`. Data as for
``--arch fasttext``: ``--pos/--neg`` (MR, Kim's cleaning), ``--tsv`` or ``--labelled``. ``-o model.npz``
writes the model; ``classify predict`` and ``classify eval`` recognise it by its content.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from wordlab.classify.data import clean_str
from wordlab.classify.nbsvm import NBSVM, NBSVMConfig
from wordlab.errors import ConfigError, DataError

from . import classify_fasttext
from .common import print_json, print_table
from .configargs import add_config_arguments, config_from_arguments

ARCH = "nbsvm"


def add_arguments(t: argparse.ArgumentParser) -> None:
    """The NBSVM flags on ``classify train``; ``--arch`` learns the ``nbsvm`` choice (after fastText's)."""
    classify_fasttext.add_arch_choice(t, ARCH, "NB-weighted n-gram SVM (Wang & Manning 2012)")
    add_config_arguments(t, NBSVMConfig, group=t.add_argument_group("NBSVM (--arch nbsvm)"))


def _config(args: argparse.Namespace) -> NBSVMConfig:
    return replace(config_from_arguments(NBSVMConfig, args), word_ngrams=getattr(args, "word_ngrams", 1),
                   clean=bool(getattr(args, "pos", None)) and not getattr(args, "labelled", None))


def _data(args: argparse.Namespace) -> tuple[list, list[str]]:
    texts, labels = classify_fasttext._data(args)
    return texts, [y if isinstance(y, str) else y[0] for y in labels]


def run_train(args: argparse.Namespace) -> int:
    config = _config(args)
    texts, labels = _data(args)
    folds = getattr(args, "folds", None)
    report: dict = {"examples": len(texts), "config": config.__dict__}
    if folds:
        from wordlab.classify.cv import cross_validate_texts

        report["cv"] = cross_validate_texts(texts, labels, folds, lambda x, y: NBSVM.train(x, y, config),
                                            seed=getattr(args, "seed", 0), limit=getattr(args, "run_folds", None),
                                            on_fold=classify_fasttext.fold_printer(args))
    if args.output:
        clf = NBSVM.train(texts, labels, config)
        clf.save(args.output)
        report["train"] = {"ngrams": len(clf.ngrams), "labels": clf.labels,
                           "train_accuracy": clf.test(texts, labels), "saved": args.output}
    if not folds and not args.output:
        raise ConfigError("nothing to do: give -o MODEL.npz and/or --folds K")
    if args.json:
        print_json(report)
        return 0
    print(f"data        {len(texts):,} examples; NBSVM, word n-grams 1..{config.word_ngrams}, smoothing "
          f"{config.smoothing:g}, interpolation {config.interpolation:g}, C {config.svm_c:g}")
    classify_fasttext.print_cv(report)
    if "train" in report:
        tr = report["train"]
        print(f"saved       {args.output} ({tr['ngrams']:,} n-grams, labels {', '.join(tr['labels'])}, training "
              f"accuracy {100 * tr['train_accuracy']:.2f} %)")
    return 0


def is_nbsvm_model(path: str) -> bool:
    """True for a model written by ``classify train --arch nbsvm`` (by its content)."""
    from wordlab import artifacts

    try:
        return artifacts.detect(path).name == "nbsvm"
    except Exception:  # noqa: BLE001 - any other file goes to the other loaders and their messages
        return False


def run_predict(args: argparse.Namespace) -> int:
    clf = NBSVM.load(args.model)
    texts = args.text if args.text and args.text != ["-"] else [line.rstrip("\r\n") for line in sys.stdin]
    if not texts:
        raise DataError("no text to classify: give sentences as arguments or one per line on stdin")
    tokens = [clean_str(t).split() if clf.config.clean else t.split() for t in texts]
    labels, conf = clf.predict(tokens)
    for text, label, c in zip(texts, labels, conf):
        if args.json:
            print(json.dumps({"text": text, "label": label, "confidence": round(float(c), 6)}, ensure_ascii=False))
        else:
            print(f"{label}\t{float(c):.4f}\t{text}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    clf = NBSVM.load(args.model)
    texts, labels = _data(args)
    acc = clf.test(texts, labels)
    if args.json:
        print_json({"n": len(texts), "accuracy": acc})
    else:
        print_table([["examples", len(texts)], ["accuracy", f"{100 * acc:.2f}%"]], ["", "NBSVM"])
    return 0
