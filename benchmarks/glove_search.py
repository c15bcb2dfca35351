"""GloVe settings for a small corpus: train over a grid on cached co-occurrences, score WS-353 / SimLex-999.

    nice -n 10 .venv/bin/python benchmarks/glove_search.py [--corpus FILE] [--grid JSON] [--threads 2]

The vocabulary (min-count 5, the one PPMI-SVD and skip-gram use in ``benchmarks/glove.py``) and the
co-occurrence matrix of each window are built once and cached (``wordlab.count.cooccurrence_cache``,
under ``$WORDLAB_CACHE``), so a grid point costs only its AdaGrad epochs. ``--grid`` is a JSON list of
GloVeConfig fields, plus ``subsample`` (word2vec's threshold, applied to the stream before counting: Levy et
al.'s "dirty" subsampling) and ``at``: the epochs at which to score a point on the way (one run gives the
learning curve). Every score is of ``W + W̃`` (the paper's output), of ``W + W̃`` with its eigenvalues
weighted by ``p = 0.5`` (``eig05_*``, ``GloVeConfig.eig``) and of ``W`` alone, Spearman ρ
on the pairs both words of which are in the vocabulary (the same pairs for every setting).
Results: one JSON line per score in ``benchmarks/results/glove-search.jsonl`` (appended).
The recipe found on wikimix is ``wordlab.count.glove_config.PRESETS["small-corpus"]`` (README "GloVe").
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
RESULTS = ROOT / "benchmarks" / "results" / "glove-search.jsonl"
GRID = [{"x_max": 10, "epochs": 20, "at": [5, 10]}, {"x_max": 3, "epochs": 10, "at": [5]},
        {"x_max": 1, "epochs": 10, "at": [5]}, {"window": 5, "x_max": 10, "epochs": 10, "at": [5]},
        {"window": 15, "x_max": 3, "epochs": 10, "at": [5]}, {"window": 20, "x_max": 3, "epochs": 10, "at": [5]},
        # second round: step size, alpha, weighting and a wider window (5 epochs each, scored at 3)
        {"window": 20, "x_max": 3, "lr": 0.1, "epochs": 5, "at": [3]},
        {"window": 20, "x_max": 3, "alpha": 0.5, "epochs": 5, "at": [3]},
        {"window": 10, "weighting": "uniform", "x_max": 3, "epochs": 5, "at": [3]},
        {"window": 30, "x_max": 3, "lr": 0.1, "epochs": 5, "at": [3]},
        {"window": 30, "x_max": 3, "alpha": 0.5, "lr": 0.1, "epochs": 5, "at": [3]},
        {"window": 30, "weighting": "uniform", "x_max": 3, "lr": 0.1, "epochs": 5, "at": [3]}]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(DATA / "wikimix" / "wikimix.txt.gz"))
    ap.add_argument("--grid", default=json.dumps(GRID), help="JSON list of GloVeConfig fields (+ 'at': epochs)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-count", type=int, default=5)
    args = ap.parse_args()
    pairs = {"ws353": DATA / "similarity" / "wordsim353.tsv", "simlex": DATA / "similarity" / "simlex999.txt"}
    if not Path(args.corpus).exists() or not all(p.exists() for p in pairs.values()):
        print(f"skipped: {args.corpus} or the similarity data not found")
        return 0
    from wordlab.count.cooccurrence_cache import cached_cooccurrence
    from wordlab.count.glove import GloVe
    from wordlab.count.glove_config import GloVeConfig
    from wordlab.evaluation import evaluate_word_pairs
    from wordlab.text import build_vocab_and_ids, read_corpus

    corpus = read_corpus(args.corpus)
    vocab, ids = build_vocab_and_ids(corpus, min_count=args.min_count, progress=False)
    matrices: dict = {}

    def score(kv) -> dict:
        return {k: round(float(evaluate_word_pairs(kv, p)[1][0]), 4) for k, p in pairs.items()}

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    for point in json.loads(args.grid):
        point = dict(point)
        at = set(point.pop("at", ()))
        subsample = float(point.get("subsample", 0.0))  # counted on a subsampled stream (not a GloVeConfig field)
        cfg = GloVeConfig(**{"dim": 100, "threads": args.threads, "min_count": args.min_count,
                             **{k: v for k, v in point.items() if k != "subsample"}})
        key = (cfg.window, cfg.weighting, subsample)
        if key not in matrices:
            matrices[key] = cached_cooccurrence(corpus, vocab, ids, window=cfg.window, weighting=cfg.weighting,
                                                subsample=subsample, seed=1, progress=False)[0]
        model = GloVe(cfg)
        t0 = time.perf_counter()

        def report(epoch: int, cost: float) -> None:
            row = {**point, "window": cfg.window, "weighting": cfg.weighting, "x_max": cfg.x_max, "alpha": cfg.alpha, "lr": cfg.lr,
                   "epochs": epoch, "cost": round(cost, 5), "seconds": round(time.perf_counter() - t0, 1),
                   **score(model.vectors("w+c", eig=1.0)),
                   **{f"eig05_{k}": v for k, v in score(model.vectors("w+c", eig=0.5)).items()},
                   **{f"w_{k}": v for k, v in score(model.vectors("w", eig=1.0)).items()},
                   "words": len(vocab), "corpus": Path(args.corpus).name}
            print(json.dumps(row), flush=True)
            with open(RESULTS, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")

        model.fit(vocab=vocab, matrix=matrices[key],
                  on_epoch=lambda e, cost, s: report(e, cost) if e in at and e < cfg.epochs else None)
        report(cfg.epochs, model.history[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
