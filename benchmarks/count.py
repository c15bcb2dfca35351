"""PPMI-SVD at scale, its quality beside gensim skip-gram, its knobs, and the dense DLfS-2 method.

    .venv/bin/python benchmarks/count.py [--parts scale,solvers,quality,knobs,dense] [--repeat 5]

Parts (each adds its section to ``benchmarks/results/count.json``; the others are kept):

* ``scale``   — wikimix read ``--repeat`` times (17.7M words), window 5, dim 300, min_count 5: wall time of
  tokenise + count + PPMI + SVD and peak RSS (``resource.getrusage``) of a fresh subprocess.
* ``solvers`` — the three truncated-SVD solvers on the quality corpus: seconds and WS353 / analogy.
* ``quality`` — wikimix read once (min_count 5): WS353, SimLex-999 Spearman, Google analogy 3CosAdd and
  3CosMul (restrict 30k) for PPMI-SVD and for gensim skip-gram trained in the same run (5 epochs, d=300).
* ``knobs``   — Levy et al.'s hyper-parameters one at a time from the default (alpha, shift, eig, harmonic,
  dynamic window, window 2, w+c, subsampling) on the quality corpus.
* ``dense``   — DLfS-2's dense method (``create_co_matrix`` loop, dense PPMI, ``np.linalg.svd``) against the
  sparse path on a 10k-word vocabulary (text8-head), in a subprocess.

Data: ``../shared/data`` beside the repository, or ``$WORDLAB_DATA``; skipped politely when absent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "benchmarks" / "results" / "count.json"
WIKIMIX = DATA / "wikimix" / "wikimix.txt.gz"
WS353 = DATA / "similarity" / "wordsim353.tsv"
SIMLEX = DATA / "similarity" / "simlex999.txt"
ANALOGY = DATA / "analogy" / "questions-words.txt"
TEXT8 = ROOT / "corpora" / "text8-head.gz"


def peak_rss_mb() -> float:
    """Peak RSS of this process in MiB: ``getrusage`` (Linux KiB), but not more than the kernel's ``VmHWM``.

    After fork + exec Linux carries the parent's ``ru_maxrss`` over into the child, so a child started
    by a parent holding 2 GB reports at least 2 GB; ``VmHWM`` belongs to the child's own address space.
    """
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return min(rss, int(line.split()[1]) / 1024)
    except OSError:
        pass
    return rss


# ----------------------------------------------------------------------------- children (own process, own RSS)
def child_scale(repeat: int, solver: str) -> dict:
    from wordlab.count import PPMIConfig, PPMISVD
    from wordlab.text import read_corpus

    t0 = time.perf_counter()
    model = PPMISVD(PPMIConfig(dim=300, window=5, min_count=5, solver=solver))
    model.fit(read_corpus([WIKIMIX] * repeat), cache_dir=False)
    out = {k: v for k, v in model.stats.items() if k != "seconds"}
    return {**out, "stages": model.stats["seconds"], "seconds": round(time.perf_counter() - t0, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1), "solver": solver, "repeat": repeat}


def child_dense(vocab_size: int) -> dict:
    import numpy as np

    from wordlab.count import cooccurrence, create_co_matrix, ppmi, ppmi_dense, svd_dense, svd_vectors
    from wordlab.text import build_vocab_and_ids, read_corpus

    vocab, ids = build_vocab_and_ids(read_corpus(TEXT8), max_size=vocab_size, cache_dir=False)
    out = {"vocab": len(vocab), "tokens": int(len(ids)), "dim": 300, "window": 5}
    t = time.perf_counter()
    C = cooccurrence(ids, len(vocab), 5)
    out["sparse_count_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    M = ppmi(C, alpha=1.0)
    out["sparse_ppmi_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    svd_vectors(M, 300)
    out["sparse_svd_s"] = round(time.perf_counter() - t, 2)
    out["sparse_peak_rss_mb"] = round(peak_rss_mb(), 1)
    t = time.perf_counter()
    D = create_co_matrix(ids, len(vocab), 5)  # the book's Python loop over tokens
    out["dense_count_s"] = round(time.perf_counter() - t, 2)
    out["dense_count_equal"] = bool(np.array_equal(D, C.toarray()))
    del C
    t = time.perf_counter()
    P = ppmi_dense(D, alpha=1.0).astype(np.float32)  # vectorised; the book's double loop would be far slower
    out["dense_ppmi_s"] = round(time.perf_counter() - t, 2)
    out["ppmi_max_abs_diff"] = float(np.abs(P - M.toarray()).max())
    del D
    t = time.perf_counter()
    svd_dense(P, 300)  # full np.linalg.svd, as the book
    out["dense_svd_s"] = round(time.perf_counter() - t, 2)
    out["dense_peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def run_child(kind: str, *args: str, env: dict | None = None, timeout: float = 1800) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    if p.returncode != 0:
        raise RuntimeError(f"child {kind} failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- evaluation helpers
def evaluate(kv) -> dict:
    from wordlab.evaluation import evaluate_word_analogies, evaluate_word_pairs

    out = {}
    for name, path in (("ws353", WS353), ("simlex", SIMLEX)):
        (_, _), (rho, _), oov = evaluate_word_pairs(kv, path)
        out[name] = round(float(rho), 4)
        out[f"{name}_oov_pct"] = round(float(oov), 1)
    for method in ("3cosadd", "3cosmul"):
        acc, _ = evaluate_word_analogies(kv, ANALOGY, restrict_vocab=30000, method=method)
        out[f"analogy_{method}"] = round(float(acc), 4)
    return out


def quality_corpus():
    from wordlab.text import build_vocab_and_ids, read_corpus

    return build_vocab_and_ids(read_corpus(WIKIMIX), min_count=5, cache_dir=None)


def part_solvers(res: dict) -> None:
    from wordlab.count import cooccurrence, ppmi, svd_vectors
    from wordlab.evaluation import evaluate_word_analogies, evaluate_word_pairs
    from wordlab.vectors import KeyedVectors

    vocab, ids = quality_corpus()
    M = ppmi(cooccurrence(ids, len(vocab), 5), alpha=0.75)
    rows = []
    for solver, n_iter in (("krylov", 4), ("randomized", 3), ("randomized", 6), ("arpack", 0)):
        t = time.perf_counter()
        W = svd_vectors(M, 300, 0.5, solver=solver, n_iter=n_iter)
        sec = time.perf_counter() - t
        kv = KeyedVectors(vocab.itos, W)
        rho = evaluate_word_pairs(kv, WS353)[1][0]
        acc = evaluate_word_analogies(kv, ANALOGY, restrict_vocab=30000)[0]
        rows.append({"solver": solver, "n_iter": n_iter, "seconds": round(sec, 2), "ws353": round(float(rho), 4),
                     "analogy_3cosadd": round(float(acc), 4)})
        print(f"  solver {solver:10s} n_iter {n_iter}: {sec:7.1f} s  WS353 {rho:.4f}  analogy {acc:.4f}", flush=True)
    res["solvers"] = {"corpus": "wikimix x1, min_count 5", "words": len(vocab), "nnz_ppmi": int(M.nnz), "rows": rows}


def part_quality(res: dict) -> None:
    from wordlab.count import PPMIConfig, PPMISVD
    from wordlab.vectors import KeyedVectors

    vocab, ids = quality_corpus()
    t = time.perf_counter()
    kv = PPMISVD(PPMIConfig(dim=300, window=5, min_count=5)).fit(ids=ids, vocab=vocab)
    ppmi_s = time.perf_counter() - t
    rows = [{"method": "PPMI-SVD (defaults)", "seconds": round(ppmi_s, 1), **evaluate(kv)}]
    print(f"  ppmi-svd: {rows[-1]}", flush=True)
    from gensim.models import Word2Vec

    sentences = [vocab.decode(ids[i:i + 10000]) for i in range(0, len(ids), 10000)]
    t = time.perf_counter()
    w2v = Word2Vec(sentences, vector_size=300, window=5, min_count=5, sg=1, negative=5, epochs=5, workers=2, seed=0)
    sg_s = time.perf_counter() - t
    sg = KeyedVectors(w2v.wv.index_to_key, w2v.wv.vectors)
    rows.append({"method": "gensim skip-gram (SGNS)", "seconds": round(sg_s, 1), **evaluate(sg)})
    print(f"  sgns: {rows[-1]}", flush=True)
    res["quality"] = {"corpus": "wikimix x1 (3.54M words), min_count 5, window 5, dim 300", "words": len(vocab),
                      "rows": rows, "ws353_gap_vs_sgns": round(rows[0]["ws353"] - rows[1]["ws353"], 4)}


def part_knobs(res: dict) -> None:
    import numpy as np

    from wordlab.count import cooccurrence, ppmi, truncated_svd
    from wordlab.count.svd import _unit
    from wordlab.vectors import KeyedVectors

    vocab, ids = quality_corpus()
    V = len(vocab)
    counts = {}
    svds = {}

    def vectors(window=5, weighting="uniform", dynamic=False, subsample=0.0, alpha=0.75, shift=1.0, eig=0.5,
                add_context=False):
        ckey = (window, weighting, dynamic, subsample)
        if ckey not in counts:
            counts[ckey] = cooccurrence(ids, V, window, weighting=weighting, dynamic_window=dynamic,
                                        subsample=subsample or None, counts=vocab.counts,
                                        total_words=vocab.total_words)
        skey = ckey + (alpha, shift)
        if skey not in svds:
            svds[skey] = truncated_svd(ppmi(counts[ckey], alpha=alpha, shift_k=shift), 300)
        U, s, Vt = svds[skey]
        W = U * s ** eig
        if add_context:
            W = _unit(W) + _unit(Vt.T * s ** eig)
        return KeyedVectors(vocab.itos, W.astype(np.float32))

    knobs = [("default (alpha .75, shift 1, eig .5, uniform, window 5)", {}),
             ("alpha 1 (no smoothing)", {"alpha": 1.0}), ("shift 5", {"shift": 5.0}),
             ("eig 0", {"eig": 0.0}), ("eig 1", {"eig": 1.0}), ("harmonic 1/d", {"weighting": "harmonic"}),
             ("dynamic window", {"dynamic": True}), ("window 2", {"window": 2}),
             ("w + c", {"add_context": True}), ("window 2, eig 0, w + c", {"window": 2, "eig": 0.0, "add_context": True}),
             ("subsample 1e-5", {"subsample": 1e-5})]
    rows = []
    for name, kw in knobs:
        t = time.perf_counter()
        kv = vectors(**kw)
        rows.append({"knobs": name, "seconds": round(time.perf_counter() - t, 1), **evaluate(kv)})
        print(f"  {rows[-1]}", flush=True)
    best = max(rows, key=lambda r: r["ws353"])
    res["knobs"] = {"corpus": "wikimix x1, min_count 5, dim 300", "rows": rows, "best_ws353": best["knobs"],
                    "best_simlex": max(rows, key=lambda r: r["simlex"])["knobs"]}


def part_scale(res: dict, repeat: int) -> None:
    out = run_child("scale", str(repeat), "krylov")
    res["scale"] = {**out, "targets": {"seconds": 120, "peak_rss_mb": 3072},
                    "met": {"seconds": out["seconds"] <= 120, "peak_rss_mb": out["peak_rss_mb"] <= 3072},
                    "load_average_1min_before": round(load_before, 2)}
    print(f"  scale: {out}", flush=True)


def part_dense(res: dict) -> None:
    try:  # one BLAS thread: on this shared 2-core machine a threaded LAPACK SVD was many times slower
        out = run_child("dense", "10000", env={"OPENBLAS_NUM_THREADS": "1"}, timeout=1500)
    except subprocess.TimeoutExpired:
        out = {"vocab": 10000, "timed_out_after_s": 1500}
    V = 78389
    out["dense_matrix_gib_at_78k_words"] = round(V * V * 4 / 2**30, 1)
    res["dense"] = out
    print(f"  dense: {out}", flush=True)


def print_tables(res: dict) -> None:
    from wordlab.cli.common import print_table  # the CLI's table printer

    if "scale" in res:
        s = res["scale"]
        print(f"\n## scale: wikimix x{s['repeat']} ({s['tokens']:,} tokens, {s['words']:,} words), window 5, dim 300")
        st = s.get("stages", {})
        print_table([[s["solver"], s["words"], s["nnz_cooccurrence"], s["nnz_ppmi"]]
                     + [f"{x:.1f}" for x in (st.get("vocab"), st.get("count"), st.get("ppmi"), st.get("svd"),
                                              s["seconds"], s["peak_rss_mb"], s["load_average_1min_before"])]],
                    ["solver", "words", "nnz C", "nnz PPMI", "tokenise s", "count s", "ppmi s", "svd s", "total s",
                     "peak RSS MiB", "load avg"])
    if "solvers" in res:
        print(f"\n## SVD solvers on {res['solvers']['corpus']} ({res['solvers']['words']:,} words)")
        print_table([[r["solver"], r["n_iter"], f"{r['seconds']:.1f}", r["ws353"], r["analogy_3cosadd"]]
                     for r in res["solvers"]["rows"]], ["solver", "n_iter", "seconds", "WS353 rho", "analogy"])
    if "quality" in res:
        q = res["quality"]
        print(f"\n## quality: {q['corpus']} ({q['words']:,} words)")
        print_table([[r["method"], f"{r['seconds']:.1f}", r["ws353"], r["simlex"], r["analogy_3cosadd"], r["analogy_3cosmul"]]
                     for r in q["rows"]], ["method", "seconds", "WS353 rho", "SimLex rho", "3CosAdd", "3CosMul"])
        print(f"WS353 PPMI-SVD minus SGNS: {q['ws353_gap_vs_sgns']:+.4f} (goal: >= -0.02)")
    if "knobs" in res:
        k = res["knobs"]
        print(f"\n## knobs on {k['corpus']}")
        print_table([[r["knobs"], r["ws353"], r["simlex"], r["analogy_3cosadd"], r["analogy_3cosmul"]]
                     for r in k["rows"]], ["knobs", "WS353 rho", "SimLex rho", "3CosAdd", "3CosMul"])
        print(f"best WS353: {k['best_ws353']}; best SimLex: {k['best_simlex']}")
    if "dense" in res:
        d = res["dense"]
        print(f"\n## dense DLfS-2 vs sparse, {d['vocab']:,}-word vocabulary, {d['tokens']:,} tokens (text8-head)")
        if "timed_out_after_s" in d:
            print(f"dense run timed out after {d['timed_out_after_s']} s")
            return
        print_table([["sparse (wordlab.count)"] + [f"{d[k]:.1f}" for k in ("sparse_count_s", "sparse_ppmi_s",
                                                                         "sparse_svd_s", "sparse_peak_rss_mb")],
                     ["dense (DLfS-2)"] + [f"{d[k]:.1f}" for k in ("dense_count_s", "dense_ppmi_s", "dense_svd_s",
                                                                  "dense_peak_rss_mb")]],
                    ["method", "count s", "ppmi s", "svd s", "peak RSS MiB"])
        print(f"dense matrix at 78k words: {d['dense_matrix_gib_at_78k_words']} GiB float32")


load_before = 0.0


def main() -> int:
    global load_before
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", default="scale,solvers,quality,knobs,dense",
                    help="comma-separated parts to run (default: all)")
    ap.add_argument("--repeat", type=int, default=5, help="times wikimix is read for the scale part (default: 5)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        out = child_scale(int(rest[0]), rest[1]) if kind == "scale" else child_dense(int(rest[0]))
        print(json.dumps(out))
        return 0
    missing = [p for p in (WIKIMIX, WS353, SIMLEX, ANALOGY) if not p.exists()]
    if missing:
        print(f"skipped: {missing[0]} not found (set WORDLAB_DATA to the shared data folder)")
        return 0
    res = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    load_before = os.getloadavg()[0]
    for part in args.parts.split(","):
        print(f"# {part}", flush=True)
        if part == "scale":
            part_scale(res, args.repeat)
        elif part == "solvers":
            part_solvers(res)
        elif part == "quality":
            part_quality(res)
        elif part == "knobs":
            part_knobs(res)
        elif part == "dense":
            part_dense(res)
        else:
            raise SystemExit(f"unknown part {part!r}")
        res.setdefault("commands", {})[part] = "python benchmarks/count.py --parts " + part
        res.setdefault("load_average_1min", {})[part] = round(os.getloadavg()[0], 2)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        from wordlab.atomic import atomic_write_text

        # re-read: parts may run in parallel processes; each updates only its own sections
        current = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        for key in (part, "commands", "load_average_1min"):
            if key in ("commands", "load_average_1min"):
                current.setdefault(key, {})[part] = res[key][part]
            else:
                current[key] = res[key]
        res = {**current}
        atomic_write_text(RESULTS, json.dumps(res, indent=2) + "\n")
    print_tables(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
