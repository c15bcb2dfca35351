"""Shared fixtures: paths to the shipped corpora and small generated corpora."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "corpora"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Keep the id cache of every test out of the user's home."""
    monkeypatch.setenv("WORDLAB_CACHE", str(tmp_path_factory.getbasetemp() / "wordlab-cache"))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models run fastest, and steadiest on a shared machine, on one torch thread
    (a module opts in with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def text8_head() -> Path:
    """The shipped 1.17M-word head of text8 (gzip)."""
    return CORPORA / "text8-head.gz"


@pytest.fixture()
def small_corpus(tmp_path) -> Path:
    """DLfS-2's toy sentence, repeated: a deterministic 70-token corpus."""
    p = tmp_path / "small.txt"
    p.write_text("you say goodbye and i say hello .\n" * 10, encoding="utf-8")
    return p
