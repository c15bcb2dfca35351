"""Byte-level BPE: clean round trips, atomic <unk>, streaming decode, validation of a stored tokenizer, LM glue."""

from __future__ import annotations

import json
import math

import pytest
import torch

from wordlab.errors import CheckpointError, ConfigError, DataError
from wordlab.lm.evaluate import lm_figures, text_nll, text_stats
from wordlab.lm.subword import checkpoint_tokenizer, load_bpe_lm_data, stream_bpe_text
from wordlab.lm.transformer import TransformerLanguageModel, TransformerLMConfig
from wordlab.text.bpe import EOS_ID, UNK_ID, BPETokenizer, load_tokenizer

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXT = [
    " = Valkyria Chronicles III = ",
    " Senjō no Valkyria 3 : <unk> Chronicles ( Japanese : 戦場のヴァルキュリア3 ) is a game .",
    "the cat sat on the mat . the dog sat on the log .",
    "",
    "naïve café <unk> résumé , the end",
] * 20


@pytest.fixture(scope="module")
def bpe():
    return BPETokenizer.train(TEXT, vocab_size=300)


def test_round_trip_and_atomic_unk(bpe):
    assert len(bpe) <= 300 and bpe.tokenizer.token_to_id("<unk>") == UNK_ID
    ids = bpe.encode_lines(TEXT[:5])
    assert int((ids == EOS_ID).sum()) == 5 and ids[-1] == EOS_ID
    assert int((ids == UNK_ID).sum()) == 2                  # each <unk> is one token, never spelled out
    out = bpe.decode(ids).split("\n")
    assert out[-1] == ""
    for got, line in zip(out, TEXT[:5]):
        assert got.split() == line.split()
    assert "Ġ" not in bpe.decode(ids) and "▁" not in bpe.decode(ids)
    assert out[2] == TEXT[2]                                  # exact where there is no <unk>


def test_unseen_text_and_bytes(bpe):
    text = "Zyxw ünïcødé 🚀 <unk> ok"
    ids = bpe.encode_text(text)
    assert bpe.decode(ids) == text                            # byte-level: nothing outside the alphabet
    assert bpe.decode(bpe.encode_text("a\nb")) == "a\nb"


def test_stream_decode_waits_for_whole_characters(bpe):
    ids = bpe.encode_text("🚀 戦場 <unk> x\nnext")
    pieces = list(bpe.stream_decode(ids))
    assert "".join(pieces) == bpe.decode(ids)
    assert all("\ufffd" not in p for p in pieces)
    assert len(pieces) > 3


def test_json_round_trip_and_validation(bpe, tmp_path):
    again = BPETokenizer.from_json(bpe.to_json())
    assert again.vocab().itos == bpe.vocab().itos
    p = tmp_path / "tok.json"
    p.write_text(bpe.to_json(), encoding="utf-8")
    assert load_tokenizer(p).encode_text("the cat") == bpe.encode_text("the cat")
    with pytest.raises(DataError, match="not valid tokenizers JSON"):
        BPETokenizer.from_json('{"model": 3}')
    with pytest.raises(DataError, match="not valid tokenizers JSON"):
        BPETokenizer.from_json(bpe.to_json()[:-40])
    with pytest.raises(DataError, match="not a JSON string"):
        BPETokenizer.from_json(None)
    d = json.loads(bpe.to_json())                             # swap the specials: not ours
    for t in d["added_tokens"]:
        t["content"] = {"<unk>": "<x>", "<eos>": "<y>"}[t["content"]]
    with pytest.raises(DataError, match="<unk> and <eos> at ids 0 and 1"):
        BPETokenizer.from_json(json.dumps(d))
    with pytest.raises(ConfigError, match="at least 258"):
        BPETokenizer.train(TEXT, vocab_size=100)


def test_checkpoint_tokenizer_checks_the_vocabulary(bpe):
    vocab = bpe.vocab()
    assert checkpoint_tokenizer({"extra": {"tokenizer": bpe.to_json()}}, vocab) is not None
    assert checkpoint_tokenizer({"extra": {}}, vocab) is None
    other = BPETokenizer.train(TEXT[:3] * 5, vocab_size=280)
    with pytest.raises(CheckpointError, match="mixes two models"):
        checkpoint_tokenizer({"extra": {"tokenizer": other.to_json()}}, vocab)


def test_lm_data_generation_and_figures(tmp_path, bpe):
    train = tmp_path / "train.txt"
    train.write_text("\n".join(TEXT) + "\n", encoding="utf-8")
    data = load_bpe_lm_data(train, train, vocab_size=300)
    assert data.tokenizer is not None and len(data.vocab) == len(data.tokenizer)
    assert data.train.max() < len(data.vocab) and int((data.train == EOS_ID).sum()) == len(TEXT)
    torch.manual_seed(0)
    m = TransformerLanguageModel(TransformerLMConfig(vocab_size=len(data.vocab), layers=1, dim=16, heads=2,
                                                     context=16)).eval()
    text = "".join(stream_bpe_text(m, data.tokenizer, "the cat", max_tokens=30, seed=1))
    assert "Ġ" not in text and "<unk>" not in text         # <unk> banned by default
    text2 = "".join(stream_bpe_text(m, data.tokenizer, "the cat", max_tokens=30, seed=1))
    assert text == text2
    total, count = text_nll(m, data.valid)
    stats = text_stats(train)
    assert stats.lines == len(TEXT) and stats.words == sum(len(t.split()) for t in TEXT)
    figs = lm_figures(total, count, len(data.valid), stats)
    assert figs["word_perplexity"] == pytest.approx(
        math.exp(total / count * len(data.valid) / (stats.words + stats.lines)))
    assert figs["bits_per_byte"] == pytest.approx(total / count * len(data.valid) / math.log(2) / stats.bytes)


def test_word_level_figure_equals_per_token():
    stats = text_stats_from(["a b c", "d e"])
    figs = lm_figures(total=14.0, count=7, tokens=7, stats=stats)    # 5 words + 2 <eos> = 7 tokens
    assert figs["word_perplexity"] == pytest.approx(figs["perplexity"])


def text_stats_from(lines):
    from wordlab.lm.evaluate import TextStats

    return TextStats(sum(len(l.split()) for l in lines), len(lines), sum(len(l) + 1 for l in lines))
