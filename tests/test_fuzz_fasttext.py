"""The fastText .bin / .ftz loaders in the fuzz suite: a damaged file gives a WordlabError, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzing import FAST_CASES, SLOW_CASES, fuzz_loader

from wordlab.fasttext import FastTextClassifier, read_facebook, vectors_from_facebook

DATA = Path(__file__).resolve().parent / "data" / "fasttext"


def load(path):
    model = read_facebook(path)
    if model.supervised:
        FastTextClassifier.load(path).predict(["the anarchist movement", "café zürich"], k=2)
    else:
        vectors_from_facebook(model).get_vector("zzunseen")


@pytest.mark.parametrize("n", [FAST_CASES, pytest.param(SLOW_CASES, marks=pytest.mark.slow)])
def test_fasttext_loader_fuzz(tmp_path, n):
    seeds = [(DATA / name).read_bytes() for name in ("tiny_sg.bin", "tiny_sup.ftz")]
    stats = fuzz_loader(load, seeds, n, tmp_path, name="model.bin")
    assert stats["accepted"] > 0
