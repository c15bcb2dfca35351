"""Streaming output: `lm generate` prints each word as it is drawn, `translate` answers stdin line by line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from wordlab.checkpoint import save_checkpoint
from wordlab.cli import main
from wordlab.errors import DataError
from wordlab.lm import LMConfig, RNNLanguageModel, generate, render, stream_text, stream_words
from wordlab.lm.generate import text_pieces
from wordlab.seq2seq import DataConfig, Seq2Seq, Seq2SeqConfig, Translator, build_vocabs
from wordlab.text import EOS, UNK, Vocabulary

from wordlab.cli.streaming import line_batches

pytestmark = pytest.mark.usefixtures("one_torch_thread")
ROOT = Path(__file__).resolve().parents[1]


def _lm(V=30):
    torch.manual_seed(0)
    model = RNNLanguageModel(LMConfig(vocab_size=V, layers=1, emb_size=8, hidden_size=8, dropout=0.0,
                                      emb_dropout=0.0, tie_weights=False, init_range=0.5))
    vocab = Vocabulary([UNK, EOS] + [f"w{i}" for i in range(V - 2)])
    return model, vocab


@pytest.fixture
def lm_file(tmp_path):
    model, vocab = _lm()
    path = tmp_path / "lm.pt"
    save_checkpoint(path, kind="lm", config=model.config, state_dict=model.state_dict(), vocab=vocab)
    return path, model, vocab


class Recorder(io.StringIO):
    """stdout that records what had been written at each flush."""

    def __init__(self):
        super().__init__()
        self.flushed = []

    def flush(self):
        self.flushed.append(self.getvalue())


def test_lm_generate_flushes_every_word(lm_file, monkeypatch):
    path, model, vocab = lm_file
    out = Recorder()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["-q", "lm", "generate", str(path), "--prompt", "w1 w2", "-n", "20", "--seed", "4"]) == 0
    words = generate(model, vocab, "w1 w2", max_tokens=20, seed=4)
    assert out.getvalue() == "w1 w2 " + render(words) + "\n"
    # one flush for the prompt, then one per word: the text grows word by word
    assert out.flushed[0] == "w1 w2 "
    pieces = list(text_pieces(words))
    assert out.flushed[1:21] == ["w1 w2 " + "".join(pieces[:k]) for k in range(1, 21)]


def test_stop_strings_cut_the_text_and_end_generation(lm_file, capsys):
    path, model, vocab = lm_file
    words = generate(model, vocab, "w1", max_tokens=40, seed=1)
    text = render(words)
    stop = text.split()[5]  # a word that does occur
    cut = text[:text.index(stop)]
    assert "".join(stream_text(model, vocab, "w1", max_tokens=40, seed=1, stop=(stop,))) == cut
    # generate() stops at the word completing the stop string (included)
    got = generate(model, vocab, "w1", max_tokens=40, seed=1, stop=(stop,))
    assert got == words[:len(got)] and stop in render(got) and stop not in render(got[:-1])
    assert main(["-q", "lm", "generate", str(path), "-n", "40", "--seed", "1", "--prompt", "w1", "--stop", stop]) == 0
    assert capsys.readouterr().out == "w1 " + cut + ("\n" if not cut.endswith("\n") else "")


def test_stream_words_is_lazy_and_validates_at_the_call(lm_file):
    _, model, vocab = lm_file
    from wordlab.errors import ConfigError

    with pytest.raises(ConfigError, match="banned"):
        stream_words(model, vocab, "w1", banned=("nope",))  # raised before any word is asked for
    it = stream_words(model, vocab, "w1", max_tokens=5, seed=0)
    assert [next(it) for _ in range(5)] == generate(model, vocab, "w1", max_tokens=5, seed=0)
    assert "".join(text_pieces(["a", EOS, "b", "c", EOS])) == render(["a", EOS, "b", "c", EOS]) + "\n"


# ------------------------------------------------------------------ translate


def test_line_batches_do_not_wait_for_more_input():
    r, w = os.pipe()
    reader = os.fdopen(r, "rb", buffering=0)
    batches = line_batches(reader)
    os.write(w, "un\ndeux\n".encode())
    got = []
    t = threading.Thread(target=lambda: got.append(next(batches)))
    t.start()
    t.join(10)
    assert got == [["un", "deux"]]  # answered while the writer is still open
    os.write(w, b"\ntrois")        # a blank line, then a last line without a line break
    os.close(w)
    assert [line for b in batches for line in b] == ["", "trois"]
    r2, w2 = os.pipe()
    os.write(w2, b"ok\ncaf\xe9\n")
    os.close(w2)
    with pytest.raises(DataError, match=r"<stdin>:2: not UTF-8"):
        list(line_batches(os.fdopen(r2, "rb", buffering=0)))
    assert list(line_batches(io.StringIO("a\nb\n\n"), max_batch=2)) == [["a", "b"], [""]]


@pytest.fixture
def translator_file(tmp_path):
    pairs = [(s.split(), t.split()) for s, t in [("a b", "x y"), ("b", "y"), ("a", "x")]]
    src, tgt = build_vocabs(pairs)
    torch.manual_seed(0)
    tr = Translator(Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=4, hidden=8, attention="dot")).eval(), src, tgt,
                    DataConfig())
    path = tmp_path / "s2s.pt"
    tr.save(path)
    return path, tr


def test_translate_keeps_blank_lines_aligned(translator_file, monkeypatch, capsys):
    path, tr = translator_file
    monkeypatch.setattr(sys, "stdin", io.StringIO("a b\n\n  \nb\n"))
    assert main(["-q", "translate", str(path), "--scores"]) == 0
    out = capsys.readouterr().out.split("\n")
    assert len(out) == 5 and out[1] == out[2] == "" and out[4] == ""  # 4 answers + the final line break
    want = tr.translate(["a b", "b"])
    assert out[0] == f"{want[0].text}\t{want[0].score:.3f}" and out[3] == f"{want[1].text}\t{want[1].score:.3f}"
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["-q", "translate", str(path)]) == 1


@pytest.mark.slow  # a fresh interpreter imports torch and the CLI: ~5 s alone, a minute on a loaded machine
def test_translate_answers_each_line_before_the_next_arrives(translator_file):
    path, tr = translator_file
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "wordlab.cli", "-q", "translate", str(path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        answers = []
        for line in ("a b", "", "b"):
            proc.stdin.write((line + "\n").encode())
            proc.stdin.flush()
            answers.append(proc.stdout.readline().decode().rstrip("\n"))  # stdin still open: must not block
        proc.stdin.close()
        assert proc.wait(60) == 0, proc.stderr.read().decode()
    finally:
        proc.kill()
    assert answers == [t.text for t in tr.translate(["a b"])] + [""] + [t.text for t in tr.translate(["b"])]
