"""wordlab.classify: data readers, metrics, folds, training (overfit, static mode), checkpoint round trip."""

from __future__ import annotations

import numpy as np
import pytest

from wordlab.classify import (ClassifierConfig, clean_str, confusion_matrix, cross_validate, evaluate,
                              kfold_indices, load_classifier, macro_f1, read_mr, read_tsv)
from wordlab.classify.data import LabelledTexts
from wordlab.classify.train import build_vocab, encode_texts, predict_proba, pretrained_weights, train_classifier
from wordlab.errors import ConfigError, DataError
from wordlab.training import TrainConfig
from wordlab.vectors import KeyedVectors

POS = ["good", "great", "witty", "gorgeous", "fun"]
NEG = ["bad", "dull", "boring", "awful", "tedious"]
FILL = ["the", "movie", "plot", "was", "a", "and", "film", "story", "very", "it"]


def toy(n=40, seed=0) -> LabelledTexts:
    """Sentences of 1-9 filler words with one or two sentiment words; label = which lexicon."""
    g = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        y = i % 2
        words = [str(w) for w in g.choice(FILL, size=g.integers(0, 8))]
        for _ in range(g.integers(1, 3)):
            words.insert(int(g.integers(0, len(words) + 1)), str(g.choice(POS if y else NEG)))
        texts.append(words)
        labels.append(y)
    return LabelledTexts(texts, np.array(labels), ["neg", "pos"])


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def fast_cfg(**kw) -> TrainConfig:
    base = dict(epochs=30, optimizer="adam", lr=0.01, monitor="loss", seed=0)
    base.update(kw)
    return TrainConfig(**base)


# ---------------------------------------------------------------- data


def test_clean_str_like_kim():
    assert clean_str("It's a gorgeous, witty, seductive movie!") == "it 's a gorgeous , witty , seductive movie !"
    assert clean_str("I don't (really) like  \"it\"?") == "i do n't ( really ) like it ?"
    assert clean_str("We'll've") == "we 'll 've"


def test_read_mr_utf8_and_latin1_fallback(tmp_path, caplog):
    pos, neg = tmp_path / "rt.pos", tmp_path / "rt.neg"
    pos.write_bytes("a charming caf\u00e9 comedy\n\nsimply great .\n".encode("utf-8"))
    neg.write_bytes("an unwatchable mess\nna\u00efve and dull\n".encode("latin-1"))
    with caplog.at_level("INFO"):
        d = read_mr(pos, neg, clean=False)
    assert d.label_names == ["neg", "pos"] and d.labels.tolist() == [0, 0, 1, 1]
    assert d.texts[1] == ["na\u00efve", "and", "dull"] and d.texts[2][2] == "caf\u00e9"
    assert "rt.neg: not valid UTF-8" in caplog.text and "latin-1" in caplog.text
    assert "rt.pos: read as UTF-8" in caplog.text
    assert d.sources[3] == f"{pos}:3"  # blank line skipped, numbering kept


def test_read_tsv_and_its_errors(tmp_path):
    p = tmp_path / "d.tsv"
    p.write_text("b\tsecond one\na\tfirst one\nc\tthird\n", encoding="utf-8")
    d = read_tsv(p)
    assert d.label_names == ["a", "b", "c"] and d.labels.tolist() == [1, 0, 2]
    for body, msg in [("a\tok\nb no tab\n", r"d\.tsv:2: no TAB"), ("a\tok\n\tno label\n", r":2: empty label"),
                      ("a\tok\nb\t   \n", r":2: empty text"), ("a\tok\nb\t?? !!\n", None)]:
        p.write_text(body, encoding="utf-8")
        if msg is None:  # with Kim's cleaning "?? !!" keeps tokens; "\u2014" alone would not
            assert len(read_tsv(p, clean=True)) == 2
            continue
        with pytest.raises(DataError, match=msg):
            read_tsv(p)
    p.write_text("a\tok\nb\t\u2014 \u2014\n", encoding="utf-8")
    with pytest.raises(DataError, match=":2: empty text after cleaning"):
        read_tsv(p, clean=True)
    p.write_text("pos\tfine\nmaybe\twhat\n", encoding="utf-8")
    with pytest.raises(DataError, match=r":2: unknown label 'maybe'; the model knows neg, pos"):
        read_tsv(p, label_names=["neg", "pos"])
    with pytest.raises(DataError, match="no such file"):
        read_tsv(tmp_path / "missing.tsv")


# ---------------------------------------------------------------- metrics and folds


def test_metrics_against_loops():
    g = np.random.default_rng(0)
    y, p = g.integers(0, 3, 200), g.integers(0, 3, 200)
    cm = confusion_matrix(y, p, 3)
    for i in range(3):
        for j in range(3):
            assert cm[i, j] == sum(1 for a, b in zip(y, p) if a == i and b == j)
    f1s = []
    for c in range(3):
        tp = sum(1 for a, b in zip(y, p) if a == c and b == c)
        prec, rec = tp / sum(1 for b in p if b == c), tp / sum(1 for a in y if a == c)
        f1s.append(2 * prec * rec / (prec + rec))
    assert macro_f1(y, p, 3) == pytest.approx(np.mean(f1s))


def test_kfold_is_a_seeded_stratified_partition():
    labels = np.array([0] * 53 + [1] * 47)
    folds = kfold_indices(labels, 10, seed=3)
    allidx = np.concatenate(folds)
    assert sorted(allidx.tolist()) == list(range(100))
    assert all(abs(len(f) - 10) <= 1 for f in folds)
    assert all(abs((labels[f] == 0).sum() - 5.3) <= 1 for f in folds)
    assert all(np.array_equal(a, b) for a, b in zip(folds, kfold_indices(labels, 10, seed=3)))
    assert not all(np.array_equal(a, b) for a, b in zip(folds, kfold_indices(labels, 10, seed=4)))
    with pytest.raises(ConfigError):
        kfold_indices(labels, 1)


# ---------------------------------------------------------------- training


@pytest.mark.parametrize("model", ["textcnn", "mlp"])
def test_overfits_a_tiny_labelled_set(model):
    d = toy(24)
    vocab = build_vocab(d.texts)
    cfg = ClassifierConfig(model=model, vocab_size=len(vocab), embed_dim=16, widths=(2, 3), maps=8, dropout=0.0,
                           hidden=(16,))
    m, res = train_classifier(d, vocab, cfg, fast_cfg(), dev_fraction=0.0, batch_size=8, device="cpu")
    probs = predict_proba(m, encode_texts(d.texts, vocab))
    assert (probs.argmax(1) == d.labels).all()
    assert res.history[-1]["train_loss"] < 0.1 * res.history[0]["train_loss"]


def _vectors(vocab_words, dim=8, seed=1):
    g = np.random.default_rng(seed)
    words = [w for w in vocab_words if not w.startswith("<")][:-2]  # a few words stay out of the vectors
    return KeyedVectors(words, g.normal(scale=0.3, size=(len(words), dim)).astype(np.float32))


@pytest.mark.parametrize("mode", ["static", "non-static", "multichannel"])
def test_static_embeddings_stay_unchanged_and_others_move(mode):
    d = toy(30)
    vocab = build_vocab(d.texts)
    kv = _vectors(vocab.itos)
    weights, coverage = pretrained_weights(vocab, kv)
    assert coverage == pytest.approx((len(vocab) - 4) / (len(vocab) - 2))
    cfg = ClassifierConfig(mode=mode, vocab_size=len(vocab), embed_dim=8, widths=(2, 3), maps=6)
    m, _ = train_classifier(d, vocab, cfg, fast_cfg(epochs=5), weights=weights, dev_fraction=0.2, batch_size=8,
                            device="cpu")
    trained = m.embedding.embed.weight.detach().numpy()
    if mode == "static":
        assert np.array_equal(trained, weights)
    else:
        assert not np.allclose(trained, weights)
        assert not trained[0].any()  # <pad> stays zero
    if mode == "multichannel":
        assert np.array_equal(m.embedding.static.weight.detach().numpy(), weights)
    i = vocab.stoi["movie"]
    if "movie" in kv and mode == "static":
        assert np.array_equal(trained[i], kv["movie"])


def test_vectors_of_the_wrong_dimension_and_missing_vectors():
    d = toy(10)
    vocab = build_vocab(d.texts)
    with pytest.raises(ConfigError, match="dimension 8 but .* 300"):
        pretrained_weights(vocab, _vectors(vocab.itos), dim=300)
    with pytest.raises(ConfigError, match="needs pre-trained vectors"):
        train_classifier(d, vocab, ClassifierConfig(mode="static", vocab_size=len(vocab), embed_dim=8),
                         fast_cfg(epochs=1))
    one = LabelledTexts(d.texts, np.zeros(len(d), np.int64), ["neg", "pos"])
    with pytest.raises(ConfigError, match="at least two"):
        train_classifier(one, vocab, ClassifierConfig(vocab_size=len(vocab), embed_dim=8), fast_cfg(epochs=1))


def test_checkpoint_round_trip_predict_and_evaluate(tmp_path):
    d = toy(40)
    vocab = build_vocab(d.texts)
    kv = _vectors(vocab.itos)
    weights, _ = pretrained_weights(vocab, kv)
    cfg = ClassifierConfig(mode="static", vocab_size=len(vocab), embed_dim=8, widths=(2, 3), maps=6, clean=True)
    out = tmp_path / "clf.pt"
    m, res = train_classifier(d, vocab, cfg, fast_cfg(epochs=6, monitor="dev_acc", mode="max"), weights=weights,
                              dev_fraction=0.25, batch_size=8, out=str(out), device="cpu")
    clf = load_classifier(out, device="cpu")
    assert clf.labels == ["neg", "pos"] and clf.config == cfg and clf.vocab == vocab
    texts = [" ".join(t) for t in d.texts[:6]]
    want = predict_proba(m, encode_texts(d.texts[:6], vocab))
    assert np.allclose(clf.predict_proba(texts), want, atol=1e-6)
    labels = clf.predict(texts)
    assert [lab for lab, _ in labels] == [clf.labels[k] for k in want.argmax(1)]
    assert all(0.5 <= p <= 1.0 for _, p in labels)
    rep = evaluate(clf, d)
    assert sum(map(sum, rep["confusion"])) == 40 and rep["accuracy"] == pytest.approx(
        float((predict_proba(m, encode_texts(d.texts, vocab)).argmax(1) == d.labels).mean()))
    with pytest.raises(DataError, match="text 2 is empty after cleaning"):
        clf.predict(["good", "\u2014"])


def test_cross_validate_reports_every_fold():
    d = toy(80)
    vocab = build_vocab(d.texts)
    cfg = ClassifierConfig(model="mlp", vocab_size=len(vocab), embed_dim=8, hidden=(8,), dropout=0.0)
    cv = cross_validate(d, vocab, cfg, fast_cfg(epochs=15, monitor="dev_acc", mode="max", early_stop=5), folds=4,
                        batch_size=8, device="cpu")
    assert cv["folds_run"] == 4 and len(cv["folds"]) == 4
    assert sum(r["n"] for r in cv["folds"]) == 80 and np.sum(cv["confusion"]) == 80
    assert cv["accuracy"] == pytest.approx(np.mean([r["accuracy"] for r in cv["folds"]]))
    assert cv["accuracy"] > 0.7  # the lexicon words decide the label
    part = cross_validate(d, vocab, cfg, fast_cfg(epochs=15, monitor="dev_acc", mode="max", early_stop=5), folds=4,
                          batch_size=8, device="cpu", start_fold=2)  # the last two folds, as in the full run
    assert [r["fold"] for r in part["folds"]] == [2, 3]
    assert [r["accuracy"] for r in part["folds"]] == [r["accuracy"] for r in cv["folds"][2:]]
    with pytest.raises(ConfigError, match="start fold"):
        cross_validate(d, vocab, cfg, fast_cfg(epochs=1), folds=4, start_fold=4, device="cpu")


def test_pretrained_weights_fasttext_gives_oov_words_their_ngram_vectors():
    """A fastText model (made by the tool) gives every MR-style word a row, OOV words from their n-grams
    (the tool's get_word_vector); <unk> keeps its random row, <pad> stays zero."""
    import json
    from pathlib import Path

    from wordlab.artifacts import load_vectors

    data = Path(__file__).resolve().parent / "data" / "fasttext"
    expected = json.loads((data / "expected.json").read_text(encoding="utf-8"))["tiny_sg"]
    kv = load_vectors(data / "tiny_sg.bin")
    oov = [w for w in ("anarchisms", "misspeled", "zzqx") if w not in kv.key_to_index]
    assert oov and "the" in kv.key_to_index
    vocab = build_vocab([["the"] + oov])
    weights, coverage = pretrained_weights(vocab, kv)
    assert coverage == 1.0
    for w in ["the"] + oov:
        assert np.allclose(weights[vocab.stoi[w]], expected["vectors"][w], atol=1e-6), w
    rand, _ = pretrained_weights(vocab, KeyedVectors(["the"], np.ones((1, kv.vector_size), np.float32)))
    assert np.array_equal(weights[vocab.stoi["<unk>"]], rand[vocab.stoi["<unk>"]])
    assert not weights[0].any()
