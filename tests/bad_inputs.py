"""What bad input gets: a table of careless and hostile inputs run through the CLI.

Each scenario builds its files in a scratch folder, runs ``wordlab ARGS`` in-process (as the tests do)
and records the exit status and the first line of standard error. ``tests/test_bad_inputs.py`` asserts
every row (exit status as expected, one line, no traceback, nothing overwritten); run this file to print
the table that the README shows under "What bad input gets"::

    .venv/bin/python tests/bad_inputs.py            # a Markdown table on stdout
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
TEXT = "the quick brown fox jumps over the lazy dog .\n" * 40 + "a b c d e f g h i j k l m n o p .\n" * 40


@dataclass
class Scenario:
    """One bad input: ``make(dir) -> argv`` builds the files; ``code`` is the expected exit status."""

    name: str
    make: Callable[[Path], list[str]]
    code: int = 1
    stdin: str = ""
    keep: tuple[str, ...] = ()  # files (relative to the scratch folder) that must be unchanged afterwards
    tags: tuple[str, ...] = field(default_factory=tuple)
    check: Callable[[Path], bool] | None = None  # what must hold afterwards (e.g. a link is still a link)


def _corpus(d: Path, name: str = "c.txt") -> Path:
    p = d / name
    p.write_text(TEXT, encoding="utf-8")
    return p


def _vectors(d: Path, header: str | None = "3 2", rows: tuple[str, ...] = ("king 0.1 0.2", "queen 0.2 0.1",
                                                                          "man 0.3 0.3"), name: str = "v.txt") -> Path:
    p = d / name
    lines = ([header] if header is not None else []) + list(rows)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _garbage(d: Path, name: str, data: bytes) -> Path:
    p = d / name
    p.write_bytes(data)
    return p


def _link(d: Path, name: str, target: Path) -> Path:
    p = d / name
    p.symlink_to(target.name)
    return p


def _fifo_with_reader(d: Path, name: str = "out.fifo") -> Path:
    """A named pipe with a reader thread (so a write does not block); what it read lands in ``NAME.read``."""
    import threading

    p = d / name
    os.mkfifo(p)

    def read() -> None:
        with open(p, "rb") as f:
            data = f.read()  # until the writer closes
        part = d / f"{name}.read.part"
        part.write_bytes(data)
        os.replace(part, d / f"{name}.read")  # appears whole: the check never sees a half-written file

    threading.Thread(target=read, daemon=True).start()
    return p


def _fifo_ok(d: Path) -> bool:
    import stat
    import time

    deadline = time.monotonic() + 30  # the reader thread finishes once the writer closes (slow on a loaded machine)
    while not (d / "out.fifo.read").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return (stat.S_ISFIFO(os.lstat(d / "out.fifo").st_mode) and (d / "out.fifo.read").exists()
            and b'"words"' in (d / "out.fifo.read").read_bytes())


_TINY: dict[str, Path] = {}


def tiny_model(kind: str) -> Path:
    """A tiny trained language model (``"lm"``) or translator (``"translator"``), trained once per process
    through the CLI (a few seconds) and shared by every scenario and test that needs one."""
    if kind in _TINY and _TINY[kind].exists():
        return _TINY[kind]
    from wordlab.cli import main as cli

    d = Path(tempfile.mkdtemp(prefix="wordlab-tiny-"))
    if kind == "lm":
        text = _corpus(d)
        argv = ["lm", "train", "--train", str(text), "-o", str(d / "lm.pt"), "--epochs", "1", "--layers", "1",
                "--dim", "8", "--hidden", "8", "--dry-run", "2", "--batch-size", "4", "--bptt", "8"]
    else:
        pairs = d / "pairs.tsv"
        pairs.write_text("".join(f"{a} {b}\t{b} {a}\n" for a in "abcdefgh" for b in "ijklmnop"), encoding="utf-8")
        argv = ["seq2seq", "train", "--pairs", str(pairs), "-o", str(d / "translator.pt"), "--epochs", "1",
                "--dim", "8", "--hidden", "8", "--dry-run", "2"]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli(["-q", *argv])
    if code != 0:
        raise RuntimeError(f"training the tiny {kind} failed: {err.getvalue().strip()}")
    _TINY[kind] = d / ("lm.pt" if kind == "lm" else "translator.pt")
    return _TINY[kind]


def _fake_checkpoint(d: Path, name: str, payload: dict) -> Path:
    import torch

    p = d / name
    torch.save(payload, p)
    return p


SCENARIOS: list[Scenario] = [
    # -- output paths (hardening 1)
    Scenario("train word2vec: -o is the corpus", lambda d: ["train", "word2vec", str(_corpus(d)), "-o", str(d / "c.txt"),
                                                              "--epochs", "1", "--dim", "8"], keep=("c.txt",)),
    Scenario("train ppmi: -o is the corpus", lambda d: ["train", "ppmi", str(_corpus(d)), "-o", str(d / "c.txt"),
                                                          "--dim", "4", "--min-count", "1"], keep=("c.txt",)),
    Scenario("vocab: -o is the corpus", lambda d: ["vocab", str(_corpus(d)), "-o", str(d / "c.txt")], keep=("c.txt",)),
    Scenario("lm train: -o is the training text", lambda d: ["lm", "train", "--train", str(_corpus(d)), "-o",
                                                               str(d / "c.txt"), "--epochs", "1"], keep=("c.txt",)),
    Scenario("train word2vec: -o inside a file (not a directory)",
             lambda d: ["train", "word2vec", str(_corpus(d)), "-o", str(_corpus(d, "f")) + "/v.bin", "--epochs", "1"]),
    Scenario("lm train: -o is a directory", lambda d: ["lm", "train", "--train", str(_corpus(d)), "-o", str(d),
                                                         "--epochs", "1"]),
    Scenario("train word2vec: -o is a symlink to the corpus",
             lambda d: ["train", "word2vec", str(_corpus(d)), "-o", str(_link(d, "v.bin", d / "c.txt")), "--epochs",
                        "1"], keep=("c.txt",), check=lambda d: (d / "v.bin").is_symlink()),
    Scenario("vocab: -o is a symlink (its target is written, the link stays)",
             lambda d: ["vocab", str(_corpus(d)), "-o", str(_link(d, "link.json", _garbage(d, "t.json", b"old")))],
             code=0, check=lambda d: (d / "link.json").is_symlink() and b'"words"' in (d / "t.json").read_bytes()),
    Scenario("vocab: -o is a FIFO (written as a stream, not replaced)",
             lambda d: ["vocab", str(_corpus(d)), "-o", str(_fifo_with_reader(d))], code=0, check=_fifo_ok),
    Scenario("vocab: -o - writes the JSON to stdout", lambda d: ["vocab", str(_corpus(d)), "-o", "-"], code=0),
    Scenario("train word2vec: -o - (binary to stdout)",
             lambda d: ["train", "word2vec", str(_corpus(d)), "-o", "-", "--epochs", "1"]),
    Scenario("lm export-vectors: -o is the model", lambda d: ["lm", "export-vectors", str(_garbage(d, "m.pt", b"x")),
                                                                "-o", str(d / "m.pt")], keep=("m.pt",)),
    # -- sizes and numbers (hardening 2)
    Scenario("vectors header claims 10^12 rows", lambda d: ["similar", str(_vectors(d, "1000000000000 2")), "king"]),
    Scenario("vectors header claims 10^9 dims", lambda d: ["similar", str(_vectors(d, "3 1000000000")), "king"]),
    Scenario("train word2vec --dim 10000000", lambda d: ["train", "word2vec", str(_corpus(d)), "-o", str(d / "v.bin"),
                                                           "--dim", "10000000", "--min-count", "1"]),
    Scenario("train word2vec --dim 0", lambda d: ["train", "word2vec", str(_corpus(d)), "-o", str(d / "v.bin"),
                                                    "--dim", "0"], code=1),
    Scenario("train word2vec --negative 1000000", lambda d: ["train", "word2vec", str(_corpus(d)), "-o",
                                                               str(d / "v.bin"), "--negative", "1000000"]),
    Scenario("train word2vec --window 100000", lambda d: ["train", "word2vec", str(_corpus(d)), "-o",
                                                            str(d / "v.bin"), "--window", "100000"]),
    Scenario("train word2vec --lr inf", lambda d: ["train", "word2vec", str(_corpus(d)), "-o", str(d / "v.bin"),
                                                     "--lr", "inf"]),
    Scenario("train word2vec --lr nan", lambda d: ["train", "word2vec", str(_corpus(d)), "-o", str(d / "v.bin"),
                                                     "--lr", "nan"]),
    Scenario("lm train --hidden 100000", lambda d: ["lm", "train", "--train", str(_corpus(d)), "-o", str(d / "m.pt"),
                                                      "--hidden", "100000", "--epochs", "1"]),
    Scenario("lm train --max-minutes -1", lambda d: ["lm", "train", "--train", str(_corpus(d)), "-o",
                                                       str(d / "m.pt"), "--max-minutes", "-1"]),
    Scenario("lm train --checkpoint-every -5", lambda d: ["lm", "train", "--train", str(_corpus(d)), "-o",
                                                            str(d / "m.pt"), "--checkpoint-every", "-5"]),
    Scenario("lm train --dropout 1.5", lambda d: ["lm", "train", "--train", str(_corpus(d)), "-o", str(d / "m.pt"),
                                                    "--dropout", "1.5"]),
    Scenario("lm train --seed -1", lambda d: ["lm", "train", "--train", str(_corpus(d)), "-o", str(d / "m.pt"),
                                                "--seed", "-1"]),
    Scenario("lm train --lr nan", lambda d: ["lm", "train", "--train", str(_corpus(d)), "-o", str(d / "m.pt"),
                                               "--lr", "nan"]),
    Scenario("seq2seq train --hidden 100000", lambda d: ["seq2seq", "train", "--pairs", str(_pairs(d)), "-o",
                                                           str(d / "t.pt"), "--hidden", "100000"]),
    Scenario("train ppmi --window 100000", lambda d: ["train", "ppmi", str(_corpus(d)), "-o", str(d / "v.bin"),
                                                        "--window", "100000"]),
    Scenario("translate --beam 1000000", lambda d: ["translate", str(d / "m.pt"), "--beam", "1000000", "x"]),
    Scenario("translate --max-len 0", lambda d: ["translate", str(d / "m.pt"), "--max-len", "0", "x"]),
    Scenario("lm generate -n 10^9", lambda d: ["lm", "generate", str(d / "m.pt"), "-n", "1000000000"]),
    Scenario("lm generate --temperature inf", lambda d: ["lm", "generate", str(d / "m.pt"), "--temperature", "inf"]),
    Scenario("train word2vec --lr 1e30 (diverges)", lambda d: ["train", "word2vec", str(_corpus(d)), "-o",
                                                                 str(d / "v.bin"), "--lr", "1e30", "--min-count",
                                                                 "1", "--dim", "8", "--epochs", "1", "--sample", "0"]),
    Scenario("train glove --lr 1e30 (diverges)", lambda d: ["train", "glove", str(_corpus(d)), "-o", str(d / "g.txt"),
                                                              "--lr", "1e30", "--grad-clip", "1e30", "--min-count",
                                                              "1", "--dim", "4", "--epochs", "1"]),
    # -- non-finite values (hardening 3)
    Scenario("vectors file with nan", lambda d: ["similar", str(_vectors(d, rows=("king nan 0.2", "queen 0.2 0.1",
                                                                                   "man 0.3 0.3"))), "queen"]),
    Scenario("vectors file with inf", lambda d: ["analogy", str(_vectors(d, rows=("king inf 0.2", "queen 0.2 0.1",
                                                                                   "man 0.3 0.3"))), "man", "king",
                                                 "queen"]),
    # -- foreign / corrupt files (hardening 6)
    Scenario("checkpoint: random bytes", lambda d: ["lm", "generate", str(_garbage(d, "m.pt", os.urandom(300)))]),
    Scenario("checkpoint: empty file", lambda d: ["lm", "generate", str(_garbage(d, "m.pt", b""))]),
    Scenario("checkpoint: a plain dict without a format", lambda d: ["lm", "generate",
                                                                     str(_fake_checkpoint(d, "m.pt", {"a": 1}))]),
    Scenario("checkpoint: config of the wrong type",
             lambda d: ["lm", "generate", str(_fake_checkpoint(d, "m.pt", {
                 "format": "wordlab.checkpoint/1", "kind": "lm", "config": "not a dict", "vocab": None,
                 "state_dict": {}}))]),
    Scenario("checkpoint: hidden_size 200000 with small weights",
             lambda d: ["lm", "generate", str(_fake_checkpoint(d, "m.pt", {
                 "format": "wordlab.checkpoint/1", "kind": "lm",
                 "config": {"vocab_size": 10, "hidden_size": 200000}, "vocab": None, "state_dict": {}}))]),
    Scenario("word vectors given to lm generate", lambda d: ["lm", "generate", str(_vectors(d))]),
    Scenario("npz with wrong metadata", lambda d: ["similar", str(_bad_npz(d)), "king"]),
    # -- corpora
    Scenario("corpus: missing file", lambda d: ["vocab", str(d / "nope.txt")]),
    Scenario("corpus: empty file", lambda d: ["vocab", str(_garbage(d, "e.txt", b""))]),
    Scenario("corpus: not UTF-8", lambda d: ["vocab", str(_garbage(d, "l1.txt", "caf\xe9 au lait\n".encode("latin-1")))]),
    Scenario("corpus: plain text named .gz", lambda d: ["vocab", str(_garbage(d, "t.gz", b"plain text\n"))]),
    Scenario("corpus: truncated .gz", lambda d: ["vocab", str(_garbage(d, "t.gz", gzip.compress(TEXT.encode())[:60]))]),
    # -- things that should work (hardening 7, 9)
    Scenario("headerless GloVe text loads", lambda d: ["similar", str(_vectors(d, header=None)), "king", "--topn", "1"],
             code=0),
    Scenario("UTF-8 BOM is not part of the first word",
             lambda d: ["vocab", str(_garbage(d, "bom.txt", "\ufeffhello world hello\n".encode("utf-8"))),
                        "--min-count", "1", "--top", "1"], code=0),
    Scenario("query: dangling operator", lambda d: ["query", str(_vectors(d))], stdin="king + queen -\nquit\n", code=0),
    Scenario("seq2seq train --pairs date.txt --char (DLfS-2 layout detected)",
             lambda d: ["seq2seq", "train", "--pairs", str(_dates(d)), "--char", "-o", str(d / "t.pt"), "--epochs",
                        "1", "--dim", "4", "--hidden", "8", "--dry-run", "1"], code=0),
    Scenario("translate: options after the positionals",
             lambda d: ["translate", str(tiny_model("translator")), "--beam", "3", "a i"], code=0),
    Scenario("translate: a source word the model never saw", lambda d: ["translate", str(tiny_model("translator")),
                                                                        "a zzz"], code=0),
    Scenario("lm generate: a prompt word the model never saw",
             lambda d: ["lm", "generate", str(tiny_model("lm")), "--prompt", "the zzz", "-n", "3"], code=0),
]


def _pairs(d: Path) -> Path:
    p = d / "pairs.tsv"
    p.write_text("a b\tb a\n" * 20, encoding="utf-8")
    return p


def _dates(d: Path) -> Path:
    p = d / "date.txt"
    p.write_text("".join(f"{m} {day}, 19{y:02d}       _19{y:02d}-0{1 + day % 9}-{day:02d}\n"
                         for m, day, y in zip(["march", "june", "july", "may"] * 10, range(10, 50), range(40))),
                 encoding="utf-8")
    return p


def _bad_npz(d: Path) -> Path:
    import numpy as np

    p = d / "v.npz"
    with open(p, "wb") as f:
        np.savez(f, vectors=np.zeros((2, 3), dtype=np.float32), words=np.array(["a", "b", "c"]),
                 meta=np.array(json.dumps({"format": 12345})))
    return p


@dataclass
class Outcome:
    name: str
    code: int
    expected: int
    first_line: str
    lines: int
    traceback: bool
    kept: bool
    checked: bool = True


def run(s: Scenario, directory: Path) -> Outcome:
    """Run one scenario in ``directory``; never raises (an escaping exception is recorded as a traceback)."""
    from wordlab.cli import main

    argv = s.make(directory)
    before = {k: (directory / k).read_bytes() for k in s.keep if (directory / k).exists()}
    err, out = io.StringIO(), io.StringIO()
    traceback = False
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(s.stdin)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(["-q", *argv])
    except BaseException as e:  # noqa: BLE001 -- the point is to record it
        code, traceback = -1, True
        err.write(f"{type(e).__name__}: {e}\n")
    finally:
        sys.stdin = old_stdin
    text = err.getvalue()
    every = [ln for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in every if not ln.startswith("wordlab: warning")] or every  # a warning when nothing else
    if s.name.startswith("query"):  # the answers go to stdout; an error for the bad line too
        lines = [ln for ln in (text + out.getvalue()).splitlines() if "error" in ln.lower()] or lines
    kept = all((directory / k).read_bytes() == b for k, b in before.items())
    checked = s.check is None or bool(s.check(directory))
    return Outcome(s.name, code, s.code, lines[0] if lines else "", len(lines), traceback or "Traceback" in text, kept,
                   checked)


def main() -> int:
    rows = []
    for s in SCENARIOS:
        with tempfile.TemporaryDirectory() as tmp:
            o = run(s, Path(tmp))
        first = o.first_line.replace(tmp, "…").replace("|", "\\|")
        rows.append(f"| {o.name} | {o.code} | `{first[:160]}` |")
    print("| scenario | exit | first line on stderr |\n|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
