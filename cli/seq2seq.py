"""``wordlab seq2seq train|eval`` and ``wordlab translate``: encoder–decoder translation with attention."""

from __future__ import annotations

import argparse
import sys

from wordlab.errors import ConfigError
from wordlab.seq2seq.data import FORMATS, DataConfig
from wordlab.seq2seq.train import ARCHITECTURES, SPLITS, TRAIN_DEFAULTS, PairsConfig
from wordlab.seq2seq.translator import Translator
from wordlab.tensor import device, set_threads
from wordlab.training import TrainConfig

from .common import add_device_args, check_at_least, print_json, print_table
from .configargs import (ExplicitStore, add_config_arguments, add_config_file_argument, config_from_arguments,
                         layered_value)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("seq2seq", help="train / evaluate an encoder-decoder translation model",
                       description="Sequence-to-sequence models (DLfS-2 ch. 7-8): plain, reversed, peeky, attention.")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    t = verbs.add_parser("train", help="train a model on a pair file",
                         description="Train a seq2seq model. Flags come from DataConfig, PairsConfig, Seq2SeqConfig "
                                     "and TrainConfig.")
    t.add_argument("--pairs", required=True, help="pair file: 'source<TAB>target' lines, or DLfS-2 date/addition")
    t.add_argument("-o", "--output", required=True, help="model checkpoint to write (.pt)")
    t.add_argument("--arch", choices=tuple(ARCHITECTURES), default="rnn", type=str.lower, action=ExplicitStore,
                   help="model architecture (default: rnn)")
    add_config_file_argument(t, keys=("arch",))
    add_config_arguments(t, DataConfig, group=t.add_argument_group("pair file"))
    add_config_arguments(t, PairsConfig, group=t.add_argument_group("split and batches"))
    model = t.add_argument_group("model")
    for config in ARCHITECTURES.values():
        add_config_arguments(t, config, group=model)
    add_config_arguments(t, TrainConfig, overrides=TRAIN_DEFAULTS, group=t.add_argument_group("training"))
    t.add_argument("--resume", action="store_true", help="continue from OUTPUT's .resume.pt")
    add_device_args(t)
    t.set_defaults(func=run_train)

    e = verbs.add_parser("eval", help="accuracy and BLEU of a model on a pair file",
                         description="Evaluate a seq2seq model: exact match, corpus BLEU, per-length breakdown.")
    e.add_argument("model", help="checkpoint written by `wordlab seq2seq train`")
    e.add_argument("--pairs", required=True, help="pair file: 'source<TAB>target' lines, or DLfS-2 date/addition")
    e.add_argument("--format", choices=FORMATS, default=None, type=str.lower,
                   help="pair format (default: the one the model was trained on)")
    e.add_argument("--split", choices=SPLITS, default="test", type=str.lower,
                   help="which part of the file: the training run's held-out test split (default), its "
                        "validation or training part, or all pairs")
    _search_args(e)
    e.add_argument("--examples", type=int, default=5, help="how many example translations to print (default: 5)")
    e.add_argument("--json", action="store_true", help="print the results as JSON")
    e.set_defaults(func=run_eval)

    tr = sub.add_parser("translate", help="translate sentences with a seq2seq model",
                        description="Translate sentences given as arguments, or lines from stdin.")
    tr.add_argument("model", help="checkpoint written by `wordlab seq2seq train`")
    tr.add_argument("sentence", nargs="*", help="sentences to translate (default: read lines from stdin)")
    _search_args(tr)
    tr.add_argument("--show-attention", metavar="PNG",
                    help="write the attention heat-map of the (first) sentence to this PNG (needs matplotlib)")
    tr.add_argument("--layer", type=int, default=None,
                    help="Transformer: the decoder layer whose cross-attention is drawn (default: the last)")
    tr.add_argument("--head", default="mean",
                    help="Transformer: the attention head drawn, or 'mean' over the heads (default: mean)")
    tr.add_argument("--scores", action="store_true", help="print the log-probability beside each translation")
    tr.set_defaults(func=run_translate)


def _search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--beam", type=int, default=1, help="beam width; 1 = greedy (default: 1)")
    p.add_argument("--max-len", type=int, default=50, help="longest output in tokens (default: 50)")
    p.add_argument("--length-penalty", type=float, default=1.0,
                   help="rank beams by logP / length^alpha; 0 = no normalisation (default: 1)")
    add_device_args(p, default="cpu", threads=False)


def _check_search(args: argparse.Namespace) -> None:
    """--beam, --max-len and --length-penalty checked before the model is read."""
    from wordlab.limits import check_cap, check_finite

    for name in ("beam", "max_len"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
        check_cap(name, getattr(args, name))
    check_finite("--length-penalty", args.length_penalty)


def run_train(args: argparse.Namespace) -> int:
    """``wordlab seq2seq train``: parse → :func:`wordlab.seq2seq.train_seq2seq` → print."""
    from wordlab.seq2seq import train_seq2seq

    data = config_from_arguments(DataConfig, args)
    pairs = config_from_arguments(PairsConfig, args)
    model_cfg = config_from_arguments(ARCHITECTURES[layered_value(args, "arch", ARCHITECTURES)], args)
    train_cfg = config_from_arguments(TrainConfig, args)
    if args.threads:
        set_threads(args.threads)
    res = train_seq2seq(args.pairs, model_cfg, train_cfg, data=data, pairs=pairs, out=args.output,
                        resume=args.resume, device=args.device, progress=args.progress)
    n, fit = res.sizes, res.fit
    vocab = (f"BPE vocabulary {n['src_vocab']:,} (shared by both sides)" if data.tokenizer == "bpe"
             else f"vocabulary source {n['src_vocab']:,}, target {n['tgt_vocab']:,}")
    print(f"pairs {n['pairs']:,} (train {n['train']:,}, valid {n['valid']:,}, test {n['test']:,}); {vocab}",
          file=sys.stderr)
    last = fit.history[-1]
    print(f"trained {len(fit.history)} epoch(s), {fit.steps:,} steps ({fit.stopped}); "
          f"train loss {last['train_loss']:.4f}"
          + "".join(f", {k} {last[k]:.4f}" for k in ("valid_loss", "valid_accuracy", "valid_bleu") if k in last)
          + f"; best model → {args.output}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    """``wordlab seq2seq eval``: parse → :func:`wordlab.seq2seq.evaluate_seq2seq` → print."""
    from wordlab.seq2seq import evaluate_seq2seq

    _check_search(args)
    check_at_least(args, examples=0)
    r = evaluate_seq2seq(args.model, args.pairs, split=args.split, format=args.format, beam=args.beam,
                         max_len=args.max_len, length_penalty=args.length_penalty, examples=args.examples,
                         device=args.device, progress=args.progress)
    if args.json:
        print_json(r)
        return 0
    print(f"pairs     {r['n']:,} ({args.split})")
    print(f"accuracy  {100 * r['accuracy']:.2f}% exact match")
    if "bleu" in r:
        print(f"BLEU      {100 * r['bleu']:.2f} (corpus, nltk, smoothing method1)")
    print()
    print_table([[row["lengths"], row["n"], f"{100 * row['accuracy']:.2f}%"]
                 + ([f"{100 * row['bleu']:.2f}"] if "bleu" in row else []) for row in r["per_length"]],
                ["source length", "pairs", "accuracy"] + (["BLEU"] if "bleu" in r else []))
    if r["examples"]:
        print()
        for ex in r["examples"]:
            print(f"{'✓' if ex['correct'] else '✗'} {ex['source']!r} → {ex['output']!r} (reference {ex['reference']!r})")
    return 0


def run_translate(args: argparse.Namespace) -> int:
    """``wordlab translate``: arguments, or stdin answered line by line as it arrives (blank lines kept)."""
    from .streaming import line_batches

    _check_search(args)
    translator = Translator.load(args.model, device(args.device))
    batches = [args.sentence] if args.sentence else line_batches(sys.stdin)
    first, lines = None, 0
    for batch in batches:
        todo = [s for s in batch if s.strip()]
        _report_unknown(translator, batch, lines)
        outs = iter(translator.translate(todo, beam=args.beam, max_len=args.max_len,
                                         length_penalty=args.length_penalty) if todo else ())
        for s in batch:
            t = next(outs) if s.strip() else None
            first = first or t
            print("" if t is None else f"{t.text}\t{t.score:.3f}" if args.scores else t.text)
        sys.stdout.flush()
        lines += len(batch)
    if not lines:
        raise ConfigError("no sentence to translate: give one as an argument or on stdin")
    _show_attention(args, translator, first)
    return 0


def _report_unknown(translator: Translator, batch: list[str], before: int) -> None:
    """One stderr line per input line with source tokens the model never saw (they are read as <unk>)."""
    for i, s in enumerate(batch):
        unknown = translator.unknown_tokens(s)
        if unknown:
            print(f"wordlab: warning: line {before + i + 1}: not in the model's source vocabulary (read as <unk>): "
                  + " ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else ""), file=sys.stderr)


def _show_attention(args: argparse.Namespace, translator: Translator, first) -> None:
    if args.show_attention:
        if first is None:
            raise ConfigError("no sentence to draw the attention of: every input line was blank")
        if first.attention is None:
            raise ConfigError(f"{args.model}: the model has no attention (trained with --attention none)")
        from wordlab.plots import attention_heatmap
        from wordlab.seq2seq.transformer import select_attention

        weights = select_attention(first.attention, args.layer, args.head)  # (steps, S); an RNN's as it is
        rows = translator.token_labels(first.output) + (["<eos>"] if len(weights) > len(first.output) else [])
        attention_heatmap(weights, translator.token_labels(first.source), rows, args.show_attention)
        print(f"attention heat-map → {args.show_attention}", file=sys.stderr)
