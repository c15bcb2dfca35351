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
from ..evaluation.perplexity import nll as rnn_nll

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


def evaluate_text(model: nn.Module, vocab: Vocabulary, paths: Paths, *, payload: dict | None = None,
                  batch_size: int = 10, bptt: int = 35, eos: bool = True) -> dict:
    """Score text file(s) with a trained LM: ``tokens``, ``nll``, ``perplexity``, ``word_perplexity``, ``bits_per_byte``.

    The text is encoded the way the model was trained: through the BPE tokenizer stored in
    ``payload`` (the checkpoint) when there is one, else as whitespace words of ``vocab``.
    Word-level perplexity and bits per byte need ``eos`` (sentence-per-line text).
    """
    from .data import encode_corpus_files
    from .subword import checkpoint_tokenizer

    bpe = checkpoint_tokenizer(payload or {}, vocab)
    ids = bpe.encode_files(paths, eos=eos) if bpe is not None else encode_corpus_files(paths, vocab, eos=eos)
    total, count = text_nll(model, ids, batch_size=batch_size, bptt=bptt)
    stats = text_stats(paths) if eos else None
    out = lm_figures(total, count, len(ids), stats)
    out["tokenizer"] = "bpe" if bpe is not None else "word"
    return out
