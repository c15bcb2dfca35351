"""The thesaurus method (DLfS-2 §2.2): synonyms and word similarity from WordNet's graph.

A word's score for a pair is the best over the pair's synsets of the same part of speech
(nltk's measures are only defined within one hierarchy):

- ``path``: ``1 / (1 + shortest is-a path length)``;
- ``wup`` (Wu & Palmer 1994): ``2 · depth(lcs) / (depth(s1) + depth(s2))``;
- ``lch`` (Leacock & Chodorow 1998): ``−log(path / (2 · max depth))``, nouns and verbs only.

:func:`score_pairs` scores a word-pair file (WS-353, SimLex-999, MEN) this way, so WordNet sits
in the same table as the count and inference vectors, with its coverage (pairs where both
words are in WordNet and share a part of speech).
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from ..errors import ConfigError

MEASURES = ("path", "wup", "lch")


def _lemma_name(word: str) -> str:
    return word.strip().lower().replace(" ", "_")


def synonyms(word: str, wn=None, pos: str | None = None) -> list[tuple[str, str, list[str]]]:
    """``(synset name, definition, lemma names)`` of every synset of ``word`` (WordNet order, most common first)."""
    wn = wn if wn is not None else _default()
    return [(s.name(), s.definition(), [lemma.name() for lemma in s.lemmas()])
            for s in wn.synsets(_lemma_name(word), pos=pos)]


def synonym_set(word: str, wn=None) -> list[str]:
    """The other lemma names sharing a synset with ``word``, in order of first appearance."""
    seen: dict[str, None] = {}
    w = _lemma_name(word)
    for _, _, lemmas in synonyms(word, wn):
        for name in lemmas:
            if name.lower() != w:
                seen.setdefault(name, None)
    return list(seen)


def similarity(w1: str, w2: str, measure: str = "path", wn=None) -> float | None:
    """Best ``measure`` over same-POS synset pairs of the two words; ``None`` when there is none."""
    if measure not in MEASURES:
        raise ConfigError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    wn = wn if wn is not None else _default()
    s1, s2 = wn.synsets(_lemma_name(w1)), wn.synsets(_lemma_name(w2))
    best = None
    for a in s1:
        pa = _pos(a)
        if measure == "lch" and pa not in ("n", "v"):
            continue
        for b in s2:
            if _pos(b) != pa:
                continue
            if measure == "path":
                v = a.path_similarity(b)
            elif measure == "wup":
                v = a.wup_similarity(b)
            else:
                v = a.lch_similarity(b)
            if v is not None and math.isfinite(v) and (best is None or v > best):
                best = v
    return best


def _pos(synset) -> str:
    p = synset.pos()
    return "a" if p == "s" else p  # adjective satellites belong to the adjective hierarchy


def score_pairs(pairs: Iterable[tuple[str, str, float]], measure: str = "path", wn=None) -> dict:
    """Spearman ρ between WordNet similarity and the human scores over the covered pairs, with coverage.

    Returns ``{"spearman", "pearson", "covered", "total", "coverage", "scores"}``; ``scores`` holds the
    WordNet score of each pair (``None`` when not covered).
    """
    from scipy.stats import pearsonr, spearmanr

    pairs = list(pairs)
    wn = wn if wn is not None else _default()
    got = [similarity(a, b, measure, wn) for a, b, _ in pairs]
    xs = [g for g in got if g is not None]
    ys = [h for g, (_, _, h) in zip(got, pairs) if g is not None]
    rho = float(spearmanr(xs, ys)[0]) if len(xs) > 2 else float("nan")
    r = float(pearsonr(xs, ys)[0]) if len(xs) > 2 else float("nan")
    return {"spearman": rho, "pearson": r, "covered": len(xs), "total": len(pairs),
            "coverage": len(xs) / len(pairs) if pairs else 0.0, "scores": got}


def neighbours(word: str, lexicon: str = "synonyms", wn=None) -> set[str]:
    """WordNet neighbours of ``word``: its synonyms, or (``"all"``, Faruqui et al.'s WN_all) also the lemmas of
    its synsets' hypernyms and hyponyms. Multi-word lemmas keep their ``_``."""
    if lexicon not in LEXICONS:
        raise ConfigError(f"lexicon must be one of {', '.join(LEXICONS)}, not {lexicon!r}")
    wn = wn if wn is not None else _default()
    w = _lemma_name(word)
    out: set[str] = set()
    for s in wn.synsets(w):
        related: Sequence = [s]
        if lexicon == "all":
            related = [s, *s.hypernyms(), *s.hyponyms()]
        for r in related:
            for lemma in r.lemmas():
                name = lemma.name().lower()
                if name != w:
                    out.add(name)
    return out


LEXICONS = ("synonyms", "all")


def _default():
    from .wordnet import load_wordnet
    return load_wordnet()
