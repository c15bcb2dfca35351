"""``wordlab lm``: train / eval / generate / export-vectors for RNN language models."""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time

from wordlab.errors import ConfigError
from wordlab.layers.recurrent import CELLS
from wordlab.tensor import set_threads

from .common import add_device_args, print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wordlab lm {train,eval,generate,export-vectors}``."""
    lm = sub.add_parser("lm", help="RNN/LSTM/GRU language models: train, perplexity, text generation",
                        description="Word-level RNN / LSTM / GRU language models.")
    lsub = lm.add_subparsers(dest="lm_command", metavar="ACTION")
    lsub.required = True

    t = lsub.add_parser("train", help="train a language model (PTB-style files: one sentence per line)",
                        description="Train a language model; writes OUT (best model), OUT.resume.pt, OUT.history.json.")
    t.add_argument("--train", nargs="+", required=True, metavar="FILE", help="training text file(s)")
    t.add_argument("--valid", nargs="+", metavar="FILE", help="validation text (perplexity each epoch, LR annealing)")
    t.add_argument("--test", nargs="+", metavar="FILE", help="test text, scored once with the best model at the end")
    t.add_argument("--no-eos", dest="eos", action="store_false",
                   help="do not append <eos> to every line (running text instead of one sentence per line)")
    t.add_argument("--min-count", type=int, default=1, help="drop words seen fewer times (→ <unk>) (default 1)")
    t.add_argument("--max-vocab", type=int, default=None, help="keep at most this many words (→ <unk>)")
    t.add_argument("--model", choices=CELLS, default="lstm", help="recurrent cell (default lstm)")
    t.add_argument("--layers", type=int, default=2, help="stacked recurrent layers (default 2)")
    t.add_argument("--emb", type=int, default=200, help="word embedding size (default 200)")
    t.add_argument("--hidden", type=int, default=200, help="hidden state size (default 200)")
    t.add_argument("--dropout", type=float, default=0.2, help="dropout between layers and on the output (default 0.2)")
    t.add_argument("--emb-dropout", type=float, default=None, help="dropout on the embeddings (default: --dropout)")
    t.add_argument("--no-variational", dest="variational", action="store_false",
                   help="a fresh dropout mask per time step instead of one locked mask per sequence")
    t.add_argument("--tie", action="store_true", help="tie input embedding and softmax weights (Press & Wolf 2017)")
    t.add_argument("--init-range", type=float, default=0.1, help="uniform init range ±r (default 0.1)")
    t.add_argument("--bptt", type=int, default=35, help="truncated BPTT window length (default 35)")
    t.add_argument("--batch", type=int, default=20, help="training streams per batch (default 20)")
    t.add_argument("--eval-batch", type=int, default=10, help="streams for validation/test (default 10)")
    t.add_argument("--optimizer", choices=("sgd", "adam", "adamw"), default="sgd", help="optimizer (default sgd)")
    t.add_argument("--lr", type=float, default=20.0, help="learning rate (default 20, for SGD)")
    t.add_argument("--momentum", type=float, default=0.0, help="SGD momentum (default 0)")
    t.add_argument("--weight-decay", type=float, default=0.0, help="weight decay (default 0)")
    t.add_argument("--clip", type=float, default=0.25, help="gradient norm clip (default 0.25; 0 = off)")
    t.add_argument("--schedule", choices=("plateau", "cosine", "none"), default="plateau",
                   help="LR schedule: divide by --lr-decay when validation stops improving, cosine, or none")
    t.add_argument("--lr-decay", type=float, default=4.0, help="plateau divisor (default 4)")
    t.add_argument("--patience", type=int, default=0, help="epochs without improvement before dividing (default 0)")
    t.add_argument("--early-stop", type=int, default=None, help="stop after this many epochs without improvement")
    t.add_argument("--epochs", type=int, default=6, help="epochs (default 6)")
    t.add_argument("--max-minutes", type=float, default=None, help="stop training after this many minutes")
    t.add_argument("--checkpoint-every", type=int, default=200, help="write OUT.resume.pt every N steps (default 200)")
    t.add_argument("--resume", action="store_true", help="continue from OUT.resume.pt (same files and options)")
    t.add_argument("--dry-run", type=int, nargs="?", const=3, default=None, metavar="STEPS",
                   help="train only a few steps (default 3) and validate on as many windows, for CI")
    t.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    add_device_args(t)
    t.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                   help="training arithmetic: bf16 autocast is ~1.9x faster on CPUs with AVX512-BF16 and on "
                        "CUDA; weights and evaluation stay float32 (default fp32)")
    t.add_argument("--json", action="store_true", help="print the summary as JSON instead of tables")
    t.add_argument("-o", "--output", required=True, help="model file to write (e.g. lm.pt)")
    t.set_defaults(func=run_train)

    e = lsub.add_parser("eval", help="perplexity of a text under a trained model",
                        description="Perplexity = exp(mean NLL per target token, <eos> included).")
    e.add_argument("model", help="model file written by `wordlab lm train`")
    e.add_argument("--text", nargs="+", required=True, metavar="FILE", help="text file(s) to score")
    e.add_argument("--batch", type=int, default=10, help="evaluation streams (default 10; 1 = every token)")
    e.add_argument("--bptt", type=int, default=35, help="window length (default 35)")
    add_device_args(e)
    e.add_argument("--json", action="store_true", help="print JSON")
    e.set_defaults(func=run_eval)

    g = lsub.add_parser("generate", help="sample text from a trained model",
                        description="Sample text: greedy, temperature, top-k, top-p, banned words, repetition penalty.")
    g.add_argument("model", help="model file written by `wordlab lm train`")
    g.add_argument("--prompt", default="", help="text to continue (default: start of a sentence)")
    g.add_argument("-n", "--max-tokens", type=int, default=60, help="words to generate (default 60)")
    g.add_argument("--greedy", action="store_true", help="always take the most probable word")
    g.add_argument("--temperature", type=float, default=1.0, help="softmax temperature (default 1)")
    g.add_argument("--top-k", type=int, default=0, help="sample among the k most probable words (0 = off)")
    g.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (default 1 = off)")
    g.add_argument("--repetition-penalty", type=float, default=1.0, help="CTRL repetition penalty (default 1 = off)")
    g.add_argument("--ban", nargs="+", action="extend", default=[], metavar="WORD", help="words never to sample")
    g.add_argument("--allow-unk", action="store_true", help="allow sampling <unk> (banned by default)")
    g.add_argument("--stop-at-eos", action="store_true", help="stop at the end of the sentence")
    g.add_argument("--seed", type=int, default=None, help="random seed (reproducible samples)")
    g.add_argument("--int8", action="store_true",
                   help="int8 weights (dynamic quantization; CPU only): several times faster, slightly different")
    add_device_args(g, default="cpu", threads=False)
    g.set_defaults(func=run_generate)

    x = lsub.add_parser("export-vectors", help="save the input word embeddings as word vectors",
                        description="Export the input embeddings as KeyedVectors (.bin, .txt/.vec or .npz).")
    x.add_argument("model", help="model file written by `wordlab lm train`")
    x.add_argument("-o", "--output", required=True, help="vectors file (.bin word2vec binary, .txt/.vec, .npz)")
    x.set_defaults(func=run_export)


def run_train(args: argparse.Namespace) -> int:
    """``wordlab lm train``."""
    from wordlab.lm import LMConfig, load_lm_data, train_language_model
    from wordlab.training import TrainConfig

    if args.threads is not None or args.device in ("cpu", "auto"):
        set_threads(args.threads)
    data = load_lm_data(args.train, args.valid, args.test, eos=args.eos, min_count=args.min_count,
                        max_size=args.max_vocab, progress=args.progress)
    cfg = LMConfig(vocab_size=len(data.vocab), cell=args.model, layers=args.layers, emb_size=args.emb,
                   hidden_size=args.hidden, dropout=args.dropout,
                   emb_dropout=args.dropout if args.emb_dropout is None else args.emb_dropout,
                   variational=args.variational, tie_weights=args.tie, init_range=args.init_range)
    tcfg = TrainConfig(epochs=args.epochs, optimizer=args.optimizer, lr=args.lr, momentum=args.momentum,
                       weight_decay=args.weight_decay, clip=args.clip or None, schedule=args.schedule,
                       lr_decay=args.lr_decay, patience=args.patience, early_stop=args.early_stop,
                       max_minutes=args.max_minutes, dry_run=args.dry_run, checkpoint_every=args.checkpoint_every,
                       seed=args.seed, precision=args.precision)
    if args.bptt < 1 or args.batch < 1 or args.eval_batch < 1:
        raise ConfigError("--bptt, --batch and --eval-batch must be >= 1")
    t0 = time.perf_counter()
    res = train_language_model(data, cfg, tcfg, batch_size=args.batch, bptt=args.bptt, eval_batch_size=args.eval_batch,
                               out=args.output, resume=args.resume, device=args.device,
                               extra={"eos": args.eos}, progress=args.progress)
    summary = {"output": args.output, "vocab_size": len(data.vocab), "train_tokens": int(len(data.train)),
               "parameters": res.model.num_parameters(), "stopped": res.fit.stopped, "steps": res.fit.steps,
               "best_epoch": res.fit.best_epoch, "seconds": round(time.perf_counter() - t0, 1),
               "cpu_seconds": round(_cpu_seconds(), 1), **res.metrics}
    if args.json:
        print_json({"summary": summary, "history": res.fit.history})
        return 0
    rows = [[r["epoch"], r["steps"], round(r["train_ppl"], 2), round(r["valid_ppl"], 2) if "valid_ppl" in r else "-", r["lr"],
             round(r["tok_per_s"]), r["seconds"]] for r in res.fit.history]
    print_table(rows, ["epoch", "steps", "train ppl", "valid ppl", "lr", "tok/s", "seconds"])
    print()
    print_table([[k, v] for k, v in summary.items()], ["", "value"])
    return 0


def _cpu_seconds() -> float:
    """CPU time (user + system) this process has used: on a shared machine, what it really got."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_eval(args: argparse.Namespace) -> int:
    """``wordlab lm eval``."""
    from wordlab.lm import load_lm
    from wordlab.lm.data import encode_corpus_files
    from wordlab.lm.perplexity import nll

    set_threads(args.threads)
    model, vocab, payload = load_lm(args.model, device=args.device)
    eos = (payload.get("extra") or {}).get("eos", True)
    ids = encode_corpus_files(args.text, vocab, eos=eos)
    total, count = nll(model, ids, batch_size=args.batch, bptt=args.bptt)
    out = {"model": args.model, "text": args.text, "tokens": count, "nll": total / count,
           "perplexity": math.exp(total / count)}
    if args.json:
        print_json(out)
    else:
        print(f"perplexity {out['perplexity']:.2f}  (mean NLL {out['nll']:.4f} nats over {count:,} target tokens)")
    return 0


def run_generate(args: argparse.Namespace) -> int:
    """``wordlab lm generate``."""
    from wordlab.lm import SamplingConfig, generate, load_lm, quantize_int8, render

    model, vocab, _ = load_lm(args.model, device="cpu" if args.int8 else args.device)
    if args.int8:
        model = quantize_int8(model)
    cfg = SamplingConfig(max_tokens=args.max_tokens, greedy=args.greedy, temperature=args.temperature,
                         top_k=args.top_k, top_p=args.top_p, repetition_penalty=args.repetition_penalty,
                         banned=tuple(args.ban), allow_unk=args.allow_unk, stop_at_eos=args.stop_at_eos,
                         seed=args.seed)
    tokens = generate(model, vocab, args.prompt, cfg)
    text = render(tokens)
    sys.stdout.write((args.prompt + " " if args.prompt else "") + text + "\n")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """``wordlab lm export-vectors``."""
    from wordlab.lm import embeddings_to_keyed_vectors, load_lm

    model, vocab, _ = load_lm(args.model, device="cpu")
    kv = embeddings_to_keyed_vectors(model, vocab)
    kv.save(args.output)
    print(f"wrote {len(kv):,} vectors of size {kv.vector_size} to {args.output}")
    return 0
