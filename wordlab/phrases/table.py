"""A frozen phrase table (gensim 4's ``FrozenPhrases``): phrase → score, applied greedily left to right, saved as JSON.

Applying one pass to a sentence follows gensim's ``analyze_sentence``: walk the non-connector
words; the candidate ``a [connectors] b`` formed with the previous one becomes one token
``a_[connectors_]b`` when its joined string is in the table with a score above the threshold;
after a phrase the next word starts afresh (a word is in at most one phrase per pass), and
connector words outside a phrase stay as they are. Several passes (``PhraseTable.passes``)
are applied one after the other, which is how ``new_york_times`` forms from ``new_york``.

Here a block of sentences is done at once: the candidates come from the compiled
:func:`~wordlab.phrases.counting.candidates`; only those whose first and last words begin
and end some phrase of the table are joined into strings and looked up; a compiled loop
makes the greedy choice and writes the new id array, the merged tokens getting ids in the
same growing :class:`~wordlab.phrases.sentences.WordIds`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
from numba import njit

from ..atomic import atomic_write_text
from ..errors import DataError
from ..text import Corpus
from .counting import ConnectorCodes, candidates, fix_long_runs
from .sentences import MAX_SENTENCE_LENGTH, Block, WordIds, sentence_blocks

FORMAT = "wordlab.phrases/1"


@njit(cache=True, nogil=True)
def _merge(ids, starts, pos, end, hit, phrase_id):  # pragma: no cover - compiled
    """New ids and sentence starts after joining each accepted candidate ``pos[k]..end[k]``.

    Greedy as gensim: candidate ``k`` is taken when ``hit[k]`` and the previous candidate was
    not taken with ``end[k-1] == pos[k]`` (that word is already inside a phrase).
    """
    n = len(ids)
    out = np.empty(n, np.int32)
    new_starts = np.empty(len(starts), np.int64)
    take = np.zeros(len(pos), np.bool_)
    prev_taken_end = -1
    for k in range(len(pos)):
        if hit[k] and pos[k] != prev_taken_end:
            take[k] = True
            prev_taken_end = end[k]
    k = 0
    m = 0
    s = 0
    i = 0
    for s in range(len(starts) - 1):
        new_starts[s] = m
        i = starts[s]
        while i < starts[s + 1]:
            while k < len(pos) and (pos[k] < i or not take[k]):
                k += 1
            if k < len(pos) and pos[k] == i:
                out[m] = phrase_id[k]
                i = end[k] + 1
            else:
                out[m] = ids[i]
                i += 1
            m += 1
    new_starts[len(starts) - 1] = m
    return out[:m], new_starts


@dataclass(frozen=True)
class PhrasePass:
    """One pass: the phrases gensim's ``Phrases.export_phrases()`` returns, and the settings that found them."""

    phrasegrams: dict[str, float]
    delimiter: str = "_"
    connector_words: tuple[str, ...] = ()
    threshold: float = 10.0
    min_count: float = 5
    scoring: str = "default"

    def to_dict(self) -> dict[str, Any]:
        return {"delimiter": self.delimiter, "connector_words": sorted(self.connector_words),
                "threshold": self.threshold, "min_count": self.min_count, "scoring": self.scoring,
                "phrasegrams": self.phrasegrams}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> "PhrasePass":
        if not isinstance(d, dict) or not isinstance(d.get("phrasegrams"), dict):
            raise DataError(f"{where}: a pass must be an object with a 'phrasegrams' object")
        grams = d["phrasegrams"]
        if not all(isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                   for k, v in grams.items()):
            raise DataError(f"{where}: phrasegrams must map phrase strings to numeric scores")
        if not isinstance(d.get("min_count", 5), (int, float)) or isinstance(d.get("min_count", 5), bool):
            raise DataError(f"{where}: min_count must be a number")
        delim, conn = d.get("delimiter", "_"), d.get("connector_words", [])
        if not isinstance(delim, str) or not delim:
            raise DataError(f"{where}: delimiter must be a non-empty string")
        if not isinstance(conn, list) or not all(isinstance(w, str) for w in conn):
            raise DataError(f"{where}: connector_words must be a list of strings")
        thr = d.get("threshold", 10.0)
        if not isinstance(thr, (int, float)) or isinstance(thr, bool):
            raise DataError(f"{where}: threshold must be a number")
        return cls({k: float(v) for k, v in grams.items()}, delim, tuple(conn), float(thr),
                   d.get("min_count", 5), str(d.get("scoring", "default")))


class _Applier:
    """One pass bound to a growing :class:`WordIds` (lookup arrays extended as new words appear)."""

    def __init__(self, p: PhrasePass, word_ids: WordIds) -> None:
        self.p, self.word_ids = p, word_ids
        self.codes = ConnectorCodes(sorted(p.connector_words))
        self._conn_index = {w: i for i, w in enumerate(self.codes.words)}
        d = p.delimiter
        self._firsts, self._lasts = set(), set()
        for phrase in p.phrasegrams:  # every prefix / suffix ending at a delimiter (exact even if words hold it)
            i = phrase.find(d)
            while i > 0:
                self._firsts.add(phrase[:i])
                i = phrase.find(d, i + 1)
            i = phrase.rfind(d)
            while i >= 0:
                self._lasts.add(phrase[i + len(d):])
                i = phrase.rfind(d, 0, i)
        self.conn = np.zeros(0, np.int32)
        self.first_ok = np.zeros(0, bool)
        self.last_ok = np.zeros(0, bool)

    def _extend(self) -> None:
        n, words = len(self.conn), self.word_ids.words
        if n == len(words):
            return
        new = words[n:]
        self.conn = np.concatenate([self.conn, np.array([self._conn_index.get(w, -1) for w in new], np.int32)])
        self.first_ok = np.concatenate([self.first_ok, np.array([w in self._firsts for w in new], bool)])
        self.last_ok = np.concatenate([self.last_ok, np.array([w in self._lasts for w in new], bool)])

    def apply(self, block: Block) -> Block:
        self._extend()
        ids, starts = block.ids, block.starts
        a, b, seq, pos, end = candidates(ids, starts, self.conn, self.codes.base, self.codes.max_gap)
        seq = fix_long_runs(ids, self.conn, seq, pos, self.codes)
        maybe = np.flatnonzero(self.first_ok[a] & self.last_ok[b])
        hit = np.zeros(len(a), bool)
        phrase_id = np.zeros(len(a), np.int32)
        if len(maybe):
            words, grams, d, thr = self.word_ids.words, self.p.phrasegrams, self.p.delimiter, self.p.threshold
            run, get = self.codes.run, grams.get
            for k in maybe.tolist():
                s = int(seq[k])
                phrase = d.join([words[a[k]], *run(s), words[b[k]]]) if s else words[a[k]] + d + words[b[k]]
                if get(phrase, -np.inf) > thr:
                    hit[k] = True
                    phrase_id[k] = self.word_ids[phrase]
        if not hit.any():
            return block
        out, new_starts = _merge(ids, starts, pos, end, hit, phrase_id)
        return Block(out, new_starts, block.line_of, block.lines)


@dataclass
class PhraseTable:
    """Frozen phrases of one or more passes; ``table[sentence]`` phrases one sentence, :meth:`lines` a corpus."""

    passes: list[PhrasePass]
    provenance: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(p.phrasegrams) for p in self.passes)

    def phrases(self) -> dict[str, float]:
        """Every phrase of every pass with its score."""
        out: dict[str, float] = {}
        for p in self.passes:
            out.update(p.phrasegrams)
        return out

    def fingerprint(self) -> str:
        """A short hash of the table's content (for caches keyed on the phrased stream)."""
        text = json.dumps([p.to_dict() for p in self.passes], sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    # ------------------------------------------------------------------ applying
    def appliers(self, word_ids: WordIds) -> list[_Applier]:
        return [_Applier(p, word_ids) for p in self.passes]

    def apply_blocks(self, blocks: Iterable[Block], word_ids: WordIds) -> Iterator[Block]:
        """Each block with every pass applied in order."""
        appliers = self.appliers(word_ids)
        for block in blocks:
            for ap in appliers:
                block = ap.apply(block)
            yield block

    def __getitem__(self, sentence: Sequence[str]) -> list[str]:
        """One sentence (a list of tokens) with its phrases joined."""
        word_ids = WordIds()
        block = next(self.apply_blocks(sentence_blocks([list(sentence)], word_ids, len(sentence) or 1), word_ids),
                     None)
        return [] if block is None else [word_ids.words[i] for i in block.ids.tolist()]

    def transform(self, source: Corpus | Iterable[Sequence[str]],
                  max_sentence_length: int = MAX_SENTENCE_LENGTH) -> Iterator[list[str]]:
        """Phrased sentences (lists of tokens) of a corpus or an iterable of token lists."""
        word_ids = WordIds()
        for block in self.apply_blocks(sentence_blocks(source, word_ids, max_sentence_length), word_ids):
            words = word_ids.words
            for s in range(len(block.starts) - 1):
                yield [words[i] for i in block.ids[block.starts[s]:block.starts[s + 1]].tolist()]

    def lines(self, corpus: Corpus, on_bytes=None) -> Iterator[str]:
        """The corpus's lines with phrases joined (a line cut into several sentences is put back together)."""
        word_ids = WordIds()
        for block in self.apply_blocks(sentence_blocks(corpus, word_ids, on_bytes=on_bytes), word_ids):
            yield from block_lines(block, word_ids)

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "passes": [p.to_dict() for p in self.passes], "provenance": self.provenance}

    def save(self, path: str | os.PathLike) -> None:
        """Write the table as JSON (atomically)."""
        atomic_write_text(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PhraseTable":
        """Read a table written by :meth:`save`; one-line :class:`DataError` for anything else."""
        p = Path(path)
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"{p}: no such file") from None
        except (ValueError, UnicodeDecodeError, RecursionError) as e:  # JSONDecodeError is a ValueError
            raise DataError(f"{p}: not a phrase table (not valid JSON: {str(e)[:120]})") from None
        except OSError as e:
            raise DataError(f"{p}: cannot read: {e.strerror or e}") from None
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise DataError(f"{p}: not a wordlab phrase table (expected format {FORMAT!r}; "
                            f"make one with `wordlab phrases CORPUS -o phrased.txt --save-table TABLE.json`)")
        passes = d.get("passes")
        if not isinstance(passes, list) or not passes:
            raise DataError(f"{p}: 'passes' must be a non-empty list")
        prov = d.get("provenance", {})
        try:
            loaded = [PhrasePass.from_dict(x, f"{p}: pass {i + 1}") for i, x in enumerate(passes)]
        except (TypeError, ValueError, OverflowError) as e:
            if isinstance(e, DataError):
                raise
            raise DataError(f"{p}: damaged phrase table ({type(e).__name__}: {str(e)[:120]})") from None
        return cls(loaded, prov if isinstance(prov, dict) else {})


def block_lines(block: Block, word_ids: WordIds) -> Iterator[str]:
    """The text lines of a block (sentences of one input line joined by spaces; empty lines kept)."""
    words = word_ids.words
    ids, starts, line_of = block.ids.tolist(), block.starts, block.line_of
    s, n = 0, len(line_of)
    for line in range(block.lines):
        parts = []
        while s < n and line_of[s] == line:
            parts.append(" ".join([words[i] for i in ids[starts[s]:starts[s + 1]]]))
            s += 1
        yield " ".join(parts)
