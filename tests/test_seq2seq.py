"""seq2seq: pair files, splits, model variants, overfitting, translation, metrics, checkpoints, plots."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wordlab.errors import CheckpointError, DataError
from wordlab.seq2seq import (DataConfig, Seq2Seq, Seq2SeqConfig, Seq2SeqTask, Translator, build_vocabs,
                             corpus_bleu, dlfs2_split, encode_pairs, exact_match, per_length, read_pairs,
                             split_indices)
from wordlab.seq2seq.data import batch_indices, make_batch, normalize_string, pad
from wordlab.seq2seq.model import reverse_padded
from wordlab.training import TrainConfig, fit



pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------ data


def test_tsv_pairs_extra_columns_swap_and_tutorial_filter(tmp_path):
    f = tmp_path / "eng-fra.txt"
    f.write_text("I am cold.\tJ'ai froid.\tCC-BY 2.0 (France) Attribution\n"
                 "\n"
                 "He is très tired!\tIl est très fatigué !\n"
                 "Go.\tVa !\n"
                 "i am a very very long sentence with more than ten words in it\tx\n", encoding="utf-8")
    pairs = read_pairs(f)
    assert pairs[0] == (["I", "am", "cold."], ["J'ai", "froid."]) and len(pairs) == 4
    tut = read_pairs(f, DataConfig(swap=True, tutorial=True))
    # the tutorial's normalizeString drops accents and '.', splits '!'; filter keeps < 10 words + English prefixes
    assert tut == [(["j", "ai", "froid"], ["i", "am", "cold"]),
                   (["il", "est", "tres", "fatigue", "!"], ["he", "is", "tres", "tired", "!"])]
    assert normalize_string("Ça va ?") == "ca va ?"


def test_dlfs2_format_is_character_level_fixed_width(tmp_path):
    f = tmp_path / "addition.txt"
    f.write_text("16+75  _91  \n52+607 _659 \n", encoding="utf-8")
    pairs = read_pairs(f, DataConfig(format="dlfs2"))
    assert pairs[0] == (list("16+75  "), list("91  ")) and pairs[1][1] == list("659 ")
    # sentences given to translate are padded to the training width, as the file's questions are
    assert DataConfig(format="dlfs2", source_width=7).tokenize_source("3+4") == list("3+4    ")


@pytest.mark.parametrize("content, fmt, match", [
    (b"hello\tbonjour\nno tab here\n", "tsv", r":2: no a tab"),
    (b"hello\tbonjour\n\t salut\n", "tsv", r":2: empty source side"),
    (b"a\tb\nc\td\nhello\t  \n", "tsv", r":3: empty target side"),
    (b"ok\tfine\ncaf\xe9\tcoffee\n", "tsv", r":2: not UTF-8"),
    (b"16+75  _91  \n1+1    2\n", "dlfs2", r":2: no '_'"),
])
def test_malformed_pair_files_give_one_line_errors_with_line_number(tmp_path, content, fmt, match):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(DataError, match=match) as e:
        read_pairs(f, DataConfig(format=fmt))
    assert "\n" not in str(e.value) and str(f) in str(e.value)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(DataError, match="no such pair file"):
        read_pairs(tmp_path / "nope.tsv")
    (tmp_path / "empty.tsv").write_text("\n\n")
    with pytest.raises(DataError, match="no sentence pairs"):
        read_pairs(tmp_path / "empty.tsv")


def test_dlfs2_split_reproduces_load_data():
    sp = dlfs2_split(50000)
    # DLfS-2 dataset/sequence.py: np.random.seed(1984); np.random.shuffle(indices); last 10 % is test
    np.random.seed(1984)
    indices = np.arange(50000)
    np.random.shuffle(indices)
    assert np.array_equal(sp["train"], indices[:45000]) and np.array_equal(sp["test"], indices[45000:])


def test_seeded_split_and_length_sorted_batches():
    a, b = split_indices(103, valid=0.1, test=0.2, seed=5), split_indices(103, valid=0.1, test=0.2, seed=5)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert sorted(np.concatenate(list(a.values())).tolist()) == list(range(103)) and len(a["test"]) == 21
    lengths = np.random.default_rng(0).integers(1, 30, size=500)
    batches = batch_indices(lengths, 16, seed=3)
    assert sorted(np.concatenate(batches).tolist()) == list(range(500))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < np.mean([np.ptp(lengths[b]) for b in np.array_split(np.arange(500), 32)])  # less padding
    assert all(np.array_equal(x, y) for x, y in zip(batches, batch_indices(lengths, 16, seed=3)))


def test_reverse_padded_keeps_padding_in_place():
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    assert reverse_padded(x, torch.tensor([3, 2])).tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]


# ------------------------------------------------------------------ models

TOY = [("a b c", "x y z"), ("b a", "y x"), ("c c a", "z z x"), ("a", "x"), ("b c b a", "y z y x"),
       ("c b", "z y"), ("a a b", "x x y"), ("c", "z")]


def _toy():
    pairs = [(s.split(), t.split()) for s, t in TOY]
    src, tgt = build_vocabs(pairs)
    return pairs, src, tgt, encode_pairs(pairs, src, tgt)


VARIANTS = [dict(), dict(reverse_source=True), dict(peeky=True, cell="gru"), dict(attention="dot"),
            dict(attention="general", bidirectional=True), dict(attention="additive", peeky=True, reverse_source=True),
            dict(attention="additive", teacher_forcing=0.5, layers=2, dropout=0.1)]


@pytest.mark.parametrize("opts", VARIANTS)
def test_variants_shapes_and_padding_invariance(opts):
    pairs, src, tgt, enc = _toy()
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=8, hidden=12, **opts)).eval()
    batch = make_batch(enc, np.arange(len(enc)))
    logits = model(batch.src, batch.src_len, batch.tgt_in)
    assert logits.shape == (len(enc), batch.tgt_in.shape[1], len(tgt))
    # one sentence alone (no padding) gives the same logits as inside the padded batch
    i = 1
    alone = make_batch(enc, np.array([i]))
    ref = model(alone.src, alone.src_len, alone.tgt_in)[0]
    torch.testing.assert_close(logits[i, :ref.shape[0]], ref, atol=1e-5, rtol=1e-5)
    model.train()
    loss, n = model.loss(batch)
    loss.backward()
    assert n == sum(len(t) - 1 for _, t in enc) and math.isfinite(loss.item())


def test_overfits_a_tiny_pair_set_with_the_shared_loop(tmp_path):
    pairs, src, tgt, enc = _toy()
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=16, hidden=32, attention="additive"))
    res = fit(model, Seq2SeqTask(enc, batch_size=4, seed=0), TrainConfig(epochs=40, lr=0.02, clip=5.0),
              progress=False)
    assert res.history[-1]["train_loss"] < 0.05
    tr = Translator(model, src, tgt, DataConfig())
    r = tr.evaluate(pairs, examples=0)
    refs = [t for _, t in pairs]
    assert r["accuracy"] == 1.0 and r["bleu"] == pytest.approx(corpus_bleu(refs, refs))  # nltk's ceiling here
    out = tr.translate(["b c b a"], beam=3)[0]
    assert out.text == "y z y x" and out.attention.shape == (5, 4)  # 4 words + <eos>, 4 source words
    np.testing.assert_allclose(out.attention.sum(1), 1.0, rtol=1e-5)
    # save / load round trip translates the same
    tr.save(tmp_path / "m.pt")
    again = Translator.load(tmp_path / "m.pt")
    assert again.translate(["b c b a"], beam=3)[0].text == "y z y x"


# greedy / beam search (beam 1 == greedy, exhaustive search): tests/test_decoding.py


# ------------------------------------------------------------------ metrics


def test_bleu_and_exact_match():
    refs = [["the", "cat", "is", "on", "the", "mat"], ["there", "is", "a", "cat", "here"], ["hi"]]
    assert corpus_bleu(refs[:2], refs[:2]) == pytest.approx(1.0)
    assert corpus_bleu(refs, refs) < 1.0  # nltk counts a missing n-gram for "hi" (see the docstring)
    assert exact_match(refs, refs) == 1.0
    hyps = [["the", "cat", "sat", "on", "the", "mat"], ["there", "is", "a", "cat", "here"], ["hello"]]
    from nltk.translate.bleu_score import SmoothingFunction
    from nltk.translate.bleu_score import corpus_bleu as nltk_bleu

    expected = nltk_bleu([[r] for r in refs], hyps, smoothing_function=SmoothingFunction().method1)
    assert corpus_bleu(hyps, refs) == pytest.approx(expected) and 0 < expected < 1
    assert exact_match(hyps, refs) == pytest.approx(1 / 3)
    rows = per_length(hyps, refs, [["a"] * 2, ["a"] * 7, ["a"] * 3], buckets=(3, 5))
    assert [(r["lengths"], r["n"]) for r in rows] == [("1-3", 2), ("6+", 1)] and rows[1]["accuracy"] == 1.0


# ------------------------------------------------------------------ checkpoints and plots


def test_checkpoint_errors(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pt"):
        Translator.load(tmp_path / "junk.pt")
    with pytest.raises(CheckpointError, match="no such"):
        Translator.load(tmp_path / "missing.pt")


def test_attention_heatmap_written(tmp_path):
    pytest.importorskip("matplotlib")
    from wordlab.errors import ConfigError
    from wordlab.plots import attention_heatmap

    w = np.random.default_rng(0).dirichlet(np.ones(4), size=3)
    path = attention_heatmap(w, ["je", "suis", "las", " "], ["i", "m", "<eos>"], tmp_path / "att.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ConfigError, match="shape"):
        attention_heatmap(w, ["je"], ["i"], tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
