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
def _same_bytes(a, i, b, j, length):  # pragma: no cover - compiled
    """``a[i:i+length] == b[j:j+length]``, byte by byte (the check behind an equal hash)."""
    for k in range(length):
        if a[i + k] != b[j + k]:
            return False
    return True


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
                o = offsets[wid]  # compared inline, not through _same_bytes: the tokenizer's hot loop
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


@njit(cache=True, nogil=True)
def _merge_words(arena, starts, ends, hashes):  # pragma: no cover - compiled
    """The distinct byte strings among ``arena[starts[e]:ends[e]]`` (hashes given): each entry's index among
    them (in order of first appearance) and the first entry of each."""
    n = hashes.size
    size = 2
    while size < 2 * n:
        size *= 2
    table = np.full(size, -1, dtype=np.int64)
    mask = np.uint64(size - 1)
    of = np.empty(n, dtype=np.int64)
    rep = np.empty(n, dtype=np.int64)
    distinct = 0
    for e in range(n):
        h = hashes[e]
        a, length = starts[e], ends[e] - starts[e]
        slot = h & mask
        while True:
            d = table[slot]
            if d < 0:
                table[slot] = distinct
                rep[distinct] = e
                of[e] = distinct
                distinct += 1
                break
            r = rep[d]
            if hashes[r] == h and ends[r] - starts[r] == length and _same_bytes(arena, starts[r], arena, a, length):
                of[e] = d
                break
            slot = (slot + np.uint64(1)) & mask
    return of, rep[:distinct]


@njit(cache=True, nogil=True)
def _joined(arena, starts, ends):  # pragma: no cover - compiled
    """``arena[starts[i]:ends[i]]`` for every ``i``, each followed by a newline, in one array."""
    out = np.empty(int(np.sum(ends - starts)) + starts.size, dtype=np.uint8)
    at = 0
    for i in range(starts.size):
        for k in range(starts[i], ends[i]):
            out[at] = arena[k]
            at += 1
        out[at] = 10
        at += 1
    return out


def decode_words(arena: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[str]:
    """The words ``arena[starts[i]:ends[i]]`` (UTF-8, no white space in them) as ``str``: joined by newlines
    and decoded at once, which is several times faster than a ``bytes.decode`` per word."""
    if not len(starts):
        return []
    joined = _joined(arena, np.asarray(starts, np.int64), np.asarray(ends, np.int64))
    return joined.tobytes().decode("utf-8").split("\n")[:-1]


Packed = tuple[bytes, np.ndarray, np.ndarray]  # a counter's words: UTF-8 bytes, offsets (n + 1), FNV-1a hashes


def merge_packed(parts: list[Packed]) -> tuple[list[str], np.ndarray]:
    """Several counters' words (:meth:`ByteCounter.packed`, in order) merged without a ``str`` per entry: the
    distinct words in order of first appearance, and each entry's index among them (``int64``). Entries with
    equal hashes are compared byte for byte, so a hash collision never merges two words."""
    data = b"".join(p[0] for p in parts)
    base = np.cumsum([0] + [len(p[0]) for p in parts[:-1]], dtype=np.int64)
    none = [np.zeros(0, np.int64)]
    starts = np.concatenate([np.asarray(p[1][:-1], np.int64) + b for p, b in zip(parts, base)] or none)
    ends = np.concatenate([np.asarray(p[1][1:], np.int64) + b for p, b in zip(parts, base)] or none)
    hashes = np.concatenate([np.asarray(p[2], np.uint64) for p in parts] or [np.zeros(0, np.uint64)])
    arena = np.frombuffer(data, dtype=np.uint8)
    of, rep = _merge_words(arena, starts, ends, hashes)
    return decode_words(arena, starts[rep], ends[rep]), of


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
        return decode_words(self.arena, self.offsets[:n], self.offsets[1:n + 1]), self.counts[:n].copy()

    def packed(self) -> Packed:
        """Words in first-occurrence order without decoding them (:func:`merge_packed`): their UTF-8 bytes
        end to end, where each starts and ends (``n + 1`` offsets) and their FNV-1a hashes."""
        n = int(self.state[0])
        return self.arena[: int(self.state[1])].tobytes(), self.offsets[: n + 1].copy(), self.word_hash[:n].copy()

    def id_array(self) -> np.ndarray:
        """Provisional ids of every token so far (``keep_ids=True``)."""
        return np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=np.int32)


def _resized(a: np.ndarray, size: int) -> np.ndarray:
    b = np.zeros(size, dtype=a.dtype)
    b[: len(a)] = a
    return b
