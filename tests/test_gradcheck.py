"""wordlab.tensor.gradcheck: agrees with torch's checker, catches a wrong backward and says where."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wordlab.errors import ConfigError
from wordlab.tensor import GradcheckError, gradcheck


class CubeWrongGrad(torch.autograd.Function):
    """y = x³ with a backward that is wrong (×1.5) only where x > 0.5."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * torch.where(x > 0.5, 1.5, 1.0)


class CubeRightGrad(CubeWrongGrad):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2


def _x(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_()


def test_correct_functions_pass_and_agree_with_torch():
    x, y = _x(3, 4), _x(4, 2, seed=1)
    fn = lambda a, b: (torch.tanh(a @ b), torch.sigmoid(a).sum(1))  # noqa: E731
    rep = gradcheck(fn, (x, y))
    assert rep.ok and bool(rep) and rep.checked == 12 + 8 and rep.failures == 0
    assert torch.autograd.gradcheck(fn, (x, y))
    assert rep.worst is not None and rep.worst.abs_err < 1e-8
    assert gradcheck(CubeRightGrad.apply, x).ok


def test_wrong_backward_is_reported_with_input_index_and_values():
    x = torch.tensor([[0.1, 0.9, -0.7], [0.2, -0.3, 0.6]], dtype=torch.float64, requires_grad=True)
    assert not torch.autograd.gradcheck(CubeWrongGrad.apply, (x,), raise_exception=False)  # the reference agrees
    rep = gradcheck(CubeWrongGrad.apply, (x,))
    assert not rep.ok and rep.failures == 2  # the entries 0.9 and 0.6
    w = rep.worst
    assert w.input == "input 0" and w.index in {(0, 1), (1, 2)}  # the entries where x > 0.5
    assert w.analytic == pytest.approx(1.5 * w.numeric, rel=1e-6)
    text = str(rep)
    assert "FAILED" in text and f"input 0 at index {w.index}" in text and "numeric" in text and "analytic" in text
    with pytest.raises(GradcheckError, match=r"2 of 6 gradient entries differ"):
        gradcheck(CubeWrongGrad.apply, (x,), raise_on_failure=True)


def test_module_parameters_float32_inputs_ints_and_dropout():
    torch.manual_seed(0)
    layer = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.3), nn.Tanh())  # train mode: dropout active
    x = torch.randn(5, 4, requires_grad=True)  # float32 is cast to float64
    rep = gradcheck(layer, (x,))
    assert rep.ok, str(rep)
    names = [r["input"] for r in rep.per_input]
    assert names == ["parameter 0.weight", "parameter 0.bias", "input 0"]
    assert layer[0].weight.dtype == torch.float32  # the caller's module is untouched
    emb = nn.Embedding(6, 3)
    ids = torch.tensor([[1, 2, 5], [0, 0, 3]])
    rep = gradcheck(emb, (ids,))
    assert rep.ok and rep.checked == 18


def test_params_argument_and_wrong_param_gradient():
    w = torch.randn(3, dtype=torch.float64, requires_grad=True)
    x = torch.randn(4, 3, dtype=torch.float64)
    assert gradcheck(lambda x: torch.log1p(torch.exp(x @ w)), (x,), params=[w]).ok

    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g * w, (g * x).sum(0) * 0.0  # forgets the weight gradient

    rep = gradcheck(lambda x: Scale.apply(x, w), (x,), params=[w])
    assert not rep.ok and rep.worst.input == "params[0]" and rep.worst.analytic == 0.0


def test_nothing_to_check_and_bad_params():
    with pytest.raises(ConfigError, match="nothing to check"):
        gradcheck(torch.tanh, torch.randn(3))
    with pytest.raises(ConfigError, match="float64"):
        gradcheck(torch.tanh, torch.randn(3), params=[torch.randn(3, requires_grad=True)])


def test_max_per_input_samples_entries():
    x = _x(40, 30)
    rep = gradcheck(torch.sin, x, max_per_input=50)
    assert rep.ok and rep.checked == 50


# ------------------------------------------- the other helpers' layers pass it too (attention, NS loss)


@pytest.mark.parametrize("kind", ["dot", "general", "additive"])
def test_attention_passes_gradcheck_with_a_padding_mask(kind):
    from wordlab.layers.attention import Attention

    torch.manual_seed(0)
    att = Attention(kind, query_size=4, key_size=4)
    query, keys = _x(2, 3, 4), _x(2, 5, 4, seed=1)
    mask = torch.tensor([[True] * 5, [True, True, False, False, False]])
    rep = gradcheck(att, (query, keys, mask))  # checks context and weights, query, keys and W_a/U_a/v_a
    assert rep.ok, str(rep)
    assert {r["input"] for r in rep.per_input} >= {"input 0", "input 1"}


def test_negative_sampling_loss_passes_gradcheck():
    from wordlab.layers.negative_sampling import NegativeSamplingLoss

    torch.manual_seed(0)
    loss = NegativeSamplingLoss(nn.Embedding(7, 3), k=2)
    h = _x(4, 3)
    target, negatives = torch.tensor([1, 2, 3, 6]), torch.tensor([[0, 5], [4, 4], [2, 1], [3, 0]])
    rep = gradcheck(loss, (h, target, negatives))
    assert rep.ok, str(rep)
    assert rep.checked == 7 * 3 + 4 * 3  # the output table and h
