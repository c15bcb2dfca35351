"""Scoring a text with any language model: three figures comparable across tokenizations.

Per-token perplexity depends on what a token is (a word, a BPE piece), so ``lm eval`` reports
three figures from one total negative log-likelihood (nats):

* **per-token perplexity** ``exp(NLL / N)`` over the ``N`` target tokens the model scored;
* **word-level perplexity** ``exp(NLL_text / W)`` with ``W`` = whitespace words + one ``<eos>`` per
  line, so a word-level model with ``<eos>`` gets exactly its per-token figure, and a BPE model
  the figure a word-level model would be compared with;
* **bits per byte** ``NLL_text / (ln 2 · bytes)`` over the UTF-8 bytes of the text, line breaks
  included.

``NLL_text`` is the mean NLL per scored token times the number of tokens in the encoded text
(``N`` is slightly smaller: an RNN batchified into streams does not predict the first token of
each stream; the sliding window does not predict the very first token).

How the text is scored is the model's business (duck-typed, no architecture switch): a model with
a ``text_nll(ids, batch_size=, bptt=)`` method (the Transformer: sliding windows, see
:func:`wordlab.lm.transformer.sliding_nll`) uses it; otherwise the RNN protocol of
:func:`wordlab.evaluation.perplexity.nll` (state carried over the whole text).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from ..text import Vocabulary
from ..text.reader import expand_paths, iter_lines
from ..evaluation.perplexity import hidden_chunks, nll as rnn_nll
from ..limits import check_memory
from .cache import CacheConfig, cache_nll, materialise, tune_cache

Paths = str | os.PathLike | Sequence[str | os.PathLike]


@dataclass(frozen=True)
class TextStats:
    """Size of a text: whitespace words, lines (one ``<eos>`` each) and UTF-8 bytes (line breaks included)."""

    words: int
    lines: int
    bytes: int


def text_stats(paths: Paths) -> TextStats:
    """Count words, lines and bytes of text file(s) the way the LM readers see them (every line ends in ``<eos>``)."""
    words = lines = nbytes = 0
    for f in expand_paths(paths):
        for _, line in iter_lines(f):
            words += len(line.split())
            lines += 1
            nbytes += len(line.encode("utf-8")) + 1
    return TextStats(words, lines, nbytes)


def text_nll(model: nn.Module, ids: np.ndarray | torch.Tensor, batch_size: int = 10, bptt: int = 35,
             limit: int | None = None) -> tuple[float, int]:
    """Summed NLL (nats) and scored-token count of ``ids`` under ``model`` (its own protocol; see module docstring)."""
    own = getattr(model, "text_nll", None)
    if own is not None:
        return own(ids, batch_size=batch_size, bptt=bptt, limit=limit)
    return rnn_nll(model, ids, batch_size=batch_size, bptt=bptt, limit=limit)


def lm_figures(total: float, count: int, tokens: int, stats: TextStats | None) -> dict:
    """The three figures from a summed NLL over ``count`` scored tokens of a ``tokens``-token text."""
    mean = total / count
    out = {"tokens": count, "nll": mean, "perplexity": math.exp(mean)}
    if stats is not None and stats.words + stats.lines > 0:
        text_nll_total = mean * tokens
        out["word_perplexity"] = math.exp(text_nll_total / (stats.words + stats.lines))
        out["bits_per_byte"] = text_nll_total / (math.log(2) * stats.bytes)
        out["words"] = stats.words + stats.lines
        out["bytes"] = stats.bytes
    return out


def encode_text(vocab: Vocabulary, paths: Paths, *, payload: dict | None = None, eos: bool = True):
    """Token ids of text file(s), encoded the way the model was trained (its BPE tokenizer or its words),
    and the tokenizer's name."""
    from .data import encode_corpus_files
    from .subword import checkpoint_tokenizer

    bpe = checkpoint_tokenizer(payload or {}, vocab)
    ids = bpe.encode_files(paths, eos=eos) if bpe is not None else encode_corpus_files(paths, vocab, eos=eos)
    return ids, "bpe" if bpe is not None else "word"


def text_chunks(model: nn.Module, ids: np.ndarray | torch.Tensor, batch_size: int = 10, bptt: int = 35,
                limit: int | None = None):
    """The model's scoring pass (its own protocol, as :func:`text_nll`) as ``(h, y, log p(y))`` chunks."""
    own = getattr(model, "text_chunks", None)
    if own is not None:
        return own(ids, batch_size=batch_size, bptt=bptt, limit=limit)
    return hidden_chunks(model, ids, batch_size=batch_size, bptt=bptt, limit=limit)


def evaluate_text(model: nn.Module, vocab: Vocabulary, paths: Paths, *, payload: dict | None = None,
                  batch_size: int = 10, bptt: int = 35, eos: bool = True, cache: CacheConfig | None = None) -> dict:
    """Score text file(s) with a trained LM: ``tokens``, ``nll``, ``perplexity``, ``word_perplexity``, ``bits_per_byte``.

    The text is encoded the way the model was trained: through the BPE tokenizer stored in
    ``payload`` (the checkpoint) when there is one, else as whitespace words of ``vocab``.
    Word-level perplexity and bits per byte need ``eos`` (sentence-per-line text). ``cache``: score
    with the continuous cache (:mod:`wordlab.lm.cache`); the figures are then the mixture's.
    """
    ids, tokenizer = encode_text(vocab, paths, payload=payload, eos=eos)
    if cache is None:
        total, count = text_nll(model, ids, batch_size=batch_size, bptt=bptt)
    else:
        total, count = cache_nll(text_chunks(model, ids, batch_size=batch_size, bptt=bptt), cache)
    stats = text_stats(paths) if eos else None
    out = lm_figures(total, count, len(ids), stats)
    out["tokenizer"] = tokenizer
    if cache is not None:
        out["cache"] = {"size": cache.size, "theta": cache.theta, "lambda": cache.lam}
    return out


def tune_text_cache(model: nn.Module, vocab: Vocabulary, paths: Paths, *, payload: dict | None = None,
                    batch_size: int = 10, bptt: int = 35, eos: bool = True, size: int = 2000
                    ) -> tuple[CacheConfig, list[dict]]:
    """The continuous cache's ``theta`` and ``lambda`` picked on text file(s) (validation, never the test):
    :func:`wordlab.lm.cache.tune_cache` over one scoring pass held in memory."""
    ids, _ = encode_text(vocab, paths, payload=payload, eos=eos)
    cfg = getattr(model, "config", None)
    d = max(int(getattr(cfg, k, 0) or 0) for k in ("dim", "emb_size", "hidden_size")) or 1024
    check_memory(len(ids) * (d + 3) * 4, f"tuning the cache: the hidden states of {len(ids):,} tokens of "
                 "validation text (use a shorter text)")
    return tune_cache(materialise(text_chunks(model, ids, batch_size=batch_size, bptt=bptt)), size)
