"""`wordlab classify train | predict | eval`, in-process, on tiny generated data."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from wordlab.cli import main
from wordlab.vectors import KeyedVectors

POS = ["good", "great", "witty", "gorgeous", "fun", "seductive"]
NEG = ["bad", "dull", "boring", "awful", "tedious", "mess"]
FILL = ["the", "movie", "plot", "was", "a", "and", "film", "story", "very", "it"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _sentences(lex, n, seed):
    g = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        words = [str(w) for w in g.choice(FILL, size=g.integers(1, 7))]
        words.insert(int(g.integers(0, len(words) + 1)), str(g.choice(lex)))
        out.append(" ".join(words) + " .")
    return out


@pytest.fixture()
def mr(tmp_path):
    pos, neg = tmp_path / "rt-polarity.pos", tmp_path / "rt-polarity.neg"
    pos.write_text("\n".join(_sentences(POS, 30, 1)) + "\n", encoding="utf-8")
    neg.write_text("\n".join(_sentences(NEG, 30, 2)) + "\n", encoding="utf-8")
    return pos, neg


def _train_args(mr, *extra):
    pos, neg = mr
    return ["-q", "classify", "train", "--pos", str(pos), "--neg", str(neg), "--epochs", "12", "--optimizer", "adam",
            "--lr", "0.01", "--dim", "16", "--maps", "8", "--widths", "2,3", "--batch-size", "10",
            "--early-stop", "12", "--threads", "1", *extra]


def test_train_predict_eval(mr, tmp_path, capsys, monkeypatch):
    out = tmp_path / "clf.pt"
    assert main(_train_args(mr, "-o", str(out))) == 0
    assert "saved" in capsys.readouterr().out and out.exists()
    assert main(["classify", "predict", str(out), "a gorgeous, witty, seductive movie.", "a dull tedious mess"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["pos", "neg"]
    assert all(0.5 <= float(line.split("\t")[1]) <= 1 for line in lines)
    monkeypatch.setattr("sys.stdin", io.StringIO("what a fun film\nboring and awful\n"))
    assert main(["classify", "predict", str(out), "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["label"] for r in rows] == ["pos", "neg"] and rows[0]["text"] == "what a fun film"
    pos, neg = mr
    assert main(["classify", "eval", str(out), "--pos", str(pos), "--neg", str(neg), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["n"] == 60 and rep["accuracy"] > 0.9 and np.sum(rep["confusion"]) == 60


def test_folds_with_vectors_json_and_dry_run(mr, tmp_path, capsys):
    words = sorted(set(" ".join(_sentences(POS + NEG, 50, 3)).split()))
    g = np.random.default_rng(0)
    vec = tmp_path / "v.txt"
    KeyedVectors(words, g.normal(size=(len(words), 5)).astype(np.float32)).save(vec)
    args = _train_args(mr, "--folds", "3", "--vectors", str(vec), "--mode", "static", "--json")
    args.remove("--dim"), args.remove("16")
    assert main(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["mode"] == "static" and res["embed_dim"] == 5 and 0 < res["vector_coverage"] <= 1
    assert res["cv"]["folds_run"] == 3 and sum(r["n"] for r in res["cv"]["folds"]) == 60
    assert "output" not in res
    assert main(_train_args(mr, "--arch", "mlp", "--dry-run", "-o", str(tmp_path / "d.pt"), "--json")) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["stopped"] == "dry_run"


def _error(capsys, argv) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("wordlab: error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_bad_input_gives_one_line_errors(mr, tmp_path, capsys):
    out = tmp_path / "clf.pt"
    assert main(_train_args(mr, "--arch", "mlp", "--epochs", "2", "-o", str(out))) == 0
    capsys.readouterr()
    tsv = tmp_path / "test.tsv"
    tsv.write_text("pos\tfun film\nmaybe\tcould be\n", encoding="utf-8")
    assert "test.tsv:2: unknown label 'maybe'" in _error(capsys, ["classify", "eval", str(out), "--tsv", str(tsv)])
    assert "text 2 is empty" in _error(capsys, ["classify", "predict", str(out), "good", "  "])
    vec = tmp_path / "v.txt"
    KeyedVectors(["good", "bad"], np.ones((2, 4), np.float32)).save(vec)
    err = _error(capsys, _train_args(mr, "--vectors", str(vec), "-o", str(tmp_path / "x.pt")))
    assert "dimension 4" in err and "16" in err and not (tmp_path / "x.pt").exists()
    assert "needs --vectors" in _error(capsys, _train_args(mr, "--mode", "static", "-o", str(tmp_path / "x.pt")))
    empty = tmp_path / "e.tsv"
    empty.write_text("pos\tgood\nneg\t\n", encoding="utf-8")
    assert "e.tsv:2: empty text" in _error(capsys, ["classify", "train", "--tsv", str(empty), "-o", str(out)])
    one = tmp_path / "one.tsv"
    one.write_text("pos\tgood\npos\tfun\n", encoding="utf-8")
    err = _error(capsys, ["classify", "train", "--tsv", str(one), "-o", str(tmp_path / "o.pt")])
    assert "one.tsv: every example has the label 'pos'" in err
    assert "no such checkpoint" in _error(capsys, ["classify", "predict", str(tmp_path / "nope.pt"), "hi"])
    assert "-o FILE" in _error(capsys, ["classify", "train", "--tsv", str(one)])
