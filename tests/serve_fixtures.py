"""Tiny artifacts for the ``wordlab serve`` tests: vectors with a planted analogy, an LM, a translator with
attention, a classifier (each trained once per process)."""

from __future__ import annotations

import contextlib
from typing import Iterator

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


SENTENCES = [f"{s} {v} {o} ." for s in ("the cat", "a dog", "the king", "the queen", "a man", "a woman")
             for v in ("sees", "likes", "follows", "finds") for o in ("the bird", "a fox", "the house", "an apple")]


_CACHE: dict[str, Path] = {}


def cached(name: str, d: Path) -> Path:
    """``train_lm`` / ``train_translator`` once per process (the API and browser tests share them)."""
    if name not in _CACHE or not _CACHE[name].exists():
        _CACHE[name] = {"lm": train_lm, "translator": train_translator, "classifier": train_classifier}[name](d)
    return _CACHE[name]


def train_lm(d: Path, epochs: int = 4) -> Path:
    """A tiny LSTM language model on a toy grammar, trained in-process; ``d/lm.pt`` + ``d/lm.history.json``."""
    import torch

    from wordlab.lm import LMConfig, LMTask, RNNLanguageModel
    from wordlab.text import EOS, UNK, Vocabulary
    from wordlab.training import TrainConfig, fit

    words = sorted({w for s in SENTENCES for w in s.split()})
    vocab = Vocabulary([UNK, EOS, *words], np.ones(len(words) + 2, dtype=np.int64), specials=(UNK, EOS))
    rng = np.random.default_rng(0)
    text = [SENTENCES[i] for i in rng.integers(0, len(SENTENCES), 300)]
    ids = np.array([vocab.stoi[w] for s in text for w in s.split() + [EOS]], dtype=np.int64)
    torch.manual_seed(0)
    model = RNNLanguageModel(LMConfig(vocab_size=len(vocab), cell="lstm", layers=1, emb_size=16, hidden_size=32,
                                      dropout=0.0, emb_dropout=0.0, tie_weights=False))
    out = d / "lm.pt"
    fit(model, LMTask(ids, ids[:300], batch_size=8, bptt=12, lstm=True),
        TrainConfig(epochs=epochs, optimizer="adam", lr=0.01, seed=0, monitor="valid_loss"), out=out, kind="lm",
        model_config=model.config, vocab=vocab, progress=False)
    return out


def train_translator(d: Path, epochs: int = 40) -> Path:
    """A tiny attention translator (word order reversed), trained in-process; ``d/translator.pt`` + history."""
    import json

    import torch

    from wordlab.loop import history_path
    from wordlab.seq2seq import DataConfig, Seq2Seq, Seq2SeqConfig, Seq2SeqTask, Translator, build_vocabs
    from wordlab.seq2seq.data import encode_pairs
    from wordlab.training import TrainConfig, fit

    pairs = [(f"{a} {b} {c}".split(), f"{c} {b} {a}".split()) for a, b, c in
             ("aij", "bik", "cjl", "djk", "ekl", "fli", "ajk", "bjl", "cki", "dlj", "eij", "fkj")]
    src, tgt = build_vocabs(pairs)
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=16, hidden=32, attention="additive"))
    res = fit(model, Seq2SeqTask(encode_pairs(pairs, src, tgt), batch_size=4, seed=0),
              TrainConfig(epochs=epochs, lr=0.02, clip=5.0), progress=False)
    out = d / "translator.pt"
    Translator(model, src, tgt, DataConfig()).save(out)
    history_path(out).write_text(json.dumps(res.history), encoding="utf-8")
    return out


def train_classifier(d: Path) -> Path:
    """A tiny pos/neg sentence classifier (TextCNN), trained through the CLI for a few epochs."""
    import contextlib
    import io

    from wordlab.cli import main as cli

    g = np.random.default_rng(0)
    fill = ["the", "film", "is", "a", "movie", "plot", "and", "very"]
    for name, lex in (("pos", ["good", "great", "fun"]), ("neg", ["bad", "dull", "awful"])):
        lines = [" ".join([*g.choice(fill, 3), str(g.choice(lex))]) for _ in range(30)]
        (d / f"c.{name}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = d / "clf.pt"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli(["-q", "classify", "train", "--pos", str(d / "c.pos"), "--neg", str(d / "c.neg"), "--epochs", "6",
                    "--optimizer", "adam", "--lr", "0.01", "--dim", "16", "--maps", "8", "--widths", "2,3",
                    "--batch-size", "10", "--threads", "1", "-o", str(out)])
    if code != 0:
        raise RuntimeError(f"training the tiny classifier failed: {err.getvalue().strip()}")
    return out


@contextlib.contextmanager
def running_server(app, timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yields its base URL, stops it after."""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.monotonic() + timeout
    while not srv.started:
        if time.monotonic() > deadline or not th.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        th.join(10)
