"""Two processes over gloo on the CPU: word2vec by model averaging matches one process in quality, the ranks
end with identical tables and only rank 0 writes; the counting verbs count their shard and merge exactly."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wordlab import distributed
from wordlab.text import read_corpus
from wordlab.word2vec import Word2Vec, Word2VecConfig

WORKER = Path(__file__).with_name("distributed_w2v_worker.py")
ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"
# skip-gram on 300k words of text8: about a second per run; the processes merge after every job of 10k words
# (every 50k words, the 2 ranks reached only 0.65 x the seed-to-seed overlap below, and +2.2 % loss)
SETTINGS = dict(sg=1, vector_size=32, window=3, negative=3, min_count=5, epochs=3, workers=1, seed=2,
                sync_words=10_000)


def _corpus(path: Path, words: int = 300_000) -> Path:
    with gzip.open(CORPORA / "text8-head.gz", "rt", encoding="utf-8") as f:
        tokens = f.read(8 * words).split()[:words]
    path.write_text("\n".join(" ".join(tokens[i:i + 1000]) for i in range(0, len(tokens), 1000)) + "\n",
                    encoding="utf-8")
    return path


def _run_ranks(job: str, out: Path, world: int = 2, machines: int = 1, worker: Path = WORKER) -> None:
    """``world`` processes of ``worker JOB OUT`` as torchrun starts them on ``machines`` nodes (on this one host:
    the node rank, ``GROUP_RANK``, keeps them apart as separate machines)."""
    port = distributed.free_port()
    procs = []
    per = world // machines
    for r in range(world):
        env = {**os.environ, "RANK": str(r), "LOCAL_RANK": str(r % per), "WORLD_SIZE": str(world),
               "LOCAL_WORLD_SIZE": str(per), "GROUP_RANK": str(r // per), "MASTER_ADDR": "127.0.0.1",
               "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1", "WORDLAB_DIST_TIMEOUT": "60",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        procs.append(subprocess.Popen([sys.executable, str(worker), job, str(out)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]


def _neighbours(W: np.ndarray, rows: np.ndarray, k: int = 10) -> list[set]:
    """The ``k`` nearest rows (cosine) of each of ``rows``, itself left out."""
    U = W / np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-9)
    S = U[rows] @ U.T
    S[np.arange(len(rows)), rows] = -np.inf
    return [set(np.argpartition(-s, k)[:k]) for s in S]


def _overlap(a: list[set], b: list[set]) -> float:
    return float(np.mean([len(x & y) / len(x) for x, y in zip(a, b)]))


# (processes, machines, shared_tables): every process its own copy, merged every 10k words (model averaging);
# 2 processes on one machine sharing one copy (no merge); 2 machines of 2 processes, each machine one copy,
# the machines merged every 10k words of each process
MODES = {"averaging": (2, 1, False), "shared": (2, 1, True), "two-machines": (4, 2, True)}


@pytest.mark.parametrize("mode", list(MODES))
def test_several_processes_reach_one_process_quality_with_identical_tables(tmp_path, mode):
    world, machines, shared = MODES[mode]
    corpus = _corpus(tmp_path / "corpus.txt")
    (tmp_path / "config.json").write_text(json.dumps({**SETTINGS, "shared_tables": shared}))
    _run_ranks("w2v", tmp_path, world, machines)

    # the processes end with the same tables (merged at the end of every epoch, or shared), bit for bit
    t0, *others = (np.load(tmp_path / f"tables.{r}.npz") for r in range(world))
    for t in others:
        assert np.array_equal(t0["W_in"], t["W_in"]) and np.array_equal(t0["W_out"], t["W_out"])
    # only rank 0 wrote the vectors and the model (the checkpoint after each epoch, then the final files)
    calls = [json.loads((tmp_path / f"calls.{r}.json").read_text()) for r in range(world)]
    assert all(c["calls"] == [] for c in calls[1:]) and str(tmp_path / "vectors.npz") in calls[0]["calls"]
    assert calls[0]["calls"].count(str(tmp_path / "model.npz")) == SETTINGS["epochs"] + 1
    saved = Word2Vec.load(tmp_path / "model.npz")
    assert np.array_equal(saved.W_in, t0["W_in"])
    hist = calls[0]["history"]
    jobs = -(-hist[0]["words"] // 10_000)  # jobs of batch_words; each process merges after each of its own
    syncs = 1 if machines == 1 and shared else -(-jobs // world)  # one shared copy: one barrier per epoch
    assert [h["syncs"] for h in hist] == [syncs] * SETTINGS["epochs"]
    assert not list(Path("/dev/shm").glob("wordlab-tables-*")), "a shared-memory file was left behind"

    # one process: the reference (seed 1), and the 2 ranks' settings (seed 2) — how far two good runs differ
    def single(seed: int) -> Word2Vec:
        model = Word2Vec(config=Word2VecConfig(**{**SETTINGS, "seed": seed}), progress=False, cache_dir=False)
        model.build_vocab(read_corpus(corpus))
        model.train()
        return model

    ref, one = single(1), single(2)
    assert saved.vocab.itos == ref.vocab.itos
    rows = np.arange(50, 550)  # frequent content words (the first 50 are mostly function words)
    untrained = Word2Vec(config=Word2VecConfig(**SETTINGS), progress=False, cache_dir=False)
    near = {name: _neighbours(W, rows) for name, W in
            (("ref", ref.W_in), ("one", one.W_in), ("two", t0["W_in"]),
             ("untrained", untrained.build_vocab(read_corpus(corpus)).W_in))}
    noise = _overlap(near["ref"], near["one"])
    two = _overlap(near["ref"], near["two"])
    assert noise > 5 * _overlap(near["ref"], near["untrained"])  # the measure tells trained vectors from random
    # the processes agree with the reference about as well as one process with the same seed does; two
    # machines of two processes each see 20k words of the other machine's updates late (measured 0.214 vs
    # 0.252 once: 0.85 x; 2 processes: 0.230)
    slack = 0.75 if machines > 1 else 0.85
    assert two >= slack * noise, (two, noise)
    print(f"{mode}: overlap {two:.3f} vs {noise:.3f}; loss {hist[-1]['loss']:.4f} vs {one.history[-1]['loss']:.4f}")
    # the training loss of the last epoch (all processes' words) within 3 % of one process's (5 %: two machines)
    assert hist[-1]["loss"] <= (1.05 if machines > 1 else 1.03) * one.history[-1]["loss"], \
        (hist[-1]["loss"], one.history[-1]["loss"])

    # fastText (1 epoch, 5000 buckets): the buckets merged with W_in, the same tables on both ranks, and the
    # loss near one process's (measured +5.6 %: the buckets are shared by many words, so the processes' updates
    # overlap more than word2vec's, +1.3 % after 1 epoch; averaging the buckets instead of summing: +6.6 %)
    from wordlab.fasttext import FastText, FastTextConfig

    f0, *others = (np.load(tmp_path / f"ft.{r}.npz") for r in range(world))
    assert f0["W_in"].shape == (len(ref.vocab) + 5000, SETTINGS["vector_size"])
    for f in others:
        assert np.array_equal(f0["W_in"], f["W_in"]) and np.array_equal(f0["W_out"], f["W_out"])
    ft = FastText(config=FastTextConfig(**{**SETTINGS, "bucket": 5000, "epochs": 1}), progress=False, cache_dir=False)
    ft.build_vocab(read_corpus(corpus))
    ft.train()
    assert float(f0["loss"]) <= 1.08 * ft.history[-1]["loss"], (float(f0["loss"]), ft.history[-1]["loss"])
