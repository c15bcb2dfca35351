"""``wordlab train word2vec`` in-process: outputs, neighbours, resume, one-line errors before any work."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from wordlab.cli import main
from wordlab.vectors import KeyedVectors
from wordlab.word2vec import Word2Vec


@pytest.fixture()
def text8_slice(tmp_path, text8_head):
    """The first 60k words of the shipped text8 head."""
    with gzip.open(text8_head, "rt", encoding="utf-8") as f:
        words = f.read(400_000).split()[:60_000]
    p = tmp_path / "slice.txt"
    p.write_text(" ".join(words) + "\n", encoding="utf-8")
    return p


@pytest.fixture()
def clusters(tmp_path):
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice([f"{c}{i}" for i in range(5)], size=50)) for _ in range(80) for c in "ab"]
    p = tmp_path / "clusters.txt"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_train_word2vec_writes_vectors_and_prints_neighbours(tmp_path, clusters, capsys):
    out = tmp_path / "vec.bin"
    rc = main(["-q", "train", "word2vec", str(clusters), "-o", str(out), "--sg", "--dim", "12", "--window", "3",
               "--min-count", "1", "--sample", "0", "--epochs", "3", "--workers", "1", "--show", "a1", "b2",
               "--analogy", "a1", "a2", "b1"])
    assert rc == 0
    text = capsys.readouterr().out
    kv = KeyedVectors.load(out)
    assert len(kv) == 10 and kv.vector_size == 12
    line = next(x for x in text.splitlines() if x.startswith("a1:"))
    assert line.count("(") == 5 and all(w.startswith("a") for w in [p.split()[0] for p in line[4:].split(", ")][:3])
    assert "a1 : a2 :: b1 :" in text and "skip-gram" in text


def test_text8_slice_cbow_with_model_and_resume(tmp_path, text8_slice, capsys):
    out, model = tmp_path / "v.txt", tmp_path / "m.npz"
    args = ["-q", "train", "word2vec", str(text8_slice), "-o", str(out), "--cbow", "--dim", "20", "--epochs", "2",
            "--workers", "2", "--save-model", str(model)]
    assert main(args) == 0
    m = Word2Vec.load(model)
    assert m.state == {"epochs_done": 2, "epochs_total": 2, "words_done": m.state["words_done"]}
    assert KeyedVectors.load(out).vector_size == 20
    # a finished run: --resume writes the vectors without training again
    assert main(args + ["--resume"]) == 0
    assert "already complete" in capsys.readouterr().out
    np.testing.assert_array_equal(Word2Vec.load(model).W_in, m.W_in)


def test_resume_continues_an_unfinished_checkpoint(tmp_path, clusters, capsys):
    model_path = tmp_path / "m.npz"
    m = Word2Vec(sg=1, vector_size=8, min_count=1, epochs=3, workers=1)
    m.build_vocab(str(clusters))

    class Stop(Exception):
        pass

    def stop(stats):
        raise Stop

    with pytest.raises(Stop):
        m.train(checkpoint=model_path, on_epoch=stop)
    rc = main(["-q", "train", "word2vec", str(clusters), "-o", str(tmp_path / "v.npz"), "--sg", "--dim", "8",
               "--min-count", "1", "--epochs", "3", "--workers", "1", "--save-model", str(model_path), "--resume"])
    assert rc == 0
    assert "1 of 3 epochs done" in capsys.readouterr().out
    assert Word2Vec.load(model_path).state["epochs_done"] == 3


@pytest.mark.parametrize("flags, message", [
    (["--negative", "0"], "hs=0 with negative=0 leaves nothing to train: pass --hs"),
    (["--negative", "0", "--no-hs"], "hs=0 with negative=0"),
    (["--window", "0"], "window must be >= 1"),
    (["--min-count", "100000"], "min_count=100000"),
    (["--dim", "0"], "vector_size must be >= 1"),
    (["--resume"], "--resume needs --save-model"),
])
def test_bad_flags_are_one_line_errors(tmp_path, clusters, capsys, flags, message):
    out = tmp_path / "never.bin"
    rc = main(["-q", "train", "word2vec", str(clusters), "-o", str(out)] + flags)
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("wordlab: error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_unknown_output_format_and_missing_corpus(tmp_path, clusters, capsys):
    assert main(["-q", "train", "word2vec", str(clusters), "-o", str(tmp_path / "v.pkl")]) == 1
    assert "unknown vector format" in capsys.readouterr().err
    assert main(["-q", "train", "word2vec", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "v.bin")]) == 1
    assert "no such file" in capsys.readouterr().err
