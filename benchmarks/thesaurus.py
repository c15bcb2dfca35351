"""The thesaurus method beside counting and inference (DLfS-2 ch. 2–3) on word-similarity sets, and retrofitting.

    nice -n 10 .venv/bin/python benchmarks/thesaurus.py --vectors sgns=/tmp/gbench/sgns.bin,ppmi=/tmp/gbench/ppmi.bin,\
        fasttext=/tmp/gbench/ft.vec

* WordNet (``path`` and ``wup``: best over same-POS synset pairs) vs each vector set (cosine) on SimLex-999,
  WS-353 and MEN: Spearman ρ over the pairs each method covers, and the coverage.
* Retrofitting (Faruqui et al. 2015, 10 iterations) of each vector set to WordNet synonyms and to WN_all
  (synonyms + hypernyms + hyponyms): Spearman before and after on the same sets.

The vectors come from ``benchmarks/glove.py --keep DIR`` (skip-gram and PPMI-SVD, 100-d, on wikimix) and
``wordlab train fasttext wikimix.txt.gz -o ft.vec --sg --dim 100 --epochs 5 --threads 2`` (fastText skip-gram;
the ``.vec`` holds the vocabulary's vectors, so its coverage is the others').
Results: ``benchmarks/results/thesaurus.json``. Needs WordNet (``wordnet-base``); skipped politely without it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "benchmarks" / "results" / "thesaurus.json"
SETS = {"SimLex-999": DATA / "similarity" / "simlex999.txt", "WS-353": DATA / "similarity" / "wordsim353.tsv",
        "MEN": DATA / "similarity" / "EN-MEN-TR-3k.txt"}


def vector_scores(kv, pairs) -> dict:
    from scipy.stats import spearmanr
    xs, ys = [], []
    for a, b, h in pairs:
        a2, b2 = a.lower(), b.lower()
        if a2 in kv and b2 in kv:
            xs.append(float(kv.similarity(a2, b2)))
            ys.append(h)
    return {"spearman": round(float(spearmanr(xs, ys)[0]), 4) if len(xs) > 2 else None,
            "coverage": round(len(xs) / len(pairs), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vectors", default="", help="name=path,... vector files to compare and retrofit")
    ap.add_argument("--measures", default="path,wup")
    args = ap.parse_args()
    from wordlab.errors import DataError
    from wordlab.evaluation.word_pairs import read_word_pairs
    from wordlab.thesaurus import load_wordnet, retrofit, score_pairs
    from wordlab.vectors import KeyedVectors
    try:
        wn = load_wordnet()
    except DataError as e:
        print(f"skipped: {e}")
        return 0
    sets = {name: [(a.lower(), b.lower(), s) for a, b, s in read_word_pairs(p)] for name, p in SETS.items()
            if p.exists()}
    table = []
    for m in args.measures.split(","):
        t = time.perf_counter()
        row = {"method": f"WordNet {m}"}
        for name, pairs in sets.items():
            r = score_pairs(pairs, m, wn)
            row[name] = {"spearman": round(r["spearman"], 4), "coverage": round(r["coverage"], 3)}
        row["seconds"] = round(time.perf_counter() - t, 1)
        table.append(row)
        print(row, flush=True)
    retro = []
    for spec in filter(None, args.vectors.split(",")):
        name, path = spec.split("=", 1)
        kv = KeyedVectors.load(path)
        table.append({"method": name, **{s: vector_scores(kv, p) for s, p in sets.items()}})
        print(table[-1], flush=True)
        for lexicon in ("synonyms", "all"):
            t = time.perf_counter()
            new, stats = retrofit(kv, lexicon, 10, wn)
            row = {"vectors": name, "lexicon": lexicon, "seconds": round(time.perf_counter() - t, 1), **stats}
            for s, p in sets.items():
                before, after = vector_scores(kv, p)["spearman"], vector_scores(new, p)["spearman"]
                row[s] = {"before": before, "after": after, "gain": round(after - before, 4)}
            retro.append(row)
            print(row, flush=True)
    from wordlab.atomic import atomic_write_text
    from wordlab.cli.common import print_table
    names = list(sets)
    print_table([[r["method"]] + [f"{r[s]['spearman']:.3f} ({100 * r[s]['coverage']:.0f}%)" for s in names]
                 for r in table], ["method"] + [f"{s} rho (coverage)" for s in names])
    if retro:
        print()
        print_table([[r["vectors"], r["lexicon"], r["words_with_neighbours"]]
                     + [f"{r[s]['before']:.3f} -> {r[s]['after']:.3f} ({r[s]['gain']:+.3f})" for s in names]
                     for r in retro], ["vectors", "lexicon", "words moved"] + names)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps({"similarity": table, "retrofit": retro, "command":
                                           "nice -n 10 .venv/bin/python benchmarks/thesaurus.py "
                                           + " ".join(sys.argv[1:])}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
