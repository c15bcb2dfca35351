""""Did you mean …?" for out-of-vocabulary queries, fast on vocabularies of millions of keys.

Candidates, best first: other casings of the word, then every vocabulary key one edit away
(Norvig's deletes / transposes / replaces / inserts, generated from the word and looked up in
the key → index dict, so the cost does not grow with the vocabulary), ranked by their index
(most frequent first in a frequency-sorted vocabulary). Only when that finds nothing does
:func:`difflib.get_close_matches` scan the ``scan_limit`` most frequent keys of similar length.
"""

from __future__ import annotations

import difflib
from typing import Mapping, Sequence

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-'_"


def edits1(word: str, alphabet: str = _ALPHABET) -> set[str]:
    """All strings one delete, transpose, replace or insert away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in alphabet]
    inserts = [a + c + b for a, b in splits for c in alphabet]
    return set(deletes + transposes + replaces + inserts)


def suggest(word: str, key_to_index: Mapping[str, int], index_to_key: Sequence[str], n: int = 3,
            scan_limit: int = 50_000) -> list[str]:
    """Up to ``n`` vocabulary keys close in spelling to ``word`` (most frequent first)."""
    if not isinstance(word, str) or not word or len(word) > 100:
        return []
    found: dict[str, int] = {}
    for variant in (word.lower(), word.upper(), word.capitalize(), word.title()):
        if variant != word and variant in key_to_index:
            found[variant] = key_to_index[variant]
    alphabet = _ALPHABET + "".join(sorted({c for c in word.lower() if c not in _ALPHABET}))
    near = {w: key_to_index[w] for w in edits1(word.lower(), alphabet) if w in key_to_index and w != word}
    ranked = sorted(found, key=found.__getitem__) + sorted((w for w in near if w not in found), key=near.__getitem__)
    if ranked:
        return ranked[:n]
    pool = [k for k in index_to_key[:scan_limit] if isinstance(k, str) and abs(len(k) - len(word)) <= 2]
    return difflib.get_close_matches(word, pool, n=n, cutoff=0.75)


def oov_message(word: object, key_to_index: Mapping[str, int], index_to_key: Sequence[str]) -> str:
    """``"'kingg' not in vocabulary; did you mean: king, kings?"`` (the suggestion part only if any)."""
    close = suggest(word, key_to_index, index_to_key) if isinstance(word, str) else []
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    return f"{word!r} not in vocabulary{hint}"
