"""Benchmark: multi-process training on this machine (gloo over loopback) and the communication cost model.

Sections (``--only lm,allreduce,word2vec,counting``, the default; and ``ptb``):

* ``ptb`` — quality under DDP: the PTB LSTM below trained for ``--ptb-steps`` windows (a fixed token
  budget) from the same seed by 1 process and by 2 processes (each half of the global batch of 20
  streams), test perplexity of each. Dropout masks differ between the two, so the runs are not
  bit-identical (without dropout they are, within 1e-5: ``tests/test_distributed.py``).

* ``lm`` — training tokens/s of the PTB LSTM LM (2×200, BPTT 35, global batch 20, SGD lr 20, clip 0.25,
  dropout 0.2) on the shared loop (``LMTask`` + ``fit``): 1 process × 1 thread, 1 process × 2 threads and
  2 processes × 1 thread (DDP, 10 streams each, the same global batch). Each configuration is a fresh
  process set; they alternate for ``--rounds`` rounds of ``--steps`` windows (after a 3-window warm-up);
  medians are reported. Beside them, the ceiling: two independent single-process runs of 10 streams each at
  the same time (no process group, nothing exchanged), their tokens/s summed: no 2-process run can beat what
  the two cores give two jobs that never talk.
* ``allreduce`` — time of one ``all_reduce`` between 2 processes over loopback (gloo) for tensors the size
  of that LM's gradients and of word2vec tables (2·V·d floats), and the bandwidth it implies.
* ``word2vec`` — single-thread skip-gram words/s on ``--w2v-words`` words of text8 (the per-core speed the
  cost model scales); then skip-gram (d=100, window 5, negative 5, min_count 5, ``--w2v-epochs`` epochs) on
  wikimix: 1 process × 1 thread, 1 process × 2 threads, 2 processes × 1 thread sharing one copy of the
  tables (the default on one machine) and 2 processes × 1 thread with their own copies (as on two machines:
  model averaging, ``--sync-words`` default), training words/s and Google analogy (3CosAdd, restrict 30k);
  and a sweep of ``sync_words`` for own copies (``--sync-sweep``; 0 = once per epoch) against the 1 × 1
  analogy: how often separate machines must merge to stay within 0.5 point.
* ``counting`` — vocabulary + co-occurrence counting (min_count 5, window 5, uniform) of wikimix × 5
  (``--count-copies``, as that many corpus files): 1 process vs 2 processes, each counting its share — whole
  files dealt to the processes, the blocks of the odd one and the chunks of the id stream (co-occurrences)
  taken from work queues as each process asks (``wordlab.distributed.work_queue``) — merged exactly: the
  vocabulary on every process, the matrix on rank 0, which factorises
  it in ``wordlab train ppmi`` (merge time included, and shown apart: rank 0's seconds in the exchanges and
  merges; the id array is encoded once beforehand, outside the timing; so are the imports and loading the
  compiled token counter and word merge from numba's cache, 0.5–0.9 s in every process, reported apart as
  start-up: the clock measures counting, which is what grows with the corpus); ``--rounds`` alternating runs
  each, the one of median total time reported, with each rank's own seconds (exchanges excluded) and peak
  memory; and the ceiling: two 1-process runs at once, ``2 × (seconds alone) / (seconds each)``.

From these, the **cost model** (see the README): a ring all-reduce moves about ``2·S`` bytes per process
for a tensor of ``S`` bytes, so a sync costs ``2·S / bandwidth``; it stays under 10 % of compute when
``2·S / bandwidth ≤ 0.1 · t_compute``. It is evaluated for 10 Gb/s and 100 Gb/s networks. Untested beyond
this one machine (loopback, 2 processes on 2 shared cores): no second machine is available here.

Prints tables and writes ``benchmarks/results/distributed.json``. Data: ``$WORDLAB_DATA`` or ``../shared/data``.

    nice -n 10 python benchmarks/distributed.py [--only lm,allreduce,word2vec,counting] [--steps 30] [--rounds 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("WORDLAB_DATA") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "benchmarks" / "results" / "distributed.json"
GBIT = 1e9 / 8  # bytes per second in one Gb/s


# ------------------------------------------------------------------ workers (one process each)
def worker_lm(steps: int, batch: int = 20, accumulate: int = 1, *, out: Path) -> None:
    """``steps`` training windows of the PTB LSTM (global batch ``batch``; DDP ranks split it), ``accumulate``
    of them per optimizer step."""
    import torch

    from wordlab import distributed
    from wordlab.lm import LMConfig, RNNLanguageModel, load_lm_data
    from wordlab.lm.train import LMTask
    from wordlab.training import TrainConfig, fit

    distributed.init_from_env()
    data = load_lm_data(DATA / "ptb" / "ptb.train.txt", progress=False)
    torch.manual_seed(0)
    model = RNNLanguageModel(LMConfig(vocab_size=len(data.vocab), cell="lstm", layers=2, emb_size=200,
                                      hidden_size=200, dropout=0.2, tie_weights=False))
    cfg = TrainConfig(epochs=1, optimizer="sgd", lr=20.0, clip=0.25, dry_run=3)
    task = LMTask(data.train, None, batch_size=batch, bptt=35, lstm=True)
    fit(model, task, cfg, progress=False)  # warm-up: first-call allocations, DDP set-up
    distributed.barrier()
    t0 = time.perf_counter()
    res = fit(model, task, TrainConfig(epochs=1, optimizer="sgd", lr=20.0, clip=0.25, dry_run=steps,
                                       accumulate=accumulate), progress=False)
    distributed.barrier()
    seconds = time.perf_counter() - t0
    if distributed.is_main():
        tokens = res.steps * batch * 35
        grad_bytes = 4 * sum(p.numel() for p in model.parameters() if p.requires_grad)
        out.write_text(json.dumps({"tok_per_s": tokens / seconds, "seconds": seconds, "steps": res.steps,
                                   "step_seconds": seconds / res.steps, "grad_bytes": grad_bytes}))


def worker_ptb(steps: int, accumulate: int = 1, *, out: Path) -> None:
    """PTB 2x200 LSTM (dropout 0.2, SGD lr 20, clip 0.25, global batch 20, BPTT 35) for ``steps`` windows from
    the same seed (``accumulate`` windows per optimizer step), then test perplexity (rank 0 writes it)."""
    import torch

    from wordlab import distributed
    from wordlab.lm import LMConfig, RNNLanguageModel, load_lm_data
    from wordlab.lm.train import LMTask
    from wordlab.training import TrainConfig, fit

    distributed.init_from_env()
    data = load_lm_data(DATA / "ptb" / "ptb.train.txt", DATA / "ptb" / "ptb.valid.txt", DATA / "ptb" / "ptb.test.txt",
                        progress=False)
    torch.manual_seed(0)
    model = RNNLanguageModel(LMConfig(vocab_size=len(data.vocab), cell="lstm", layers=2, emb_size=200,
                                      hidden_size=200, dropout=0.2, tie_weights=False))
    task = LMTask(data.train, None, batch_size=20, bptt=35, lstm=True)
    t0 = time.perf_counter()
    res = fit(model, task, TrainConfig(epochs=1, optimizer="sgd", lr=20.0, clip=0.25, dry_run=steps,
                                       accumulate=accumulate), progress=False)
    seconds = time.perf_counter() - t0
    test = LMTask(data.train[:20 * 40], data.test, batch_size=20, bptt=35, lstm=True).evaluate(model)
    if distributed.is_main():
        out.write_text(json.dumps({"steps": res.steps, "tokens": res.steps * 20 * 35, "seconds": seconds,
                                   "accumulate": accumulate, "test_ppl": test["valid_ppl"]}))


def worker_allreduce(sizes: list[int], out: Path) -> None:
    import torch
    import torch.distributed as dist

    from wordlab import distributed

    distributed.init_from_env()
    rows = []
    for n in sizes:
        t = torch.ones(n // 4)
        dist.all_reduce(t)  # warm-up
        times = []
        for _ in range(5 if n < 50e6 else 3):
            dist.barrier()
            t0 = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - t0)
        rows.append({"bytes": n, "seconds": statistics.median(times)})
    if distributed.is_main():
        out.write_text(json.dumps(rows))


def worker_word2vec(words: int, out: Path) -> None:
    from wordlab.text import read_corpus
    from wordlab.word2vec import Word2Vec

    text = out.with_suffix(".txt")  # the first `words` words of text8, 1000 words a line
    with gzip.open(DATA / "text8" / "text8-head.gz", "rt", encoding="utf-8") as f:
        tokens = f.read().split()[:words]
    with open(text, "w", encoding="utf-8") as f:
        for i in range(0, len(tokens), 1000):
            f.write(" ".join(tokens[i:i + 1000]) + "\n")
    model = Word2Vec(config=None, progress=False, cache_dir=False, sg=1, epochs=1, workers=1, vector_size=100,
                     window=5, negative=5, min_count=5, seed=1)
    model.build_vocab(read_corpus(text))
    t0 = time.perf_counter()
    summary = model.train()
    seconds = time.perf_counter() - t0
    out.write_text(json.dumps({"words": int(summary["words"]), "seconds": seconds,
                               "words_per_s": summary["words"] / seconds, "vocab": len(model.wv)}))


def worker_w2v_scale(spec: str, out: Path) -> None:
    """One configuration of the wikimix rows (``spec``: JSON with threads, sync_words, epochs, cache)."""
    from wordlab import distributed
    from wordlab.evaluation import evaluate_word_analogies
    from wordlab.text import read_corpus
    from wordlab.word2vec import Word2Vec, Word2VecConfig

    a = json.loads(spec)
    distributed.init_from_env()
    config = Word2VecConfig(sg=1, vector_size=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=a["epochs"],
                            workers=a["threads"], seed=1, sync_words=a["sync_words"],
                            shared_tables=a.get("shared", False))
    model = Word2Vec(config=config, progress=False, cache_dir=a["cache"])
    model.build_vocab(read_corpus(DATA / "wikimix" / "wikimix.txt.gz"))
    summary = model.train()  # words/s over all processes' words, merges included
    if distributed.is_main():
        acc = evaluate_word_analogies(model.wv, DATA / "analogy" / "questions-words.txt", restrict_vocab=30000)[0]
        out.write_text(json.dumps({"words": int(summary["words"]), "seconds": summary["seconds"],
                                   "words_per_s": summary["words_per_second"], "analogy": 100 * float(acc),
                                   "vocab": len(model.vocab), "loss": summary["loss"],
                                   "syncs": sum(h.get("syncs", 0) for h in model.history),
                                   "sync_seconds": sum(h.get("sync_seconds", 0.0) for h in model.history)}))


def worker_counting(spec: str, out: Path) -> None:
    """Vocabulary (each process its files, and its share of the blocks of a shared one) merged on every
    process, then co-occurrences (its range of the id stream) summed on rank 0, as ``train ppmi`` does;
    ``spec``: JSON with the corpus files."""
    from wordlab import distributed
    from wordlab.count.cooccurrence import cooccurrence_merged
    from wordlab.text import encode_corpus, read_corpus
    from wordlab.text.shards import build_vocabulary

    from wordlab.text import shards

    a = json.loads(spec)
    distributed.init_from_env()
    corpus = read_corpus(a["files"])
    merging = {"vocab": 0.0, "cooccurrence": 0.0}  # seconds in the exchanges and merges (waits included)

    def timed(fn, what):
        def run(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                merging[what] += time.perf_counter() - t
        return run

    distributed.gather_objects = timed(distributed.gather_objects, "vocab")
    shards.merge_shards = timed(shards.merge_shards, "vocab")
    distributed.merge_sparse = timed(distributed.merge_sparse, "cooccurrence")
    t = time.perf_counter()  # start-up, as the imports above: the compiled counter loaded (numba's cache)
    from wordlab.text.fastcount import ByteCounter, merge_packed
    warm = ByteCounter()
    warm.add(b"warm up\n")
    warm.words_and_counts()
    merge_packed([warm.packed()])
    startup = time.perf_counter() - t
    distributed.barrier()
    t0 = time.perf_counter()
    vocab = build_vocabulary(corpus, min_count=5)
    t1 = time.perf_counter()
    ids = encode_corpus(corpus, vocab, cache_dir=a["cache"])  # from the cache made before the timing
    t2 = time.perf_counter()
    C = cooccurrence_merged(ids, len(vocab), 5, root=0)  # None on the other ranks
    distributed.barrier()
    t3 = time.perf_counter()
    import resource

    own = {"vocab_own_seconds": t1 - t0 - merging["vocab"],
           "cooccurrence_own_seconds": t3 - t2 - merging["cooccurrence"],
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    per_rank = distributed.gather_objects(own)  # each rank's seconds outside the exchanges: the balance
    if distributed.is_main():
        out.write_text(json.dumps({"tokens": vocab.total_words, "words": len(vocab), "nnz": int(C.nnz),
                                   "per_rank": per_rank,
                                   "vocab_seconds": t1 - t0, "cooccurrence_seconds": t3 - t2,
                                   "seconds": (t1 - t0) + (t3 - t2), "sum": float(C.sum()),
                                   "vocab_merge_seconds": merging["vocab"],
                                   "cooccurrence_merge_seconds": merging["cooccurrence"],
                                   "kernel_load_seconds": startup,
                                   "fingerprint": vocab.fingerprint()}))


WORKERS = {"ptb": worker_ptb, "lm": worker_lm, "allreduce": worker_allreduce, "word2vec": worker_word2vec, "w2v_scale": worker_w2v_scale,
           "counting": worker_counting}


# ------------------------------------------------------------------ launching
def launch(job: str, args: list[str], world: int, threads: int, out: Path, timeout: float = 900) -> dict:
    from wordlab.distributed import free_port

    port = free_port()
    procs = []
    for r in range(world):
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
               "NUMBA_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
        if world > 1:
            env.update(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                       MASTER_PORT=str(port))
        procs.append(subprocess.Popen([sys.executable, __file__, "--worker", job, "--out", str(out), *args],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        _, err = p.communicate(timeout=timeout)
        if p.returncode:
            raise SystemExit(f"{job} worker failed:\n{err[-2000:]}")
    return json.loads(out.read_text())


def launch_apart(job: str, args: list[str], copies: int, threads: int, tmp: Path, timeout: float = 900) -> list[dict]:
    """``copies`` independent single-process runs at once (no process group): what the cores give two jobs that
    never communicate, the ceiling of any multi-process speed-up on this machine."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "NUMBA_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
    for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    outs = [tmp / f"{job}.apart{i}.json" for i in range(copies)]
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", job, "--out", str(o), *args], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for o in outs]
    for p in procs:
        _, err = p.communicate(timeout=timeout)
        if p.returncode:
            raise SystemExit(f"{job} worker failed:\n{err[-2000:]}")
    return [json.loads(o.read_text()) for o in outs]


def table(rows: list[list], headers: list[str]) -> None:
    from wordlab.cli.common import print_table

    print_table([[f"{c:,.2f}" if isinstance(c, float) else c for c in r] for r in rows], headers)


def section_lm(a, tmp: Path, res: dict) -> None:
    configs = {"1 process x 1 thread": (1, 1, 1), "1 process x 2 threads": (1, 2, 1),
               "2 processes x 1 thread": (2, 1, 1), "1 process x 1 thread, --accumulate 4": (1, 1, 4),
               "2 processes x 1 thread, --accumulate 4": (2, 1, 4)}
    runs: dict[str, list[dict]] = {k: [] for k in configs}
    names = list(configs)
    apart = "2 independent processes x 1 thread, batch 10 each (no DDP: the ceiling)"
    runs[apart] = []
    for r in range(a.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            world, threads, accumulate = configs[name]
            runs[name].append(launch("lm", [str(a.steps), "20", str(accumulate)], world, threads, tmp / "lm.json"))
        both = launch_apart("lm", [str(a.steps), "10"], 2, 1, tmp)
        runs[apart].append({"tok_per_s": sum(x["tok_per_s"] for x in both), "each": both})
        print(f"  round {r + 1}: " + ", ".join(f"{n} {runs[n][-1]['tok_per_s']:,.0f} tok/s" for n in runs),
              flush=True)
    names.append(apart)
    med = {n: statistics.median(x["tok_per_s"] for x in v) for n, v in runs.items()}
    base = med[names[0]]
    table([[n, med[n], med[n] / base] for n in names], ["LM training (PTB 2x200 LSTM, batch 20)", "tok/s", "vs 1x1"])
    res["lm"] = {"runs": runs, "median_tok_per_s": med, "speedup_vs_1x1": {n: med[n] / base for n in names},
                 "grad_bytes": runs[names[0]][0]["grad_bytes"],
                 "step_seconds_1x1": statistics.median(x["step_seconds"] for x in runs[names[0]])}


def section_ptb(a, tmp: Path, res: dict) -> None:
    """PTB test perplexity after the same token budget: 1 process vs 2 processes (DDP, same global batch)."""
    args = [str(a.ptb_steps), str(a.ptb_accumulate)]
    runs = {name: launch("ptb", args, world, 1, tmp / "ptb.json", timeout=3600)
            for name, world in (("1 process x 1 thread", 1), ("2 processes x 1 thread", 2))}
    one = runs["1 process x 1 thread"]["test_ppl"]
    table([[n, r["tokens"], r["seconds"], r["test_ppl"], 100 * (r["test_ppl"] / one - 1)] for n, r in runs.items()],
          [f"PTB 2x200 LSTM, {a.ptb_steps} steps of 20 x 35, --accumulate {a.ptb_accumulate}", "tokens", "seconds",
           "test ppl", "vs 1 process %"])
    res["ptb" if a.ptb_accumulate == 1 else f"ptb_accumulate_{a.ptb_accumulate}"] = {
        "runs": runs, "steps": a.ptb_steps, "accumulate": a.ptb_accumulate,
        "difference_percent": 100 * (runs["2 processes x 1 thread"]["test_ppl"] / one - 1)}


def section_allreduce(a, tmp: Path, res: dict) -> None:
    grad = res.get("lm", {}).get("grad_bytes", 4 * 4_651_600)
    sizes = {"LM gradients (2x200 LSTM, 10k words)": grad, "word2vec 30k x 100 (W_in + W_out)": 2 * 30_000 * 100 * 4,
             "word2vec 100k x 300 (W_in + W_out)": 2 * 100_000 * 300 * 4}
    rows = launch("allreduce", ["--sizes", ",".join(str(s) for s in sizes.values())], 2, 1, tmp / "ar.json")
    out = []
    for (name, n), row in zip(sizes.items(), rows):
        out.append({"tensor": name, "bytes": n, "seconds": row["seconds"], "GB_per_s": n / row["seconds"] / 1e9})
    table([[o["tensor"], o["bytes"] / 2**20, 1000 * o["seconds"], o["GB_per_s"]] for o in out],
          ["all_reduce, 2 processes, gloo loopback", "MiB", "ms", "GB/s (bytes / time)"])
    res["allreduce"] = out


def section_word2vec(a, tmp: Path, res: dict) -> None:
    w = launch("word2vec", [str(a.w2v_words)], 1, 1, tmp / "w2v.json")
    table([["skip-gram, 1 thread, text8 head", w["words"], w["seconds"], w["words_per_s"]]],
          ["word2vec", "words", "seconds", "words/s"])
    res["word2vec"] = w
    section_w2v_scaling(a, tmp, res)


def section_w2v_scaling(a, tmp: Path, res: dict) -> None:
    """wikimix skip-gram: 1x1, 1x2, 2x1 (words/s, analogy) and the sync_words sweep on 2 processes."""
    if not (DATA / "wikimix" / "wikimix.txt.gz").exists():
        print(f"skipped the wikimix rows: no {DATA / 'wikimix' / 'wikimix.txt.gz'}")
        return
    from wordlab.word2vec import Word2VecConfig

    default_sync = Word2VecConfig().sync_words
    cache = str(tmp / "w2v-cache")  # the id array is read once, then loaded by every run
    runs = {}

    def run(name: str, world: int, threads: int, sync_words: int, shared: bool = False) -> dict:
        spec = json.dumps({"threads": threads, "sync_words": sync_words, "epochs": a.w2v_epochs, "cache": cache,
                           "shared": shared})
        runs[name] = r = {**launch("w2v_scale", [spec], world, threads, tmp / "w2v-scale.json"),
                          "processes": world, "threads": threads, "shared_tables": shared and world > 1,
                          "sync_words": sync_words if world > 1 and not shared else None}
        print(f"  {name}: {r['words_per_s']:,.0f} words/s, analogy {r['analogy']:.2f} %", flush=True)
        return r

    base = run("1 process x 1 thread", 1, 1, default_sync)
    run("1 process x 2 threads", 1, 2, default_sync)
    run("2 processes x 1 thread, one machine (shared tables)", 2, 1, default_sync, shared=True)
    # each process its own copy, as two machines would run: model averaging every sync_words words
    run(f"2 processes x 1 thread, own copies (sync {default_sync:,})", 2, 1, default_sync)
    for sync in (int(x) for x in a.sync_sweep.split(",") if x.strip()):
        if sync != default_sync:
            run(f"2 processes x 1 thread, own copies (sync {sync:,})", 2, 1, sync)
    rows = [[n, r["words_per_s"], r["words_per_s"] / base["words_per_s"], r["analogy"],
             r["analogy"] - base["analogy"], r["syncs"], r["sync_seconds"]] for n, r in runs.items()]
    table(rows, [f"skip-gram wikimix, {a.w2v_epochs} epoch(s)", "words/s", "vs 1x1", "analogy %", "vs 1x1 (points)",
                 "merges", "merge s (rank 0)"])
    ok = [r["sync_words"] for r in runs.values() if r["sync_words"] is not None
          and abs(r["analogy"] - base["analogy"]) <= 0.5]
    print(f"  sync_words keeping analogy within 0.5 point of 1x1: {sorted(ok) or 'none measured'}")
    res["word2vec_scaling"] = {"runs": runs, "epochs": a.w2v_epochs, "default_sync_words": default_sync,
                               "sync_words_within_half_point": sorted(ok)}


def section_counting(a, tmp: Path, res: dict) -> None:
    """Vocabulary + co-occurrence counting of wikimix x N: 1 process vs 2 (each its share, merged exactly)."""
    src = DATA / "wikimix" / "wikimix.txt.gz"
    if not src.exists():
        print(f"skipped counting: no {src}")
        return
    files = [str(src)] * a.count_copies  # the same file N times: the corpus read N times over
    spec = json.dumps({"files": files, "cache": str(tmp / "count-cache")})
    from wordlab.text import Vocabulary, encode_corpus, read_corpus

    corpus = read_corpus(files)  # the id array cached once, outside the timing (both runs load it)
    encode_corpus(corpus, Vocabulary.build(corpus, min_count=5), cache_dir=tmp / "count-cache")
    configs = (("1 process", 1), ("2 processes", 2))
    every: dict[str, list[dict]] = {name: [] for name, _ in configs}
    apart: list[float] = []  # two 1-process runs at once: each one's seconds
    for r in range(a.rounds):  # alternating which goes first; the run of median total time is reported
        for name, world in (configs if r % 2 == 0 else configs[::-1]):
            every[name].append(launch("counting", [spec], world, 1, tmp / "count.json"))
        apart.extend(x["seconds"] for x in launch_apart("counting", [spec], 2, 1, tmp))
    runs = {name: sorted(v, key=lambda x: x["seconds"])[len(v) // 2] for name, v in every.items()}
    one, two = runs["1 process"], runs["2 processes"]
    ceiling = 2 * one["seconds"] / statistics.median(apart)  # the work of two runs in the time of one of them
    exact = all(x["fingerprint"] == one["fingerprint"] and x["nnz"] == one["nnz"] and x["sum"] == one["sum"]
                for v in every.values() for x in v)
    table([[n, r["tokens"], r["vocab_seconds"], r["vocab_merge_seconds"], r["cooccurrence_seconds"],
            r["cooccurrence_merge_seconds"], r["seconds"], one["seconds"] / r["seconds"]] for n, r in runs.items()],
          [f"counting wikimix x {a.count_copies} (min_count 5, window 5), median of {a.rounds}", "tokens",
           "vocabulary s", "of which merge", "co-occurrence s", "of which merge", "total s", "speed-up"])
    print("  merge: rank 0's seconds in the exchanges and merges, waiting for the other rank included")
    print(f"  start-up before the clock in every process: loading the compiled counter "
          f"{one['kernel_load_seconds']:.2f} s (1 process), {two['kernel_load_seconds']:.2f} s (2 processes)")
    print(f"  merged counts identical to one process's: {exact}")
    print(f"  ceiling: two 1-process runs at once take {statistics.median(apart):.2f} s each (median) against "
          f"{one['seconds']:.2f} s alone: the two cores give at most {ceiling:.2f}x")
    res["counting"] = {"runs": runs, "all_runs": every, "copies": a.count_copies, "identical": exact,
                       "speedup": one["seconds"] / two["seconds"], "apart_seconds": apart, "ceiling": ceiling,
                       "load_average": os.getloadavg()}


def cost_model(res: dict) -> None:
    """The numbers of the README's cost model, from the measured step time and per-core speed."""
    model = {}
    lm = res.get("lm")
    if lm:
        t, s = lm["step_seconds_1x1"], lm["grad_bytes"]
        for gbit in (10, 100):
            bw = gbit * GBIT
            model[f"lm_comm_fraction_{gbit}gbit"] = 2 * s / bw / t
            model[f"lm_max_grad_bytes_10pct_{gbit}gbit"] = 0.1 * t * bw / 2
    w = res.get("word2vec")
    if w:
        r = w["words_per_s"]
        for gbit in (10, 100):
            bw = gbit * GBIT
            for sync_words in (100_000, 1_000_000, 10_000_000):
                # 2 tables of V·d float32 per sync, moved twice by a ring: 2·(2·V·d·4) / bw ≤ 0.1 · sync_words / r
                model[f"w2v_max_Vd_{gbit}gbit_sync{sync_words}"] = 0.1 * sync_words / r * bw / 16
        model["w2v_cores_for_10G_words_in_1h"] = 10e9 / 3600 / r
    res["cost_model"] = model
    if model:
        table([[k, v] for k, v in model.items()], ["cost model quantity", "value"])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="lm,allreduce,word2vec,counting")
    p.add_argument("--steps", type=int, default=30, help="LM training windows per measured run")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--ptb-steps", type=int, default=600, help="ptb: training windows (of 20 x 35 tokens) per run")
    p.add_argument("--ptb-accumulate", type=int, default=1, help="ptb: windows per optimizer step (--accumulate)")
    p.add_argument("--w2v-words", type=int, default=2_000_000)
    p.add_argument("--w2v-epochs", type=int, default=2, help="epochs of the wikimix skip-gram rows")
    p.add_argument("--sync-sweep", default="0,1000000,250000,10000",
                   help="sync_words values for 2 processes beside the default (comma-separated; 0 = once per epoch)")
    p.add_argument("--count-copies", type=int, default=5, help="wikimix read this many times over for counting")
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--sizes", help=argparse.SUPPRESS)
    p.add_argument("job_args", nargs="*", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        out = Path(a.out)
        if a.worker == "allreduce":
            worker_allreduce([int(s) for s in a.sizes.split(",")], out)
        elif a.worker in ("w2v_scale", "counting"):
            WORKERS[a.worker](a.job_args[0], out)
        else:
            WORKERS[a.worker](*(int(x) for x in a.job_args), out=out)
        return 0
    if {"lm", "ptb"} & set(a.only.split(",")) and not (DATA / "ptb" / "ptb.train.txt").exists():
        print(f"skipped: no PTB data under {DATA}")
        return 0
    import tempfile

    res: dict = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}  # sections not rerun are kept
    res.update({"load_average_before": os.getloadavg(), "cores": os.cpu_count()})
    with tempfile.TemporaryDirectory() as d:
        for section in a.only.split(","):
            {"ptb": section_ptb, "lm": section_lm, "allreduce": section_allreduce, "word2vec": section_word2vec,
             "counting": section_counting}[section](a, Path(d), res)
    res["load_average_after"] = os.getloadavg()
    cost_model(res)
    from wordlab.atomic import atomic_write_text

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(res, indent=1))
    print(f"\nload average before/after: {res['load_average_before'][0]:.1f} / {res['load_average_after'][0]:.1f}"
          f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
