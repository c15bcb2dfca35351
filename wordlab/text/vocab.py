"""Vocabulary: word counts, ``min_count`` / ``max_size`` pruning, specials, ids, JSON save/load.

Order is deterministic: specials first (in the order given), then words by count
descending, ties broken by first occurrence in the corpus — the order gensim and the
word2vec C tool use, so id 0.. are the most frequent words.

Counting is one streaming pass; memory is bounded by the vocabulary, not the corpus.
Words get *provisional* ids in order of first occurrence: ``collections.Counter`` (a C
loop) when only counts are needed, a dict lookup per token + ``np.bincount`` when
:func:`scan_and_encode` also keeps the ids, so a model gets its vocabulary and its id
array from a single read. A large :class:`~wordlab.text.reader.Corpus` with the
whitespace tokenizer goes through the compiled splitter of :mod:`wordlab.text.fastcount`
instead (same words, counts and ids).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import numpy as np

from ..atomic import atomic_write_text
from ..errors import ConfigError, DataError
from .tokenize import UNK

if TYPE_CHECKING:
    from .fastcount import ByteCounter
    from .reader import Corpus

log = logging.getLogger(__name__)

FORMAT = "wordlab.vocabulary/1"


class _FirstSeen(dict):
    """dict word → provisional id; a missing word gets the next id (called only on misses)."""

    def __missing__(self, key: str) -> int:
        value = self[key] = len(self)
        return value


class _Scan:
    """Accumulates provisional ids and counts over chunks of tokens."""

    def __init__(self, keep_ids: bool) -> None:
        self.ids = _FirstSeen()
        self.counts = np.zeros(1024, dtype=np.int64)
        self.keep_ids = keep_ids
        self.parts: list[np.ndarray] = []
        self.total = 0
        # counting only: Counter.update runs in C and keeps first-occurrence (insertion) order
        self.counter: Counter[str] | None = None if keep_ids else Counter()

    def add(self, tokens: list[str]) -> None:
        n = len(tokens)
        if not n:
            return
        if self.counter is not None:
            self.counter.update(tokens)
            self.total += n
            return
        arr = np.fromiter(map(self.ids.__getitem__, tokens), dtype=np.int32, count=n)
        size = len(self.ids)
        if size > len(self.counts):
            self.counts = np.concatenate([self.counts, np.zeros(max(size, 2 * len(self.counts)) - len(self.counts), np.int64)])
        self.counts[:size] += np.bincount(arr, minlength=size)
        self.total += n
        if self.keep_ids:
            self.parts.append(arr)

    def id_array(self) -> np.ndarray:
        """Provisional ids of every token so far (``keep_ids=True``)."""
        return np.concatenate(self.parts) if self.parts else np.zeros(0, np.int32)

    def words_and_counts(self) -> tuple[list[str], np.ndarray]:
        if self.counter is not None:
            return list(self.counter), np.fromiter(self.counter.values(), dtype=np.int64, count=len(self.counter))
        return list(self.ids), self.counts[: len(self.ids)].copy()


def _scan(source: "Iterable[list[str]] | Corpus", keep_ids: bool,
          on_bytes: Callable[[int], None] | None = None) -> "_Scan | ByteCounter":
    """Count (and with ``keep_ids`` record provisional ids of) the tokens of chunks or of a :class:`Corpus`.

    A corpus with the whitespace tokenizer goes through the compiled splitter
    (:mod:`wordlab.text.fastcount`), which gives the same words, counts and ids as the
    Python path, several times faster.
    """
    from .reader import Corpus

    if isinstance(source, Corpus):
        counter = _byte_counter(keep_ids) if source.compiled_split else None
        if counter is not None:
            for path in source.files:
                if not sum(counter.add(block) for block in source.byte_blocks(path, on_bytes=on_bytes)):
                    raise DataError(f"{path}: holds no tokens (only whitespace)")
            return counter
        source = source.chunks(on_bytes=on_bytes)
    scan = _Scan(keep_ids)
    for tokens in source:
        scan.add(tokens)
    return scan


def _byte_counter(keep_ids: bool) -> "ByteCounter | None":
    try:
        from .fastcount import ByteCounter
    except ImportError:  # pragma: no cover - numba missing: the Python path does the same, slower
        log.info("numba not available; counting tokens in Python")
        return None
    return ByteCounter(keep_ids=keep_ids)


class Vocabulary:
    """Words ↔ ids with counts.

    Parameters
    ----------
    words: words in id order (specials included).
    counts: corpus count of each word (0 for specials that never occur).
    specials: which of ``words`` are special tokens (``<pad>``, ``<unk>``, ``<bos>``, ``<eos>``).
    total_words: number of tokens in the corpus the counts came from (pruned words included).
    """

    def __init__(self, words: Sequence[str], counts: Sequence[int] | np.ndarray | None = None,
                 specials: Sequence[str] = (), total_words: int | None = None) -> None:
        self.itos: list[str] = list(words)
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            dup = next(w for i, w in enumerate(self.itos) if self.stoi[w] != i)
            raise DataError(f"vocabulary lists the word {dup!r} twice")
        self.counts = np.asarray(counts if counts is not None else np.zeros(len(self.itos)), dtype=np.int64)
        if len(self.counts) != len(self.itos):
            raise DataError(f"vocabulary has {len(self.itos)} words but {len(self.counts)} counts")
        self.specials = tuple(specials)
        self.total_words = int(self.counts.sum()) if total_words is None else int(total_words)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_counts(cls, words: Sequence[str], counts: np.ndarray, *, min_count: int = 1,
                    max_size: int | None = None, specials: Sequence[str] = (),
                    total_words: int | None = None, source: str = "corpus") -> tuple["Vocabulary", np.ndarray]:
        """Prune and order ``words`` (in first-occurrence order) by count.

        Returns the vocabulary and ``remap``: provisional id → final id (``-1`` for pruned
        words, or the ``<unk>`` id when ``<unk>`` is among the specials). ``source`` names
        the corpus in error messages.
        """
        if min_count < 1:
            raise ConfigError(f"min_count must be >= 1, got {min_count}")
        if max_size is not None and max_size < 1:
            raise ConfigError(f"max_size must be >= 1, got {max_size}")
        counts = np.asarray(counts, dtype=np.int64)
        specials = list(dict.fromkeys(specials))
        is_special = np.fromiter((w in specials for w in words), dtype=bool, count=len(words)) if specials \
            else np.zeros(len(words), bool)
        keep = (counts >= min_count) & ~is_special
        cand = np.flatnonzero(keep)
        order = cand[np.argsort(-counts[cand], kind="stable")]  # count desc, first occurrence
        if max_size is not None:
            order = order[: max(0, max_size - len(specials))]
        if len(order) == 0:
            most = int(counts[~is_special].max()) if (~is_special).any() else 0
            raise DataError(
                f"{source}: no word occurs at least min_count={min_count} times "
                f"(the most frequent occurs {most} times in {int(counts.sum())} tokens); lower --min-count"
            )
        special_counts = [int(counts[words.index(s)]) if s in words else 0 for s in specials] if specials else []
        final_words = specials + [words[i] for i in order]
        final_counts = np.concatenate([np.asarray(special_counts, np.int64), counts[order]])
        vocab = cls(final_words, final_counts, specials=specials,
                    total_words=int(counts.sum()) if total_words is None else total_words)
        fill = vocab.stoi.get(UNK, -1)
        remap = np.full(len(words), fill, dtype=np.int32)
        remap[order] = np.arange(len(specials), len(specials) + len(order), dtype=np.int32)
        for s in specials:
            if s in words:
                remap[words.index(s)] = vocab.stoi[s]
        return vocab, remap

    @classmethod
    def build(cls, chunks: "Iterable[list[str]] | Corpus", *, min_count: int = 1, max_size: int | None = None,
              specials: Sequence[str] = (), source: str | None = None,
              on_bytes: Callable[[int], None] | None = None) -> "Vocabulary":
        """Count the tokens of a :class:`Corpus` (fastest) or of ``chunks`` (lists of tokens) and build the vocabulary.

        ``source`` names the corpus in error messages (default: ``Corpus.name``);
        ``on_bytes`` is the corpus's progress callback (see :meth:`Corpus.chunks`).
        """
        source = source or getattr(chunks, "name", None) or "corpus"
        scan = _scan(chunks, keep_ids=False, on_bytes=on_bytes)
        if scan.total == 0:
            raise DataError(f"{source}: holds no tokens")
        words, counts = scan.words_and_counts()
        vocab, _ = cls.from_counts(words, counts, min_count=min_count, max_size=max_size,
                                   specials=specials, total_words=scan.total, source=source)
        return vocab

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: object) -> bool:
        return word in self.stoi

    def __getitem__(self, word: str) -> int:
        return self.stoi[word]

    def __iter__(self):
        return iter(self.itos)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos and np.array_equal(self.counts, other.counts)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words, {self.total_words} tokens, specials={list(self.specials)})"

    @property
    def unk_id(self) -> int | None:
        """Id of ``<unk>``, or ``None`` when the vocabulary has none."""
        return self.stoi.get(UNK)

    def id(self, word: str, default: int | None = None) -> int | None:
        """Id of ``word`` (``default`` when absent)."""
        return self.stoi.get(word, default)

    def coverage(self) -> float:
        """Fraction of corpus tokens that are in the vocabulary."""
        return float(self.counts.sum()) / self.total_words if self.total_words else 0.0

    def encode(self, tokens: Sequence[str], unknown: str = "auto") -> np.ndarray:
        """Tokens → ``np.int32`` ids.

        ``unknown``: ``"unk"`` maps out-of-vocabulary tokens to ``<unk>``, ``"drop"`` removes them,
        ``"error"`` raises ``KeyError``; ``"auto"`` is ``"unk"`` when the vocabulary has ``<unk>``, else ``"drop"``.
        """
        if unknown == "auto":
            unknown = "unk" if UNK in self.stoi else "drop"
        n = len(tokens)
        if unknown == "unk":
            if UNK not in self.stoi:
                raise ConfigError("encode(unknown='unk') needs <unk> in the vocabulary")
            get, unk = self.stoi.get, self.stoi[UNK]
            return np.fromiter((get(t, unk) for t in tokens), dtype=np.int32, count=n)
        if unknown == "drop":
            get = self.stoi.get
            ids = np.fromiter((get(t, -1) for t in tokens), dtype=np.int32, count=n)
            return ids[ids >= 0]
        if unknown == "error":
            for t in tokens:
                if t not in self.stoi:
                    raise KeyError(f"{t!r} not in vocabulary")
            return np.fromiter((self.stoi[t] for t in tokens), dtype=np.int32, count=n)
        raise ConfigError(f"unknown must be auto, unk, drop or error, not {unknown!r}")

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids → tokens."""
        itos = self.itos
        return [itos[int(i)] for i in ids]

    def most_common(self, n: int = 10) -> list[tuple[str, int]]:
        """The ``n`` most frequent non-special words with their counts."""
        out = [(w, int(c)) for w, c in zip(self.itos, self.counts) if w not in self.specials]
        return out[:n]

    def fingerprint(self) -> str:
        """A short hash of the word list and counts (for caches and checkpoint checks)."""
        h = hashlib.sha1()
        h.update("\n".join(self.itos).encode("utf-8"))
        h.update(self.counts.tobytes())
        return h.hexdigest()[:16]

    def extend(self, words: Sequence[str], counts: Sequence[int], total_words: int | None = None) -> "Vocabulary":
        """A new vocabulary with ``words`` appended (ids of existing words unchanged); counts of existing words add up.

        ``total_words``: the new corpus size (default: the old one plus ``sum(counts)``).
        """
        new_counts = self.counts.copy()
        itos = list(self.itos)
        added = []
        for w, c in zip(words, counts):
            if w in self.stoi:
                new_counts[self.stoi[w]] += c
            else:
                itos.append(w)
                added.append(c)
        new_counts = np.concatenate([new_counts, np.asarray(added, np.int64)])
        if total_words is None:
            total_words = self.total_words + int(np.sum(counts))
        return Vocabulary(itos, new_counts, specials=self.specials, total_words=total_words)

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict:
        """A JSON-ready dict (what :meth:`save` writes and checkpoints embed)."""
        return {"format": FORMAT, "words": self.itos, "counts": self.counts.tolist(),
                "specials": list(self.specials), "total_words": self.total_words}

    @classmethod
    def from_dict(cls, d: dict, source: str = "vocabulary") -> "Vocabulary":
        """Inverse of :meth:`to_dict`."""
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise DataError(f"{source}: not a wordlab vocabulary (expected format {FORMAT!r})")
        from ..schema import VOCABULARY, validate

        validate(d, VOCABULARY, source)  # each field's type, counts within int64
        try:
            return cls(d["words"], d["counts"], specials=d.get("specials", ()), total_words=d.get("total_words"))
        except KeyError as e:
            raise DataError(f"{source}: vocabulary lacks the field {e.args[0]!r}") from None

    def save(self, path: str | os.PathLike) -> None:
        """Write as JSON (atomically)."""
        atomic_write_text(path, json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        """Read what :meth:`save` wrote."""
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"{path}: no such file") from None
        except (ValueError, RecursionError) as e:  # JSONDecodeError, UnicodeDecodeError, a 5000-digit number
            raise DataError(f"{path}: not valid JSON ({str(e)[:120]})") from None
        return cls.from_dict(d, source=str(path))


def scan_and_encode(chunks: "Iterable[list[str]] | Corpus", *, min_count: int = 1, max_size: int | None = None,
                    specials: Sequence[str] = (), unknown: str = "auto", source: str | None = None,
                    on_bytes: Callable[[int], None] | None = None) -> tuple[Vocabulary, np.ndarray]:
    """One pass over a :class:`Corpus` (fastest) or ``chunks``: the vocabulary and the corpus as ``np.int32`` ids.

    Out-of-vocabulary (pruned) tokens become ``<unk>`` (``unknown="unk"``, needs ``<unk>`` among
    ``specials``), are dropped (``"drop"``, word2vec's convention) or raise ``KeyError``
    (``"error"``); ``"auto"`` is ``"unk"`` when ``<unk>`` is a special, else ``"drop"``.
    A literal ``<unk>`` token in the text (PTB has them) is always kept as ``<unk>``.
    """
    if unknown not in ("auto", "unk", "drop", "error"):
        raise ConfigError(f"unknown must be auto, unk, drop or error, not {unknown!r}")
    if unknown == "auto":
        unknown = "unk" if UNK in specials else "drop"
    if unknown == "unk" and UNK not in specials:
        raise ConfigError("unknown='unk' needs '<unk>' among the specials")
    source = source or getattr(chunks, "name", None) or "corpus"
    scan = _scan(chunks, keep_ids=True, on_bytes=on_bytes)
    if scan.total == 0:
        raise DataError(f"{source}: holds no tokens")
    words, counts = scan.words_and_counts()
    vocab, remap = Vocabulary.from_counts(words, counts, min_count=min_count, max_size=max_size,
                                          specials=specials, total_words=scan.total, source=source)
    if unknown != "unk" and vocab.unk_id is not None:  # pruned words → -1, a literal <unk> stays
        remap = np.where(remap == vocab.unk_id, -1, remap).astype(np.int32)
        if UNK in words:
            remap[words.index(UNK)] = vocab.unk_id
    provisional = scan.id_array()
    ids = remap[provisional]
    if unknown == "error" and (ids < 0).any():
        word = words[int(provisional[np.argmax(ids < 0)])]
        raise KeyError(f"{word!r} not in vocabulary (pruned by min_count={min_count} / max_size={max_size})")
    if unknown == "drop":
        ids = ids[ids >= 0]
    return vocab, np.ascontiguousarray(ids, dtype=np.int32)


def cache_key(signature: dict, vocab: Vocabulary | None = None, extra: dict | None = None) -> str:
    """Hash of a corpus signature (files, sizes, mtimes, tokenizer) and a vocabulary."""
    payload = {"corpus": signature, "vocab": vocab.fingerprint() if vocab is not None else None, "extra": extra}
    return hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]
