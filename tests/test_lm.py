"""RNN language model: batching, model, perplexity against naive computations, generation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from wordlab.errors import ConfigError
from wordlab.layers.recurrent import LockedDropout, detach_state
from wordlab.decoding import SamplingConfig, sample
from wordlab.lm import LMConfig, RNNLanguageModel, batchify, bptt_windows, generate, nll, perplexity
from wordlab.text import EOS, UNK, Vocabulary


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model(cell="lstm", V=30, E=12, H=16, layers=2, tie=False, dropout=0.0, seed=0):
    torch.manual_seed(seed)
    return RNNLanguageModel(LMConfig(vocab_size=V, cell=cell, layers=layers, emb_size=E, hidden_size=H,
                                     dropout=dropout, emb_dropout=dropout, tie_weights=tie, init_range=0.3))


def _vocab(V=30):
    words = [UNK, EOS] + [f"w{i}" for i in range(V - 2)]
    return Vocabulary(words, np.arange(V, 0, -1), specials=(UNK, EOS))


def test_batchify_and_bptt_windows_follow_the_diagram():
    ids = np.arange(26)  # a..z
    data = batchify(ids, 4)
    assert data.shape == (4, 6) and data[1].tolist() == [6, 7, 8, 9, 10, 11]  # g..l, trailing y z dropped
    wins = list(bptt_windows(data, 2))
    assert len(wins) == 3  # targets 1..5 in windows of 2, 2, 1
    x, y = wins[0]
    assert x.tolist()[0] == [0, 1] and y.tolist()[0] == [1, 2]
    x, y = wins[-1]
    assert x.shape == (4, 1) and y.tolist()[0] == [5]
    assert [w[0].tolist() for w in bptt_windows(data, 2, start=1)] == [w[0].tolist() for w in wins[1:]]


def test_locked_dropout_shares_the_mask_over_time():
    drop = LockedDropout(0.5).train()
    torch.manual_seed(0)
    y = drop(torch.ones(3, 7, 5))
    zero = y == 0
    assert zero.any() and (zero == zero[:, :1]).all()  # same mask at every step
    assert set(y.unique().tolist()) <= {0.0, 2.0}
    assert torch.equal(drop.eval()(torch.ones(3, 7, 5)), torch.ones(3, 7, 5))
    # time-major (T, B, H): one mask per sequence, shared over the first axis, different across the batch
    tm = LockedDropout(0.5, batch_first=False).train()
    y = tm(torch.ones(7, 16, 5))
    zero = y == 0
    assert (zero == zero[:1]).all() and not (zero == zero[:, :1]).all()


def test_model_is_time_major_inside_with_batch_first_interface():
    """Logits (B, T, V) equal a per-sequence run, and are a view of a contiguous (T, B, V) tensor."""
    torch.manual_seed(0)
    model = RNNLanguageModel(LMConfig(vocab_size=30, emb_size=8, hidden_size=8, layers=2, dropout=0.0,
                                      emb_dropout=0.0)).eval()
    ids = torch.randint(0, 30, (3, 6))
    logits, _ = model(ids)
    assert logits.shape == (3, 6, 30) and logits.transpose(0, 1).is_contiguous()
    for b in range(3):
        one, _ = model(ids[b:b + 1])
        assert torch.allclose(one[0], logits[b], atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_overfits_one_batch(cell):
    model = _model(cell, V=20, E=16, H=24, layers=2)
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 20, (4, 10), generator=g)
    y = torch.randint(0, 20, (4, 10), generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    first = None
    for _ in range(80):
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, 20), y.reshape(-1))
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert first > 2.5 and loss.item() < 0.1, (first, loss.item())


def test_weight_tying_and_projection():
    m = _model(E=12, H=12, tie=True)
    assert m.decoder.weight is m.embedding.weight and m.proj is None
    p = _model(E=8, H=16, tie=True)
    assert p.decoder.weight is p.embedding.weight and p.proj.weight.shape == (8, 16)
    untied = _model(E=12, H=12)
    assert untied.num_parameters() - m.num_parameters() == 30 * 12
    logits, state = p(torch.zeros(2, 3, dtype=torch.long))
    assert logits.shape == (2, 3, 30) and state[0][0].shape == (1, 2, 16)


def test_bad_config():
    with pytest.raises(ConfigError, match="cell"):
        LMConfig(vocab_size=10, cell="transformer")
    with pytest.raises(ConfigError, match="dropout"):
        LMConfig(vocab_size=10, dropout=1.0)


def test_uniform_model_perplexity_is_vocab_size():
    model = _model(V=37)
    with torch.no_grad():
        model.decoder.weight.zero_()
        model.decoder.bias.zero_()
    ids = np.random.default_rng(0).integers(0, 37, 500)
    assert perplexity(model, ids, batch_size=3, bptt=11) == pytest.approx(37.0, rel=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("batch_size", [1, 3])
def test_perplexity_matches_naive_per_token_loop(cell, batch_size):
    model = _model(cell, V=25).eval()
    ids = np.random.default_rng(1).integers(0, 25, 301)
    total, count = nll(model, ids, batch_size=batch_size, bptt=7)
    # naive: each stream token by token, the state carried over the whole stream
    streams = batchify(ids, batch_size)
    naive, n = 0.0, 0
    with torch.no_grad():
        for row in streams:
            state = None
            for t in range(len(row) - 1):
                logits, state = model(row[t].view(1, 1), state)
                naive -= torch.log_softmax(logits[0, 0].double(), -1)[row[t + 1]].item()
                n += 1
    assert count == n == (301 // batch_size - 1) * batch_size
    assert total == pytest.approx(naive, rel=1e-5)
    assert perplexity(model, ids, batch_size=batch_size, bptt=7) == pytest.approx(math.exp(naive / n), rel=1e-5)


def test_state_is_carried_between_windows():
    model = _model().eval()
    ids = np.random.default_rng(2).integers(0, 30, 200)
    with torch.no_grad():
        logits_full, _ = model(torch.as_tensor(ids[None, :100]))
        a, s = model(torch.as_tensor(ids[None, :60]))
        b, _ = model(torch.as_tensor(ids[None, 60:100]), detach_state(s))
    assert torch.allclose(torch.cat([a, b], 1), logits_full, atol=1e-5)


# sampling filters on fixed logits (top-p mask, filter_logits, the fast distribution): tests/test_decoding.py


def test_top_k_1_equals_greedy_and_seeded_sampling_is_reproducible():
    model, vocab = _model(), _vocab()
    greedy = generate(model, vocab, "w1 w2", max_tokens=25, greedy=True)
    top1 = generate(model, vocab, "w1 w2", max_tokens=25, top_k=1, seed=5)
    assert greedy == top1 and len(greedy) == 25
    a = generate(model, vocab, "w1", max_tokens=40, temperature=1.5, top_p=0.95, seed=7)
    b = generate(model, vocab, "w1", max_tokens=40, temperature=1.5, top_p=0.95, seed=7)
    c = generate(model, vocab, "w1", max_tokens=40, temperature=1.5, top_p=0.95, seed=8)
    assert a == b and a != c


def test_incremental_generation_equals_full_recomputation():
    model = _model("gru")
    cfg = SamplingConfig(max_tokens=15, greedy=True)
    out = sample(model, [3, 4, 5], cfg)
    seq = [3, 4, 5]
    with torch.no_grad():
        for _ in range(15):  # recompute the whole prefix at every step
            logits, _ = model(torch.tensor([seq]))
            seq.append(int(logits[0, -1].argmax()))
    assert out == seq[3:]


def test_unk_is_never_sampled_unless_asked_and_bans_hold():
    model, vocab = _model(), _vocab()
    with torch.no_grad():
        model.decoder.bias[vocab[UNK]] = 8.0  # <unk> dominates
        model.decoder.bias[vocab["w0"]] = 7.0
    out = generate(model, vocab, "w3", max_tokens=100, seed=0)
    assert UNK not in out and "w0" in out
    out = generate(model, vocab, "w3", max_tokens=100, seed=0, banned=("w0",))
    assert UNK not in out and "w0" not in out
    assert UNK in generate(model, vocab, "w3", max_tokens=50, seed=0, allow_unk=True)
    with pytest.raises(ConfigError, match="banned"):
        generate(model, vocab, "w3", banned=("nope",))


def test_stop_at_eos_and_empty_prompt():
    model, vocab = _model(), _vocab()
    with torch.no_grad():
        model.decoder.bias[vocab[EOS]] = 5.0
    out = generate(model, vocab, "", max_tokens=50, seed=1, stop_at_eos=True)
    assert out[-1] == EOS and EOS not in out[:-1] and len(out) < 50


def test_export_keyed_vectors():
    from wordlab.lm import embeddings_to_keyed_vectors

    model, vocab = _model(), _vocab()
    kv = embeddings_to_keyed_vectors(model, vocab)
    assert len(kv) == 30 and kv.vector_size == 12
    assert np.allclose(kv["w5"], model.embedding.weight[vocab["w5"]].detach().numpy())


def test_int8_generation_stays_close_to_fp32():
    model = _model(V=30, E=16, H=16)
    q = __import__("wordlab.lm", fromlist=["quantize_int8"]).quantize_int8(model)
    x = torch.randint(0, 30, (2, 9), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = torch.log_softmax(model(x)[0], -1), torch.log_softmax(q(x)[0], -1)
    assert (a - b).abs().max() < 0.05
    assert len(generate(q, _vocab(), "w1", max_tokens=10, seed=0)) == 10


@pytest.mark.parametrize("variational", [True, False])
def test_init_state_equals_none_state(variational):
    torch.manual_seed(0)
    model = RNNLanguageModel(LMConfig(vocab_size=20, layers=3, emb_size=8, hidden_size=8, dropout=0.3,
                                      variational=variational)).eval()
    x = torch.randint(0, 20, (2, 5))
    with torch.no_grad():
        assert torch.equal(model(x)[0], model(x, model.init_state(2))[0])
    assert len(model.rnns) == (3 if variational else 1)


def test_time_budget_stop_mid_epoch_then_resume_equals_uninterrupted(tmp_path):
    """`--max-minutes` cuts an epoch short; `--resume` finishes that epoch, as if never stopped."""
    from dataclasses import replace

    from wordlab.lm import LMTask
    from wordlab.training import TrainConfig, fit

    ids = np.random.default_rng(0).integers(0, 30, 3000)
    cfg = TrainConfig(epochs=2, optimizer="adam", lr=0.01, schedule="cosine", seed=2, monitor="valid_loss")

    def run(out, c, resume=False):
        model = _model(dropout=0.2)
        task = LMTask(ids, ids[:500], batch_size=4, bptt=10, lstm=True)
        res = fit(model, task, c, out=out, kind="lm", model_config=model.config, resume=resume, progress=False)
        return model, res

    full, ref = run(tmp_path / "a.pt", cfg)
    _, cut = run(tmp_path / "b.pt", replace(cfg, max_minutes=1e-9))
    assert cut.stopped == "time_budget" and cut.history[-1]["partial"] and cut.history[-1]["steps"] == 1
    resumed, res = run(tmp_path / "b.pt", cfg, resume=True)
    assert [r["valid_loss"] for r in res.history] == [r["valid_loss"] for r in ref.history]
    assert all(torch.equal(a, b) for a, b in zip(full.state_dict().values(), resumed.state_dict().values()))
