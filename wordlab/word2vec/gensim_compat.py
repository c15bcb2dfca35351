"""gensim's ``Word2Vec`` surface on wordlab's :class:`~wordlab.word2vec.Word2Vec`: a script runs by changing the import.

    from wordlab.word2vec import Word2Vec, CallbackAny2Vec     # was: from gensim.models import Word2Vec
    from wordlab.vectors import KeyedVectors                     #      from gensim.models import KeyedVectors

What maps how (gensim 4 names and signatures, ``gensim/models/word2vec.py``):

- ``Word2Vec(sentences=…, corpus_file=…, vector_size=…, …, callbacks=[…], compute_loss=True)``: the
  hyper-parameters are :class:`Word2VecConfig` fields; ``sentences`` is a (restartable) iterable of
  token lists, ``corpus_file`` a ``LineSentence`` file (one sentence per line, tokens split on
  whitespace, windows never cross a line end). ``max_final_vocab`` is ``max_vocab_size`` (wordlab
  caps the final vocabulary in both cases). Options for features wordlab does not have are accepted
  at their gensim defaults only (``cbow_mean=1``, ``null_word=0``, ``sorted_vocab=1``,
  ``shrink_windows=True``, ``trim_rule=None``) and refused otherwise with a :class:`ConfigError`;
  ``hashfxn`` and ``comment`` are ignored (wordlab seeds from ``seed`` alone).
- ``build_vocab(corpus_iterable | corpus_file, update=…)`` and ``train(corpus_iterable | corpus_file,
  total_examples=…, total_words=…, epochs=…, start_alpha=…, end_alpha=…, compute_loss=…,
  callbacks=…)``. wordlab counts the words itself, so ``total_examples`` / ``total_words`` are
  accepted and not needed; ``epochs``, ``start_alpha`` and ``end_alpha`` set ``model.epochs`` /
  ``.alpha`` / ``.min_alpha`` as in gensim. ``train`` returns wordlab's summary dict, not gensim's
  ``(trained words, raw words)`` tuple (the same two numbers are its ``effective_words`` and ``words``).
- Callbacks get gensim's hooks with the model as argument: ``on_train_begin``, ``on_epoch_begin``,
  ``on_epoch_end``, ``on_train_end`` (:class:`CallbackAny2Vec` is the no-op base class; gensim's own
  callback objects work as they are).
- ``get_latest_training_loss()``: the summed loss since the start of the current ``train()`` call,
  as gensim's ``running_training_loss`` (``-log σ(h·o⁺) - Σ log σ(-h·o⁻)`` per trained pair; the fast
  trainer measures it on every 16th centre word and scales it up). wordlab always measures it;
  ``compute_loss`` is kept as an attribute.
- Attributes ``epochs``, ``window``, ``vector_size``, ``min_count``, ``sg``, ``negative``, ``alpha``,
  … read the config; assigning one replaces the config (checked again). ``corpus_count`` (sentences
  in the last ``build_vocab`` corpus) and ``corpus_total_words`` (its raw tokens), ``syn1neg``
  (``W_out``) are there too.
- ``save`` / ``load`` write and read wordlab's ``.npz`` + JSON model under any file name (no pickle);
  ``model.wv.save`` / ``KeyedVectors.load`` likewise (see :meth:`KeyedVectors.save`).
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError

#: gensim arguments for features wordlab does not implement: the only value accepted for each
UNSUPPORTED_AT = {"cbow_mean": 1, "null_word": 0, "sorted_vocab": 1, "shrink_windows": True,
                  "trim_rule": None}
#: gensim arguments accepted and ignored
IGNORED = ("hashfxn", "comment")
#: gensim arguments of ``train`` / ``build_vocab`` that only tune gensim's own job queue or logging
IGNORED_TRAIN = ("word_count", "queue_factor", "report_delay", "progress_per", "keep_raw_vocab")


def config_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """gensim constructor keywords → :class:`Word2VecConfig` keywords (refuses features wordlab lacks)."""
    out = dict(kwargs)
    for name, only in UNSUPPORTED_AT.items():
        if name in out:
            value = out.pop(name)
            if value != only and not (only is None and value is None):
                raise ConfigError(f"Word2Vec: {name}={value!r} is not supported by wordlab "
                                  f"(only {name}={only!r}: mean of the context, sorted vocabulary, shrinking windows)")
    for name in IGNORED:
        out.pop(name, None)
    if "max_final_vocab" in out:
        cap = out.pop("max_final_vocab")
        if cap is not None:
            if out.get("max_vocab_size") not in (None, cap):
                raise ConfigError("Word2Vec: pass max_vocab_size or max_final_vocab, not both (wordlab caps the "
                                  "final vocabulary for either)")
            out["max_vocab_size"] = cap
    return out


def check_train_arguments(kwargs: dict[str, Any], where: str) -> None:
    """Accept gensim's queue/logging knobs; refuse any other unknown keyword with its name."""
    for name in kwargs:
        if name == "trim_rule":
            if kwargs[name] is not None:
                raise ConfigError(f"{where}: trim_rule is not supported by wordlab; filter the corpus or use min_count")
        elif name not in IGNORED_TRAIN:
            raise ConfigError(f"{where}() got an unexpected keyword argument {name!r}")


def pick_corpus(corpus: Any, corpus_file: str | os.PathLike | None, where: str) -> Any:
    """The one corpus of ``corpus`` (an iterable or path) and ``corpus_file`` (a LineSentence file), or None."""
    if corpus is not None and corpus_file is not None:
        raise ConfigError(f"{where}: pass either sentences/corpus_iterable or corpus_file, not both")
    if corpus_file is not None:
        if not isinstance(corpus_file, (str, os.PathLike)):
            raise ConfigError(f"{where}: corpus_file must be a path, got {type(corpus_file).__name__}")
        from ..text import read_corpus

        return read_corpus(corpus_file, eos=True)  # LineSentence: one sentence per line
    return corpus


class CallbackAny2Vec:
    """Base class of training callbacks, gensim's hooks: each gets the model; override the ones you need."""

    def on_epoch_begin(self, model) -> None:
        """Called at the start of every epoch."""

    def on_epoch_end(self, model) -> None:
        """Called at the end of every epoch (the vectors and the running loss are up to date)."""

    def on_train_begin(self, model) -> None:
        """Called at the start of ``train()``."""

    def on_train_end(self, model) -> None:
        """Called at the end of ``train()``."""


def fire(callbacks, hook: str, model) -> None:
    """Call ``hook`` on every callback that has it (gensim callbacks may define only some)."""
    for cb in callbacks:
        fn = getattr(cb, hook, None)
        if fn is not None:
            fn(model)


def _config_property(name: str, rebuild_tables: bool = False) -> property:
    def get(self):
        return getattr(self.config, name)

    def set_(self, value):
        self.config = self.config.replace(**{name: value})
        if rebuild_tables and self.vocab is not None:
            self.rebuild_tables()

    return property(get, set_, doc=f"``config.{name}`` (gensim's attribute; assigning replaces the config)")


class GensimAttributes:
    """gensim's attribute names on :class:`~wordlab.word2vec.Word2Vec` (a mixin; state lives in the model)."""

    cbow_mean = 1   # CBOW averages the context vectors
    compute_loss = True
    running_training_loss = 0.0
    corpus_count = 0
    corpus_total_words = 0
    callbacks: tuple = ()

    window = _config_property("window")
    min_count = _config_property("min_count")
    sg = _config_property("sg")
    negative = _config_property("negative")
    hs = _config_property("hs", rebuild_tables=True)  # rebuilds the Huffman tree and grows W_hs
    hs = _config_property("hs", rebuild_tables=True)  # rebuilds the Huffman tree and grows W_hs
    ns_exponent = _config_property("ns_exponent", rebuild_tables=True)
    sample = _config_property("sample", rebuild_tables=True)
    epochs = _config_property("epochs")
    alpha = _config_property("alpha")
    min_alpha = _config_property("min_alpha")
    workers = _config_property("workers")
    seed = _config_property("seed")
    batch_words = _config_property("batch_words")
    max_vocab_size = _config_property("max_vocab_size")

    @property
    def vector_size(self) -> int:
        """Dimension of the vectors (fixed once the model exists)."""
        return self.config.vector_size

    layer1_size = vector_size

    @property
    def syn1neg(self):
        """gensim's name for the output (context) vectors, ``W_out``."""
        return self.W_out

    @property
    def syn1(self):
        """gensim's name for the hierarchical-softmax inner-node vectors, ``W_hs`` (``hs=1``)."""
        return self.W_hs

    @property
    def syn1(self):
        """gensim's name for the hierarchical-softmax inner-node vectors, ``W_hs`` (``hs=1``)."""
        return self.W_hs

    def get_latest_training_loss(self) -> float:
        """Summed training loss since the start of the current (or last) ``train()`` call, as gensim's."""
        return float(self.running_training_loss)
