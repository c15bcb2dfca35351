"""Compiled whitespace split + count (numba): UTF-8 bytes → provisional word ids, no ``str`` per token.

The fast path of :meth:`Vocabulary.build` and :func:`scan_and_encode` for the default
``whitespace`` tokenizer. One pass over each block of bytes splits it exactly where
``str.split()`` would — ASCII whitespace (``\\t \\n \\v \\f \\r``, ``\\x1c``–``\\x1f``, space) and
the UTF-8 encodings of Unicode's other white-space characters (U+0085, U+00A0, U+1680,
U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) — hashes each token (FNV-1a,
64 bit) into an open-addressing table, and gives it a provisional id in order of first
occurrence, exactly what the Python path (``dict`` + ``str.split``) gives. Words are
decoded to ``str`` once each, at the end. Blocks must be valid UTF-8 (the reader checks).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)


@njit(cache=True, nogil=True)
def _unicode_ws_len(buf, i, n):  # pragma: no cover - compiled
    """Byte length of the non-ASCII white-space character starting at ``buf[i]`` (0 if none)."""
    b = buf[i]
    if b == 0xC2:
        return 2 if i + 1 < n and (buf[i + 1] == 0x85 or buf[i + 1] == 0xA0) else 0
    if i + 2 >= n:
        return 0
    b1, b2 = buf[i + 1], buf[i + 2]
    if b == 0xE1:
        return 3 if b1 == 0x9A and b2 == 0x80 else 0
    if b == 0xE2:
        if b1 == 0x80 and (0x80 <= b2 <= 0x8A or b2 == 0xA8 or b2 == 0xA9 or b2 == 0xAF):
            return 3
        return 3 if b1 == 0x81 and b2 == 0x9F else 0
    if b == 0xE3:
        return 3 if b1 == 0x80 and b2 == 0x80 else 0
    return 0


@njit(cache=True, nogil=True)
def _count(buf, pos, table, word_hash, offsets, arena, counts, cap_words, state, out):  # pragma: no cover
    """Split and count ``buf[pos:]``; return where it stopped (``len(buf)`` when done).

    ``state`` = [number of words, arena bytes used, tokens written to ``out``]. Stops early,
    at the start of a new word, when the word arrays or the arena are full.
    """
    n = buf.size
    mask = np.uint64(table.size - 1)
    n_words, used, n_out = state[0], state[1], state[2]
    keep = out.size > 0
    i = pos
    while i < n:
        b = buf[i]  # skip white space (ASCII inline: the common case must stay cheap)
        if b < 128:
            if b == 32 or (b >= 9 and b <= 13) or (b >= 28 and b <= 31):
                i += 1
                continue
        else:
            w = _unicode_ws_len(buf, i, n)
            if w:
                i += w
                continue
        s = i
        h = _FNV_OFFSET
        while i < n:
            b = buf[i]
            if b < 128:
                if b == 32 or (b >= 9 and b <= 13) or (b >= 28 and b <= 31):
                    break
            elif _unicode_ws_len(buf, i, n):
                break
            h = (h ^ np.uint64(b)) * _FNV_PRIME
            i += 1
        length = i - s
        slot = h & mask
        while True:
            wid = table[slot]
            if wid < 0:
                if n_words >= cap_words or used + length > arena.size:
                    state[0], state[1], state[2] = n_words, used, n_out
                    return s
                wid = n_words
                n_words += 1
                table[slot] = wid
                word_hash[wid] = h
                offsets[wid] = used
                arena[used:used + length] = buf[s:i]
                used += length
                offsets[wid + 1] = used
                break
            if word_hash[wid] == h and offsets[wid + 1] - offsets[wid] == length:
                o = offsets[wid]
                same = True
                for k in range(length):
                    if arena[o + k] != buf[s + k]:
                        same = False
                        break
                if same:
                    break
            slot = (slot + np.uint64(1)) & mask
        counts[wid] += 1
        if keep:
            out[n_out] = wid
        n_out += 1
    state[0], state[1], state[2] = n_words, used, n_out
    return n


@njit(cache=True, nogil=True)
def _rehash(word_hash, n_words, size):  # pragma: no cover - compiled
    table = np.full(size, -1, dtype=np.int32)
    mask = np.uint64(size - 1)
    for w in range(n_words):
        slot = word_hash[w] & mask
        while table[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = w
    return table


class ByteCounter:
    """Counts (and optionally records the provisional ids of) the whitespace tokens of UTF-8 blocks."""

    def __init__(self, keep_ids: bool = False, capacity: int = 1 << 15) -> None:
        self.keep_ids = keep_ids
        self.cap = capacity
        self.table = np.full(2 * capacity, -1, dtype=np.int32)  # load factor <= 1/2
        self.word_hash = np.zeros(capacity, dtype=np.uint64)
        self.offsets = np.zeros(capacity + 1, dtype=np.int64)
        self.counts = np.zeros(capacity, dtype=np.int64)
        self.arena = np.zeros(16 * capacity, dtype=np.uint8)
        self.state = np.zeros(3, dtype=np.int64)
        self.parts: list[np.ndarray] = []
        self.total = 0

    def add(self, block: bytes) -> int:
        """Count the tokens of ``block`` (valid UTF-8); returns how many there were."""
        buf = np.frombuffer(block, dtype=np.uint8)
        out = np.empty(len(block) // 2 + 1 if self.keep_ids else 0, dtype=np.int32)
        self.state[2] = 0
        pos = 0
        while True:
            pos = _count(buf, pos, self.table, self.word_hash, self.offsets, self.arena, self.counts,
                         self.cap, self.state, out)
            if pos >= len(buf):
                break
            self._grow(len(buf) - pos)
        n = int(self.state[2])
        self.total += n
        if self.keep_ids and n:
            self.parts.append(out[:n].copy())
        return n

    def _grow(self, pending_bytes: int) -> None:
        n_words, used = int(self.state[0]), int(self.state[1])
        if n_words >= self.cap:
            self.cap *= 2
            self.word_hash = _resized(self.word_hash, self.cap)
            self.offsets = _resized(self.offsets, self.cap + 1)
            self.counts = _resized(self.counts, self.cap)
            self.table = _rehash(self.word_hash, n_words, 2 * self.cap)
        if used + pending_bytes > len(self.arena):
            self.arena = _resized(self.arena, max(2 * len(self.arena), used + pending_bytes))

    def words_and_counts(self) -> tuple[list[str], np.ndarray]:
        """Words in first-occurrence order and their counts."""
        n = int(self.state[0])
        data, off = self.arena[: int(self.state[1])].tobytes(), self.offsets[: n + 1].tolist()
        words = [data[off[i]:off[i + 1]].decode("utf-8") for i in range(n)]
        return words, self.counts[:n].copy()

    def id_array(self) -> np.ndarray:
        """Provisional ids of every token so far (``keep_ids=True``)."""
        return np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=np.int32)


def _resized(a: np.ndarray, size: int) -> np.ndarray:
    b = np.zeros(size, dtype=a.dtype)
    b[: len(a)] = a
    return b
