"""Sentences as blocks of word ids: one line = one sentence, cut every ``max_sentence_length`` tokens.

This is gensim's ``LineSentence`` (``max_sentence_length=10000``), the usual input of ``Phrases``:
candidates never cross a sentence boundary, so a one-line corpus such as text8 is cut into
10,000-token sentences. Word ids are given in order of first occurrence by one dict that grows
across blocks (:class:`WordIds`), so a block is a flat ``int32`` array plus sentence offsets.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from numba import njit

from ..errors import ConfigError
from ..text import Corpus, get_tokenizer
from ..text.fastcount import ByteCounter, _unicode_ws_len
from ..text.reader import _decode, iter_blocks, iter_raw_blocks

MAX_SENTENCE_LENGTH = 10000


class WordIds(dict):
    """word → id in order of first occurrence; ``words`` is the inverse list."""

    def __init__(self, words: Sequence[str] = ()) -> None:
        super().__init__((w, i) for i, w in enumerate(words))
        self.words: list[str] = list(words)

    def __missing__(self, key: str) -> int:
        value = self[key] = len(self.words)
        self.words.append(key)
        return value

    def encode(self, tokens: list[str]) -> np.ndarray:
        return np.fromiter(map(self.__getitem__, tokens), dtype=np.int32, count=len(tokens))


@dataclass
class Block:
    """A block of sentences: ``ids[starts[s]:starts[s+1]]`` is sentence ``s``; ``line_of[s]`` its line in the block."""

    ids: np.ndarray       # (N,) int32
    starts: np.ndarray    # (S + 1,) int64
    line_of: np.ndarray   # (S,) int64, index of the input line each sentence comes from
    lines: int            # lines in the block (empty ones included)


@njit(cache=True, nogil=True)
def _tokens_per_line(buf):  # pragma: no cover - compiled
    """Number of ``str.split()`` tokens on each ``\\n``-separated line of UTF-8 ``buf`` (the split of fastcount)."""
    n = buf.size
    lines = 1
    for i in range(n):
        if buf[i] == 10:
            lines += 1
    if n and buf[n - 1] == 10:
        lines -= 1
    out = np.zeros(lines, np.int64)
    line = 0
    inside = False
    i = 0
    while i < n:
        b = buf[i]
        w = 0
        if b < 128:
            if b == 32 or (b >= 9 and b <= 13) or (b >= 28 and b <= 31):
                w = 1
        else:
            w = _unicode_ws_len(buf, i, n)
        if w:
            inside = False
            if b == 10:
                line += 1
            i += w
        else:
            if not inside:
                out[line] += 1
                inside = True
            i += 1
    return out


def block_from_lines(token_lines: list[list[str]], word_ids: WordIds,
                     max_sentence_length: int = MAX_SENTENCE_LENGTH) -> Block:
    """Encode lines of tokens; a line longer than ``max_sentence_length`` becomes several sentences."""
    lens = np.fromiter(map(len, token_lines), dtype=np.int64, count=len(token_lines))
    ids = word_ids.encode(list(itertools.chain.from_iterable(token_lines)))
    return block_from_ids(ids, lens, max_sentence_length)


def block_from_ids(ids: np.ndarray, lens: np.ndarray, max_sentence_length: int = MAX_SENTENCE_LENGTH) -> Block:
    """A block from the ids of its tokens and the number of tokens on each line."""
    nonempty = np.flatnonzero(lens)
    pieces = -(-lens[nonempty] // max_sentence_length)  # sentences per non-empty line
    line_of = np.repeat(nonempty, pieces)
    ends = np.cumsum(lens)
    line_start = ends - lens
    # sentence j of its line starts at line_start + j * max_sentence_length
    first = np.cumsum(pieces) - pieces
    within = np.arange(len(line_of)) - np.repeat(first, pieces)
    starts = np.empty(len(line_of) + 1, np.int64)
    starts[:-1] = line_start[line_of] + within * max_sentence_length
    starts[-1] = len(ids)
    return Block(ids, starts, line_of, len(lens))


class _CompiledLines:
    """Whitespace-tokenised line blocks through fastcount's compiled splitter (no ``str`` per token).

    The splitter's own ids are mapped to :class:`WordIds` ids through ``remap`` (a word decoded
    once, when first seen), so a string that is also a phrase formed earlier keeps one id.
    """

    def __init__(self, word_ids: WordIds) -> None:
        self.word_ids = word_ids
        self.counter = ByteCounter(keep_ids=True)
        self.remap = np.zeros(0, np.int32)

    def block(self, raw: bytes, max_sentence_length: int) -> Block:
        lens = _tokens_per_line(np.frombuffer(raw, np.uint8))
        n = self.counter.add(raw)
        local = self.counter.parts.pop() if n else np.zeros(0, np.int32)
        c = self.counter
        n_words = int(c.state[0])
        if n_words > len(self.remap):
            data, off = c.arena[: int(c.state[1])].tobytes(), c.offsets[: n_words + 1].tolist()
            new = [self.word_ids[data[off[i]:off[i + 1]].decode("utf-8")] for i in range(len(self.remap), n_words)]
            self.remap = np.concatenate([self.remap, np.array(new, np.int32)])
        c.counts[:n_words] = 0  # counts are not used here; keep them from growing without bound
        return block_from_ids(self.remap[local], lens, max_sentence_length)


def corpus_line_blocks(corpus: Corpus, on_bytes: Callable[[int], None] | None = None) -> Iterator[list[list[str]]]:
    """Lines of tokens of ``corpus``, a few MiB of text at a time (``eos`` is ignored: a line is a sentence)."""
    tok = get_tokenizer(corpus.tokenizer)
    for path in corpus.files:
        for text in iter_blocks(path, lines=True, encoding_errors=corpus.encoding_errors,
                                block_size=corpus.block_size, on_bytes=on_bytes):
            lines = text.split("\n")
            if text.endswith("\n"):
                lines.pop()
            yield [tok(line) for line in lines]


def sentence_blocks(source: Corpus | Iterable[Sequence[str]], word_ids: WordIds,
                    max_sentence_length: int = MAX_SENTENCE_LENGTH, block_sentences: int = 20000,
                    on_bytes: Callable[[int], None] | None = None) -> Iterator[Block]:
    """:class:`Block` s of a corpus (lines) or of an iterable of token lists (each one sentence)."""
    if max_sentence_length < 1:
        raise ConfigError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
    if isinstance(source, Corpus) and source.tokenizer == "whitespace":
        compiled = _CompiledLines(word_ids)
        for path in source.files:
            for offset, raw in iter_raw_blocks(path, lines=True, block_size=source.block_size, on_bytes=on_bytes):
                if raw.isascii() or _valid_utf8(raw):
                    yield compiled.block(raw, max_sentence_length)
                else:  # not UTF-8: fail with the offset, or decode as asked and take the Python path
                    text = _decode(raw, path, offset, source.encoding_errors)
                    lines = text.split("\n")
                    if text.endswith("\n"):
                        lines.pop()
                    yield block_from_lines([line.split() for line in lines], word_ids, max_sentence_length)
        return
    if isinstance(source, Corpus):
        for lines in corpus_line_blocks(source, on_bytes=on_bytes):
            yield block_from_lines(lines, word_ids, max_sentence_length)
        return
    if isinstance(source, (str, bytes)):
        raise ConfigError("sentences must be an iterable of token lists, not a string")
    batch: list[list[str]] = []
    for sent in source:
        if isinstance(sent, str):
            raise ConfigError("each sentence must be a list of tokens, not a string (split it first)")
        batch.append(list(sent))
        if len(batch) >= block_sentences:
            yield block_from_lines(batch, word_ids, max_sentence_length)
            batch = []
    if batch:
        yield block_from_lines(batch, word_ids, max_sentence_length)


def _valid_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
