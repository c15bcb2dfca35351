"""Benchmark: wordlab.vectors / wordlab.evaluation beside gensim 4 in the same run.

Sections:

* ``trained`` — word2vec vectors trained with gensim on ``wikimix/wikimix.txt.gz`` (CBOW, 100 dims,
  window 5, min_count 5, 3 epochs, seed 1; cached in ``benchmarks/cache/``). Google analogy set
  (``analogy/questions-words.txt``, 19,544 questions):
  wordlab's batched 3CosAdd against gensim's ``evaluate_word_analogies`` (all questions), and
  wordlab's 3CosMul against a loop over gensim's ``most_similar_cosmul`` with the same conventions
  (gensim has no 3CosMul evaluation; ``--trained-cosmul-questions`` subsample). The vectors have
  fewer than 30,000 keys, so restrict_vocab 30,000 and 300,000 are the same run. Accuracy and the
  per-section lists of correct questions must be identical. Word pairs: every file in ``similarity/``
  (WS-353, SimLex-999, MEN, RW, ...): Pearson, Spearman and OOV ratio beside gensim's
  ``evaluate_word_pairs``.
* ``random`` — 300k x 300 random unit vectors with real-looking keys (the wikimix vocabulary by
  frequency, then made-up words), the analogy words among the first 30,000 and given per-section
  offsets so that accuracy is not zero. Analogies at both restricts: wordlab on all questions;
  gensim on an evenly spaced subsample (``--gensim-questions``), its time extrapolated per question,
  and wordlab re-run on the same subsample to compare the answers. ``most_similar`` latency
  (p50/p99 over ``--queries`` random words, after warm-up) and loading the 300k x 300 word2vec
  binary file (median of 5, alternating, after one untimed load each).
* ``latency`` — the random matrix's ``most_similar`` latency and binary loading only (no analogies).
* ``cold`` — analogy evaluation in a fresh process (item 8 of issue 14): the trained vectors cut to
  their 15,000 most frequent keys, the Google set (all questions, and an evenly spaced
  ``--cold-questions`` subsample). Each tool runs in its own new Python process (vectors loaded
  first, untimed); the first ``evaluate_word_analogies`` call is timed, then a second in the same
  process. wordlab runs twice: as shipped (``auto``: NumPy/BLAS while numba is not loaded and the
  job is small) and with the compiled kernel forced (``numba``: what every fresh process paid
  before). gensim answers the subsample only; its time on all questions is extrapolated per
  question. Median of ``--cold-repeats`` rounds, tools alternating.

Prints tables and writes ``benchmarks/results/vectors.json``. Data: ``$WORDLAB_DATA`` or
``../shared/data`` beside the repository; "skipped" and exit 0 when absent.

    python benchmarks/vectors.py [--only trained,random,cold] [--gensim-questions 1500,150]
                                 [--cosmul-questions 400,60] [--queries 200] [--size 300000]
                                 [--cold-questions 1000] [--cold-repeats 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from wordlab.atomic import atomic_write_text
from wordlab.cli.common import print_table
from wordlab.evaluation import evaluate_word_analogies, evaluate_word_pairs
from wordlab.evaluation.analogies import restricted_vocab
from wordlab.vectors import KeyedVectors

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / "cache"
RESULTS = ROOT / "benchmarks" / "results"


def data_dir() -> Path:
    return Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")


COLD_SCRIPT = r"""
import json, os, sys, time
lib, vectors, questions = sys.argv[1:4]
if lib == "gensim":
    from gensim.models import KeyedVectors
    kv = KeyedVectors.load_word2vec_format(vectors, binary=True)
    run = lambda: kv.evaluate_word_analogies(questions, restrict_vocab=15000)
else:
    from wordlab.evaluation import evaluate_word_analogies
    from wordlab.vectors import KeyedVectors
    kv = KeyedVectors.load(vectors)
    run = lambda: evaluate_word_analogies(kv, questions, restrict_vocab=15000)
t0 = time.perf_counter(); score, sections = run(); t1 = time.perf_counter(); run(); t2 = time.perf_counter()
answered = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
print(json.dumps({"first_s": t1 - t0, "second_s": t2 - t1, "accuracy": score, "answered": answered,
                  "numba_loaded": "numba" in sys.modules}))
"""


def cold_runs(vectors: Path, questions: Path, sample: Path, repeats: int) -> list[dict]:
    """Fresh-process analogy timings: wordlab auto / numba-forced on all questions and the sample, gensim on the sample."""
    jobs = [("wordlab", "auto", questions), ("wordlab", "numba", questions), ("wordlab", "auto", sample),
            ("wordlab", "numba", sample), ("gensim", "-", sample)]
    runs: dict = {job: [] for job in jobs}
    for _ in range(repeats):
        for lib, kernel, qfile in jobs:
            env = dict(os.environ, WORDLAB_ANALOGY_KERNEL=kernel)
            out = subprocess.run([sys.executable, "-c", COLD_SCRIPT, lib, str(vectors), str(qfile)], env=env,
                                 capture_output=True, text=True, check=True)
            runs[(lib, kernel, qfile)].append(json.loads(out.stdout.strip().splitlines()[-1]))
    rows = []
    for (lib, kernel, qfile), results in runs.items():
        rows.append({"tool": lib, "kernel": kernel, "questions": "all" if qfile == questions else "sample",
                     "answered": results[0]["answered"], "accuracy": results[0]["accuracy"],
                     "first_s": float(np.median([r["first_s"] for r in results])),
                     "second_s": float(np.median([r["second_s"] for r in results])),
                     "all_first_s": [round(r["first_s"], 3) for r in results]})
    gensim = next(r for r in rows if r["tool"] == "gensim")
    per_q = gensim["first_s"] / max(1, gensim["answered"])
    for r in rows:
        r["gensim_s"] = round(per_q * r["answered"], 3) if r["tool"] == "wordlab" else round(r["first_s"], 3)
        if r["tool"] == "wordlab":
            r["speedup_first"] = round(r["gensim_s"] / r["first_s"], 1)
            r["speedup_second"] = round(r["gensim_s"] / r["second_s"], 1)
    return rows


def subsample(src: Path, dst: Path, n: int) -> int:
    """Write every k-th question of ``src`` (section headers kept) to ``dst``; returns the count."""
    lines = src.read_text().splitlines()
    questions = [i for i, line in enumerate(lines) if not line.startswith(":") and len(line.split()) == 4]
    step = max(1, len(questions) // n)
    keep = set(questions[::step][:n])
    out = [line for i, line in enumerate(lines) if line.startswith(":") or i in keep]
    atomic_write_text(dst, "\n".join(out) + "\n")
    return len(keep)


def gensim_cosmul_eval(g, path: Path, restrict_vocab: int) -> tuple[float, list]:
    """gensim's evaluate_word_analogies loop with most_similar_cosmul (restricted to the first R keys)."""
    from gensim import matutils

    ok_vocab = restricted_vocab(g, restrict_vocab, True)
    n_rows = min(len(g), restrict_vocab)
    sections, correct, total = [], 0, 0
    for line in path.read_text().splitlines():
        if line.startswith(": "):
            sections.append([])
            continue
        words = line.upper().split()
        if len(words) != 4 or not all(w in ok_vocab for w in words):
            continue
        a, b, c, expected = words
        original, g.key_to_index = g.key_to_index, ok_vocab
        try:  # gensim 4.4 ignores restrict_vocab in most_similar_cosmul: take all scores, cut to R here
            dists = g.most_similar_cosmul(positive=[b, c], negative=[a], topn=None)[:n_rows]
        finally:
            g.key_to_index = original
        exclude = {ok_vocab[a], ok_vocab[b], ok_vocab[c]}
        order = matutils.argsort(dists, topn=5 + 3, reverse=True)
        sims = [g.index_to_key[i] for i in order if i not in exclude][:5]
        predicted = None
        for word in sims:
            predicted = word.upper()
            if predicted not in {a, b, c}:
                break
        hit = predicted == expected
        sections[-1].append(tuple(words) if hit else None)
        correct += hit
        total += 1
    return (correct / total if total else 0.0), [[q for q in s if q] for s in sections]


def correct_lists(sections: list[dict]) -> list[list]:
    return [list(s["correct"]) for s in sections[:-1]]


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def analogy_rows(label: str, kv, g, questions: Path, restricts: list[int], gensim_n: int | None, cosmul_n: int | None,
                 tmp: Path) -> list[dict]:
    """Compare wordlab and gensim on the analogy file at each restrict; gensim on a subsample if n given."""
    rows = []
    for restrict in restricts:
        for method in ("3cosadd", "3cosmul"):
            (acc, secs), t_ours = timed(evaluate_word_analogies, kv, questions, restrict_vocab=restrict, method=method)
            n_eval = len(secs[-1]["correct"]) + len(secs[-1]["incorrect"])
            n_ref = gensim_n if method == "3cosadd" else cosmul_n
            ref_file = questions
            if n_ref:
                ref_file = tmp / f"{label}-{method}-{restrict}-sample.txt"
                subsample(questions, ref_file, n_ref)
            if method == "3cosadd":
                (g_acc, g_secs), t_ref = timed(g.evaluate_word_analogies, str(ref_file), restrict_vocab=restrict)
                g_correct = correct_lists(g_secs)
                g_n = len(g_secs[-1]["correct"]) + len(g_secs[-1]["incorrect"])
            else:
                (g_acc, g_correct), t_ref = timed(gensim_cosmul_eval, g, ref_file, restrict)
                g_n = None
            if n_ref:  # wordlab on the very same subsample, to compare answers question by question
                s_acc, s_secs = evaluate_word_analogies(kv, ref_file, restrict_vocab=restrict, method=method)
            else:
                s_acc, s_secs = acc, secs
            s_n = len(s_secs[-1]["correct"]) + len(s_secs[-1]["incorrect"])
            identical = s_acc == g_acc and correct_lists(s_secs) == g_correct and (g_n is None or g_n == s_n)
            ref_per_q = t_ref / max(1, s_n)
            rows.append({
                "vectors": label, "restrict_vocab": restrict, "method": method, "questions": n_eval,
                "skipped": secs[-1]["skipped"], "accuracy": acc, "seconds": round(t_ours, 3),
                "gensim_questions": s_n, "gensim_sampled": bool(n_ref), "gensim_accuracy_on_them": g_acc,
                "wordlab_accuracy_on_them": s_acc, "gensim_seconds": round(t_ref, 3),
                "gensim_seconds_all_questions": round(ref_per_q * n_eval, 3),
                "speedup": round(ref_per_q * n_eval / t_ours, 1), "identical": bool(identical),
                "gensim": "evaluate_word_analogies" if method == "3cosadd" else "most_similar_cosmul loop",
            })
            print(f"  {label} restrict={restrict} {method}: wordlab {t_ours:.2f}s acc {acc:.4f} | gensim "
                  f"{t_ref:.2f}s on {s_n} q → {ref_per_q * n_eval:.1f}s for all | identical={identical}",
                  file=sys.stderr, flush=True)
    return rows


def pair_rows(kv, g, folder: Path) -> list[dict]:
    """evaluate_word_pairs on every similarity file, wordlab beside gensim (must be bit-identical)."""
    rows = []
    for f in sorted(folder.glob("*.t*")) if folder.is_dir() else []:
        (ours, t_ours) = timed(evaluate_word_pairs, kv, f)
        (theirs, t_ref) = timed(g.evaluate_word_pairs, str(f))
        same = tuple(ours[0]) == tuple(theirs[0]) and tuple(ours[1]) == tuple(theirs[1]) and ours[2] == theirs[2]
        rows.append({"file": f.name, "pearson": float(ours[0][0]), "spearman": float(ours[1][0]),
                     "oov_percent": round(ours[2], 2), "gensim_spearman": float(theirs[1][0]),
                     "wordlab_s": round(t_ours, 4), "gensim_s": round(t_ref, 4), "identical": bool(same)})
    return rows


def train_vectors(corpus: Path) -> Path:
    """gensim word2vec on wikimix (cached)."""
    from gensim.models import Word2Vec

    path = CACHE / "wikimix-cbow100.bin"
    if path.exists():
        return path
    print("  training gensim word2vec on wikimix (cached afterwards) ...", file=sys.stderr, flush=True)
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        tokens = f.read().split()
    sentences = [tokens[i:i + 10000] for i in range(0, len(tokens), 10000)]  # gensim's max sentence length
    model = Word2Vec(sentences, vector_size=100, window=5, min_count=5, sg=0, epochs=3, workers=2, seed=1)
    CACHE.mkdir(parents=True, exist_ok=True)
    KeyedVectors(model.wv.index_to_key, model.wv.vectors).save(path)
    return path


def made_up_words(n: int, taken: set, rng: np.random.Generator) -> list[str]:
    """Real-looking fillers: 2-4 syllables, unique and outside ``taken``."""
    onsets = list("bcdfghjklmnprstvwz") + ["br", "ch", "st", "tr", "sh", "pl", "gr"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ea"]
    codas = ["", "", "n", "r", "s", "l", "t", "m", "ck", "nd"]
    out: list[str] = []
    seen = set(taken)
    while len(out) < n:
        k = int(rng.integers(2, 5))
        parts = rng.integers(0, 1000, size=(k, 3))
        w = "".join(onsets[p[0] % len(onsets)] + vowels[p[1] % len(vowels)] + codas[p[2] % len(codas)] for p in parts)
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def random_vectors(size: int, dim: int, corpus: Path, questions: Path, seed: int = 0) -> KeyedVectors:
    """``size`` x ``dim`` random unit vectors, real-looking keys, analogy words in the first 30k with offsets."""
    rng = np.random.default_rng(seed)
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        counts = Counter(f.read().split())
    analogy_words, pairs = [], []
    for line in questions.read_text().splitlines():
        if line.startswith(":"):
            pairs.append([])
            continue
        w = line.lower().split()
        if len(w) == 4:
            pairs[-1] += [(w[0], w[1]), (w[2], w[3])]
            analogy_words += w
    analogy_words = list(dict.fromkeys(analogy_words))
    frequent = [w for w, _ in counts.most_common() if w not in set(analogy_words)]
    head = frequent[:30000 - len(analogy_words)]
    positions = rng.choice(30000, size=len(analogy_words), replace=False)
    first: list[str | None] = [None] * 30000
    for p, w in zip(positions, analogy_words):
        first[p] = w
    it = iter(head)
    keys = [w if w is not None else next(it) for w in first]
    rest = frequent[len(head):][: size - 30000]
    keys += rest + made_up_words(size - len(keys) - len(rest), set(keys) | set(rest), rng)
    vectors = rng.standard_normal((size, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {k: i for i, k in enumerate(keys)}
    assigned: set[str] = set()
    for section in pairs:  # y = x + section offset + noise, so some analogies are solvable
        offset = rng.standard_normal(dim).astype(np.float32) / np.sqrt(dim) * 1.2
        for x, y in dict.fromkeys(section):
            if y not in assigned and x != y:
                noise = rng.standard_normal(dim).astype(np.float32) / np.sqrt(dim) * 3.0
                vectors[index[y]] = vectors[index[x]] + offset + noise
                assigned.add(y)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return KeyedVectors(keys, vectors)


def latency(fn, words: list[str], warmup: int = 3) -> dict:
    for w in words[:warmup]:
        fn(w, topn=10)
    times = []
    for w in words:
        t0 = time.perf_counter()
        fn(w, topn=10)
        times.append(time.perf_counter() - t0)
    return {"p50_ms": round(1e3 * float(np.percentile(times, 50)), 2),
            "p99_ms": round(1e3 * float(np.percentile(times, 99)), 2), "queries": len(times)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default="trained,random",
                   help="sections to run: trained, random, latency (default: trained,random)")
    p.add_argument("--size", type=int, default=300000, help="rows of the random matrix (default: 300000)")
    p.add_argument("--dim", type=int, default=300, help="dimension of the random vectors (default: 300)")
    p.add_argument("--gensim-questions", default="1500,150",
                   help="gensim 3CosAdd subsample on random vectors at restrict 30000,300000 (default: 1500,150)")
    p.add_argument("--cosmul-questions", default="400,60",
                   help="gensim most_similar_cosmul subsample at restrict 30000,300000 (default: 400,60)")
    p.add_argument("--trained-cosmul-questions", type=int, default=1500,
                   help="gensim most_similar_cosmul subsample on the trained vectors (default: 1500; 0 = all)")
    p.add_argument("--output", default=None, help="JSON file (default: benchmarks/results/vectors.json)")
    p.add_argument("--queries", type=int, default=200, help="most_similar queries for latency (default: 200)")
    p.add_argument("--cold-questions", type=int, default=1000,
                   help="cold section: questions in the subsample gensim answers (default: 1000)")
    p.add_argument("--cold-repeats", type=int, default=3, help="cold section: rounds per tool (default: 3)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    data = data_dir()
    questions, corpus = data / "analogy" / "questions-words.txt", data / "wikimix" / "wikimix.txt.gz"
    for f in (questions, corpus):
        if not f.exists():
            print(f"skipped: {f} not found (set WORDLAB_DATA)")
            return 0
    try:
        import gensim
        from gensim.models import KeyedVectors as GensimKV
    except ImportError:
        print("skipped: gensim is not installed (pip install gensim)")
        return 0
    only = set(args.only.split(","))
    tmp = CACHE / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    n_add = [int(x) for x in args.gensim_questions.split(",")]
    n_mul = [int(x) for x in args.cosmul_questions.split(",")]
    report: dict = {"machine": {"python": platform.python_version(), "numpy": np.__version__,
                                "gensim": gensim.__version__, "cpus": os.cpu_count()},
                    "command": " ".join(["python", "benchmarks/vectors.py", *(argv or sys.argv[1:])])}
    t_start = time.perf_counter()
    analogy: list[dict] = []
    if "trained" in only:
        path = train_vectors(corpus)
        kv = KeyedVectors.load(path)
        g = GensimKV.load_word2vec_format(str(path), binary=True)
        report["trained"] = {"file": str(path.relative_to(ROOT)), "keys": len(kv), "dim": kv.vector_size,
                             "note": "fewer than 30,000 keys, so restrict_vocab 30000 and 300000 are the same run"}
        analogy += analogy_rows("trained", kv, g, questions, [30000], None, args.trained_cosmul_questions, tmp)
        report["word_pairs"] = pair_rows(kv, g, data / "similarity")
        del kv, g
    if "cold" in only:
        kv = KeyedVectors.load(train_vectors(corpus))
        small = CACHE / "wikimix-cbow100-15k.bin"
        KeyedVectors(kv.index_to_key[:15000], kv.vectors[:15000]).save(small)
        sample = tmp / "cold-sample.txt"
        subsample(questions, sample, args.cold_questions)
        report["cold"] = cold_runs(small, questions, sample, args.cold_repeats)
        del kv
    if "random" in only or "latency" in only:
        print(f"  building {args.size} x {args.dim} random vectors ...", file=sys.stderr, flush=True)
        kv = random_vectors(args.size, args.dim, corpus, questions)
        path = CACHE / f"random-{args.size}x{args.dim}.bin"
        kv.save(path)
        loads = {"wordlab": [], "gensim": []}
        KeyedVectors.load(path), GensimKV.load_word2vec_format(str(path), binary=True)  # warm-up, untimed
        for _ in range(5):  # after one untimed load each, alternate
            loaded, t = timed(KeyedVectors.load, path)
            loads["wordlab"].append(t)
            del loaded
            g, t = timed(GensimKV.load_word2vec_format, str(path), binary=True)
            loads["gensim"].append(t)
        assert g.index_to_key == kv.index_to_key and np.array_equal(g.vectors, kv.vectors)
        med = {k: float(np.median(v)) for k, v in loads.items()}
        report["load_binary"] = {"file_mb": round(path.stat().st_size / 2**20, 1), "rows": args.size,
                                 "wordlab_s": round(med["wordlab"], 3), "gensim_s": round(med["gensim"], 3),
                                 "speedup": round(med["gensim"] / med["wordlab"], 2),
                                 "all_s": {k: [round(t, 3) for t in v] for k, v in loads.items()}}
        rng = np.random.default_rng(5)
        words = [kv.index_to_key[i] for i in rng.integers(0, len(kv), args.queries)]
        ours = latency(kv.most_similar, words)
        theirs = latency(g.most_similar, words[: max(20, args.queries // 2)])
        same = all([w for w, _ in kv.most_similar(q, topn=10)] == [w for w, _ in g.most_similar(q, topn=10)]
                   for q in words[:20])
        report["most_similar"] = {"rows": args.size, "dim": args.dim, "topn": 10, "wordlab": ours,
                                  "gensim": theirs, "same_top10_on_20_queries": bool(same)}
        if "random" in only:
            analogy += analogy_rows("random", kv, g, questions, [30000], n_add[0], n_mul[0], tmp)
            analogy += analogy_rows("random", kv, g, questions, [300000], n_add[1], n_mul[1], tmp)
        path.unlink()
    report["analogies"] = analogy
    report["machine"]["load_avg_end"] = round(os.getloadavg()[0], 2)
    report["total_seconds"] = round(time.perf_counter() - t_start, 1)
    out_path = Path(args.output) if args.output else RESULTS / "vectors.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_path, json.dumps(report, indent=2) + "\n")

    print("Analogies (Google set, 19,544 questions; gensim time extrapolated from a subsample where sampled)")
    print_table([[r["vectors"], r["restrict_vocab"], r["method"], r["questions"], f"{100 * r['accuracy']:.2f}%",
                  f"{r['seconds']:.2f}", f"{r['gensim_seconds_all_questions']:.1f}"
                  + (f" ({r['gensim_questions']} q)" if r["gensim_sampled"] else ""),
                  f"{r['speedup']}x", "yes" if r["identical"] else "NO"] for r in analogy],
                ["vectors", "restrict", "method", "answered", "accuracy", "wordlab s", "gensim s", "speedup",
                 "identical"])
    if report.get("cold"):
        print("\nAnalogies in a fresh process (15,000 keys, Google set; median of "
              f"{args.cold_repeats}; gensim extrapolated per question from the sample)")
        print_table([[r["tool"], r["kernel"], r["questions"], r["answered"], f"{r['first_s']:.2f}",
                      f"{r['second_s']:.2f}", f"{r['gensim_s']:.2f}",
                      f"{r['speedup_first']}x" if "speedup_first" in r else "-",
                      f"{r['speedup_second']}x" if "speedup_second" in r else "-"] for r in report["cold"]],
                    ["tool", "kernel", "questions", "answered", "first call s", "second call s", "gensim s",
                     "vs gensim (fresh)", "vs gensim (2nd call)"])
    if report.get("word_pairs"):
        print("\nWord pairs (trained vectors; Spearman and OOV must equal gensim's bit for bit)")
        print_table([[r["file"], f"{r['pearson']:.4f}", f"{r['spearman']:.4f}", f"{r['oov_percent']:.1f}%",
                      "yes" if r["identical"] else "NO"] for r in report["word_pairs"]],
                    ["file", "pearson", "spearman", "oov", "identical to gensim"])
    if "most_similar" in report:
        m = report["most_similar"]
        print(f"\nmost_similar on {m['rows']:,} x {m['dim']} (topn=10): wordlab p50 {m['wordlab']['p50_ms']} ms, "
              f"p99 {m['wordlab']['p99_ms']} ms | gensim p50 {m['gensim']['p50_ms']} ms, p99 {m['gensim']['p99_ms']} ms"
              f" | same results: {m['same_top10_on_20_queries']}")
        lb = report["load_binary"]
        print(f"load word2vec binary ({lb['file_mb']} MB, {lb['rows']:,} rows): wordlab {lb['wordlab_s']} s, "
              f"gensim {lb['gensim_s']} s → {lb['speedup']}x (median of 5 after a warm-up load each)")
    print(f"\ntotal {report['total_seconds']} s, load average {report['machine']['load_avg_end']}; "
          f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
