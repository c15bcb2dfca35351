"""Word-level checks shared by the vector readers and writers: UTF-8 decoding with the record named, unique
words, finite values, and the words a writer must refuse because no reader could give them back."""

from __future__ import annotations

import os
import unicodedata
from typing import Callable, Sequence

import numpy as np

from wordlab.errors import DataError

PathLike = str | os.PathLike
MAX_WORD_BYTES = 100_000  # a longer "word" in a binary file means a wrong header or a damaged file
CONTROL = bytes(range(32)) + b"\x7f"  # never part of a word; in a "word" they mean misaligned records


def decode_words(path: PathLike, raw: list[bytes], unicode_errors: str, where: Callable[[int], str]) -> list[str]:
    """Decode all words at once; on failure name the record/line of the bad word."""
    if not raw:
        return []
    try:
        return b"\n".join(raw).decode("utf-8", errors=unicode_errors).split("\n")
    except UnicodeDecodeError as e:
        pos, i = 0, 0
        for i, w in enumerate(raw):
            pos += len(w) + 1
            if pos > e.start:
                break
        raise DataError(f"{path}: {where(i)}: word {raw[i][:40]!r} is not valid UTF-8 "
                        "(pass unicode_errors='replace' or 'ignore' to load it anyway)") from None


def check_unique(path: PathLike, words: list[str], where: Callable[[int], str]) -> None:
    if len(set(words)) == len(words):
        return
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        if w in seen:
            raise DataError(f"{path}: {where(i)}: duplicate word {w!r} (first at {where(seen[w])}); "
                            "each word must appear once")
        seen[w] = i


def check_finite(path: PathLike, words: list[str], vectors: np.ndarray, unit: str = "row", first: int = 1) -> None:
    """Refuse NaN or infinite values, naming the first row and word that hold one."""
    if vectors.size and not np.isfinite(vectors.sum(axis=1, dtype=np.float64)).all() \
            and not np.isfinite(vectors).all():
        i = int(np.argmin(np.isfinite(vectors).all(axis=1)))
        raise DataError(f"{path}: {unit} {i + first}: word {words[i][:40]!r} has a NaN or infinite value; "
                        "pass allow_nonfinite=True (CLI: --allow-nonfinite) to load it anyway")


def check_writable_words(path: PathLike, words: Sequence[str]) -> None:
    """Refuse (one line naming it) a word a word2vec reader could not give back.

    Empty words, words with white space (``str.isspace``: space, tab, NBSP, line separators, ...)
    or control characters, and words over 100 kB in UTF-8 split or end records in wordlab's,
    gensim's and the C tool's readers.
    """
    for i, w in enumerate(words):
        if not isinstance(w, str):
            raise DataError(f"{path}: cannot write word {i} ({w!r}): words must be strings, not {type(w).__name__}")
        if w and w.isprintable() and not any(c.isspace() for c in w) and len(w) <= MAX_WORD_BYTES // 4:
            continue  # fast path: printable, no white space, surely under the byte limit
        if not w or any(c.isspace() for c in w):
            raise DataError(f"{path}: cannot write word {i} ({w[:40]!r}): word2vec words may not be empty or contain "
                            "spaces or other white space (newlines, tabs); a reader would split it")
        if any(unicodedata.category(c) == "Cc" for c in w):
            raise DataError(f"{path}: cannot write word {i} ({w[:40]!r}): it holds control characters, which "
                            "word2vec readers take as record damage")
        size = len(w.encode("utf-8", "surrogatepass"))
        if size > MAX_WORD_BYTES:
            raise DataError(f"{path}: cannot write word {i} ({w[:20]!r}...): {size} bytes, over the "
                            f"{MAX_WORD_BYTES}-byte limit of word2vec readers")
        try:
            w.encode("utf-8")
        except UnicodeEncodeError:
            raise DataError(f"{path}: cannot write word {i} ({w[:40]!r}): it holds a lone surrogate, "
                            "which has no UTF-8 form") from None
