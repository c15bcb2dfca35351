"""One rank of the 2-process tests in test_distributed.py (run as a script with torchrun's environment).

usage: distributed_worker.py JOB DIR   JOB: lm (three fits: full, cut by the budget, resume of DIR/c.pt) | die
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse
import torch

sys.path.insert(0, os.path.dirname(__file__))

from wordlab import distributed, loop  # noqa: E402
from wordlab.lm import LMTask  # noqa: E402
from wordlab.training import TrainConfig, fit  # noqa: E402
from lm_fixtures import IDS, LINES, VALID, Shuffled, cooccurrence, lm_config, lm_model, shuffled_model  # noqa: E402


def lm(out: Path) -> None:
    calls = []
    real_save, real_text = loop.save_checkpoint, loop.atomic_write_text
    loop.save_checkpoint = lambda path, **kw: (calls.append(str(path)), real_save(path, **kw))[1]
    loop.atomic_write_text = lambda path, text, **kw: (calls.append(str(path)), real_text(path, text, **kw))[1]

    def run(name, cfg, resume=False):
        model = lm_model()
        task = LMTask(IDS, VALID, batch_size=4, bptt=5, eval_batch_size=3, lstm=True)
        res = fit(model, task, cfg, out=out / name, kind="lm", model_config=model.config, resume=resume,
                  progress=False)
        if distributed.is_main():
            torch.save(model.state_dict(), out / f"{name}.weights")
            (out / f"{name}.history").write_text(json.dumps(res.history))

    cfg = lm_config()
    run("a.pt", cfg)
    run("b.pt", replace(cfg, max_minutes=1e-9))
    run("c.pt", cfg, resume=True)
    model = shuffled_model()  # batches of 8 dealt to 2 ranks: the single-process run with batches of 16
    fit(model, Shuffled(8), TrainConfig(epochs=3, lr=0.01, monitor="valid_loss", seed=1), progress=False)
    if distributed.is_main():
        torch.save(model.state_dict(), out / "shuffled.weights")
    model = shuffled_model()  # and 2 batches of 8 accumulated per rank: one process's batches of 32
    fit(model, Shuffled(8), TrainConfig(epochs=3, lr=0.01, monitor="valid_loss", seed=1, accumulate=2), progress=False)
    if distributed.is_main():
        torch.save(model.state_dict(), out / "accumulated.weights")
    (out / f"calls.{distributed.rank()}.json").write_text(json.dumps(calls))
    # rank 0's number (the --anneal-minutes fraction) and decision on every rank
    got = [distributed.broadcast_number(0.25 + distributed.rank()), distributed.agree(distributed.rank() == 0)]
    (out / f"broadcast.{distributed.rank()}.json").write_text(json.dumps(got))
    # counting: each rank its share of the lines, merged exactly
    lines = LINES.splitlines()
    counts = distributed.merge_counts(Counter(w for line in distributed.shard_items(lines) for w in line.split()))
    pairs = distributed.merge_sparse(cooccurrence(list(distributed.shard_items(lines))))
    if distributed.is_main():
        (out / "counts.json").write_text(json.dumps(list(counts.items())))
        scipy.sparse.save_npz(out / "pairs.npz", pairs)


def die(out: Path) -> None:
    class Dies(LMTask):
        def train_step(self, model, batch):
            if distributed.rank() == 1 and self.steps == 3:
                (out / "killed_at").write_text(repr(time.time()))
                os.kill(os.getpid(), signal.SIGKILL)
            self.steps += 1
            return super().train_step(model, batch)

    task = Dies(np.tile(IDS, 20), None, batch_size=4, bptt=5, lstm=True)
    task.steps = 0
    try:
        with distributed.translate_errors():
            fit(lm_model(), task, replace(lm_config(), epochs=50), progress=False)
    except distributed.RankLost as e:
        print(f"wordlab: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    torch.set_num_threads(1)
    distributed.init_from_env()
    {"lm": lm, "die": die}[sys.argv[1]](Path(sys.argv[2]))
