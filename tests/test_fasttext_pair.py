"""fastText skip-gram with the tool's per-pair update (``sg_update="pair"``): one step against NumPy, training, settings."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from wordlab.errors import ConfigError
from wordlab.fasttext import FastText, FastTextConfig
from wordlab.fasttext.kernel import _sg_pairs, row_gain

ROOT = Path(__file__).resolve().parents[1]
NUMBERS = "one two three four five six seven eight nine".split()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _tools_pairs(W_in, W_out, rows, ctx, negs, alpha):
    """``FastText::skipgram`` for one centre word, literally: for each context word, h = mean of the
    centre's rows *now*; the target and each noise word update their output rows with that h; then every
    entry of the centre's row list gets the pair's summed input gradient (a repeated row once per entry)."""
    W_in, W_out = W_in.astype(np.float64), W_out.astype(np.float64)
    for j, target in enumerate(ctx):
        h = W_in[rows].mean(0)
        e = np.zeros(W_in.shape[1])
        for o, label in [(target, 1.0)] + [(n, 0.0) for n in negs[j]]:
            g = alpha * (label - _sigmoid(h @ W_out[o]))
            e += g * W_out[o]
            W_out[o] += g * h
        for r in rows:
            W_in[r] += e
    return W_in, W_out


@pytest.mark.parametrize("rows", [[3, 11, 17], [3, 11, 17, 11, 11, 5]])  # the second repeats a row (gain 11/6)
def test_a_centre_words_pairs_are_the_tools_sgd_steps(rows):
    """The rows are written once per centre word with ``h`` moved by ``gain * e`` after each pair: the same
    weights as the tool's pair-by-pair writes, up to float32 rounding."""
    rng = np.random.default_rng(0)
    D = 6
    W_in, W_out = rng.normal(size=(20, D)).astype(np.float32), rng.normal(size=(8, D)).astype(np.float32)
    rows = np.array(rows, np.int32)
    ctx = np.array([1, 4, 1, 6], np.int32)  # a context word may come twice
    negs = np.array([[5, 2], [2, 2], [0, 7], [3, 5]], np.int32)  # a noise word may come twice in one pair
    alpha = 0.3
    want_in, want_out = _tools_pairs(W_in, W_out, rows, ctx, negs, alpha)
    offsets = np.array([0, len(rows)], np.int64)
    gain = row_gain(offsets, rows)
    counts = np.unique(rows, return_counts=True)[1]
    assert gain[0] == pytest.approx((counts ** 2).sum() / len(rows))
    no = (np.zeros((0, D), np.float32), np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8))
    _sg_pairs(W_in, W_out, rows, 0, len(rows), gain[0], ctx, len(ctx), negs, np.full(len(ctx), 2, np.int32), *no, 0,
              np.float32(alpha), np.empty(D, np.float32), np.empty(D, np.float32), np.empty(D, np.float32), False)
    assert np.abs(W_out - want_out).max() < 1e-5 and np.abs(W_in - want_in).max() < 1e-5


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
