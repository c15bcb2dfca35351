"""word2vec sampling helpers: subsampling keep-probability and the unigram^0.75 noise sampler."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from wordlab.errors import ConfigError
from wordlab.text import NoiseSampler, cum_table, keep_probability, noise_distribution

from oracle import require


@pytest.fixture(scope="module")
def gensim_model():
    """gensim's own vocabulary pass on a Zipf-distributed corpus with clearly frequent words."""
    gensim = require("gensim.models")  # the oracle: required under CI=true
    rng = np.random.default_rng(0)
    ids = np.minimum(rng.zipf(1.5, size=60000), 400)
    sentences = [[f"w{i}" for i in ids[k:k + 50]] for k in range(0, len(ids), 50)]
    model = gensim.Word2Vec(vector_size=8, min_count=2, sample=1e-3, negative=5, ns_exponent=0.75, workers=1)
    model.build_vocab(sentences)
    return model


def test_keep_probability_equals_gensim(gensim_model):
    wv = gensim_model.wv
    counts = np.array([wv.get_vecattr(w, "count") for w in wv.index_to_key], dtype=np.int64)
    gensim_keep = np.array([wv.get_vecattr(w, "sample_int") for w in wv.index_to_key], dtype=np.float64) / (2**32 - 1)
    ours = keep_probability(counts, 1e-3)  # total = retained words, as gensim's prepare_vocab
    assert ours.dtype == np.float32
    assert (ours < 1).sum() >= 5, "the corpus should have words that get subsampled"
    np.testing.assert_allclose(ours, gensim_keep, atol=1e-6)


def test_keep_probability_is_mikolovs_formula_written_independently():
    counts = np.array([500_000, 20_000, 1_000, 10, 0])
    total, sample = 1_000_000, 1e-4
    f = counts / total
    with np.errstate(divide="ignore"):
        expected = np.minimum(1.0, np.sqrt(sample / f) + sample / f)  # (sqrt(f/s) + 1) * s/f
    expected[counts == 0] = 1.0
    np.testing.assert_allclose(keep_probability(counts, sample, total_words=total), expected, rtol=1e-6)
    assert keep_probability(counts, 0.0).tolist() == [1.0] * 5
    with pytest.raises(ConfigError):
        keep_probability(counts, -1e-3)


def test_cum_table_equals_gensim(gensim_model):
    wv = gensim_model.wv
    counts = np.array([wv.get_vecattr(w, "count") for w in wv.index_to_key], dtype=np.int64)
    ours = cum_table(counts, 0.75)
    assert ours.dtype == np.uint32 and ours[-1] == 2**31 - 1
    assert np.abs(ours.astype(np.int64) - gensim_model.cum_table.astype(np.int64)).max() <= 1


def test_noise_distribution():
    counts = np.array([16, 1, 0, 81])
    p = noise_distribution(counts, 0.75)
    np.testing.assert_allclose(p, np.array([8, 1, 0, 27]) / 36)
    with pytest.raises(ConfigError):
        noise_distribution(np.zeros(3))


def chi2_pvalue(draws: np.ndarray, probs: np.ndarray) -> float:
    observed = np.bincount(draws.ravel(), minlength=len(probs))
    keep = probs > 0
    assert observed[~keep].sum() == 0
    return stats.chisquare(observed[keep], probs[keep] / probs[keep].sum() * draws.size).pvalue


def test_noise_sampler_frequencies_follow_unigram_to_the_075():
    rng = np.random.default_rng(1)
    counts = np.sort(rng.zipf(1.4, size=200))[::-1].astype(np.int64)
    counts[[5, 50]] = 0  # e.g. specials: never drawn
    sampler = NoiseSampler(counts, power=0.75, seed=123)
    draws = sampler.sample((400, 1000))
    assert draws.shape == (400, 1000) and draws.dtype == np.int64
    assert draws.min() >= 0 and draws.max() < len(counts)
    p = counts.astype(float) ** 0.75
    assert chi2_pvalue(draws, p / p.sum()) > 1e-3
    # the test has power: the same draws reject the plain unigram distribution
    assert chi2_pvalue(draws, counts / counts.sum()) < 1e-12


def test_noise_sampler_is_reproducible_by_seed():
    counts = np.array([100, 50, 10, 1])
    a = NoiseSampler(counts, seed=7).sample(1000)
    assert np.array_equal(a, NoiseSampler(counts, seed=7).sample(1000))
    assert not np.array_equal(a, NoiseSampler(counts, seed=8).sample(1000))
