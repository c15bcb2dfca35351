"""``FastTextClassifier``: fastText's supervised text classifier (Joulin et al. 2017), and the tool's files.

A sentence is the average of the input rows of its words (each word's own row, plus its character
n-grams when ``max_n > 0``), of the tool's end-of-line token ``</s>``, and of its hashed word
n-grams (``word_ngrams`` > 1: bigrams, trigrams, ... with the tool's ``addWordNgrams`` hash); a
linear layer and a softmax (or one-vs-all sigmoids) give the label probabilities. The input rows
follow the tool's ``Dictionary::getLine`` exactly, so a supervised ``.bin`` (or quantized ``.ftz``)
made by the tool predicts the same labels and probabilities here; :meth:`save` writes a ``.bin``
the tool loads. Training is :mod:`wordlab.fasttext.supervised_kernel`.

Input: the tool's format (one example per line, labels as ``__label__name`` tokens anywhere in the
line) with :func:`read_labelled`, or token lists and label names (the MR / TSV readers of
:mod:`wordlab.classify.data`).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ConfigError, DataError
from ..text.reader import iter_lines
from .facebook import FacebookModel, read_facebook, write_facebook
from .hashing import EOS, ft_hash, ngram_buckets, word_ngram_buckets
from .memory import zeros_rows

LOSSES = ("softmax", "ova")


@dataclass(frozen=True)
class FastTextClassifierConfig:
    """Hyper-parameters of the supervised model; defaults are ``fasttext.train_supervised``'s."""

    dim: int = field(default=100, metadata={"help": "embedding size", "aliases": ("--vector-size", "--size")})
    lr: float = field(default=0.1, metadata={"help": "learning rate (decays linearly to 0)"})
    epochs: int = field(default=5, metadata={"help": "passes over the training data", "aliases": ("--iter",)})
    word_ngrams: int = field(default=1, metadata={"help": "longest word n-gram (2 = bigrams too)"})
    min_count: int = field(default=1, metadata={"help": "drop words seen fewer times"})
    min_n: int = field(default=0, metadata={"help": "shortest character n-gram (0 = none)"})
    max_n: int = field(default=0, metadata={"help": "longest character n-gram (0 = none)"})
    bucket: int = field(default=2_000_000, metadata={"help": "hash buckets of the word and character n-grams"})
    loss: str = field(default="softmax", metadata={"help": "output layer", "choices": LOSSES})
    threads: int = field(default=1, metadata={"help": "training threads (Hogwild)", "aliases": ("--workers",)})
    seed: int = field(default=0, metadata={"help": "random seed"})
    label: str = field(default="__label__", metadata={"help": "label prefix"})
    pretrained_vectors: str | None = field(default=None, metadata={
        "help": "word vectors (any file wordlab reads: .vec, .bin, .npz) for the words' input rows (the tool's "
                "-pretrainedVectors); a fastText model gives words outside its vocabulary their n-gram vectors"})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        checks = [(self.dim >= 1, f"dim must be >= 1, got {self.dim}"), (self.lr > 0, f"lr must be > 0, got {self.lr}"),
                  (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
                  (self.word_ngrams >= 1, f"word_ngrams must be >= 1, got {self.word_ngrams}"),
                  (self.min_count >= 1, f"min_count must be >= 1, got {self.min_count}"),
                  (self.max_n == 0 or 1 <= self.min_n <= self.max_n,
                   f"need 1 <= min_n <= max_n or max_n = 0, got {self.min_n}, {self.max_n}"),
                  (0 <= self.bucket < 2**31, f"bucket must be in [0, 2**31), got {self.bucket}"),
                  (self.loss in LOSSES, f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}"),
                  (self.threads >= 1, f"threads must be >= 1, got {self.threads}"),
                  (bool(self.label), "label prefix must not be empty")]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    @property
    def buckets_used(self) -> int:
        """The tool's rule: no buckets when there are neither word n-grams nor character n-grams."""
        return 0 if self.word_ngrams <= 1 and self.max_n == 0 else self.bucket


def read_labelled(path: str | os.PathLike, label: str = "__label__") -> tuple[list[list[str]], list[list[str]]]:
    """The tool's training format: per line, tokens starting with ``label`` are labels, the rest words."""
    texts, labels = [], []
    for line_no, line in iter_lines(path):
        tokens = line.split()
        ys = [t for t in tokens if t.startswith(label)]
        if not tokens:
            continue
        if not ys:
            raise DataError(f"{path}:{line_no}: no label (a token starting with {label!r})")
        texts.append([t for t in tokens if not t.startswith(label)])
        labels.append(ys)
    if not texts:
        raise DataError(f"{path}: no labelled lines (expected '{label}name word word ...')")
    return texts, labels


def set_word_rows(W_in: np.ndarray, words: Sequence[str], vectors, source: str | None = None) -> int:
    """``W_in[i] = vectors[words[i]]`` for every word the vectors have (any string for subword vectors, which
    have ``has_vector``); returns how many rows were set. The dimensions must agree."""
    D = W_in.shape[1]
    if int(vectors.vector_size) != D:
        raise ConfigError(f"{source or 'the pre-trained vectors'} have dimension {vectors.vector_size} but the "
                          f"classifier's dim is {D}; pass --dim {vectors.vector_size}")
    has = getattr(vectors, "has_vector", None) or (lambda w: w in vectors.key_to_index)
    done = 0
    for i, w in enumerate(words):
        if w != EOS and has(w):
            W_in[i] = vectors.get_vector(w)
            done += 1
    return done


def flatten(texts: Sequence[Sequence[str]], prefix: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(type names, type id of every token, example offsets)``; ``</s>`` ends each example, labels are dropped."""
    types: dict[str, int] = {}
    flat: list[int] = []
    ex_offsets = np.zeros(len(texts) + 1, np.int64)
    eos = types.setdefault(EOS, 0)
    for i, t in enumerate(texts):
        flat.extend([types.setdefault(w, len(types)) for w in t if not w.startswith(prefix)])
        flat.append(eos)
        ex_offsets[i + 1] = len(flat)
    return list(types), np.asarray(flat, dtype=np.int64), ex_offsets


class FastTextClassifier:
    """A trained (or loaded) supervised fastText model: ``predict``, ``predict_proba``, ``test``, ``save``."""

    def __init__(self, config: FastTextClassifierConfig, words: list[str], word_counts: np.ndarray,
                 labels: list[str], label_counts: np.ndarray, W_in: np.ndarray, W_out: np.ndarray,
                 prune: dict[int, int] | None = None, ntokens: int = 0, ova: bool | None = None,
                 loss_code: int | None = None) -> None:
        self.config = config
        self.words, self.word_counts = list(words), np.asarray(word_counts, np.int64)
        self.labels, self.label_counts = list(labels), np.asarray(label_counts, np.int64)
        self.W_in, self.W_out = W_in, W_out
        self.word_index = {w: i for i, w in enumerate(self.words)}
        self.prune = prune
        self.ntokens = ntokens
        self.loss_code = loss_code if loss_code is not None else (4 if config.loss == "ova" else 3)
        self._prune_table = None
        if prune is not None:
            self._prune_table = np.full(max(config.bucket, 1), -1, np.int64)
            for k, v in prune.items():
                self._prune_table[k] = v
        self._cache: dict[str, tuple[list[int], int]] = {}

    # ---- input rows (the tool's getLine) ---------------------------------------------------------
    def _buckets(self, buckets) -> list[int]:
        if self._prune_table is not None:
            return [int(self._prune_table[b]) for b in buckets if self._prune_table[b] >= 0]
        return [int(b) for b in buckets]

    def _word(self, token: str) -> tuple[list[int], int]:
        got = self._cache.get(token)
        if got is None:
            c, n = self.config, len(self.words)
            wid = self.word_index.get(token, -1)
            rows = [wid] if wid >= 0 else []
            if c.max_n > 0 and token != EOS:
                rows += [n + b for b in self._buckets(ngram_buckets(token, c.min_n, c.max_n, c.bucket))]
            got = (rows, ft_hash(token))
            if len(self._cache) < 1_000_000:
                self._cache[token] = got
        return got

    def rows_of(self, tokens: Sequence[str]) -> list[int]:
        """Input rows of one example (``</s>`` appended as the tool reads a line; labels dropped)."""
        rows, hashes = [], []
        for t in list(tokens) + [EOS]:
            if t.startswith(self.config.label):
                continue
            r, h = self._word(t)
            rows += r
            hashes.append(h)
        c = self.config
        if c.word_ngrams > 1 and c.bucket > 0:
            rows += [len(self.words) + b for b in self._buckets(word_ngram_buckets(hashes, c.word_ngrams, c.bucket))]
        return rows

    def _csr(self, texts: Sequence[Sequence[str]], flat: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Input rows of many examples (what :meth:`rows_of` gives one by one), hashed by a numba kernel."""
        from .hashing import example_rows, hash_words

        c = self.config
        names, tokens, ex_offsets = flat if flat is not None else flatten(texts, c.label)
        wid = np.array([self.word_index.get(w, -1) for w in names], dtype=np.int64)
        hashes = hash_words(names)
        char_offsets = np.zeros(len(names) + 1, np.int64)
        char_rows = np.zeros(0, np.int64)
        if c.max_n > 0:
            parts = [self._word(w)[0][1 if i >= 0 else 0:] for w, i in zip(names, wid)]
            np.cumsum([len(p) for p in parts], out=char_offsets[1:])
            char_rows = np.fromiter((r for p in parts for r in p), dtype=np.int64, count=int(char_offsets[-1]))
        prune = self._prune_table if self._prune_table is not None else np.zeros(0, np.int64)
        offsets = np.zeros(len(texts) + 1, np.int64)
        args = (ex_offsets, tokens, wid, hashes, char_offsets, char_rows, len(self.words), c.word_ngrams, c.bucket,
                prune)
        total = example_rows(*args, True, offsets, np.zeros(0, np.int32))
        rows = np.empty(total, np.int32)
        example_rows(*args, False, offsets, rows)
        return offsets, rows

    # ---- training --------------------------------------------------------------------------------
    @classmethod
    def train(cls, texts: Sequence[Sequence[str]], labels: Sequence[str | Sequence[str]],
              config: FastTextClassifierConfig | None = None, vectors=None,
              **kwargs) -> tuple["FastTextClassifier", dict]:
        """Train on token lists and their label(s); a label without the prefix gets it. Returns (model, stats).

        ``vectors`` (a ``KeyedVectors``, or ``config.pretrained_vectors`` read with
        :func:`wordlab.artifacts.load_vectors`) sets the input rows of the words it has a vector for, as
        the tool's ``-pretrainedVectors`` does; ``FastTextKeyedVectors`` have one for every word (n-grams).
        """
        from .kernel import init_ngram_rows
        from .supervised_kernel import train_part

        try:
            config = config or FastTextClassifierConfig(**kwargs)
        except TypeError as e:
            raise ConfigError(f"FastTextClassifier: {e}") from None
        if len(texts) != len(labels) or not texts:
            raise DataError(f"need one label set per text and at least one text, got {len(texts)} / {len(labels)}")
        p = config.label
        label_sets = [[y if y.startswith(p) else p + y for y in ([ys] if isinstance(ys, str) else ys)]
                      for ys in labels]
        flat = flatten(texts, p)  # one pass over the tokens: type names, type ids, example offsets
        counts = np.bincount(flat[1], minlength=len(flat[0]))
        wc = dict(zip(flat[0], counts.tolist()))
        words = sorted((w for w, n in wc.items() if n >= config.min_count), key=lambda w: (-wc[w], w))
        lc = Counter(y for ys in label_sets for y in ys)
        label_names = sorted(lc, key=lambda y: (-lc[y], y))
        config = FastTextClassifierConfig(**{**asdict(config), "bucket": config.buckets_used})
        n, D = len(words), config.dim
        W_in = zeros_rows(n + config.bucket, D)
        W_out = np.zeros((len(label_names), D), np.float32)
        model = cls(config, words, np.array([wc[w] for w in words]), label_names,
                    np.array([lc[y] for y in label_names]), W_in, W_out,
                    ntokens=sum(len(t) + 1 + len(ys) for t, ys in zip(texts, label_sets)))
        offsets, rows = model._csr(texts, flat)
        init_ngram_rows(W_in, np.arange(n, dtype=np.int32), 0, config.seed)  # the words' rows
        init_ngram_rows(W_in, rows, n, config.seed)  # the n-gram buckets the data uses
        if vectors is None and config.pretrained_vectors:
            from ..artifacts import load_vectors

            vectors = load_vectors(config.pretrained_vectors)
        pretrained = 0 if vectors is None else set_word_rows(W_in, words, vectors, config.pretrained_vectors)
        index = {y: i for i, y in enumerate(label_names)}
        label_offsets = np.zeros(len(texts) + 1, np.int64)
        np.cumsum([len(ys) for ys in label_sets], out=label_offsets[1:])
        label_ids = np.array([index[y] for ys in label_sets for y in ys], dtype=np.int32)
        tokens = np.array([len(t) + 1 + len(ys) for t, ys in zip(texts, label_sets)], dtype=np.int64)
        ova = config.loss == "ova"
        bounds = np.linspace(0, len(texts), config.threads + 1).astype(int)
        results = [None] * config.threads

        def run(k: int) -> None:
            results[k] = train_part(W_in, W_out, offsets, rows, label_offsets, label_ids, tokens, bounds[k],
                                    bounds[k + 1], config.epochs, config.lr, ova, config.seed * 1000003 + k + 1,
                                    int(tokens.sum()))

        threads = [threading.Thread(target=run, args=(k,)) for k in range(config.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        loss = sum(r[0] for r in results)
        updates = sum(r[1] for r in results)
        return model, {"loss": loss / max(updates, 1), "examples": len(texts), "words": n,
                       "labels": len(label_names), "pretrained_words": pretrained}

    # ---- prediction ------------------------------------------------------------------------------
    @property
    def ova(self) -> bool:
        return self.loss_code == 4

    def predict_proba(self, texts: Sequence[Sequence[str]]) -> np.ndarray:
        """``(len(texts), n_labels)`` probabilities (softmax, or sigmoids for one-vs-all)."""
        from .supervised_kernel import predict_all

        if self.loss_code not in (3, 4):
            raise ConfigError(f"prediction with the tool's loss {self.loss_code} (1 = hierarchical softmax, "
                              "2 = negative sampling) is not supported; softmax and one-vs-all are")
        offsets, rows = self._csr(texts)
        return predict_all(self.W_in, self.W_out, offsets, rows, self.ova,
                           np.empty((len(texts), len(self.labels)), np.float32))

    def predict(self, text: str | Sequence[str] | Sequence[Sequence[str]], k: int = 1, threshold: float = 0.0):
        """Top-``k`` labels and probabilities, as the tool's Python ``predict``: a string (one line) gives
        ``(labels, probs)``; a list of strings or token lists gives ``(list of labels, list of probs)``.
        Probabilities are the model's (the tool reports ``p + 1e-5``)."""
        single = isinstance(text, str)
        items = [text] if single else list(text)
        texts = [x.split() if isinstance(x, str) else list(x) for x in items]
        P = self.predict_proba(texts)
        all_labels, all_probs = [], []
        for p in P:
            order = np.argsort(-p, kind="stable")[:max(k, 1) if k > 0 else len(p)]
            order = [i for i in order if p[i] >= threshold]
            all_labels.append(tuple(self.labels[i] for i in order))
            all_probs.append(np.array([p[i] for i in order], dtype=np.float64))
        return (all_labels[0], all_probs[0]) if single else (all_labels, all_probs)

    def test(self, texts: Sequence[Sequence[str]], labels: Sequence[str | Sequence[str]]) -> float:
        """Precision at 1 (= accuracy for one label per example); labels with or without the prefix."""
        P = self.predict_proba(texts)
        p = self.config.label
        best = [self.labels[i] for i in P.argmax(axis=1)]
        gold = [{y if y.startswith(p) else p + y for y in ([ys] if isinstance(ys, str) else ys)} for ys in labels]
        return float(np.mean([b in g for b, g in zip(best, gold)]))

    # ---- files -----------------------------------------------------------------------------------
    def to_facebook(self) -> FacebookModel:
        c = self.config
        args = {"dim": c.dim, "ws": 5, "epoch": c.epochs, "minCount": c.min_count, "neg": 5,
                "wordNgrams": c.word_ngrams, "loss": self.loss_code, "model": 3, "bucket": c.bucket,
                "minn": c.min_n, "maxn": c.max_n, "lrUpdateRate": 100, "t": 1e-4}
        return FacebookModel(args, self.words + self.labels, np.concatenate([self.word_counts, self.label_counts]),
                             len(self.words), len(self.labels), self.ntokens, self.W_in, self.W_out, self.prune)

    def save(self, path: str | os.PathLike) -> None:
        """A supervised fastText ``.bin`` (the tool's format; the tool loads and predicts with it)."""
        if self.prune is not None:
            raise DataError(f"{path}: a model loaded from a quantized .ftz cannot be saved dense")
        write_facebook(path, self.to_facebook())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FastTextClassifier":
        """A supervised ``.bin`` or quantized ``.ftz`` made by the tool (or by :meth:`save`)."""
        fb = read_facebook(path)
        if not fb.supervised:
            raise DataError(f"{Path(path)}: an unsupervised fastText model (word vectors), not a classifier")
        a = fb.args
        dense = (lambda m: m if isinstance(m, np.ndarray) else m.dense())
        loss = {3: "softmax", 4: "ova"}.get(a["loss"], "softmax")
        config = FastTextClassifierConfig(dim=a["dim"], epochs=max(a["epoch"], 1), word_ngrams=max(a["wordNgrams"], 1),
                                          min_count=max(a["minCount"], 1), min_n=a["minn"] if a["maxn"] else 0,
                                          max_n=a["maxn"], bucket=a["bucket"], loss=loss)
        return cls(config, fb.words[:fb.nwords], fb.counts[:fb.nwords], fb.labels, fb.counts[fb.nwords:],
                   np.ascontiguousarray(dense(fb.input)), np.ascontiguousarray(dense(fb.output)), prune=fb.prune,
                   ntokens=fb.ntokens, loss_code=a["loss"])

    def __repr__(self) -> str:
        c = self.config
        return (f"FastTextClassifier({len(self.labels)} labels, {len(self.words)} words, dim={c.dim}, "
                f"word_ngrams={c.word_ngrams}, loss={c.loss})")
