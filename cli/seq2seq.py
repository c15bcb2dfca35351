"""``wordlab seq2seq train|eval`` and ``wordlab translate``: encoder–decoder translation with attention."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, replace
from pathlib import Path

from wordlab.errors import ConfigError
from wordlab.seq2seq.data import FORMATS, DataConfig, build_vocabs, dlfs2_split, encode_pairs, read_pairs, split_indices
from wordlab.seq2seq.model import ATTENTIONS, KIND, Seq2Seq, Seq2SeqConfig, vocabs_payload
from wordlab.seq2seq.task import Seq2SeqTask
from wordlab.seq2seq.translator import Translator
from wordlab.tensor import device, set_seed, set_threads
from wordlab.training import TrainConfig, fit

from .common import add_device_args, print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("seq2seq", help="train / evaluate an encoder-decoder translation model",
                       description="Sequence-to-sequence models (DLfS-2 ch. 7-8): plain, reversed, peeky, attention.")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    t = verbs.add_parser("train", help="train a model on a pair file", description="Train a seq2seq model.")
    _data_args(t)
    t.add_argument("--char", action="store_true", help="character-level tokens (always for --format dlfs2)")
    t.add_argument("--swap", action="store_true", help="translate the second column into the first (tsv)")
    t.add_argument("--tutorial", action="store_true",
                   help="PyTorch tutorial normalisation + filter (< 10 words, English prefixes 'i am', 'he is', ...)")
    t.add_argument("--valid", type=float, default=0.0, help="fraction of pairs held out for validation (tsv)")
    t.add_argument("--test", type=float, default=0.1, help="fraction of pairs held out for test (tsv; dlfs2: 10%%)")
    t.add_argument("--min-count", type=int, default=1, help="rarer words become <unk> (default: 1)")
    t.add_argument("--cell", choices=("lstm", "gru"), default="lstm", help="recurrent cell (default: lstm)")
    t.add_argument("--emb", type=int, default=16, help="embedding size (default: 16, DLfS-2's wordvec)")
    t.add_argument("--hidden", type=int, default=256, help="hidden size (default: 256)")
    t.add_argument("--layers", type=int, default=1, help="recurrent layers (default: 1)")
    t.add_argument("--bidirectional", action="store_true", help="bidirectional encoder (hidden split in two)")
    t.add_argument("--attention", choices=ATTENTIONS, default="none", help="attention score (default: none)")
    t.add_argument("--reverse", action="store_true", help="feed the source reversed (Sutskever et al. 2014)")
    t.add_argument("--peeky", action="store_true", help="feed the encoder's final state to every decoder step")
    t.add_argument("--dropout", type=float, default=0.0, help="dropout on embeddings and outputs (default: 0)")
    t.add_argument("--teacher-forcing", type=float, default=1.0, help="teacher forcing ratio (default: 1)")
    t.add_argument("--epochs", type=int, default=10, help="training epochs (default: 10)")
    t.add_argument("--batch", type=int, default=128, help="pairs per batch (default: 128)")
    t.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: 0.001)")
    t.add_argument("--clip", type=float, default=5.0, help="gradient norm clip (default: 5, DLfS-2's)")
    t.add_argument("--max-minutes", type=float, default=None, help="stop training after this many minutes")
    t.add_argument("--dry-run", action="store_true", help="run 3 training steps only (CI)")
    t.add_argument("--resume", action="store_true", help="continue from OUTPUT's .resume.pt")
    t.add_argument("--seed", type=int, default=0, help="random seed (split and training; dlfs2 split: 1984)")
    add_device_args(t)
    t.add_argument("-o", "--output", required=True, help="model checkpoint to write (.pt)")
    t.set_defaults(func=run_train)

    e = verbs.add_parser("eval", help="accuracy and BLEU of a model on a pair file",
                         description="Evaluate a seq2seq model: exact match, corpus BLEU, per-length breakdown.")
    e.add_argument("model", help="checkpoint written by `wordlab seq2seq train`")
    _data_args(e)
    e.add_argument("--split", choices=("all", "train", "valid", "test"), default="all",
                   help="which part of the file: the training run's split, or all pairs (default: all)")
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
    tr.add_argument("--scores", action="store_true", help="print the log-probability beside each translation")
    tr.set_defaults(func=run_translate)


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pairs", required=True, help="pair file: 'source<TAB>target' lines, or DLfS-2 date/addition")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="tsv (default for train) or dlfs2 ('_' separator, character level); eval: the model's")


def _search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--beam", type=int, default=1, help="beam width; 1 = greedy (default: 1)")
    p.add_argument("--max-len", type=int, default=50, help="longest output in tokens (default: 50)")
    p.add_argument("--length-penalty", type=float, default=1.0,
                   help="rank beams by logP / length^alpha; 0 = no normalisation (default: 1)")
    add_device_args(p, default="cpu", threads=False)


def _split(n: int, data: DataConfig, valid: float, test: float, seed: int) -> dict:
    return dlfs2_split(n) if data.format == "dlfs2" else split_indices(n, valid=valid, test=test, seed=seed)


def run_train(args: argparse.Namespace) -> int:
    if Path(args.output).is_dir():
        raise ConfigError(f"{args.output}: is a directory; give a checkpoint file name such as model.pt")
    data = DataConfig(format=args.format or "tsv", char=args.char, swap=args.swap, tutorial=args.tutorial)
    if args.threads:
        set_threads(args.threads)
    dev = device(args.device)
    pairs = read_pairs(args.pairs, data)
    if data.format == "dlfs2":
        data = replace(data, source_width=max(len(s) for s, _ in pairs))
    sp = _split(len(pairs), data, args.valid, args.test, args.seed)
    train_pairs = [pairs[i] for i in sp["train"]]
    valid_pairs = [pairs[i] for i in sp["valid"]]
    if not train_pairs:
        raise ConfigError(f"{args.pairs}: no training pairs left after holding out valid/test; lower --valid/--test")
    src, tgt = build_vocabs(train_pairs, min_count=args.min_count)
    cfg = Seq2SeqConfig(len(src), len(tgt), emb=args.emb, hidden=args.hidden, cell=args.cell, layers=args.layers,
                        bidirectional=args.bidirectional, attention=args.attention, peeky=args.peeky,
                        reverse_source=args.reverse, dropout=args.dropout, teacher_forcing=args.teacher_forcing)
    set_seed(args.seed)
    model = Seq2Seq(cfg).to(dev)
    translator = Translator(model, src, tgt, data)

    def metrics(m):
        if not valid_pairs:
            return {}
        r = translator.evaluate(valid_pairs[:2000], bleu=not data.is_char, examples=0)
        return {"valid_accuracy": r["accuracy"], **({"valid_bleu": r["bleu"]} if "bleu" in r else {})}

    task = Seq2SeqTask(encode_pairs(train_pairs, src, tgt), encode_pairs(valid_pairs, src, tgt),
                       batch_size=args.batch, seed=args.seed, metrics=metrics)
    tcfg = TrainConfig(epochs=args.epochs, optimizer="adam", lr=args.lr, clip=args.clip,
                       monitor="valid_loss" if valid_pairs else "loss", max_minutes=args.max_minutes,
                       dry_run=3 if args.dry_run else None, seed=args.seed)
    print(f"pairs {len(pairs):,} (train {len(train_pairs):,}, valid {len(valid_pairs):,}, test {len(sp['test']):,}); "
          f"vocabulary source {len(src):,}, target {len(tgt):,}", file=sys.stderr)
    res = fit(model, task, tcfg, out=args.output, kind=KIND, model_config=cfg, vocab=vocabs_payload(src, tgt),
              extra={"data": asdict(data), "split": {"valid": args.valid, "test": args.test, "seed": args.seed}},
              resume=args.resume, restore_best=True, progress=args.progress)
    last = res.history[-1]
    print(f"trained {len(res.history)} epoch(s), {res.steps:,} steps ({res.stopped}); "
          f"train loss {last['train_loss']:.4f}"
          + "".join(f", {k} {last[k]:.4f}" for k in ("valid_loss", "valid_accuracy", "valid_bleu") if k in last)
          + f"; best model → {args.output}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    translator = Translator.load(args.model, device(args.device))
    data = translator.data
    if args.format and args.format != data.format:
        data = replace(data, format=args.format)
        translator.data = data
    pairs = read_pairs(args.pairs, data)
    if args.split != "all":
        from wordlab.checkpoint import load_checkpoint

        s = (load_checkpoint(args.model, kind=KIND).get("extra") or {}).get("split", {})
        pairs = [pairs[i] for i in _split(len(pairs), data, s.get("valid", 0.0), s.get("test", 0.1),
                                          s.get("seed", 0))[args.split]]
        if not pairs:
            raise ConfigError(f"{args.pairs}: the {args.split} split is empty for this model")
    r = translator.evaluate(pairs, beam=args.beam, max_len=args.max_len, length_penalty=args.length_penalty,
                            bleu=not data.is_char, examples=args.examples, progress=args.progress)
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
    translator = Translator.load(args.model, device(args.device))
    sentences = args.sentence or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not sentences:
        raise ConfigError("no sentence to translate: give one as an argument or on stdin")
    outs = translator.translate(sentences, beam=args.beam, max_len=args.max_len, length_penalty=args.length_penalty)
    for t in outs:
        print(f"{t.text}\t{t.score:.3f}" if args.scores else t.text)
    if args.show_attention:
        first = outs[0]
        if first.attention is None:
            raise ConfigError(f"{args.model}: the model has no attention (trained with --attention none)")
        from wordlab.plots import attention_heatmap

        rows = first.output + (["<eos>"] if len(first.attention) > len(first.output) else [])
        attention_heatmap(first.attention, first.source, rows, args.show_attention)
        print(f"attention heat-map → {args.show_attention}", file=sys.stderr)
    return 0
