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
]


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
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("wordlab: warning")]
    if s.name.startswith("query"):  # the answers go to stdout; an error for the bad line too
        lines = [ln for ln in (text + out.getvalue()).splitlines() if "error" in ln.lower()] or lines
    kept = all((directory / k).read_bytes() == b for k, b in before.items())
    return Outcome(s.name, code, s.code, lines[0] if lines else "", len(lines), traceback or "Traceback" in text, kept)


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
