"""Learn a phrase table from a corpus with gensim 4's ``Phrases`` scores (Mikolov et al. 2013 §4; Bouma 2009).

    from wordlab.phrases import PhrasesConfig, learn_phrases
    table = learn_phrases(read_corpus("wiki.txt.gz"), PhrasesConfig(min_count=5, threshold=10, passes=2))
    table.save("phrases.json"); table[["bank", "of", "america"]]   # ['bank_of_america']

Scores of a candidate ``a [connectors] b`` seen ``n_ab`` times, with unigram counts ``n_a``, ``n_b``:

- ``default`` (``original_scorer``): ``(n_ab − min_count) / (n_a · n_b) · |vocab|``, where ``|vocab|`` is
  the number of distinct unigrams **and** candidates counted — gensim's choice; ``word2phrase.c``
  multiplies by the number of training words instead, so its thresholds are not interchangeable.
- ``npmi`` (Bouma 2009): ``ln(p_ab / (p_a p_b)) / −ln p_ab`` with ``p = n / total words``, for ``n_ab ≥ min_count``.

A candidate is a phrase when its score is above ``threshold``. Connector words (gensim's
``ENGLISH_CONNECTOR_WORDS`` by default here; gensim's own default is none) may sit inside a
phrase but never start or end one, so ``bank_of_america`` forms. The result is the set
``Phrases(...).export_phrases()`` returns, computed in the same float64 operations in the
same order (npmi scores within 1e-9 of the threshold are recomputed with ``math.log``). When a
word itself contains the delimiter (always so from the second pass on) gensim's string keys
can collide and its export splits such words; that case goes through a string-keyed path
that reproduces gensim's dictionary exactly.
"""

from __future__ import annotations

import gzip
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..errors import ConfigError
from ..text import Corpus
from .counting import BigramCounts, ConnectorCodes, split_keys
from .sentences import MAX_SENTENCE_LENGTH, WordIds, sentence_blocks
from .table import PhrasePass, PhraseTable

log = logging.getLogger(__name__)

# gensim.models.phrases.ENGLISH_CONNECTOR_WORDS (gensim 4)
ENGLISH_CONNECTOR_WORDS = frozenset(
    " a an the "
    " for of with without at from to in on by "
    " and or ".split()
)
SCORINGS = ("default", "npmi")


@dataclass(frozen=True)
class PhrasesConfig:
    """Settings of :func:`learn_phrases` (gensim ``Phrases`` names)."""

    min_count: int = field(default=5, metadata={"help": "ignore candidates seen fewer times"})
    threshold: float = field(default=10.0, metadata={
        "help": "score a candidate must exceed to become a phrase (npmi: between -1 and 1, e.g. 0.5)"})
    scoring: str = field(default="default", metadata={
        "help": "default: (n_ab - min_count) / (n_a n_b) * |vocab| (gensim); npmi: normalised PMI", "choices": SCORINGS})
    delimiter: str = field(default="_", metadata={"help": "glue between the words of a phrase"})
    connectors: str = field(default="english", metadata={
        "help": "words allowed inside a phrase but not at its ends: english (gensim's list: a, the, of, ...), "
                "none, or comma-separated words"})
    max_vocab_size: int | None = field(default=None, metadata={
        "help": "prune rare unigrams/candidates when more are counted (gensim's max_vocab_size; none = never)",
        "aliases": ("--max-vocab",)})
    max_sentence_length: int = field(default=MAX_SENTENCE_LENGTH, metadata={
        "help": "a line longer than this many tokens is cut into several sentences (gensim's LineSentence)"})
    passes: int = field(default=1, metadata={"help": "passes; pass k joins phrases of pass k-1 (2: new_york_times)"})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        if isinstance(self.min_count, bool) or not isinstance(self.min_count, (int, float)) or self.min_count <= 0:
            raise ConfigError(f"min_count must be at least 1, got {self.min_count!r}")
        if self.scoring not in SCORINGS:
            raise ConfigError(f"scoring must be one of {', '.join(SCORINGS)}, not {self.scoring!r}")
        if self.scoring == "default" and self.threshold <= 0:
            raise ConfigError(f"threshold must be positive for default scoring, got {self.threshold}")
        if self.scoring == "npmi" and not -1 <= self.threshold <= 1:
            raise ConfigError(f"threshold must be between -1 and 1 for npmi scoring, got {self.threshold}")
        if not isinstance(self.delimiter, str) or not self.delimiter or any(c.isspace() for c in self.delimiter):
            raise ConfigError(f"delimiter must be a non-empty string without spaces, got {self.delimiter!r}")
        if self.max_vocab_size is not None and self.max_vocab_size < 1:
            raise ConfigError(f"max_vocab_size must be >= 1 (or None: no pruning), got {self.max_vocab_size}")
        if self.max_sentence_length < 1:
            raise ConfigError(f"max_sentence_length must be >= 1, got {self.max_sentence_length}")
        if not 1 <= self.passes <= 10:
            raise ConfigError(f"passes must be between 1 and 10, got {self.passes}")
        connector_words(self.connectors)

    def connector_set(self) -> frozenset[str]:
        return connector_words(self.connectors)


def connector_words(spec: str) -> frozenset[str]:
    """``"english"`` (gensim's list), ``"none"``, or a comma-separated list of words."""
    if not isinstance(spec, str):
        raise ConfigError(f"connectors must be 'english', 'none' or comma-separated words, got {spec!r}")
    if spec.lower() == "english":
        return ENGLISH_CONNECTOR_WORDS
    if spec.lower() in ("none", ""):
        return frozenset()
    words = [w.strip() for w in spec.split(",")]
    if any(not w or any(c.isspace() for c in w) for w in words):
        raise ConfigError(f"connectors: {spec!r} is not a comma-separated list of words")
    return frozenset(words)


def scores(n_a: np.ndarray, n_b: np.ndarray, n_ab: np.ndarray, len_vocab: int, min_count: float,
           total_words: int, scoring: str) -> np.ndarray:
    """gensim's ``original_scorer`` / ``npmi_scorer`` over arrays (float64, same operations in the same order)."""
    n_a, n_b, n_ab = (np.asarray(x, np.int64) for x in (n_a, n_b, n_ab))
    if scoring == "default":
        denom = (n_a * n_b).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (n_ab - min_count).astype(np.float64) / denom * float(len_vocab)
        s[denom == 0] = -np.inf
        return s
    N = float(total_words)
    with np.errstate(divide="ignore", invalid="ignore"):
        pab = n_ab / N
        s = np.log(pab / ((n_a / N) * (n_b / N))) / -np.log(pab)
    s[~(n_ab >= min_count) | ~np.isfinite(s)] = -np.inf
    return s


def _npmi_exact(n_a: int, n_b: int, n_ab: int, total_words: int) -> float:
    N = float(total_words)
    pa, pb, pab = n_a / N, n_b / N, n_ab / N
    return math.log(pab / (pa * pb)) / -math.log(pab)


def _export_fast(counts: BigramCounts, words: list[str], codes: ConnectorCodes, cfg: PhrasesConfig) -> dict[str, float]:
    """``export_phrases()`` when no word contains the delimiter (integer keys are then the strings)."""
    len_vocab = counts.size
    out: dict[str, float] = {}
    d = cfg.delimiter
    for keys, seq, n_ab in ((counts.keys0, None, counts.counts0), (counts.keys1, counts.seq1, counts.counts1)):
        a, b = split_keys(keys)
        n_a, n_b = counts.unigrams[a], counts.unigrams[b]
        s = scores(n_a, n_b, n_ab, len_vocab, cfg.min_count, counts.total_words, cfg.scoring)
        ok = (n_a > 0) & (n_b > 0) & (n_ab > 0)
        if cfg.scoring == "npmi":  # recompute near-threshold scores exactly as gensim's math.log does
            for k in np.flatnonzero(ok & (np.abs(s - cfg.threshold) < 1e-9)).tolist():
                s[k] = _npmi_exact(int(n_a[k]), int(n_b[k]), int(n_ab[k]), counts.total_words)
        for k in np.flatnonzero(ok & (s > cfg.threshold)).tolist():
            mid = codes.run(int(seq[k])) if seq is not None else []
            out[d.join([words[a[k]], *mid, words[b[k]]])] = float(s[k])
    return out


def _export_strings(counts: BigramCounts, words: list[str], codes: ConnectorCodes,
                    cfg: PhrasesConfig) -> dict[str, float]:
    """``export_phrases()`` over gensim's string-keyed dictionary, for words that contain the delimiter."""
    d = cfg.delimiter
    vocab: dict[str, int] = {}
    for w in np.flatnonzero(counts.unigrams).tolist():
        vocab[words[w]] = int(counts.unigrams[w])
    for keys, seq, n_ab in ((counts.keys0, None, counts.counts0), (counts.keys1, counts.seq1, counts.counts1)):
        a, b = split_keys(keys)
        for k, (x, y, n) in enumerate(zip(a.tolist(), b.tolist(), n_ab.tolist())):
            mid = codes.run(int(seq[k])) if seq is not None else []
            key = d.join([words[x], *mid, words[y]])
            vocab[key] = vocab.get(key, 0) + n
    len_vocab, N, thr = len(vocab), counts.total_words, cfg.threshold
    out: dict[str, float] = {}
    for token, n_ab in vocab.items():
        parts = token.split(d)
        if len(parts) < 2:
            continue
        n_a, n_b = vocab.get(parts[0], 0), vocab.get(parts[-1], 0)
        if n_a <= 0 or n_b <= 0:
            continue
        if cfg.scoring == "default":
            s = (n_ab - cfg.min_count) / float(n_a * n_b) * len_vocab
        elif n_ab >= cfg.min_count:
            s = _npmi_exact(n_a, n_b, n_ab, N)
        else:
            continue
        if s > thr:
            out[token] = s
    return out


def learn_pass(source: Corpus | Iterable[Sequence[str]], cfg: PhrasesConfig, before: PhraseTable | None = None,
               on_bytes: Callable[[int], None] | None = None) -> tuple[PhrasePass, dict[str, Any]]:
    """One pass of phrase detection over ``source`` (phrased by ``before`` first, when given)."""
    t0 = time.perf_counter()
    word_ids = WordIds()
    conn_words = sorted(cfg.connector_set())
    codes = ConnectorCodes(conn_words)
    conn_index = {w: i for i, w in enumerate(conn_words)}
    conn = np.zeros(0, np.int32)
    counts = BigramCounts()
    blocks = sentence_blocks(source, word_ids, cfg.max_sentence_length, on_bytes=on_bytes)
    if before is not None:
        blocks = before.apply_blocks(blocks, word_ids)
    pruned = 0
    for block in blocks:
        if len(conn) < len(word_ids.words):
            new = word_ids.words[len(conn):]
            conn = np.concatenate([conn, np.array([conn_index.get(w, -1) for w in new], np.int32)])
        counts.add_block(block.ids, block.starts, conn, codes, len(word_ids.words))
        if cfg.max_vocab_size is not None:
            pruned += counts.prune(cfg.max_vocab_size)
    counts.flush()
    t_count = time.perf_counter()
    words = word_ids.words
    d = cfg.delimiter
    present = np.flatnonzero(counts.unigrams).tolist() + [int(i) for i in np.flatnonzero(conn >= 0)]
    collide = any(d in words[i] for i in present) or any(d in w for w in conn_words)
    export = _export_strings if collide else _export_fast
    grams = export(counts, words, codes, cfg)
    t_end = time.perf_counter()
    stats = {"words": counts.total_words, "distinct_words": int(np.count_nonzero(counts.unigrams)),
             "candidates": len(counts.keys0) + len(counts.keys1), "phrases": len(grams), "prunings": pruned,
             "string_keys": collide, "seconds": {"count": round(t_count - t0, 3), "score": round(t_end - t_count, 3)}}
    log.info("phrases pass: %d words, %d candidates, %d phrases (%.1f s)", counts.total_words,
             stats["candidates"], len(grams), t_end - t0)
    p = PhrasePass(grams, d, tuple(conn_words), float(cfg.threshold), cfg.min_count, cfg.scoring)
    return p, stats


def learn_phrases(source: Corpus | Iterable[Sequence[str]], config: PhrasesConfig | None = None, *,
                  on_pass: Callable[[int, dict], None] | None = None,
                  on_bytes: Callable[[int], None] | None = None) -> PhraseTable:
    """Learn ``config.passes`` passes of phrases; pass ``k`` runs on the text phrased by passes ``1..k-1``.

    ``source`` is a :class:`Corpus` (each line a sentence, cut every ``max_sentence_length``
    tokens, as gensim's ``LineSentence``) or a re-iterable of token lists. ``on_pass(k, stats)``
    is called after each pass.
    """
    cfg = config or PhrasesConfig()
    if cfg.passes > 1 and not isinstance(source, Corpus) and iter(source) is source:
        raise ConfigError("several passes need a re-iterable corpus, not a one-shot generator")
    table = PhraseTable([], {"config": asdict(cfg)})
    all_stats = []
    for k in range(cfg.passes):
        p, stats = learn_pass(source, cfg, table if table.passes else None, on_bytes=on_bytes if k == 0 else None)
        table.passes.append(p)
        all_stats.append(stats)
        if on_pass is not None:
            on_pass(k + 1, stats)
    table.provenance["stats"] = all_stats
    return table


def phrase_corpus(corpus: Corpus, output: str | os.PathLike | None = None, config: PhrasesConfig | None = None, *,
                  table: PhraseTable | str | os.PathLike | None = None, save_table: str | os.PathLike | None = None,
                  progress: bool | None = None) -> tuple[PhraseTable, dict[str, Any]]:
    """Learn phrases (or load ``table``), write the phrased corpus to ``output`` (``.gz`` compresses) and the table.

    Returns the table and timings. Outputs are checked before any work and written atomically.
    """
    from ..atomic import atomic_write, check_output
    from ..progress import byte_bar

    cfg = config or PhrasesConfig()
    for out in (output, save_table):
        if out is not None:
            check_output(out, corpus.files)
    t0 = time.perf_counter()
    if table is None:
        with byte_bar(corpus.total_bytes, desc="counting phrases", enabled=progress) as bar:
            table = learn_phrases(corpus, cfg, on_bytes=bar.update)
        from ..provenance import record
        table.provenance.update(record(cfg, data=[str(f) for f in corpus.files]))
    elif not isinstance(table, PhraseTable):
        table = PhraseTable.load(table)
    t_learn = time.perf_counter()
    lines = 0
    if output is not None:
        with atomic_write(output, "wb") as raw:
            f = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) if str(output).endswith(".gz") else raw
            with byte_bar(corpus.total_bytes, desc="writing phrased text", enabled=progress) as bar:
                for line in table.lines(corpus, on_bytes=bar.update):
                    f.write(line.encode("utf-8") + b"\n")
                    lines += 1
            if f is not raw:
                f.close()
    if save_table is not None:
        table.save(save_table)
    t_end = time.perf_counter()
    return table, {"learn_seconds": round(t_learn - t0, 3), "write_seconds": round(t_end - t_learn, 3), "lines": lines}

