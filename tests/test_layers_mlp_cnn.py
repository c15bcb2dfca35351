"""MLP, init helpers, conv/pool blocks, TextCNN, embeddings: shapes, references, gradients (gradcheck)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from wordlab.errors import ConfigError
from wordlab.layers.cnn import TextCNN, max_over_time, mean_over_time
from wordlab.layers.embedding import WordEmbedding, embedding_matrix
from wordlab.layers.init import fans, gain, he_uniform_, init_weights_, xavier_uniform_
from wordlab.layers.mlp import MLP
from wordlab.tensor import gradcheck
from wordlab.vectors import KeyedVectors


def _randn(*shape, seed=0, grad=True):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_(grad)


# ---------------------------------------------------------------- init


@pytest.mark.parametrize("fn,scheme,act", [(xavier_uniform_, "xavier", "tanh"), (xavier_uniform_, "xavier", "sigmoid"),
                                           (he_uniform_, "he", "relu")])
def test_init_std_matches_formula(fn, scheme, act):
    torch.manual_seed(0)
    w = torch.empty(400, 300)
    fn(w, act)
    fan_in, fan_out = 300, 400
    want = (nn.init.calculate_gain(act) * math.sqrt(2 / (fan_in + fan_out)) if scheme == "xavier"
            else math.sqrt(2 / fan_in))
    assert fans(w) == (fan_in, fan_out) and gain(act) == pytest.approx(nn.init.calculate_gain(act))
    assert w.std().item() == pytest.approx(want, rel=0.02)
    assert abs(w.mean().item()) < 0.05 * want


def test_init_weights_zero_bias_and_errors():
    m = init_weights_(nn.Sequential(nn.Linear(50, 60), nn.Conv1d(4, 5, 3)), "relu")
    assert all(float(l.bias.detach().abs().sum()) == 0 for l in (m[0], m[1]))
    assert m[1].weight.std().item() == pytest.approx(math.sqrt(2 / 12), rel=0.25)
    with pytest.raises(ConfigError, match="activation"):
        init_weights_(m, "swish")


# ---------------------------------------------------------------- MLP


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu", "sigmoid"])
@pytest.mark.parametrize("norm", [None, "batch", "layer"])
def test_mlp_shapes_and_gradcheck(activation, norm):
    torch.manual_seed(1)
    mlp = MLP([5, 7, 6, 3], activation=activation, dropout=0.2, norm=norm)
    x = _randn(8, 5)
    assert mlp(x.float()).shape == (8, 3)
    n_linear = sum(isinstance(m, nn.Linear) for m in mlp.modules())
    assert n_linear == 3 and sum(isinstance(m, nn.Dropout) for m in mlp.modules()) == 2
    rep = gradcheck(mlp, (x,))  # train mode: dropout masks repeat under gradcheck's fixed seed
    assert rep.ok, str(rep)


def test_mlp_matches_hand_computation_and_validates():
    torch.manual_seed(0)
    mlp = MLP([4, 3, 2], activation="tanh").double()
    x = _randn(2, 4, grad=False)
    l1, l2 = mlp.net[0], mlp.net[2]
    want = torch.tanh(x @ l1.weight.T + l1.bias) @ l2.weight.T + l2.bias
    assert torch.allclose(mlp(x), want)
    for bad in ({"sizes": [4]}, {"sizes": [4, 2], "norm": "group"}, {"sizes": [4, 2], "dropout": 1.0},
                {"sizes": [4, 2], "activation": "swish"}):
        with pytest.raises(ConfigError):
            MLP(**bad)


# ---------------------------------------------------------------- conv / pooling


def test_max_and_mean_over_time_mask_padding_against_loops():
    x = _randn(3, 4, 6, grad=False)
    lengths = torch.tensor([6, 2, 1])
    mx, mn = max_over_time(x, lengths), mean_over_time(x, lengths)
    for b, n in enumerate(lengths.tolist()):
        for c in range(4):
            assert mx[b, c] == max(x[b, c, t] for t in range(n))
            assert mn[b, c] == pytest.approx(sum(x[b, c, t].item() for t in range(n)) / n)
    xg = _randn(3, 4, 6)
    assert gradcheck(lambda x: max_over_time(x, lengths), xg).ok
    assert gradcheck(lambda x: mean_over_time(x, lengths), xg).ok


# ---------------------------------------------------------------- TextCNN


def _naive_textcnn_features(cnn: TextCNN, x: torch.Tensor) -> torch.Tensor:
    """One sentence (T, D): zero-pad by w-1 each side, every window's ReLU(w·x + b), max over windows."""
    out = []
    for w, conv in zip(cnn.widths, cnn.convs):
        T, D = x.shape
        padded = torch.cat([torch.zeros(w - 1, D, dtype=x.dtype), x, torch.zeros(w - 1, D, dtype=x.dtype)])
        for m in range(conv.out_channels):
            vals = [torch.relu((conv.weight[m].T * padded[i:i + w]).sum() + conv.bias[m]) for i in range(T + w - 1)]
            out.append(max(vals))
    return torch.stack(out)


def test_textcnn_variable_lengths_short_sentences_and_padding_invariance():
    torch.manual_seed(0)
    cnn = TextCNN(in_dim=6, num_classes=3, widths=(3, 4, 5), maps=4).double().eval()
    lengths = torch.tensor([9, 4, 2, 1])  # two are shorter than the widest filter
    x = _randn(4, 9, 6, grad=False)
    for b, n in enumerate(lengths.tolist()):
        x[b, n:] = 0.0
    logits = cnn(x, lengths)
    assert logits.shape == (4, 3)
    feats = cnn.features(x, lengths)
    assert feats.shape == (4, 12)
    for b, n in enumerate(lengths.tolist()):
        assert torch.allclose(feats[b], _naive_textcnn_features(cnn, x[b, :n]))
        # the same sentence alone, unpadded, gives the same logits
        assert torch.allclose(cnn(x[b:b + 1, :n], lengths[b:b + 1]), logits[b:b + 1])
    # a batch of one length-1 sentence with no padding at all
    assert cnn(x[3:4, :1]).shape == (1, 3)


def test_textcnn_gradcheck_and_max_norm():
    torch.manual_seed(0)
    cnn = TextCNN(in_dim=3, num_classes=2, widths=(2, 3), maps=2, dropout=0.5)
    x = _randn(3, 5, 3)
    lengths = torch.tensor([5, 3, 1])
    rep = gradcheck(cnn, (x, lengths))  # dropout on, masks fixed by the seed
    assert rep.ok, str(rep)
    with torch.no_grad():
        cnn.out.weight.copy_(torch.tensor([[3.0, 4.0, 0.0, 0.0], [0.1, 0.2, 0.0, 0.3]]))  # norms 5 and ~0.37
    cnn.apply_max_norm()
    norms = cnn.out.weight.norm(dim=1)
    assert norms[0].item() == pytest.approx(3.0, rel=1e-4)
    assert torch.allclose(cnn.out.weight[1], torch.tensor([0.1, 0.2, 0.0, 0.3]))
    assert torch.allclose(cnn.out.weight[0], torch.tensor([1.8, 2.4, 0.0, 0.0]), atol=1e-4)


def test_textcnn_rejects_bad_config():
    with pytest.raises(ConfigError):
        TextCNN(4, 1)
    with pytest.raises(ConfigError):
        TextCNN(4, 2, widths=())
    with pytest.raises(ConfigError):
        TextCNN(4, 2, max_norm=0.0)


# ---------------------------------------------------------------- embeddings


def _kv(dim=4):
    g = np.random.default_rng(0)
    return KeyedVectors(["good", "bad", "movie", "plot"], g.normal(size=(4, dim)).astype(np.float32))


def test_embedding_matrix_rows_by_word_oov_uniform_pad_zero():
    kv = _kv()
    words = ["<pad>", "<unk>", "movie", "zzz", "good", "qqq"]
    m, found = embedding_matrix(words, kv)
    assert m.shape == (6, 4) and m.dtype == np.float32
    assert found.tolist() == [False, False, True, False, True, False]
    assert np.array_equal(m[2], kv["movie"]) and np.array_equal(m[4], kv["good"])
    assert not m[0].any()
    oov = m[[1, 3, 5]]
    assert np.all(np.abs(oov) <= 0.25) and oov.std() > 0.05
    m2, _ = embedding_matrix(words, kv, seed=0)
    assert np.array_equal(m, m2)  # seeded
    with pytest.raises(ConfigError, match="dimension 4 but .* 300"):
        embedding_matrix(words, kv, dim=300)
    rand, found = embedding_matrix(words, None, dim=5)
    assert rand.shape == (6, 5) and not found.any()


def test_embedding_matrix_standardize_removes_the_common_direction():
    g = np.random.default_rng(1)
    vecs = (g.normal(size=(50, 6)) + 3.0).astype(np.float32)  # every vector shares the offset 3
    kv = KeyedVectors([f"w{i}" for i in range(50)], vecs)
    m, found = embedding_matrix(["<pad>"] + kv.index_to_key, kv, standardize=True, padding_idx=0)
    rows = m[1:]
    want = (vecs - vecs.mean(0)) * (0.25 / np.sqrt(3) / (vecs - vecs.mean(0)).std())
    assert np.allclose(rows, want, atol=1e-6) and found[1:].all()
    assert abs(rows.mean()) < 1e-6 and rows.std() == pytest.approx(0.25 / np.sqrt(3), rel=1e-4)


@pytest.mark.parametrize("mode", ["rand", "static", "non-static", "multichannel"])
def test_word_embedding_modes(mode):
    weights, _ = embedding_matrix(["<pad>", "<unk>", "good", "bad", "movie", "plot"], _kv())
    emb = WordEmbedding(6, 4, mode, None if mode == "rand" else weights)
    ids = torch.tensor([[2, 3, 0], [4, 0, 0]])
    out = emb(ids)
    assert out.shape == (2, 3, 8 if mode == "multichannel" else 4)
    assert not out[0, 2].any()  # <pad> is a zero vector
    trainable = [n for n, p in emb.named_parameters() if p.requires_grad]
    assert trainable == ([] if mode == "static" else ["embed.weight"])
    if mode != "rand":
        assert torch.equal(out[0, 0, -4:], torch.from_numpy(weights[2]))
    if mode == "static":
        with pytest.raises(ConfigError, match="nothing to check"):  # frozen: no parameter takes a gradient
            gradcheck(emb, (ids,))
    else:  # (<pad>'s row is excluded: its gradient is zeroed on purpose, so ids here avoid 0)
        rep = gradcheck(emb, (ids.clamp(min=1),))
        assert rep.ok and rep.checked == 24, str(rep)
    with pytest.raises(ConfigError, match="mode"):
        WordEmbedding(6, 4, "frozen")
