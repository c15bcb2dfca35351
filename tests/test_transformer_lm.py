"""Transformer LM: KV cache == full recompute (inside and past the window), sliding-window scoring, decoding, training."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from wordlab.decoding import SamplingConfig, beam_search, greedy_search, sample
from wordlab.errors import ConfigError
from wordlab.lm.transformer import (TransformerLanguageModel, TransformerLMConfig, TransformerLMTask, sliding_nll,
                                    sliding_windows)
from wordlab.training import TrainConfig, fit

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model(positions="learned", context=8, seed=0, layers=2, **kw):
    torch.manual_seed(seed)
    cfg = TransformerLMConfig(vocab_size=13, layers=layers, dim=16, heads=2, context=context, positions=positions,
                              dropout=0.0, attn_dropout=0.0, emb_dropout=0.0, **kw)
    return TransformerLanguageModel(cfg).eval()


def test_config_checks():
    assert TransformerLMConfig(vocab_size=10, dim=8, heads=2).ff_hidden == 32
    with pytest.raises(ConfigError, match="multiple of heads"):
        TransformerLMConfig(vocab_size=10, dim=10, heads=3)
    with pytest.raises(ConfigError, match="positions"):
        TransformerLMConfig(vocab_size=10, positions="alibi")
    with pytest.raises(ConfigError, match="even head size"):
        TransformerLMConfig(vocab_size=10, dim=6, heads=2, positions="rotary")
    with pytest.raises(ConfigError, match="context"):
        TransformerLMConfig(vocab_size=10, context=1)


def test_tied_embeddings():
    m = _model()
    h = torch.randn(2, 16)
    torch.testing.assert_close(m.output(h), h @ m.embedding.weight.t())
    assert m.num_parameters() == sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("positions", ["learned", "sinusoidal", "rotary"])
def test_cached_logits_equal_full_recompute(positions):
    m = _model(positions)
    ids = torch.randint(0, 13, (3, 8))
    full, _ = m(ids)                                                    # (3, 8, 13)
    logits, state = m.step(ids[:, :3])                                  # prefill
    got = [logits]
    for t in range(3, 8):
        logits, state = m.step(ids[:, t:t + 1], state)                 # one token against the cache
        got.append(logits)
    torch.testing.assert_close(torch.stack(got, 1), full[:, 2:], atol=1e-5, rtol=1e-5)
    assert state.layers[0][0].shape == (3, 2, 8, 8)


@pytest.mark.parametrize("positions", ["learned", "sinusoidal", "rotary"])
def test_past_the_window(positions):
    """Each step's logits equal a fresh forward over exactly the tokens the cache holds.

    Absolute positions re-encode what they keep, so this holds at any depth; a sliding rotary cache
    keeps upper-layer keys computed with the dropped tokens in view, so it holds exactly for one layer.
    """
    m = _model(positions, context=6, layers=1 if positions == "rotary" else 2)
    ids = torch.randint(0, 13, (2, 20))
    logits, state = m.step(ids[:, :4])
    sizes = []
    for t in range(4, 20):
        logits, state = m.step(ids[:, t:t + 1], state)
        held = state.tokens
        sizes.append(held.size(1))
        torch.testing.assert_close(held[:, -1], ids[:, t])
        torch.testing.assert_close(held, ids[:, t + 1 - held.size(1):t + 1])
        fresh, _ = m(held)
        torch.testing.assert_close(logits, fresh[:, -1], atol=1e-4, rtol=1e-4)
    assert max(sizes) == 6
    if positions == "rotary":
        assert sizes[-4:] == [6, 6, 6, 6]      # slides: always a full window after the first fill
        assert state.position == 20
    else:
        assert min(sizes[3:]) == 4             # re-prefill of context // 2 = 3 tokens, then +1


def test_long_input_forward_and_prompt():
    m = _model("rotary", context=6)
    ids = torch.randint(0, 13, (1, 15))
    logits, state = m(ids)                      # longer than the window: chunked against a sliding cache
    assert logits.shape == (1, 15, 13) and state.tokens.size(1) <= 6
    last, st = m.step(ids)                      # a long prompt keeps only its last window
    torch.testing.assert_close(last, m(ids[:, -6:])[0][:, -1], atol=1e-5, rtol=1e-5)


def test_sliding_windows_count_every_target_once():
    for n, C, stride in [(2, 4, 2), (10, 4, 2), (11, 4, 2), (23, 8, 4), (23, 8, 3), (5, 8, 4), (100, 16, 16)]:
        counted = []
        for s, L, j in sliding_windows(n, C, stride):
            assert L == min(C, n - 1) and s >= 0 and s + L <= n - 1
            counted.extend(range(s + 1 + j, s + 1 + L))
            if counted and s > 0:
                assert j >= C - stride or s + L == n - 1  # every counted token has >= C - stride of context
        assert counted == list(range(1, n))
    with pytest.raises(ConfigError):
        sliding_windows(10, 4, 5)


def test_sliding_nll_against_naive_loop():
    m = _model(context=6)
    ids = np.random.default_rng(0).integers(0, 13, 40)
    total, count = sliding_nll(m, ids, batch_size=3)
    assert count == 39
    expect = 0.0
    with torch.no_grad():
        for t in range(1, 40):
            s = 0 if t <= 6 else None
            if s is None:  # the window that counts t: the first whose counted range holds it
                for ws, L, j in sliding_windows(40, 6, 3):
                    if ws + 1 + j <= t < ws + 1 + L:
                        s = ws
                        break
            logits, _ = m(torch.tensor(ids[s:t])[None])
            expect -= float(F.log_softmax(logits[0, -1], -1)[ids[t]])
    assert total == pytest.approx(expect, rel=1e-5)
    assert m.text_nll(ids, batch_size=2) == pytest.approx((total, count), rel=1e-6)


def test_decoding_protocol():
    m = _model("rotary", context=6)
    cfg = SamplingConfig(max_tokens=12, greedy=True)
    out = sample(m, [1, 2, 3], cfg)
    # greedy by hand, with a full recompute over the last window at every step
    ctx, expect = [1, 2, 3], []
    for _ in range(12):
        logits, _ = m(torch.tensor([ctx[-6:]]))
        nxt = int(logits[0, -1].argmax())
        expect.append(nxt)
        ctx.append(nxt)
    assert out == expect
    start = torch.tensor([[1, 2, 3], [4, 5, 6]])
    state = None
    g = greedy_search(m, state, start, eos_id=0, max_len=5)
    b1 = beam_search(m, state, start, eos_id=0, beam=1, max_len=5)
    b3 = beam_search(m, state, start, eos_id=0, beam=3, max_len=5)
    assert [h.tokens for h in g] == [h.tokens for h in b1]
    assert all(h3.score >= h1.score - 1e-5 for h1, h3 in zip(b1, b3) if len(h1.tokens) == len(h3.tokens) == 5)


def test_training_learns_a_pattern(tmp_path):
    torch.manual_seed(0)
    cfg = TransformerLMConfig(vocab_size=8, layers=1, dim=16, heads=2, context=8, dropout=0.0, attn_dropout=0.0,
                              emb_dropout=0.0)
    m = TransformerLanguageModel(cfg)
    stream = np.tile(np.arange(8), 60)                                  # 0 1 2 … 7 0 1 …
    task = TransformerLMTask(stream, stream[:100], batch_size=4, context=8, seed=0)
    before = task.evaluate(m)["valid_ppl"]
    res = fit(m, task, TrainConfig(epochs=6, optimizer="adam", lr=1e-2, seed=0), out=tmp_path / "lm.pt",
              kind="lm", model_config=cfg, progress=False)
    after = res.history[-1]["valid_ppl"]
    assert before > 5 and after < 1.5
    assert (tmp_path / "lm.pt").exists() and (tmp_path / "lm.resume.pt").exists()
    assert task.num_batches(1) <= task.num_batches(0)                   # later epochs start at an offset


def test_cli_train_eval_generate_bpe(tmp_path, capsys):
    from wordlab.artifacts import load as load_artifact
    from wordlab.cli import main

    lines = ["the cat sat on the mat .", "a dog ran to the <unk> park .", "the mat was red and the cat was black ."]
    train = tmp_path / "train.txt"
    train.write_text("\n".join(lines * 40) + "\n", encoding="utf-8")
    out = tmp_path / "tf.pt"
    assert main(["-q", "lm", "train", "--arch", "transformer", "--train", str(train), "--valid", str(train),
                 "--layers", "1", "--dim", "16", "--heads", "2", "--context", "16", "--tokenizer", "bpe",
                 "--vocab-size", "300", "--epochs", "1", "--threads", "1", "--json", "-o", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["vocab_size"] <= 300 and summary["steps"] > 0
    lm = load_artifact(out, expect="lm")
    assert isinstance(lm.model, TransformerLanguageModel) and lm.model.config.context == 16
    assert main(["-q", "lm", "eval", str(out), "--text", str(train), "--json", "--threads", "1"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["tokenizer"] == "bpe" and ev["words"] == sum(len(l.split()) + 1 for l in lines) * 40
    assert ev["word_perplexity"] >= ev["perplexity"] > 1 and 0 < ev["bits_per_byte"] < 8
    assert main(["-q", "lm", "generate", str(out), "--prompt", "the cat", "-n", "20", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("the cat") and "Ġ" not in text


def test_cli_transformer_word_level_resume(tmp_path, capsys):
    from wordlab.cli import main

    train = tmp_path / "train.txt"
    train.write_text("you say goodbye and i say hello .\n" * 60, encoding="utf-8")
    out = tmp_path / "w.pt"
    args = ["-q", "lm", "train", "--arch", "transformer", "--train", str(train), "--layers", "1", "--dim", "8",
            "--heads", "2", "--context", "8", "--threads", "1", "--json", "-o", str(out)]
    assert main(args + ["--epochs", "1"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(args + ["--epochs", "2", "--resume"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert [r["epoch"] for r in second["history"]] == [1, 2]
    assert second["history"][0]["train_loss"] == pytest.approx(first["history"][0]["train_loss"])
