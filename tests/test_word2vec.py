"""word2vec: negative-sampling loss, kernel ≡ torch modules, sampling, training behaviour, files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from wordlab.errors import CheckpointError, ConfigError, DataError
from wordlab.layers.negative_sampling import EmbeddingDot, NegativeSamplingLoss
from wordlab.text import NoiseSampler
from wordlab.word2vec import CBOW, SkipGram, Word2Vec, Word2VecConfig
from wordlab.word2vec.fast_trainer import SamplingTables
from wordlab.word2vec.kernel import alias_table, cbow_update, draw_noise, sg_update, train_job


# ----------------------------------------------------------------------------- the loss layer
def test_negative_sampling_loss_value_and_gradcheck():
    torch.manual_seed(0)
    B, D, V, k = 4, 6, 10, 3
    emb = torch.nn.Embedding(V, D).double()
    loss_fn = NegativeSamplingLoss(emb, k=k, reduction="sum")
    h = torch.randn(B, D, dtype=torch.double, requires_grad=True)
    target = torch.tensor([1, 2, 3, 4])
    negs = torch.tensor([[5, 6, 7], [8, 9, 0], [1, 5, 9], [2, 2, 3]])
    mask = torch.tensor([[1.0, 1, 1], [1, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=torch.double)
    # the formula, by hand: -log σ(h·w_t) - Σ log σ(-h·w_n)
    W = emb.weight.detach().numpy()
    hn = h.detach().numpy()
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    expected = 0.0
    for b in range(B):
        expected -= np.log(sig(hn[b] @ W[target[b]]))
        for j in range(k):
            expected -= mask[b, j].item() * np.log(sig(-hn[b] @ W[negs[b, j]]))
    assert float(loss_fn(h, target, negs, mask).detach()) == pytest.approx(expected, rel=1e-12)

    def f(h_, w_):
        return torch.func.functional_call(loss_fn, {"dot.embed.weight": w_}, (h_, target, negs, mask))

    w = emb.weight.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(f, (h, w))


def test_embedding_dot_shapes():
    emb = torch.nn.Embedding(7, 3)
    dot = EmbeddingDot(emb)
    h = torch.randn(2, 3)
    assert dot(h, torch.tensor([1, 2])).shape == (2,)
    s = dot(h, torch.tensor([[1, 2, 3], [4, 5, 6]]))
    assert torch.allclose(s[1, 2], h[1] @ emb.weight[6])


def test_loss_draws_its_own_negatives_from_counts():
    """Without ``negatives`` the loss draws them from count**0.75 with its seed: the same value as passing those draws."""
    torch.manual_seed(0)
    emb = torch.nn.Embedding(5, 4)
    counts = np.array([5, 4, 3, 2, 1])
    loss_fn = NegativeSamplingLoss(emb, counts=counts, k=2, seed=0)
    h, target = torch.randn(3, 4), torch.tensor([0, 1, 2])
    drawn = torch.from_numpy(NoiseSampler(counts, 0.75, seed=0).sample((3, 2))).long()  # the same draws
    expected = NegativeSamplingLoss(emb, k=2)(h, target, drawn)
    assert float(loss_fn(h, target).detach()) == pytest.approx(float(expected.detach()), rel=1e-6)
    many = NoiseSampler(counts, 0.75, seed=1).sample(200_000)
    np.testing.assert_allclose(np.bincount(many, minlength=5) / many.size, counts**0.75 / (counts**0.75).sum(),
                               atol=0.005)


# ----------------------------------------------------------------------------- kernel ≡ torch
def _weights(V=30, D=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.3, (V, D)).astype(np.float32), rng.normal(0, 0.3, (V, D)).astype(np.float32)


def test_fast_sg_update_equals_torch_module_step():
    W_in, W_out = _weights()
    ctx = np.array([3, 5, 7, 5, 12], np.int32)  # a repeated context word too
    outs = np.array([2, 9, 11, 13], np.int32)  # centre word, then its shared negatives
    alpha = 0.05
    a_in, a_out = W_in.copy(), W_out.copy()
    m, K1, D = len(ctx), len(outs), W_in.shape[1]
    sg_update(a_in, a_out, ctx, m, outs, K1, np.float32(alpha), np.empty((10, D), np.float32),
              np.empty((6, D), np.float32), np.empty((10, 6), np.float32), False)
    model = SkipGram(*W_in.shape, W_in.copy(), W_out.copy())
    opt = torch.optim.SGD(model.parameters(), lr=alpha)
    loss = model(torch.from_numpy(ctx).long(), torch.full((m,), int(outs[0])),
                 torch.from_numpy(np.tile(outs[1:], (m, 1))).long())
    loss.backward()
    opt.step()
    assert not np.allclose(a_in, W_in) and not np.allclose(a_out, W_out)
    np.testing.assert_allclose(a_in, model.W_in.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a_out, model.W_out.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_fast_cbow_update_equals_torch_module_step():
    W_in, W_out = _weights(seed=1)
    ctx = np.array([4, 6, 8, 6], np.int32)
    outs = np.array([1, 20, 21, 22, 23, 24], np.int32)
    alpha = 0.05
    a_in, a_out = W_in.copy(), W_out.copy()
    D = W_in.shape[1]
    cbow_update(a_in, a_out, ctx, len(ctx), outs, len(outs), np.float32(alpha), np.empty(D, np.float32),
                np.empty(D, np.float32), False)
    model = CBOW(*W_in.shape, W_in.copy(), W_out.copy())
    opt = torch.optim.SGD(model.parameters(), lr=alpha)
    loss = model(torch.from_numpy(ctx).long()[None], torch.ones(1, len(ctx)), torch.tensor([int(outs[0])]),
                 torch.from_numpy(outs[1:]).long()[None])
    loss.backward()
    opt.step()
    np.testing.assert_allclose(a_in, model.W_in.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a_out, model.W_out.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_kernel_loss_matches_torch_loss():
    W_in, W_out = _weights(seed=2)
    ctx = np.array([3, 4], np.int32)
    outs = np.array([7, 8, 9], np.int32)
    D = W_in.shape[1]
    got = sg_update(W_in.copy(), W_out.copy(), ctx, 2, outs, 3, np.float32(0.0), np.empty((10, D), np.float32),
                    np.empty((6, D), np.float32), np.empty((10, 6), np.float32), True)
    model = SkipGram(*W_in.shape, W_in.copy(), W_out.copy())
    want = model(torch.tensor([3, 4]), torch.tensor([7, 7]), torch.tensor([[8, 9], [8, 9]]))
    assert got == pytest.approx(float(want.detach()), rel=1e-5)


# ----------------------------------------------------------------------------- sampling
def test_noise_draws_follow_unigram_to_the_075():
    counts = np.array([5000, 1200, 800, 300, 90, 40, 10, 3, 1], np.int64)
    p = counts ** 0.75 / (counts ** 0.75).sum()
    accept, alias = alias_table(p)
    draws = draw_noise(accept, alias, 200_000, 12345)
    observed = np.bincount(draws, minlength=len(counts))
    assert observed.sum() == 200_000
    result = stats.chisquare(observed, p * 200_000)
    assert result.pvalue > 1e-3
    # and a wrong exponent (1.0) is rejected by the same test
    p1 = counts / counts.sum()
    assert stats.chisquare(observed, p1 * 200_000).pvalue < 1e-10


def test_subsampling_probability_formula_and_kernel_rate():
    counts = np.array([9000, 700, 250, 50], np.int64)
    total = int(counts.sum())
    config = Word2VecConfig(sample=1e-2, min_count=1)
    tables = SamplingTables.build(counts, config)
    t = 1e-2 * total
    keep = np.minimum(1.0, (np.sqrt(counts / t) + 1) * t / counts)  # Mikolov et al. 2013b, C tool / gensim form
    np.testing.assert_allclose(tables.sample_int / 2.0**32, keep, rtol=1e-6)
    assert keep[-1] == 1.0 and keep[0] < 0.2
    # the kernel keeps each word with that probability: train with α=0 and count survivors
    rng = np.random.default_rng(0)
    ids = rng.choice(len(counts), size=200_000, p=counts / total).astype(np.int32)
    W_in, W_out = _weights(V=len(counts), D=4)
    eff, _, _ = train_job(W_in, W_out, ids, tables.sample_int, tables.accept, tables.alias, 1, 2, 2, 0.0, 0.0,
                          0, len(ids), 10_000, 7, 0, -1)
    expected = keep[ids].sum()
    assert abs(eff - expected) < 4 * np.sqrt(expected)


def test_subsampling_threshold_counts_retained_words_only():
    """t = sample x (retained words, <eos> excluded), as gensim's retain_total; pruned words do not count."""
    counts = np.array([5000, 9000, 700, 250], np.int64)  # id 0 plays <eos>
    config = Word2VecConfig(sample=1e-2, min_count=1)
    tables = SamplingTables.build(counts, config, eos=0)
    t = 1e-2 * int(counts[1:].sum())
    keep = np.minimum(1.0, (np.sqrt(counts[1:] / t) + 1) * t / counts[1:])
    np.testing.assert_allclose(tables.sample_int[1:] / 2.0**32, keep, rtol=1e-6)
    assert tables.noise[0] == 0.0


# ----------------------------------------------------------------------------- training
def _two_clusters(seed=0, runs=120, length=60):
    """Runs of words from cluster a* and from cluster b*, alternating: a word's context is its own cluster."""
    rng = np.random.default_rng(seed)
    a = [f"a{i}" for i in range(6)]
    b = [f"b{i}" for i in range(6)]
    return [list(rng.choice(a if r % 2 == 0 else b, size=length)) for r in range(runs)]


def _separation(model):
    kv = model.wv
    a = [kv.get_vector(f"a{i}", norm=True) for i in range(6)]
    b = [kv.get_vector(f"b{i}", norm=True) for i in range(6)]
    within = np.mean([x @ y for i, x in enumerate(a) for y in a[i + 1:]] + [x @ y for i, x in enumerate(b) for y in b[i + 1:]])
    between = np.mean([x @ y for x in a for y in b])
    return within, between


@pytest.mark.parametrize("trainer", ["fast", "torch"])
@pytest.mark.parametrize("sg", [0, 1])
def test_overfits_two_word_clusters(sg, trainer):
    model = Word2Vec(_two_clusters(), sg=sg, trainer=trainer, vector_size=16, window=3, negative=4, min_count=1,
                     sample=0, epochs=8, workers=1, alpha=0.05, batch_size=4, seed=3)
    within, between = _separation(model)
    assert within > 0.6 and between < within - 0.5, (within, between)
    assert np.isfinite(model.history[-1]["loss"]) and model.history[-1]["loss"] < model.history[0]["loss"]


@pytest.mark.parametrize("trainer", ["fast", "torch"])
def test_windows_stop_at_sentence_ends(trainer):
    """One-word sentences have no context at all: nothing is trained unless windows cross sentence ends."""
    sentences = [["x"], ["y"], ["z"]] * 200
    kw = dict(sg=1, trainer=trainer, vector_size=8, window=5, min_count=1, sample=0, epochs=2, workers=1)
    with_ends = Word2Vec(sentences, **kw)
    fresh = Word2Vec(**kw).build_vocab(sentences)
    assert with_ends.eos_id >= 0 and "<eos>" not in with_ends.wv and len(with_ends.wv) == 3
    assert np.array_equal(with_ends.W_in, fresh.W_in) and not with_ends.W_out.any()
    stream = Word2Vec([sum(sentences, [])], **kw)  # one long sentence: x, y, z are each other's context
    assert stream.W_out.any() and not np.array_equal(stream.W_in[:3], fresh.W_in[:3])


def test_one_worker_is_bit_reproducible_and_seed_matters():
    corpus = _two_clusters(seed=1)
    kw = dict(sg=1, vector_size=12, window=4, min_count=1, epochs=2, workers=1, sample=1e-2)
    a = Word2Vec(corpus, seed=5, **kw)
    b = Word2Vec(corpus, seed=5, **kw)
    c = Word2Vec(corpus, seed=6, **kw)
    assert np.array_equal(a.W_in, b.W_in) and np.array_equal(a.W_out, b.W_out)
    assert not np.array_equal(a.W_in, c.W_in)


def test_two_workers_train_too():
    model = Word2Vec(_two_clusters(runs=400), sg=0, vector_size=16, window=3, min_count=1, sample=0,
                     epochs=4, workers=2, alpha=0.05, batch_words=500)
    within, between = _separation(model)
    assert within > between + 0.4


def _alpha_of_kernel_step(alpha0, alpha1, word_offset, total_words):
    """The α the kernel used, read off one SGD step it takes on a two-word sentence.

    Sentence (a, b), window 1, one noise word that is always c, ``W_out`` zero: the first centre's
    step sets ``W_out[a] = (1 - σ(0)) α W_in[b] = α/2 · W_in[b]``, and no later step touches ``W_out[a]``.
    """
    rng = np.random.default_rng(0)
    W_in = rng.normal(0, 1, (3, 4)).astype(np.float32)
    W_out = np.zeros((3, 4), np.float32)
    accept, alias = alias_table(np.array([0.0, 0.0, 1.0]))
    keep_all = np.full(3, 2**32, np.int64)
    w_in_b = W_in[1].copy()
    train_job(W_in, W_out, np.array([0, 1], np.int32), keep_all, accept, alias, 1, 1, 1, alpha0, alpha1,
              word_offset, total_words, 100, 7, 0, -1)
    return float(np.mean(W_out[0] / w_in_b)) * 2


def test_kernel_alpha_is_linear_in_words_done():
    """α at a sentence is alpha - (alpha - min_alpha) * done/total (gensim's and the C tool's schedule)."""
    for done in (0, 250, 500, 750, 1000, 1500):
        expected = 0.1 - (0.1 - 0.002) * min(done / 1000, 1.0)
        assert _alpha_of_kernel_step(0.1, 0.002, done, 1000) == pytest.approx(expected, rel=1e-5), done


def test_learning_rate_decays_linearly_over_all_epochs(monkeypatch):
    """Every job is placed on one schedule over all epochs: offsets epoch*n + start, total epochs*n."""
    from wordlab.word2vec import kernel

    seen = []
    real = kernel.train_job

    def spy(*args):
        seen.append((args[11], args[12]))  # word_offset, total_words
        return real(*args)

    monkeypatch.setattr(kernel, "train_job", spy)
    corpus = [sum(_two_clusters(seed=2, runs=40), [])]  # one token stream of 2400 words
    m = Word2Vec(corpus, sg=1, vector_size=8, min_count=1, epochs=3, workers=1, batch_words=500, sample=0)
    n = len(m._ids)
    starts = list(range(0, n, 500))
    assert sorted(seen) == [(e * n + s, 3 * n) for e in range(3) for s in starts]


def test_incremental_vocabulary_keeps_old_vectors():
    first = [["x", "y", "z", "x", "y"] * 20]
    model = Word2Vec(first, sg=1, vector_size=10, min_count=2, epochs=1, workers=1)
    old_in, old_out, old_words = model.W_in.copy(), model.W_out.copy(), list(model.vocab.itos)
    more = [["x", "new1", "new2", "new1", "new2"] * 5 + ["rare"]]
    model.build_vocab(more, update=True)
    assert model.vocab.itos[:3] == old_words
    assert model.vocab.itos[3:] == ["new1", "new2"]  # "rare" (once) is under min_count=2
    assert np.array_equal(model.W_in[:3], old_in) and np.array_equal(model.W_out[:3], old_out)
    assert np.all(np.abs(model.W_in[3:]) <= 1.0 / 10) and np.all(model.W_in[3:] != 0)
    assert np.abs(model.W_in[3:]).max() > 0.5 / 10  # U(-1, 1)/dim, as gensim 4
    assert np.all(model.W_out[3:] == 0)
    assert model.vocab.counts[model.vocab.stoi["x"]] == old_counts_x(first) + 5
    model.train()
    assert not np.array_equal(model.W_in[3:], np.zeros_like(model.W_in[3:]))
    assert "new1" in model.wv and model.wv.most_similar("new1", topn=2)


def old_counts_x(corpus):
    return sum(s.count("x") for s in corpus)


def test_save_load_continue(tmp_path):
    corpus = _two_clusters(seed=4, runs=30)
    model = Word2Vec(corpus, sg=0, vector_size=8, min_count=1, epochs=1, workers=1)
    path = tmp_path / "m.npz"
    model.save(path)
    back = Word2Vec.load(path)
    assert back.config == model.config and back.vocab == model.vocab
    assert np.array_equal(back.W_in, model.W_in) and np.array_equal(back.W_out, model.W_out)
    back.set_corpus(corpus)
    back.train(epochs=1)
    assert not np.array_equal(back.W_in, model.W_in)


def test_resume_after_interruption_equals_uninterrupted_run(tmp_path):
    corpus = _two_clusters(seed=5, runs=30)
    kw = dict(sg=1, vector_size=8, min_count=1, epochs=3, workers=1, seed=9)
    full = Word2Vec(corpus, **kw)

    class Stop(Exception):
        pass

    def stop_after_two(stats):
        if stats["epoch"] == 2:
            raise Stop

    ckpt = tmp_path / "ckpt.npz"
    part = Word2Vec(**kw)
    part.build_vocab(corpus)
    with pytest.raises(Stop):
        part.train(checkpoint=ckpt, on_epoch=stop_after_two)
    back = Word2Vec.load(ckpt)
    assert back.state["epochs_done"] == 2 and back.state["epochs_total"] == 3
    back.set_corpus(corpus)
    back.train(resume=True)
    assert np.array_equal(back.W_in, full.W_in) and np.array_equal(back.W_out, full.W_out)


def test_load_rejects_other_files(tmp_path):
    bad = tmp_path / "x.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="x.npz"):
        Word2Vec.load(bad)
    np.savez(tmp_path / "y.npz", a=np.zeros(3))
    with pytest.raises(CheckpointError, match="y.npz"):
        Word2Vec.load(tmp_path / "y.npz")
    with pytest.raises(CheckpointError, match="no such"):
        Word2Vec.load(tmp_path / "missing.npz")


@pytest.mark.parametrize("kw, match", [
    (dict(negative=0), "hs=0 with negative=0 leaves nothing to train: pass --hs"),
    (dict(negative=-1), "negative must be >= 0"),
    (dict(hs=1, trainer="torch"), "torch trainer does negative sampling only"),
    (dict(window=0), "window must be >= 1"),
    (dict(sg=2), "sg must be"),
    (dict(min_alpha=1.0), "min_alpha"),
    (dict(trainer="gpu"), "trainer must be"),
    (dict(vector_size=0), "vector_size"),
])
def test_bad_settings_are_one_line_config_errors(kw, match):
    with pytest.raises(ConfigError, match=match) as e:
        Word2Vec(**kw)
    assert "\n" not in str(e.value)


def test_unknown_keyword_and_empty_vocabulary():
    with pytest.raises(ConfigError, match="unexpected keyword"):
        Word2Vec(size=100)
    with pytest.raises(DataError, match="min_count=50"):
        Word2Vec([["a", "b", "a"]], min_count=50)


def test_spread_jobs_keep_threads_on_distant_parts_and_alpha_on_words_trained():
    """``spread=True``: with 2 threads the jobs are taken alternately from the two halves of the text; the
    j-th job taken is placed at ``j * batch_words`` on the α schedule whichever chunk it is."""
    import threading

    from wordlab.word2vec.fast_trainer import spread_order, train_epoch_fast

    assert spread_order(10, 2) == [0, 5, 1, 6, 2, 7, 3, 8, 4, 9]
    assert spread_order(7, 3) == [0, 2, 4, 1, 3, 5, 6] and spread_order(4, 1) == [0, 1, 2, 3]
    step = 100
    ids = np.arange(10 * step, dtype=np.int32)
    cfg = Word2VecConfig(batch_words=step, workers=2)
    for spread, order in ((True, spread_order(10, 2)), (False, list(range(10)))):
        seen, lock = [], threading.Lock()

        def job(chunk, before, seed):
            with lock:
                seen.append((int(chunk[0]) // step, (before - 5000) // step))
            return len(chunk), 0.0, 0

        train_epoch_fast(None, None, ids, None, cfg, epoch=0, words_before=5000, total_words=10**6, workers=2,
                         job=job, spread=spread)
        assert sorted(seen, key=lambda x: x[1]) == [(order[j], j) for j in range(10)]
