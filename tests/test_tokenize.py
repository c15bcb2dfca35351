"""Tokenizers: whitespace, regex, and nltk's data-free Treebank / Toktok / WordPunct."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from wordlab.errors import ConfigError
from wordlab.text import TOKENIZERS, get_tokenizer, read_corpus

SAMPLE = "They'll save and invest more.\nDon't stop-believing,\tO.K.? \"Yes\"\r\n(costs $3.50)\u00a0end"


def test_whitespace_is_str_split():
    tok = get_tokenizer("whitespace")
    for text in (SAMPLE, "", "   ", "a\x1cb\u2003c\u3000d", "one"):
        assert tok(text) == text.split()


def test_regex_lowercases_keeps_inner_apostrophes_and_hyphens_splits_punctuation():
    tok = get_tokenizer("regex")
    assert tok("Don't stop-believing, O.K.?") == ["don't", "stop-believing", ",", "o", ".", "k", ".", "?"]
    assert tok("Café, NAÏVE!") == ["café", ",", "naïve", "!"]
    assert tok("snake_case x") == ["snake", "_", "case", "x"]
    assert tok("  \n ") == []


def test_treebank_matches_nltk_line_by_line():
    from nltk.tokenize import TreebankWordTokenizer

    ref = TreebankWordTokenizer()
    expected = [t for line in SAMPLE.split("\n") for t in ref.tokenize(line)]
    got = get_tokenizer("treebank")(SAMPLE)
    assert got == expected
    assert get_tokenizer("treebank")("They'll save and invest more.") == \
        ["They", "'ll", "save", "and", "invest", "more", "."]


def test_toktok_matches_nltk_line_by_line():
    from nltk.tokenize.toktok import ToktokTokenizer

    ref = ToktokTokenizer()
    assert get_tokenizer("toktok")(SAMPLE) == [t for line in SAMPLE.split("\n") for t in ref.tokenize(line)]
    assert get_tokenizer("toktok")("Hello, world!") == ["Hello", ",", "world", "!"]


def test_wordpunct():
    assert get_tokenizer("wordpunct")("Don't stop-now.") == ["Don", "'", "t", "stop", "-", "now", "."]


def test_nltk_tokenizers_need_no_downloaded_data(tmp_path):
    """In a fresh interpreter whose nltk data path is empty, every tokenizer still works."""
    code = (
        "import nltk\n"
        "try:\n    nltk.data.find('tokenizers/punkt')\n    raise SystemExit('punkt found: the test proves nothing')\n"
        "except LookupError:\n    pass\n"
        "from wordlab.text import get_tokenizer, TOKENIZERS\n"
        "for name in TOKENIZERS:\n    assert get_tokenizer(name)(\"It's a test.\"), name\n"
        "print('ok')\n"
    )
    env = dict(os.environ, NLTK_DATA=str(tmp_path), HOME=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr + r.stdout


def test_get_tokenizer_by_callable_and_unknown_name():
    def tok(text):
        return text.upper().split()

    assert get_tokenizer(tok) is tok
    with pytest.raises(ConfigError, match="unknown tokenizer 'spacy'"):
        get_tokenizer("spacy")
    assert set(TOKENIZERS) >= {"whitespace", "regex", "treebank", "toktok"}


@pytest.mark.parametrize("name", ["regex", "treebank", "toktok", "wordpunct"])
def test_corpus_uses_the_tokenizer_line_by_line_in_eos_mode(tmp_path, name):
    path = tmp_path / "t.txt"
    path.write_text(SAMPLE, encoding="utf-8")
    tok = get_tokenizer(name)
    lines = SAMPLE.split("\n")
    expected = [t for line in lines for t in tok(line) + ["<eos>"]]
    assert list(read_corpus(path, tokenizer=name, eos=True)) == expected
