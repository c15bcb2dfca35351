"""A corpus read through a phrase table: trainers see ``new_york`` without a phrased copy on disk.

:class:`PhrasedCorpus` is a :class:`~wordlab.text.Corpus` whose :meth:`chunks` apply the table's
passes to each block of lines (each line a sentence, as when the table was learned), so
``build_vocab_and_ids`` / ``encode_corpus`` and every trainer built on them train on the phrased
stream. Its :meth:`signature` includes the table's fingerprint, so the id cache keeps phrased and
plain encodings of the same files apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..text import EOS, Corpus
from .sentences import WordIds, sentence_blocks
from .table import PhraseTable


@dataclass
class PhrasedCorpus(Corpus):
    """``Corpus(paths, ...)`` plus ``table``: the tokens of each line with the table's phrases joined."""

    table: PhraseTable | None = field(default=None)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.table, PhraseTable):
            raise TypeError("PhrasedCorpus needs table=PhraseTable (PhraseTable.load(path))")

    @property
    def compiled_split(self) -> bool:  # the compiled splitter would bypass the phrases
        return False

    def signature(self) -> dict:
        return {**super().signature(), "phrases": self.table.fingerprint()}

    def chunks(self, on_bytes: Callable[[int], None] | None = None) -> Iterator[list[str]]:
        plain = Corpus(self.paths, tokenizer=self.tokenizer, eos=False, encoding_errors=self.encoding_errors,
                       block_size=self.block_size)
        word_ids = WordIds()
        for block in self.table.apply_blocks(sentence_blocks(plain, word_ids, on_bytes=on_bytes), word_ids):
            words, ids, starts = word_ids.words, block.ids.tolist(), block.starts
            if not self.eos:
                if ids:
                    yield [words[i] for i in ids]
                continue
            tokens: list[str] = []
            s, n = 0, len(block.line_of)
            for line in range(block.lines):  # <eos> after every line, as Corpus(eos=True)
                while s < n and block.line_of[s] == line:
                    tokens.extend(words[i] for i in ids[starts[s]:starts[s + 1]])
                    s += 1
                tokens.append(EOS)
            if tokens:
                yield tokens


def phrased_corpus(corpus: Corpus, table: PhraseTable | str | os.PathLike) -> PhrasedCorpus:
    """``corpus`` read through ``table`` (a :class:`PhraseTable` or the path of a saved one)."""
    if not isinstance(table, PhraseTable):
        table = PhraseTable.load(table)
    return PhrasedCorpus(corpus.paths, tokenizer=corpus.tokenizer, eos=corpus.eos,
                         encoding_errors=corpus.encoding_errors, block_size=corpus.block_size, table=table)
