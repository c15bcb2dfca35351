"""``Word2Vec``: the front object — vocabulary, the two weight tables, training, ``.wv``, save/load.

Usage mirrors gensim::

    model = Word2Vec("corpus.txt.gz", sg=1, vector_size=100, workers=2)   # build_vocab + train
    model.wv.most_similar("king")
    model.save("model.npz");  model = Word2Vec.load("model.npz")          # training can go on
    model.build_vocab(more, update=True);  model.train(more)              # incremental

A corpus is a path (or list of paths, or a :class:`~wordlab.text.Corpus`), read as one
token stream, or a list of token lists. Training cuts the stream into "sentences" of at most
``batch_words`` words; a corpus read with ``eos=True`` (``read_corpus(path, eos=True)``, the
CLI's ``--eos``) also ends a sentence at every line end, as gensim's ``LineSentence`` and the
C tool do; windows never cross a sentence end. Lists of token lists are one sentence each.

Hierarchical softmax (``hs=1``) adds ``W_hs`` (gensim's ``syn1``: one row per inner node of the
Huffman tree, :mod:`.huffman`; the tree itself is rebuilt from the counts).

The model file is one ``.npz`` (``allow_pickle=False``): ``W_in``, ``W_out``, ``W_hs`` with ``hs``, ``counts`` and
``meta`` (UTF-8 JSON: format, config, words, training state), written atomically.
"""

from __future__ import annotations

import logging
import math
import os
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ConfigError, DataError
from ..progress import progress_bar
from ..tensor import num_threads
from ..text import EOS, Corpus, Vocabulary, build_vocab_and_ids, encode_corpus, scan_and_encode
from ..provenance import record as provenance_record
from .checks import check_hs_table, check_model_file
from .config import Word2VecConfig
from .fast_trainer import LOSS_EVERY, SamplingTables, hs_job, train_epoch_fast
from .gensim_compat import GensimAttributes, check_train_arguments, config_arguments, fire, pick_corpus
from .artifact_kinds import MODEL_FORMAT
from .files import read_model_file, write_model_file
from .huffman import HuffmanTree, build_tree
from .inputs import CorpusLike, as_corpus, check_table_memory, corpus_chunks, corpus_name
from .modules import init_input_vectors
from . import parallel

log = logging.getLogger(__name__)

FORMAT = MODEL_FORMAT  # the artifact registry sniffs it


class Word2Vec(GensimAttributes):
    """word2vec (CBOW or skip-gram, negative sampling) with a fast multi-threaded CPU trainer.

    A drop-in for gensim's ``Word2Vec`` in training scripts (:mod:`.gensim_compat` lists what maps how).

    Parameters
    ----------
    corpus: when given, ``build_vocab(corpus)`` then ``train()`` at once (as gensim).
        ``sentences=`` (gensim's name: token lists) and ``corpus_file=`` (a file read one sentence
        per line, gensim's ``LineSentence``) are the same, spelled as gensim does.
    config: a :class:`Word2VecConfig`; or pass its fields as keywords (``sg=1, window=5, ...``).
    progress: show progress bars (``None`` = when stderr is a terminal).
    cache_dir: where the corpus id cache lives (``False`` disables; see ``build_vocab_and_ids``).
    callbacks: objects with gensim's ``on_train_begin`` / ``on_epoch_begin`` / ``on_epoch_end`` /
        ``on_train_end`` hooks, called by the training this constructor runs.
    compute_loss: kept for gensim's scripts; the loss is always measured (``get_latest_training_loss``).
    """

    def __init__(self, corpus: CorpusLike | None = None, *, sentences: CorpusLike | None = None,
                 corpus_file: str | os.PathLike | None = None, config: Word2VecConfig | None = None,
                 progress: bool | None = None, cache_dir: str | os.PathLike | bool | None = None,
                 callbacks: Sequence[Any] = (), compute_loss: bool = True, **kwargs: Any) -> None:
        if config is not None and kwargs:
            raise ConfigError("pass either config= or keyword hyper-parameters, not both")
        if corpus is not None and sentences is not None:
            raise ConfigError("Word2Vec: pass the corpus once (corpus or sentences)")
        corpus = pick_corpus(sentences if corpus is None else corpus, corpus_file, "Word2Vec")
        try:
            self.config = config or Word2VecConfig(**config_arguments(kwargs))
        except TypeError as e:
            raise ConfigError(f"Word2Vec: {e}") from None
        self.callbacks = tuple(callbacks)
        self.compute_loss = compute_loss
        self.running_training_loss = 0.0
        self.corpus_count = self.corpus_total_words = 0
        self.progress = progress
        self.cache_dir = cache_dir
        self.vocab: Vocabulary | None = None
        self.W_in = np.zeros((0, self.config.vector_size), np.float32)
        self.W_out = np.zeros((0, self.config.vector_size), np.float32)
        self.W_hs = np.zeros((0, self.config.vector_size), np.float32)  # hierarchical softmax (hs=1): syn1
        self.tables: SamplingTables | None = None
        self.tree: HuffmanTree | None = None
        self.state: dict[str, Any] = {"epochs_done": 0, "epochs_total": 0, "words_done": 0}
        self.history: list[dict] = []
        self._ids: np.ndarray | None = None
        self._wv = None
        if corpus is not None:
            self.build_vocab(corpus)
            self.train(callbacks=self.callbacks)

    # ------------------------------------------------------------------ vocabulary
    def build_vocab(self, corpus: CorpusLike | None = None, update: bool = False, *,
                    corpus_iterable: CorpusLike | None = None, corpus_file: str | os.PathLike | None = None,
                    **gensim_options: Any) -> "Word2Vec":
        """Count ``corpus``, keep words with ``min_count`` occurrences, (re)initialise the vectors.

        ``update=True`` adds the corpus's new words (with ``min_count`` occurrences in it) after
        the existing ones, whose rows and ids stay as they are; new rows are initialised like
        fresh ones (``W_in`` uniform, ``W_out`` zero) and existing words' counts grow.
        The corpus's ids are kept for a following ``train()``. ``corpus_iterable`` / ``corpus_file``
        are gensim's spellings of ``corpus`` (``corpus_file``: one sentence per line).
        """
        check_train_arguments(gensim_options, "build_vocab")
        if corpus is not None and corpus_iterable is not None:
            raise ConfigError("build_vocab: pass the corpus once (corpus or corpus_iterable)")
        corpus = pick_corpus(corpus if corpus_iterable is None else corpus_iterable, corpus_file, "build_vocab")
        if corpus is None:
            raise ConfigError("build_vocab needs a corpus (a path, token lists, or corpus_file=)")
        c = self.config
        corpus = as_corpus(corpus)
        if update:
            if self.vocab is None:
                raise ConfigError("build_vocab(update=True) needs a vocabulary: call build_vocab(corpus) first")
            raw_total = self._update_vocab(corpus)
        else:
            if isinstance(corpus, Corpus):
                vocab, ids = build_vocab_and_ids(corpus, min_count=c.min_count, max_size=c.max_vocab_size,
                                                 cache_dir=self.cache_dir, progress=self.progress)
            else:
                vocab, ids = scan_and_encode(corpus_chunks(corpus), min_count=c.min_count, max_size=c.max_vocab_size,
                                             source=corpus_name(corpus))
            self.vocab = vocab
            check_table_memory(len(vocab), c.vector_size)
            rng = np.random.default_rng(c.seed)
            self.W_in = init_input_vectors(len(vocab), c.vector_size, rng)
            self.W_out = np.zeros((len(vocab), c.vector_size), np.float32)
            self.W_hs = np.zeros((0, c.vector_size), np.float32)  # grown to the vocabulary by rebuild_tables
            self._ids = ids
            self.state = {"epochs_done": 0, "epochs_total": 0, "words_done": 0}
            self.history = []
            raw_total = vocab.total_words
        self.rebuild_tables()
        self.corpus_count, self.corpus_total_words = self._corpus_size(corpus, raw_total)
        self._wv = None
        log.info("vocabulary: %d words (min_count=%d), %d training tokens", len(self.vocab), c.min_count,
                 len(self._ids))
        return self

    def rebuild_tables(self) -> None:
        """Recompute the subsampling and noise tables from the vocabulary's counts and the config; with
        ``hs`` also the Huffman tree, and ``W_hs`` grows (zero rows) to one row per word."""
        self.tables = SamplingTables.build(self.vocab.counts, self.config, self.eos_id)
        self.tree = build_tree(self.vocab.counts) if self.config.hs else None
        missing = len(self.vocab) - len(self.W_hs)
        if self.config.hs and missing > 0:  # a fresh vocabulary, new words (update=True), or hs switched on
            self.W_hs = np.concatenate([self.W_hs, np.zeros((missing, self.config.vector_size), np.float32)])

    def _corpus_size(self, corpus: Corpus | list[list[str]], raw_total: int) -> tuple[int, int]:
        """(sentences, raw tokens) of the corpus just read: gensim's ``corpus_count`` and ``corpus_total_words``.

        ``raw_total``: the corpus's tokens as scanned (``<eos>`` marks included, pruned words too).
        """
        if isinstance(corpus, list):
            return len(corpus), sum(len(s) for s in corpus)
        eos = self.eos_id
        n_eos = int(np.count_nonzero(self._ids == eos)) if eos >= 0 else 0
        if n_eos:  # lines are sentences; the id array keeps every <eos>
            return n_eos, raw_total - n_eos
        return -(-len(self._ids) // self.config.batch_words), raw_total  # a token stream: jobs are the sentences

    def _update_vocab(self, corpus: Corpus | list[list[str]]) -> int:
        """``build_vocab(update=True)``: grow the vocabulary and the tables; returns the corpus's raw token count."""
        old = self.vocab
        seen, raw_ids = scan_and_encode(corpus_chunks(corpus), min_count=1, source=corpus_name(corpus))
        kept = [(w, int(n)) for w, n in zip(seen.itos, seen.counts) if w in old.stoi or n >= self.config.min_count]
        self.vocab = old.extend([w for w, _ in kept], [n for _, n in kept],
                                total_words=old.total_words + seen.total_words)
        new_words = self.vocab.itos[len(old):]
        remap = np.fromiter((self.vocab.stoi.get(w, -1) for w in seen.itos), dtype=np.int32, count=len(seen))
        ids = remap[raw_ids]
        self._ids = np.ascontiguousarray(ids[ids >= 0], dtype=np.int32)
        if new_words:
            rng = np.random.default_rng([self.config.seed, len(old)])
            self.W_in = np.concatenate([self.W_in, init_input_vectors(len(new_words), self.config.vector_size, rng)])
            self.W_out = np.concatenate([self.W_out, np.zeros((len(new_words), self.config.vector_size), np.float32)])
        self.state = {"epochs_done": 0, "epochs_total": 0, "words_done": 0}
        log.info("vocabulary update: %d new words, %d in all", len(new_words), len(self.vocab))
        return seen.total_words

    def _encode(self, corpus: CorpusLike) -> np.ndarray:
        corpus = as_corpus(corpus)
        if isinstance(corpus, Corpus):
            return encode_corpus(corpus, self.vocab, unknown="drop", cache_dir=self.cache_dir, progress=self.progress)
        parts = [self.vocab.encode(tokens, unknown="drop") for tokens in corpus_chunks(corpus)]
        return np.concatenate(parts) if parts else np.zeros(0, np.int32)

    # ------------------------------------------------------------------ training
    def train(self, corpus: CorpusLike | None = None, *, epochs: int | None = None, resume: bool = False,
              checkpoint: str | os.PathLike | None = None, progress: bool | None = None,
              on_epoch: Callable[[dict], None] | None = None, callbacks: Sequence[Any] = (),
              corpus_iterable: CorpusLike | None = None, corpus_file: str | os.PathLike | None = None,
              total_examples: int | None = None, total_words: int | None = None,
              start_alpha: float | None = None, end_alpha: float | None = None,
              compute_loss: bool | None = None, **gensim_options: Any) -> dict:
        """Train for ``epochs`` (default ``config.epochs``) on ``corpus`` (default: the one given to ``build_vocab``).

        α decays linearly from ``alpha`` to ``min_alpha`` over all epochs, by words processed.
        ``resume=True`` continues an interrupted run (a model loaded from a checkpoint) at its
        next epoch, on the same α schedule. ``checkpoint``: save the model there after every
        epoch (atomically). ``on_epoch(stats)`` after every epoch; ``callbacks``: gensim-style
        objects (``on_train_begin``, ``on_epoch_begin``, ``on_epoch_end``, ``on_train_end``).
        gensim's keywords are accepted (:mod:`.gensim_compat`): ``corpus_iterable`` / ``corpus_file``
        name the corpus, ``epochs`` / ``start_alpha`` / ``end_alpha`` set the config as gensim sets
        its attributes, ``total_examples`` / ``total_words`` are not needed (wordlab counts).
        Returns a summary: words, effective words, seconds, words/s, loss.
        """
        check_train_arguments(gensim_options, "train")
        if self.vocab is None:
            raise ConfigError("train() needs a vocabulary: call build_vocab(corpus) first")
        if corpus is not None and corpus_iterable is not None:
            raise ConfigError("train: pass the corpus once (corpus or corpus_iterable)")
        corpus = pick_corpus(corpus if corpus_iterable is None else corpus_iterable, corpus_file, "train")
        for name, value in (("total_examples", total_examples), ("total_words", total_words)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
                raise ConfigError(f"train: {name} must be a count >= 0, got {value!r}")
        changes = {k: v for k, v in (("alpha", start_alpha), ("min_alpha", end_alpha)) if v}
        if epochs is not None and not resume:
            changes["epochs"] = int(epochs)
        if changes:
            self.config = self.config.replace(**changes)
        if compute_loss is not None:
            self.compute_loss = bool(compute_loss)
        if corpus is not None:
            self._ids = self._encode(corpus)
        if self._ids is None:
            raise ConfigError("train() needs a corpus: this model was loaded without one; pass corpus=")
        ids = self._ids
        if len(ids) == 0:
            raise DataError("the corpus holds no word of the vocabulary: nothing to train on")
        c = self.config
        if resume and 0 < self.state["epochs_done"] < self.state["epochs_total"]:
            first, total_epochs = self.state["epochs_done"], self.state["epochs_total"]
        else:
            first, total_epochs = 0, int(epochs or c.epochs)
            self.state = {"epochs_done": 0, "epochs_total": total_epochs, "words_done": 0}
        if epochs is not None and resume and int(epochs) != total_epochs:
            raise ConfigError(f"resume: the checkpoint's run has {total_epochs} epochs, not {epochs}")
        run_words = len(ids) * total_epochs
        show = self.progress if progress is None else progress
        several = parallel.group() is not None  # torchrun: shards + model averaging (.parallel)
        if several:
            parallel.start(self, ids)
            show = show if parallel.is_main() else False
        workers = c.workers or (parallel.default_workers() if several else num_threads())
        try:
            summary = self._train_epochs(first, total_epochs, ids, run_words, workers, show, callbacks, checkpoint,
                                         on_epoch)
        except BaseException:
            if several:
                parallel.finish(self, wait=False)
            raise
        if several:
            parallel.finish(self)  # private copies of tables that were shared with this machine's processes
        return summary

    def _train_epochs(self, first, total_epochs, ids, run_words, workers, show, callbacks, checkpoint,
                      on_epoch) -> dict:
        summary = {"words": 0, "effective_words": 0, "seconds": 0.0, "loss": float("nan")}
        self.running_training_loss = 0.0
        fire(callbacks, "on_train_begin", self)
        with progress_bar(run_words, desc="word2vec", unit="w", enabled=show, unit_scale=True,
                          initial=first * len(ids), leave=bool(show)) as bar:
            for epoch in range(first, total_epochs):
                fire(callbacks, "on_epoch_begin", self)
                stats = self._train_epoch(ids, epoch, total_epochs, run_words, workers, bar)
                self._check_finite(stats)
                self.history.append(stats)
                self.state["epochs_done"] = epoch + 1
                self.state["words_done"] = (epoch + 1) * len(ids)
                for key in ("words", "effective_words", "seconds"):
                    summary[key] += stats[key]
                summary["loss"] = stats["loss"]
                self.running_training_loss += stats["loss_sum"]
                self._wv = None  # the vectors moved: queries from callbacks see this epoch's
                if checkpoint is not None and parallel.is_main():
                    self.save(checkpoint)
                if on_epoch is not None:
                    on_epoch(stats)
                fire(callbacks, "on_epoch_end", self)
        fire(callbacks, "on_train_end", self)
        summary["words_per_second"] = summary["words"] / summary["seconds"] if summary["seconds"] else 0.0
        summary["effective_words_per_second"] = (summary["effective_words"] / summary["seconds"]
                                                 if summary["seconds"] else 0.0)
        self._wv = None
        return summary

    def _check_finite(self, stats: dict) -> None:
        """Stop with one line when an epoch left a non-finite loss or weight (a learning rate far too high)."""
        if math.isfinite(stats["loss_sum"]) and np.isfinite(self.W_in.sum()) and np.isfinite(self.W_out.sum()):
            return
        raise ConfigError(f"training diverged in epoch {stats['epoch']}: the loss or the vectors became "
                          f"non-finite (nan/inf); the learning rate (--lr {self.config.alpha:g}) is probably too "
                          f"high" + ("" if self.config.alpha > 1 else ", or the corpus holds extreme repetition"))

    #: show words/s in the progress bar's postfix (fastText does)
    _progress_rate = False
    #: threads train distant parts of the text at once (``train_epoch_fast(spread=True)``; fastText does)
    _spread_jobs = False

    def _epoch_job(self, total_words: int):
        """The per-chunk kernel call for :func:`train_epoch_fast` (``job(chunk, words_before, seed)``);
        ``None`` runs word2vec's own. :class:`~wordlab.fasttext.FastText` returns its n-gram kernel."""
        if not self.config.hs:
            return None
        return hs_job(self.W_in, self.W_out, self.W_hs, self.tree, self.tables, self.config, total_words)

    def _train_epoch(self, ids: np.ndarray, epoch: int, total_epochs: int, total_words: int, workers: int,
                     bar) -> dict:
        c = self.config
        words_before = epoch * len(ids)
        acc = {"words": 0, "loss": 0.0, "pairs": 0, "shown": 0.0}
        t0 = time.perf_counter()
        job = self._epoch_job(total_words)

        def on_progress(words: int, eff: int, loss: float, pairs: int) -> None:
            acc["words"] += words
            acc["loss"] += loss
            acc["pairs"] += pairs
            bar.update(words)
            now = time.perf_counter()
            if now - acc["shown"] > 0.5:
                acc["shown"] = now
                done = (words_before + acc["words"]) / total_words
                rate = f" {acc['words'] / max(now - t0, 1e-9):,.0f} words/s" if self._progress_rate else ""
                bar.set_postfix_str(
                    f"epoch {epoch + 1}/{total_epochs} alpha {c.alpha - (c.alpha - c.min_alpha) * done:.5f} "
                    f"loss {acc['loss'] / max(acc['pairs'], 1):.4f}{rate}", refresh=False)

        kwargs = dict(epoch=epoch, words_before=words_before, total_words=total_words, on_progress=on_progress)
        fast = job is not None or c.trainer == "fast"
        sync = None
        if parallel.group() is not None:  # this process's shard, merged every sync_words words
            eff, loss, pairs, sync = parallel.train_epoch_merged(self, ids, workers=workers, **kwargs)
        elif fast:
            eff, loss, pairs = train_epoch_fast(self.W_in, self.W_out, ids, self.tables, c, workers=workers, job=job,
                                                spread=self._spread_jobs, **kwargs)
        else:
            from .torch_trainer import train_epoch_torch

            eff, loss, pairs = train_epoch_torch(self.W_in, self.W_out, ids, self.tables, c, workers=workers, **kwargs)
        measured_every = LOSS_EVERY if fast else 1  # the fast kernel measures every 16th centre word
        seconds = time.perf_counter() - t0
        stats = {"epoch": epoch + 1, "words": len(ids), "effective_words": int(eff), "seconds": seconds,
                 "words_per_second": len(ids) / seconds if seconds else 0.0,
                 "loss": loss / pairs if pairs else float("nan"), "loss_sum": float(loss) * measured_every}
        if sync is not None:
            stats.update(sync)
        log.info("epoch %d/%d: %d words (%d effective) in %.1fs, %.0f words/s, loss %.4f", epoch + 1,
                 total_epochs, len(ids), eff, seconds, stats["words_per_second"], stats["loss"])
        return stats

    # ------------------------------------------------------------------ vectors
    @property
    def eos_id(self) -> int:
        """Id of ``<eos>`` (a corpus read with ``eos=True``): a sentence boundary, not a word; -1 if none."""
        return -1 if self.vocab is None else self.vocab.stoi.get(EOS, -1)

    @property
    def wv(self):
        """The trained word vectors (``W_in``) as :class:`wordlab.vectors.KeyedVectors` (``<eos>`` left out)."""
        if self.vocab is None:
            raise ConfigError("the model has no vocabulary yet: call build_vocab(corpus) first")
        if self._wv is None:
            from ..vectors import KeyedVectors

            keys, vectors, counts = list(self.vocab.itos), self.W_in, self.vocab.counts
            if self.eos_id >= 0:
                del keys[self.eos_id]
                vectors, counts = np.delete(vectors, self.eos_id, 0), np.delete(counts, self.eos_id)
            self._wv = KeyedVectors(keys, vectors, counts=counts)
        return self._wv

    # ------------------------------------------------------------------ files
    FILE_FORMAT, FILE_KIND = FORMAT, "word2vec model"

    def save(self, path: str | os.PathLike) -> None:
        """Write the whole model (weights, vocabulary, config, training state) as one ``.npz``, atomically."""
        if self.vocab is None:
            raise ConfigError("nothing to save: the model has no vocabulary yet")
        meta = {"format": self.FILE_FORMAT, "config": self.config.to_dict(), "words": self.vocab.itos,
                "specials": list(self.vocab.specials), "total_words": self.vocab.total_words,
                "state": self.state, "history": self.history,
                "corpus": {"count": int(self.corpus_count), "total_words": int(self.corpus_total_words)},
                "provenance": provenance_record(config=self.config)}
        tables = {"W_hs": self.W_hs} if self.config.hs else {}
        write_model_file(path, {"W_in": self.W_in, "W_out": self.W_out, "counts": self.vocab.counts, **tables}, meta)

    @classmethod
    def _from_arrays(cls, config, vocab: Vocabulary, W_in: np.ndarray, W_out: np.ndarray, progress: bool | None,
                     meta: dict | None = None, W_hs: np.ndarray | None = None):
        """A model of ``config`` holding ``vocab`` and the tables (sampling tables and Huffman tree rebuilt);
        ``meta``'s training state and history when given (a saved model's)."""
        model = cls(config=config, progress=progress)
        model.vocab = vocab
        model.W_in = np.ascontiguousarray(W_in, np.float32)
        model.W_out = np.ascontiguousarray(W_out, np.float32)
        if W_hs is not None:
            model.W_hs = np.ascontiguousarray(W_hs, np.float32)
        model.rebuild_tables()
        if meta is not None:
            model.state = dict(meta.get("state") or model.state)
            model.history = list(meta.get("history") or [])
        return model

    @classmethod
    def _checked_config(cls, path: Path, meta: dict, arrays: dict[str, np.ndarray]):
        """The file's config, after checking its metadata and every array's type and shape against it."""
        return check_model_file(path, meta, arrays["W_in"], arrays["W_out"], arrays["counts"])

    @classmethod
    def load(cls, path: str | os.PathLike, progress: bool | None = None) -> "Word2Vec":
        """Read what :meth:`save` wrote (no pickle). Raises :class:`CheckpointError` for other files."""
        path = Path(path)
        meta, z = read_model_file(path, cls.FILE_FORMAT, cls.FILE_KIND)
        config = cls._checked_config(path, meta, z)
        words = meta["words"]
        check_hs_table(path, config, z.get("W_hs"), len(words))
        vocab = Vocabulary(words, z["counts"], specials=meta.get("specials", ()), total_words=meta["total_words"])
        model = cls._from_arrays(config, vocab, z["W_in"], z["W_out"], progress, meta, W_hs=z.get("W_hs"))
        corpus = meta.get("corpus") or {}
        model.corpus_count, model.corpus_total_words = int(corpus.get("count", 0)), int(corpus.get("total_words", 0))
        return model

    def set_corpus(self, corpus: CorpusLike) -> None:
        """Encode ``corpus`` with the model's vocabulary for the next ``train()`` (e.g. after ``load``)."""
        self._ids = self._encode(corpus)

    def __repr__(self) -> str:
        n = len(self.vocab) if self.vocab is not None else 0
        return (f"Word2Vec({'skip-gram' if self.config.sg else 'CBOW'}, {n} words, "
                f"dim={self.config.vector_size}, trainer={self.config.trainer})")
