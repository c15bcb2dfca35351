"""``FastText``: word2vec's front object with character n-gram rows (Bojanowski et al. 2017).

Usage mirrors gensim's ``FastText``::

    model = FastText("corpus.txt.gz", sg=1, vector_size=100, min_n=3, max_n=6, bucket=2_000_000)
    model.wv.most_similar("unseenword")          # any string has a vector
    model.save("model.npz");  FastText.load("model.npz")               # native, training can go on
    model.save_facebook("model.bin");  FastText.load_facebook("model.bin")   # the fastText tool's format

Everything but the weights and the kernel is :class:`~wordlab.word2vec.Word2Vec`'s: corpus
streaming and id cache, vocabulary (and ``build_vocab(update=True)``), subsampling and noise
tables, threads, progress with words/s and loss, resume, checkpoints, gensim's keywords.
``W_in`` has ``len(vocab) + bucket`` rows: the words' own rows, then the n-gram buckets;
``W_out`` has one row per word; with hierarchical softmax (``hs=1``, the tool's ``-loss hs``) ``W_hs``
has one row per inner node of the Huffman tree, and is the ``.bin``'s output matrix (loss 1).
The kernel is :mod:`wordlab.fasttext.kernel`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckpointError, ConfigError
from ..text import EOS, Vocabulary
from ..word2vec import Word2Vec
from ..word2vec.checks import check_model_file
from ..word2vec.fast_trainer import LOSS_EVERY
from .config import FastTextConfig
from .facebook import FacebookModel, read_facebook, write_facebook
from .hashing import EOS as FT_EOS
from .hashing import subword_table
from .keyed import FastTextKeyedVectors
from .memory import zeros_rows

log = logging.getLogger(__name__)

FORMAT = "wordlab.fasttext/1"


class FastText(Word2Vec):
    """fastText skip-gram / CBOW with negative sampling over words and hashed character n-grams.

    Parameters as :class:`~wordlab.word2vec.Word2Vec`; hyper-parameters are a :class:`FastTextConfig`
    (word2vec's plus ``min_n``, ``max_n``, ``bucket``) or its fields as keywords.
    """

    def __init__(self, corpus=None, *, config: FastTextConfig | None = None, progress: bool | None = None,
                 cache_dir: str | os.PathLike | bool | None = None, **kwargs: Any) -> None:
        if config is not None and kwargs:
            raise ConfigError("pass either config= or keyword hyper-parameters, not both")
        try:
            config = config or FastTextConfig(**kwargs)
        except TypeError as e:
            raise ConfigError(f"FastText: {e}") from None
        if not isinstance(config, FastTextConfig):
            raise ConfigError(f"FastText needs a FastTextConfig, got {type(config).__name__}")
        self._subwords: tuple[np.ndarray, np.ndarray] | None = None
        super().__init__(None, config=config, progress=progress, cache_dir=cache_dir)
        if corpus is not None:
            self.build_vocab(corpus)
            self.train()

    # ------------------------------------------------------------------ vocabulary and rows
    @property
    def nwords(self) -> int:
        return 0 if self.vocab is None else len(self.vocab)

    def build_vocab(self, corpus=None, update: bool = False, **kwargs: Any) -> "FastText":
        """As :meth:`Word2Vec.build_vocab`; a fresh vocabulary also gets ``bucket`` fresh n-gram rows."""
        from .kernel import init_ngram_rows

        super().build_vocab(corpus, update=update, **kwargs)
        c = self.config
        if not update:  # np.zeros: pages of buckets no word uses are never touched
            from ..limits import check_memory

            rows = c.input_rows(self.nwords)
            check_memory(4 * c.vector_size * (rows + self.nwords),
                         f"fastText's {rows:,} x {c.vector_size:,} input table (words + {c.bucket:,} buckets)")
            W = zeros_rows(rows, c.vector_size)
            W[:self.nwords] = self.W_in
            self.W_in = W
        self._subwords = None
        init_ngram_rows(self.W_in, self.subwords[1], self.nwords, c.seed)
        return self

    def _update_vocab(self, corpus):
        n = self.nwords
        ngrams = self.W_in[n:]
        self.W_in = self.W_in[:n]
        try:
            return super()._update_vocab(corpus)  # appends the new words' rows
        finally:
            W = zeros_rows(len(self.W_in) + len(ngrams), self.config.vector_size)
            W[:len(self.W_in)] = self.W_in
            W[len(self.W_in):] = ngrams
            self.W_in = W
            self._subwords = None

    @property
    def subwords(self) -> tuple[np.ndarray, np.ndarray]:
        """``(offsets, rows)``: the input rows of every vocabulary word (its own, then its n-grams')."""
        if self._subwords is None:
            c = self.config
            self._subwords = subword_table(self.vocab.itos, c.min_n, c.max_n, c.bucket if c.subwords else 0,
                                           eos=self.eos_id)
        return self._subwords

    # ------------------------------------------------------------------ training
    _progress_rate = True
    _spread_jobs = True

    def _epoch_job(self, total_words: int):
        from ..word2vec.checks import check_hs_inputs
        from .kernel import row_gain, train_job

        c, t = self.config, self.tables
        offsets, rows = self.subwords
        pair = bool(c.sg) and c.sg_update == "pair"
        gain = row_gain(offsets, rows) if pair else np.ones(0, np.float32)
        if c.hs:  # the tool's label at an inner node is the code bit itself
            hs_offsets, hs_points, hs_labels = check_hs_inputs(self.W_hs, self.tree, self.nwords, c.vector_size,
                                                               label_is_code=True)
        else:
            hs_offsets, hs_points, hs_labels = np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8)

        def job(chunk: np.ndarray, before: int, seed: int):
            return train_job(self.W_in, self.W_out, offsets, rows, chunk, t.sample_int, t.accept, t.alias, c.sg,
                             c.negative, c.window, c.alpha, c.min_alpha, before, max(total_words, 1), c.batch_words,
                             seed, LOSS_EVERY, t.eos, self.W_hs, hs_offsets, hs_points, hs_labels, c.hs,
                             pair, gain)

        return job

    # ------------------------------------------------------------------ vectors
    @property
    def wv(self) -> FastTextKeyedVectors:
        """The word vectors (mean of each word's rows), n-gram rows for any other string; ``<eos>`` left out."""
        if self.vocab is None:
            raise ConfigError("the model has no vocabulary yet: call build_vocab(corpus) first")
        if self._wv is None:
            c, n = self.config, self.nwords
            keys, vocab_rows, counts = list(self.vocab.itos), self.W_in[:n], self.vocab.counts
            if self.eos_id >= 0:
                del keys[self.eos_id]
                vocab_rows, counts = np.delete(vocab_rows, self.eos_id, 0), np.delete(counts, self.eos_id)
            self._wv = FastTextKeyedVectors(keys, vocab_rows, self.W_in[n:], c.min_n, c.max_n,
                                            c.bucket if c.subwords else 0, counts=counts)
        return self._wv

    # ------------------------------------------------------------------ files
    FILE_FORMAT, FILE_KIND = FORMAT, "fastText model"

    @classmethod
    def _checked_config(cls, path: Path, meta: dict, arrays: dict[str, np.ndarray]) -> FastTextConfig:
        """The file's config, after checking its metadata and the tables' shapes (words + buckets input rows)."""
        return check_model_file(path, meta, arrays["W_in"], arrays["W_out"], arrays["counts"], FastTextConfig)

    @classmethod
    def load(cls, path: str | os.PathLike, progress: bool | None = None) -> "FastText":
        """Read what :meth:`save` wrote (no pickle), or a fastText tool ``.bin`` (by its magic number)."""
        path = Path(path)
        if path.is_file():
            with open(path, "rb") as f:
                if f.read(4) == b"\xba\x16\x4f\x2f":
                    return cls.load_facebook(path, progress=progress)
        return super().load(path, progress=progress)

    def to_facebook(self) -> FacebookModel:
        """The model as the fastText tool stores it (``<eos>`` becomes the tool's ``</s>``)."""
        if self.vocab is None:
            raise ConfigError("nothing to save: the model has no vocabulary yet")
        c = self.config
        if c.hs and c.negative:
            raise ConfigError("a Facebook .bin holds one loss: this model trains hierarchical softmax and negative "
                              "sampling together; train with --hs --negative 0 (the tool's -loss hs) or --no-hs, "
                              "or save as .npz")
        args = {"dim": c.vector_size, "ws": c.window, "epoch": c.epochs, "minCount": c.min_count,
                "neg": c.negative or 5, "wordNgrams": 1, "loss": 1 if c.hs else 2, "model": 2 if c.sg else 1, "bucket": c.bucket if c.subwords else 0,
                "minn": c.min_n if c.subwords else 0, "maxn": c.max_n if c.subwords else 0, "lrUpdateRate": 100,
                "t": c.sample}
        words = [FT_EOS if w == EOS else w for w in self.vocab.itos]
        return FacebookModel(args, words, np.asarray(self.vocab.counts, np.int64), len(words), 0,
                             int(self.vocab.total_words), self.W_in, self.W_hs if c.hs else self.W_out)

    def save_facebook(self, path: str | os.PathLike) -> None:
        """Write the fastText tool's ``.bin`` (version 12), which the tool and gensim load."""
        write_facebook(path, self.to_facebook())

    @classmethod
    def load_facebook(cls, path: str | os.PathLike, progress: bool | None = None, **changes: Any) -> "FastText":
        """A model from a fastText tool ``.bin`` (unsupervised); training can go on from it."""
        fb = read_facebook(path)
        if fb.supervised:
            raise CheckpointError(f"{path}: a supervised fastText model (a classifier), not word vectors; "
                                  "load it with wordlab.fasttext.FastTextClassifier.load")
        if fb.quantized:
            raise CheckpointError(f"{path}: a quantized fastText model; only supervised models are quantized")
        a = fb.args
        hs = int(a["loss"] == 1)  # the tool's -loss hs: the output matrix is the Huffman tree's inner nodes
        config = FastTextConfig(**{"vector_size": a["dim"], "window": max(a["ws"], 1), "epochs": max(a["epoch"], 1),
                                   "min_count": max(a["minCount"], 1), "negative": 0 if hs else max(a["neg"], 1),
                                   "hs": hs,
                                   "sg": int(a["model"] == 2), "sample": a["t"], "min_n": max(a["minn"], 1),
                                   "max_n": a["maxn"], "bucket": a["bucket"], **changes})
        words = [EOS if w == FT_EOS else w for w in fb.words]
        vocab = Vocabulary(words, fb.counts, specials=(EOS,) if EOS in words else (), total_words=fb.ntokens)
        if hs:
            return cls._from_arrays(config, vocab, fb.input, np.zeros_like(fb.output), progress, W_hs=fb.output)
        return cls._from_arrays(config, vocab, fb.input, fb.output, progress)

    def __repr__(self) -> str:
        c = self.config
        return (f"FastText({'skip-gram' if c.sg else 'CBOW'}, {self.nwords} words, dim={c.vector_size}, "
                f"n-grams {c.min_n}..{c.max_n} in {c.bucket} buckets)")
