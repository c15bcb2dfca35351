"""NBSVM (Wang & Manning 2012): n-gram keys, the NB ratio, the SVM solver against a direct minimisation,
multi-class, files, and ``classify train/predict/eval --arch nbsvm``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wordlab.classify.nbsvm import NBSVM, NBSVMConfig, SEP, _features, _svm, ngram_keys
from wordlab.errors import ConfigError, DataError

POS = ["good", "great", "witty", "gorgeous", "fun"]
NEG = ["bad", "dull", "boring", "awful", "tedious"]
FILL = ["the", "movie", "plot", "was", "a", "and", "film", "story", "very", "it"]


def toy(n=80, seed=0, lexicons=(NEG, POS)):
    g = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        y = i % len(lexicons)
        words = [str(w) for w in g.choice(FILL, size=g.integers(1, 8))]
        words.insert(int(g.integers(0, len(words) + 1)), str(g.choice(lexicons[y])))
        texts.append(words)
        labels.append(f"c{y}")
    return texts, labels


def test_ngram_keys_are_binarized_unigrams_and_bigrams():
    assert ngram_keys(["a", "b", "a", "b"], 2) == {"a", "b", f"a{SEP}b", f"b{SEP}a"}
    assert ngram_keys(["a", "b", "c"], 1) == {"a", "b", "c"}
    assert f"a{SEP}b{SEP}c" in ngram_keys(["a", "b", "c"], 3)


def _objective(X, y, C, w, b):
    m = np.maximum(0.0, 1.0 - y * (X @ w + b))
    return 0.5 * (w @ w + b * b) + C * (m @ m)


def test_svm_reaches_the_primal_minimum():
    """The dual coordinate descent's (w, b) has the primal objective of a direct L-BFGS minimisation."""
    from scipy import sparse
    from scipy.optimize import minimize

    g = np.random.default_rng(3)
    X = sparse.random(60, 25, density=0.2, random_state=4, format="csr")
    y = np.where(g.random(60) < 0.5, 1.0, -1.0)
    w, b = _svm(X, y, C=1.0, max_iter=5000)
    A = X.toarray()

    def f(t):
        return _objective(A, y, 1.0, t[:-1], t[-1])

    best = minimize(f, np.zeros(26), method="L-BFGS-B", options={"gtol": 1e-10, "maxiter": 10000})
    assert f(np.append(w, b)) == pytest.approx(best.fun, rel=2e-3)


def test_nb_ratio_and_interpolation():
    texts = [["good"], ["good", "film"], ["bad"], ["bad", "film"]]
    labels = ["pos", "pos", "neg", "neg"]
    m = NBSVM.train(texts, labels, interpolation=1.0)
    i = {g: k for k, g in enumerate(m.ngrams)}
    # positive class = labels[1] = "pos"; p = 1 + counts in pos, q = 1 + counts in neg
    p = np.array([3.0, 2.0, 1.0]), np.array([1.0, 2.0, 3.0])  # good, film, bad
    want = np.log(p[0] / p[0].sum()) - np.log(p[1] / p[1].sum())
    np.testing.assert_allclose(m.r[0, [i["good"], i["film"], i["bad"]]], want)
    assert m.labels == ["neg", "pos"] and m.predict([["good"], ["bad"]])[0] == ["pos", "neg"]
    half = NBSVM.train(texts, labels, interpolation=0.0)  # w' = mean |w| everywhere
    assert np.allclose(half.w, half.w[0, 0])


def test_learns_and_generalises_two_and_three_classes():
    tr, yt = toy(200, 0)
    te, ye = toy(100, 1)
    assert NBSVM.train(tr, yt).test(te, ye) >= 0.95
    three = (NEG, POS, ["meh", "okay", "fine"])
    tr, yt = toy(240, 2, three)
    te, ye = toy(90, 3, three)
    m = NBSVM.train(tr, yt)
    assert m.r.shape[0] == 3 and m.test(te, ye) >= 0.9
    labels, conf = m.predict([["the", "okay", "film"]])
    assert labels == ["c2"] and 0.0 < conf[0] < 1.0  # one-vs-rest: the winning score may be negative


def test_save_load_and_registry(tmp_path):
    from wordlab import artifacts

    tr, yt = toy(60)
    m = NBSVM.train(tr, yt)
    out = tmp_path / "m.npz"
    m.save(out)
    assert artifacts.detect(out).name == "nbsvm"
    back = artifacts.load(out)
    np.testing.assert_array_equal(back.decision_function(tr), m.decision_function(tr))
    bad = tmp_path / "bad.npz"
    np.savez(bad, meta=np.frombuffer(json.dumps({"format": "wordlab.nbsvm/1", "config": {}, "labels": ["a", "b"],
                                                  "ngrams": ["x"]}).encode(), np.uint8),
             r=np.zeros((1, 2)), w=np.zeros((1, 2)), b=np.zeros(1))
    with pytest.raises(DataError, match="do not fit 1 n-grams"):
        NBSVM.load(bad)


def test_bad_config_and_data():
    with pytest.raises(ConfigError, match="interpolation"):
        NBSVMConfig(interpolation=1.5)
    with pytest.raises(ConfigError, match="svm_c"):
        NBSVMConfig(svm_c=0)
    with pytest.raises(DataError, match="at least two labels"):
        NBSVM.train([["a"], ["b"]], ["x", "x"])
    X = _features([["unseen", "words"]], {"a": 0}, 2)
    assert X.shape == (1, 1) and X.nnz == 0


def test_classify_cli_arch_nbsvm(tmp_path, capsys):
    from wordlab.cli import main

    pos, neg = tmp_path / "pos.txt", tmp_path / "neg.txt"
    tr, yt = toy(120)
    pos.write_text("".join(" ".join(t) + "\n" for t, y in zip(tr, yt) if y == "c1"), encoding="utf-8")
    neg.write_text("".join(" ".join(t) + "\n" for t, y in zip(tr, yt) if y == "c0"), encoding="utf-8")
    out = tmp_path / "nb.npz"
    assert main(["-q", "classify", "train", "--arch", "nbsvm", "--pos", str(pos), "--neg", str(neg),
                 "--word-ngrams", "2", "--folds", "3", "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["config"]["word_ngrams"] == 2 and report["cv"]["accuracy"] >= 0.9
    assert main(["-q", "classify", "predict", str(out), "The plot was WITTY !", "--json"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert line["label"] == "pos" and 0.5 < line["confidence"] <= 1
    assert main(["-q", "classify", "eval", str(out), "--pos", str(pos), "--neg", str(neg), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] >= 0.95
