"""Tokenizers: whitespace, regex (lower-case, punctuation split) and nltk's data-free ones.

Each tokenizer is a function ``str -> list[str]``. The nltk tokenizers used here
(Treebank, Toktok, WordPunct) need no downloaded data, unlike ``nltk.word_tokenize``
(which needs the punkt model).
"""

from __future__ import annotations

import re
from typing import Callable

from ..errors import ConfigError

UNK, EOS, PAD, BOS = "<unk>", "<eos>", "<pad>", "<bos>"
SPECIALS = (PAD, UNK, BOS, EOS)

Tokenizer = Callable[[str], list[str]]

# words (with inner apostrophes/hyphens), numbers, or any single other non-space character
_WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*|\S", re.UNICODE)


def whitespace_tokenize(text: str) -> list[str]:
    """Split on runs of whitespace (``str.split``); CR, tabs and newlines all count."""
    return text.split()


def regex_tokenize(text: str) -> list[str]:
    """Lower-case, then keep words (``don't``, ``state-of-the-art`` stay whole) and split off punctuation."""
    return _WORD_RE.findall(text.lower())


def _nltk(name: str) -> Tokenizer:
    if name == "treebank":
        from nltk.tokenize import TreebankWordTokenizer

        t = TreebankWordTokenizer()
        return lambda text: [tok for line in text.split("\n") for tok in t.tokenize(line)]
    if name == "toktok":
        from nltk.tokenize.toktok import ToktokTokenizer

        t = ToktokTokenizer()
        return lambda text: [tok for line in text.split("\n") for tok in t.tokenize(line)]
    from nltk.tokenize import wordpunct_tokenize

    return wordpunct_tokenize


TOKENIZERS = ("whitespace", "regex", "treebank", "toktok", "wordpunct")


def get_tokenizer(spec: str | Tokenizer = "whitespace") -> Tokenizer:
    """A tokenizer by name (one of :data:`TOKENIZERS`) or the callable itself."""
    if callable(spec):
        return spec
    if spec == "whitespace":
        return whitespace_tokenize
    if spec == "regex":
        return regex_tokenize
    if spec in ("treebank", "toktok", "wordpunct"):
        return _nltk(spec)
    raise ConfigError(f"unknown tokenizer {spec!r}; choose one of {', '.join(TOKENIZERS)}")
