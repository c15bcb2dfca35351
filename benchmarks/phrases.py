"""Phrase detection: wordlab vs gensim 4 ``Phrases`` on wikimix — identical phrase set, speed, peak memory.

    nice -n 10 .venv/bin/python benchmarks/phrases.py [--corpus FILE] [--scoring default,npmi] [--passes 1]

Each tool runs in its own fresh subprocess (so peak RSS is its own): read the corpus as
``LineSentence`` (one line = one sentence, cut every 10,000 tokens), count unigrams and
candidates with gensim's ``ENGLISH_CONNECTOR_WORDS``, and export the phrases with their scores
(``Phrases(...).export_phrases()``; wordlab: ``learn_phrases``) — min_count 5, threshold 10
(default scoring) / 0.5 (npmi), pruning off (``max_vocab_size`` 10^12). Time is the wall time of
read + count + export inside the child, numba compilation excluded by a warm-up call on a tiny
input (its cache is on disk anyway); gensim has nothing to compile. Then the two phrase sets are
compared (identical keys, largest score difference). Results: ``benchmarks/results/phrases.json``.

Data: ``../shared/data`` beside the repository, or ``$WORDLAB_DATA``; skipped politely when absent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "benchmarks" / "results" / "phrases.json"
WIKIMIX = DATA / "wikimix" / "wikimix.txt.gz"
THRESHOLDS = {"default": 10.0, "npmi": 0.5}


def peak_rss_mb() -> float:
    """Peak RSS of this process in MiB (the kernel's ``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(tool: str, corpus: str, scoring: str, passes: int, out: str) -> dict:
    thr = THRESHOLDS[scoring]
    if tool == "gensim":
        from gensim.models.phrases import ENGLISH_CONNECTOR_WORDS, Phrases
        from gensim.models.word2vec import LineSentence
        t0 = time.perf_counter()
        sentences = LineSentence(corpus)
        model = None
        for _ in range(passes):
            source = sentences if model is None else model.freeze()[sentences]
            model = Phrases(source, min_count=5, threshold=thr, scoring=scoring,
                            connector_words=ENGLISH_CONNECTOR_WORDS, max_vocab_size=10**12)
        phrases = model.export_phrases()
        seconds = time.perf_counter() - t0
    else:
        from wordlab.phrases import PhrasesConfig, learn_phrases
        from wordlab.text import read_corpus
        cfg = PhrasesConfig(min_count=5, threshold=thr, scoring=scoring, passes=passes)
        learn_phrases([["warm", "up"], ["warm", "of", "up"]] * 3, cfg)  # numba cache load outside the timing
        t0 = time.perf_counter()
        table = learn_phrases(read_corpus(corpus), cfg)
        phrases = table.passes[-1].phrasegrams
        seconds = time.perf_counter() - t0
    Path(out).write_text(json.dumps(phrases))
    return {"tool": tool, "scoring": scoring, "passes": passes, "seconds": round(seconds, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1), "phrases": len(phrases)}


def run_child(*args: str) -> dict:
    cmd = [sys.executable, __file__, "--child", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(WIKIMIX))
    ap.add_argument("--scoring", default="default,npmi")
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--child", nargs=5, metavar=("TOOL", "CORPUS", "SCORING", "PASSES", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        tool, corpus, scoring, passes, out = args.child
        print(json.dumps(child(tool, corpus, scoring, int(passes), out)))
        return 0
    if not Path(args.corpus).exists():
        print(f"skipped: {args.corpus} not found")
        return 0
    try:
        import gensim  # noqa: F401
    except ImportError:
        print("skipped: gensim is not installed")
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scoring in args.scoring.split(","):
            res = {}
            for tool in ("gensim", "wordlab"):
                out = str(Path(tmp) / f"{tool}-{scoring}.json")
                res[tool] = run_child(tool, args.corpus, scoring, str(args.passes), out)
                res[tool]["set"] = json.loads(Path(out).read_text())
            g, w = res["gensim"].pop("set"), res["wordlab"].pop("set")
            same = set(g) == set(w)
            diff = max((abs(g[k] - w[k]) for k in g if k in w), default=0.0)
            speedup = res["gensim"]["seconds"] / res["wordlab"]["seconds"]
            rows.append({"scoring": scoring, "passes": args.passes, "gensim": res["gensim"], "wordlab": res["wordlab"],
                         "identical_set": same, "only_gensim": len(set(g) - set(w)), "only_wordlab": len(set(w) - set(g)),
                         "max_score_diff": diff, "speedup": round(speedup, 2),
                         "examples": sorted((k for k in w if "_of_" in k or k.count("_") >= 2), key=lambda k: -w[k])[:8]})
    from wordlab.cli.common import print_table
    print_table([[r["scoring"], r["passes"], r["gensim"]["phrases"], r["wordlab"]["phrases"], str(r["identical_set"]),
                  f"{r['gensim']['seconds']:.1f}", f"{r['wordlab']['seconds']:.1f}", f"{r['speedup']:.1f}x",
                  f"{r['gensim']['peak_rss_mb']:.0f}", f"{r['wordlab']['peak_rss_mb']:.0f}"] for r in rows],
                ["scoring", "passes", "gensim phrases", "wordlab phrases", "identical", "gensim s", "wordlab s",
                 "speed-up", "gensim MiB", "wordlab MiB"])
    for r in rows:
        print(f"{r['scoring']}: e.g. {', '.join(r['examples'])}")
    from wordlab.atomic import atomic_write_text
    current = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    current[f"passes{args.passes}"] = {"corpus": args.corpus, "rows": rows,
                                       "command": "nice -n 10 .venv/bin/python benchmarks/phrases.py "
                                                  + " ".join(sys.argv[1:])}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(current, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
