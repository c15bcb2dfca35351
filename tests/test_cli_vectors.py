"""``wordlab similar | analogy | eval | convert | query`` in-process."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from wordlab.cli import main
from wordlab.evaluation import evaluate_word_analogies, evaluate_word_pairs
from wordlab.vectors import KeyedVectors

WORDS = ["king", "queen", "man", "woman", "paris", "france", "rome", "italy", "breakfast", "lunch", "dinner",
         "cereal", "car"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Tiny hand-built space: gender and capital offsets, meals near each other, plus noise words."""
    rng = np.random.default_rng(1)
    d = 24
    base = {w: rng.standard_normal(d) for w in ("king", "man", "paris", "rome", "breakfast", "car")}
    gender, capital = rng.standard_normal(d) * 2, rng.standard_normal(d) * 2
    vec = dict(base)
    vec["queen"] = base["king"] + gender
    vec["woman"] = base["man"] + gender
    vec["france"] = base["paris"] + capital
    vec["italy"] = base["rome"] + capital
    for w in ("lunch", "dinner", "cereal"):
        vec[w] = base["breakfast"] + 0.3 * rng.standard_normal(d)
    keys = WORDS + [f"noise{i}" for i in range(200)]
    vectors = np.array([vec[w] if w in vec else rng.standard_normal(d) * 1.5 for w in keys], dtype=np.float32)
    root = tmp_path_factory.mktemp("cli")
    KeyedVectors(keys, vectors).save(root / "v.bin")
    (root / "q.txt").write_text(": gender\nman woman king queen\nking queen man woman\n"
                                ": capital\nparis france rome italy\nrome italy paris france\nrome italy x y\n")
    (root / "pairs.tsv").write_text("# comment\nking\tqueen\t8\nman\twoman\t8.5\nking\tcar\t1\n"
                                    "breakfast\tlunch\t7\nparis\tcereal\t0.5\nunknown\tking\t3\n")
    return root


def run(argv, capsys, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["-q", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_similar_and_analogy(files, capsys):
    code, out, _ = run(["similar", files / "v.bin", "king", "woman", "--negative", "man", "--topn", "3",
                        "--json"], capsys)
    assert code == 0
    result = json.loads(out)["results"]
    expected = KeyedVectors.load(files / "v.bin").most_similar(["king", "woman"], ["man"], topn=3)
    assert [r["word"] for r in result] == [w for w, _ in expected] and result[0]["word"] == "queen"
    code, out, _ = run(["analogy", files / "v.bin", "man", "king", "woman"], capsys)
    assert code == 0 and "man : king :: woman : queen" in out
    code, out, _ = run(["analogy", files / "v.bin", "paris", "france", "rome", "--method", "3cosmul", "--json"],
                       capsys)
    assert json.loads(out)["results"][0]["word"] == "italy"


def test_eval_matches_library(files, capsys):
    code, out, _ = run(["eval", files / "v.bin", "--analogies", files / "q.txt", "--pairs", files / "pairs.tsv",
                        "--json"], capsys)
    assert code == 0
    report = json.loads(out)
    kv = KeyedVectors.load(files / "v.bin")
    score, sections = evaluate_word_analogies(kv, files / "q.txt")
    assert report["analogies"]["accuracy"] == score == 1.0
    assert [s["section"] for s in report["analogies"]["sections"]] == ["gender", "capital", "Total accuracy"]
    assert report["analogies"]["sections"][1]["skipped"] == 1
    _, spearman, oov = evaluate_word_pairs(kv, files / "pairs.tsv")
    assert report["pairs"][0]["spearman"] == pytest.approx(spearman[0]) and report["pairs"][0]["oov_percent"] == oov
    code, out, _ = run(["eval", files / "v.bin", "--analogies", files / "q.txt", "--method", "3cosmul"], capsys)
    assert code == 0 and "Total accuracy" in out and "100.00%" in out


def test_convert_round_trip(files, tmp_path, capsys):
    for fmt, name in (("npz", "v.npz"), ("text", "v.txt"), ("bin", "back.bin")):
        src = files / "v.bin" if fmt == "npz" else tmp_path / ("v.npz" if fmt == "text" else "v.txt")
        assert run(["convert", src, tmp_path / name, "--to", fmt], capsys)[0] == 0
    assert (tmp_path / "back.bin").read_bytes() == (files / "v.bin").read_bytes()


def test_convert_to_standard_output_is_text_only(files, capfd):
    """``OUT -`` streams word2vec text with ``--to text`` (nothing else on stdout); without it, one line."""
    assert main(["-q", "convert", str(files / "v.bin"), "-", "--to", "text"]) == 0
    out, err = capfd.readouterr()
    kv = KeyedVectors.load(files / "v.bin")
    header, *rows = out.splitlines()
    assert header == f"{len(kv)} {kv.vector_size}" and len(rows) == len(kv) and rows[0].split()[0] == kv.index_to_key[0]
    assert np.allclose([float(x) for x in rows[0].split()[1:]], kv.vectors[0], atol=1e-5)
    for extra in ([], ["--to", "bin"]):
        assert main(["-q", "convert", str(files / "v.bin"), "-", *extra]) == 1
        out, err = capfd.readouterr()
        assert out == "" and err.count("\n") == 1 and ("text" in err or "binary" in err), err


def test_query_prompt_reads_piped_stdin(files, capsys, monkeypatch):
    lines = "king - man + woman\nsimilar paris 2\ndoesnt_match breakfast cereal dinner car lunch\n" \
            "kingg\nhelp\nquit\nsimilar king\n"
    code, out, _ = run(["query", files / "v.bin", "--topn", "1"], capsys, stdin=lines, monkeypatch=monkeypatch)
    assert code == 0
    out_lines = out.splitlines()
    assert out_lines[0].split()[-1] == "queen"
    assert len([line for line in out_lines[1:3] if line.strip()]) == 2
    assert out_lines[3] == "car"
    assert out_lines[4] == "error: 'kingg' not in vocabulary; did you mean: king?"
    assert any("doesnt_match" in line for line in out_lines[5:])
    assert out.count("similar paris") == 1  # help printed once; nothing after 'quit' was answered


@pytest.mark.parametrize("argv,message", [
    (["similar", "{v}", "kingg"], "'kingg' not in vocabulary; did you mean: king?"),
    (["similar", "{dir}/missing.bin", "king"], "missing.bin: no such file"),
    (["eval", "{v}"], "nothing to evaluate"),
    (["eval", "{v}", "--analogies", "{dir}/nope.txt"], "no such analogy file"),
    (["similar", "{v}", "king", "--topn", "0"], "--topn must be at least 1"),
    (["convert", "{v}", "{dir}/out.weird"], "cannot tell the format"),
])
def test_bad_input_exits_1_with_one_line(files, capsys, argv, message):
    argv = [a.format(v=files / "v.bin", dir=files) for a in argv]
    code, out, err = run(argv, capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("wordlab: error: ") and message in err


def test_train_glove_to_standard_output_keeps_its_report_on_stderr(tmp_path, capfd):
    corpus = tmp_path / "c.txt"
    rng = np.random.default_rng(0)
    corpus.write_text("\n".join(" ".join(rng.choice(list("abcdefgh"), 20)) for _ in range(100)) + "\n")
    assert main(["-q", "train", "glove", str(corpus), "-o", "-", "--format", "glove", "--dim", "3",
                 "--min-count", "1", "--epochs", "2", "--no-cache"]) == 0
    out, err = capfd.readouterr()
    rows = [line.split() for line in out.splitlines()]
    assert sorted(r[0] for r in rows) == list("abcdefgh") and all(len(r) == 4 for r in rows), out
    assert "epoch" in err and "saved" in err
