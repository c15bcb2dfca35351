"""``wordlab train ppmi`` in-process: trains, saves vectors + config, one-line errors, nothing half-written."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wordlab.cli import main
from wordlab.vectors import KeyedVectors


def corpus(tmp_path, text=None):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    p = tmp_path / "c.txt"
    p.write_text(text if text is not None else " ".join(rng.choice(words, 4000)) + "\n", encoding="utf-8")
    return p


def test_train_ppmi_writes_vectors_and_config(tmp_path, capsys):
    out = tmp_path / "v.bin"
    rc = main(["-q", "train", "ppmi", str(corpus(tmp_path)), "-o", str(out), "--dim", "8", "--window", "2",
               "--min-count", "1", "--harmonic", "--add-context", "--show", "w1", "nope", "--no-cache"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "vocabulary  40 words" in text and "PPMI non-zeros" in text and "peak RSS" in text
    assert "w1:" in text and "nope: not in vocabulary" in text
    kv = KeyedVectors.load(out)
    assert kv.vectors.shape == (40, 8)
    meta = json.loads((tmp_path / "v.bin.json").read_text())
    assert meta["config"]["weighting"] == "harmonic" and meta["config"]["add_context"] is True
    assert meta["config"]["dim"] == 8 and meta["stats"]["words"] == 40


@pytest.mark.parametrize("argv, message", [
    (["--window", "0"], "window must be an integer >= 1"),
    (["--dim", "40"], "dim=40 must be smaller than the vocabulary size (40 words)"),
    (["--cds-alpha", "0"], "alpha"),
    (["--shift", "0"], "shift_k must be > 0"),
])
def test_bad_options_are_one_line_errors(tmp_path, capsys, argv, message):
    out = tmp_path / "v.bin"
    rc = main(["-q", "train", "ppmi", str(corpus(tmp_path)), "-o", str(out), "--min-count", "1", "--no-cache",
               "--dim", "4", *argv])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("wordlab: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "v.bin.json").exists()


def test_one_word_corpus_and_bad_suffix(tmp_path, capsys):
    p = corpus(tmp_path, "same same same same same\n")
    rc = main(["-q", "train", "ppmi", str(p), "-o", str(tmp_path / "v.txt"), "--min-count", "1", "--dim", "1",
               "--no-cache"])
    err = capsys.readouterr().err
    assert rc == 1 and "only 1 distinct word" in err and len(err.strip().splitlines()) == 1
    rc = main(["-q", "train", "ppmi", str(p), "-o", str(tmp_path / "v.pkl"), "--no-cache"])
    assert rc == 1 and "unknown vector format" in capsys.readouterr().err
    assert sorted(f.name for f in tmp_path.iterdir()) == ["c.txt"]
