"""Unigram and bigram-candidate counts over sentences of word ids (the counting half of gensim 4's ``Phrases``).

gensim's ``Phrases._learn_vocab`` walks every sentence token by token: a non-connector word
counts as a unigram, and with the previous non-connector word of the same sentence (and the
connector words between them) it forms a candidate ``a [c1 c2 …] b`` whose joined string is
counted too; connector words are never counted alone (they only add to the corpus size).
Here the same candidates are found by a compiled loop over the id array of a block of
sentences, and counted with ``np.unique`` on integer keys:

    key = (a << 32) | b                 (int64; a, b are word ids)
    seq = Σ_j (c_j + 1) · (K + 1)^j     (the connector run between them in base K+1; 0 = none)

A run longer than fits in 63 bits (15 connectors with gensim's 16) gets a negative code
from a small table instead. Blocks are merged into running totals, so memory holds the
distinct candidates, not the corpus; :meth:`BigramCounts.prune` drops rare entries the way
gensim's ``max_vocab_size`` does (``utils.prune_vocab``: drop counts below ``min_reduce``, then
``min_reduce += 1``) — gensim checks after every sentence, this after every block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

_SHIFT = np.int64(32)
_LOW = np.int64((1 << 32) - 1)


@njit(cache=True, nogil=True)
def candidates(ids, starts, conn, base, max_gap):  # pragma: no cover - compiled
    """Candidates ``a [connectors] b`` of each sentence ``ids[starts[s]:starts[s+1]]``.

    ``conn[w]`` is the connector index of word ``w`` (``-1``: not a connector). Returns
    ``(a, b, seq, pos, end)``: word ids, connector-run code (``-1`` when the run is longer than
    ``max_gap``) and the positions of ``a`` and ``b`` in ``ids``, in text order.
    """
    n = len(ids)
    a_out = np.empty(n, np.int32)
    b_out = np.empty(n, np.int32)
    s_out = np.empty(n, np.int64)
    p_out = np.empty(n, np.int64)
    e_out = np.empty(n, np.int64)
    m = 0
    for s in range(len(starts) - 1):
        first = -1
        code = 0
        mult = 1
        gap = 0
        for i in range(starts[s], starts[s + 1]):
            c = conn[ids[i]]
            if c < 0:
                if first >= 0:
                    a_out[m] = ids[first]
                    b_out[m] = ids[i]
                    s_out[m] = code if gap <= max_gap else -1
                    p_out[m] = first
                    e_out[m] = i
                    m += 1
                first = i
                code = 0
                mult = 1
                gap = 0
            elif first >= 0:
                if gap < max_gap:
                    code += (c + 1) * mult
                    mult *= base
                gap += 1
    return a_out[:m], b_out[:m], s_out[:m], p_out[:m], e_out[:m]


def max_gap_for(n_connectors: int) -> int:
    """Longest connector run whose base-(K+1) code fits in a non-negative int64."""
    base = n_connectors + 1
    return int(62 // math.log2(base)) if base > 1 else 0


@dataclass
class ConnectorCodes:
    """Connector words of a vocabulary and the codes of connector runs (see the module docstring)."""

    words: list[str]                       # connector index -> word
    long_runs: dict[tuple, int] = field(default_factory=dict)  # runs too long for an int64 code -> code < 0

    @property
    def base(self) -> int:
        return len(self.words) + 1

    @property
    def max_gap(self) -> int:
        return max_gap_for(len(self.words))

    def run(self, code: int) -> list[str]:
        """The connector words that ``code`` stands for."""
        if code < 0:
            for run, c in self.long_runs.items():
                if c == code:
                    return [self.words[i] for i in run]
            raise KeyError(code)
        out = []
        while code:
            code, digit = divmod(code, self.base)
            out.append(self.words[digit - 1])
        return out

    def long_code(self, run: tuple) -> int:
        code = self.long_runs.get(run)
        if code is None:
            code = self.long_runs[run] = -(len(self.long_runs) + 1)
        return code


def fix_long_runs(ids: np.ndarray, conn: np.ndarray, seq: np.ndarray, pos: np.ndarray,
                  codes: ConnectorCodes) -> np.ndarray:
    """Replace the ``-1`` codes of over-long connector runs by per-run negative codes (rare; a Python loop)."""
    bad = np.flatnonzero(seq == -1)
    if not len(bad):
        return seq
    seq = seq.copy()
    for k in bad:
        i = int(pos[k]) + 1
        run = []
        while conn[ids[i]] >= 0:
            run.append(int(conn[ids[i]]))
            i += 1
        seq[k] = codes.long_code(tuple(run))
    return seq


def pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """int64 keys ``(a << 32) | b``."""
    return (a.astype(np.int64) << _SHIFT) | b.astype(np.int64)


def split_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`pair_keys`."""
    return (keys >> _SHIFT).astype(np.int64), (keys & _LOW).astype(np.int64)


def _reduce(keys: np.ndarray, seq: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum ``counts`` over equal ``(keys, seq)``; rows sorted by ``(keys, seq)``."""
    if not len(keys):
        return keys, seq, counts
    order = np.lexsort((seq, keys))
    keys, seq, counts = keys[order], seq[order], counts[order]
    new = np.empty(len(keys), bool)
    new[0] = True
    new[1:] = (keys[1:] != keys[:-1]) | (seq[1:] != seq[:-1])
    idx = np.flatnonzero(new)
    return keys[idx], seq[idx], np.add.reduceat(counts, idx)


@dataclass
class BigramCounts:
    """Running unigram and candidate counts (the numbers gensim keeps in ``Phrases.vocab``).

    ``unigrams[w]`` counts word id ``w`` (0 for connectors and pruned words); the candidates
    are split into runs without connectors (``keys0`` → ``counts0``) and with them
    (``keys1``, ``seq1`` → ``counts1``); ``total_words`` counts every token, connectors included.
    """

    unigrams: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    keys0: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    counts0: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    keys1: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    seq1: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    counts1: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    total_words: int = 0
    min_reduce: int = 1
    _pending: list = field(default_factory=list, repr=False)
    _pending_rows: int = 0

    def add_block(self, ids: np.ndarray, starts: np.ndarray, conn: np.ndarray, codes: ConnectorCodes,
                  vocab_size: int) -> None:
        """Count one block of sentences (``ids`` int32, ``starts`` int64 of length sentences + 1)."""
        self.total_words += int(starts[-1] - starts[0]) if len(starts) else 0
        if len(self.unigrams) < vocab_size:
            self.unigrams = np.concatenate([self.unigrams, np.zeros(vocab_size - len(self.unigrams), np.int64)])
        words = ids[starts[0]:starts[-1]] if len(starts) else ids[:0]
        words = words[conn[words] < 0]
        self.unigrams[:vocab_size] += np.bincount(words, minlength=vocab_size)
        a, b, seq, pos, _ = candidates(ids, starts, conn, codes.base, codes.max_gap)
        seq = fix_long_runs(ids, conn, seq, pos, codes)
        keys = pair_keys(a, b)
        plain = seq == 0
        k0, c0 = np.unique(keys[plain], return_counts=True)
        k1, s1, c1 = _reduce(keys[~plain], seq[~plain], np.ones(int((~plain).sum()), np.int64))
        self._pending.append((k0, c0.astype(np.int64), k1, s1, c1))
        self._pending_rows += len(k0) + len(k1)
        if self._pending_rows > 4 * (len(self.keys0) + len(self.keys1)) + (1 << 22):
            self.flush()

    def flush(self) -> None:
        """Merge the pending block counts into the totals."""
        if not self._pending:
            return
        parts = [(self.keys0, self.counts0, self.keys1, self.seq1, self.counts1)] + self._pending
        self._pending, self._pending_rows = [], 0
        k0 = np.concatenate([p[0] for p in parts])
        c0 = np.concatenate([p[1] for p in parts])
        if len(parts) == 2 and not len(self.keys0):
            self.keys0, self.counts0 = k0, c0
        else:
            self.keys0, inv = np.unique(k0, return_inverse=True)
            self.counts0 = np.bincount(inv.ravel(), weights=c0, minlength=len(self.keys0)).astype(np.int64)
        self.keys1, self.seq1, self.counts1 = _reduce(np.concatenate([p[2] for p in parts]),
                                                      np.concatenate([p[3] for p in parts]),
                                                      np.concatenate([p[4] for p in parts]))

    @property
    def size(self) -> int:
        """Distinct unigrams + distinct candidates: gensim's ``len(Phrases.vocab)`` (no delimiter collisions)."""
        self.flush()
        return int(np.count_nonzero(self.unigrams)) + len(self.keys0) + len(self.keys1)

    def prune(self, max_vocab_size: int | None) -> bool:
        """Drop entries counted fewer than ``min_reduce`` times when above ``max_vocab_size`` (gensim's pruning)."""
        if max_vocab_size is None or self.size <= max_vocab_size:
            return False
        r = self.min_reduce
        self.unigrams[self.unigrams < r] = 0
        keep0, keep1 = self.counts0 >= r, self.counts1 >= r
        self.keys0, self.counts0 = self.keys0[keep0], self.counts0[keep0]
        self.keys1, self.seq1, self.counts1 = self.keys1[keep1], self.seq1[keep1], self.counts1[keep1]
        self.min_reduce += 1
        return True
