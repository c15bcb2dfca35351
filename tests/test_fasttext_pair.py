"""fastText skip-gram with the tool's per-pair update (``sg_update="pair"``): one step against NumPy, training, settings."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from wordlab.errors import ConfigError
from wordlab.fasttext import FastText, FastTextConfig
from wordlab.fasttext.kernel import _sg_pair

ROOT = Path(__file__).resolve().parents[1]
NUMBERS = "one two three four five six seven eight nine".split()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_one_pair_is_the_tools_sgd_step():
    """``FastText::skipgram`` for one pair: h = mean of the centre's rows; the target and each noise word
    update their output rows with the old h; every centre row gets the summed input gradient."""
    rng = np.random.default_rng(0)
    W_in, W_out = rng.normal(size=(20, 6)).astype(np.float32), rng.normal(size=(8, 6)).astype(np.float32)
    rows = np.array([3, 11, 17], np.int32)
    negs = np.array([5, 2], np.int32)
    alpha, target = 0.1, 1
    h = W_in[rows].mean(0)
    e = np.zeros(6)
    out = W_out.copy()
    for o, label in ((target, 1.0), (5, 0.0), (2, 0.0)):
        g = alpha * (label - _sigmoid(h @ out[o]))
        e += g * out[o]
        out[o] += g * h
    want_in = W_in.copy()
    want_in[rows] += e
    no = (np.zeros((0, 6), np.float32), np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8))
    _sg_pair(W_in, W_out, rows, 0, 3, target, negs, 2, no[0], no[1], no[2], no[3], 0, np.float32(alpha),
             np.empty(6, np.float32), np.empty(6, np.float32), False)
    assert np.allclose(W_out, out, atol=1e-5) and np.allclose(W_in, want_in, atol=1e-5)


@pytest.mark.parametrize("hs", [0, 1])
def test_pair_updates_learn(hs):
    with gzip.open(ROOT / "corpora" / "text8-head.gz", "rt", encoding="utf-8") as f:
        tokens = f.read(1_200_000).split()[:150_000]
    sentences = [tokens[i:i + 1000] for i in range(0, len(tokens), 1000)]
    kw = dict(sg=1, sg_update="pair", hs=hs, negative=0 if hs else 5, vector_size=32, epochs=2, workers=2,
              min_count=5, seed=1, progress=False, cache_dir=False, bucket=50_000, sample=1e-4, alpha=0.05)
    untrained = FastText(**kw).build_vocab(sentences)
    m = FastText(sentences, **kw)
    near = lambda kv: np.mean([any(w in NUMBERS for w, _ in kv.most_similar(n, topn=5)) for n in NUMBERS])  # noqa
    assert np.isfinite(m.history[-1]["loss"]) and near(untrained.wv) < 0.5 and near(m.wv) >= 7 / 9


def test_sg_update_is_checked():
    with pytest.raises(ConfigError, match="sg_update must be window or pair"):
        FastTextConfig(sg_update="pairs")


def test_a_one_word_vocabulary_does_not_hang():
    """Fresh noise words are never the context word; with no other word the draws give up (bounded)."""
    m = FastText([["a"] * 20] * 5, sg=1, sg_update="pair", min_count=1, vector_size=4, bucket=50, epochs=1,
                 workers=1, progress=False, cache_dir=False)
    assert np.isfinite(m.W_in).all()
