"""``wordlab lm``: train / eval / generate / export-vectors for RNN language models."""

from __future__ import annotations

import argparse
import resource
import sys
import time

from wordlab.lm.config import ARCH_TRAIN_DEFAULTS, ARCHITECTURES, PRESETS, TRAIN_DEFAULTS, LMDataConfig
from wordlab.tensor import set_threads
from wordlab.training import TrainConfig

from .common import add_device_args, check_at_least, print_json, print_table
from .configargs import (ExplicitStore, add_config_arguments, add_config_file_argument, add_deprecated_option,
                         config_from_arguments, layered_value)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wordlab lm {train,eval,generate,export-vectors}``."""
    lm = sub.add_parser("lm", help="RNN/LSTM/GRU language models: train, perplexity, text generation",
                        description="Word-level RNN / LSTM / GRU language models.")
    lsub = lm.add_subparsers(dest="lm_command", metavar="ACTION")
    lsub.required = True

    t = lsub.add_parser("train", help="train a language model (PTB-style files: one sentence per line)",
                        description="Train a language model; writes OUT (best model), OUT.resume.pt, OUT.history.json. "
                                    "Model, data and training flags come from LMConfig, LMDataConfig and TrainConfig; "
                                    "their defaults train a small model in minutes.")
    t.add_argument("--train", nargs="+", required=True, metavar="FILE", help="training text file(s)")
    t.add_argument("--valid", nargs="+", metavar="FILE", help="validation text (perplexity each epoch, LR annealing)")
    t.add_argument("--test", nargs="+", metavar="FILE", help="test text, scored once with the best model at the end")
    t.add_argument("-o", "--output", required=True, help="model file to write (e.g. lm.pt)")
    t.add_argument("--arch", choices=tuple(ARCHITECTURES), default="rnn", type=str.lower, action=ExplicitStore,
                   help="model architecture (default: rnn)")
    add_config_file_argument(t, presets=PRESETS, keys=("arch",))
    model = t.add_argument_group("model")
    for config in ARCHITECTURES.values():
        add_config_arguments(t, config, group=model)
    add_config_arguments(t, LMDataConfig, group=t.add_argument_group("data"))
    add_config_arguments(t, TrainConfig, overrides=TRAIN_DEFAULTS, group=t.add_argument_group("training"))
    t.add_argument("--resume", action="store_true", help="continue from OUT.resume.pt (same files and options)")
    add_device_args(t)
    t.add_argument("--json", action="store_true", help="print the summary as JSON instead of tables")
    t.set_defaults(func=run_train)

    e = lsub.add_parser("eval", help="perplexity of a text under a trained model",
                        description="Perplexity = exp(mean NLL per target token, <eos> included).")
    e.add_argument("model", help="model file written by `wordlab lm train`")
    e.add_argument("--text", nargs="+", required=True, metavar="FILE", help="text file(s) to score")
    e.add_argument("--batch-size", type=int, default=10, help="evaluation streams (default 10; 1 = every token)")
    add_deprecated_option(e, "--batch", dest="batch_size", use="--batch-size", type=int)
    e.add_argument("--bptt", type=int, default=35, help="window length (default 35)")
    c = e.add_argument_group("continuous cache (Grave et al. 2017): mix in a pointer to the words just seen")
    c.add_argument("--cache-size", type=int, default=0,
                   help="remembered positions per stream (0 = no cache; the paper uses 100-2000; 2000 with --tune-cache)")
    c.add_argument("--cache-theta", type=float, default=0.3, help="flatness of the cache distribution (default 0.3)")
    c.add_argument("--cache-lambda", type=float, default=0.1, help="weight of the cache (default 0.1)")
    c.add_argument("--tune-cache", nargs="+", metavar="FILE",
                   help="pick --cache-theta and --cache-lambda on these (validation) files first, by a grid")
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
    g.add_argument("--stop", action="append", default=[], metavar="TEXT",
                   help="stop when the generated text contains TEXT, which is not printed (repeatable)")
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
    """``wordlab lm train``: parse → :func:`wordlab.lm.train_language_model` → print."""
    from wordlab.lm import train_language_model

    arch = layered_value(args, "arch", ARCHITECTURES)
    model_cfg = config_from_arguments(ARCHITECTURES[arch], args)
    data_cfg = config_from_arguments(LMDataConfig, args)
    train_cfg = config_from_arguments(TrainConfig, args, base={**TRAIN_DEFAULTS, **ARCH_TRAIN_DEFAULTS.get(arch, {})})
    if args.threads is not None or args.device in ("cpu", "auto"):
        set_threads(args.threads)
    t0 = time.perf_counter()
    res = train_language_model(args.train, model_cfg, train_cfg, valid=args.valid, test=args.test, data_cfg=data_cfg,
                               out=args.output, resume=args.resume, device=args.device, progress=args.progress)
    data = res.data
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
    """``wordlab lm eval``: per-token perplexity, word-level perplexity and bits per byte (wordlab.lm.evaluate)."""
    from wordlab.lm import load_lm
    from wordlab.lm.cache import CacheConfig
    from wordlab.lm.evaluate import evaluate_text, tune_text_cache

    check_at_least(args, batch_size=1, bptt=1)
    set_threads(args.threads)
    model, vocab, payload = load_lm(args.model, device=args.device)
    eos = (payload.get("extra") or {}).get("eos", True)
    cache, grid = None, None
    if args.cache_size or args.tune_cache:
        cache = CacheConfig(args.cache_size or 2000, args.cache_theta, args.cache_lambda)
    if args.tune_cache:
        cache, grid = tune_text_cache(model, vocab, args.tune_cache, payload=payload, batch_size=args.batch_size,
                                      bptt=args.bptt, eos=eos, size=cache.size)
    out = {"model": args.model, "text": args.text,
           **evaluate_text(model, vocab, args.text, payload=payload, batch_size=args.batch_size, bptt=args.bptt,
                           eos=eos, cache=cache)}
    if grid is not None:
        out["cache_tuned_on"] = {"text": args.tune_cache, "grid": grid}
    if args.json:
        print_json(out)
        return 0
    if grid is not None:
        base = next(g for g in grid if g["lambda"] == 0)
        print(f"cache tuned on {', '.join(args.tune_cache)}: theta {cache.theta:g}, lambda {cache.lam:g} "
              f"(per-token perplexity there {min(g['perplexity'] for g in grid):.2f}, without the cache "
              f"{base['perplexity']:.2f})")
    if cache is not None:
        print(f"continuous cache: {cache.size} positions, theta {cache.theta:g}, lambda {cache.lam:g}")
    print(f"perplexity {out['perplexity']:.2f}  (mean NLL {out['nll']:.4f} nats over {out['tokens']:,} target "
          f"{out['tokenizer']} tokens)")
    if "word_perplexity" in out:
        print(f"word-level perplexity {out['word_perplexity']:.2f}  (over {out['words']:,} words + <eos>)")
        print(f"bits per byte {out['bits_per_byte']:.4f}  (over {out['bytes']:,} bytes)")
    return 0


def run_generate(args: argparse.Namespace) -> int:
    """``wordlab lm generate``: each word is printed (and flushed) as soon as it is drawn."""
    from wordlab.decoding import SamplingConfig
    from wordlab.lm import load_lm, quantize_int8
    from wordlab.lm.subword import stream_lm_text

    cfg = SamplingConfig(max_tokens=args.max_tokens, greedy=args.greedy, temperature=args.temperature,
                         top_k=args.top_k, top_p=args.top_p, repetition_penalty=args.repetition_penalty,
                         banned=tuple(args.ban), allow_unk=args.allow_unk, stop_at_eos=args.stop_at_eos,
                         stop=tuple(args.stop), seed=args.seed)  # every option checked before the model is read
    model, vocab, payload = load_lm(args.model, device="cpu" if args.int8 else args.device)
    if args.int8:
        model = quantize_int8(model)
    if args.prompt and not (payload.get("extra") or {}).get("tokenizer"):  # word level: say what becomes <unk>
        unknown = [w for w in dict.fromkeys(args.prompt.split()) if w not in vocab and w.lower() not in vocab]
        if unknown:
            print("wordlab: warning: not in the model's vocabulary (read as <unk>): " + " ".join(unknown[:10])
                  + (" ..." if len(unknown) > 10 else ""), file=sys.stderr)
    pieces = stream_lm_text(model, vocab, payload, args.prompt, cfg)  # validates before the prompt is echoed
    out, last = sys.stdout, ""
    if args.prompt:  # BPE text carries its own spaces; words are joined by one
        out.write(args.prompt + ("" if (payload.get("extra") or {}).get("tokenizer") else " "))
        out.flush()
    for piece in pieces:
        out.write(piece)
        out.flush()
        last = piece[-1:] or last
    if last != "\n":
        out.write("\n")
    out.flush()
    return 0


def run_export(args: argparse.Namespace) -> int:
    """``wordlab lm export-vectors``."""
    from wordlab.lm import embeddings_to_keyed_vectors, load_lm

    model, vocab, _ = load_lm(args.model, device="cpu")
    kv = embeddings_to_keyed_vectors(model, vocab)
    kv.save(args.output)
    print(f"wrote {len(kv):,} vectors of size {kv.vector_size} to {args.output}")
    return 0
