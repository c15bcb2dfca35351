"""NBSVM (Wang & Manning 2012, "Baselines and Bigrams"): an SVM on naive-Bayes-scaled word n-grams.

For binarized n-gram indicators ``x`` (every word n-gram of length 1..``word_ngrams`` seen in the
training data, present or not) and a class ``c`` against the rest (one model for two classes)::

    p = α + Σ_{y_i = c} x_i,   q = α + Σ_{y_i ≠ c} x_i,   r = log((p / |p|₁) / (q / |q|₁))   # NB log-count ratio
    min_{w,b} ½(|w|² + b²) + C Σ_i max(0, 1 - ỹ_i (w·(r∘x_i) + b))²                          # L2-loss SVM
    w' = (1 - β) w̄ + β w,   w̄ = |w|₁ / |V|                                                    # interpolation
    score_c(x) = w'·(r∘x) + b

The SVM is liblinear's default problem (L2-regularised squared hinge, ``-s 1``, Wang & Manning's
setting) solved as liblinear does, by dual coordinate descent (Hsieh et al. 2008; numba), with the
bias as a feature of value 1 (``-B 1``). Two labels: one model, label
1 when the score is positive; more labels: one model per label, the highest score wins. The
"probability" :meth:`NBSVM.predict` reports is the logistic of the (winning) score, a confidence,
not a calibrated probability. Files: ``.npz`` (``wordlab.nbsvm/1``: n-gram list and labels in the
JSON ``meta``, ``r``, ``w'``, ``b`` as arrays). Paper figures with bigrams: MR 79.4 %, CR 81.8 %,
SUBJ 93.2 % (β 0.25, C 1, α 1).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
from numba import njit

from ..atomic import atomic_write
from ..errors import ConfigError, DataError

FORMAT = "wordlab.nbsvm/1"
SEP = "\x1f"  # joins the words of an n-gram key (a character no tokenizer keeps)

__all__ = ["NBSVMConfig", "NBSVM", "ngram_keys"]


@dataclass(frozen=True)
class NBSVMConfig:
    """Hyper-parameters of :class:`NBSVM` (Wang & Manning 2012's values by default)."""

    word_ngrams: int = field(default=2, metadata={"cli": False})  # the shared --word-ngrams flag sets it
    smoothing: float = field(default=1.0, metadata={"help": "NBSVM: add-alpha smoothing of the n-gram counts"})
    interpolation: float = field(default=0.25, metadata={
        "help": "NBSVM: beta, weight of the SVM's w against its mean magnitude (1 = plain SVM on NB features)"})
    svm_c: float = field(default=1.0, metadata={"help": "NBSVM: the SVM's C (inverse regularisation)"})
    clean: bool = field(default=False, metadata={"cli": False})  # texts to predict get Kim's clean_str (MR)
    max_iter: int = field(default=1000, metadata={"help": "NBSVM: passes of the SVM solver at most (liblinear's 1000)"})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers

        check_numbers(self)
        checks = [(self.word_ngrams >= 1, f"word_ngrams must be >= 1, got {self.word_ngrams}"),
                  (self.smoothing > 0, f"smoothing must be > 0, got {self.smoothing}"),
                  (0.0 <= self.interpolation <= 1.0, f"interpolation must be in [0, 1], got {self.interpolation}"),
                  (self.svm_c > 0, f"svm_c must be > 0, got {self.svm_c}"),
                  (self.max_iter >= 1, f"max_iter must be >= 1, got {self.max_iter}")]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)


def ngram_keys(tokens: Sequence[str], n: int) -> set[str]:
    """The distinct word n-grams of length 1..``n`` of one text (binarized: a set)."""
    out: set[str] = set(tokens)
    for k in range(2, n + 1):
        out.update(SEP.join(tokens[i:i + k]) for i in range(len(tokens) - k + 1))
    return out


def _features(texts: Sequence[Sequence[str]], index: dict[str, int], n: int):
    """Binary CSR matrix ``(len(texts), len(index))`` of the n-grams in ``index`` (others ignored)."""
    from scipy import sparse

    indptr = np.zeros(len(texts) + 1, np.int64)
    cols: list[int] = []
    for i, t in enumerate(texts):
        cols.extend(sorted(j for j in (index.get(g, -1) for g in ngram_keys(list(t), n)) if j >= 0))
        indptr[i + 1] = len(cols)
    data = np.ones(len(cols), np.float64)
    return sparse.csr_matrix((data, np.asarray(cols, np.int64), indptr), shape=(len(texts), len(index)))


@njit(cache=True, nogil=True)
def _dual_cd(indptr, indices, data, y, C, eps, max_iter, seed, w):
    """liblinear's dual coordinate descent for the L2-loss SVM (Hsieh et al. 2008, ``-s 1``, no shrinking):
    ``w`` (with the bias as a last feature of value 1) is updated in place; returns the passes made."""
    n = y.shape[0]
    d_ii = 0.5 / C
    alpha = np.zeros(n)
    qd = np.empty(n)
    for i in range(n):
        q = d_ii + 1.0  # the bias feature
        for k in range(indptr[i], indptr[i + 1]):
            q += data[k] * data[k]
        qd[i] = q
    order = np.arange(n)
    np.random.seed(seed)
    bias = w.shape[0] - 1
    for it in range(max_iter):
        np.random.shuffle(order)
        pg_max, pg_min = -np.inf, np.inf
        for j in range(n):
            i = order[j]
            s = w[bias]
            for k in range(indptr[i], indptr[i + 1]):
                s += w[indices[k]] * data[k]
            g = y[i] * s - 1.0 + d_ii * alpha[i]
            pg = g if alpha[i] > 0 else min(g, 0.0)
            pg_max, pg_min = max(pg_max, pg), min(pg_min, pg)
            if pg != 0.0:
                old = alpha[i]
                alpha[i] = max(old - g / qd[i], 0.0)
                step = (alpha[i] - old) * y[i]
                for k in range(indptr[i], indptr[i + 1]):
                    w[indices[k]] += step * data[k]
                w[bias] += step
        if pg_max - pg_min < eps:
            return it + 1
    return max_iter


def _svm(X, y: np.ndarray, C: float, max_iter: int, seed: int = 0) -> tuple[np.ndarray, float]:
    """L2-regularised squared-hinge SVM, as liblinear ``-s 1 -B 1`` (bias a regularised feature of value 1);
    ``y`` in {-1, +1}; stops when the projected gradient's spread is below liblinear's 0.1."""
    X = X.tocsr()
    w = np.zeros(X.shape[1] + 1)
    _dual_cd(X.indptr.astype(np.int64), X.indices.astype(np.int64), X.data.astype(np.float64),
             y.astype(np.float64), float(C), 0.1, int(max_iter), int(seed), w)
    return w[:-1], float(w[-1])


class NBSVM:
    """A trained NBSVM: ``predict``, ``decision_function``, ``test``, ``save`` / ``load``."""

    def __init__(self, config: NBSVMConfig, ngrams: list[str], labels: list[str], r: np.ndarray, w: np.ndarray,
                 b: np.ndarray) -> None:
        self.config, self.ngrams, self.labels = config, list(ngrams), list(labels)
        self.index = {g: i for i, g in enumerate(self.ngrams)}
        self.r, self.w, self.b = (np.asarray(r, np.float64), np.asarray(w, np.float64), np.asarray(b, np.float64))
        models = 1 if len(self.labels) == 2 else len(self.labels)
        if self.r.shape != (models, len(self.ngrams)) or self.w.shape != self.r.shape or self.b.shape != (models,):
            raise DataError(f"NBSVM arrays do not fit {len(self.ngrams)} n-grams and {len(self.labels)} labels: "
                            f"r {self.r.shape}, w {self.w.shape}, b {self.b.shape}")

    @classmethod
    def train(cls, texts: Sequence[Sequence[str]], labels: Sequence[str], config: NBSVMConfig | None = None,
              **kwargs) -> "NBSVM":
        """Train on token lists and one label name per text (at least two distinct labels)."""
        try:
            config = config or NBSVMConfig(**kwargs)
        except TypeError as e:
            raise ConfigError(f"NBSVM: {e}") from None
        if len(texts) != len(labels) or not texts:
            raise DataError(f"need one label per text and at least one text, got {len(texts)} / {len(labels)}")
        names = sorted(set(labels))
        if len(names) < 2:
            raise DataError(f"every example has the label {names[0]!r}; a classifier needs at least two labels")
        index: dict[str, int] = {}
        for t in texts:
            for g in ngram_keys(list(t), config.word_ngrams):
                index.setdefault(g, len(index))
        X = _features(texts, index, config.word_ngrams)
        y_all = np.array([names.index(y) for y in labels])
        classes = [1] if len(names) == 2 else list(range(len(names)))
        rs, ws, bs = [], [], []
        for c in classes:
            pos = y_all == c
            p = config.smoothing + np.asarray(X[pos].sum(axis=0)).ravel()
            q = config.smoothing + np.asarray(X[~pos].sum(axis=0)).ravel()
            r = np.log(p / p.sum()) - np.log(q / q.sum())
            w, b = _svm(X.multiply(r).tocsr(), np.where(pos, 1.0, -1.0), config.svm_c, config.max_iter)
            beta = config.interpolation
            rs.append(r)
            ws.append((1.0 - beta) * np.abs(w).mean() + beta * w)
            bs.append(b)
        return cls(config, list(index), names, np.array(rs), np.array(ws), np.array(bs))

    def decision_function(self, texts: Sequence[Sequence[str]]) -> np.ndarray:
        """Scores ``(len(texts), models)``: one column for two labels (> 0 means ``labels[1]``), else one per label."""
        X = _features(texts, self.index, self.config.word_ngrams)
        return np.asarray(X @ (self.r * self.w).T) + self.b

    def predict(self, texts: Sequence[Sequence[str]]) -> tuple[list[str], np.ndarray]:
        """Label names and their confidence (logistic of the score) for token lists."""
        s = self.decision_function(texts)
        if len(self.labels) == 2:
            best = (s[:, 0] > 0).astype(int)
            score = np.where(best == 1, s[:, 0], -s[:, 0])
        else:
            best = s.argmax(axis=1)
            score = s[np.arange(len(s)), best]
        return [self.labels[i] for i in best], 1.0 / (1.0 + np.exp(-score))

    def test(self, texts: Sequence[Sequence[str]], labels: Sequence[str]) -> float:
        """Accuracy against label names."""
        got, _ = self.predict(texts)
        return float(np.mean([a == b for a, b in zip(got, labels)])) if len(got) else 0.0

    # ---- files -----------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """``.npz``: the n-grams and labels in the JSON ``meta``, the arrays ``r``, ``w``, ``b``."""
        meta = {"format": FORMAT, "config": asdict(self.config), "labels": self.labels, "ngrams": self.ngrams}
        with atomic_write(path, "wb") as f:
            np.savez(f, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8), r=self.r, w=self.w,
                     b=self.b)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "NBSVM":
        """Read what :meth:`save` wrote (sizes checked against the n-gram and label lists)."""
        from ..schema import npz_meta

        meta = npz_meta(path)
        if meta.get("format") != FORMAT:
            raise DataError(f"{path}: not an NBSVM model (no {FORMAT!r} header)")
        try:
            with np.load(path, allow_pickle=False) as z:
                r, w, b = z["r"], z["w"], z["b"]
            config = NBSVMConfig(**meta["config"])
            return cls(config, meta["ngrams"], meta["labels"], r, w, b)
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(f"{path}: damaged NBSVM model ({type(e).__name__}: {str(e)[:80]})") from None

    def __repr__(self) -> str:
        return (f"NBSVM({len(self.labels)} labels, {len(self.ngrams)} n-grams up to {self.config.word_ngrams}, "
                f"beta={self.config.interpolation}, C={self.config.svm_c})")
