"""The continuous cache (Grave et al. 2017) in `lm eval`: against a naive loop, λ = 0 is the model, tuning, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from lm_fixtures import lm_model
from wordlab.errors import ConfigError
from wordlab.lm.cache import CacheConfig, ContinuousCache, cache_nll, materialise, tune_cache
from wordlab.lm.evaluate import text_chunks, text_nll
from wordlab.lm.transformer import TransformerLanguageModel, TransformerLMConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _transformer():
    torch.manual_seed(0)
    return TransformerLanguageModel(TransformerLMConfig(vocab_size=30, layers=1, dim=16, heads=2, context=8,
                                                        dropout=0.0, attn_dropout=0.0, emb_dropout=0.0)).eval()


def _naive(h, y, logp, size, theta, lam):
    """Position by position, one stream: the paper's formula with explicit sums."""
    total = 0.0
    for t in range(len(y)):
        past = range(max(0, t - size), t)
        p = math.exp(logp[t])
        if past:
            w = [math.exp(theta * float(h[t] @ h[i])) for i in past]
            pc = sum(wi for wi, i in zip(w, past) if y[i] == y[t]) / sum(w)
            p = (1 - lam) * p + lam * pc
        total -= math.log(p)
    return total


@pytest.mark.parametrize("chunk", [1, 5, 17])
def test_chunked_cache_equals_the_formula_position_by_position(chunk):
    g = torch.Generator().manual_seed(0)
    n, d = 60, 4
    h = torch.randn(2, n, d, generator=g)
    y = torch.randint(0, 6, (2, n), generator=g)
    logp = torch.log_softmax(torch.randn(2, n, 6, generator=g), -1).gather(-1, y[..., None])[..., 0]
    cfg = CacheConfig(size=7, theta=0.8, lam=0.3)
    chunks = [(h[:, a:a + chunk], y[:, a:a + chunk], logp[:, a:a + chunk]) for a in range(0, n, chunk)]
    total, count = cache_nll(chunks, cfg)
    want = sum(_naive(h[s].double(), y[s].tolist(), logp[s].tolist(), 7, 0.8, 0.3) for s in range(2))
    assert count == 2 * n and total == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("make", [lm_model, _transformer])
def test_lambda_zero_is_the_model_and_a_repeated_text_is_predicted_better(make):
    model = make().eval()
    ids = np.random.default_rng(3).integers(0, 30, 200)
    ids = np.concatenate([ids, ids, ids, ids])  # each of the 2 streams sees its text twice: what a cache is for
    base, n = text_nll(model, ids, batch_size=2, bptt=9)
    total0, n0 = cache_nll(text_chunks(model, ids, batch_size=2, bptt=9), CacheConfig(500, 0.3, 0.0))
    assert n0 == n and total0 == pytest.approx(base, rel=1e-5)
    if make is lm_model:
        return  # an untrained LSTM's states all point the same way: its cache gains nothing (a trained one: the CLI test)
    best, grid = tune_cache(materialise(text_chunks(model, ids, batch_size=2, bptt=9)), size=500,
                            thetas=(0.3, 3.0, 30.0))
    assert len(grid) == 27 and best.lam > 0
    tuned, _ = cache_nll(text_chunks(model, ids, batch_size=2, bptt=9), best)
    assert tuned < 0.9 * base  # the untrained Transformer (layer-normed states) gains from the repeats


def test_config_checks():
    for bad in (dict(size=0), dict(theta=0.0), dict(theta=float("nan")), dict(lam=1.5), dict(lam=-0.1)):
        with pytest.raises(ConfigError, match="--cache"):
            CacheConfig(**bad)
    ContinuousCache(CacheConfig(lam=1.0))  # all cache is allowed (the model only where the cache is empty)


def test_cli_eval_with_a_tuned_cache(tmp_path, capsys):
    from wordlab.cli import main

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    lines = [" ".join(rng.choice(words, 8)) for _ in range(60)]
    train = tmp_path / "train.txt"
    train.write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc = tmp_path / "doc.txt"  # a "document" that repeats its own lines
    doc.write_text("\n".join(lines[:10] * 3) + "\n", encoding="utf-8")
    out = tmp_path / "lm.pt"
    assert main(["-q", "lm", "train", "--train", str(train), "--layers", "1", "--dim", "16", "--hidden", "16",
                 "--epochs", "1", "--threads", "1", "--json", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["-q", "lm", "eval", str(out), "--text", str(doc), "--batch-size", "1", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["-q", "lm", "eval", str(out), "--text", str(doc), "--tune-cache", str(doc), "--cache-size", "100",
                 "--batch-size", "1", "--json"]) == 0
    cached = json.loads(capsys.readouterr().out)
    assert cached["cache"]["size"] == 100 and cached["cache"]["lambda"] > 0
    assert cached["word_perplexity"] < plain["word_perplexity"]
    alone = next(g for g in cached["cache_tuned_on"]["grid"] if g["lambda"] == 0)  # λ = 0 on the grid: the model
    assert alone["perplexity"] == pytest.approx(plain["perplexity"], rel=1e-5)
    assert len(cached["cache_tuned_on"]["grid"]) == 81
    assert main(["-q", "lm", "eval", str(out), "--text", str(doc), "--cache-size", "50", "--cache-lambda", "2"]) == 1
    assert "--cache-lambda must be in [0, 1]" in capsys.readouterr().err
