"""``wordlab`` root and ``wordlab vocab``, in-process: output, and the bad-input table.

Every bad input must give exit status 1, one line on stderr that names the file and says
what is wrong, no traceback, and leave an existing ``-o`` file untouched. The table runs
twice: through the Python tokenizing path and through the compiled splitter.
"""

from __future__ import annotations

import bz2
import gzip
import json

import pytest

from wordlab import __version__
from wordlab.cli import main
from wordlab.text import Vocabulary, read_corpus
from wordlab.text import reader

KEEP = '{"precious": "old vocabulary"}'


@pytest.fixture(params=["python", "compiled"])
def split_path(request, monkeypatch):
    if request.param == "compiled":
        monkeypatch.setattr(reader, "COMPILED_MIN_BYTES", 0)
    return request.param


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- the bad-input table
def _missing(tmp):
    return [str(tmp / "missing.txt")], "missing.txt: no such file or directory"


def _empty(tmp):
    (tmp / "empty.txt").write_bytes(b"")
    return [str(tmp / "empty.txt")], "empty.txt: file is empty"


def _blank(tmp):
    (tmp / "blank.txt").write_text("  \n\t\n")
    return [str(tmp / "blank.txt")], "blank.txt: holds no tokens"


def _no_text_dir(tmp):
    d = tmp / "pictures"
    d.mkdir()
    (d / "cat.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    (d / "model.bin").write_bytes(b"\x00" * 10)
    return [str(d)], "pictures: directory holds no text files"


def _binary(tmp):
    (tmp / "weights.txt").write_bytes(bytes(range(256)) * 64)
    return [str(tmp / "weights.txt")], "weights.txt: looks like a binary file"


def _latin1(tmp):
    (tmp / "latin1.txt").write_bytes(b"the cafe " * 100 + "caf\xe9 na\xefve\n".encode("latin-1"))
    return [str(tmp / "latin1.txt")], "latin1.txt: invalid UTF-8 at byte offset 903 (byte 0xe9)"


def _under_min_count(tmp):
    (tmp / "rare.txt").write_text("every word here is rare\n")
    return [str(tmp / "rare.txt"), "--min-count", "2"], "rare.txt: no word occurs at least min_count=2 times"


def _truncated_gz(tmp):
    data = gzip.compress(("lorem ipsum dolor sit amet " * 20000).encode())
    (tmp / "cut.txt.gz").write_bytes(data[: len(data) // 2])
    return [str(tmp / "cut.txt.gz")], "cut.txt.gz: compressed stream is corrupt or ends early (truncated file?)"


def _truncated_bz2(tmp):
    data = bz2.compress(("lorem ipsum dolor sit amet " * 20000).encode())
    (tmp / "cut.txt.bz2").write_bytes(data[: len(data) // 2])
    return [str(tmp / "cut.txt.bz2")], "cut.txt.bz2: compressed stream is corrupt or ends early"


def _not_gzip(tmp):
    (tmp / "fake.gz").write_text("plain text pretending\n")
    return [str(tmp / "fake.gz")], "fake.gz: compressed stream is corrupt"


BAD_INPUTS = {
    "missing file": _missing,
    "empty file": _empty,
    "whitespace-only file": _blank,
    "directory without text files": _no_text_dir,
    "binary file": _binary,
    "non-UTF-8 bytes": _latin1,
    "every word under min_count": _under_min_count,
    "truncated .gz": _truncated_gz,
    "truncated .bz2": _truncated_bz2,
    "not gzip data in a .gz": _not_gzip,
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_table(tmp_path, capsys, split_path, case):
    args, expected = BAD_INPUTS[case](tmp_path)
    out_file = tmp_path / "vocab.json"
    out_file.write_text(KEEP)
    code, out, err = run(capsys, ["-q", "vocab", *args, "-o", str(out_file)])
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("wordlab: error: "), err
    assert expected in err, err
    assert "Traceback" not in err and out == ""
    assert out_file.read_text() == KEEP, "an existing output was overwritten"
    assert [p.name for p in tmp_path.glob(".vocab.json*")] == []  # no temp file left behind


def test_bad_input_with_progress_bar_still_has_no_traceback(tmp_path, capsys):
    args, expected = _binary(tmp_path)
    code, out, err = run(capsys, ["vocab", *args])
    last = err.rstrip().splitlines()[-1]
    assert code == 1 and last.startswith("wordlab: error: ") and expected in last
    assert "Traceback" not in err


def test_encoding_errors_replace_goes_on(tmp_path, capsys, split_path):
    args, _ = _latin1(tmp_path)
    out_file = tmp_path / "vocab.json"
    code, out, err = run(capsys, ["-q", "vocab", *args, "--encoding-errors", "replace", "-o", str(out_file),
                                  "--json", "--top", "3"])
    assert code == 0, err
    stats = json.loads(out)
    assert stats["tokens"] == 202 and stats["top"][0] == ["the", 100]
    vocab = Vocabulary.load(out_file)
    assert "caf\ufffd" in vocab and "na\ufffdve" in vocab


def test_bad_options_are_checked_before_reading(tmp_path, capsys):
    code, _, err = run(capsys, ["-q", "vocab", str(tmp_path / "missing.txt"), "--min-count", "0"])
    assert code == 1 and "--min-count must be >= 1" in err
    code, _, err = run(capsys, ["-q", "vocab", str(tmp_path / "missing.txt"), "--max-size", "3", "--specials"])
    assert code == 1 and "--max-size" in err


# ---------------------------------------------------------------- success
def test_vocab_on_the_shipped_corpus(text8_head, tmp_path, capsys):
    out_file = tmp_path / "out" / "vocab.json"
    code, out, err = run(capsys, ["-q", "vocab", str(text8_head), "--min-count", "5", "--top", "3",
                                  "-o", str(out_file)])
    assert code == 0, err
    assert "tokens      1,171,945" in out and "vocabulary  15,440 (min_count=5)" in out
    assert "coverage" in out and "the" in out
    saved = Vocabulary.load(out_file)
    assert saved == Vocabulary.build(read_corpus(text8_head).chunks(), min_count=5)


def test_vocab_json_output_and_specials(small_corpus, capsys):
    code, out, _ = run(capsys, ["-q", "vocab", str(small_corpus), "--json", "--specials", "--top", "2"])
    assert code == 0
    stats = json.loads(out)
    assert stats["tokens"] == 80 and stats["words"] == 7 and stats["vocabulary"] == 11
    assert stats["top"] == [["say", 20], ["you", 10]] and stats["coverage"] == 1.0


def test_vocab_eos_and_tokenizer_options(tmp_path, capsys):
    p = tmp_path / "t.txt"
    p.write_text("Hello, World!\nhello world\n")
    code, out, _ = run(capsys, ["-q", "vocab", str(p), "--tokenizer", "regex", "--eos", "--json"])
    stats = json.loads(out)
    assert code == 0 and stats["tokens"] == 8
    assert dict(map(tuple, stats["top"]))["<eos>"] == 2 and dict(map(tuple, stats["top"]))["hello"] == 2


# ---------------------------------------------------------------- root
def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "vocab" in out and "usage: wordlab" in out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"wordlab {__version__}"
    assert main(["vocab", "--help"]) == 0
    assert "--min-count" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["vocab"], ["no-such-verb"], ["vocab", "x.txt", "--min-count", "many"],
                                  ["vocab", "x.txt", "--tokenizer", "spacy"], ["--bogus-flag"]])
def test_usage_errors_exit_2(capsys, argv):
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: wordlab" in capsys.readouterr().err
