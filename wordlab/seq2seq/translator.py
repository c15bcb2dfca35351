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
from ..text.bpe import BPETokenizer
from .data import DataConfig, pad
from ..evaluation.translation import corpus_bleu, exact_match, per_length
from .model import Seq2Seq, load_model, save_model
from .subword import checkpoint_pair_tokenizer, decode_pieces, encode_words, piece_labels


@dataclass
class Translation:
    """One translated sentence."""

    source: list[str]                 # source tokens as read (before <unk> mapping; BPE: its pieces)
    output: list[str]                 # output tokens (no <bos>/<eos>; BPE: byte-level pieces, e.g. "Ġcat")
    text: str                         # output as text (characters joined; BPE pieces decoded, no "Ġ")
    score: float                      # log-probability of the output
    attention: np.ndarray | None      # (len(output) [+1 for <eos>], len(source)) or None


class Translator:
    """``Seq2Seq`` + source/target vocabularies + the data options the model was trained with
    (+ the BPE model of a ``--tokenizer bpe`` translator).

    Text and pairs go in as words (or characters) and come out as words: :meth:`model_tokens` turns
    words into the model's tokens (BPE pieces), :meth:`detokenize` / :meth:`output_words` turn the
    model's output tokens back, so exact match and BLEU are measured on words for every tokenizer.
    """

    def __init__(self, model: Seq2Seq, src_vocab: Vocabulary, tgt_vocab: Vocabulary,
                 data: DataConfig = DataConfig(), tokenizer: BPETokenizer | None = None) -> None:
        self.model, self.src_vocab, self.tgt_vocab, self.data = model, src_vocab, tgt_vocab, data
        self.tokenizer = tokenizer

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu", payload: dict | None = None) -> "Translator":
        """Read a ``seq2seq`` checkpoint (see :func:`wordlab.seq2seq.model.load_model`); a stored BPE model is
        validated against the vocabularies (:func:`wordlab.seq2seq.subword.checkpoint_pair_tokenizer`)."""
        model, src, tgt, data, ck = load_model(path, device, payload=payload)
        bpe = checkpoint_pair_tokenizer(ck, data.tokenizer, src, tgt, source=str(path))
        return cls(model, src, tgt, data, bpe)

    def save(self, path: str | Path, extra: dict | None = None) -> None:
        """Write a ``seq2seq`` checkpoint (with the BPE model, if any, as ``extra["tokenizer"]``)."""
        if self.tokenizer is not None:
            extra = {"tokenizer": self.tokenizer.to_json(), **(extra or {})}
        save_model(path, self.model, self.src_vocab, self.tgt_vocab, self.data, extra)

    # ------------------------------------------------------------------ words ↔ the model's tokens
    def model_tokens(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """Word (or character) lists → the model's token lists (BPE pieces under ``--tokenizer bpe``)."""
        if self.tokenizer is None:
            return [list(s) for s in sentences]
        return encode_words(self.tokenizer, sentences)

    def model_pairs(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[tuple[list[str], list[str]]]:
        """:meth:`model_tokens` of both sides of ``pairs`` (what :func:`encode_pairs` takes)."""
        src = self.model_tokens([p[0] for p in pairs])
        tgt = self.model_tokens([p[1] for p in pairs])
        return list(zip(src, tgt))

    def detokenize(self, tokens: Sequence[str]) -> str:
        """The model's output tokens → text (BPE pieces decoded: no ``Ġ`` / ``▁``)."""
        if self.tokenizer is None:
            return self.data.detokenize(tokens)
        return decode_pieces(self.tokenizer, tokens)

    def output_words(self, tokens: Sequence[str]) -> list[str]:
        """The model's output tokens → the units references are made of (words; characters at character level)."""
        if self.tokenizer is None:
            return list(tokens)
        return self.detokenize(tokens).split()

    def token_labels(self, tokens: Sequence[str]) -> list[str]:
        """Readable labels of the model's tokens (attention pictures; BPE: ``piece_labels``)."""
        if self.tokenizer is None:
            return list(tokens)
        return piece_labels(self.tokenizer, tokens)

    def unknown_tokens(self, sentence: str) -> list[str]:
        """The source tokens of ``sentence`` the model never saw (read as ``<unk>``); none under byte-level BPE."""
        if self.tokenizer is None:
            return [w for w in dict.fromkeys(self.data.tokenize_source(sentence)) if w not in self.src_vocab]
        return [p for p in dict.fromkeys(self.model_tokens([self.data.tokenize_source(sentence)])[0])
                if p not in self.src_vocab]

    def search_tokens(self, sources: Sequence[Sequence[str]], beam: int = 1, max_len: int = 50,
                      length_penalty: float = 1.0, batch_size: int = 256,
                      progress: bool | None = False) -> list[Hypothesis]:
        """Decode the model's token lists (:meth:`model_tokens`), in order, batching sentences of similar length."""
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
        sources = self.model_tokens([self.data.tokenize_source(s) for s in sentences])
        hyps = self.search_tokens(sources, beam, max_len, length_penalty)
        out = []
        for s, h in zip(sources, hyps):
            tokens = self.tgt_vocab.decode(h.tokens)
            out.append(Translation(s, tokens, self.detokenize(tokens), h.score, h.attention))
        return out

    def evaluate(self, pairs: Sequence[tuple[list[str], list[str]]], beam: int = 1, max_len: int = 50,
                 length_penalty: float = 1.0, bleu: bool = True, examples: int = 5,
                 progress: bool | None = False) -> dict:
        """Decode the sources of ``pairs`` (word or character lists, as :func:`read_pairs` gives) and score
        against their targets.

        Returns ``{"n", "accuracy", "bleu" (0–1, when ``bleu``), "per_length", "examples"}``; references
        are the target tokens as read, so a word missing from the vocabulary can never be matched. A BPE
        model's output is decoded and split into words first: its figures compare with a word model's.
        """
        sources = [p[0] for p in pairs]
        refs = [list(p[1]) for p in pairs]
        hyps = self.search_tokens(self.model_tokens(sources), beam, max_len, length_penalty, progress=progress)
        outs = [self.output_words(self.tgt_vocab.decode(h.tokens)) for h in hyps]
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
