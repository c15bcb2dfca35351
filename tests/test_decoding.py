"""wordlab.decoding: sampling filters, streaming, stop tokens/strings, greedy/beam search, state reordering.

The searches are tested on the RNN LM, the seq2seq models and a toy model whose state is its token
history (a stand-in for a KV cache), so nothing here relies on RNN state.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from wordlab.decoding import (SamplingConfig, StepModel, beam_search, cut_at_stops, filter_logits, greedy_search,
                              next_token_distribution, sample, search, stream, top_p_mask, translate_batch)
from wordlab.decoding.sampling import draw
from wordlab.errors import ConfigError
from wordlab.limits import allow_over_limits
from wordlab.lm import LMConfig, RNNLanguageModel
from wordlab.seq2seq import Seq2Seq, Seq2SeqConfig, build_vocabs, encode_pairs
from wordlab.seq2seq.data import make_batch

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class HistoryModel(torch.nn.Module):
    """Toy step model: the state is the (B, t) token history, logits a fixed function of it."""

    def __init__(self, V: int = 5, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.W = torch.nn.Parameter(torch.randn(V, V, generator=g) * 2)
        self.U = torch.nn.Parameter(torch.randn(V, V, generator=g) * 2)
        self.V, self.calls = V, 0

    def step(self, tokens, state):
        self.calls += 1
        hist = tokens if state is None else torch.cat([state, tokens], 1)  # (B, t)
        return self.W[hist[:, -1]] + self.U[hist.sum(1) % self.V], hist   # (B, V)

    def reorder_state(self, state, index):
        return None if state is None else state.index_select(0, index)


class FixedLogits(torch.nn.Module):
    """Step model that always returns the same logits and counts its steps."""

    def __init__(self, logits) -> None:
        super().__init__()
        self.logits = torch.as_tensor(logits, dtype=torch.float32)
        self.calls = 0

    def step(self, tokens, state):
        self.calls += 1
        return self.logits.expand(tokens.size(0), -1), state

    def reorder_state(self, state, index):
        return state


def test_models_implement_the_protocol():
    lm = RNNLanguageModel(LMConfig(vocab_size=7, emb_size=4, hidden_size=4, layers=1))
    s2s = Seq2Seq(Seq2SeqConfig(6, 6, emb=4, hidden=4))
    for m in (lm, s2s, HistoryModel()):
        assert isinstance(m, StepModel)


# ------------------------------------------------------------------ sampling filters on fixed logits


def test_top_p_mask_is_the_smallest_set_with_enough_mass():
    g = torch.Generator().manual_seed(0)
    for trial in range(50):
        probs = torch.softmax(torch.randn(40, generator=g) * 3, -1)
        assert top_p_mask(probs, 1.0).all()
        for p in (0.05, 0.3, 0.5, 0.9, 0.99):
            order = sorted(range(40), key=lambda i: -probs[i].item())
            kept, mass = set(), 0.0
            for i in order:  # naive: add the most probable words until the mass reaches p
                kept.add(i)
                mass += probs[i].item()
                if mass >= p:
                    break
            mask = top_p_mask(probs, p)
            got = set(torch.nonzero(mask).flatten().tolist())
            assert got == kept, (trial, p)


def test_filter_logits_against_naive():
    logits = torch.tensor([2.0, -1.0, 0.5, 3.0, -2.0, 1.0])
    cfg = SamplingConfig(temperature=0.5, top_k=4, repetition_penalty=2.0)
    out = filter_logits(logits, cfg, banned_ids=[3], context=[0, 1, 1])
    naive = [2.0 / 2, -1.0 * 2, 0.5, float("-inf"), -2.0, 1.0]  # penalty on 0 and 1, id 3 banned
    naive = [v / 0.5 for v in naive]
    kth = sorted(naive, reverse=True)[3]
    naive = [v if v >= kth else float("-inf") for v in naive]
    assert out.tolist() == pytest.approx(naive)


@pytest.mark.parametrize("opts", [dict(top_p=0.8), dict(top_k=7), dict(top_k=12, top_p=0.6, temperature=0.7),
                                  dict(repetition_penalty=1.8, temperature=1.3), dict()])
def test_sampling_distribution_is_softmax_of_filtered_logits(opts):
    logits = torch.randn(50, generator=torch.Generator().manual_seed(3)) * 2
    cfg = SamplingConfig(**opts)
    ref = torch.softmax(filter_logits(logits, cfg, banned_ids=[2, 5], context=[1, 4, 4]), -1)
    probs, ids = next_token_distribution(logits, cfg, torch.tensor([2, 5]), [1, 4, 4])
    got = torch.zeros(50).index_put_((ids,), probs)
    assert torch.allclose(got, ref, atol=1e-6)


def test_draw_follows_the_distribution_and_never_picks_zero_mass():
    probs = torch.tensor([0.5, 0.0, 0.2, 0.3, 0.0])
    g = torch.Generator().manual_seed(0)
    counts = np.bincount([draw(probs, g) for _ in range(20000)], minlength=5)
    assert counts[1] == counts[4] == 0
    assert np.allclose(counts / 20000, probs.numpy(), atol=0.015)


def test_sampling_respects_top_k_top_p_and_bans():
    logits = torch.tensor([3.0, 2.9, 2.8, 0.0, -1.0, 2.7])
    m = FixedLogits(logits)
    # top-k 2: only the two largest; banning the largest moves the pair down
    got = set(sample(m, [0], SamplingConfig(max_tokens=300, top_k=2, seed=0)))
    assert got == {0, 1}
    got = set(sample(m, [0], SamplingConfig(max_tokens=300, top_k=2, seed=0), banned=[0]))
    assert got == {1, 2}
    # top-p 0.5 keeps the smallest prefix with mass >= 0.5: ids 0, 1 (p ≈ 0.29, 0.26)
    probs = torch.softmax(logits, -1)
    assert probs[0] < 0.5 < probs[0] + probs[1]
    assert set(sample(m, [0], SamplingConfig(max_tokens=300, top_p=0.5, seed=1))) == {0, 1}
    # plain sampling reaches everything not banned
    assert set(sample(m, [0], SamplingConfig(max_tokens=2000, seed=2), banned=[3])) == {0, 1, 2, 4, 5}


def test_repetition_penalty_changes_the_greedy_choice():
    m = FixedLogits([2.0, 1.9, 0.5])
    assert sample(m, [2], SamplingConfig(max_tokens=3, greedy=True)) == [0, 0, 0]
    # θ = 1.5: after 0 is used, its logit 2 → 1.33 < 1.9, then 1 is used too (1.9 → 1.27 < 1.33)
    assert sample(m, [2], SamplingConfig(max_tokens=3, greedy=True, repetition_penalty=1.5)) == [0, 1, 0]


def test_stop_token_is_yielded_last_and_ends_the_stream():
    m = FixedLogits([0.0, 5.0, 0.0])
    assert sample(m, [0], SamplingConfig(max_tokens=10, greedy=True), stop_ids=[1]) == [1]
    assert sample(m, [0], SamplingConfig(max_tokens=4, greedy=True)) == [1, 1, 1, 1]
    assert m.calls == 1 + 4  # one prefill per run, then one step per token except the last
    assert sample(m, [0], SamplingConfig(max_tokens=0)) == []


def test_stream_is_lazy_one_step_per_token():
    m = HistoryModel()
    gen = stream(m, [1, 2, 3], SamplingConfig(max_tokens=50, seed=0))
    assert m.calls == 0
    first = next(gen)
    assert m.calls == 1 and 0 <= first < m.V  # the prompt is read in one step (prefill)
    for k in range(5):
        next(gen)
        assert m.calls == k + 2
    gen.close()
    assert m.calls == 6  # closing stops the model


def test_stream_restores_the_training_flag_and_refuses_an_empty_context():
    m = HistoryModel().train()
    gen = stream(m, [1], SamplingConfig(max_tokens=5, seed=0))
    next(gen)
    assert not m.training
    gen.close()
    assert m.training
    with pytest.raises(ConfigError, match="context"):
        sample(m, [], SamplingConfig())


@pytest.mark.parametrize("bad", [dict(temperature=0), dict(top_p=0), dict(top_k=-1), dict(repetition_penalty=0.5),
                                 dict(max_tokens=-1), dict(max_tokens=10**7), dict(temperature=float("nan")),
                                 dict(stop=("",))])
def test_sampling_config_validation(bad):
    with pytest.raises(ConfigError):
        SamplingConfig(**bad)


def test_cut_at_stops_streams_and_holds_back_only_a_possible_match():
    def pieces(parts, seen):
        for p in parts:
            seen.append(p)
            yield p

    seen = []
    out = list(cut_at_stops(pieces(["the", " end", " of", " it"], seen), ["end of"]))
    assert "".join(out) == "the " and seen == ["the", " end", " of"]  # the source is not read further
    # nothing is held back when no stop string can start at the end of the text
    it = cut_at_stops(iter(["abc", "xyz"]), ["q!"])
    assert next(it) == "abc"
    # a partial match that fails is released
    assert "".join(cut_at_stops(iter(["a", "b", "d", "abc"]), ["abc"])) == "abd"
    assert "".join(cut_at_stops(iter(["x\n", "\ny"]), ["\n\n"])) == "x"
    assert list(cut_at_stops(iter(["a", "b"]), [])) == ["a", "b"]
    assert "".join(cut_at_stops(iter(["ab", "c"]), ["zz", "bc"])) == "a"


# ------------------------------------------------------------------ reorder_state


def test_lm_reorder_state_gathers_rows():
    torch.manual_seed(0)
    for cell in ("lstm", "gru"):
        m = RNNLanguageModel(LMConfig(vocab_size=11, cell=cell, emb_size=6, hidden_size=8, layers=2,
                                      dropout=0.0, emb_dropout=0.0)).eval()
        x = torch.randint(0, 11, (3, 5))
        with torch.no_grad():
            _, state = m.step(x, None)
            idx = torch.tensor([2, 0, 0, 1])
            got, _ = m.step(torch.tensor([[4], [5], [6], [7]]), m.reorder_state(state, idx))
            for row, i in enumerate(idx.tolist()):  # each row alone, from its own prompt
                ref, _ = m.step(torch.cat([x[i:i + 1], torch.tensor([[4 + row]])], 1), None)
                torch.testing.assert_close(got[row], ref[0], atol=1e-5, rtol=1e-5)
        assert m.reorder_state(None, idx) is None


TOY = [("a b c", "x y z"), ("b a", "y x"), ("c c a", "z z x"), ("a", "x"), ("b c b a", "y z y x"),
       ("c b", "z y"), ("a a b", "x x y"), ("c", "z")]


def _toy():
    pairs = [(s.split(), t.split()) for s, t in TOY]
    src, tgt = build_vocabs(pairs)
    return pairs, src, tgt, encode_pairs(pairs, src, tgt)


@pytest.mark.parametrize("opts", [dict(attention="additive", peeky=True), dict(attention="dot", cell="gru"), dict()])
def test_seq2seq_reorder_state_keeps_memory_per_sentence_and_gathers_across(opts):
    pairs, src, tgt, enc = _toy()
    torch.manual_seed(1)
    model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=8, hidden=16, **opts)).eval()
    batch = make_batch(enc, np.arange(3))
    with torch.no_grad():
        state = model.start(batch.src, batch.src_len)
        grouped = model.reorder_state(state, torch.arange(3).repeat_interleave(2))   # beams: 2 rows per sentence
        assert grouped.group == 2 and grouped.memory.size(0) == 3                    # memory not copied
        perm = torch.tensor([1, 0, 3, 2, 5, 4])                                      # within groups: stays grouped
        assert model.reorder_state(grouped, perm).group == 2
        dropped = model.reorder_state(grouped, torch.tensor([0, 1, 4, 5]))           # a sentence leaves
        assert dropped.group == 2 and dropped.memory.size(0) == 2
        torch.testing.assert_close(dropped.memory, state.memory[[0, 2]])
        mixed = model.reorder_state(grouped, torch.tensor([4, 0, 2]))                # across groups: gathered
        assert mixed.group == 1 and mixed.memory.size(0) == 3
        y = torch.tensor([[4], [5], [6]])
        got, after = model.step(y, mixed)
        for row, sent in enumerate([2, 0, 1]):
            alone = make_batch(enc, np.array([sent]))
            ref, ref_state = model.step(y[row:row + 1], model.start(alone.src, alone.src_len))
            torch.testing.assert_close(got[row], ref[0], atol=1e-5, rtol=1e-5)
            if after.attention is not None:
                n = int(alone.src_len[0])
                torch.testing.assert_close(after.attention[row, :n], ref_state.attention[0, :n], atol=1e-6, rtol=1e-5)


# ------------------------------------------------------------------ greedy / beam search


@pytest.mark.parametrize("opts", [dict(attention="additive"), dict(peeky=True), dict(attention="dot", cell="gru")])
def test_beam_width_one_equals_greedy_seq2seq(opts):
    pairs, src, tgt, enc = _toy()
    torch.manual_seed(1)
    model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=8, hidden=16, **opts)).eval()
    batch = make_batch(enc, np.arange(len(enc)))
    g = translate_batch(model, batch.src, batch.src_len, beam=1, max_len=7)
    bos = torch.full((len(enc), 1), model.bos_id)
    b = beam_search(model, model.start(batch.src, batch.src_len), bos, eos_id=model.eos_id, pad_id=model.pad_id,
                    beam=1, max_len=7, lengths=batch.src_len)
    for x, y in zip(g, b):
        assert x.tokens == y.tokens and x.finished == y.finished
        assert x.score == pytest.approx(y.score, abs=1e-5)
        if x.attention is not None:
            np.testing.assert_allclose(x.attention, y.attention, atol=1e-6)


@pytest.mark.parametrize("make", [lambda: HistoryModel(V=6, seed=3),
                                  lambda: RNNLanguageModel(LMConfig(vocab_size=6, emb_size=5, hidden_size=7,
                                                                    layers=1, dropout=0.0, emb_dropout=0.0))])
def test_beam_width_one_equals_greedy_on_prompts(make):
    torch.manual_seed(2)
    m = make().eval()
    prompts = torch.tensor([[1, 2], [3, 3], [0, 5]])
    g = greedy_search(m, None, prompts, eos_id=4, max_len=6)
    b = beam_search(m, None, prompts, eos_id=4, beam=1, max_len=6)
    assert [h.tokens for h in g] == [h.tokens for h in b]
    assert [h.score for h in g] == pytest.approx([h.score for h in b], abs=1e-5)


def _exhaustive(logprob, V, eos, max_len):
    """Best (score, tokens) over every sequence that ends at its first <eos> or is cut at max_len."""
    best, best_seq = -math.inf, None
    for n in range(1, max_len + 1):
        for seq in itertools.product(range(V), repeat=n):
            if eos in seq[:-1] or (n < max_len and seq[-1] != eos):
                continue
            lp = logprob(list(seq))
            if lp > best:
                best, best_seq = lp, [t for t in seq if t != eos]
    return best, best_seq


def test_wide_beam_finds_the_exhaustive_best_seq2seq():
    pairs = [(["a", "b"], ["x"]), (["b"], ["y"])]
    src, tgt = build_vocabs(pairs)  # target: 4 specials + x, y = 6 symbols
    torch.manual_seed(3)
    model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=4, hidden=8, attention="general")).eval()
    x = torch.from_numpy(src.encode(["a", "b"])).long().unsqueeze(0)
    max_len, eos, V = 3, model.eos_id, len(tgt)

    def logprob(tokens):  # teacher forcing
        enc = model.encode(x, torch.tensor([x.shape[1]]))
        y = torch.tensor([[model.bos_id] + tokens[:-1]])
        logits, _, _ = model.decode(y, enc.state, enc)
        logp = F.log_softmax(logits[0], -1)
        return float(sum(logp[i, t] for i, t in enumerate(tokens)))

    with torch.no_grad():
        best, best_seq = _exhaustive(logprob, V, eos, max_len)
    h = translate_batch(model, x, torch.tensor([2]), beam=V ** max_len, max_len=max_len, length_penalty=0.0)[0]
    assert h.tokens == best_seq and h.score == pytest.approx(best, abs=1e-4)


def test_wide_beam_finds_the_exhaustive_best_history_model():
    V, eos, max_len = 5, 2, 4
    m = HistoryModel(V=V, seed=7)
    prompt = torch.tensor([[1, 3]])

    def logprob(tokens):
        total, state, y = 0.0, None, prompt
        for t in tokens:
            logits, state = m.step(y, state)
            total += float(F.log_softmax(logits[0], -1)[t])
            y = torch.tensor([[t]])
        return total

    with torch.no_grad():
        best, best_seq = _exhaustive(logprob, V, eos, max_len)
    with allow_over_limits():  # 625 beams: over the --beam cap of 256
        h = beam_search(m, None, prompt, eos_id=eos, beam=V ** max_len, max_len=max_len, length_penalty=0.0)[0]
    assert h.tokens == best_seq and h.score == pytest.approx(best, abs=1e-4)
    # a narrower beam never beats the exhaustive best
    for k in (1, 2, 3):
        assert beam_search(m, None, prompt, eos_id=eos, beam=k, max_len=max_len, length_penalty=0.0)[0].score \
            <= best + 1e-5


def test_beam_search_batched_equals_one_sentence_at_a_time():
    pairs, src, tgt, enc = _toy()
    torch.manual_seed(4)
    model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=8, hidden=16, attention="additive")).eval()
    batch = make_batch(enc, np.arange(len(enc)))
    together = translate_batch(model, batch.src, batch.src_len, beam=3, max_len=8)
    for i, h in enumerate(together):
        alone = make_batch(enc, np.array([int(batch.index[i])]))
        one = translate_batch(model, alone.src, alone.src_len, beam=3, max_len=8)[0]
        assert one.tokens == h.tokens and one.score == pytest.approx(h.score, abs=1e-4)
        assert h.attention.shape == (len(h.tokens) + int(h.finished), int(batch.src_len[i]))


@pytest.mark.parametrize("beam", [1, 3])
def test_rows_leaving_the_batch_change_nothing(beam):
    """Finished rows (greedy) and sentences (beam) leave the batch: each result equals decoding it alone."""
    m = HistoryModel(V=6, seed=11)
    prompts = torch.tensor([[1, 2], [3, 3], [0, 5], [5, 1], [2, 2]])
    together = search(m, None, prompts, eos_id=4, beam=beam, max_len=9, length_penalty=0.7)
    lengths = {len(h.tokens) for h in together}
    assert len(lengths) > 1  # the rows really end at different steps
    for i, h in enumerate(together):
        one = search(m, None, prompts[i:i + 1], eos_id=4, beam=beam, max_len=9, length_penalty=0.7)[0]
        assert (one.tokens, one.finished) == (h.tokens, h.finished) and one.score == pytest.approx(h.score, abs=1e-5)


def test_search_validates_its_options():
    m = HistoryModel()
    with pytest.raises(ConfigError, match="beam"):
        search(m, None, torch.tensor([[1]]), eos_id=2, beam=0 + 10**6)
    with pytest.raises(ConfigError, match="max_len"):
        greedy_search(m, None, torch.tensor([[1]]), eos_id=2, max_len=0)
