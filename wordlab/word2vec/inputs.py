"""What ``Word2Vec`` and ``FastText`` accept as a corpus, and the memory check before their tables are made."""

from __future__ import annotations

import os
from typing import Iterable, Sequence

from ..errors import ConfigError
from ..text import EOS, Corpus, read_corpus

CorpusLike = str | os.PathLike | Sequence[str | os.PathLike] | Corpus | Iterable[Sequence[str]]


def as_corpus(corpus: CorpusLike) -> Corpus | list[list[str]]:
    """A :class:`Corpus` for paths, or the list of token lists itself."""
    if isinstance(corpus, Corpus):
        return corpus
    if isinstance(corpus, (str, os.PathLike)):
        return read_corpus(corpus)
    items = list(corpus)
    if items and all(isinstance(x, (str, os.PathLike)) for x in items):
        return read_corpus(items)
    if not all(isinstance(x, (list, tuple)) for x in items):
        raise ConfigError("corpus must be a path, a list of paths, a Corpus or a list of token lists")
    return [list(x) for x in items]


def corpus_chunks(corpus: Corpus | list[list[str]]) -> Iterable[list[str]]:
    if isinstance(corpus, Corpus):
        return corpus.chunks()
    return (list(sentence) + [EOS] for sentence in corpus)  # each list is a sentence


def corpus_name(corpus: Corpus | list[list[str]]) -> str:
    return corpus.name if isinstance(corpus, Corpus) else "corpus"


def check_table_memory(words: int, dim: int) -> None:
    """Refuse (unless ``--force``) two ``words × dim`` float32 tables larger than the memory available."""
    from ..limits import check_memory, estimate_embedding_memory

    check_memory(estimate_embedding_memory(words, dim), f"two {words:,} x {dim:,} float32 tables (W_in, W_out)")
