"""Word analogies "a is to b as c is to ?" answered in batches, with gensim's conventions and results.

3CosAdd (Mikolov et al. 2013, "Linguistic regularities in continuous space word representations")::

    d* = argmax_x cos(x, b - a + c)          (unit vectors; x ranges over the first restrict_vocab keys)

3CosMul (Levy & Goldberg 2014, "Linguistic regularities in sparse and explicit word representations",
eq. 4, cosines shifted to [0, 1] by s = (1 + cos) / 2 as in their footnote 7 and in gensim)::

    d* = argmax_x s(x, b) s(x, c) / (s(x, a) + 1e-6)

Conventions copied from gensim's ``KeyedVectors.evaluate_word_analogies`` (so accuracies agree
exactly): the vocabulary is the first ``restrict_vocab`` keys; with ``case_insensitive`` words are
upper-cased and a form maps to its first (most frequent) key; questions with a word outside that
vocabulary are skipped (or counted wrong with ``dummy4unknown``); the three query keys are never the
answer, and the answer is the best of the top five whose upper-cased form is not a query word.

Instead of one matrix-vector product per question, each block of candidates is scored against all
of a chunk's distinct query words with one matrix product, and a compiled kernel combines those
cosines per question (:mod:`.batched`); blocks are sized to stay under ``max_memory_mb``. Where the
best and second-best candidates of a question are closer than float32 rounding can separate
(relative gap < 1e-5), the question is re-scored with gensim's exact float arithmetic, so ties
break as they do in gensim.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wordlab.errors import ConfigError, DataError
from wordlab.progress import progress_bar
from wordlab.text.reader import iter_lines
from wordlab.vectors import KeyedVectors

from .batched import best_two, use_numpy

logger = logging.getLogger(__name__)

METHODS = ("3cosadd", "3cosmul")
TIE_GAP = 1e-5  # score gaps below this are re-checked with gensim's arithmetic
TOPN = 5        # gensim looks at the 5 best answers for one whose form is not a query word


@dataclass
class AnalogySection:
    """Questions of one ``: section`` of an analogy file (upper-cased if case-insensitive)."""

    name: str
    questions: list[tuple[str, str, str, str]]


def read_analogies(path: str | os.PathLike, case_insensitive: bool = True) -> list[AnalogySection]:
    """Parse a Google-style analogy file: ``: section`` headers, then ``a b c d`` lines.

    Lines that do not hold exactly four words are skipped (as gensim does); a question before the
    first header is an error.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such analogy file")
    sections: list[AnalogySection] = []
    for line_no, line in iter_lines(path):  # plain, .gz, .bz2 or .xz
        if line.startswith(": "):
            sections.append(AnalogySection(line.lstrip(": ").strip(), []))
            continue
        words = line.upper().split() if case_insensitive else line.split()
        if not words:
            continue
        if not sections:
            raise DataError(f"{path}: line {line_no}: question before the first ': section' header; "
                            "is this a Google-style analogy file?")
        if len(words) != 4:
            logger.debug("skipping invalid line %d in %s", line_no, path)
            continue
        sections[-1].questions.append(tuple(words))  # type: ignore[arg-type]
    if not sections:
        raise DataError(f"{path}: no ': section' header and no questions; expected a Google-style analogy file")
    return sections


def restricted_vocab(kv: KeyedVectors, restrict_vocab: int | None, case_insensitive: bool) -> dict[str, int]:
    """gensim's ``ok_vocab``: form → index over the first ``restrict_vocab`` keys, first occurrence wins."""
    keys = kv.index_to_key[:restrict_vocab]
    if case_insensitive:
        return {k.upper(): i for i, k in reversed(list(enumerate(keys)))}
    return {k: i for i, k in reversed(list(enumerate(keys)))}


def evaluate_word_analogies(kv: KeyedVectors, analogies: str | os.PathLike, restrict_vocab: int | None = 300000,
                            case_insensitive: bool = True, dummy4unknown: bool = False, method: str = "3cosadd",
                            max_memory_mb: float = 256, progress: bool | None = None) -> tuple[float, list[dict]]:
    """Accuracy of ``kv`` on an analogy file, per section and in total (gensim's return shape).

    Returns
    -------
    ``(score, sections)``: ``score`` is the total accuracy (0.0 when nothing was evaluated);
    ``sections`` is a list of dicts, one per file section and a last one named ``"Total accuracy"``,
    each with ``section`` (name), ``correct`` and ``incorrect`` (lists of the (a, b, c, expected)
    tuples, as gensim gives), and, beyond gensim, ``accuracy`` (float), ``skipped`` (questions with
    an out-of-vocabulary word) and ``method``.
    """
    method = method.lower()
    if method not in METHODS:
        raise ConfigError(f"unknown analogy method {method!r}; use one of {', '.join(METHODS)}")
    if restrict_vocab is not None and restrict_vocab < 1:
        raise ConfigError(f"restrict_vocab must be positive, got {restrict_vocab}")
    sections = read_analogies(analogies, case_insensitive)
    ok_vocab = restricted_vocab(kv, restrict_vocab, case_insensitive)
    n_rows = min(len(kv), restrict_vocab or len(kv))
    # canonical index of every candidate row's form (its first occurrence), to compare with the queries
    form_index = np.fromiter((ok_vocab[k.upper() if case_insensitive else k] for k in kv.index_to_key[:n_rows]),
                             dtype=np.int64, count=n_rows)
    total_q = sum(len(s.questions) for s in sections)
    # decided once for the whole evaluation, so a large one loads numba (and later calls find it loaded)
    kernel = "numpy" if use_numpy(total_q, n_rows, kv.vector_size) else "numba"
    solver = _Solver(kv, n_rows, form_index, method, max_memory_mb, kernel)
    results = []
    with progress_bar(total_q, desc=f"analogies ({method})", unit="q", enabled=progress) as bar:
        for sec in sections:
            in_vocab = [all(w in ok_vocab for w in q) for q in sec.questions]
            known = [q for q, ok in zip(sec.questions, in_vocab) if ok]
            skipped = len(in_vocab) - len(known)
            ids = np.array([[ok_vocab[w] for w in q] for q in known], dtype=np.int64).reshape(-1, 4)
            hits = iter(solver.solve(ids, on_done=bar.update))
            # per question in file order: True/False answered, None skipped (out of vocabulary)
            outcome = [bool(next(hits)) if ok else None for ok in in_vocab]
            correct = [q for q, o in zip(sec.questions, outcome) if o]
            incorrect = [q for q, o in zip(sec.questions, outcome) if o is False or (o is None and dummy4unknown)]
            bar.update(skipped)
            results.append(_section(sec.name, correct, incorrect, skipped, method))
    total = _section("Total accuracy", [q for s in results for q in s["correct"]],
                     [q for s in results for q in s["incorrect"]], sum(s["skipped"] for s in results), method)
    if total_q:
        logger.debug("analogies with out-of-vocabulary words: %.1f%%", 100.0 * total["skipped"] / total_q)
    results.append(total)
    return total["accuracy"], results


def _section(name: str, correct: list, incorrect: list, skipped: int, method: str) -> dict:
    n = len(correct) + len(incorrect)
    acc = len(correct) / n if n else 0.0
    if n:
        logger.debug("%s: %.1f%% (%d/%d)", name, 100.0 * acc, len(correct), n)
    return {"section": name, "correct": correct, "incorrect": incorrect, "accuracy": acc, "skipped": skipped,
            "method": method}


class _Solver:
    """Answers blocks of questions (rows of canonical ids a, b, c, d) with :func:`best_two`."""

    def __init__(self, kv: KeyedVectors, n_rows: int, form_index: np.ndarray, method: str, max_memory_mb: float,
                 kernel: str = "auto"):
        self.kernel = kernel
        self.kv, self.n_rows, self.form, self.method = kv, n_rows, form_index, method
        self.max_memory_mb = max_memory_mb
        self.chunk = 4096  # questions per progress update
        self._norms: np.ndarray | None = None

    def solve(self, ids: np.ndarray, on_done=None) -> np.ndarray:
        """Boolean "predicted == expected" for each question row of ``ids`` (Q, 4)."""
        hits = np.zeros(len(ids), dtype=bool)
        unit = self.kv.get_normed_vectors()
        for start in range(0, len(ids), self.chunk):
            block = ids[start:start + self.chunk]
            best, top, second = best_two(unit, block, self.n_rows, self.method, self.max_memory_mb, self.kernel)
            hits[start:start + len(block)] = self._decide(block, best, top, second)
            if on_done is not None:
                on_done(len(block))
        return hits

    def _decide(self, block: np.ndarray, best: np.ndarray, top: np.ndarray, second: np.ndarray) -> np.ndarray:
        close = (top - second) < TIE_GAP * np.maximum(1.0, np.abs(top))
        form = self.form[np.maximum(best, 0)]  # canonical form of each question's best candidate
        recheck = (best < 0) | close | (form == block[:, 0]) | (form == block[:, 1]) | (form == block[:, 2])
        hits = form == block[:, 3]
        for q in np.flatnonzero(recheck):  # rare: near-tie, case variant of a query word, no candidate
            ia, ib, ic, id_ = (int(x) for x in block[q])
            hits[q] = self._exact(ia, ib, ic, id_)
        return hits

    def _exact(self, ia: int, ib: int, ic: int, id_: int) -> bool:
        """One question scored with gensim's own float arithmetic and its top-5 / ignore rule."""
        if self._norms is None:
            self._norms = np.linalg.norm(self.kv.vectors, axis=1)  # gensim's fill_norms()
        dists = _gensim_scores(self.kv.vectors, self._norms, ia, ib, ic, self.n_rows, self.method)
        exclude = {ia, ib, ic}
        best = _gensim_argsort(dists, TOPN + len(exclude))
        sims = [int(i) for i in best if int(i) not in exclude][:TOPN]
        predicted = None
        for i in sims:
            predicted = int(self.form[i])
            if predicted not in exclude:
                break
        return predicted == id_


def _gensim_argsort(x: np.ndarray, topn: int) -> np.ndarray:
    """``gensim.matutils.argsort(x, topn, reverse=True)``, step for step (same tie order)."""
    x = -np.asarray(x)
    if topn >= x.size:
        return np.argsort(x)[:topn]
    most_extreme = np.argpartition(x, topn)[:topn]
    return most_extreme.take(np.argsort(x.take(most_extreme)))


def _gensim_scores(vectors: np.ndarray, norms: np.ndarray, ia: int, ib: int, ic: int, n_rows: int,
                   method: str) -> np.ndarray:
    """Scores of every candidate row for one question, computed with gensim 4's exact sequence of ops.

    gensim's ``unitvec`` scales by BLAS ``dnrm2`` / ``dscal`` in float64; the norm here is the correctly
    rounded one (exact float64 squares of float32 values, ``math.fsum``), so importing scipy.linalg
    (~0.2 s in a fresh process) is not needed for the rare re-checked question.
    """
    if method == "3cosadd":  # most_similar(positive=[b, c], negative=[a]) → get_mean_vector → unitvec
        weight = np.concatenate((np.ones(2), -1.0 * np.ones(1)))
        mean = np.zeros(vectors.shape[1], np.float32)
        total_weight = 0
        for idx, i in enumerate((ib, ic, ia)):
            mean += weight[idx] * (vectors[i] / norms[i])
            total_weight += abs(weight[idx])
        mean = mean / total_weight
        veclen = math.sqrt(math.fsum(float(x) * float(x) for x in mean))
        if veclen > 0.0:
            mean = ((1.0 / veclen) * mean.astype(np.float64)).astype(mean.dtype)
        mean = mean.astype(np.float32)
        return np.dot(vectors[:n_rows], mean) / norms[:n_rows]
    pos = [((1 + np.dot(vectors, vectors[i] / norms[i]) / norms) / 2) for i in (ib, ic)]
    neg = [((1 + np.dot(vectors, vectors[ia] / norms[ia]) / norms) / 2)]
    return (np.prod(pos, axis=0) / (np.prod(neg, axis=0) + 0.000001))[:n_rows]
