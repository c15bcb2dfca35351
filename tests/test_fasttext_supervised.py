"""Supervised fastText: the tool's .bin / .ftz predict the same here; wordlab's models train and load in the tool."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import oracle
import pytest

from wordlab import artifacts
from wordlab.errors import DataError
from wordlab.fasttext import FastTextClassifier, read_labelled
from wordlab.fasttext.hashing import EOS, ft_hash, word_ngram_buckets

DATA = Path(__file__).resolve().parent / "data" / "fasttext"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
SENTENCES = ["the anarchist movement in the city", "political philosophy of the state", "café in zürich"]


@pytest.mark.parametrize("name,key", [("tiny_sup.bin", "tiny_sup"), ("tiny_sup.ftz", "tiny_sup_ftz")])
def test_predictions_equal_the_tools(name, key):
    clf = artifacts.load(DATA / name)
    assert isinstance(clf, FastTextClassifier)
    labels, probs = clf.predict(SENTENCES, k=2)
    assert [list(x) for x in labels] == EXPECTED[key]["labels"]
    # the tool reports exp(log(p + 1e-5)), i.e. p + 1e-5
    np.testing.assert_allclose(np.array(probs) + 1e-5, EXPECTED[key]["probs"], atol=2e-6)


def test_quantized_model_is_pruned():
    clf = FastTextClassifier.load(DATA / "tiny_sup.ftz")
    assert clf.prune is not None and len(clf.words) < len(FastTextClassifier.load(DATA / "tiny_sup.bin").words)


def test_rows_follow_the_tools_get_line():
    clf = FastTextClassifier.load(DATA / "tiny_sup.bin")
    n, c = len(clf.words), clf.config
    rows = clf.rows_of(["the", "zzunseen"])
    hashes = [ft_hash(w) for w in ("the", "zzunseen", EOS)]
    bigrams = [n + b for b in word_ngram_buckets(hashes, 2, c.bucket)]
    assert rows[0] == clf.word_index["the"]
    assert rows[-2:] == bigrams  # the unseen word still counts in the bigrams, </s> too
    assert clf.word_index[EOS] in rows


def test_train_save_and_the_tool_agrees(tmp_path):
    texts, labels = read_labelled(DATA / "labelled.txt")
    clf, stats = FastTextClassifier.train(texts, labels, dim=10, bucket=2000, word_ngrams=2, epochs=25, lr=0.5)
    assert stats["labels"] == 2 and clf.test(texts, labels) >= 0.9
    out = tmp_path / "clf.bin"
    clf.save(out)
    back = FastTextClassifier.load(out)
    np.testing.assert_allclose(back.predict_proba(texts[:20]), clf.predict_proba(texts[:20]), rtol=1e-6)
    fasttext = oracle.require("fasttext")
    tool = fasttext.load_model(str(out))
    t_labels, t_probs = tool.predict(SENTENCES, k=2)
    labels_, probs = clf.predict(SENTENCES, k=2)
    assert [list(x) for x in t_labels] == [list(x) for x in labels_]
    np.testing.assert_allclose(np.array(t_probs), np.array(probs) + 1e-5, atol=2e-6)


def test_one_vs_all_and_multiple_labels():
    texts = [["good", "film"], ["bad", "film"], ["good", "and", "bad"]] * 20
    labels = [["pos"], ["neg"], ["pos", "neg"]] * 20
    clf, _ = FastTextClassifier.train(texts, labels, dim=8, loss="ova", epochs=30, lr=0.5)
    p = clf.predict_proba([["good", "and", "bad"]])[0]
    assert p.min() > 0.5 and p.sum() > 1.0  # independent sigmoids: both labels apply
    assert clf.predict("good film")[0][0] == "__label__pos"


def test_bad_input(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("__label__a some words\nno label here\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"x.txt:2: no label"):
        read_labelled(p)
    with pytest.raises(DataError, match="not a classifier"):
        FastTextClassifier.load(DATA / "tiny_sg.bin")


def test_classify_cli_arch_fasttext(tmp_path, capsys):
    from wordlab.cli import main

    out = tmp_path / "clf.bin"
    assert main(["-q", "classify", "train", "--arch", "fasttext", "--labelled", str(DATA / "labelled.txt"),
                 "-o", str(out), "--word-ngrams", "2", "--bucket", "2000", "--dim", "10", "--epochs", "20",
                 "--lr", "0.5"]) == 0
    assert "training accuracy" in capsys.readouterr().out
    assert main(["-q", "classify", "predict", str(out), "the anarchist state", "--json"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert line["label"] in ("politics", "other") and 0 < line["probability"] <= 1
    assert main(["-q", "classify", "predict", str(DATA / "tiny_sup.ftz"), "café in zürich"]) == 0
    assert capsys.readouterr().out.startswith("other\t")


def test_pretrained_vectors_set_every_words_row():
    """``vectors`` (the tool's -pretrainedVectors): a fastText model gives every word a row, OOV ones from n-grams."""
    from wordlab.artifacts import load_vectors
    from wordlab.errors import ConfigError
    from wordlab.fasttext.supervised import set_word_rows

    kv = load_vectors(DATA / "tiny_sg.bin")
    words = ["the", "anarchisms", "zzqx", EOS]
    W = np.zeros((len(words), 10), np.float32)
    assert set_word_rows(W, words, kv) == 3  # </s> keeps its row
    for i, w in enumerate(words[:3]):
        np.testing.assert_allclose(W[i], kv.get_vector(w), rtol=1e-6)
    assert not W[3].any()
    texts, labels = read_labelled(DATA / "labelled.txt")
    clf, stats = FastTextClassifier.train(texts, labels, dim=10, bucket=2000, word_ngrams=2, epochs=5, vectors=kv)
    assert stats["pretrained_words"] == len(clf.words) - 1
    with pytest.raises(ConfigError, match="dimension 10 but the classifier's dim is 8"):
        FastTextClassifier.train(texts, labels, dim=8, vectors=kv)


def test_classify_cli_arch_fasttext_vectors(tmp_path, capsys):
    from wordlab.cli import main

    assert main(["-q", "classify", "train", "--arch", "fasttext", "--labelled", str(DATA / "labelled.txt"),
                 "--folds", "2", "--vectors", str(DATA / "tiny_sg.bin"), "--dim", "10", "--bucket", "2000",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["config"]["pretrained_vectors"].endswith("tiny_sg.bin") and 0 <= report["cv"]["accuracy"] <= 1
