"""`wordlab lm` end to end: train (dry run, real), eval, generate, export, bad checkpoints, kill -9 + resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from wordlab.checkpoint import load_checkpoint
from wordlab.cli import main
from wordlab.training import resume_path


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _sentences(n: int, seed: int) -> str:
    """A toy language: subject verb object [adverb], with word choice depending on the previous word."""
    g = np.random.default_rng(seed)
    subj, verb = ["the cat", "a dog", "the company", "mr. smith", "she"], ["saw", "said", "bought", "likes", "sold"]
    obj, adv = ["the house", "shares", "a bank", "the book", "N dollars"], ["today", "yesterday", "again", ""]
    lines = []
    for _ in range(n):
        i = g.integers(5)
        lines.append(" ".join(w for w in [subj[i], verb[(i + g.integers(2)) % 5], obj[g.integers(5)],
                                          adv[g.integers(4)]] if w))
    return "\n".join(lines) + "\n"


@pytest.fixture()
def toy(tmp_path) -> dict[str, Path]:
    files = {}
    for name, n, seed in (("train", 700, 0), ("valid", 80, 1), ("test", 80, 2)):
        files[name] = tmp_path / f"{name}.txt"
        files[name].write_text(_sentences(n, seed), encoding="utf-8")
    return files


def _train_args(toy, out, *more):
    return ["-q", "lm", "train", "--train", str(toy["train"]), "--valid", str(toy["valid"]), "--test", str(toy["test"]),
            "--cell", "lstm", "--layers", "1", "--dim", "16", "--hidden", "16", "--dropout", "0.2", "--tie",
            "--bptt", "8", "--batch-size", "4", "--optimizer", "adam", "--lr", "0.01", "--threads", "1", "--device", "cpu",
            "--json", "-o", str(out), *more]


def test_dry_run(toy, tmp_path, capsys):
    assert main(_train_args(toy, tmp_path / "d.pt", "--dry-run", "--epochs", "5")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["stopped"] == "dry_run" and out["summary"]["steps"] == 3
    assert (tmp_path / "d.pt").exists()


def test_train_eval_generate_export(toy, tmp_path, capsys):
    model = tmp_path / "lm.pt"
    assert main(_train_args(toy, model, "--epochs", "2", "--schedule", "cosine")) == 0
    out = json.loads(capsys.readouterr().out)
    s = out["summary"]
    # the toy language has far fewer than |V| plausible next words
    assert s["valid_ppl"] < 0.5 * s["vocab_size"] and len(out["history"]) == 2
    assert main(["-q", "lm", "eval", str(model), "--text", str(toy["valid"]), "--json", "--threads", "1"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["perplexity"] == pytest.approx(s["valid_ppl"], rel=1e-6) and ev["tokens"] == s["valid_tokens"]
    argv = ["-q", "lm", "generate", str(model), "--prompt", "the company", "-n", "30", "--temperature", "0.8",
            "--top-p", "0.9", "--ban", "<unk>", "--seed", "3"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("the company ") and len(text.split()) >= 25
    assert main(argv) == 0 and capsys.readouterr().out == text  # seeded: the same sample
    from wordlab.vectors import KeyedVectors

    assert main(["-q", "lm", "export-vectors", str(model), "-o", str(tmp_path / "v.txt")]) == 0
    kv = KeyedVectors.load(tmp_path / "v.txt")
    assert "company" in kv and kv.vector_size == 16


def test_bad_checkpoints_give_one_line_errors(toy, tmp_path, capsys):
    model = tmp_path / "lm.pt"
    assert main(_train_args(toy, model, "--dry-run")) == 0
    capsys.readouterr()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(model.read_bytes()[:2000])
    assert main(["lm", "eval", str(cut), "--text", str(toy["valid"])]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wordlab: error:") and "truncated" in err and err.count("\n") == 1
    # a checkpoint whose vocabulary does not fit its weights
    ck = load_checkpoint(model)
    ck["vocab"]["words"] = ck["vocab"]["words"][:-1]
    ck["vocab"]["counts"] = ck["vocab"]["counts"][:-1]
    torch.save(ck, tmp_path / "mixed.pt")
    assert main(["lm", "generate", str(tmp_path / "mixed.pt")]) == 1
    err = capsys.readouterr().err
    assert "vocabulary has" in err and err.count("\n") == 1
    # resuming with training files that give another vocabulary
    other = tmp_path / "other.txt"
    other.write_text("completely different words here\n" * 50, encoding="utf-8")
    args = _train_args(toy, model, "--resume")
    args[args.index(str(toy["train"]))] = str(other)
    before = model.read_bytes()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "another vocabulary" in err and err.count("\n") == 1
    assert model.read_bytes() == before  # nothing overwritten
    assert main(["lm", "eval", str(tmp_path / "none.pt"), "--text", str(toy["valid"])]) == 1
    assert "no such checkpoint" in capsys.readouterr().err


def test_kill_9_then_resume_equals_uninterrupted(toy, tmp_path, capsys):
    """A real `kill -9` of the CLI mid-training, then `--resume`: same weights and perplexities as one run."""
    opts = ["--epochs", "3", "--checkpoint-every", "7", "--schedule", "cosine", "--seed", "5"]
    full = tmp_path / "full.pt"
    assert main(_train_args(toy, full, *opts)) == 0
    ref = json.loads(capsys.readouterr().out)

    part = tmp_path / "part.pt"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "wordlab.cli", *_train_args(toy, part, *opts)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 120
    while not resume_path(part).exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-500:]
    p = load_checkpoint(resume_path(part))["progress"]
    assert p["epoch"] < 3  # killed before the end

    assert main(_train_args(toy, part, *opts, "--resume")) == 0
    got = json.loads(capsys.readouterr().out)
    for key in ("valid_ppl", "test_ppl", "best_epoch", "steps"):
        assert got["summary"][key] == ref["summary"][key], key
    assert [r["valid_ppl"] for r in got["history"]] == [r["valid_ppl"] for r in ref["history"]]
    a, b = load_checkpoint(full)["state_dict"], load_checkpoint(part)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
