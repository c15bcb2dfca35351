"""Fuzzing the loaders of issue 18's files: phrase table (JSON), co-occurrence cache (.npz + header),
GloVe checkpoint (.npz): every mutant loads or fails with a one-line wordlab error; the registry finds each kind."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import scipy.sparse as sp

from fuzzing import FAST_CASES, SLOW_CASES, fuzz_loader
from wordlab import artifacts
from wordlab.count.cooccurrence_cache import load_cooccurrence, save_cooccurrence
from wordlab.count.glove import GloVe
from wordlab.count.glove_config import GloVeConfig
from wordlab.phrases import PhrasesConfig, PhraseTable, learn_phrases

CASES = [FAST_CASES // 2, pytest.param(SLOW_CASES, marks=pytest.mark.slow)]


def _table_bytes(tmp_path) -> bytes:
    sents = [["new", "york", "is", "in", "the", "state", "of", "new", "york"], ["bank", "of", "america"]] * 4
    learn_phrases(sents, PhrasesConfig(min_count=1, threshold=0.5, passes=2)).save(tmp_path / "seed.json")
    return (tmp_path / "seed.json").read_bytes()


def _glove_bytes(tmp_path) -> bytes:
    X = sp.csr_matrix(np.array([[0, 3.0, 1], [3.0, 0, 2], [1, 2, 0]]))
    m = GloVe(GloVeConfig(dim=2, epochs=1, threads=1, min_count=1))
    m.fit(matrix=X, vocab=["a", "b", "c"])
    m.save_checkpoint(tmp_path / "seed.npz")
    return (tmp_path / "seed.npz").read_bytes()


@pytest.mark.parametrize("n", CASES)
def test_phrase_table_fuzz(tmp_path, n):
    stats = fuzz_loader(PhraseTable.load, [_table_bytes(tmp_path)], n, tmp_path, name="table.json")
    assert stats["accepted"] > 0


@pytest.mark.parametrize("n", CASES)
def test_glove_checkpoint_fuzz(tmp_path, n):
    fuzz_loader(GloVe.load_checkpoint, [_glove_bytes(tmp_path)], n, tmp_path, name="glove.npz")


@pytest.mark.parametrize("n", CASES)
def test_cooccurrence_cache_fuzz(tmp_path, n):
    m = sp.csr_matrix(np.array([[0, 2.0, 0], [2.0, 0, 1.0], [0, 1.0, 0]], np.float32))
    save_cooccurrence(tmp_path / "seed", m, "k", {"window": 2})
    header = (tmp_path / "seed.json").read_bytes()
    # mutate the matrix file under a valid header, then the header beside a valid matrix
    (tmp_path / "x.json").write_bytes(header)
    fuzz_loader(lambda p: load_cooccurrence(tmp_path / "x"), [(tmp_path / "seed.npz").read_bytes()], n, tmp_path,
                name="x.npz")
    shutil.copy(tmp_path / "seed.npz", tmp_path / "y.npz")
    fuzz_loader(lambda p: load_cooccurrence(tmp_path / "y"), [header], n, tmp_path, name="y.json")


def test_registry_finds_each_kind(tmp_path):
    (tmp_path / "t.json").write_bytes(_table_bytes(tmp_path))
    (tmp_path / "g.npz").write_bytes(_glove_bytes(tmp_path))
    save_cooccurrence(tmp_path / "c", sp.csr_matrix(np.eye(3, dtype=np.float32)), "k", {})
    assert artifacts.detect(tmp_path / "t.json").name == "phrase-table"
    assert artifacts.detect(tmp_path / "g.npz").name == "glove-model"
    assert artifacts.detect(tmp_path / "c.npz").name == "cooccurrence"
    assert isinstance(artifacts.load(tmp_path / "t.json"), PhraseTable)
    assert isinstance(artifacts.load(tmp_path / "g.npz", expect="model"), GloVe)
    assert artifacts.load(tmp_path / "c.npz").shape == (3, 3)
