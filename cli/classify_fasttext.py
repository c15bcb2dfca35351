"""``wordlab classify train --arch fasttext``: the fastText supervised classifier (no torch).

Wired into ``classify train`` by :func:`add_arguments` (the fastText flags, shared with the other
architectures where the idea is the same: ``--dim``, ``--lr``, ``--epochs``, ``--threads``, ``--seed``)
and :func:`run_train`. Data: ``--pos/--neg`` (MR), ``--tsv`` (label<TAB>text) or ``--labelled FILE``
(the fastText tool's ``__label__`` lines). ``-o model.bin`` writes the tool's supervised format;
``wordlab classify predict model.bin`` and ``classify eval`` read it (and the tool's own .bin/.ftz).
"""

from __future__ import annotations

import argparse
import json
import sys

from wordlab.errors import ConfigError, DataError
from wordlab.fasttext import FastTextClassifier, FastTextClassifierConfig, read_labelled

from .common import print_json, print_table
from .configargs import add_config_arguments, config_from_arguments

ARCH = "fasttext"


def add_arch_choice(t: argparse.ArgumentParser, name: str, help: str) -> None:
    """Teach ``classify train``'s ``--arch`` (generated from the TextCNN/MLP config) one more choice."""
    for action in t._actions:
        if "--arch" in action.option_strings:
            convert = action.type

            def arch(text: str, convert=convert) -> str:
                return name if text.strip().lower() == name else convert(text)

            action.type = arch
            if action.choices is not None:
                action.choices = tuple(action.choices) + (name,)
            action.help = (action.help or "") + f"; {name}: {help}"


def add_arguments(t: argparse.ArgumentParser) -> None:
    """The fastText flags on ``classify train``; ``--arch`` learns the ``fasttext`` choice."""
    add_arch_choice(t, ARCH, "the fastText classifier (wordlab.fasttext)")
    t.add_argument("--labelled", metavar="FILE", help="fastText: training lines in the tool's format "
                                                      "('__label__pos some words ...')")
    add_config_arguments(t, FastTextClassifierConfig, exclude=("label", "pretrained_vectors"),  # --vectors
                         group=t.add_argument_group("fastText (--arch fasttext)"))


def _data(args: argparse.Namespace):
    if getattr(args, "labelled", None):
        return read_labelled(args.labelled)
    if args.tsv or (args.pos and args.neg):
        from wordlab.classify.data import read_mr, read_tsv

        d = read_tsv(args.tsv) if args.tsv else read_mr(args.pos, args.neg, clean=True)
        return d.texts, [d.label_names[y] for y in d.labels]
    raise ConfigError("no training data: give --pos and --neg, --tsv FILE or --labelled FILE")


def fold_printer(args: argparse.Namespace):
    """``on_fold`` for :func:`wordlab.classify.cv.cross_validate_texts`: a line per fold (none with --json)."""
    if args.json:
        return None
    return lambda k, acc, secs: print(f"fold {k + 1}: accuracy {100 * acc:.2f} % ({secs:.1f} s)")


def print_cv(report: dict) -> None:
    """The cross-validation line of a train report, when it has one."""
    if "cv" in report:
        cv = report["cv"]
        print(f"{cv['folds']}-fold cross-validation: accuracy {100 * cv['accuracy']:.2f} ± "
              f"{100 * cv['accuracy_std']:.2f} %")


def run_train(args: argparse.Namespace) -> int:
    config = config_from_arguments(FastTextClassifierConfig, args)
    vectors = None
    if getattr(args, "vectors", None):  # the tool's -pretrainedVectors, read once for every fold
        from dataclasses import replace

        from wordlab.artifacts import load_vectors

        config = replace(config, pretrained_vectors=str(args.vectors))
        vectors = load_vectors(args.vectors)
    texts, labels = _data(args)
    folds = getattr(args, "folds", None)
    report: dict = {"examples": len(texts), "config": config.__dict__}
    if folds:
        from wordlab.classify.cv import cross_validate_texts

        report["cv"] = cross_validate_texts(
            texts, labels, folds, lambda x, y: FastTextClassifier.train(x, y, config, vectors=vectors)[0],
            seed=config.seed, limit=getattr(args, "run_folds", None), on_fold=fold_printer(args))
    if args.output:
        clf, stats = FastTextClassifier.train(texts, labels, config, vectors=vectors)
        clf.save(args.output)
        report["train"] = {**stats, "train_accuracy": clf.test(texts, labels), "saved": args.output}
    if not folds and not args.output:
        raise ConfigError("nothing to do: give -o MODEL.bin and/or --folds K")
    if args.json:
        print_json(report)
        return 0
    print(f"data        {len(texts):,} examples; fastText, dim {config.dim}, word n-grams {config.word_ngrams}, "
          f"{config.epochs} epochs, lr {config.lr:g}, loss {config.loss}")
    print_cv(report)
    if "train" in report:
        tr = report["train"]
        print(f"saved       {args.output} ({tr['words']:,} words, {tr['labels']} labels, training accuracy "
              f"{100 * tr['train_accuracy']:.2f} %)")
    return 0


def is_fasttext_model(path: str) -> bool:
    """True for a fastText supervised .bin/.ftz (by its magic number and model field)."""
    from wordlab import artifacts

    try:
        return artifacts.detect(path).name == "fasttext-supervised"
    except Exception:  # noqa: BLE001 - any other file goes to the torch classifier's loader and its message
        return False


def run_predict(args: argparse.Namespace, k: int = 1) -> int:
    clf = FastTextClassifier.load(args.model)
    texts = args.text if args.text and args.text != ["-"] else [line.rstrip("\r\n") for line in sys.stdin]
    if not texts:
        raise DataError("no text to classify: give sentences as arguments or one per line on stdin")
    labels, probs = clf.predict(texts, k=k)
    for text, ls, ps in zip(texts, labels, probs):
        label = ls[0].removeprefix(clf.config.label) if ls else "?"
        if args.json:
            print(json.dumps({"text": text, "label": label, "probability": round(float(ps[0]), 6) if len(ps) else 0.0,
                              "top": [[x.removeprefix(clf.config.label), round(float(p), 6)] for x, p in zip(ls, ps)]},
                             ensure_ascii=False))
        else:
            print(f"{label}\t{float(ps[0]) if len(ps) else 0.0:.4f}\t{text}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    clf = FastTextClassifier.load(args.model)
    texts, labels = _data(args)
    acc = clf.test(texts, labels)
    if args.json:
        print_json({"n": len(texts), "accuracy": acc})
    else:
        print_table([["examples", len(texts)], ["accuracy", f"{100 * acc:.2f}%"]], ["", "fastText"])
    return 0
