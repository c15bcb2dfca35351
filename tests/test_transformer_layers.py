"""Transformer layers: against torch.nn.MultiheadAttention and a naive loop, gradcheck, causality, padding, caches."""

from __future__ import annotations

import math

import pytest
import torch

from wordlab.errors import ConfigError
from wordlab.layers.positional import LearnedPositions, RotaryEmbedding, SinusoidalPositions, sinusoidal_table
from wordlab.layers.transformer import FeedForward, MultiHeadAttention, TransformerBlock

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _pair(dim=8, heads=2, seed=0, dtype=torch.float32):
    """A wordlab MultiHeadAttention and a torch.nn.MultiheadAttention holding the same weights."""
    torch.manual_seed(seed)
    ours = MultiHeadAttention(dim, heads).to(dtype).eval()
    ref = torch.nn.MultiheadAttention(dim, heads, batch_first=True).to(dtype).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours.q_proj.weight, ours.kv_proj.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.kv_proj.bias]))
        ref.out_proj.weight.copy_(ours.out_proj.weight)
        ref.out_proj.bias.copy_(ours.out_proj.bias)
    return ours, ref


def _mask(B, S, lengths):
    return torch.arange(S).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)  # True = real


@pytest.mark.parametrize("need_weights", [False, True])
def test_self_attention_equals_torch_with_padding(need_weights):
    ours, ref = _pair()
    x = torch.randn(3, 5, 8)
    mask = _mask(3, 5, [5, 2, 4])
    out, _, w = ours(x, mask=mask, need_weights=need_weights)
    ref_out, ref_w = ref(x, x, x, key_padding_mask=~mask, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=1e-5)
    if need_weights:
        torch.testing.assert_close(w, ref_w, atol=1e-6, rtol=1e-5)
        assert float(w[1, :, :, 2:].detach().abs().max()) == 0.0  # padded keys get weight exactly 0


@pytest.mark.parametrize("need_weights", [False, True])
def test_causal_self_attention_equals_torch(need_weights):
    ours, ref = _pair(dim=12, heads=3)
    x = torch.randn(2, 6, 12)
    out, _, _ = ours(x, causal=True, need_weights=need_weights)
    causal = torch.triu(torch.ones(6, 6, dtype=torch.bool), diagonal=1)  # torch: True = not allowed
    ref_out, _ = ref(x, x, x, attn_mask=causal)
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=1e-5)


def test_cross_attention_equals_torch():
    ours, ref = _pair()
    x, memory = torch.randn(2, 3, 8), torch.randn(2, 7, 8)
    mask = _mask(2, 7, [7, 3])
    out, _, w = ours(x, memory, mask=mask, need_weights=True)
    ref_out, ref_w = ref(x, memory, memory, key_padding_mask=~mask, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(w, ref_w, atol=1e-6, rtol=1e-5)
    # memory projected once, passed back in: same result
    out2, _, _ = ours(x, memory_kv=ours.project_kv(memory), mask=mask)
    torch.testing.assert_close(out2, out, atol=1e-6, rtol=1e-6)


def test_one_head_against_naive_loop():
    torch.manual_seed(3)
    att = MultiHeadAttention(4, 1).eval()
    x = torch.randn(2, 5, 4)
    out, _, w = att(x, causal=True, need_weights=True)
    Wq, Wk, Wv = att.q_proj.weight, att.kv_proj.weight[:4], att.kv_proj.weight[4:]
    bq, bk, bv = att.q_proj.bias, att.kv_proj.bias[:4], att.kv_proj.bias[4:]
    with torch.no_grad():
        for b in range(2):
            for t in range(5):
                q = Wq @ x[b, t] + bq
                scores = [float(q @ (Wk @ x[b, s] + bk)) / math.sqrt(4) for s in range(t + 1)]
                z = max(scores)
                e = [math.exp(s - z) for s in scores]
                a = [v / sum(e) for v in e]
                ctx = sum(a[s] * (Wv @ x[b, s] + bv) for s in range(t + 1))
                expect = att.out_proj.weight @ ctx + att.out_proj.bias
                torch.testing.assert_close(out[b, t], expect, atol=1e-5, rtol=1e-5)
                torch.testing.assert_close(w[b, 0, t, : t + 1], torch.tensor(a), atol=1e-6, rtol=1e-5)
                assert float(w[b, 0, t, t + 1:].abs().sum()) == 0.0


def test_one_layer_block_against_naive_composition():
    torch.manual_seed(4)
    blk = TransformerBlock(6, 2, 10, dropout=0.0, attn_dropout=0.0).eval()
    x = torch.randn(1, 4, 6)
    y = blk(x, causal=True).x
    with torch.no_grad():
        h = x + blk.self_attn(blk.ln_self(x), causal=True, need_weights=True)[0]
        ln = blk.ln_ff(h)
        ff = blk.ff.fc2(0.5 * blk.ff.fc1(ln) * (1 + torch.erf(blk.ff.fc1(ln) / math.sqrt(2))))  # exact GELU
        torch.testing.assert_close(y, h + ff, atol=1e-5, rtol=1e-5)


def test_gradcheck_double():
    torch.manual_seed(5)
    att = MultiHeadAttention(4, 2).double()
    x = torch.randn(2, 3, 4, dtype=torch.double, requires_grad=True)
    mem = torch.randn(2, 4, 4, dtype=torch.double, requires_grad=True)
    mask = _mask(2, 4, [4, 2])
    assert torch.autograd.gradcheck(lambda a: att(a, causal=True)[0], (x,))
    assert torch.autograd.gradcheck(lambda a: att(a, causal=True, need_weights=True)[0], (x,))
    assert torch.autograd.gradcheck(lambda a, m: att(a, m, mask=mask)[0], (x, mem))
    blk = TransformerBlock(4, 2, 8, dropout=0.0, attn_dropout=0.0, cross=True, rotary=True).double()
    assert torch.autograd.gradcheck(
        lambda a, m: blk(a, causal=True, memory_kv=blk.cross_attn.project_kv(m), memory_mask=mask).x, (x, mem))


@pytest.mark.parametrize("rotary", [False, True])
def test_causality(rotary):
    torch.manual_seed(6)
    blk = TransformerBlock(8, 2, 16, rotary=rotary).eval()
    x = torch.randn(2, 7, 8)
    y = blk(x, causal=True).x
    for t in range(7):
        x2 = x.clone()
        x2[:, t + 1:] = torch.randn_like(x2[:, t + 1:])
        y2 = blk(x2, causal=True).x
        torch.testing.assert_close(y2[:, : t + 1], y[:, : t + 1], atol=1e-6, rtol=1e-6)
        if t + 1 < 7:
            assert not torch.allclose(y2[:, t + 1:], y[:, t + 1:])


def test_padding_invariance():
    torch.manual_seed(7)
    blk = TransformerBlock(8, 4, 16).eval()
    x = torch.randn(2, 6, 8)
    mask = _mask(2, 6, [6, 3])
    y = blk(x, mask=mask).x
    x2 = x.clone()
    x2[1, 3:] = 100 * torch.randn(3, 8)      # change only the padding
    y2 = blk(x2, mask=mask).x
    torch.testing.assert_close(y2[1, :3], y[1, :3], atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(y2[0], y[0])
    # and equals running the short sentence alone
    alone = blk(x[1:2, :3]).x
    torch.testing.assert_close(alone[0], y[1, :3], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("rotary", [False, True])
def test_cache_equals_full_recompute(rotary):
    torch.manual_seed(8)
    att = MultiHeadAttention(8, 2, rotary=rotary).eval()
    x = torch.randn(2, 9, 8)
    full, _, _ = att(x, causal=True)
    out, past = [], None
    for chunk in (x[:, :4], x[:, 4:5], x[:, 5:6], x[:, 6:9]):   # a prefill, single steps, a chunk
        y, past, _ = att(chunk, causal=True, past=past)
        out.append(y)
    torch.testing.assert_close(torch.cat(out, 1), full, atol=1e-5, rtol=1e-5)
    assert past[0].shape == (2, 2, 9, 4)


def test_rotary_scores_depend_only_on_distance():
    rot = RotaryEmbedding(6)
    q, k = torch.randn(1, 1, 1, 6), torch.randn(1, 1, 1, 6)
    def score(m, n):
        return float((rot(q, torch.tensor([m])) * rot(k, torch.tensor([n]))).sum())
    assert score(3, 1) == pytest.approx(score(10, 8), rel=1e-4, abs=1e-5)
    assert score(3, 1) != pytest.approx(score(3, 2), rel=1e-3)
    with pytest.raises(ConfigError):
        RotaryEmbedding(5)


def test_positions():
    table = sinusoidal_table(50, 6)
    assert table[7, 2] == pytest.approx(math.sin(7 / 10000 ** (2 / 6)), abs=1e-6)
    assert table[7, 3] == pytest.approx(math.cos(7 / 10000 ** (2 / 6)), abs=1e-6)
    sin = SinusoidalPositions(6, max_len=4)
    torch.testing.assert_close(sin(torch.arange(40, 50)), table[40:50])  # grows past max_len
    learned = LearnedPositions(6, 10)
    assert learned(torch.arange(3)).shape == (3, 6)
    with pytest.raises(ConfigError, match="past the 10 learned positions"):
        learned(torch.arange(11))


def test_bad_shapes():
    with pytest.raises(ConfigError, match="multiple of the number of heads"):
        MultiHeadAttention(10, 3)
    assert FeedForward(4, 16)(torch.randn(2, 3, 4)).shape == (2, 3, 4)
