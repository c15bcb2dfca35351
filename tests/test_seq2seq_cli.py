"""`wordlab seq2seq train|eval` and `wordlab translate`, in-process."""

from __future__ import annotations

import io
import json

import pytest

from wordlab.cli import main


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def pairs_file(tmp_path):
    words = {"je": "i", "tu": "you", "il": "he", "suis": "am", "es": "are", "est": "is", "grand": "tall",
             "petit": "small", "las": "tired"}
    lines = []
    for subj, verb in (("je", "suis"), ("tu", "es"), ("il", "est")):
        for adj in ("grand", "petit", "las"):
            fr = f"{subj} {verb} {adj} ."
            lines.append(" ".join(words.get(w, w) for w in fr.split()) + "\t" + fr + "\tCC-BY attribution")
    f = tmp_path / "pairs.tsv"
    f.write_text("\n".join(lines * 3) + "\n", encoding="utf-8")
    return f


def test_train_dry_run_eval_translate(tmp_path, pairs_file, capsys, monkeypatch):
    model = tmp_path / "m.pt"
    rc = main(["-q", "seq2seq", "train", "--pairs", str(pairs_file), "--swap", "--attention", "additive",
               "--reverse", "--hidden", "16", "--dim", "8", "--epochs", "3", "--batch-size", "4", "--dry-run",
               "--valid", "0.2", "--test", "0.1", "-o", str(model)])
    assert rc == 0 and model.exists()
    assert "trained 1 epoch(s), 3 steps (dry_run)" in capsys.readouterr().out
    assert main(["-q", "seq2seq", "eval", str(model), "--pairs", str(pairs_file), "--split", "test", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["n"] == 3 and 0.0 <= r["accuracy"] <= 1.0 and "bleu" in r and r["per_length"]
    assert main(["-q", "seq2seq", "eval", str(model), "--pairs", str(pairs_file), "--beam", "3"]) == 0
    assert "BLEU" in capsys.readouterr().out
    png = tmp_path / "att.png"
    assert main(["-q", "translate", str(model), "je suis las .", "tu es grand .", "--beam", "2",
                 "--show-attention", str(png)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert png.read_bytes()[:4] == b"\x89PNG"
    monkeypatch.setattr("sys.stdin", io.StringIO("il est petit .\n\nje suis grand .\n"))
    assert main(["-q", "translate", str(model), "--scores"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[1] == "" and "\t" in out[0] and "\t" in out[2]  # blank lines kept: aligned


def test_dlfs2_format_trains_character_level(tmp_path, capsys):
    f = tmp_path / "addition.txt"
    f.write_text("".join(f"{a}+{b}".ljust(7) + "_" + str(a + b).ljust(4) + "\n" for a in range(12) for b in range(5)))
    model = tmp_path / "add.pt"
    assert main(["-q", "seq2seq", "train", "--pairs", str(f), "--format", "dlfs2", "--reverse", "--peeky",
                 "--attention", "dot", "--hidden", "16", "--epochs", "1", "--dry-run", "-o", str(model)]) == 0
    capsys.readouterr()
    assert main(["-q", "seq2seq", "eval", str(model), "--pairs", str(f), "--split", "test"]) == 0
    out = capsys.readouterr().out
    assert "pairs     6 (test)" in out and "BLEU" not in out  # character level: accuracy only
    png = tmp_path / "add.png"
    assert main(["-q", "translate", str(model), "3+4", "--show-attention", str(png)]) == 0
    assert png.exists()
    from wordlab.seq2seq import Translator

    assert Translator.load(model).translate(["3+4"])[0].attention.shape[1] == 7  # padded to the file's width


def test_bad_input_one_line_errors(tmp_path, pairs_file, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("hello\tbonjour\nno tab\n")
    out = tmp_path / "m.pt"
    assert main(["-q", "seq2seq", "train", "--pairs", str(bad), "--epochs", "1", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: no a tab" in err and err.count("\n") == 1 and not out.exists()
    assert main(["-q", "seq2seq", "train", "--pairs", str(pairs_file), "--attention", "luong",
                 "-o", str(out)]) == 2  # argparse usage error
    capsys.readouterr()
    (tmp_path / "junk.pt").write_bytes(b"junk")
    assert main(["-q", "translate", str(tmp_path / "junk.pt"), "bonjour"]) == 1
    assert "not a" in capsys.readouterr().err
    plain = tmp_path / "plain.pt"
    assert main(["-q", "seq2seq", "train", "--pairs", str(pairs_file), "--hidden", "8", "--epochs", "1",
                 "--dry-run", "-o", str(plain)]) == 0
    capsys.readouterr()
    assert main(["-q", "translate", str(plain), "hi", "--show-attention", str(tmp_path / "x.png")]) == 1
    assert "no attention" in capsys.readouterr().err
