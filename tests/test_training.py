"""The shared training loop: learning, schedules, best checkpoint, exact resume, time budget."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from wordlab.checkpoint import load_checkpoint
from wordlab.errors import ConfigError
from wordlab.training import TrainConfig, fit, history_path, resume_path


class Regression:
    """y = X w* + noise, mini-batches shuffled by a generator seeded with the epoch."""

    unit = "ex"
    perplexity = False

    def __init__(self, n=256, d=8, batch=16, seed=0):
        g = np.random.default_rng(seed)
        self.X = torch.tensor(g.normal(size=(n, d)), dtype=torch.float32)
        self.w = torch.tensor(g.normal(size=(d, 1)), dtype=torch.float32)
        self.y = self.X @ self.w + 0.01 * torch.tensor(g.normal(size=(n, 1)), dtype=torch.float32)
        self.batch = batch
        self.seen = 0

    def num_batches(self, epoch):
        return len(self.X) // self.batch

    def batches(self, epoch, start=0):
        order = np.random.default_rng(1000 + epoch).permutation(len(self.X))
        for i in range(start, self.num_batches(epoch)):
            idx = torch.from_numpy(order[i * self.batch:(i + 1) * self.batch])
            yield self.X[idx], self.y[idx]

    def train_step(self, model, batch):
        x, y = batch
        self.seen += 1
        return nn.functional.mse_loss(model(x), y), len(x)

    def evaluate(self, model):
        return {"valid_loss": nn.functional.mse_loss(model(self.X), self.y).item()}

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.Dropout(0.1), nn.Linear(16, 1))


def test_fit_learns_and_writes_best_checkpoint(tmp_path):
    task, model = Regression(), _model()
    before = task.evaluate(model)["valid_loss"]
    out = tmp_path / "m.pt"
    res = fit(model, task, TrainConfig(epochs=5, lr=0.01, clip=1.0, monitor="valid_loss"), out=out,
              kind="test", model_config={"d": 8})
    assert res.history[-1]["valid_loss"] < 0.1 * before
    assert res.best == min(r["valid_loss"] for r in res.history)
    ck = load_checkpoint(out, kind="test")
    assert ck["config"] == {"d": 8} and ck["progress"]["epoch"] == res.best_epoch
    assert len(json.loads(history_path(out).read_text())) == 5


def test_resume_after_interruption_equals_uninterrupted(tmp_path):
    cfg = TrainConfig(epochs=3, lr=0.01, optimizer="adam", schedule="cosine", checkpoint_every=5, seed=3)
    full = _model()
    fit(full, Regression(), cfg, out=tmp_path / "a.pt")

    class Killed(Exception):
        pass

    class Dies(Regression):
        def train_step(self, model, batch):
            if self.seen == 23:  # mid-epoch 2, after the snapshot at step 20
                raise Killed
            return super().train_step(model, batch)

    part = _model()
    with pytest.raises(Killed):
        fit(part, Dies(), cfg, out=tmp_path / "b.pt")
    assert resume_path(tmp_path / "b.pt").exists()
    resumed = _model()
    fit(resumed, Regression(), cfg, out=tmp_path / "b.pt", resume=True)
    for (k, a), b in zip(full.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_plateau_divides_lr_and_early_stop():
    class Flat(Regression):
        def evaluate(self, model):
            return {"valid_loss": 1.0}

    res = fit(_model(), Flat(), TrainConfig(epochs=6, lr=0.1, optimizer="sgd", schedule="plateau", lr_decay=4,
                                            monitor="valid_loss", early_stop=3))
    assert res.stopped == "early_stop" and len(res.history) == 4
    # the row gives the rate used during that epoch; each epoch without improvement divides it by 4
    assert [r["lr"] for r in res.history] == pytest.approx([0.1, 0.1, 0.1 / 4, 0.1 / 16])


def test_dry_run_and_bad_config():
    res = fit(_model(), Regression(), TrainConfig(epochs=5, dry_run=2))
    assert res.stopped == "dry_run" and res.steps == 2
    with pytest.raises(ConfigError, match="optimizer"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ConfigError, match="monitor"):
        fit(_model(), Regression(), TrainConfig(epochs=1, monitor="bleu"))


def test_bf16_precision_autocasts_the_training_forward_only():
    """precision="bf16": the training forward runs in bfloat16, weights and evaluation stay float32."""
    seen = []

    class Recording(Regression):
        def train_step(self, model, batch):
            x, y = batch
            out = model(x)
            seen.append(out.dtype)
            return nn.functional.mse_loss(out.float(), y), len(x)

        def evaluate(self, model):
            out = model(self.X)
            seen.append(("eval", out.dtype))
            return {"valid_loss": nn.functional.mse_loss(out, self.y).item()}

    task, model = Recording(), _model()
    before = Regression.evaluate(task, model)["valid_loss"]
    res = fit(model, task, TrainConfig(epochs=4, lr=0.01, monitor="valid_loss", precision="bf16"))
    assert seen[0] == torch.bfloat16 and ("eval", torch.float32) in seen
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert res.history[-1]["valid_loss"] < 0.1 * before
    with pytest.raises(ConfigError, match="precision"):
        TrainConfig(precision="fp16")
