"""``wordlab classify``: train (optionally k-fold cross-validate), predict and evaluate sentence classifiers."""

from __future__ import annotations

import argparse
import json
import sys

from wordlab.classify import ClassifierConfig, load_classifier
from wordlab.classify.run import TRAIN_DEFAULTS, ClassifierTrainingConfig
from wordlab.errors import DataError
from wordlab.tensor import set_threads
from wordlab.training import TrainConfig

from . import classify_fasttext, classify_nbsvm
from .common import add_device_args, print_json, print_table
from .configargs import add_config_arguments, add_config_file_argument, config_from_arguments


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pos", help="MR layout: file of positive sentences, one per line (UTF-8 or latin-1)")
    p.add_argument("--neg", help="MR layout: file of negative sentences, one per line")
    p.add_argument("--tsv", help="labelled sentences, one 'label<TAB>text' per line")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classify", help="sentence classification (Kim's TextCNN, MLP baseline)",
                       description="Train, cross-validate, apply and evaluate sentence classifiers.")
    csub = p.add_subparsers(dest="action", metavar="ACTION")
    csub.required = True

    t = csub.add_parser("train", help="train a classifier (and/or k-fold cross-validate it)",
                        description="Train on MR files (--pos/--neg) or a label<TAB>text TSV. Flags come from "
                                    "ClassifierConfig, ClassifierTrainingConfig and TrainConfig.")
    _add_data_args(t)
    t.add_argument("-o", "--output", help="checkpoint to write (e.g. clf.pt); optional with --folds")
    t.add_argument("--vectors", help="pre-trained word vectors (.bin, .txt/.vec, .npz, GloVe text) to initialise "
                                     "the embeddings")
    add_config_file_argument(t)
    add_config_arguments(t, ClassifierConfig, group=t.add_argument_group("model"))
    add_config_arguments(t, ClassifierTrainingConfig, group=t.add_argument_group("data use"))
    add_config_arguments(t, TrainConfig, overrides=TRAIN_DEFAULTS, group=t.add_argument_group("training"))
    add_device_args(t)
    classify_fasttext.add_arguments(t)  # --arch fasttext and its flags
    classify_nbsvm.add_arguments(t)  # --arch nbsvm and its flags
    t.add_argument("--json", action="store_true", help="print the results as JSON")
    t.set_defaults(func=run_train)

    pr = csub.add_parser("predict", help="label sentences with a trained classifier",
                         description="Print label and probability for each sentence (arguments, or stdin lines).")
    pr.add_argument("model", help="checkpoint written by 'wordlab classify train'")
    pr.add_argument("text", nargs="*", help="sentences to classify; none or '-' reads one per line from stdin")
    add_device_args(pr, threads=False)
    pr.add_argument("--json", action="store_true", help="print JSON lines {text, label, probability}")
    pr.set_defaults(func=run_predict)

    ev = csub.add_parser("eval", help="accuracy, macro-F1 and confusion matrix on labelled data",
                         description="Evaluate a trained classifier on MR files or a label<TAB>text TSV.")
    ev.add_argument("model", help="checkpoint written by 'wordlab classify train'")
    _add_data_args(ev)
    add_device_args(ev, threads=False)
    ev.add_argument("--json", action="store_true", help="print the results as JSON")
    ev.set_defaults(func=run_eval)


def run_train(args: argparse.Namespace) -> int:
    """``wordlab classify train``: parse → :func:`wordlab.classify.train_text_classifier` → print."""
    from wordlab.classify import train_text_classifier

    if args.model == classify_fasttext.ARCH:
        return classify_fasttext.run_train(args)
    if args.model == classify_nbsvm.ARCH:
        return classify_nbsvm.run_train(args)
    config = config_from_arguments(ClassifierConfig, args)
    options = config_from_arguments(ClassifierTrainingConfig, args)
    train_cfg = config_from_arguments(TrainConfig, args)
    set_threads(args.threads)
    run = train_text_classifier(None, config, train_cfg, options, pos=args.pos, neg=args.neg, tsv=args.tsv,
                                vectors=args.vectors, out=args.output, device=args.device, progress=args.progress)
    summary, c = run.summary, run.config
    if args.json:
        print_json(summary)
        return 0
    print(f"data        {summary['examples']:,} sentences, labels {', '.join(summary['labels'])}, "
          f"vocabulary {summary['vocabulary']:,}")
    print(f"model       {c.model}, embeddings {c.mode} ({c.embed_dim}-d"
          + (f", {100 * summary['vector_coverage']:.1f}% of words from {args.vectors})" if args.vectors else ")"))
    if "cv" in summary:
        cv = summary["cv"]
        print()
        print_table([[r["fold"] + 1, r["n"], f"{100 * r['accuracy']:.2f}", f"{100 * r['macro_f1']:.2f}",
                      r["best_epoch"], r["seconds"]] for r in cv["folds"]],
                    ["fold", "test", "accuracy %", "macro-F1 %", "best epoch", "seconds"])
        print(f"\n{cv['folds_run']} of {cv['folds_total']} folds: accuracy {100 * cv['accuracy']:.2f} "
              f"± {100 * cv['accuracy_std']:.2f} %, macro-F1 {100 * cv['macro_f1']:.2f} %, "
              f"{cv['seconds_per_fold']:.1f} s per fold")
        print(f"confusion (rows true {'/'.join(cv['labels'])}, columns predicted): {cv['confusion']}")
    if args.output:
        best = summary["best_dev_acc"]
        print(f"saved       {args.output} (epoch {summary['best_epoch']} of {summary['epochs']}"
              + (f", dev accuracy {100 * best:.2f}%)" if best is not None else ")"))
    return 0


def run_predict(args: argparse.Namespace) -> int:
    if classify_fasttext.is_fasttext_model(args.model):
        return classify_fasttext.run_predict(args)
    if classify_nbsvm.is_nbsvm_model(args.model):
        return classify_nbsvm.run_predict(args)
    clf = load_classifier(args.model, device=args.device)
    if not args.text or args.text == ["-"]:
        texts = [line.rstrip("\r\n") for line in sys.stdin]
        for i, t in enumerate(texts, 1):
            if not clf.tokenize(t):
                raise DataError(f"stdin line {i}: empty text; give one sentence per line")
    else:
        texts = args.text
    if not texts:
        raise DataError("no text to classify: give sentences as arguments or one per line on stdin")
    for text, (label, prob) in zip(texts, clf.predict(texts)):
        if args.json:
            print(json.dumps({"text": text, "label": label, "probability": round(prob, 6)}, ensure_ascii=False))
        else:
            print(f"{label}\t{prob:.4f}\t{text}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from wordlab.classify import evaluate_classifier

    if classify_fasttext.is_fasttext_model(args.model):
        return classify_fasttext.run_eval(args)
    if classify_nbsvm.is_nbsvm_model(args.model):
        return classify_nbsvm.run_eval(args)
    rep = evaluate_classifier(args.model, pos=args.pos, neg=args.neg, tsv=args.tsv, device=args.device)
    if args.json:
        print_json(rep)
        return 0
    print(f"examples    {rep['n']:,}")
    print(f"accuracy    {100 * rep['accuracy']:.2f}%")
    print(f"macro-F1    {100 * rep['macro_f1']:.2f}%")
    print()
    print_table([[name] + row for name, row in zip(rep["labels"], rep["confusion"])],
                ["true \\ predicted"] + rep["labels"])
    return 0
