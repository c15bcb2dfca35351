"""Two processes over gloo on the CPU: DDP LM training equals one process, only rank 0 writes, resume on
another number of processes, a killed rank ends the job; plus the single-process no-ops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import scipy.sparse
import torch

from wordlab import distributed
from wordlab.errors import ConfigError
from wordlab.lm import LMTask
from wordlab.training import TrainConfig, fit

sys.path.insert(0, os.path.dirname(__file__))
from lm_fixtures import IDS, LINES, VALID, Shuffled, cooccurrence, lm_config, lm_model, shuffled_model  # noqa: E402

WORKER = Path(__file__).with_name("distributed_worker.py")


def _launch(job: str, out: Path, world: int = 2, timeout: float = 120) -> list[subprocess.Popen]:
    port = distributed.free_port()
    procs = []
    for r in range(world):
        env = {**os.environ, "RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": str(world),
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1",
               "WORDLAB_DIST_TIMEOUT": "20"}
        procs.append(subprocess.Popen([sys.executable, str(WORKER), job, str(out)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return procs


def _single(name: str, out: Path, cfg, resume: bool = False):
    model = lm_model()
    task = LMTask(IDS, VALID, batch_size=4, bptt=5, eval_batch_size=3, lstm=True)
    res = fit(model, task, cfg, out=out / name, kind="lm", model_config=model.config, resume=resume, progress=False)
    return model.state_dict(), res.history


def _close(a: dict, b: dict, tol: float = 1e-5) -> float:
    worst = max((a[k] - b[k]).abs().max().item() for k in a)
    assert worst < tol, worst
    return worst


def test_single_process_helpers_are_no_ops(monkeypatch):
    assert distributed.world_size() == 1 and distributed.is_main() and not distributed.is_distributed()
    assert list(distributed.work_queue(3)) == [0, 1, 2] and next(distributed.work_queue()) == 0
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert distributed.local_world_size() == 1
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert distributed.local_world_size() == 4
    assert distributed.agree(True) and distributed.all_sum([1.5, 2]) == [1.5, 2.0]
    assert distributed.broadcast_number(2) == 2.0
    assert distributed.broadcast_object({"a": 1}) == {"a": 1} and distributed.gather_objects(3) == [3]
    t = torch.arange(6).view(2, 3)
    assert distributed.gather_along(t, 1) is t and distributed.split_along(t, 0) is t
    assert [distributed.shard_range(10, r, 3) for r in range(3)] == [(0, 4), (4, 7), (7, 10)]
    nested = [t, (t, None)]
    assert distributed.split_along(nested, 1) is nested

    class Task:
        def train_step(self, model, batch):
            return model(batch).sum(), 1

    assert distributed.wrap_step(torch.nn.Linear(2, 1), Task())(torch.ones(3, 2))[1] == 1
    assert list(distributed.shard_items("abc")) == ["a", "b", "c"]
    assert distributed.merge_counts({"b": 1, "a": 1, "c": 5}) == {"c": 5, "a": 1, "b": 1}
    assert list(distributed.merge_counts({"b": 1, "a": 1, "c": 5})) == ["c", "a", "b"]
    import numpy as np

    sp = scipy.sparse
    s = sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0], [4.0, 0.0, 0.5]]))
    both = distributed.merge_sparse(s, dtype=np.float32, symmetric=True)
    assert both.dtype == np.float32 and both.has_canonical_format
    assert np.array_equal(both.toarray(), (s + s.T).toarray())
    with pytest.raises(ConfigError, match="square"):
        distributed.merge_sparse(sp.csr_matrix(np.ones((2, 3))), symmetric=True)


def test_two_ranks_equal_one_process_only_rank_0_writes_and_resume_across_world_sizes(tmp_path):
    cfg = lm_config()
    # single-process: the reference, and a run cut after one step that the 2 ranks resume (1 → 2)
    ref, ref_hist = _single("ref.pt", tmp_path, cfg)
    _single("c.pt", tmp_path, replace(cfg, max_minutes=1e-9))
    procs = _launch("lm", tmp_path)
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]

    # N ranks × B/N streams = the single-process batch B: same weights, same validation (dropout 0, fp32)
    _close(ref, torch.load(tmp_path / "a.pt.weights"))
    hist = json.loads((tmp_path / "a.pt.history").read_text())
    assert [r["valid_loss"] for r in hist] == pytest.approx([r["valid_loss"] for r in ref_hist], abs=1e-5)
    assert [r["train_loss"] for r in hist] == pytest.approx([r["train_loss"] for r in ref_hist], abs=1e-5)
    # only rank 0 wrote (checkpoints and history)
    calls = [json.loads((tmp_path / f"calls.{r}.json").read_text()) for r in range(2)]
    assert [json.loads((tmp_path / f"broadcast.{r}.json").read_text()) for r in range(2)] == [[0.25, True]] * 2
    assert calls[1] == [] and any(c.endswith("a.resume.pt") for c in calls[0]) \
        and any(c.endswith("a.history.json") for c in calls[0])
    # 1 → 2: the single-process cut, finished by 2 ranks
    _close(ref, torch.load(tmp_path / "c.pt.weights"))
    # 2 → 1: the 2 ranks' cut (mid-epoch: the hidden state of 4 streams gathered), finished by one process
    p = torch.load(tmp_path / "b.resume.pt", weights_only=True)["progress"]
    assert p["step"] == 1 and p["world_size"] == 2 and p["task"]["hidden"][0][0].shape == (1, 4, 16)
    resumed, _ = _single("b.pt", tmp_path, cfg, resume=True)
    _close(ref, resumed)
    # counting on 2 ranks (alternate lines) merged: exactly the single-process counts and co-occurrences
    words = [w for line in LINES.splitlines() for w in line.split()]
    assert dict(json.loads((tmp_path / "counts.json").read_text())) == Counter(words)
    assert (scipy.sparse.load_npz(tmp_path / "pairs.npz") != cooccurrence(LINES.splitlines())).nnz == 0
    # a task without shards: 2 ranks take alternate batches of 8 = one process with batches of 16
    model = shuffled_model()
    fit(model, Shuffled(16), TrainConfig(epochs=3, lr=0.01, monitor="valid_loss", seed=1), progress=False)
    _close(model.state_dict(), torch.load(tmp_path / "shuffled.weights"))
    # --accumulate 2 on 2 ranks (gradients exchanged once per optimizer step) = one process, batches of 32
    model = shuffled_model()
    fit(model, Shuffled(32), TrainConfig(epochs=3, lr=0.01, monitor="valid_loss", seed=1), progress=False)
    _close(model.state_dict(), torch.load(tmp_path / "accumulated.weights"))


def test_a_killed_rank_ends_the_job_with_one_line(tmp_path):
    procs = _launch("die", tmp_path)
    err = procs[0].communicate(timeout=300)[1].strip()
    ended = time.time()
    procs[1].communicate(timeout=60)
    assert procs[1].returncode == -9
    assert procs[0].returncode == 1 and err.count("\n") == 0 and "lost the other processes" in err, err[-2000:]
    # rank 0 stops once gloo sees the closed connection, at the latest after the 20 s timeout set here
    assert ended - float((tmp_path / "killed_at").read_text()) < 30


def test_nproc_refuses_a_bad_count(capsys):
    from wordlab.cli import main

    assert main(["--nproc", "0", "lm", "train", "--train", "x.txt", "-o", "m.pt"]) == 1
    assert "--nproc must be >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_nproc_2_trains_a_language_model_from_the_command_line(tmp_path):
    """`wordlab --nproc 2 lm train …` (torchrun's agent, 2 local processes): one JSON result, one model."""
    from test_lm_cli import _sentences

    for name, n in (("train", 300), ("valid", 40)):
        (tmp_path / f"{name}.txt").write_text(_sentences(n, len(name)), encoding="utf-8")
    args = ["-q", "lm", "train", "--train", "train.txt", "--valid", "valid.txt", "--layers", "1", "--dim", "16",
            "--hidden", "16", "--bptt", "8", "--batch-size", "4", "--epochs", "1", "--device", "cpu", "--json",
            "-o", "m.pt", "--nproc", "2"]
    done = subprocess.run([sys.executable, "-m", "wordlab", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count('"summary"') == 1 and json.loads(done.stdout)["summary"]["stopped"] == "completed"
    assert (tmp_path / "m.pt").exists() and (tmp_path / "m.resume.pt").exists()


def test_nproc_2_counts_a_vocabulary_through_torchruns_store(tmp_path):
    """`wordlab --nproc 2 vocab …`: under torchrun's agent the work queues use the agent's store; the blocks of
    the one shared file are dealt through it and the vocabulary is exactly the single-process one."""
    import gzip

    from wordlab.cli import main

    words = [f"w{i % 997}" for i in range(40_000)] + [f"x{i % 13}" for i in range(9_000)]
    with gzip.open(tmp_path / "c.txt.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(" ".join(words[i:i + 50]) for i in range(0, len(words), 50)) + "\n")
    done = subprocess.run([sys.executable, "-m", "wordlab", "-q", "--nproc", "2", "vocab", "c.txt.gz", "--min-count",
                           "2", "-o", "v2.json"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert main(["-q", "vocab", str(tmp_path / "c.txt.gz"), "--min-count", "2", "-o", str(tmp_path / "v1.json")]) == 0
    assert (tmp_path / "v2.json").read_text() == (tmp_path / "v1.json").read_text()
