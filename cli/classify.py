"""``wordlab classify``: train (optionally k-fold cross-validate), predict and evaluate sentence classifiers."""

from __future__ import annotations

import argparse
import json
import sys
import time

from wordlab.classify import (ClassifierConfig, LabelledTexts, cross_validate, evaluate, load_classifier,
                              read_mr, read_tsv)
from wordlab.classify.train import build_vocab, pretrained_weights, train_classifier
from wordlab.errors import ConfigError, DataError
from wordlab.layers.embedding import MODES
from wordlab.tensor import set_threads
from wordlab.text import TOKENIZERS
from wordlab.training import TrainConfig

from .common import add_device_args, print_json, print_table


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


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
                        description="Train on MR files (--pos/--neg) or a label<TAB>text TSV.")
    _add_data_args(t)
    t.add_argument("-o", "--output", help="checkpoint to write (e.g. clf.pt); optional with --folds")
    t.add_argument("--model", choices=("textcnn", "mlp"), default="textcnn",
                   help="TextCNN (Kim 2014) or an MLP over mean-pooled embeddings (default: textcnn)")
    t.add_argument("--vectors", help="pre-trained word vectors (.bin, .txt/.vec, .npz) to initialise embeddings")
    t.add_argument("--mode", choices=MODES, default=None,
                   help="embedding mode (default: non-static with --vectors, else rand)")
    t.add_argument("--embed-dim", type=int, default=None,
                   help="embedding dimension (default: the vectors' dimension, or 300 without vectors)")
    t.add_argument("--clean", action=argparse.BooleanOptionalAction, default=None,
                   help="Kim's clean_str tokenisation (default: on for --pos/--neg, off for --tsv)")
    t.add_argument("--tokenizer", choices=TOKENIZERS, default="whitespace",
                   help="tokenizer when not cleaning (default: whitespace)")
    t.add_argument("--widths", type=_ints, default=(3, 4, 5), help="TextCNN filter widths (default: 3,4,5)")
    t.add_argument("--maps", type=int, default=100, help="TextCNN feature maps per width (default: 100)")
    t.add_argument("--hidden", type=_ints, default=(100,), help="MLP hidden sizes (default: 100)")
    t.add_argument("--dropout", type=float, default=0.5, help="dropout before the output layer (default: 0.5)")
    t.add_argument("--max-norm", type=float, default=3.0,
                   help="L2 bound of the output weight vectors, 0 disables (default: 3)")
    t.add_argument("--optimizer", choices=("adadelta", "adam"), default="adadelta",
                   help="Adadelta (Kim) or Adam (default: adadelta)")
    t.add_argument("--lr", type=float, default=None, help="learning rate (default: 1.0 Adadelta, 0.001 Adam)")
    t.add_argument("--epochs", type=int, default=25, help="maximum epochs (default: 25, Kim's)")
    t.add_argument("--early-stop", type=int, default=5,
                   help="stop after this many epochs without a better dev accuracy (default: 5)")
    t.add_argument("--batch-size", type=int, default=50, help="sentences per batch (default: 50)")
    t.add_argument("--dev-fraction", type=float, default=0.1,
                   help="part of the training data held out for early stopping (default: 0.1)")
    t.add_argument("--folds", type=int, default=None, help="k-fold cross-validation (e.g. 10), seeded")
    t.add_argument("--run-folds", type=int, default=None, help="with --folds: run only the first N folds")
    t.add_argument("--seed", type=int, default=0, help="random seed (folds, splits, initialisation)")
    add_device_args(t)
    t.add_argument("--dry-run", action="store_true", help="a few steps of one epoch (one fold), to check the setup")
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


def _read_data(args: argparse.Namespace, clean: bool, tokenizer: str,
               label_names: list[str] | None = None) -> LabelledTexts:
    if args.tsv and (args.pos or args.neg):
        raise ConfigError("give either --tsv or --pos/--neg, not both")
    if args.tsv:
        return read_tsv(args.tsv, clean=clean, tokenizer=tokenizer, label_names=label_names)
    if args.pos and args.neg:
        data = read_mr(args.pos, args.neg, clean=clean, tokenizer=tokenizer)
        if label_names is not None and data.label_names != list(label_names):
            raise DataError(f"MR files give the labels neg, pos but the model knows {', '.join(label_names)}")
        return data
    raise ConfigError("no data: give --pos FILE --neg FILE (MR layout) or --tsv FILE (label<TAB>text)")


def run_train(args: argparse.Namespace) -> int:
    if not (args.output or args.folds):
        raise ConfigError("give -o FILE for the trained model (or --folds K to cross-validate only)")
    if args.mode not in (None, "rand") and not args.vectors:
        raise ConfigError(f"--mode {args.mode} needs --vectors FILE; use --mode rand to train without vectors")
    for name in ("epochs", "batch_size", "early_stop", "maps"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    set_threads(args.threads)
    clean = args.clean if args.clean is not None else not args.tsv
    data = _read_data(args, clean, args.tokenizer)
    if len(set(data.labels.tolist())) < 2:
        raise DataError(f"{args.tsv or args.pos}: every example has the label {data.label_names[data.labels[0]]!r}; "
                        f"a classifier needs at least two labels")
    vocab = build_vocab(data.texts)
    weights, coverage = None, None
    mode = args.mode or ("non-static" if args.vectors else "rand")
    if args.vectors:
        from wordlab import artifacts

        kv = artifacts.load(args.vectors, expect="vectors")  # any vector file, found from its content
        weights, coverage = pretrained_weights(vocab, kv, args.embed_dim, seed=args.seed)
        embed_dim = kv.vector_size
    else:
        embed_dim = args.embed_dim or 300
    config = ClassifierConfig(model=args.model, mode=mode, vocab_size=len(vocab), embed_dim=embed_dim,
                              num_classes=len(data.label_names), widths=args.widths, maps=args.maps,
                              dropout=args.dropout, max_norm=args.max_norm or None, hidden=args.hidden,
                              clean=clean, tokenizer=args.tokenizer)
    lr = args.lr if args.lr is not None else (1.0 if args.optimizer == "adadelta" else 1e-3)
    tcfg = TrainConfig(epochs=args.epochs, optimizer=args.optimizer, lr=lr, early_stop=args.early_stop,
                       monitor="dev_acc" if args.dev_fraction > 0 else "loss",
                       mode="max" if args.dev_fraction > 0 else "min",
                       dry_run=3 if args.dry_run else None, seed=args.seed)
    summary: dict = {"examples": len(data), "labels": data.label_names, "vocabulary": len(vocab),
                     "model": args.model, "mode": mode, "embed_dim": embed_dim, "vectors": args.vectors,
                     "vector_coverage": coverage}
    if args.folds:
        t0 = time.perf_counter()
        cv = cross_validate(data, vocab, config, tcfg, folds=args.folds,
                            run_folds=1 if args.dry_run else args.run_folds, weights=weights, seed=args.seed,
                            dev_fraction=args.dev_fraction, batch_size=args.batch_size, progress=args.progress,
                            device=args.device)
        cv["seconds"] = round(time.perf_counter() - t0, 2)
        summary["cv"] = cv
    if args.output:
        model, res = train_classifier(data, vocab, config, tcfg, weights=weights, dev_fraction=args.dev_fraction,
                                      batch_size=args.batch_size, out=args.output, progress=args.progress,
                                      device=args.device)
        summary.update({"output": args.output, "epochs": len(res.history), "best_epoch": res.best_epoch,
                        "best_dev_acc": res.best if tcfg.monitor == "dev_acc" else None, "stopped": res.stopped})
    if args.json:
        print_json(summary)
        return 0
    print(f"data        {len(data):,} sentences, labels {', '.join(data.label_names)}, vocabulary {len(vocab):,}")
    print(f"model       {args.model}, embeddings {mode} ({embed_dim}-d"
          + (f", {100 * coverage:.1f}% of words from {args.vectors})" if args.vectors else ")"))
    if args.folds:
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
    clf = load_classifier(args.model, device=args.device)
    data = _read_data(args, clf.config.clean, clf.config.tokenizer, label_names=clf.labels)
    rep = evaluate(clf, data)
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
