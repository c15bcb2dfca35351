"""Tiny artifacts for the ``wordlab serve`` tests: vectors with a planted analogy, an LM, a translator with attention."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np

WORDS = [f"w{i}" for i in range(200)] + ["king", "queen", "man", "woman", "apple"]


def write_vectors(d: Path) -> tuple[Path, np.ndarray]:
    """``d/vecs.txt``: random 16-d vectors in word2vec text, queen = king - man + woman (+ a little)."""
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(len(WORDS), 16)).astype(np.float32)
    i = {w: k for k, w in enumerate(WORDS)}
    vecs[i["queen"]] = vecs[i["king"]] - vecs[i["man"]] + vecs[i["woman"]] + 0.01
    path = d / "vecs.txt"
    path.write_text(f"{len(WORDS)} 16\n" + "".join(w + " " + " ".join(f"{x:.5f}" for x in v) + "\n"
                                                  for w, v in zip(WORDS, vecs)), encoding="utf-8")
    return path, vecs


def train_translator(d: Path) -> Path:
    """A tiny attention translator (word order swapped), trained through the CLI for a few steps."""
    from wordlab.cli import main as cli

    pairs = d / "pairs.tsv"
    pairs.write_text("".join(f"{a} {b}\t{b} {a}\n" for a in "abcdefgh" for b in "ijklmnop"), encoding="utf-8")
    out = d / "translator.pt"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli(["-q", "seq2seq", "train", "--pairs", str(pairs), "-o", str(out), "--epochs", "2", "--dim", "8",
                    "--hidden", "16", "--attention", "dot", "--batch-size", "8"])
    if code != 0:
        raise RuntimeError(f"training the tiny translator failed: {err.getvalue().strip()}")
    return out
