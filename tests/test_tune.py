"""Hyper-parameter search: space syntax, seeded sampling, narrowing to the best quarter, resume, best.json."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wordlab.errors import ConfigError
from wordlab.tune import Dim, Search, Trial, narrow, parse_space, sample, tune


def test_parse_space_and_one_line_errors():
    lr, drop, layers, k = parse_space("lr=1e-4:1e-2:log, dropout=0.1:0.6,layers=1|2,bptt=10:40:int")
    assert lr == Dim("lr", 1e-4, 1e-2, log=True) and drop == Dim("dropout", 0.1, 0.6)
    assert layers.values == (1, 2) and k.integer
    for bad, what in (("lr", "NAME=LO:HI"), ("lr=1:x", "numbers"), ("lr=0:1:log", "LO > 0"), ("lr=2:1", "LO <= HI"),
                      ("lr=1:2:cubic", "only :log"), ("", "empty"), ("a=1|2,a=3|4", "twice")):
        with pytest.raises(ConfigError, match=what):
            parse_space(bad)


def test_sampling_is_seeded_per_trial_and_inside_the_ranges():
    space = parse_space("lr=1e-4:1e-2:log,dropout=0.1:0.6,layers=1|2,bptt=10:40:int")
    draws = [sample(space, 0, 0, k) for k in range(200)]
    assert draws[7] == sample(space, 0, 0, 7) and draws[7] != sample(space, 1, 0, 7)
    assert all(1e-4 <= d["lr"] <= 1e-2 and 0.1 <= d["dropout"] <= 0.6 and d["layers"] in (1, 2)
               and isinstance(d["bptt"], int) and 10 <= d["bptt"] <= 40 for d in draws)
    below = sum(d["lr"] < 1e-3 for d in draws) / len(draws)  # log-uniform: half the mass below the geometric mean
    assert 0.35 < below < 0.65


def test_narrow_to_the_span_of_the_best_quarter():
    space = parse_space("x=0:10,c=a|b|c")
    trials = [Trial(0, k, {"x": float(k), "c": "abc"[k % 3]}, score=abs(k - 4.2)) for k in range(8)]
    x, c = narrow(space, trials, "min")  # best quarter of 8 = the 2 closest to 4.2: x = 4 and 5
    assert (x.lo, x.hi) == (4.0, 5.0) and c.values == ("b", "c")
    x, _ = narrow(space, trials, "max")  # the 2 farthest from 4.2: x = 0 and 1
    assert (x.lo, x.hi) == (0.0, 1.0)
    assert narrow(space, [Trial(0, 0, {"x": 1.0, "c": "a"})], "min") == space  # failed trials: unchanged


def _fake_runner(calls):
    def run(search, out, r, k, params):
        calls.append((r, k))
        return Trial(r, k, params, score=(params["x"] - 3) ** 2 + (0 if params["c"] == "b" else 1))
    return run


def test_rounds_narrow_and_a_rerun_resumes(tmp_path):
    make = lambda: Search(verb="lm", space="x=0:10,c=a|b|c", trials_per_round=8, rounds=3, metric="m",  # noqa: E731
                          mode="min", seed=5)
    calls = []
    full = tune(make(), tmp_path / "a", runner=_fake_runner(calls), parallel=2)
    assert len(full.trials) == 24 and len(calls) == 24
    by_round = [[t for t in full.trials if t.round == r] for r in range(3)]
    spans = [max(t.params["x"] for t in ts) - min(t.params["x"] for t in ts) for ts in by_round]
    assert spans[1] < spans[0] and spans[2] <= spans[1]  # the ranges narrow round after round
    best = full.best()
    assert json.loads((tmp_path / "a" / "best.json").read_text()) == best.params
    assert best.score == min(t.score for t in full.trials)

    class Interrupted(Exception):
        pass

    calls2 = []

    def dies(search, out, r, k, params):
        if len(calls2) == 11:
            raise Interrupted
        return _fake_runner(calls2)(search, out, r, k, params)

    with pytest.raises(Interrupted):
        tune(make(), tmp_path / "b", runner=dies)
    calls3 = []
    resumed = tune(make(), tmp_path / "b", runner=_fake_runner(calls3))
    assert len(calls3) == 24 - 11  # only the trials not finished before
    key = lambda t: (t.round, t.index)  # noqa: E731
    assert [(t.params, t.score) for t in sorted(resumed.trials, key=key)] == \
        [(t.params, t.score) for t in sorted(full.trials, key=key)]
    with pytest.raises(ConfigError, match="another search"):
        tune(Search(verb="lm", space="x=0:1", trials_per_round=8, rounds=3, metric="m", mode="min", seed=5),
             tmp_path / "b", runner=_fake_runner([]))


@pytest.mark.slow
def test_tune_a_tiny_language_model_and_train_from_best_json(tmp_path):
    from test_lm_cli import _sentences

    for name, n in (("train", 200), ("valid", 40)):
        (tmp_path / f"{name}.txt").write_text(_sentences(n, len(name)), encoding="utf-8")
    base = ["--train", "train.txt", "--valid", "valid.txt", "--dim", "8", "--hidden", "8", "--epochs", "1",
            "--bptt", "8", "--batch-size", "4", "--device", "cpu", "--threads", "1"]
    tuned = subprocess.run([sys.executable, "-m", "wordlab", "tune", "--trials", "2", "--rounds", "1",
                            "--parallel", "2", "--space", "lr=1e-3:3e-2:log,layers=1|2", "-o", "t", "lm", *base],
                           cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert tuned.returncode == 0, tuned.stderr[-2000:]
    assert "valid_ppl" in tuned.stdout and "best: round 1" in tuned.stdout
    best = json.loads((tmp_path / "t" / "best.json").read_text())
    assert set(best) == {"lr", "layers"}
    again = subprocess.run([sys.executable, "-m", "wordlab", "-q", "lm", "train", *base, "--config", "t/best.json",
                            "-o", "m.pt", "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    ppl = json.loads(again.stdout)["summary"]["valid_ppl"]
    trial = json.loads((tmp_path / "t" / "tune.json").read_text())
    assert ppl == pytest.approx(min(t["score"] for t in trial["trials"]), rel=1e-6)  # the best trial, retrained


def test_an_unusable_out_folder_or_state_file_is_one_line(tmp_path):
    """``-o`` a file or ``-``, and a damaged ``tune.json``, stop before any trial with one line naming the path."""
    search = Search(verb="lm", space="lr=1e-3:1e-2", trials_per_round=1, rounds=1, metric="valid_ppl", mode="min",
                    seed=0, budget_minutes=1.0, base_args=[])
    never = lambda *a: pytest.fail("a trial ran")  # noqa: E731
    a_file = tmp_path / "taken"
    a_file.write_text("keep me", encoding="utf-8")
    for out, what in ((a_file, "is a file, not a folder"), ("-", "folder instead of standard output"),
                      (a_file / "sub", "cannot make this folder")):
        with pytest.raises(ConfigError, match=what):
            tune(search, out, runner=never)
    assert a_file.read_text(encoding="utf-8") == "keep me"
    state = tmp_path / "run" / "tune.json"
    state.parent.mkdir()
    for text, what in (("{not json", "not a readable tune state"), ("[]", "no 'trials' list"),
                       ('{"verb": "lm", "space": "lr=1e-3:1e-2", "trials_per_round": 1, "rounds": 1, "seed": 0, '
                        '"trials": [{"round": 0, "index": 0, "params": {}, "colour": 1}]}', "trial 0 is malformed")):
        state.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=what):
            tune(search, state.parent, runner=never)
