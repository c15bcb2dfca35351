"""Transformer translator: cached decoding == teacher forcing, padding, shared beam search, training, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wordlab.decoding import translate_batch
from wordlab.errors import ConfigError
from wordlab.seq2seq.data import make_batch, pad
from wordlab.seq2seq.task import Seq2SeqTask
from wordlab.seq2seq.transformer import TransformerSeq2Seq, TransformerSeq2SeqConfig, select_attention
from wordlab.training import TrainConfig, fit

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model(seed=0, **kw):
    torch.manual_seed(seed)
    cfg = TransformerSeq2SeqConfig(src_vocab=11, tgt_vocab=9, layers=2, dim=16, heads=2, dropout=0.0,
                                   attn_dropout=0.0, **kw)
    return TransformerSeq2Seq(cfg).eval()


def test_config_checks():
    with pytest.raises(ConfigError, match="one vocabulary"):
        TransformerSeq2SeqConfig(src_vocab=5, tgt_vocab=6, share_embeddings=True)
    with pytest.raises(ConfigError, match="label_smoothing"):
        TransformerSeq2SeqConfig(src_vocab=5, tgt_vocab=5, label_smoothing=1.0)
    m = TransformerSeq2Seq(TransformerSeq2SeqConfig(src_vocab=7, tgt_vocab=7, dim=8, heads=2, share_embeddings=True))
    assert m.src_embedding is m.tgt_embedding


def test_cached_steps_equal_teacher_forcing():
    m = _model()
    src = torch.tensor([[4, 5, 6, 7], [8, 9, 0, 0]])
    lengths = torch.tensor([4, 2])
    tgt_in = torch.tensor([[2, 4, 5, 6, 7], [2, 8, 5, 0, 0]])
    full = m(src, lengths, tgt_in)                                       # (2, 5, 9)
    state = m.start(src, lengths)
    for t in range(5):
        logits, state = m.step(tgt_in[:, t:t + 1], state)
        torch.testing.assert_close(logits, full[:, t], atol=1e-5, rtol=1e-5)
    att = m.step_attention(state)
    assert att.shape == (2, 2, 2, 4)
    assert float(att[1, ..., 2:].detach().abs().max()) == 0.0                     # padded source positions get no weight
    torch.testing.assert_close(att.sum(-1), torch.ones(2, 2, 2))


def test_padding_does_not_change_the_encoding():
    m = _model()
    alone = m(torch.tensor([[8, 9]]), torch.tensor([2]), torch.tensor([[2, 5]]))
    padded = m(torch.tensor([[8, 9, 7, 7]]), torch.tensor([2]), torch.tensor([[2, 5]]))
    torch.testing.assert_close(alone, padded, atol=1e-5, rtol=1e-5)


def test_beam_search_and_reorder():
    m = _model()
    src = pad([np.array([4, 5, 6]), np.array([7, 8])])
    lengths = torch.tensor([3, 2])
    greedy = translate_batch(m, src, lengths, beam=1, max_len=6)
    beam1 = translate_batch(m, src, lengths, beam=1, max_len=6)
    beam3 = translate_batch(m, src, lengths, beam=3, max_len=6, length_penalty=0.0)
    assert [h.tokens for h in greedy] == [h.tokens for h in beam1]
    for g, b in zip(greedy, beam3):
        assert b.score >= g.score - 1e-4 or not g.finished
        assert b.attention.shape[1:] == (2, 2, len(b.attention[0, 0, 0]))
    state = m.start(src, lengths)
    _, state = m.step(torch.tensor([[2], [2]]), state)
    flipped = m.reorder_state(state, torch.tensor([1, 0]))
    torch.testing.assert_close(flipped.mask, state.mask.flip(0))
    torch.testing.assert_close(flipped.self_kv[0][0], state.self_kv[0][0].flip(0))


def test_select_attention():
    w = np.random.default_rng(0).random((3, 2, 4, 5))
    np.testing.assert_allclose(select_attention(w, 0, 1), w[:, 0, 1])
    np.testing.assert_allclose(select_attention(w, None, "mean"), w[:, 1].mean(axis=1))
    assert select_attention(w[:, 0, 0]).shape == (3, 5)
    with pytest.raises(ConfigError, match="--layer 5"):
        select_attention(w, 5)
    with pytest.raises(ConfigError, match="--head 4"):
        select_attention(w, 0, 4)


def _reverse_pairs(n, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s = rng.integers(4, 11, rng.integers(2, 5))
        out.append((s, np.concatenate([s[::-1], [3]])))                 # target ends with <eos> = 3
    return out


def _train_reverse(epochs):
    torch.manual_seed(0)
    cfg = TransformerSeq2SeqConfig(src_vocab=11, tgt_vocab=11, layers=2, dim=32, heads=4, dropout=0.0,
                                   attn_dropout=0.0, share_embeddings=True)
    m = TransformerSeq2Seq(cfg)
    train = _reverse_pairs(640)
    task = Seq2SeqTask(train, train[:64], batch_size=32, seed=0)
    res = fit(m, task, TrainConfig(epochs=epochs, lr=5e-3, warmup=30, schedule="cosine", seed=0), progress=False)
    return m, train, [r["valid_loss"] for r in res.history]


def test_training_lowers_the_loss_and_label_smoothing():
    m, train, losses = _train_reverse(3)
    assert losses[-1] < 0.75 * losses[0]
    batch = make_batch(train, np.arange(16))
    smooth = TransformerSeq2Seq(TransformerSeq2SeqConfig(**{**m.cfg.__dict__, "label_smoothing": 0.1}))
    smooth.load_state_dict(m.state_dict())
    with torch.no_grad():
        assert smooth.eval().loss(batch)[0].item() != pytest.approx(m.eval().loss(batch)[0].item())


@pytest.mark.slow
def test_learns_to_reverse():
    m, train, losses = _train_reverse(10)
    assert losses[-1] < 0.2 * losses[0]
    src = [s for s, _ in train[:64]]
    hyps = translate_batch(m.eval(), pad(src), torch.tensor([len(s) for s in src]), beam=3, max_len=8)
    assert np.mean([h.tokens == list(s[::-1]) for h, s in zip(hyps, src)]) > 0.9


def test_train_seq2seq_translator_and_checkpoint(tmp_path):
    from wordlab.seq2seq import Translator
    from wordlab.seq2seq.train import train_seq2seq

    pairs = tmp_path / "pairs.tsv"
    words = ["cat", "dog", "sun", "red", "big"]
    rng = np.random.default_rng(1)
    lines = []
    for _ in range(200):
        s = [words[i] for i in rng.integers(0, 5, 3)]
        lines.append(" ".join(s) + "\t" + " ".join(reversed(s)))
    pairs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = TransformerSeq2SeqConfig(layers=1, dim=16, heads=2)
    out = tmp_path / "tf.pt"
    res = train_seq2seq(pairs, cfg, TrainConfig(epochs=1, dry_run=3), out=out, device="cpu", progress=False)
    assert res.translator.model.cfg.share_embeddings                       # one vocabulary on both sides
    tr = Translator.load(out)
    assert isinstance(tr.model, TransformerSeq2Seq)
    t = tr.translate(["cat dog sun"], beam=2, max_len=5)[0]
    assert t.attention.ndim == 4 and t.attention.shape[1:3] == (1, 2) and t.attention.shape[-1] == 3


def test_cli_train_and_translate_with_attention(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from wordlab.cli import main

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{a} {b}\t{b} {a}\n" for a in ("x", "y", "z") for b in ("p", "q")) * 20,
                     encoding="utf-8")
    out = tmp_path / "m.pt"
    assert main(["-q", "seq2seq", "train", "--arch", "transformer", "--pairs", str(pairs), "--layers", "2",
                 "--dim", "16", "--heads", "2", "--label-smoothing", "0.1", "--epochs", "1", "--threads", "1",
                 "-o", str(out)]) == 0
    png = tmp_path / "att.png"
    assert main(["-q", "translate", str(out), "x p", "--beam", "2", "--show-attention", str(png), "--layer", "0",
                 "--head", "1"]) == 0
    assert png.stat().st_size > 0
    assert main(["-q", "translate", str(out), "x p", "--show-attention", str(png), "--layer", "7"]) == 1
    assert "--layer 7" in capsys.readouterr().err
