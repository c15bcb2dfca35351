#!/usr/bin/env python
"""fastText benchmark: wordlab's ``FastText`` beside the fastText tool and gensim's ``FastText``, in one run.

Data: ``../shared/data/wikimix/wikimix.txt.gz`` (3.5M words; ``WORDLAB_DATA`` overrides the folder),
lines cut to 1000 words (the tool cuts at 1024 tokens) and written once to a temporary file that all
three read; wordlab reads it with ``eos=True`` (windows stop at line ends, as for the others).

Settings (issue 17): the tool's defaults for everything not listed — lr 0.05, sample 1e-4,
min count 5, bucket 2,000,000, noise exponent 0.5 — with dim 100, window 5, 5 negatives,
min_n 3, max_n 6, ``--epochs`` (5) and ``--threads`` (2); the same values passed to all three.

* unsupervised (``--sg 1`` skip-gram, ``0`` CBOW): for each seed, each tool trains end to end
  (vocabulary scan + training) in its own child process; words/s = corpus words x epochs / seconds,
  and per CPU-second (user + system time of the child, all threads): on a shared, overloaded machine
  the CPU-time ratio is the steadier one.
  Quality with one evaluator (wordlab's) on every tool's vectors: Google analogy (3CosAdd, restrict
  30k), Stanford RW Spearman with out-of-vocabulary words scored from their n-grams (``oov=True``;
  the tool's and gensim's n-gram rows read into a ``FastTextKeyedVectors``, which gives the tool's
  ``get_word_vector`` exactly), WS-353 Spearman. Means over ``--seeds``.
* supervised (``--only supervised``): MR polarity (``mr/rt-polarity.{pos,neg}``), 10 folds,
  wordlab's ``FastTextClassifier`` vs ``fasttext.train_supervised`` with ``wordNgrams 2`` and the same
  epochs, lr, dim; training time of the training call (after a JIT warm-up for wordlab).

  Each finished run is written to ``--output`` at once; ``--merge`` adds a run's seeds to those stored
  (same corpus, epochs, threads and settings), so seeds can be run one invocation at a time and a
  stopped invocation keeps what it finished. Every run records the 1-minute load average at its end.

    nice -n 10 python benchmarks/fasttext.py --seeds 1,2,3          # ~30 min on 2 busy cores
    nice -n 10 python benchmarks/fasttext.py --only unsupervised --epochs 5 --seeds 2 --tools wordlab-pair --merge
    nice -n 10 python benchmarks/fasttext.py --only supervised
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # this file must not shadow `fasttext`
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "benchmarks" / "results" / "fasttext.json"
MAX_LINE = 1000
COMMON = dict(dim=100, ws=5, neg=5, minn=3, maxn=6, lr=0.05, t=1e-4, minCount=5, bucket=2_000_000)
TOOLS = ("wordlab", "fasttext", "gensim")


def write_lines(src: Path, dst: Path) -> int:
    """``src`` (gz) to ``dst``, lines cut at ``MAX_LINE`` words; returns the word count."""
    n = 0
    with gzip.open(src, "rt", encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for line in f:
            words = line.split()
            n += len(words)
            for i in range(0, len(words), MAX_LINE):
                out.write(" ".join(words[i:i + MAX_LINE]) + "\n")
    return n


def train(tool: str, path: Path, sg: int, epochs: int, threads: int, seed: int):
    """Train one model end to end; returns (FastTextKeyedVectors, seconds)."""
    from wordlab.fasttext import FastTextKeyedVectors

    c = COMMON
    t0 = time.perf_counter()
    if tool in ("wordlab", "wordlab-pair"):  # wordlab-pair: the tool's per-pair skip-gram update (sg_update="pair")
        from wordlab.fasttext import FastText
        from wordlab.text import read_corpus

        model = FastText(progress=False, cache_dir=False, sg=sg, vector_size=c["dim"], window=c["ws"],
                         negative=c["neg"], min_n=c["minn"], max_n=c["maxn"], alpha=c["lr"], sample=c["t"],
                         min_count=c["minCount"], bucket=c["bucket"], ns_exponent=0.5, epochs=epochs,
                         workers=threads, seed=seed, sg_update="pair" if tool == "wordlab-pair" else "window")
        model.build_vocab(read_corpus(path, eos=True))
        model.train()
        seconds = time.perf_counter() - t0
        return model.wv, seconds
    if tool == "fasttext":
        import fasttext

        ft = fasttext.train_unsupervised(str(path), model="skipgram" if sg else "cbow", epoch=epochs, thread=threads,
                                         verbose=0, **c)  # this wheel's train_unsupervised takes no seed
        seconds = time.perf_counter() - t0
        words, M = list(ft.words), ft.get_input_matrix()
        n = len(words)
        keep = [i for i, w in enumerate(words) if w != "</s>"]
        return FastTextKeyedVectors([words[i] for i in keep], M[:n][keep], M[n:], c["minn"], c["maxn"],
                                    c["bucket"]), seconds
    from gensim.models import FastText as GensimFastText

    g = GensimFastText(sg=sg, vector_size=c["dim"], window=c["ws"], negative=c["neg"], min_n=c["minn"],
                       max_n=c["maxn"], alpha=c["lr"], sample=c["t"], min_count=c["minCount"], bucket=c["bucket"],
                       ns_exponent=0.5, epochs=epochs, workers=threads, seed=seed)
    g.build_vocab(corpus_file=str(path))
    g.train(corpus_file=str(path), total_words=g.corpus_total_words, total_examples=g.corpus_count, epochs=epochs)
    seconds = time.perf_counter() - t0
    return FastTextKeyedVectors(list(g.wv.index_to_key), g.wv.vectors_vocab, g.wv.vectors_ngrams, c["minn"],
                                c["maxn"], c["bucket"]), seconds


def evaluate(kv) -> dict:
    from wordlab.evaluation import evaluate_word_analogies, evaluate_word_pairs

    sim = DATA / "similarity"
    rw_oov = evaluate_word_pairs(kv, sim / "EN-RW-STANFORD.txt", oov=True)
    rw_known = evaluate_word_pairs(kv, sim / "EN-RW-STANFORD.txt")
    return {"analogy": float(evaluate_word_analogies(kv, DATA / "analogy" / "questions-words.txt",
                                                     restrict_vocab=30000)[0]),
            "rw_oov": float(rw_oov[1][0]), "rw_oov_skipped_pct": float(rw_oov[2]),
            "rw_known": float(rw_known[1][0]), "rw_known_skipped_pct": float(rw_known[2]),
            "ws353": float(evaluate_word_pairs(kv, sim / "wordsim353.tsv")[1][0]), "vocab": len(kv)}


def child(args) -> int:
    import resource

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    c0 = cpu()
    kv, seconds = train(args.child, Path(args.corpus), args.sg, args.epochs, args.threads, args.seed)
    out = {"tool": args.child, "seed": args.seed, "seconds": seconds, "cpu_seconds": cpu() - c0, **evaluate(kv)}
    print("RESULT " + json.dumps(out))
    return 0


def unsupervised(args, rows: list, results: dict, out: Path) -> None:
    src = DATA / "wikimix" / "wikimix.txt.gz"
    seeds = [int(s) for s in args.seeds.split(",")]
    tools = args.tools.split(",")
    name = "skip-gram" if args.sg else "CBOW"
    with tempfile.TemporaryDirectory(prefix="wordlab-ft-bench-") as tmp:
        corpus = Path(tmp) / "wikimix.txt"
        words = write_lines(src, corpus)
        section = f"unsupervised_{name}"
        header = {"words": words, "epochs": args.epochs, "threads": args.threads, "settings": COMMON}
        stored = []
        previous = results.get(section)
        if args.merge and previous:  # add this run's seeds to the stored ones (same corpus and settings only)
            if any(previous.get(k) != v for k, v in header.items()):
                raise SystemExit(f"--merge: the stored {section} was run with other settings "
                                 f"({ {k: previous.get(k) for k in header} }); rerun without --merge")
            stored = previous["runs"]
        runs: list = []
        for seed in seeds:
            for tool in tools:
                cmd = [sys.executable, __file__, "--child", tool, "--corpus", str(corpus), "--sg", str(args.sg),
                       "--epochs", str(args.epochs), "--threads", str(args.threads), "--seed", str(seed)]
                proc = subprocess.run(cmd, capture_output=True, text=True)
                line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
                if proc.returncode or not line:
                    raise SystemExit(f"{tool} seed {seed} failed:\n{proc.stderr[-3000:]}")
                r = json.loads(line[0][7:])
                r["load_avg_1min"] = os.getloadavg()[0]  # at the end of this run (`uptime`'s first figure)
                r["words_per_second"] = words * args.epochs / r["seconds"]
                r["words_per_cpu_second"] = words * args.epochs / r["cpu_seconds"]
                runs.append(r)
                print(f"  {tool} seed {seed}: {r['words_per_second']:,.0f} words/s, analogy {100 * r['analogy']:.2f} %, "
                      f"RW {r['rw_oov']:.3f}, WS {r['ws353']:.3f} (load {r['load_avg_1min']:.1f})", file=sys.stderr,
                      flush=True)
                mean = _store(results, section, header, stored, runs, out)  # a stopped run keeps what it finished
    tools = list(mean)
    for t in tools:
        m = mean[t]
        ratio = m["words_per_second"] / mean["fasttext"]["words_per_second"] if "fasttext" in mean else float("nan")
        cpu_ratio = (m["words_per_cpu_second"] / mean["fasttext"]["words_per_cpu_second"] if "fasttext" in mean
                     else float("nan"))
        rows.append([f"{name} {t} (seeds {','.join(map(str, m['seeds']))})", f"{m['words_per_second']:,.0f}", f"{ratio:.2f}x",
                     f"{m['words_per_cpu_second']:,.0f}", f"{cpu_ratio:.2f}x", f"{m['seconds']:.1f}",
                     f"{100 * m['analogy']:.2f}", f"{m['rw_oov']:.3f}", f"{m['rw_known']:.3f} ({m['rw_known_skipped_pct']:.0f}% skipped)",
                     f"{m['ws353']:.3f}"])


def _store(results: dict, section: str, header: dict, stored: list, runs: list, out: Path) -> dict:
    """Put ``stored`` runs (those a new run of the same tool and seed does not replace) and ``runs`` into
    ``results[section]`` with each tool's means, write ``out`` atomically; returns the means."""
    from wordlab.atomic import atomic_write_text

    done = {(r["tool"], r["seed"]) for r in runs}
    runs = [r for r in stored if (r["tool"], r["seed"]) not in done] + runs
    keys = ("words_per_second", "words_per_cpu_second", "seconds", "cpu_seconds", "analogy", "rw_oov",
            "rw_oov_skipped_pct", "rw_known", "rw_known_skipped_pct", "ws353", "vocab", "load_avg_1min")
    mean = {}
    for t in dict.fromkeys(r["tool"] for r in runs):
        mine = [r for r in runs if r["tool"] == t]
        mean[t] = {k: float(np.mean([r[k] for r in mine if k in r])) for k in keys if any(k in r for r in mine)}
        mean[t]["seeds"] = sorted(r["seed"] for r in mine)
    results[section] = {**header, "seeds": sorted({r["seed"] for r in runs}), "mean": mean, "runs": runs}
    atomic_write_text(out, json.dumps(results, indent=2, default=float))
    return mean


def supervised(args, rows: list, results: dict) -> None:
    """MR 10-fold: wordlab's FastTextClassifier vs fasttext.train_supervised, same folds, tokens and order."""
    import fasttext

    from wordlab.classify.cv import kfold_indices
    from wordlab.classify.data import read_mr
    from wordlab.fasttext import FastTextClassifier

    data = read_mr(DATA / "mr" / "rt-polarity.pos", DATA / "mr" / "rt-polarity.neg", clean=True)
    names = ["__label__" + data.label_names[y] for y in data.labels]
    folds = kfold_indices(data.labels, args.folds, seed=0)
    params = dict(dim=100, lr=0.1, epochs=args.sup_epochs, word_ngrams=2, min_count=1, bucket=2_000_000, threads=1)
    FastTextClassifier.train([["warm", "up"]] * 4, ["a", "b"] * 2, dim=4, bucket=10, word_ngrams=2)  # JIT
    import resource

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    acc = {"wordlab": [], "fasttext": []}
    secs = {"wordlab": [], "fasttext": []}
    cpus = {"wordlab": [], "fasttext": []}
    with tempfile.TemporaryDirectory(prefix="wordlab-ft-sup-") as tmp:
        for k, test in enumerate(folds):
            train = np.setdiff1d(np.arange(len(names)), test)
            train = np.random.default_rng(k).permutation(train)  # one shuffled order for both tools
            texts = [data.texts[i] for i in train]
            labels = [names[i] for i in train]
            path = Path(tmp) / "train.txt"
            path.write_text("".join(f"{y} {' '.join(t)}\n" for y, t in zip(labels, texts)), encoding="utf-8")
            t0, c0 = time.perf_counter(), cpu()
            clf, _ = FastTextClassifier.train(texts, labels, **params)
            secs["wordlab"].append(time.perf_counter() - t0)
            cpus["wordlab"].append(cpu() - c0)
            acc["wordlab"].append(clf.test([data.texts[i] for i in test], [names[i] for i in test]))
            t0, c0 = time.perf_counter(), cpu()
            ft = fasttext.train_supervised(str(path), dim=params["dim"], lr=params["lr"], epoch=params["epochs"],
                                           wordNgrams=2, minCount=1, bucket=params["bucket"], thread=1, verbose=0)
            secs["fasttext"].append(time.perf_counter() - t0)
            cpus["fasttext"].append(cpu() - c0)
            pred, _ = ft.predict([" ".join(data.texts[i]) for i in test])
            acc["fasttext"].append(float(np.mean([p[0] == names[i] for p, i in zip(pred, test)])))
            print(f"  fold {k + 1}: wordlab {100 * acc['wordlab'][-1]:.2f} % in {secs['wordlab'][-1]:.2f} s, "
                  f"tool {100 * acc['fasttext'][-1]:.2f} % in {secs['fasttext'][-1]:.2f} s ({cpus['wordlab'][-1]:.2f} / "
                  f"{cpus['fasttext'][-1]:.2f} CPU-s)", file=sys.stderr, flush=True)
    results["supervised_mr"] = {"folds": args.folds, "params": params, "accuracy": acc, "train_seconds": secs,
                                "train_cpu_seconds": cpus,
                                "mean_accuracy": {t: float(np.mean(v)) for t, v in acc.items()}}
    for t in ("wordlab", "fasttext"):
        rows.append([f"MR {args.folds}-fold, wordNgrams 2, {params['epochs']} epochs: {t}",
                     f"{100 * np.mean(acc[t]):.2f}", f"{np.sum(secs[t]):.2f}",
                     f"{np.sum(secs['fasttext']) / np.sum(secs[t]):.2f}x", f"{np.sum(cpus[t]):.2f}",
                     f"{np.sum(cpus['fasttext']) / np.sum(cpus[t]):.2f}x"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=("unsupervised", "supervised"), help="run one part")
    ap.add_argument("--sg", type=int, default=1, help="1 skip-gram (default), 0 CBOW")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (quality is their mean)")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS)
                    + ", wordlab-pair (wordlab runs sg_update='window', wordlab-pair the tool's per-pair update "
                    "sg_update='pair')")
    ap.add_argument("--folds", type=int, default=10, help="supervised: cross-validation folds")
    ap.add_argument("--sup-epochs", type=int, default=5, help="supervised: epochs for both tools (the tool's default)")
    ap.add_argument("--output", default=str(RESULTS), help="JSON results file (sections are merged)")
    ap.add_argument("--merge", action="store_true",
                    help="unsupervised: add these seeds' runs to those stored in --output (same corpus, epochs, "
                         "threads and settings; a rerun tool/seed replaces its stored run); means over all")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        return child(args)
    from wordlab.atomic import atomic_write_text
    from wordlab.cli.common import print_table

    out = Path(args.output)
    results = json.loads(out.read_text()) if out.is_file() else {}
    results.setdefault("machine", {})["load_avg_start"] = os.getloadavg()[0]
    if args.only in (None, "unsupervised"):
        rows: list = []
        unsupervised(args, rows, results, out)
        print_table(rows, ["model", "words/s", "vs tool", "words/CPU-s", "vs tool", "seconds", "analogy %", "RW rho (OOV)", "RW rho (known)",
                           "WS-353 rho"])
    if args.only in (None, "supervised"):
        rows = []
        supervised(args, rows, results)
        print_table(rows, ["classifier", "accuracy % (mean of folds)", "train s (sum)", "speed vs tool",
                           "train CPU-s (sum)", "CPU speed vs tool"])
    results["machine"]["load_avg_end"] = os.getloadavg()[0]
    atomic_write_text(out, json.dumps(results, indent=2, default=float))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
