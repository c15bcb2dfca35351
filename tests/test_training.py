"""The shared training loop: learning, schedules, best checkpoint, exact resume, time budget."""

from __future__ import annotations

import json
from dataclasses import replace

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


class FakeClock:
    """The budget's clock, advanced by the task: 1 s per training step, 3 s per evaluation."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _timed_task(clock, n=160):
    class Timed(Regression):
        def train_step(self, model, batch):
            clock.now += 1.0
            return super().train_step(model, batch)

        def evaluate(self, model):
            clock.now += 3.0
            return super().evaluate(model)

    return Timed(n=n)  # 10 batches of 16 per epoch


def test_max_minutes_bounds_each_invocation_including_evaluation(tmp_path, monkeypatch):
    """The budget covers steps and evaluations of this call only: a resumed run trains again (it used to stop
    at once, its earlier invocations having spent the budget)."""
    import wordlab.loop as loop

    clock = FakeClock()
    monkeypatch.setattr(loop, "clock", clock)
    cfg = TrainConfig(epochs=10, lr=0.01, monitor="valid_loss", max_minutes=20 / 60)
    out = tmp_path / "m.pt"
    first = fit(_model(), _timed_task(clock), cfg, out=out)
    # epoch 1: 10 steps + 3 s evaluation = 13 s; epoch 2 stops after 4 steps, as a 5th step and the
    # evaluation (3 s, measured on epoch 1) would pass 20 s; its evaluation ends the call at exactly 20 s
    assert first.stopped == "time_budget" and clock.now <= 20
    assert first.steps == 14 and first.history[-1]["partial"] and first.history[-1]["steps"] == 4
    clock.now = 1000.0  # a later invocation: the earlier one's time does not count against it
    second = fit(_model(), _timed_task(clock), cfg, out=out, resume=True)
    assert second.stopped == "time_budget" and clock.now - 1000 <= 20
    assert second.steps - first.steps == 14  # the 6 left of epoch 2, then 8 of epoch 3 (room kept for the 3 s eval)
    assert [r["epoch"] for r in second.history] == [1, 2, 3] and second.history[1]["steps"] == 10
    assert load_checkpoint(resume_path(out))["progress"]["elapsed"] == pytest.approx(40)


def test_raising_epochs_on_resume_recomputes_the_cosine_schedule(tmp_path):
    from dataclasses import replace

    from wordlab.training import scheduled_lr

    cfg = TrainConfig(epochs=2, lr=0.02, min_lr=0.001, schedule="cosine", seed=1)
    out = tmp_path / "m.pt"
    model = _model()
    done = fit(model, Regression(), cfg, out=out)
    n = Regression().num_batches(0)
    assert done.steps == 2 * n and done.history[-1]["lr"] == pytest.approx(scheduled_lr(cfg, 2 * n - 1, 2 * n))
    more = replace(cfg, epochs=4)
    res = fit(_model(), Regression(), more, out=out, resume=True)
    assert res.steps == 4 * n and [r["epoch"] for r in res.history] == [1, 2, 3, 4]
    # epochs 3-4 follow the 4-epoch schedule from the step reached: the rate warms back up, then anneals
    assert res.history[2]["lr"] == pytest.approx(scheduled_lr(more, 3 * n - 1, 4 * n))
    assert res.history[3]["lr"] == pytest.approx(scheduled_lr(more, 4 * n - 1, 4 * n))
    assert res.history[2]["lr"] > 3 * res.history[1]["lr"]
    # resuming a finished run with the same epochs trains nothing more
    again = fit(_model(), Regression(), more, out=out, resume=True)
    assert again.steps == 4 * n and len(again.history) == 4


def test_only_the_main_process_writes_and_shows_progress(tmp_path, monkeypatch, capsys):
    import wordlab.loop as loop

    fit(_model(), Regression(), TrainConfig(epochs=1), progress=None)  # stderr is not a terminal here
    assert "epoch 1/1" not in capsys.readouterr().err
    fit(_model(), Regression(), TrainConfig(epochs=1), progress=True)
    assert "epoch 1/1" in capsys.readouterr().err
    monkeypatch.setattr(loop, "is_main", lambda: False)
    res = fit(_model(), Regression(), TrainConfig(epochs=2, checkpoint_every=3), out=tmp_path / "m.pt",
              progress=True)
    assert res.steps == 32 and list(tmp_path.iterdir()) == []
    assert "epoch 1/2" not in capsys.readouterr().err


def test_anneal_minutes_is_a_time_budget_for_the_whole_run_across_resumes(tmp_path, monkeypatch):
    """--anneal-minutes: the cosine follows the minutes spent (all invocations) and training stops when they are."""
    import wordlab.loop as loop
    from wordlab.training import scheduled_lr

    clock = FakeClock()
    monkeypatch.setattr(loop, "clock", clock)
    cfg = TrainConfig(epochs=10, lr=0.01, schedule="cosine", monitor="valid_loss", max_minutes=20 / 60,
                      anneal_minutes=30 / 60)
    out = tmp_path / "m.pt"
    first = fit(_model(), _timed_task(clock), cfg, out=out)
    # as without it, the 20-s invocation budget stops epoch 2 after 4 steps; that last step began at 16 s
    assert first.stopped == "time_budget" and first.steps == 14
    assert first.history[-1]["lr"] == pytest.approx(scheduled_lr(cfg, 13, 100, 16 / 30))
    assert first.history[-1]["lr"] < 0.5 * scheduled_lr(cfg, 13, 100)  # the steps alone would barely anneal
    clock.now = 1000.0
    second = fit(_model(), _timed_task(clock), cfg, out=out, resume=True)
    # 20 s were spent: epoch 2's 6 steps (20-25 s), its evaluation (26-28 s), one step of epoch 3 at 29 s,
    # then the 30 s are spent and the run stops, well inside this invocation's own 20 s
    assert second.stopped == "time_budget" and second.steps - first.steps == 7 and clock.now - 1000 < 20
    assert second.history[-1]["lr"] == pytest.approx(scheduled_lr(cfg, 20, 100, 29 / 30))
    with pytest.raises(ConfigError, match="anneal-minutes"):
        TrainConfig(anneal_minutes=0)


def test_accumulate_equals_a_larger_batch_and_resumes_at_an_optimizer_step(tmp_path):
    """``--accumulate 2`` on batches of 16 is one step on batches of 32 (the loss is a mean); a run killed
    mid-way resumes from its last snapshot, which sits between optimizer steps, to the same weights."""

    class Pairs(Regression):  # batches of 16 in the order of Regression(batch=32)'s batches of 32
        def batches(self, epoch, start=0):
            order = np.random.default_rng(1000 + epoch).permutation(len(self.X))
            for i in range(start, self.num_batches(epoch)):
                idx = torch.from_numpy(order[i * 16:(i + 1) * 16])
                yield self.X[idx], self.y[idx]

    def model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))  # no dropout: exact comparison

    cfg = TrainConfig(epochs=2, lr=0.05, optimizer="sgd", clip=1.0, seed=3)
    big, acc = model(), model()
    fit(big, Regression(batch=32), cfg)
    res = fit(acc, Pairs(batch=16), replace(cfg, accumulate=2))
    for (k, a), b in zip(big.state_dict().items(), acc.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=k)
    assert res.steps == 2 * 16  # steps count batches: 16 of 16 examples per epoch

    class Killed(Exception):
        pass

    class Dies(Pairs):
        def train_step(self, model, batch):
            if self.seen == 13:  # mid-epoch 1, in the middle of an optimizer step, after the snapshot at 12
                raise Killed
            return super().train_step(model, batch)

    ckpt = replace(cfg, accumulate=2, checkpoint_every=3)  # crossed at 4 (after 3), 6, 10 (after 9), 12
    with pytest.raises(Killed):
        fit(model(), Dies(batch=16), ckpt, out=tmp_path / "k.pt")
    assert load_checkpoint(resume_path(tmp_path / "k.pt"))["progress"]["step"] == 12
    resumed = model()
    fit(resumed, Pairs(batch=16), ckpt, out=tmp_path / "k.pt", resume=True)
    for (k, a), b in zip(acc.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k
    with pytest.raises(ConfigError, match="accumulate"):
        TrainConfig(accumulate=0)
