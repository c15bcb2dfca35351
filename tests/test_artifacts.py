"""The artifact registry (wordlab.artifacts): detection by content, one loader, wrong-kind messages, provenance."""

from __future__ import annotations

import gzip
import json
import sys

import numpy as np
import pytest
import torch

from wordlab import __version__, artifacts, provenance
from wordlab.checkpoint import load_checkpoint, save_checkpoint
from wordlab.classify import Classifier, ClassifierConfig
from wordlab.classify.models import SentenceClassifier
from wordlab.classify.train import KIND as CLASSIFIER_KIND
from wordlab.errors import CheckpointError, DataError, WordlabError
from wordlab.lm import LMConfig, RNNLanguageModel, load_lm
from wordlab.seq2seq import Seq2Seq, Seq2SeqConfig, Translator
from wordlab.seq2seq.data import DataConfig
from wordlab.seq2seq.model import save_model
from wordlab.text import Vocabulary
from wordlab.vectors import KeyedVectors
from wordlab.word2vec import Word2Vec

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WORDS = ["the", "king", "queen", "man", "woman"]


@pytest.fixture()
def kv():
    rng = np.random.default_rng(0)
    return KeyedVectors(WORDS, rng.standard_normal((5, 4)).astype(np.float32))


def _lm_file(path, vocab_words=WORDS):
    vocab = Vocabulary(vocab_words, np.arange(len(vocab_words)) + 1)
    cfg = LMConfig(vocab_size=len(vocab), emb_size=6, hidden_size=6, layers=1, dropout=0.0)
    model = RNNLanguageModel(cfg)
    save_checkpoint(path, kind="lm", config=cfg, state_dict=model.state_dict(), vocab=vocab)
    return model, vocab, cfg


def _seq2seq_file(path):
    src, tgt = Vocabulary(["<pad>", "<unk>", "a", "b"]), Vocabulary(["<pad>", "<unk>", "<bos>", "<eos>", "x"])
    model = Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=4, hidden=6))
    save_model(path, model, src, tgt, DataConfig())
    return model


def _classifier_file(path):
    vocab = Vocabulary(["<pad>", "<unk>", "good", "bad"])
    cfg = ClassifierConfig(model="mlp", vocab_size=len(vocab), embed_dim=4, hidden=(4,), num_classes=2)
    model = SentenceClassifier(cfg)
    save_checkpoint(path, kind=CLASSIFIER_KIND, config=cfg, state_dict=model.state_dict(), vocab=vocab,
                    extra={"labels": ["neg", "pos"]})
    return model


# ---------------------------------------------------------------- registry
def test_every_kind_of_today_is_registered_by_discovery():
    names = {k.name for k in artifacts.kinds()}
    assert {"word2vec-text", "word2vec-binary", "vectors-npz", "glove-text", "word2vec-model",
            "lm", "seq2seq", "classifier"} <= names


@pytest.mark.parametrize("name, fmt, kind", [
    ("v.txt", "text", "word2vec-text"), ("v.bin", "binary", "word2vec-binary"), ("v.npz", "npz", "vectors-npz"),
    ("no_suffix", "binary", "word2vec-binary"), ("misleading.npz", "text", "word2vec-text"),
    ("misleading.txt", "binary", "word2vec-binary"), ("v.txt.gz", "text", "word2vec-text")])
def test_vector_files_are_detected_by_content_and_load(kv, tmp_path, name, fmt, kind):
    path = tmp_path / name
    kv.save(path, format=fmt)
    assert artifacts.detect(path).name == kind
    got = artifacts.load(path, expect="vectors")
    assert isinstance(got, KeyedVectors) and got.index_to_key == WORDS
    np.testing.assert_allclose(got.vectors, kv.vectors, rtol=1e-6)


def test_headerless_glove_text_is_detected_and_loads_through_keyedvectors(kv, tmp_path):
    lines = [f"{w} {' '.join(map(str, v))}" for w, v in zip(WORDS, kv.vectors)]
    for name in ("glove.6B.4d.txt", "glove_plain", "glove.txt.gz"):
        path = tmp_path / name
        data = ("\n".join(lines) + "\n").encode()
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        assert artifacts.detect(path).name == "glove-text"
        for got in (artifacts.load(path), KeyedVectors.load(path)):
            assert got.index_to_key == WORDS
            np.testing.assert_allclose(got.vectors, kv.vectors, rtol=1e-6)


def test_one_dimensional_glove_whose_first_word_is_a_number_is_not_a_header(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("3 4\nb 0.5\nc 0.25\n")  # "3 4" would be a header for 3 vectors of 4 values
    assert artifacts.detect(path).name == "glove-text"
    assert KeyedVectors.load(path).index_to_key == ["3", "b", "c"]
    path.write_text("2 1\nb 0.5\nc 0.25\n")  # a real header: 2 vectors of 1 value
    assert artifacts.detect(path).name == "word2vec-text"
    assert KeyedVectors.load(path).index_to_key == ["b", "c"]


def test_checkpoints_dispatch_on_their_stored_kind(tmp_path):
    model, vocab, cfg = _lm_file(tmp_path / "lm.weird")
    lm = artifacts.load(tmp_path / "lm.weird", expect="lm", device="cpu")
    assert lm.vocab == vocab and lm.config == cfg
    for a, b in zip(lm.model.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)
    m, v, payload = load_lm(tmp_path / "lm.weird", device="cpu")  # the old tuple interface still unpacks
    assert v == vocab and payload["kind"] == "lm"

    _seq2seq_file(tmp_path / "t.pt")
    assert isinstance(artifacts.load(tmp_path / "t.pt"), Translator)
    assert artifacts.detect(tmp_path / "t.pt").name == "seq2seq"
    _classifier_file(tmp_path / "c.pt")
    clf = artifacts.load(tmp_path / "c.pt", device="cpu")
    assert isinstance(clf, Classifier) and clf.labels == ["neg", "pos"]


def test_word2vec_model_file(tmp_path):
    corpus = [["a", "b", "c", "a", "b"], ["b", "c", "a"]] * 5
    model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1, workers=1)
    model.save(tmp_path / "w2v.npz")
    got = artifacts.load(tmp_path / "w2v.npz", expect="model")
    assert isinstance(got, Word2Vec) and got.vocab.itos == model.vocab.itos
    assert artifacts.detect(tmp_path / "w2v.npz").name == "word2vec-model"


@pytest.mark.parametrize("maker, expect, pattern", [
    ("vectors", "lm", r"v\.bin holds word vectors \(word2vec binary\), not a language-model checkpoint"),
    ("lm", "vectors", r"lm\.pt holds a language-model checkpoint, not word vectors"),
    ("lm", "seq2seq", r"lm\.pt holds a language-model checkpoint, not a translation-model \(seq2seq\) checkpoint"),
    ("vectors", ("lm", "classifier"), "not a language-model checkpoint or a sentence-classifier checkpoint"),
])
def test_wrong_kind_is_one_line_naming_both(kv, tmp_path, maker, expect, pattern):
    if maker == "vectors":
        path = tmp_path / "v.bin"
        kv.save(path)
    else:
        path = tmp_path / "lm.pt"
        _lm_file(path)
    with pytest.raises(WordlabError, match=pattern) as e:
        artifacts.load(path, expect=expect)
    assert "\n" not in str(e.value)
    wants_checkpoint = expect != "vectors"
    assert isinstance(e.value, CheckpointError if wants_checkpoint else DataError)


@pytest.mark.parametrize("content, pattern", [
    (b"", "is empty"), (b"\x00\x01\x02garbage" * 10, "not a file wordlab recognises"),
    (b"hello world, a sentence\nand another\n", "not a file wordlab recognises"),
])
def test_unknown_files_get_one_line(tmp_path, content, pattern):
    path = tmp_path / "x"
    path.write_bytes(content)
    with pytest.raises(DataError, match=pattern):
        artifacts.load(path)
    with pytest.raises(DataError, match="no such file"):
        artifacts.load(tmp_path / "missing")
    with pytest.raises(DataError, match="is a directory"):
        artifacts.detect(tmp_path)


def test_unknown_checkpoint_kind_and_newer_format(tmp_path):
    save_checkpoint(tmp_path / "a.pt", kind="hologram", config={}, state_dict={})
    with pytest.raises(CheckpointError, match="kind 'hologram', which this wordlab does not know"):
        artifacts.load(tmp_path / "a.pt")
    torch.save({"format": "wordlab.checkpoint/7", "kind": "lm"}, tmp_path / "b.pt")
    with pytest.raises(CheckpointError, match="version '7' is newer than this wordlab reads"):
        artifacts.load(tmp_path / "b.pt")


def test_a_package_registers_its_own_kind(tmp_path):
    """What the fastText helper does: a magic number, not a suffix."""
    try:
        artifacts.register(name="test-magic", describe="a test file with a magic number", priority=90,
                           sniff=lambda path, head: head[:4] == b"\xba\x16\x4f\x2f", load=lambda path, **kw: ("ok", kw))
        (tmp_path / "model.txt").write_bytes(b"\xba\x16\x4f\x2f" + bytes(60))
        assert artifacts.load(tmp_path / "model.txt", flag=1) == ("ok", {"flag": 1})
        with pytest.raises(ValueError, match="already registered"):
            artifacts.register(name="vectors-npz", describe="x", sniff=lambda p, h: False, load=print)
    finally:
        artifacts._KINDS.pop("test-magic", None)


# ---------------------------------------------------------------- provenance
def test_checkpoint_provenance_has_version_command_config_and_data_hash(tmp_path):
    corpus = tmp_path / "train.txt"
    corpus.write_text("the king and the queen\n")
    provenance.forget_data()
    provenance.note_data(corpus)
    try:
        _lm_file(tmp_path / "lm.pt")
    finally:
        provenance.forget_data()
    rec = artifacts.provenance(tmp_path / "lm.pt")
    import hashlib

    assert rec["wordlab_version"] == __version__ and rec["command"] == sys.argv
    assert rec["config"]["hidden_size"] == 6
    assert rec["data"] == [{"path": str(corpus.resolve()), "bytes": corpus.stat().st_size,
                            "sha256": hashlib.sha256(corpus.read_bytes()).hexdigest()}]


def test_vector_file_provenance_in_npz_meta_and_sidecar(kv, tmp_path):
    kv.save(tmp_path / "v.npz")
    kv.save(tmp_path / "v.bin")
    for name in ("v.npz", "v.bin"):
        rec = artifacts.provenance(tmp_path / name)
        assert rec["wordlab_version"] == __version__ and "created" in rec
    assert json.loads((tmp_path / "v.bin.provenance.json").read_text())["command"] == sys.argv
    assert KeyedVectors.load(tmp_path / "v.npz").index_to_key == WORDS  # the reader ignores it


def test_the_library_call_is_recorded(tmp_path):
    corpus = [["a", "b", "c", "a", "b"], ["b", "c", "a"]] * 5
    model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1, workers=1)
    model.wv.save(tmp_path / "v.npz")
    assert artifacts.provenance(tmp_path / "v.npz")["call"] == "wordlab.vectors.keyed.KeyedVectors.save"


def test_hash_is_cached_per_path_size_and_mtime(tmp_path, monkeypatch):
    f = tmp_path / "data.txt"
    f.write_text("abc")
    first = provenance.file_sha256(f)
    calls = []
    real = provenance.hashlib.sha256
    monkeypatch.setattr(provenance.hashlib, "sha256", lambda *a: calls.append(1) or real(*a))
    assert provenance.file_sha256(f) == first and not calls
    f.write_text("abcd")
    assert provenance.file_sha256(f) != first and calls


def test_old_files_without_provenance_still_load(kv, tmp_path):
    """A checkpoint and an .npz written before provenance existed (no such field)."""
    model, vocab, cfg = _lm_file(tmp_path / "new.pt")
    payload = load_checkpoint(tmp_path / "new.pt")
    del payload["provenance"]
    torch.save(payload, tmp_path / "old.pt")
    assert artifacts.load(tmp_path / "old.pt", device="cpu").vocab == vocab
    assert artifacts.provenance(tmp_path / "old.pt") is None
    meta = {"format": "wordlab.vectors", "version": 1, "keys": WORDS, "extra": {}}
    np.savez(tmp_path / "old.npz", vectors=kv.vectors,
             meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    assert artifacts.load(tmp_path / "old.npz").index_to_key == WORDS
    assert artifacts.provenance(tmp_path / "old.npz") is None


def test_loading_vectors_through_the_registry_does_not_import_torch(kv, tmp_path):
    """Registering every package's kinds must not import the packages (torch, compiled kernels)."""
    import subprocess

    kv.save(tmp_path / "v.bin")
    code = ("import sys; from wordlab import artifacts; kv = artifacts.load(sys.argv[1], expect='vectors'); "
            "assert len(artifacts.kinds()) >= 8; print(len(kv), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "v.bin")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["5", "False"]


def test_load_vectors_takes_a_model_file_and_refuses_a_checkpoint(kv, tmp_path):
    corpus = [["a", "b", "c", "a", "b"], ["b", "c", "a"]] * 5
    Word2Vec(corpus, vector_size=4, min_count=1, epochs=1, workers=1).save(tmp_path / "w2v.npz")
    got = artifacts.load_vectors(tmp_path / "w2v.npz", limit=2)
    assert isinstance(got, KeyedVectors) and len(got) == 2
    _lm_file(tmp_path / "lm.pt")
    with pytest.raises(WordlabError, match="lm.pt holds a language-model checkpoint, not word vectors"):
        artifacts.load_vectors(tmp_path / "lm.pt")
    kv.save(tmp_path / "v.txt")
    assert artifacts.load_vectors(tmp_path / "v.txt", format="text").index_to_key == WORDS
