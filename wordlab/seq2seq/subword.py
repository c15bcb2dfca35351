"""BPE tokens for translation (``seq2seq train --tokenizer bpe``): one byte-level BPE model for both sides.

The subword tokenizer is :class:`wordlab.text.bpe.BPETokenizer` (the language model's, Hugging Face
``tokenizers``); this module only adds what translation needs around it:

* **One model, trained on both sides of the training pairs** (never on the held-out ones). This is
  Sennrich, Haddow & Birch 2016 (arXiv 1508.07909, §3.2, "joint BPE"): learning the merges on the
  union of the two languages segments a name, a number or a cognate (``Tom``, ``2017``,
  ``restaurant``) the same way on both sides, so the model can copy it piece by piece; and it is
  what Vaswani et al. 2017 (§5.1) did, because one vocabulary lets the Transformer use **one
  embedding matrix** for encoder input, decoder input and output layer (§3.4;
  :func:`~wordlab.seq2seq.arch.share_when_possible` turns ``share_embeddings`` on by itself). One
  merge table is also one thing to store and validate. The price — the target softmax has rows for
  pieces only the source language uses — is a few hundred thousand parameters at 8,000 pieces.
  Separate per-side models would save that and nothing else.
* **The vocabulary** (:func:`pair_vocabulary`): ``<pad> <unk> <bos> <eos>`` at ids 0–3 as every
  translator has, then the tokenizer's pieces after its own ``<unk>`` / ``<eos>`` in id order (piece
  ``i ≥ 2`` of the tokenizer is id ``i + 2``); source and target vocabularies are this same list.
* **Words in, words out.** Pair files are still read into whitespace words (after the tutorial's
  normalisation and length filter, which count *words*, so a BPE model and a word model see the
  same pairs); each side is encoded as one line (``" " + words``, as the LM encodes a line), and
  output pieces are decoded back to text (no ``Ġ`` / ``▁``) and split on whitespace. Exact match and
  BLEU compare those words with the reference's words: the same figures as for a word model.
* **In the checkpoint** as the tokenizer's JSON (``extra["tokenizer"]``, like an ``lm`` checkpoint),
  checked when read (:func:`checkpoint_pair_tokenizer`): a damaged or foreign tokenizer, or one
  whose pieces are not the model's vocabulary, is a one-line :class:`CheckpointError`.
"""

from __future__ import annotations

from typing import Sequence

from ..errors import CheckpointError, DataError
from ..text import SPECIALS, Vocabulary
from ..text.bpe import EOS_ID, UNK_ID, BPETokenizer

Words = Sequence[str]


def train_pair_tokenizer(pairs: Sequence[tuple[Words, Words]], vocab_size: int = 8000) -> BPETokenizer:
    """One byte-level BPE model learnt from both sides of ``pairs`` (word lists), ``vocab_size`` tokens at most."""
    lines = [" ".join(s) for s, _ in pairs] + [" ".join(t) for _, t in pairs]
    return BPETokenizer.train(lines, vocab_size=vocab_size)


def pair_vocabulary(bpe: BPETokenizer) -> Vocabulary:
    """The translator's vocabulary of ``bpe``: the four specials, then its pieces after ``<unk>`` / ``<eos>``."""
    pieces = [bpe.tokenizer.id_to_token(i) for i in range(2, len(bpe))]
    return Vocabulary(list(SPECIALS) + pieces, specials=SPECIALS)


def encode_words(bpe: BPETokenizer, sentences: Sequence[Words]) -> list[list[str]]:
    """Word lists → piece lists (each sentence encoded as one line; an empty sentence stays empty)."""
    encs = bpe.tokenizer.encode_batch([" " + " ".join(w) for w in sentences], add_special_tokens=False)
    name = bpe.tokenizer.id_to_token  # by id: an encoding spells <unk> with the space it absorbed (" <unk>")
    return [[name(i) for i in e.ids] if len(w) else [] for w, e in zip(sentences, encs)]


def decode_pieces(bpe: BPETokenizer, pieces: Sequence[str]) -> str:
    """Pieces → text: bytes back to UTF-8, ``<unk>`` kept as a word, the line's leading space dropped;
    ``<pad>`` / ``<bos>`` / ``<eos>`` (never produced by a search) are left out."""
    ids = []
    for p in pieces:
        i = bpe.tokenizer.token_to_id(p)
        if i is not None and i != EOS_ID:
            ids.append(i)
    return bpe.decode(ids).strip()


def piece_labels(bpe: BPETokenizer, pieces: Sequence[str]) -> list[str]:
    """Readable labels of pieces (attention pictures): the piece's text, with ``##`` in front of a piece that
    continues a word (BERT's WordPiece convention). A piece that is only the space before a word shows as
    ``␣`` (as the heat-map shows spaces); a piece that is part of one multi-byte character, which has no
    text of its own, shows as its byte-level symbols; specials as themselves."""
    out, after_space = [], True
    for p in pieces:
        i = bpe.tokenizer.token_to_id(p)
        if p in SPECIALS or i is None or i == UNK_ID:
            out.append(p)
            after_space = True
            continue
        text = bpe.tokenizer.decode([i], skip_special_tokens=False)
        if not text.strip():
            out.append("␣" * max(len(text), 1))
            after_space = True
        elif "\ufffd" in text:
            out.append(p)
            after_space = False
        elif text.startswith(" ") or after_space:
            out.append(text.lstrip(" "))
            after_space = False
        else:
            out.append("##" + text)
    return out


def checkpoint_pair_tokenizer(payload: dict, tokenizer_kind: str, src_vocab: Vocabulary, tgt_vocab: Vocabulary,
                              source: str = "checkpoint") -> BPETokenizer | None:
    """The BPE model a ``seq2seq`` checkpoint stores, validated; ``None`` for character and word models.

    A ``bpe`` model without a stored tokenizer, a tokenizer that does not parse or was not written
    by wordlab, or one whose pieces are not the model's vocabulary: one-line :class:`CheckpointError`.
    """
    if tokenizer_kind != "bpe":
        return None
    extra = payload.get("extra") or {}
    stored = extra.get("tokenizer") if isinstance(extra, dict) else None
    if stored is None:
        raise CheckpointError(f"{source}: a --tokenizer bpe translator without its tokenizer; the file is "
                              f"damaged or was not written by wordlab")
    try:
        bpe = BPETokenizer.from_json(stored, source=source)
    except DataError as e:
        raise CheckpointError(str(e)) from None
    expect = pair_vocabulary(bpe).itos
    if src_vocab.itos != expect or tgt_vocab.itos != expect:
        raise CheckpointError(f"{source}: the stored tokenizer's {len(bpe)} tokens do not match the model's "
                              f"vocabularies ({len(src_vocab)} source, {len(tgt_vocab)} target); "
                              f"the file mixes two models")
    return bpe


__all__ = ["train_pair_tokenizer", "pair_vocabulary", "encode_words", "decode_pieces", "piece_labels",
           "checkpoint_pair_tokenizer"]
