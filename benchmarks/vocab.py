"""Benchmark: build the vocabulary of a text8-sized corpus, wordlab vs gensim, in the same run.

Input: ``wikimix/wikimix.txt.gz`` from the shared data folder read ``--repeat`` times over
(5 × 3,543,662 = 17.7M words, the size of text8). Sides, each in its own subprocess so that
its peak RSS is its own (``ru_maxrss`` of that process, interpreter and imports included):

* ``wordlab``: ``Vocabulary.build(read_corpus([path] * 5), min_count=5)`` (compiled split) — what
  ``wordlab vocab`` runs.
* ``gensim (gz)``: ``Word2Vec(vector_size=100, min_count=5).build_vocab(corpus)`` where
  ``corpus`` iterates ``LineSentence(path)`` 5 times. ``build_vocab(corpus_file=...)`` is the
  same scan (gensim 4's ``scan_vocab`` wraps ``corpus_file`` in ``LineSentence``), so this is
  gensim's fastest vocabulary path; it is timed whole (scan + ``prepare_vocab`` + weights).
* ``gensim (plain)``: the same on the file decompressed beforehand (untimed), in case
  gensim reads plain text faster than through its gzip wrapper.

``gensim_seconds`` is the faster of the two gensim rows. Every side runs ``--rounds`` times,
alternating; the best time of each side is reported (timings on a shared machine are noisy).
The vocabularies (words and counts at ``min_count``) of the two libraries are compared.

Prints a table and writes ``benchmarks/results/vocab.json``. Data folder: ``$WORDLAB_DATA``
or ``../shared/data`` beside the repository; when absent, prints "skipped" and exits 0.

    python benchmarks/vocab.py [--repeat 5] [--rounds 3] [--min-count 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")
CORPUS = DATA / "wikimix" / "wikimix.txt.gz"
RESULTS = ROOT / "benchmarks" / "results" / "vocab.json"
SIDES = ("wordlab", "gensim-gz", "gensim-plain")
GOAL_RATIO, GOAL_RSS_MB = 1.5, 1024.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != "darwin" else r / 2**20


# ---------------------------------------------------------------- one side (child process)
def run_wordlab(path: Path, repeat: int, min_count: int) -> dict:
    from wordlab.text import Vocabulary, read_corpus

    t0 = time.perf_counter()
    corpus = read_corpus([path] * repeat)
    vocab = Vocabulary.build(corpus, min_count=min_count)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "total_words": vocab.total_words,
            "words": vocab.itos, "counts": vocab.counts.tolist()}


class _Repeat:
    """A re-iterable corpus: ``LineSentence(path)`` ``times`` times over."""

    def __init__(self, path: Path, times: int) -> None:
        self.path, self.times = path, times

    def __iter__(self):
        from gensim.models.word2vec import LineSentence

        for _ in range(self.times):
            yield from LineSentence(str(self.path))


def run_gensim(path: Path, repeat: int, min_count: int) -> dict:
    from gensim.models import Word2Vec

    t0 = time.perf_counter()
    model = Word2Vec(vector_size=100, min_count=min_count, workers=1)
    model.build_vocab(corpus_iterable=_Repeat(path, repeat))
    seconds = time.perf_counter() - t0
    words = list(model.wv.index_to_key)
    return {"seconds": seconds, "total_words": int(model.corpus_total_words),
            "words": words, "counts": [int(model.wv.get_vecattr(w, "count")) for w in words]}


def child(side: str, path: Path, repeat: int, min_count: int, out: Path) -> None:
    result = run_wordlab(path, repeat, min_count) if side == "wordlab" else run_gensim(path, repeat, min_count)
    result["peak_rss_mb"] = peak_rss_mb()
    out.write_text(json.dumps(result), encoding="utf-8")


# ---------------------------------------------------------------- driver
def run_side(side: str, path: Path, repeat: int, min_count: int, tmp: Path) -> dict:
    out = tmp / f"{side}.json"
    cmd = [sys.executable, __file__, "--child", side, "--path", str(path),
           "--repeat", str(repeat), "--min-count", str(min_count), "--out", str(out)]
    subprocess.run(cmd, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def agree(a: dict, b: dict) -> dict:
    """Do two vocabularies hold the same words with the same counts, in the same count order?"""
    da, db = dict(zip(a["words"], a["counts"])), dict(zip(b["words"], b["counts"]))
    return {"same_words_and_counts": da == db,
            "same_count_order": a["counts"] == b["counts"],  # identical up to the order of ties
            "same_total_words": a["total_words"] == b["total_words"],
            "only_wordlab": len(da.keys() - db.keys()), "only_gensim": len(db.keys() - da.keys()),
            "count_mismatches": sum(1 for w in da.keys() & db.keys() if da[w] != db[w])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=5, help="read the corpus this many times over (default: 5)")
    p.add_argument("--rounds", type=int, default=3, help="runs of each side, alternating; best time kept (default: 3)")
    p.add_argument("--min-count", type=int, default=5, help="vocabulary min_count (default: 5)")
    p.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    p.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    p.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.path, args.repeat, args.min_count, args.out)
        return 0
    if not CORPUS.is_file():
        print(f"skipped: {CORPUS} not found (set WORDLAB_DATA to the shared data folder)")
        return 0
    try:
        import gensim
    except ImportError:
        print("skipped: gensim is not installed (pip install -e '.[bench]')")
        return 0

    with tempfile.TemporaryDirectory(prefix="wordlab-bench-") as d:
        tmp = Path(d)
        plain = tmp / "wikimix.txt"
        with gzip.open(CORPUS, "rb") as src, open(plain, "wb") as dst:  # untimed, for gensim-plain
            shutil.copyfileobj(src, dst, 1 << 20)
        paths = {"wordlab": CORPUS, "gensim-gz": CORPUS, "gensim-plain": plain}
        runs: dict[str, list[dict]] = {s: [] for s in SIDES}
        for r in range(args.rounds):
            for side in SIDES:
                res = run_side(side, paths[side], args.repeat, args.min_count, tmp)
                runs[side].append(res)
                print(f"round {r + 1}/{args.rounds}  {side:13s} {res['seconds']:7.2f} s  "
                      f"peak RSS {res['peak_rss_mb']:6.0f} MiB", file=sys.stderr)

    best = {s: min(runs[s], key=lambda x: x["seconds"]) for s in SIDES}
    rss = {s: max(x["peak_rss_mb"] for x in runs[s]) for s in SIDES}
    g_side = min(("gensim-gz", "gensim-plain"), key=lambda s: best[s]["seconds"])
    seconds, g_seconds = best["wordlab"]["seconds"], best[g_side]["seconds"]
    check = agree(best["wordlab"], best[g_side])
    words = best["wordlab"]["total_words"]
    ratio = g_seconds / seconds

    from wordlab.cli.common import print_table

    rows = []
    for s in SIDES:
        b = best[s]
        rows.append([s, f"{b['seconds']:.2f}", " ".join(f"{x['seconds']:.2f}" for x in runs[s]),
                     f"{b['total_words'] / b['seconds'] / 1e6:.2f}", f"{rss[s]:.0f}", len(b["words"]),
                     f"{best[g_side]['seconds'] / b['seconds']:.2f}x"])
    print(f"vocabulary of {CORPUS.name} x{args.repeat} ({words:,} words), min_count={args.min_count}, "
          f"best of {args.rounds} rounds")
    print_table(rows, ["side", "best s", "all runs s", "Mwords/s", "peak RSS MiB", "vocab", "speed vs gensim"])
    print(f"vocabularies agree (words and counts): {check['same_words_and_counts']}; "
          f"same count order: {check['same_count_order']}; same total: {check['same_total_words']}")
    met_speed, met_rss = ratio >= GOAL_RATIO, rss["wordlab"] <= GOAL_RSS_MB
    print(f"goal >= {GOAL_RATIO}x gensim: {'met' if met_speed else 'MISSED'} ({ratio:.2f}x); "
          f"peak RSS <= {GOAL_RSS_MB:.0f} MiB: {'met' if met_rss else 'MISSED'} ({rss['wordlab']:.0f} MiB)")

    import numpy
    import wordlab

    result = {
        "benchmark": "vocab",
        "command": "python benchmarks/vocab.py " + " ".join(sys.argv[1:]),
        "corpus": str(CORPUS.name), "repeat": args.repeat, "words": words, "min_count": args.min_count,
        "vocab_size": len(best["wordlab"]["words"]), "rounds": args.rounds,
        "seconds": round(seconds, 3), "gensim_seconds": round(g_seconds, 3), "gensim_path": g_side,
        "ratio_vs_gensim": round(ratio, 3), "peak_rss_mb": round(rss["wordlab"], 1),
        "gensim_peak_rss_mb": round(rss[g_side], 1),
        "goal_ratio": GOAL_RATIO, "goal_peak_rss_mb": GOAL_RSS_MB,
        "goal_ratio_met": met_speed, "goal_rss_met": met_rss,
        "agreement": check,
        "all_seconds": {s: [round(x["seconds"], 3) for x in runs[s]] for s in SIDES},
        "all_peak_rss_mb": {s: [round(x["peak_rss_mb"], 1) for x in runs[s]] for s in SIDES},
        "versions": {"python": platform.python_version(), "wordlab": wordlab.__version__,
                     "gensim": gensim.__version__, "numpy": numpy.__version__},
        "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    from wordlab.atomic import atomic_write_text

    atomic_write_text(args.output, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
