"""MR sentence polarity, k-fold CV: Kim's TextCNN on wordlab's own word2vec vectors vs CNN-rand and an MLP.

    .venv/bin/python benchmarks/classify.py                       # 10 folds, every setting
    .venv/bin/python benchmarks/classify.py --run-folds rand=3    # fewer folds for a costly setting
    nice -n 10 .venv/bin/python benchmarks/classify.py --dim 100 --settings nbsvm,fasttext,fasttext-subword \
        --out benchmarks/results/classify-linear.json           # the linear classifiers (seconds per fold)
    nice -n 10 .venv/bin/python benchmarks/classify.py --dim 100 --settings cnn-static-subword --run-folds \
        cnn-static-subword=2 --out benchmarks/results/classify-cnn-sub.json   # TextCNN on fastText vectors

Subword settings (``*-subword``) use fastText skip-gram vectors trained on wikimix by ``wordlab train
fasttext`` with the tool's settings and its per-pair update (``--sg-update pair``), cached as
``benchmarks/cache/wikimix-ft-pair-d{dim}-e5.bin``: every MR word gets a vector (from its character
n-grams when wikimix never has it 5 times). ``nbsvm`` is ``--arch nbsvm`` (Wang & Manning 2012, bigrams,
beta 0.25, C 1; their MR figure 79.4); ``fasttext`` is ``--arch fasttext`` (bigrams, ``--ft-epochs``,
lr 0.1), ``fasttext-subword`` the same with the subword vectors as its words' input rows.

Data: ``../shared/data/mr/`` (Pang & Lee 2005) and ``../shared/data/wikimix/wikimix.txt.gz`` (3.5M words)
beside the repository, or ``$WORDLAB_DATA``; absent → "skipped" and exit 0. The word vectors
are trained once with ``wordlab.word2vec.Word2Vec`` (skip-gram) and cached under
``benchmarks/cache/``. Protocol as Kim 2014 (arXiv 1408.5882): seeded 10-fold CV, 10 % of
each training part as dev set for early stopping, Adadelta, batch 50, widths 3/4/5 × 100
maps, dropout 0.5, max-norm 3; the vocabulary covers all MR sentences (no labels used).
Kim's anchors (300-d GoogleNews vectors, 100 billion words): CNN-rand 76.1, CNN-static 81.0,
CNN-non-static 81.5. Writes a table and ``benchmarks/results/classify.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wordlab.atomic import atomic_write_text  # noqa: E402
from wordlab.classify import ClassifierConfig, cross_validate, read_mr  # noqa: E402
from wordlab.classify.train import build_vocab, pretrained_weights  # noqa: E402
from wordlab.tensor import set_threads  # noqa: E402
from wordlab.training import TrainConfig  # noqa: E402
from wordlab.vectors import KeyedVectors  # noqa: E402

log = logging.getLogger("benchmarks.classify")

# setting name → (model, embedding mode, vectors source)
SETTINGS = {
    "cnn-static": ("textcnn", "static", "wordlab"),
    "cnn-non-static": ("textcnn", "non-static", "wordlab"),
    "cnn-rand": ("textcnn", "rand", None),
    "mlp-non-static": ("mlp", "non-static", "wordlab"),
    "mlp-rand": ("mlp", "rand", None),
    "cnn-static-gensim": ("textcnn", "static", "gensim"),  # reference vectors (not run by default)
    "cnn-static-subword": ("textcnn", "static", "fasttext"),
    "cnn-non-static-subword": ("textcnn", "non-static", "fasttext"),
    "nbsvm": ("nbsvm", None, None),
    "fasttext": ("fasttext", None, None),
    "fasttext-subword": ("fasttext", None, "fasttext"),
}
KIM = {"cnn-rand": 76.1, "cnn-static": 81.0, "cnn-non-static": 81.5, "cnn-static-subword": 81.0,
       "cnn-non-static-subword": 81.5, "nbsvm": "79.4 (W&M)"}
FT_PARAMS = dict(sg=1, sg_update="pair", window=5, negative=5, min_count=5, sample=1e-4, ns_exponent=0.5, alpha=0.05,
                 min_n=3, max_n=6, bucket=2_000_000, seed=1)  # the fastText tool's settings (benchmarks/fasttext.py)


def fasttext_vectors(corpus: Path, dim: int, threads: int) -> tuple:
    """fastText subword vectors (``FastTextKeyedVectors``) on ``corpus``, cached as the tool's ``.bin``."""
    from wordlab.artifacts import load_vectors

    cache = ROOT / "benchmarks" / "cache" / f"{corpus.name.split('.')[0]}-ft-pair-d{dim}-e5.bin"
    params = dict(vector_size=dim, epochs=5, **FT_PARAMS)
    info = {"source": "fasttext", "model": "fastText skip-gram (pair update)", "corpus": str(corpus),
            "cache": str(cache.relative_to(ROOT)), **params, "window": 5, "negative": 5,
            "command": f"wordlab train fasttext {corpus} -o {cache.relative_to(ROOT)} --sg --sg-update pair --dim {dim} "
                       "--window 5 --negative 5 --min-count 5 --sample 1e-4 --ns-exponent 0.5 --lr 0.05 --epochs 5 "
                       f"--threads {threads} --seed 1 --min-n 3 --max-n 6 --bucket 2000000"}
    meta = cache.with_suffix(".json")
    if not cache.exists():
        from wordlab.fasttext import FastText

        t0 = time.perf_counter()
        model = FastText(str(corpus), workers=threads, **params)
        model.save_facebook(cache)
        atomic_write_text(meta, json.dumps({"train": {"train_seconds": round(time.perf_counter() - t0, 1),
                                                      "threads": threads, "command": info["command"]}}))
        info["cached"] = False
    else:
        info["cached"] = True
    if meta.exists():  # how the cached vectors were made (their command, with the threads they had)
        info.update(json.loads(meta.read_text())["train"])
    kv = load_vectors(cache)
    info["words_in_vocab"] = len(kv)
    return kv, info


def data_dir() -> Path:
    return Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")


def train_vectors(source: str, corpus: Path, dim: int, epochs: int, threads: int) -> tuple[KeyedVectors, dict]:
    """Skip-gram vectors on ``corpus`` (cached in benchmarks/cache/); returns them and how they were made."""
    params = dict(vector_size=dim, sg=1, window=5, min_count=5, negative=5, epochs=epochs, sample=1e-3, seed=1)
    cache = ROOT / "benchmarks" / "cache" / f"{corpus.name.split('.')[0]}-{source}-sg-d{dim}-e{epochs}.npz"
    info = {"source": source, "corpus": str(corpus), "cache": str(cache.relative_to(ROOT)), **params}
    if cache.exists():
        kv = KeyedVectors.load(cache)
        meta = cache.with_suffix(".json")
        if meta.exists():
            info.update(json.loads(meta.read_text())["train"])
        info["cached"] = True
        return kv, info
    t0 = time.perf_counter()
    if source == "fasttext":
        return fasttext_vectors(corpus, dim, threads)
    if source == "wordlab":
        from wordlab.word2vec import Word2Vec

        kv = Word2Vec(str(corpus), workers=threads, **params).wv
    else:
        import gensim
        from gensim.models import Word2Vec as GensimWord2Vec
        from gensim.models.word2vec import LineSentence

        g = GensimWord2Vec(LineSentence(str(corpus)), workers=threads, **params)
        kv = KeyedVectors(list(g.wv.index_to_key), g.wv.vectors)
        info["gensim"] = gensim.__version__
    train = {"train_seconds": round(time.perf_counter() - t0, 1), "words_in_vocab": len(kv)}
    info.update(train)
    kv.save(cache)
    atomic_write_text(cache.with_suffix(".json"), json.dumps({"train": train, "params": params}))
    info["cached"] = False
    return kv, info


def linear_cv(model: str, data, args, run_folds: int | None, kv=None) -> dict:
    """k-fold CV of ``--arch nbsvm`` / ``--arch fasttext`` on the folds :func:`cross_validate` uses."""
    import numpy as np

    from wordlab.classify.cv import kfold_indices
    from wordlab.evaluation.classification import classification_report

    names = [data.label_names[y] for y in data.labels]
    parts = kfold_indices(data.labels, args.folds, args.seed)
    rows = []
    for f, test in list(enumerate(parts))[args.start_fold:args.start_fold + (run_folds or args.folds)]:
        train = np.setdiff1d(np.arange(len(data)), test, assume_unique=True)
        train = np.random.default_rng(f).permutation(train)  # fastText reads in order: MR files are sorted by label
        texts, labels = [data.texts[i] for i in train], [names[i] for i in train]
        t0 = time.perf_counter()
        if model == "nbsvm":
            from wordlab.classify.nbsvm import NBSVM

            clf = NBSVM.train(texts, labels, word_ngrams=2)
            pred, _ = clf.predict([data.texts[i] for i in test])
            epochs = 0
        else:
            from wordlab.fasttext import FastTextClassifier

            clf, _ = FastTextClassifier.train(texts, labels, vectors=kv, dim=args.dim, lr=args.ft_lr,
                                              epochs=args.ft_epochs, word_ngrams=2, seed=args.seed + f)
            pred = [ls[0].removeprefix("__label__") for ls in clf.predict([data.texts[i] for i in test])[0]]
            epochs = args.ft_epochs
        seconds = time.perf_counter() - t0
        y_pred = np.array([data.label_names.index(p) for p in pred])
        rep = classification_report(data.labels[test], y_pred, len(data.label_names))
        rep.update({"fold": f, "seconds": round(seconds, 2), "epochs": epochs})
        rows.append(rep)
    acc = np.array([r["accuracy"] for r in rows])
    return {"folds": rows, "folds_run": len(rows), "folds_total": args.folds, "accuracy": float(acc.mean()),
            "accuracy_std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
            "macro_f1": float(np.mean([r["macro_f1"] for r in rows])),
            "confusion": np.sum([r["confusion"] for r in rows], axis=0).tolist(),
            "seconds_per_fold": float(np.mean([r["seconds"] for r in rows])), "labels": list(data.label_names),
            "model": model, "ft_epochs": args.ft_epochs if model == "fasttext" else None,
            "ft_lr": args.ft_lr if model == "fasttext" else None}


def parse_run_folds(text: str | None, folds: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in (text or "").split(","):
        if part.strip():
            name, _, n = part.partition("=")
            out[name.strip()] = int(n)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", default="cnn-static,cnn-non-static,cnn-rand,mlp-non-static",
                    help=f"comma-separated, from {', '.join(SETTINGS)}")
    ap.add_argument("--folds", type=int, default=10, help="k of k-fold CV (default: 10)")
    ap.add_argument("--run-folds", default=None, help="e.g. 'cnn-rand=3,mlp-non-static=5': run only the first N folds")
    ap.add_argument("--dim", type=int, default=300, help="word-vector / embedding dimension (default: 300, as Kim)")
    ap.add_argument("--w2v-epochs", type=int, default=15, help="word2vec epochs on wikimix (default: 15)")
    ap.add_argument("--epochs", type=int, default=25, help="max classifier epochs per fold (default: 25, as Kim)")
    ap.add_argument("--early-stop", type=int, default=5, help="epochs without better dev accuracy (default: 5)")
    ap.add_argument("--threads", type=int, default=None, help="torch / word2vec threads (default: all cores)")
    ap.add_argument("--seed", type=int, default=0, help="fold and initialisation seed")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "classify.json"), help="JSON output")
    ap.add_argument("--merge", nargs="+", metavar="JSON", help="only combine the JSON of earlier runs into --out")
    ap.add_argument("--start-fold", type=int, default=0, help="first fold to run (0-based; parts of a long run "
                    "on the same folds combine with --merge)")
    ap.add_argument("--ft-epochs", type=int, default=5, help="fastText classifier epochs (default: the tool's 5)")
    ap.add_argument("--ft-lr", type=float, default=0.1, help="fastText classifier lr (default: the tool's 0.1)")
    args = ap.parse_args(argv)
    if args.merge:
        return merge(args.merge, args.out)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("wordlab.training").setLevel(logging.WARNING)

    d = data_dir()
    mr, corpus = d / "mr", d / "wikimix" / "wikimix.txt.gz"
    if not (mr / "rt-polarity.pos").exists() or not corpus.exists():
        print(f"skipped: MR or wikimix not found under {d} (set WORDLAB_DATA)")
        return 0
    threads = set_threads(args.threads)
    names = [s.strip() for s in args.settings.split(",") if s.strip()]
    unknown = [s for s in names if s not in SETTINGS]
    if unknown:
        ap.error(f"unknown settings {unknown}; choose from {', '.join(SETTINGS)}")
    run_folds = parse_run_folds(args.run_folds, args.folds)

    data = read_mr(mr / "rt-polarity.pos", mr / "rt-polarity.neg", clean=True)
    vocab = build_vocab(data.texts)
    vectors: dict[str, tuple] = {}
    tcfg = TrainConfig(epochs=args.epochs, optimizer="adadelta", lr=1.0, early_stop=args.early_stop,
                       monitor="dev_acc", mode="max", seed=args.seed)
    results = {}
    for name in names:
        model, mode, source = SETTINGS[name]
        weights = None
        if source is not None:
            if source not in vectors:
                kv, info = train_vectors(source, corpus, args.dim, args.w2v_epochs, threads)
                w, cov = pretrained_weights(vocab, kv, seed=args.seed)
                info["mr_word_coverage"] = round(cov, 4)
                info["mr_words_in_vocabulary"] = round(sum(w_ in kv.key_to_index for w_ in vocab.itos[2:])
                                                       / max(len(vocab) - 2, 1), 4)
                vectors[source] = (w, info, kv)
                log.info("%s vectors: %s", source, info)
            weights = vectors[source][0]
        if model in ("nbsvm", "fasttext"):
            kv = vectors[source][2] if source else None
            t0 = time.perf_counter()
            cv = linear_cv(model, data, args, run_folds.get(name), kv)
            cv["seconds"] = round(time.perf_counter() - t0, 1)
            cv["vectors"] = None if source is None else vectors[source][1]
            results[name] = cv
            log.info("%s: accuracy %.2f ± %.2f over %d folds", name, 100 * cv["accuracy"], 100 * cv["accuracy_std"],
                     cv["folds_run"])
            continue
        cfg = ClassifierConfig(model=model, mode=mode, vocab_size=len(vocab), embed_dim=args.dim,
                               num_classes=2, hidden=(100,))
        log.info("%s: %d folds", name, run_folds.get(name, args.folds))
        t0 = time.perf_counter()
        cv = cross_validate(data, vocab, cfg, tcfg, folds=args.folds, run_folds=run_folds.get(name),
                            weights=weights, seed=args.seed, progress=False, start_fold=args.start_fold)
        cv["seconds"] = round(time.perf_counter() - t0, 1)
        cv["vectors"] = None if source is None else vectors[source][1]
        results[name] = cv
        log.info("%s: accuracy %.2f ± %.2f over %d folds, %.1f s per fold", name, 100 * cv["accuracy"],
                 100 * cv["accuracy_std"], cv["folds_run"], cv["seconds_per_fold"])

    payload = {"benchmark": "classify-mr", "commands": ["benchmarks/classify.py " + " ".join(
                   argv if argv is not None else sys.argv[1:])],
               "machine": {"cpu_threads": threads, "platform": platform.platform(), "torch": torch.__version__,
                           "load_average_at_end": os.getloadavg()},
               "data": {"sentences": len(data), "vocabulary": len(vocab)},
               "folds": args.folds, "dim": args.dim, "train_config": tcfg.__dict__, "kim2014": KIM,
               "vectors": {src: v[1] for src, v in vectors.items()}, "results": results}
    print_report(payload)
    atomic_write_text(args.out, json.dumps(payload, indent=1))
    print(f"\nwrote {args.out}")
    return 0


def print_report(payload: dict) -> None:
    """The table of a results payload (one run, or several merged)."""
    print(f"MR ({payload['data']['sentences']:,} sentences, vocabulary {payload['data']['vocabulary']:,}), "
          f"{payload['folds']}-fold CV, {payload['dim']}-d embeddings, {payload['machine']['cpu_threads']} thread(s) "
          f"per run, torch {payload['machine']['torch']}")
    for src, info in payload["vectors"].items():
        print(f"vectors: {src} {info.get('model', 'skip-gram')} d={info['vector_size']} window {info['window']} negative {info['negative']} "
              f"{info['epochs']} epochs on {Path(info['corpus']).name}: {info.get('words_in_vocab', '?')} words, "
              f"trained in {info.get('train_seconds', '?')} s; they cover {100 * info['mr_word_coverage']:.1f}% "
              f"of MR's word types")
    headers = ["setting", "folds", "accuracy %", "± std", "macro-F1 %", "Kim 2014 %", "s / fold", "epochs / fold"]
    rows = []
    for name, cv in payload["results"].items():
        rows.append([name, f"{cv['folds_run']}/{cv['folds_total']}", 100 * cv["accuracy"], 100 * cv["accuracy_std"],
                     100 * cv["macro_f1"], payload["kim2014"].get(name, "-"), cv["seconds_per_fold"],
                     sum(r["epochs"] for r in cv["folds"]) / cv["folds_run"]])
    print()
    widths = [max(len(h), *(len(_fmt(r[i])) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(_fmt(c).rjust(w) if i else _fmt(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))))


def merge(paths: list[str], out: str) -> int:
    """Combine the JSON of several runs (e.g. settings run side by side) into one table and file."""
    parts = [json.loads(Path(p).read_text()) for p in paths]
    payload = dict(parts[0])
    payload.pop("command", None)
    payload["commands"] = [c for p in parts for c in p.get("commands", [p.get("command")])]
    payload["machine"] = dict(parts[0]["machine"], load_average_at_end=[p["machine"].get("load_average_at_end")
                                                                          for p in parts])
    payload["vectors"] = {v["source"]: v for p in parts for cv in p["results"].values()
                          if (v := cv.get("vectors"))}
    if "data" not in payload:
        mr = data_dir() / "mr"
        data = read_mr(mr / "rt-polarity.pos", mr / "rt-polarity.neg", clean=True)
        payload["data"] = {"sentences": len(data), "vocabulary": len(build_vocab(data.texts))}
    payload["results"] = {}
    for p in parts:
        for k, v in p["results"].items():
            payload["results"][k] = combine_folds(payload["results"][k], v) if k in payload["results"] else v
    print_report(payload)
    atomic_write_text(out, json.dumps(payload, indent=1))
    print(f"\nwrote {out}")
    return 0


def combine_folds(a: dict, b: dict) -> dict:
    """One setting's results from two runs on different folds (``--start-fold``) as one."""
    import numpy as np

    seen = {r["fold"] for r in a["folds"]}
    rows = sorted(a["folds"] + [r for r in b["folds"] if r["fold"] not in seen], key=lambda r: r["fold"])
    acc = np.array([r["accuracy"] for r in rows])
    return dict(a, folds=rows, folds_run=len(rows), accuracy=float(acc.mean()),
                accuracy_std=float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                macro_f1=float(np.mean([r["macro_f1"] for r in rows])),
                confusion=np.sum([r["confusion"] for r in rows], axis=0).tolist(),
                seconds_per_fold=float(np.mean([r["seconds"] for r in rows])),
                seconds=a.get("seconds", 0) + b.get("seconds", 0))


def _fmt(c) -> str:
    return f"{c:.2f}" if isinstance(c, float) else str(c)


if __name__ == "__main__":
    sys.exit(main())
