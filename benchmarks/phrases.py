"""Phrase detection: wordlab vs gensim 4 ``Phrases`` on wikimix — identical phrase set, speed, peak memory.

    nice -n 10 .venv/bin/python benchmarks/phrases.py [--corpus FILE] [--scoring default,npmi] [--passes 1]
    nice -n 10 .venv/bin/python benchmarks/phrases.py --only analogies [--corpus FILE]

Each tool runs in its own fresh subprocess (so peak RSS is its own): read the corpus as
``LineSentence`` (one line = one sentence, cut every 10,000 tokens), count unigrams and
candidates with gensim's ``ENGLISH_CONNECTOR_WORDS``, and export the phrases with their scores
(``Phrases(...).export_phrases()``; wordlab: ``learn_phrases``) — min_count 5, threshold 10
(default scoring) / 0.5 (npmi), pruning off (``max_vocab_size`` 10^12). Time is the wall time of
read + count + export inside the child, numba compilation excluded by a warm-up call on a tiny
input (its cache is on disk anyway); gensim has nothing to compile. Then the two phrase sets are
compared (identical keys, largest score difference). Results: ``benchmarks/results/phrases.json``.

``--only analogies``: skip-gram on the phrased corpus scored on Google's phrase analogies
(``questions-phrases.txt``, 3CosAdd over the whole vocabulary, case-insensitive), beside the C pipeline
``word2phrase`` (twice: ``-threshold 100 -min-count 5``, its default) → ``word2vec`` built from
``../shared/anchors/word2vec`` into a temporary folder. wordlab: ``wordlab phrases --passes 2
--save-table`` (gensim's scoring, threshold 10) then ``wordlab train word2vec --phrases TABLE`` (the phrased
stream, not written out). Both trainers: skip-gram, dim 100, window 5, negative 5, sample 1e-3, 5 epochs,
min-count 5, 2 threads; wall time end to end (phrases + training). Few questions are covered by a corpus
this small, so coverage is reported beside the accuracy and the figure is indicative.

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
QUESTIONS = DATA / "analogy" / "questions-phrases.txt"
ANCHOR = ROOT.parent / "shared" / "anchors" / "word2vec"
SGNS = ["-size", "100", "-window", "5", "-negative", "5", "-hs", "0", "-sample", "1e-3", "-iter", "5",
        "-min-count", "5", "-threads", "2", "-cbow", "0"]
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


def _score_phrases(path: Path) -> dict:
    """Accuracy on the phrase analogies, coverage, and how many of the questions' phrases are in the vocabulary."""
    from wordlab.evaluation import evaluate_word_analogies
    from wordlab.vectors import KeyedVectors

    kv = KeyedVectors.load(path)
    acc, sections = evaluate_word_analogies(kv, QUESTIONS, restrict_vocab=None)
    total = sections[-1]
    answered = len(total["correct"]) + len(total["incorrect"])
    questions = sum(len(s["correct"]) + len(s["incorrect"]) + s["skipped"] for s in sections[:-1])
    vocab = {w.upper() for w in kv.index_to_key}
    phrases = {w.upper() for line in QUESTIONS.read_text().splitlines() if not line.startswith(":")
               for w in line.split() if "_" in w}
    return {"vectors": len(kv), "phrase_tokens": sum("_" in w for w in kv.index_to_key),
            "accuracy": round(float(acc), 4), "correct": len(total["correct"]), "answered": answered,
            "questions": questions, "coverage": round(answered / max(1, questions), 4),
            "question_phrases_in_vocab": f"{len(phrases & vocab)}/{len(phrases)}"}


def analogies(corpus: str, tmp: Path) -> list[dict]:
    """The C pipeline word2phrase x2 -> word2vec and wordlab phrases -> train word2vec --phrases, scored alike."""
    import gzip
    import shutil

    txt = tmp / "corpus.txt"
    with (gzip.open(corpus, "rb") if corpus.endswith(".gz") else open(corpus, "rb")) as f, open(txt, "wb") as out:
        shutil.copyfileobj(f, out)
    rows = []
    if shutil.which("gcc") and ANCHOR.exists():
        src = tmp / "w2v-src"
        shutil.copytree(ANCHOR, src)
        for name in ("word2phrase", "word2vec"):
            subprocess.run(["gcc", f"{name}.c", "-o", name, "-lm", "-pthread", "-O3", "-march=native",
                            "-funroll-loops", "-Wno-unused-result"], cwd=src, check=True, capture_output=True)
        t0 = time.perf_counter()
        quiet = {"stdout": subprocess.DEVNULL, "check": True}
        subprocess.run([src / "word2phrase", "-train", txt, "-output", tmp / "c1.txt", "-threshold", "100",
                        "-min-count", "5", "-debug", "0"], **quiet)
        subprocess.run([src / "word2phrase", "-train", tmp / "c1.txt", "-output", tmp / "c2.txt", "-threshold", "100",
                        "-min-count", "5", "-debug", "0"], **quiet)
        subprocess.run([src / "word2vec", "-train", tmp / "c2.txt", "-output", tmp / "c.bin", "-binary", "1",
                        "-debug", "0", *SGNS], **quiet)
        rows.append({"pipeline": "C word2phrase x2 -> word2vec", "seconds": round(time.perf_counter() - t0, 1),
                     **_score_phrases(tmp / "c.bin")})
        print(rows[-1], flush=True)
    else:
        print("C pipeline skipped: gcc or ../shared/anchors/word2vec missing")
    wordlab = [sys.executable, "-m", "wordlab.cli", "-q"]
    env = {**os.environ, "WORDLAB_CACHE": str(tmp / "cache")}
    t0 = time.perf_counter()
    subprocess.run(wordlab + ["phrases", str(txt), "--save-table", str(tmp / "t.json"), "--passes", "2",
                              "--min-count", "5", "--threshold", "10"], env=env, stdout=subprocess.DEVNULL, check=True)
    subprocess.run(wordlab + ["train", "word2vec", str(txt), "--phrases", str(tmp / "t.json"), "-o", str(tmp / "w.bin"),
                              "--sg", "--dim", "100", "--window", "5", "--negative", "5", "--sample", "1e-3",
                              "--epochs", "5", "--min-count", "5", "--threads", "2"],
                   env=env, stdout=subprocess.DEVNULL, check=True)
    rows.append({"pipeline": "wordlab phrases x2 -> train word2vec --phrases", "seconds":
                 round(time.perf_counter() - t0, 1), **_score_phrases(tmp / "w.bin")})
    print(rows[-1], flush=True)
    return rows


def main_analogies(args: argparse.Namespace) -> int:
    if not QUESTIONS.exists():
        print(f"skipped: {QUESTIONS} not found")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        rows = analogies(args.corpus, Path(tmp))
    from wordlab.cli.common import print_table
    print_table([[r["pipeline"], f"{r['seconds']:.1f}", f"{r['phrase_tokens']:,}", r["question_phrases_in_vocab"],
                  f"{r['answered']}/{r['questions']} ({100 * r['coverage']:.1f}%)", f"{100 * r['accuracy']:.1f}%"]
                 for r in rows], ["pipeline", "seconds", "phrase tokens in vocab", "question phrases in vocab",
                                  "questions covered", "accuracy (covered)"])
    from wordlab.atomic import atomic_write_text
    current = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    current["analogies"] = {"corpus": args.corpus, "questions": str(QUESTIONS), "rows": rows,
                            "command": "nice -n 10 .venv/bin/python benchmarks/phrases.py " + " ".join(sys.argv[1:])}
    atomic_write_text(RESULTS, json.dumps(current, indent=2) + "\n")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(WIKIMIX))
    ap.add_argument("--scoring", default="default,npmi")
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--child", nargs=5, metavar=("TOOL", "CORPUS", "SCORING", "PASSES", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--only", choices=("sets", "analogies"),
                    help="sets: the phrase sets vs gensim (the default); analogies: phrase analogies vs the C tools")
    args = ap.parse_args()
    if args.only == "analogies" and not args.child:
        return main_analogies(args) if Path(args.corpus).exists() else print(f"skipped: {args.corpus} not found") or 0
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
