"""Fuzzing checkpoints: mutated bytes, and structure-aware payloads (valid pickle-free dicts whose fields have
the wrong type, value or shape) for every checkpoint kind, loaded through the artifact registry."""

from __future__ import annotations

import copy

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import FAST_CASES, SLOW_CASES, fuzz_loader
from wordlab import artifacts
from wordlab.checkpoint import load_checkpoint, save_checkpoint
from wordlab.classify import ClassifierConfig
from wordlab.classify.models import SentenceClassifier
from wordlab.errors import WordlabError
from wordlab.lm import LMConfig, RNNLanguageModel
from wordlab.seq2seq import Seq2Seq, Seq2SeqConfig
from wordlab.seq2seq.data import DataConfig
from wordlab.seq2seq.model import save_model
from wordlab.text import Vocabulary

pytestmark = pytest.mark.usefixtures("one_torch_thread")
CASES = [FAST_CASES, pytest.param(SLOW_CASES, marks=pytest.mark.slow)]


def _lm(path):
    vocab = Vocabulary(["<unk>", "the", "a", "cat"], [1, 5, 3, 2], specials=("<unk>",))
    cfg = LMConfig(vocab_size=4, emb_size=4, hidden_size=4, layers=1, dropout=0.0)
    save_checkpoint(path, kind="lm", config=cfg, state_dict=RNNLanguageModel(cfg).state_dict(), vocab=vocab)


def _seq2seq(path):
    src, tgt = Vocabulary(["<pad>", "<unk>", "a", "b"]), Vocabulary(["<pad>", "<unk>", "<bos>", "<eos>", "x"])
    save_model(path, Seq2Seq(Seq2SeqConfig(len(src), len(tgt), emb=4, hidden=4)), src, tgt, DataConfig())


def _classifier(path):
    vocab = Vocabulary(["<pad>", "<unk>", "good", "bad"])
    cfg = ClassifierConfig(model="mlp", vocab_size=4, embed_dim=4, hidden=(4,), num_classes=2)
    save_checkpoint(path, kind="classifier", config=cfg, state_dict=SentenceClassifier(cfg).state_dict(), vocab=vocab,
                    extra={"labels": ["neg", "pos"]})


MAKERS = {"lm": _lm, "seq2seq": _seq2seq, "classifier": _classifier}


def _load(path):
    artifacts.load(path, device="cpu")


@pytest.mark.parametrize("n", CASES)
def test_checkpoint_bytes(tmp_path, n):
    seeds = []
    for kind, make in MAKERS.items():
        make(tmp_path / f"{kind}.pt")
        seeds.append((tmp_path / f"{kind}.pt").read_bytes())
    stats = fuzz_loader(_load, seeds, n, tmp_path, name="model.pt", seed=11, max_mutations=2)
    assert stats["rejected"] > 0


# ---------------------------------------------------------------- structure-aware
def _paths(payload: dict) -> list[tuple]:
    """Every field (as a key path) of a payload that a fuzzer may replace or delete."""
    out: list[tuple] = []

    def walk(value, path):
        out.append(path)
        if isinstance(value, dict) and len(path) < 4:
            for k, v in value.items():
                walk(v, path + (k,))
        elif isinstance(value, list) and value and len(path) < 4:
            walk(value[0], path + (0,))

    for k, v in payload.items():
        walk(v, (k,))
    return out


WRONG = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.sampled_from([0, -1, 1, 2, 200000, 10**12]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.lists(st.one_of(st.integers(-3, 10), st.text(max_size=3)), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.builds(lambda shape, dtype: torch.zeros(shape, dtype=dtype),
              st.lists(st.integers(0, 5), max_size=3), st.sampled_from([torch.float32, torch.int64, torch.bool])),
)


def _apply(payload: dict, path: tuple, value) -> None:
    node = payload
    for key in path[:-1]:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and node and isinstance(key, int):
            node = node[0]
        else:
            return
    if isinstance(value, str) and value == "<delete>":
        if isinstance(node, dict):
            node.pop(path[-1], None)
        elif isinstance(node, list) and node:
            node.pop()
    elif isinstance(node, dict):
        node[path[-1]] = value
    elif isinstance(node, list) and node:
        node[0] = value


@pytest.mark.parametrize("n", CASES)
def test_checkpoint_structure(tmp_path, n):
    """Valid payloads of every checkpoint kind with 1-3 fields replaced (wrong type, value or shape) or deleted."""
    goods = {}
    for kind, make in MAKERS.items():
        make(tmp_path / f"{kind}.pt")
        goods[kind] = load_checkpoint(tmp_path / f"{kind}.pt")
    paths = {kind: _paths(p) for kind, p in goods.items()}
    target = tmp_path / "mutant.pt"
    edit = st.tuples(st.integers(0, 10**6), st.one_of(st.just("<delete>"), WRONG))

    @settings(max_examples=n, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(kind=st.sampled_from(sorted(MAKERS)), edits=st.lists(edit, min_size=1, max_size=3))
    def check(kind, edits):
        payload = copy.deepcopy({k: v for k, v in goods[kind].items() if k != "state_dict"})
        payload["state_dict"] = dict(goods[kind]["state_dict"])
        for i, value in edits:
            _apply(payload, paths[kind][i % len(paths[kind])], value)
        torch.save(payload, target)
        try:
            artifacts.load(target, device="cpu")
        except WordlabError as e:
            assert "\n" not in str(e), str(e)

    check()


@pytest.mark.parametrize("field, value, pattern", [
    ("hidden_size", 200000, "field 'state_dict.*(lacks|has shape)|over the limit of"),
    ("emb_size", 200000, "field 'state_dict.*(lacks|has shape)|over the limit of"),
    ("hidden_size", "big", "field 'config.hidden_size': expected an integer, found str"),
    ("layers", 10**12, "describes a model far larger than its 7 weight tensors"),
    ("vocab_size", 10**9, "vocabulary has 4 words but the model was built for 1000000000"),
])
def test_lying_lm_config_fails_before_allocating(tmp_path, field, value, pattern):
    _lm(tmp_path / "good.pt")
    payload = load_checkpoint(tmp_path / "good.pt")
    payload["config"][field] = value
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(WordlabError, match=pattern):
        artifacts.load(tmp_path / "bad.pt", device="cpu")


def test_wrong_types_at_the_top_name_the_field(tmp_path):
    _seq2seq(tmp_path / "good.pt")
    payload = load_checkpoint(tmp_path / "good.pt")
    for field, value, says in [("config", [1], "field 'config': expected a mapping, found list"),
                               ("state_dict", {"w": [1.0, 2.0]}, "field 'state_dict.w': expected a tensor, found list"),
                               ("kind", 3, "field 'kind': expected a string"),
                               ("vocab", "x", "field 'vocab': expected a mapping, found str")]:
        bad = dict(payload, **{field: value})
        torch.save(bad, tmp_path / "bad.pt")
        with pytest.raises(WordlabError, match=f"bad.pt: {says}"):
            load_checkpoint(tmp_path / "bad.pt")
