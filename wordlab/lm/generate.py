"""Text generation from a language model: words in, words (or text) out, streamed as they are drawn.

The sampler itself (greedy, temperature, top-k, top-p, bans, repetition penalty, stop tokens) is
:mod:`wordlab.decoding.sampling`, written once for every model that implements the step protocol;
this module adds what needs the vocabulary: prompt words → ids, banned words and ``<unk>`` → ids,
``<eos>`` as the stop token, ids → words, words → text, and stop strings on that text.

``<unk>`` is banned unless ``allow_unk``; ``<pad>``/``<bos>`` always are.
"""

from __future__ import annotations

import copy
import warnings
from typing import Iterable, Iterator, Sequence

import torch
from torch import nn

from ..decoding import SamplingConfig, cut_at_stops, stream
from ..errors import ConfigError
from ..text import BOS, EOS, PAD, UNK, Vocabulary


def banned_ids(vocab: Vocabulary, cfg: SamplingConfig) -> list[int]:
    """Ids never to sample: ``cfg.banned`` words in the vocabulary, ``<pad>``/``<bos>``, and ``<unk>`` unless allowed."""
    words = set(cfg.banned) | {PAD, BOS}
    if not cfg.allow_unk:
        words.add(UNK)
    return sorted(vocab.stoi[w] for w in words if w in vocab.stoi)


def prompt_ids(prompt: str, vocab: Vocabulary) -> list[int]:
    """Whitespace tokens of ``prompt`` → ids (a word not found is tried lower-cased, then ``<unk>``).

    An empty prompt starts from ``<eos>`` (the start of a sentence) when the vocabulary has it.
    """
    ids = []
    for tok in prompt.split():
        i = vocab.stoi.get(tok, vocab.stoi.get(tok.lower(), vocab.unk_id))
        if i is None:
            raise ConfigError(f"prompt word {tok!r} is not in the vocabulary, which has no <unk>")
        ids.append(i)
    if not ids:
        start = vocab.stoi.get(EOS, vocab.unk_id)
        ids = [start if start is not None else 0]
    return ids


def _config(cfg: SamplingConfig | None, options: dict) -> SamplingConfig:
    cfg = cfg or SamplingConfig()
    return SamplingConfig(**{**cfg.__dict__, **options}) if options else cfg


def stream_words(model: nn.Module, vocab: Vocabulary, prompt: str = "", cfg: SamplingConfig | None = None,
                 **options) -> Iterator[str]:
    """The words after ``prompt``, one at a time as they are drawn (``<eos>`` included where sampled).

    A generator; the options and the prompt are checked at the call, before the first word.
    ``options`` override fields of ``cfg`` (see :class:`~wordlab.decoding.SamplingConfig`); stop
    strings are applied by :func:`stream_text` and :func:`generate`, not here.
    """
    cfg = _config(cfg, options)
    unknown = [w for w in cfg.banned if w not in vocab.stoi]
    if unknown:
        raise ConfigError(f"banned word(s) not in the vocabulary: {', '.join(map(repr, unknown[:5]))}")
    eos = vocab.stoi.get(EOS)
    stop_ids = [eos] if cfg.stop_at_eos and eos is not None else []
    ids = stream(model, prompt_ids(prompt, vocab), cfg, banned=banned_ids(vocab, cfg), stop_ids=stop_ids)
    return _words(ids, vocab)


def _words(ids: Iterator[int], vocab: Vocabulary) -> Iterator[str]:
    """Ids → words; closing this generator closes ``ids`` (so the model gets its training flag back)."""
    try:
        for i in ids:
            yield vocab.itos[i]
    finally:
        ids.close()


def text_pieces(tokens: Iterable[str]) -> Iterator[str]:
    """Words → text pieces: a space before each word except at a line start, ``<eos>`` as a line break.

    ``"".join(text_pieces(t))`` is :func:`render` ``(t)``, plus a final line break when ``t`` ends with ``<eos>``.
    """
    line_start = True
    for t in tokens:
        if t == EOS:
            line_start = True
            yield "\n"
        else:
            yield t if line_start else " " + t
            line_start = False


def stream_text(model: nn.Module, vocab: Vocabulary, prompt: str = "", cfg: SamplingConfig | None = None,
                **options) -> Iterator[str]:
    """Generated text piece by piece, ended before the first of ``cfg.stop`` (see :func:`text_pieces`)."""
    cfg = _config(cfg, options)
    return cut_at_stops(text_pieces(stream_words(model, vocab, prompt, cfg)), cfg.stop)


def generate(model: nn.Module, vocab: Vocabulary, prompt: str = "", cfg: SamplingConfig | None = None,
             **options) -> list[str]:
    """Generate words after ``prompt``; ``options`` override fields of ``cfg``.

    Returns the new tokens (``<eos>`` included where sampled); with ``cfg.stop`` generation ends at
    the word that completes a stop string (included). See :func:`render` for text.
    """
    cfg = _config(cfg, options)
    words = stream_words(model, vocab, prompt, cfg)
    if not cfg.stop:
        return list(words)
    out: list[str] = []
    text, longest = "", max(map(len, cfg.stop))
    for piece in text_pieces(_tee(words, out)):
        text = (text + piece)[-(longest - 1 + len(piece)):]  # a new match ends in this piece
        if any(s in text for s in cfg.stop):
            break
    words.close()
    return out


def _tee(words: Iterator[str], out: list[str]) -> Iterator[str]:
    """Pass ``words`` through, appending each to ``out``."""
    for w in words:
        out.append(w)
        yield w


def quantize_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with int8 weights in its LSTM/GRU and Linear layers, for CPU generation.

    Dynamic quantization (``torch.ao.quantization.quantize_dynamic``): weights stored as int8,
    activations quantized on the fly. Generating one word reads every weight once, so at batch 1
    the fp32 model is bound by memory bandwidth; int8 weights are 4× smaller (a 2×650 LSTM with
    10k words: 53 MB → 13 MB, which fits a typical L3 cache). Slightly perturbs the probabilities.
    """
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError:  # pragma: no cover - removed in a future torch
        raise ConfigError("int8 quantization is not available in this torch version; generate without it") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize_dynamic(copy.deepcopy(model).cpu().eval(), {nn.LSTM, nn.GRU, nn.Linear}, dtype=torch.qint8)


def render(tokens: Sequence[str]) -> str:
    """Tokens → text: words joined by spaces, ``<eos>`` as a line break."""
    lines, cur = [], []
    for t in tokens:
        if t == EOS:
            lines.append(" ".join(cur))
            cur = []
        else:
            cur.append(t)
    if cur:
        lines.append(" ".join(cur))
    return "\n".join(lines)
