#!/usr/bin/env python
"""word2vec benchmark: wordlab's fast CPU trainer side by side with gensim 4.4 in one run.

Data: ``../shared/data/wikimix/wikimix.txt.gz`` (3.5M words; override the data folder with
``WORDLAB_DATA``), evaluation sets ``analogy/questions-words.txt`` and
``similarity/wordsim353.tsv``. Settings (the issue's): vector_size=100, window=5, negative=5,
sample=1e-3, min_count=5, workers=2, sg and CBOW.

* throughput: wikimix read 5 times over (17.7M words, text8's size), ``epochs=1``, end to end
  (vocabulary scan + training, numba's cached kernel load included) in words/s; gensim in its
  fastest ``corpus_file`` mode;
* quality: wikimix once, ``epochs=5``: Google analogy accuracy (restrict_vocab=30000, 3CosAdd)
  and WordSim-353 Spearman, the same evaluator for both tools;
* scaling: 1 vs 2 workers on 5× wikimix; wall time on 1×/2×/4× wikimix (2 workers);
* the torch batched trainer's CPU throughput (on a 300k-word slice; it is the reference, not the fast path);
* numba compile time, cold (empty cache) and warm (cached);
* ``--only hs``: hierarchical softmax (``hs=1, negative=0``), skip-gram and CBOW, wikimix once,
  ``--epochs`` (5): wordlab vs gensim ``hs=1, negative=0`` vs the C tool ``-hs 1 -negative 0``
  (``../shared/anchors/word2vec/word2vec.c`` built with ``gcc -O3 -march=native -funroll-loops``, its makefile's
  flags, into a temporary folder): words/s end to end, Google analogy (restrict 30k), WS-353;
* ``--only cbow``: CBOW with negative sampling at each tool's default learning rate (wordlab and the
  C tool 0.05, gensim 0.025), ``--epochs`` (5), the same three tools.

Every tool gets the same settings (``COMMON``, ``--workers``); the C tool has no seed option (its
random streams are seeded by thread number), so its rows repeat one run for every seed.

Both tools read the same uncompressed file written to a temporary folder, one sentence per
line, lines longer than 1000 words cut into 1000-word lines (the C tool's sentence limit); wordlab reads
it with ``eos=True`` so that, as for gensim, windows stop at line ends.
This matters: gensim's ``corpus_file`` reader silently trains only the first 10,000 effective
words of each batch, so the 1.17M-word first line of wikimix (text8-head) would be almost
entirely skipped, and lines of 10,000 words lose ~27 % of their words.

Quality is the mean over ``--seeds`` (one seed's comparison is mostly noise). gensim is run as
its documentation says (``train(corpus_file=..., total_examples=corpus_count, ...)``), which
decays α by *lines* read, not words. On wikimix that keeps α high for a third of every epoch (the
first 1.17M words are one text8 line, cut here into 1,170 of the file's ~48k lines), and with
``workers > 1`` each ``corpus_file`` worker measures its progress against the whole corpus, so α
decays only half as far per epoch. CBOW likes the higher α: measured 2026-11-24, mean of seeds 1–3,
gensim CBOW gets 8.05 % analogy / ρ 0.409 as run here (2 workers), 7.61 % / 0.393 with
``total_examples=corpus_count // 2``, 7.27 % / 0.400 with 1 worker, and 6.95 % / 0.388 with 1 worker
and word-based decay (``total_words`` only) — wordlab's schedule, where wordlab gets 6.88 % / 0.391.

Timings are noisy on a shared machine: each configuration runs ``--repeats`` times,
alternating the tools, and the best time of each is compared (ratios, not absolute numbers).

    python benchmarks/word2vec.py            # everything (~10 min on 2 cores)
    python benchmarks/word2vec.py --quick    # throughput and quality only, 1 repeat
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
DATA = Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "benchmarks" / "results" / "word2vec.json"
MAX_LINE = 1000
COMMON = dict(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5)
ANCHOR = ROOT.parent / "shared" / "anchors" / "word2vec"


def write_lines(src: Path, dst: Path, copies: int) -> int:
    """``copies`` × ``src`` (gz) to ``dst``, lines cut at ``MAX_LINE`` words; returns the word count."""
    with gzip.open(src, "rt", encoding="utf-8") as f:
        lines = []
        for line in f:
            words = line.split()
            lines.extend(" ".join(words[i:i + MAX_LINE]) for i in range(0, len(words), MAX_LINE))
    text = "\n".join(lines) + "\n"
    with open(dst, "w", encoding="utf-8") as f:
        for _ in range(copies):
            f.write(text)
    return copies * sum(len(x.split()) for x in lines)


def run_wordlab(path: Path, sg: int, epochs: int, workers: int, trainer: str = "fast", seed: int = 1, **changes):
    from wordlab.text import read_corpus
    from wordlab.word2vec import Word2Vec

    t0, c0 = time.perf_counter(), time.process_time()
    model = Word2Vec(config=None, progress=False, cache_dir=False, sg=sg, epochs=epochs, workers=workers,
                     trainer=trainer, seed=seed, **{**COMMON, **changes})
    model.build_vocab(read_corpus(path, eos=True))  # a line is a sentence, as for gensim
    t1 = time.perf_counter()
    summary = model.train()
    t2, c2 = time.perf_counter(), time.process_time()
    return model, {"seconds": t2 - t0, "scan_seconds": t1 - t0, "train_seconds": t2 - t1, "cpu_seconds": c2 - c0,
                   "words": int(summary["words"]), "effective_words": int(summary["effective_words"])}


def run_gensim(path: Path, sg: int, epochs: int, workers: int, seed: int = 1, **changes):
    from gensim.models import Word2Vec as GensimWord2Vec

    t0, c0 = time.perf_counter(), time.process_time()
    model = GensimWord2Vec(sg=sg, epochs=epochs, workers=workers, seed=seed, **{**COMMON, **changes})
    model.build_vocab(corpus_file=str(path))
    t1 = time.perf_counter()
    effective, raw = model.train(corpus_file=str(path), total_words=model.corpus_total_words,
                                 total_examples=model.corpus_count, epochs=epochs)
    t2, c2 = time.perf_counter(), time.process_time()
    return model, {"seconds": t2 - t0, "scan_seconds": t1 - t0, "train_seconds": t2 - t1, "cpu_seconds": c2 - c0,
                   "effective_words": int(effective), "raw_words": int(raw)}


def build_c_tool(tmp: Path) -> Path | None:
    """``word2vec.c`` from the anchors, compiled with its makefile's flags; ``None`` when absent or no compiler."""
    src = ANCHOR / "word2vec.c"
    if not src.is_file():
        return None
    exe = tmp / "word2vec-c"
    r = subprocess.run(["gcc", str(src), "-o", str(exe), "-lm", "-pthread", "-O3", "-march=native", "-Wall",
                        "-funroll-loops", "-Wno-unused-result"], capture_output=True, text=True)
    return exe if r.returncode == 0 else None


def run_c_tool(exe: Path, path: Path, sg: int, epochs: int, workers: int, *, hs: int = 0, negative: int = 5,
               alpha: float | None = None):
    """The C tool end to end (vocabulary + training + writing binary vectors); returns (keys, vectors, stats)."""
    import resource

    from wordlab.vectors import KeyedVectors

    out = path.parent / "c-vectors.bin"
    cmd = [str(exe), "-train", str(path), "-output", str(out), "-cbow", str(1 - sg), "-size",
           str(COMMON["vector_size"]), "-window", str(COMMON["window"]), "-negative", str(negative), "-hs", str(hs),
           "-sample", str(COMMON["sample"]), "-min-count", str(COMMON["min_count"]), "-threads", str(workers),
           "-iter", str(epochs), "-binary", "1"]
    if alpha is not None:
        cmd += ["-alpha", str(alpha)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    kv = KeyedVectors.load(out)
    keys = [k for k in kv.index_to_key if k != "</s>"]
    vectors = np.stack([kv[k] for k in keys])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return keys, vectors, {"seconds": seconds, "cpu_seconds": cpu}


def three_tools(files: dict, sizes: dict, exe: Path | None, seeds: list[int], epochs: int, W: int, label: str,
                ours: dict, theirs: dict, c_tool: dict, results: dict, rows: list, archs=(1, 0)) -> None:
    """wordlab (``ours`` settings), gensim (``theirs``), the C tool (``c_tool``) on wikimix once: words/s, analogy, WS-353."""
    words = sizes[1]
    for sg in archs:
        name = "skip-gram" if sg else "CBOW"
        runs = {"wordlab": [], "gensim": [], "C tool": []}
        c_run = None
        for seed in seeds:
            om, o = run_wordlab(files[1], sg, epochs, W, seed=seed, **ours)
            runs["wordlab"].append(dict(evaluate(list(om.wv.index_to_key), om.wv.vectors), **o))
            gm, g = run_gensim(files[1], sg, epochs, W, seed=seed, **theirs)
            runs["gensim"].append(dict(evaluate(list(gm.wv.index_to_key), gm.wv.vectors), **g))
            if exe is not None and c_run is None:  # no seed option: one run stands for every seed
                keys, vectors, c = run_c_tool(exe, files[1], sg, epochs, W, **c_tool)
                c_run = dict(evaluate(keys, vectors), **c)
            if c_run is not None:
                runs["C tool"].append(c_run)
            for tool, rs in runs.items():  # each run as it comes (a cut run keeps what it measured)
                if rs and rs[-1].get("_shown") != seed:
                    r = rs[-1]
                    print(f"  {label} {name} seed {seed} {tool}: {words * epochs / r['seconds']:,.0f} words/s, "
                          f"analogy {100 * r['analogy']:.2f} %, WS-353 {r['ws353']:.3f}, {r['cpu_seconds']:.0f} CPU-s, "
                          f"load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
        mean = {t: {k: float(np.mean([r[k] for r in rs])) for k in ("analogy", "ws353", "seconds", "cpu_seconds")}
                for t, rs in runs.items() if rs}
        results[f"{label}_{name}"] = {"epochs": epochs, "seeds": seeds, "words": words, "wordlab": ours,
                                      "gensim": theirs, "c_tool": c_tool, "mean": mean, "runs": runs}
        ref = mean.get("C tool")
        for tool, m in mean.items():
            speed = words * epochs / m["seconds"]
            vs = f"{(ref['seconds'] / m['seconds']):.2f}x the C tool" if ref else ""
            rows.append([f"{label} {name}, {epochs} epochs: {tool}", speed, f"{100 * m['analogy']:.2f}",
                         f"{m['ws353']:.3f}", vs, f"{m['cpu_seconds']:.0f}"])


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["seconds"])


def evaluate(keys: list[str], vectors: np.ndarray) -> dict:
    """Analogy accuracy (restrict 30k) and WS-353 Spearman with one evaluator for both tools."""
    analogy = DATA / "analogy" / "questions-words.txt"
    pairs = DATA / "similarity" / "wordsim353.tsv"
    try:
        from wordlab.evaluation import evaluate_word_analogies, evaluate_word_pairs
        from wordlab.vectors import KeyedVectors

        kv = KeyedVectors(keys, vectors)
        evaluator = "wordlab.evaluation"
    except ImportError:  # the evaluation package is not there yet: gensim's (same formulas)
        from gensim.models import KeyedVectors as GensimKV

        kv = GensimKV(vectors.shape[1])
        kv.add_vectors(keys, vectors)
        evaluate_word_analogies, evaluate_word_pairs = kv.evaluate_word_analogies, kv.evaluate_word_pairs
        evaluator = "gensim KeyedVectors"
    if evaluator == "wordlab.evaluation":
        acc = evaluate_word_analogies(kv, analogy, restrict_vocab=30000)[0]
        rho = evaluate_word_pairs(kv, pairs)[1][0]
    else:
        acc = evaluate_word_analogies(str(analogy), restrict_vocab=30000)[0]
        rho = evaluate_word_pairs(str(pairs))[1][0]
    return {"analogy": float(acc), "ws353": float(rho), "evaluator": evaluator}


def compile_times(tmp: Path) -> dict:
    """Seconds to the first trained job in a fresh process: empty numba cache (cold), then cached (warm)."""
    corpus = tmp / "tiny.txt"
    corpus.write_text("a b c d e f g h " * 2000, encoding="utf-8")
    code = ("import time; t=time.perf_counter(); from wordlab.word2vec import Word2Vec; "
            f"Word2Vec({str(corpus)!r}, min_count=1, epochs=1, workers=1, sg=1, cache_dir=False, progress=False); "
            "print(time.perf_counter()-t)")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / "numba-cache"))
    out = {}
    for name in ("cold", "warm"):
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        out[name] = float(r.stdout.strip().splitlines()[-1])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="throughput and quality only, one repeat")
    ap.add_argument("--only", nargs="+", choices=("throughput", "quality", "scaling", "torch", "compile", "hs", "cbow"),
                    help="run only these parts (hs and cbow run only when named)")
    ap.add_argument("--epochs", type=int, default=5, help="epochs of the hs and cbow parts (default: 5)")
    ap.add_argument("--repeats", type=int, default=2, help="runs per throughput configuration (best is kept)")
    ap.add_argument("--workers", type=int, default=2, help="threads for both tools (default: 2)")
    ap.add_argument("--seeds", default="1,2,3", help="seeds of the quality runs, comma-separated (default: 1,2,3)")
    ap.add_argument("--output", default=str(RESULTS), help="JSON results file")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    src = DATA / "wikimix" / "wikimix.txt.gz"
    if not src.is_file():
        print(f"skipped: {src} not found (set WORDLAB_DATA to the folder holding wikimix/)")
        return 0
    parts = set(args.only or (("throughput", "quality") if args.quick else
                              ("throughput", "quality", "scaling", "torch", "compile")))
    repeats = 1 if args.quick else args.repeats
    W = args.workers
    seeds = [int(x) for x in args.seeds.split(",")]
    results: dict = {"settings": dict(COMMON, workers=W, repeats=repeats, max_line_words=MAX_LINE),
                     "machine": {"cpus": os.cpu_count(), "load_avg_start": os.getloadavg()[0]}}
    rows: list[list] = []
    tool_rows: list[list] = []  # the hs / cbow parts: three tools side by side
    with tempfile.TemporaryDirectory(prefix="wordlab-w2v-bench-") as tmpdir:
        tmp = Path(tmpdir)
        files, sizes = {}, {}
        for copies in (1, 2, 4, 5):
            files[copies] = tmp / f"wikimix{copies}x.txt"
            sizes[copies] = write_lines(src, files[copies], copies)

        if "compile" in parts:
            ct = compile_times(tmp)
            results["numba_first_job_seconds"] = ct
            rows.append(["numba: import + first job, cold cache (s)", ct["cold"], "", "", "report", ""])
            rows.append(["numba: import + first job, warm cache (s)", ct["warm"], "", "", "report", ""])

        if "throughput" in parts:
            for sg, name, target in ((1, "skip-gram", 2.0), (0, "CBOW", 1.5)):
                ours, theirs = [], []
                for _ in range(repeats):
                    theirs.append(run_gensim(files[5], sg, 1, W)[1])
                    ours.append(run_wordlab(files[5], sg, 1, W)[1])
                o, g = best(ours), best(theirs)
                words = sizes[5]  # corpus words (whitespace tokens), the same numerator for both tools
                ratio = g["seconds"] / o["seconds"]
                results[f"throughput_{name}"] = {"wordlab": ours, "gensim": theirs, "words": words,
                                                 "ratio": ratio}
                rows.append([f"{name} 5x wikimix, 1 epoch: words/s end to end", words / o["seconds"],
                             words / g["seconds"], ratio, f">= {target}x", "met" if ratio >= target else "MISSED"])
                rows.append([f"{name}: effective words/s (training only)",
                             o["effective_words"] / o["train_seconds"], g["effective_words"] / g["train_seconds"],
                             (o["effective_words"] / o["train_seconds"]) / (g["effective_words"] / g["train_seconds"]),
                             "report", ""])
                cpu_ratio = best(theirs)["cpu_seconds"] / best(ours)["cpu_seconds"]
                results[f"throughput_{name}"]["cpu_ratio"] = cpu_ratio
                rows.append([f"{name}: CPU seconds end to end (all threads)", o["cpu_seconds"], g["cpu_seconds"],
                             cpu_ratio, "report", ""])
                rows.append([f"{name}: seconds (scan + train)", f"{o['scan_seconds']:.1f} + {o['train_seconds']:.1f}",
                             f"{g['scan_seconds']:.1f} + {g['train_seconds']:.1f}", "", "report", ""])

        if "quality" in parts:
            # one seed's comparison is mostly noise (gensim's own analogy accuracy moves by ~0.7 pt
            # between seeds here): both tools run every seed in --seeds and the means are compared
            for sg, name in ((1, "skip-gram"), (0, "CBOW")):
                per_seed = []
                for seed in seeds:
                    gm, g = run_gensim(files[1], sg, 5, W, seed=seed)
                    gq = evaluate(list(gm.wv.index_to_key), gm.wv.vectors)
                    om, o = run_wordlab(files[1], sg, 5, W, seed=seed)
                    oq = evaluate(list(om.wv.index_to_key), om.wv.vectors)
                    per_seed.append({"seed": seed, "wordlab": dict(oq, **o), "gensim": dict(gq, **g)})
                mean = {side: {k: float(np.mean([r[side][k] for r in per_seed])) for k in ("analogy", "ws353", "seconds")}
                        for side in ("wordlab", "gensim")}
                oq, gq = mean["wordlab"], mean["gensim"]
                d_acc, d_rho = oq["analogy"] - gq["analogy"], oq["ws353"] - gq["ws353"]
                results[f"quality_{name}"] = {"seeds": seeds, "mean": mean, "runs": per_seed}
                spread = lambda side, k, f: " ".join(f(r[side][k]) for r in per_seed)  # noqa: E731
                rows.append([f"{name} 5 epochs: Google analogy acc % (30k), mean of {len(seeds)} seeds",
                             100 * oq["analogy"], 100 * gq["analogy"],
                             f"{100 * d_acc:+.2f} pt", ">= -0.5 pt", "met" if d_acc >= -0.005 else "MISSED"])
                rows.append(["  per seed", spread("wordlab", "analogy", lambda v: f"{100 * v:.2f}"),
                             spread("gensim", "analogy", lambda v: f"{100 * v:.2f}"), "", "", ""])
                rows.append([f"{name} 5 epochs: WS-353 Spearman, mean", oq["ws353"], gq["ws353"], f"{d_rho:+.3f}",
                             ">= -0.01", "met" if d_rho >= -0.01 else "MISSED"])
                rows.append(["  per seed", spread("wordlab", "ws353", lambda v: f"{v:.3f}"),
                             spread("gensim", "ws353", lambda v: f"{v:.3f}"), "", "", ""])
                rows.append([f"{name} 5 epochs: seconds end to end, mean", oq["seconds"], gq["seconds"],
                             gq["seconds"] / oq["seconds"], "report", ""])

        if "hs" in parts or "cbow" in parts:
            exe = build_c_tool(tmp)
            if exe is None:
                print(f"C tool not built ({ANCHOR}/word2vec.c or gcc missing): its rows are left out", file=sys.stderr)
            if "hs" in parts:
                pure = dict(hs=1, negative=0)
                three_tools(files, sizes, exe, seeds, args.epochs, W, "hs", pure, pure, pure, results, tool_rows)
            if "cbow" in parts:  # each tool's own default learning rate
                three_tools(files, sizes, exe, seeds, args.epochs, W, "default-lr", {}, {}, {}, results, tool_rows,
                            archs=(0,))

        if "scaling" in parts:
            one = [run_wordlab(files[5], 1, 1, 1)[1] for _ in range(repeats)]
            two = [run_wordlab(files[5], 1, 1, 2)[1] for _ in range(repeats)]
            speedup = best(one)["train_seconds"] / best(two)["train_seconds"]
            results["scaling_workers"] = {"workers1": one, "workers2": two, "speedup_training": speedup}
            rows.append(["skip-gram 1 -> 2 workers: training speed-up", speedup, "", "", ">= 1.7x",
                         "met" if speedup >= 1.7 else "MISSED"])
            times = {c: best([run_wordlab(files[c], 1, 1, W)[1] for _ in range(repeats)])["seconds"]
                     for c in (1, 2, 4)}
            per_word = {c: times[c] / sizes[c] for c in times}
            dev = max(abs(per_word[c] / per_word[1] - 1) for c in times)
            results["scaling_size"] = {"seconds": times, "words": {c: sizes[c] for c in times}, "max_deviation": dev}
            rows.append(["skip-gram 1x/2x/4x wikimix: seconds",
                         " / ".join(f"{times[c]:.1f}" for c in (1, 2, 4)), "", "", "linear", ""])
            rows.append(["  largest deviation of s/word from 1x", f"{100 * dev:.1f} %", "", "", "<= 15 %",
                         "met" if dev <= 0.15 else "MISSED"])

        if "torch" in parts:
            import torch

            slice_path = tmp / "slice.txt"
            with open(files[1], encoding="utf-8") as f, open(slice_path, "w", encoding="utf-8") as out:
                n = 0
                for line in f:
                    out.write(line)
                    n += len(line.split())
                    if n >= 300_000:
                        break
            for sg, name in ((1, "skip-gram"), (0, "CBOW")):
                t = run_wordlab(slice_path, sg, 1, W, trainer="torch")[1]
                fst = run_wordlab(slice_path, sg, 1, W, trainer="fast")[1]
                results[f"torch_{name}"] = {"torch": t, "fast": fst, "device": "cpu",
                                            "cuda_available": torch.cuda.is_available()}
                rows.append([f"{name} torch trainer on CPU: words/s (training)", t["words"] / t["train_seconds"],
                             "", "", "report", f"fast: {fst['words'] / fst['train_seconds']:,.0f}"])
    results["machine"]["load_avg_end"] = os.getloadavg()[0]
    results["table"] = [[str(c) for c in r] for r in rows]
    headers = ["measurement", "wordlab", "gensim", "ratio / diff", "target", "status"]
    if rows:
        print_table(rows, headers)
    if tool_rows:
        results["table_tools"] = [[str(c) for c in r] for r in tool_rows]
        print_table(tool_rows, ["run (mean of seeds)", "words/s", "analogy % (30k)", "WS-353 rho", "speed",
                                "CPU-s"])
    print(f"\nload average {results['machine']['load_avg_start']:.1f} -> {results['machine']['load_avg_end']:.1f} "
          f"on {os.cpu_count()} CPUs; CUDA: not used")
    sys.path.insert(0, str(ROOT))
    from wordlab.atomic import atomic_write_text

    atomic_write_text(args.output, json.dumps(results, indent=2, default=float))
    print(f"wrote {args.output}")
    return 0


def print_table(rows: list[list], headers: list[str]) -> None:
    """The CLI's table printer, with this benchmark's number format (thousands, ratios)."""
    from wordlab.cli.common import print_table as cli_table

    def fmt(c):
        if isinstance(c, float):
            return f"{c:,.0f}" if abs(c) >= 1000 else f"{c:.3f}" if abs(c) < 10 else f"{c:.1f}"
        return c

    cli_table([[fmt(c) for c in r] for r in rows], headers)


if __name__ == "__main__":
    sys.exit(main())
