"""fastText's hashing: character n-grams of a word and word n-grams of a line, into ``bucket`` rows.

Ported from fastText's ``src/dictionary.cc`` (Bojanowski et al. 2017, "Enriching Word Vectors
with Subword Information"), so that models made by the tool give identical vectors here:

* ``hash``: 32-bit FNV-1a over the UTF-8 bytes, each byte **sign-extended to int8** before the
  XOR (``h ^= uint32(int8(c)); h *= 16777619``) — the tool's historical behaviour, kept for
  compatibility with released models; gensim's ``ft_hash_bytes`` does the same.
* ``computeSubwords``: the word is wrapped in ``<`` and ``>``; every n-gram of ``min_n..max_n``
  *characters* (a UTF-8 continuation byte ``10xxxxxx`` never starts one) is hashed, except the
  1-grams ``<`` and ``>`` themselves; n-gram ``g`` lives in row ``nwords + hash(g) % bucket``.
* ``addWordNgrams`` (supervised models): for the word hashes ``h_i`` of a line (int32, as the tool
  stores them) each n-gram ``i..j`` (``j < i + n``) is ``h = h * 116049371 + h_k`` in uint64
  arithmetic (the int32 values sign-extended), row ``nwords + h % bucket``.

The per-word functions are plain Python (one word at a time); :func:`subword_table` hashes a
whole vocabulary at once with a numba kernel into a CSR table (``offsets``, ``rows``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

BOW, EOW = "<", ">"
EOS = "</s>"  # the tool's end-of-line token: a word, but without n-grams

_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619
_WORD_NGRAM_MULT = 116049371
_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF

_JIT = dict(nogil=True, cache=True)


def encode(word: str) -> bytes:
    """The word's bytes as the tool sees them (UTF-8; undecodable bytes kept via ``surrogateescape``)."""
    return word.encode("utf-8", "surrogateescape")


def ft_hash(data: bytes | str) -> int:
    """fastText's ``Dictionary::hash``: FNV-1a 32 over bytes sign-extended to int8 (an unsigned 32-bit int)."""
    if isinstance(data, str):
        data = encode(data)
    h = _FNV_OFFSET
    for b in data:
        h = ((h ^ (b | 0xFFFFFF00 if b >= 0x80 else b)) * _FNV_PRIME) & _M32
    return h


def char_ngrams(word: str | bytes, min_n: int, max_n: int) -> list[bytes]:
    """The character n-grams of ``<word>`` in the tool's order (by start position, then length), as bytes."""
    w = (BOW.encode() + (encode(word) if isinstance(word, str) else word) + EOW.encode())
    out = []
    size = len(w)
    for i in range(size):
        if (w[i] & 0xC0) == 0x80:
            continue
        j, n = i, 1
        while j < size and n <= max_n:
            j += 1
            while j < size and (w[j] & 0xC0) == 0x80:
                j += 1
            if n >= min_n and not (n == 1 and (i == 0 or j == size)):
                out.append(w[i:j])
            n += 1
    return out


def ngram_buckets(word: str, min_n: int, max_n: int, bucket: int) -> np.ndarray:
    """``hash(g) % bucket`` for each character n-gram ``g`` of ``word`` (int64; empty if ``bucket`` is 0)."""
    if bucket <= 0 or max_n <= 0 or word == EOS:
        return np.zeros(0, np.int64)
    return np.array([ft_hash(g) % bucket for g in char_ngrams(word, min_n, max_n)], dtype=np.int64)


def word_ngram_buckets(word_hashes: list[int] | np.ndarray, n: int, bucket: int) -> list[int]:
    """``addWordNgrams``: bucket of every word n-gram (2..n words) of a line, given its words' hashes."""
    out = []
    if bucket <= 0:
        return out
    hs = [(int(x) & _M32) for x in word_hashes]
    signed = [x - (1 << 32) if x >= 1 << 31 else x for x in hs]  # int32, as the tool stores them
    for i in range(len(signed)):
        h = signed[i] & _M64
        for j in range(i + 1, min(len(signed), i + n)):
            h = (h * _WORD_NGRAM_MULT + (signed[j] & _M64)) & _M64
            out.append(h % bucket)
    return out


def pack_words(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """All words' UTF-8 bytes in one uint8 array and their ``offsets`` (``len(words) + 1``)."""
    encoded = [encode(w) for w in words]
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


@njit(**_JIT)
def _hash_range(buf, start, stop):
    h = np.int64(2166136261)
    for k in range(start, stop):
        b = np.int64(buf[k])
        if b >= 128:
            b = b | np.int64(0xFFFFFF00)
        h = ((h ^ b) * np.int64(16777619)) & np.int64(0xFFFFFFFF)  # 32-bit wrap-around
    return h


@njit(**_JIT)
def _subwords(data, offsets, min_n, max_n, bucket, nwords, eos, prune, out_offsets, out_rows, count_only):
    """CSR of ``[word id] + n-gram rows`` per word; first call with ``count_only`` sizes ``out_rows``."""
    w = np.empty(4096, dtype=np.uint8)
    pos = 0
    for t in range(offsets.shape[0] - 1):
        out_offsets[t] = pos
        if not count_only:
            out_rows[pos] = t
        pos += 1
        if t == eos or max_n <= 0 or bucket <= 0:
            continue
        a, b = offsets[t], offsets[t + 1]
        size = b - a + 2
        if size > w.shape[0]:
            w = np.empty(2 * size, dtype=np.uint8)
        w[0] = 60  # '<'
        for k in range(a, b):
            w[k - a + 1] = data[k]
        w[size - 1] = 62  # '>'
        for i in range(size):
            if (w[i] & 0xC0) == 0x80:
                continue
            j = i
            n = 1
            while j < size and n <= max_n:
                j += 1
                while j < size and (w[j] & 0xC0) == 0x80:
                    j += 1
                if n >= min_n and not (n == 1 and (i == 0 or j == size)):
                    h = _hash_range(w, i, j) % bucket
                    if prune.shape[0] > 0:
                        h = prune[h]
                    if h >= 0:
                        if not count_only:
                            out_rows[pos] = nwords + h
                        pos += 1
                n += 1
    out_offsets[offsets.shape[0] - 1] = pos
    return pos


def subword_table(words: list[str], min_n: int, max_n: int, bucket: int, *, eos: int = -1,
                  prune: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Input rows of every vocabulary word: ``rows[offsets[i]:offsets[i+1]]`` = ``[i] + n-gram rows``.

    The tool's ``initNgrams``: word ``i`` is row ``i``, its n-grams rows ``len(words) + bucket_id``;
    ``eos`` (the ``</s>`` id) gets no n-grams. ``prune`` (quantized models): bucket → kept row, -1 dropped.
    """
    data, offsets = pack_words(words)
    nwords = len(words)
    prune = np.zeros(0, np.int64) if prune is None else np.asarray(prune, np.int64)
    out_offsets = np.zeros(nwords + 1, dtype=np.int64)
    dummy = np.zeros(0, dtype=np.int32)
    total = _subwords(data, offsets, min_n, max_n, bucket, nwords, eos, prune, out_offsets, dummy, True)
    rows = np.empty(total, dtype=np.int32)
    _subwords(data, offsets, min_n, max_n, bucket, nwords, eos, prune, out_offsets, rows, False)
    return out_offsets, rows


@njit(**_JIT)
def example_rows(ex_offsets, tokens, type_wid, type_hash, char_offsets, char_rows, nwords, word_ngrams, bucket,
                 prune, count_only, out_offsets, out_rows):
    """The tool's supervised ``getLine`` rows for many examples at once (CSR; call first with ``count_only``).

    ``tokens[ex_offsets[i]:ex_offsets[i+1]]`` are type ids of example ``i`` (``</s>`` included, labels
    not); a type has its word id (``-1`` unknown), its ``hash`` and its character n-gram rows
    (``char_rows[char_offsets[t]:char_offsets[t+1]]``, already ``nwords + bucket``). Word n-grams:
    ``h = h * 116049371 + h_j`` in uint64 over the int32 hashes, row ``nwords + h % bucket`` (``prune``d).
    """
    pos = 0
    mult = np.uint64(116049371)
    for i in range(ex_offsets.shape[0] - 1):
        out_offsets[i] = pos
        a, b = ex_offsets[i], ex_offsets[i + 1]
        for k in range(a, b):
            t = tokens[k]
            if type_wid[t] >= 0:
                if not count_only:
                    out_rows[pos] = type_wid[t]
                pos += 1
            for c in range(char_offsets[t], char_offsets[t + 1]):
                if not count_only:
                    out_rows[pos] = char_rows[c]
                pos += 1
        if word_ngrams > 1 and bucket > 0:
            for k in range(a, b):
                h32 = type_hash[tokens[k]]
                if h32 >= 2147483648:
                    h32 -= 4294967296
                h = np.uint64(h32)  # sign-extended, as the tool's uint64_t(int32_t)
                for j in range(k + 1, min(b, k + word_ngrams)):
                    g32 = type_hash[tokens[j]]
                    if g32 >= 2147483648:
                        g32 -= 4294967296
                    h = h * mult + np.uint64(g32)
                    r = np.int64(h % np.uint64(bucket))
                    if prune.shape[0] > 0:
                        r = prune[r]
                    if r >= 0:
                        if not count_only:
                            out_rows[pos] = nwords + r
                        pos += 1
    out_offsets[ex_offsets.shape[0] - 1] = pos
    return pos


@njit(**_JIT)
def _hash_packed(data, offsets, out):
    for i in range(offsets.shape[0] - 1):
        out[i] = _hash_range(data, offsets[i], offsets[i + 1])
    return out


def hash_words(words: list[str]) -> np.ndarray:
    """``ft_hash`` of every word (int64 holding the unsigned 32-bit value), by one numba pass."""
    data, offsets = pack_words(words)
    return _hash_packed(data, offsets, np.empty(len(words), np.int64))
