"""Attention layers: against a naive per-position loop, gradcheck, and padding masks."""

from __future__ import annotations

import math

import pytest
import torch

from wordlab.errors import ConfigError
from wordlab.layers.attention import KINDS, Attention


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _make(kind, q=6, k=6, dtype=torch.float32, seed=0):
    torch.manual_seed(seed)
    return Attention(kind, query_size=q, key_size=k if kind != "dot" else q).to(dtype)


def _inputs(B=3, T=4, S=5, Q=6, K=6, dtype=torch.float32, seed=1):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(B, T, Q, generator=g, dtype=dtype)
    keys = torch.randn(B, S, K, generator=g, dtype=dtype)
    lengths = torch.tensor([S, 2, 4])[:B]
    mask = torch.arange(S).unsqueeze(0) < lengths.unsqueeze(1)
    return query, keys, mask


@torch.no_grad()
def naive(att: Attention, query, keys, mask):
    """Score every (query, key) pair one at a time with the paper's formula, then softmax over real keys."""
    query, keys = query.detach(), keys.detach()
    B, T, _ = query.shape
    S = keys.shape[1]
    weights = torch.zeros(B, T, S, dtype=query.dtype)
    context = torch.zeros(B, T, keys.shape[2], dtype=query.dtype)
    for b in range(B):
        for t in range(T):
            q = query[b, t]
            scores = []
            for s in range(S):
                k = keys[b, s]
                if att.kind == "dot":
                    e = q @ k
                elif att.kind == "general":
                    e = q @ (att.W_a.weight @ k)
                else:
                    e = att.v_a.weight[0] @ torch.tanh(att.W_a.weight @ q + att.U_a.weight @ k)
                scores.append(e)
            real = [s for s in range(S) if mask[b, s]]
            z = sum(math.exp(float(scores[s])) for s in real)
            for s in real:
                weights[b, t, s] = math.exp(float(scores[s])) / z
            context[b, t] = sum(weights[b, t, s] * keys[b, s] for s in range(S))
    return context, weights


@pytest.mark.parametrize("kind", KINDS)
def test_matches_naive_loop_and_weights_sum_to_one(kind):
    att = _make(kind, dtype=torch.float64)
    query, keys, mask = _inputs(dtype=torch.float64)
    context, weights = att(query, keys, mask=mask)
    ref_c, ref_w = naive(att, query, keys, mask)
    torch.testing.assert_close(weights, ref_w)
    torch.testing.assert_close(context, ref_c)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 4, dtype=torch.float64))
    assert (weights[~mask.unsqueeze(1).expand_as(weights)] == 0).all()  # exactly zero at padding


@pytest.mark.parametrize("kind", KINDS)
def test_single_step_and_precomputed_keys_agree(kind):
    att = _make(kind)
    query, keys, mask = _inputs()
    proj = att.project_keys(keys)  # once per sentence
    c_all, w_all = att(query, keys, mask=mask, proj_keys=proj)
    for t in range(query.shape[1]):
        c, w = att(query[:, t], keys, mask=mask, proj_keys=proj)  # (B, Q) query: one decoding step
        torch.testing.assert_close(c, c_all[:, t])
        torch.testing.assert_close(w, w_all[:, t])


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_double(kind):
    att = _make(kind, q=3, k=3, dtype=torch.float64)
    query, keys, mask = _inputs(B=2, T=2, S=3, Q=3, K=3, dtype=torch.float64)
    mask = torch.tensor([[True, True, True], [True, True, False]])
    query.requires_grad_(True)
    keys.requires_grad_(True)

    def f(q, k):
        c, w = att(q, k, mask=mask)
        return c, w

    assert torch.autograd.gradcheck(f, (query, keys), eps=1e-6, atol=1e-5)
    # and w.r.t. the layer's own weights (W_a, U_a, v_a)
    params = tuple(p.detach().clone().requires_grad_(True) for p in att.parameters())
    if params:
        assert torch.autograd.gradcheck(lambda *ps: _functional(att, ps, query.detach(), keys.detach(), mask),
                                        params, eps=1e-6, atol=1e-5)


def _functional(att, ps, query, keys, mask):
    names = [n for n, _ in att.named_parameters()]
    return torch.func.functional_call(att, dict(zip(names, ps)), (query, keys), {"mask": mask})[0]


@pytest.mark.parametrize("kind", KINDS)
def test_masked_positions_change_nothing(kind):
    att = _make(kind)
    query, keys, mask = _inputs()
    c1, w1 = att(query, keys, mask=mask)
    noisy = keys.clone()
    noisy[~mask] = 1000.0 * torch.randn_like(noisy[~mask])  # garbage in the padded positions
    c2, w2 = att(query, noisy, mask=mask)
    assert torch.equal(w1, w2) and torch.equal(c1, c2)


def test_bad_configuration():
    with pytest.raises(ConfigError, match="kind"):
        Attention("cosine", 4)
    with pytest.raises(ConfigError, match="dot attention"):
        Attention("dot", 4, 6)
    assert Attention("additive", 4, 6, hidden_size=5).U_a.out_features == 5
