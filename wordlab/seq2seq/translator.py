"""A trained model with its vocabularies: translate text, evaluate on pairs (accuracy, BLEU, by length)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..decoding import Hypothesis, translate_batch
from ..progress import progress_bar
from ..text import Vocabulary
from .data import DataConfig, pad
from ..evaluation.translation import corpus_bleu, exact_match, per_length
from .model import Seq2Seq, load_model, save_model


@dataclass
class Translation:
    """One translated sentence."""

    source: list[str]                 # source tokens as read (before <unk> mapping)
    output: list[str]                 # output tokens (no <bos>/<eos>)
    text: str                         # output joined (characters without spaces at character level)
    score: float                      # log-probability of the output
    attention: np.ndarray | None      # (len(output) [+1 for <eos>], len(source)) or None


class Translator:
    """``Seq2Seq`` + source/target vocabularies + the data options the model was trained with."""

    def __init__(self, model: Seq2Seq, src_vocab: Vocabulary, tgt_vocab: Vocabulary,
                 data: DataConfig = DataConfig()) -> None:
        self.model, self.src_vocab, self.tgt_vocab, self.data = model, src_vocab, tgt_vocab, data

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> "Translator":
        """Read a ``seq2seq`` checkpoint (see :func:`wordlab.seq2seq.model.load_model`)."""
        model, src, tgt, data, _ = load_model(path, device)
        return cls(model, src, tgt, data)

    def save(self, path: str | Path, extra: dict | None = None) -> None:
        """Write a ``seq2seq`` checkpoint."""
        save_model(path, self.model, self.src_vocab, self.tgt_vocab, self.data, extra)

    def search_tokens(self, sources: Sequence[Sequence[str]], beam: int = 1, max_len: int = 50,
                      length_penalty: float = 1.0, batch_size: int = 256,
                      progress: bool | None = False) -> list[Hypothesis]:
        """Decode token lists (in order), batching sentences of similar length."""
        was_training = self.model.training
        self.model.eval()
        ids = [self.src_vocab.encode(list(s), unknown="unk") for s in sources]
        order = np.argsort([len(s) for s in ids], kind="stable")
        out: list[Hypothesis | None] = [None] * len(ids)
        per = max(1, batch_size // max(beam, 1))
        bar = progress_bar(len(ids), desc="decoding", unit="sent", enabled=progress)
        for i in range(0, len(order), per):
            idx = order[i:i + per]
            batch = [ids[j] if len(ids[j]) else np.array([self.src_vocab.unk_id]) for j in idx]
            hyps = translate_batch(self.model, pad(batch), torch.tensor([len(b) for b in batch]), beam=beam,
                                   max_len=max_len, length_penalty=length_penalty)
            for j, h in zip(idx, hyps):
                out[j] = h
            bar.update(len(idx))
        bar.close()
        self.model.train(was_training)
        return out  # type: ignore[return-value]

    def translate(self, sentences: Sequence[str], beam: int = 1, max_len: int = 50,
                  length_penalty: float = 1.0) -> list[Translation]:
        """Translate raw sentences (tokenized and normalised the way the training pairs were)."""
        sources = [self.data.tokenize_source(s) for s in sentences]
        hyps = self.search_tokens(sources, beam, max_len, length_penalty)
        out = []
        for s, h in zip(sources, hyps):
            words = self.tgt_vocab.decode(h.tokens)
            out.append(Translation(s, words, self.data.detokenize(words), h.score, h.attention))
        return out

    def evaluate(self, pairs: Sequence[tuple[list[str], list[str]]], beam: int = 1, max_len: int = 50,
                 length_penalty: float = 1.0, bleu: bool = True, examples: int = 5,
                 progress: bool | None = False) -> dict:
        """Decode the sources of ``pairs`` and score against their targets.

        Returns ``{"n", "accuracy", "bleu" (0–1, when ``bleu``), "per_length", "examples"}``; references
        are the target tokens as read, so a word missing from the vocabulary can never be matched.
        """
        sources = [p[0] for p in pairs]
        refs = [list(p[1]) for p in pairs]
        hyps = self.search_tokens(sources, beam, max_len, length_penalty, progress=progress)
        outs = [self.tgt_vocab.decode(h.tokens) for h in hyps]
        result = {"n": len(pairs), "accuracy": exact_match(outs, refs)}
        if bleu:
            result["bleu"] = corpus_bleu(outs, refs)
        buckets = (10, 20, 30, 40) if self.data.is_char else (3, 5, 7, 10, 20)
        result["per_length"] = per_length(outs, refs, sources, buckets=buckets, bleu=bleu)
        result["examples"] = [
            {"source": self.data.detokenize(sources[i]), "reference": self.data.detokenize(refs[i]),
             "output": self.data.detokenize(outs[i]), "correct": outs[i] == refs[i]}
            for i in range(min(examples, len(pairs)))]
        return result
