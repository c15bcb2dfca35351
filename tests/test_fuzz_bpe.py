"""Fuzzing the BPE tokenizer a checkpoint stores: a tokenizer JSON file (as read from a checkpoint's ``extra``)
that is damaged in any way loads or fails with wordlab's own one-line error, never another exception."""

from __future__ import annotations

import pytest

from fuzzing import FAST_CASES, SLOW_CASES, fuzz_loader
from wordlab.text.bpe import BPETokenizer, load_tokenizer

CASES = [FAST_CASES, pytest.param(SLOW_CASES, marks=pytest.mark.slow)]
TEXT = ["the cat sat on the mat .", "a <unk> ran to the park , naïve café", "戦場 ☃ the end"] * 10


def _load(path):
    bpe = load_tokenizer(path)
    ids = bpe.encode_text("the cat <unk> 戦場")        # a tokenizer that loads must also encode and decode
    bpe.decode(ids)


@pytest.mark.parametrize("n", CASES)
def test_tokenizer_json(tmp_path, n):
    seed = BPETokenizer.train(TEXT, vocab_size=280).to_json().encode("utf-8")
    stats = fuzz_loader(_load, [seed], n, tmp_path, name="tokenizer.json", seed=31)
    assert stats["accepted"] > 0
