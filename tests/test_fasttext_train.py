"""``FastText`` training: the kernel against a naive NumPy step, OOV vectors, files, resume, the CLI verb."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import oracle
import pytest

from wordlab import artifacts
from wordlab.cli import main
from wordlab.errors import ConfigError
from wordlab.fasttext import FastText, FastTextConfig, read_facebook
from wordlab.fasttext.hashing import ngram_buckets
from wordlab.fasttext.kernel import _cbow_centre, _sg_centre
from wordlab.text import read_corpus

DATA = Path(__file__).resolve().parent / "data" / "fasttext"
CORPUS = DATA / "corpus.txt"
SMALL = dict(vector_size=12, min_count=2, bucket=3000, epochs=2, workers=1, sample=0, progress=False, cache_dir=False)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_sg_step_is_one_sgd_step_with_shared_negatives():
    rng = np.random.default_rng(0)
    W_in, W_out = rng.normal(size=(20, 6)).astype(np.float32), rng.normal(size=(8, 6)).astype(np.float32)
    rows = np.array([3, 11, 17], np.int32)  # the centre word's own row and two n-gram rows
    ctx, negs = np.array([1, 2, 4], np.int32), np.array([5, 2], np.int32)  # noise word 2 is also a context
    alpha = 0.1
    h = W_in[rows].mean(0)
    e = np.zeros(6)
    out = W_out.copy()
    for c in ctx:
        g = alpha * (1 - _sigmoid(h @ W_out[c]))
        e += g * W_out[c]
        out[c] += g * h
    for n in negs:
        mk = int(np.sum(ctx != n))  # the pairs it stands for
        g = -alpha * _sigmoid(h @ out[n]) * mk
        e += g * out[n]
        out[n] += g * h
    want_in = W_in.copy()
    want_in[rows] += e
    a_in, a_out = W_in.copy(), W_out.copy()
    _sg_centre(a_in, a_out, rows, 0, 3, ctx, 3, negs, 2, np.float32(alpha), np.empty(6, np.float32),
               np.empty(6, np.float32), False)
    np.testing.assert_allclose(a_in, want_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a_out, out, rtol=1e-5, atol=1e-6)


def test_cbow_step_averages_every_context_row():
    rng = np.random.default_rng(1)
    W_in, W_out = rng.normal(size=(12, 5)).astype(np.float32), rng.normal(size=(4, 5)).astype(np.float32)
    offsets = np.array([0, 2, 3, 6, 7], np.int64)
    rows = np.array([0, 9, 1, 2, 9, 10, 3], np.int32)  # words 0, 2 share n-gram row 9
    ctx = np.array([0, 2], np.int32)
    bag = [0, 9, 2, 9, 10]
    h = W_in[bag].mean(0)
    alpha, centre, negs = 0.05, 1, np.array([3], np.int32)
    e, out = np.zeros(5), W_out.copy()
    for o, y in ((centre, 1.0), (3, 0.0)):
        g = alpha * (y - _sigmoid(h @ W_out[o]))
        e += g * W_out[o]
        out[o] += g * h
    want = W_in.copy()
    for r in bag:  # row 9 twice, as the tool adds the gradient once per occurrence
        want[r] += e
    a_in, a_out = W_in.copy(), W_out.copy()
    _cbow_centre(a_in, a_out, rows, offsets, ctx, 2, centre, negs, 1, np.float32(alpha), np.empty(5, np.float32),
                 np.empty(5, np.float32), False)
    np.testing.assert_allclose(a_in, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a_out, out, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def trained():
    model = FastText(sg=1, **SMALL)
    model.build_vocab(read_corpus(CORPUS, eos=True))
    before = model.W_in.copy()
    model.train()
    return model, before


def test_training_moves_rows_and_lowers_loss(trained):
    model, before = trained
    assert model.W_in.shape == (len(model.vocab) + 3000, 12)
    assert not np.allclose(model.W_in, before)
    assert model.history[-1]["loss"] < model.history[0]["loss"]


def test_vectors_are_means_of_word_and_ngram_rows(trained):
    model, _ = trained
    kv, n = model.wv, len(model.vocab)
    word = "anarchism"
    rows = [model.vocab.stoi[word]] + [n + b for b in ngram_buckets(word, 3, 6, 3000)]
    np.testing.assert_allclose(kv.get_vector(word), model.W_in[rows].mean(0), rtol=1e-5, atol=1e-7)
    oov = "anarchismus"
    assert oov not in kv and kv.has_vector(oov)
    np.testing.assert_allclose(kv.get_vector(oov), model.W_in[[n + b for b in ngram_buckets(oov, 3, 6, 3000)]].mean(0),
                               rtol=1e-5, atol=1e-7)
    assert [w for w, _ in kv.most_similar(oov, topn=3)]
    assert -1 <= kv.similarity(oov, word) <= 1


def test_files_round_trip(trained, tmp_path):
    model, _ = trained
    model.save(tmp_path / "m.npz")
    back = FastText.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.W_in, model.W_in)
    assert back.config == model.config
    model.save_facebook(tmp_path / "m.weird")  # any suffix: found by the magic number
    assert artifacts.detect(tmp_path / "m.weird").name == "fasttext-bin"
    kv = artifacts.load(tmp_path / "m.weird")
    np.testing.assert_allclose(kv.get_vector("anarchismus"), model.wv.get_vector("anarchismus"), rtol=1e-6)
    fb = read_facebook(tmp_path / "m.weird")
    assert fb.words[model.eos_id] == "</s>" and fb.args["model"] == 2
    assert artifacts.detect(tmp_path / "m.npz").name == "fasttext-model"
    fasttext = oracle.require("fasttext")
    ft = fasttext.load_model(str(tmp_path / "m.weird"))
    np.testing.assert_allclose(ft.get_word_vector("anarchismus"), model.wv.get_vector("anarchismus"), rtol=1e-5)


def test_resume_is_bit_identical(tmp_path):
    straight = FastText(sg=0, **SMALL)
    straight.build_vocab(read_corpus(CORPUS, eos=True))
    straight.train()

    class Stop(Exception):
        pass

    def stop(stats):
        raise Stop

    ckpt = tmp_path / "ckpt.npz"
    first = FastText(sg=0, **SMALL)
    first.build_vocab(read_corpus(CORPUS, eos=True))
    with pytest.raises(Stop):
        first.train(checkpoint=ckpt, on_epoch=stop)
    resumed = FastText.load(ckpt)
    resumed.set_corpus(read_corpus(CORPUS, eos=True))
    resumed.train(resume=True)
    np.testing.assert_array_equal(resumed.W_in, straight.W_in)
    np.testing.assert_array_equal(resumed.W_out, straight.W_out)


def test_damaged_model_files_give_one_line(trained, tmp_path):
    """The model file is read as Word2Vec's is: sizes checked, meta validated, shapes against the config."""
    import json as _json

    from wordlab.errors import CheckpointError

    model, _ = trained
    good = _saved(model, tmp_path)
    with np.load(good, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = _json.loads(bytes(arrays["meta"]).decode("utf-8"))

    def write(name, **changes):
        p = tmp_path / name
        np.savez(p, **{**arrays, **changes})
        return p

    def with_meta(**fields):
        return np.frombuffer(_json.dumps({k: v for k, v in {**meta, **fields}.items() if v is not None}).encode(),
                             np.uint8)

    cases = {
        write("rows.npz", W_in=arrays["W_in"][:-1]): r"field 'W_in' has shape .* n-gram buckets",
        write("nototal.npz", meta=with_meta(total_words=None)): r"total_words",
        write("badcfg.npz", meta=with_meta(config={**meta["config"], "min_n": "three"})): r"min_n",
        write("foreign.npz", meta=with_meta(format="wordlab.word2vec/1")): r"not a wordlab fastText model",
    }
    trunc = tmp_path / "trunc.npz"
    trunc.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    cases[trunc] = r"not a readable wordlab fastText model"
    for path, pattern in cases.items():
        with pytest.raises(CheckpointError, match=pattern) as e:
            FastText.load(path)
        assert "\n" not in str(e.value) and str(path) in str(e.value)


def test_vocabulary_update_keeps_ngram_rows(trained, tmp_path):
    model, _ = trained
    n = len(model.vocab)
    ngrams = model.W_in[n:].copy()
    more = tmp_path / "more.txt"
    more.write_text("zyxwv zyxwv zyxwv qwerty qwerty\n", encoding="utf-8")
    model = FastText.load(_saved(model, tmp_path))
    model.build_vocab(read_corpus(more, eos=True), update=True)
    assert len(model.vocab) == n + 2 and model.W_in.shape[0] == n + 2 + 3000
    used = model.subwords[1][model.subwords[0][n]:]  # rows of the new words
    untouched = np.setdiff1d(np.arange(3000), used[used >= n + 2] - (n + 2))
    np.testing.assert_array_equal(model.W_in[n + 2:][untouched], ngrams[untouched])


def _saved(model, tmp_path):
    p = tmp_path / "base.npz"
    model.save(p)
    return p


def test_config_checks():
    with pytest.raises(ConfigError, match="min_n"):
        FastTextConfig(min_n=5, max_n=3)
    with pytest.raises(ConfigError, match="trainer"):
        FastTextConfig(trainer="torch")
    assert FastTextConfig(sg=0).alpha == 0.05 and FastTextConfig(sg=1).alpha == 0.025


def test_cli_train_fasttext(tmp_path, capsys):
    out = tmp_path / "model.bin"
    rc = main(["-q", "train", "fasttext", str(CORPUS), "-o", str(out), "--sg", "--dim", "10", "--min-count", "2",
               "--bucket", "2000", "--epochs", "1", "--threads", "1", "--min-n", "3", "--max-n", "5",
               "--show", "anarchismus", "the"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "anarchismus (not in the vocabulary: n-grams):" in text
    fb = read_facebook(out)
    assert (fb.args["dim"], fb.args["minn"], fb.args["maxn"], fb.args["bucket"]) == (10, 3, 5, 2000)
    vec = tmp_path / "model.vec"
    assert main(["-q", "train", "fasttext", str(CORPUS), "-o", str(vec), "--dim", "8", "--min-count", "2",
                 "--bucket", "1000", "--epochs", "1", "--threads", "1"]) == 0
    assert vec.read_text(encoding="utf-8").split("\n", 1)[0].split()[1] == "8"
    assert main(["-q", "train", "fasttext", str(CORPUS), "-o", str(tmp_path / "x.bin"), "--min-n", "6",
                 "--max-n", "3"]) == 1
    err = capsys.readouterr().err
    assert "min_n" in err and len(err.strip().splitlines()) == 1
    assert main(["-q", "similar", str(out), "anarchismus", "--topn", "2"]) == 0  # an unseen word
