"""Correlation of cosine similarities with human judgements (WordSim-353, SimLex-999, MEN, RW, ...).

For every pair ``w1 w2 score`` whose words are both in the first ``restrict_vocab`` keys, the model
similarity is ``cos(w1, w2)``; the result is scipy's Pearson r and Spearman ρ between the model and
the human scores, and the percentage of pairs skipped for unknown words. Conventions and float
arithmetic follow gensim's ``KeyedVectors.evaluate_word_pairs``, so the numbers agree exactly.

File layouts read: one pair per line, fields separated by a tab (WordSim-353 ``.tsv``, SimLex,
the ``EN-*.txt`` files) or by spaces (MEN's original file); lines starting with ``#`` are comments;
lines whose third field is not a number (a header such as ``word1 word2 SimLex999``) are skipped.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from wordlab.errors import DataError
from wordlab.text.reader import iter_lines
from wordlab.vectors import KeyedVectors

from .analogies import restricted_vocab

logger = logging.getLogger(__name__)


def read_word_pairs(path: str | os.PathLike, delimiter: str | None = None,
                    case_insensitive: bool = True) -> list[tuple[str, str, float]]:
    """``(w1, w2, score)`` triples; ``delimiter=None`` splits on a tab if the line has one, else on spaces."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such word-pair file")
    pairs = []
    for line_no, line in iter_lines(path):  # plain, .gz, .bz2 or .xz
        if not line.strip() or line.startswith("#"):
            continue
        sep = delimiter if delimiter is not None else ("\t" if "\t" in line else None)
        fields = [x.strip() for x in line.split(sep)]
        fields = [x for x in fields if x] if sep is None else fields
        try:
            if len(fields) != 3:
                raise ValueError
            a, b, sim = fields
            score = float(sim)
        except ValueError:
            logger.debug("skipping invalid line %d in %s", line_no, path)
            continue
        pairs.append((a.upper(), b.upper(), score) if case_insensitive else (a, b, score))
    if not pairs:
        raise DataError(f"{path}: no 'word1<TAB>word2<TAB>score' lines found")
    return pairs


def _unitvec(v: np.ndarray) -> np.ndarray:
    """gensim's ``matutils.unitvec`` for a float32 vector (double-precision norm and scaling)."""
    from scipy.linalg import blas

    veclen = blas.dnrm2(v)
    return blas.dscal(1.0 / veclen, v).astype(v.dtype) if veclen > 0.0 else v


def evaluate_word_pairs(kv: KeyedVectors, pairs: str | os.PathLike, delimiter: str | None = None,
                        restrict_vocab: int | None = 300000, case_insensitive: bool = True,
                        dummy4unknown: bool = False, oov: bool = False):
    """Pearson and Spearman correlation of model and human similarity on a word-pair file.

    Returns ``((pearson_r, p_value), (spearman_rho, p_value), oov_ratio)`` like gensim: the first two
    are scipy result objects (indexable as pairs), ``oov_ratio`` is the percentage of pairs with a
    word outside the first ``restrict_vocab`` keys (skipped, or scored 0.0 with ``dummy4unknown``).
    ``oov=True`` (subword vectors, e.g. fastText's): such a word is scored with the vector ``kv`` computes
    for it (``kv.has_vector(word)``; the lower-cased form when ``case_insensitive``), and only pairs
    with a word that gets no vector at all count as out-of-vocabulary.
    """
    from scipy import stats  # imported here: scipy.stats takes a second to import

    triples = read_word_pairs(pairs, delimiter, case_insensitive)
    ok_vocab = restricted_vocab(kv, restrict_vocab, case_insensitive)
    has_vector = getattr(kv, "has_vector", None) if oov else None
    gold, model, oov = [], [], 0
    vectors = kv.vectors
    units: dict[int, np.ndarray] = {}
    for a, b, sim in triples:
        if has_vector is not None and not (a in ok_vocab and b in ok_vocab):
            forms = [w.lower() if case_insensitive else w for w in (a, b)]
            if all(w in ok_vocab or has_vector(f) for w, f in zip((a, b), forms)):
                va, vb = (units.setdefault(ok_vocab[w], _unitvec(vectors[ok_vocab[w]])) if w in ok_vocab
                          else _unitvec(np.array(kv.get_vector(f), dtype=np.float32)) for w, f in zip((a, b), forms))
                gold.append(sim)
                model.append(np.dot(va, vb))
                continue
        if a not in ok_vocab or b not in ok_vocab:
            oov += 1
            if dummy4unknown:
                model.append(0.0)
                gold.append(sim)
            continue
        ia, ib = ok_vocab[a], ok_vocab[b]
        for i in (ia, ib):
            if i not in units:
                units[i] = _unitvec(vectors[i])
        gold.append(sim)
        model.append(np.dot(units[ia], units[ib]))
    if not gold:
        raise DataError(f"{pairs}: no pair has both words among the first {restrict_vocab} keys of the vectors "
                        f"({len(kv)} keys); nothing to correlate")
    if len(gold) < 3:
        raise DataError(f"{pairs}: only {len(gold)} pairs with known words; need at least 3 to correlate")
    spearman = stats.spearmanr(gold, model)
    pearson = stats.pearsonr(gold, model)
    oov_ratio = float(oov) / (len(gold) if dummy4unknown else len(gold) + oov) * 100  # gensim's order of ops
    logger.debug("%s: Pearson %.4f, Spearman %.4f, %.1f%% pairs with unknown words",
                pairs, pearson[0], spearman[0], oov_ratio)
    return pearson, spearman, oov_ratio
