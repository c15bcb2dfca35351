"""GloVe: wordlab vs the reference tool (Stanford GloVe, built here), beside PPMI-SVD and skip-gram, on one corpus.

    nice -n 10 .venv/bin/python benchmarks/glove.py [--corpus FILE] [--epochs 15] [--parts reference,wordlab,
        recipe,ppmi,sgns] [--keep DIR]

* ``reference`` — ``/work/shared/anchors/glove`` copied and built with ``make`` into a temporary folder,
  then its pipeline ``vocab_count -min-count 5 | cooccur -window-size 10 | shuffle | glove -vector-size 100
  -x-max 100 -iter E -threads 2 -binary 0 -model 2`` on the decompressed corpus; wall time end to end.
* ``wordlab``   — ``wordlab train glove CORPUS --dim 100 --window 10 --x-max 100 --epochs E --threads 2
  --no-cache`` (counting included: no cache) in a subprocess; wall time end to end.
* ``recipe``    — ``wordlab train glove --preset small-corpus`` (the small-corpus recipe found by
  ``benchmarks/glove_search.py``; ``wordlab.count.glove_config.PRESETS``); its window differs from the
  ``wordlab`` part's, so it counts its own co-occurrences (end to end). When the recipe weights the output's
  eigenvalues (``eig`` ≠ 1), the same trained model is also scored with ``eig 1`` (``W + W̃`` as trained).
* ``ppmi`` / ``sgns`` — PPMI-SVD (``wordlab train ppmi``, dim 100) and skip-gram (``wordlab train word2vec
  --sg``, dim 100, 5 epochs) on the same corpus, for Levy et al. 2015's comparison.

Every vector set is scored by one evaluator: Google analogy 3CosAdd (restrict 30k), WS-353 and SimLex-999
Spearman. Results: ``benchmarks/results/glove.json`` (each part replaces its own rows). ``--keep DIR`` keeps
the vectors (``benchmarks/thesaurus.py`` reuses the skip-gram and PPMI ones).
Data: ``../shared/data`` and ``../shared/anchors`` beside the repository; skipped politely when absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
DATA = Path(os.environ.get("WORDLAB_DATA") or SHARED / "data")
ANCHOR = SHARED / "anchors" / "glove"
RESULTS = ROOT / "benchmarks" / "results" / "glove.json"
WIKIMIX = DATA / "wikimix" / "wikimix.txt.gz"
WS353 = DATA / "similarity" / "wordsim353.tsv"
SIMLEX = DATA / "similarity" / "simlex999.txt"
ANALOGY = DATA / "analogy" / "questions-words.txt"
WORDLAB = [sys.executable, "-m", "wordlab.cli", "-q"]


def evaluate(path: Path) -> dict:
    from wordlab.evaluation import evaluate_word_analogies, evaluate_word_pairs
    from wordlab.vectors import KeyedVectors

    kv = KeyedVectors.load(path)
    out = {"words": len(kv)}
    for name, pairs in (("ws353", WS353), ("simlex", SIMLEX)):
        (_, _), (rho, _), oov = evaluate_word_pairs(kv, pairs)
        out[name] = round(float(rho), 4)
    acc, _ = evaluate_word_analogies(kv, ANALOGY, restrict_vocab=30000)
    out["analogy"] = round(float(acc), 4)
    return out


def timed(cmd: list[str], **kw) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, **kw)
    return time.perf_counter() - t


def run_reference(corpus_txt: Path, work: Path, epochs: int) -> tuple[float, Path]:
    src = work / "glove-src"
    shutil.copytree(ANCHOR, src)
    subprocess.run(["make", "-s"], cwd=src, check=True, capture_output=True)
    b = src / "build"
    t = time.perf_counter()
    with open(corpus_txt, "rb") as fin, open(work / "vocab.txt", "wb") as fout:
        subprocess.run([b / "vocab_count", "-min-count", "5", "-verbose", "0"], stdin=fin, stdout=fout, check=True)
    with open(corpus_txt, "rb") as fin, open(work / "cooc.bin", "wb") as fout:
        subprocess.run([b / "cooccur", "-memory", "4", "-vocab-file", work / "vocab.txt", "-verbose", "0",
                        "-window-size", "10"], stdin=fin, stdout=fout, check=True)
    with open(work / "cooc.bin", "rb") as fin, open(work / "shuf.bin", "wb") as fout:
        subprocess.run([b / "shuffle", "-memory", "4", "-verbose", "0"], stdin=fin, stdout=fout, check=True)
    subprocess.run([b / "glove", "-save-file", work / "ref", "-threads", "2", "-input-file", work / "shuf.bin",
                    "-x-max", "100", "-iter", str(epochs), "-vector-size", "100", "-binary", "0", "-model", "2",
                    "-vocab-file", work / "vocab.txt", "-verbose", "0"], check=True)
    return time.perf_counter() - t, work / "ref.txt"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(WIKIMIX))
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--parts", default="reference,wordlab,recipe,ppmi,sgns")
    ap.add_argument("--keep", help="keep the vector files in this folder")
    args = ap.parse_args()
    if not Path(args.corpus).exists() or not WS353.exists():
        print(f"skipped: {args.corpus} or the similarity data not found")
        return 0
    parts = args.parts.split(",")
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        txt = Path(tmp) / "corpus.txt"
        with gzip.open(args.corpus, "rb") if args.corpus.endswith(".gz") else open(args.corpus, "rb") as f, \
                open(txt, "wb") as out:
            shutil.copyfileobj(f, out)
        env = {**os.environ, "WORDLAB_CACHE": str(Path(tmp) / "cache")}
        if "reference" in parts:
            if shutil.which("make") and shutil.which("gcc") and ANCHOR.exists():
                seconds, path = run_reference(txt, work, args.epochs)
                rows["reference GloVe"] = {"seconds": round(seconds, 1), **evaluate(path)}
                print("reference", rows["reference GloVe"], flush=True)
            else:
                print("reference skipped: gcc/make or the anchor folder missing")
        if "wordlab" in parts:
            out = work / "wordlab-glove.txt"
            s = timed(WORDLAB + ["train", "glove", str(txt), "-o", str(out), "--dim", "100", "--window", "10",
                                 "--x-max", "100", "--epochs", str(args.epochs), "--threads", "2"], env=env,
                      stdout=subprocess.DEVNULL)
            rows["wordlab GloVe"] = {"seconds": round(s, 1), **evaluate(out)}
            print("wordlab", rows["wordlab GloVe"], flush=True)
        if "recipe" in parts:
            out = work / "wordlab-glove-recipe.txt"
            from wordlab.count.glove_config import PRESETS
            r = PRESETS["small-corpus"]
            model_path = work / "wordlab-glove-recipe.npz"
            s = timed(WORDLAB + ["train", "glove", str(txt), "-o", str(out), "--preset", "small-corpus", "--dim", "100",
                                 "--threads", "2", "--save-model", str(model_path)], env=env, stdout=subprocess.DEVNULL)
            name = (f"wordlab GloVe --preset small-corpus (window {r['window']} {r['weighting']}, x_max {r['x_max']:g}, "
                    f"lr {r['lr']:g}, {r['epochs']} epochs, eig {r.get('eig', 1):g})")
            rows[name] = {"seconds": round(s, 1), **evaluate(out)}
            print("recipe", rows[name], flush=True)
            if r.get("eig", 1) != 1:  # the same trained model without the eigenvalue weighting: its share of the gain
                from wordlab.count.glove import GloVe
                from wordlab.count.glove_train import save_glove_text
                plain = work / "wordlab-glove-recipe-eig1.txt"
                save_glove_text(plain, GloVe.load_checkpoint(model_path).vectors(eig=1.0))
                rows["  the same model, eig 1 (W + W~ as trained)"] = {"seconds": round(s, 1), **evaluate(plain)}
                print("recipe eig 1", rows["  the same model, eig 1 (W + W~ as trained)"], flush=True)
        if "ppmi" in parts:
            out = work / "ppmi.bin"
            s = timed(WORDLAB + ["train", "ppmi", str(txt), "-o", str(out), "--dim", "100"], env=env,
                      stdout=subprocess.DEVNULL)
            rows["PPMI-SVD (dim 100)"] = {"seconds": round(s, 1), **evaluate(out)}
            print("ppmi", rows["PPMI-SVD (dim 100)"], flush=True)
        if "sgns" in parts:
            out = work / "sgns.bin"
            s = timed(WORDLAB + ["train", "word2vec", str(txt), "-o", str(out), "--sg", "--dim", "100", "--epochs",
                                 "5", "--threads", "2"], env=env, stdout=subprocess.DEVNULL)
            rows["skip-gram (dim 100, 5 epochs)"] = {"seconds": round(s, 1), **evaluate(out)}
            print("sgns", rows["skip-gram (dim 100, 5 epochs)"], flush=True)
    from wordlab.atomic import atomic_write_text
    from wordlab.cli.common import print_table
    current = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    key = f"{Path(args.corpus).name} epochs={args.epochs}"
    entry = current.setdefault(key, {"rows": {}})
    entry["rows"].update(rows)
    entry["command"] = "nice -n 10 .venv/bin/python benchmarks/glove.py " + " ".join(sys.argv[1:])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(current, indent=2) + "\n")
    print_table([[name, f"{r['seconds']:.1f}", f"{100 * r['analogy']:.1f}%", f"{r['ws353']:.3f}", f"{r['simlex']:.3f}"]
                 for name, r in entry["rows"].items()], ["method", "seconds", "analogy (30k)", "WS-353", "SimLex"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
