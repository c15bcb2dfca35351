"""Byte-pair encoding (Sennrich, Haddow & Birch 2016, arXiv 1508.07909) with Hugging Face ``tokenizers``.

Subword tokens give a language model an open vocabulary with a small softmax: a rare word is
spelled with a few frequent pieces instead of becoming ``<unk>``. The tokenizer is byte-level
(GPT-2, Radford et al. 2019): every UTF-8 byte is in the base alphabet, so any text encodes and
nothing outside the corpus's own ``<unk>`` tokens is unknown.

Conventions (what makes the text round-trip cleanly):

* The text is read line by line, like the word-level LM data: each line is encoded with one
  leading space (so the first word of a line is spelled like any other) and ``<eos>`` is
  appended, so line ``i``'s tokens end with id :data:`EOS_ID`.
* ``<unk>`` (id 0) and ``<eos>`` (id 1) are special tokens: never split or merged. ``<unk>``
  absorbs the space before it (``lstrip``), so `` <unk>`` is a single token; decoding writes it back
  as `` <unk>`` (WikiText and PTB put spaces around every token, so this is exact there).
* :meth:`BPETokenizer.decode` maps the byte-level symbols (``Ġ`` for a space …) back to UTF-8
  text, ``<eos>`` to a line break, and strips the leading space of each line: no ``Ġ`` or ``▁``
  artefacts in generated text. :meth:`BPETokenizer.stream_decode` does the same incrementally,
  yielding each piece of text as soon as its bytes form whole characters.

The tokenizer is stored in a checkpoint as its JSON string (``extra["tokenizer"]``) and validated
when read back (:meth:`BPETokenizer.from_json`).
"""

from __future__ import annotations

import json
import os
from typing import Iterable, Iterator, Sequence

import numpy as np

from ..errors import ConfigError, DataError
from .reader import expand_paths, iter_lines
from .tokenize import EOS, UNK
from .vocab import Vocabulary

UNK_ID, EOS_ID = 0, 1
MIN_VOCAB = 256 + 2  # the byte alphabet and the two specials
KIND = "bpe"


def _require_tokenizers():
    try:
        import tokenizers
    except ImportError:  # pragma: no cover - a dependency in pyproject
        raise ConfigError("BPE needs the 'tokenizers' package: pip install tokenizers") from None
    return tokenizers


class BPETokenizer:
    """A byte-level BPE tokenizer with ``<unk>`` / ``<eos>`` at ids 0 / 1 (see the module docstring)."""

    kind = KIND

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self._check(source="tokenizer")

    # ------------------------------------------------------------------ building and files
    @classmethod
    def train(cls, lines: Iterable[str], vocab_size: int = 8000, min_frequency: int = 2) -> "BPETokenizer":
        """Learn ``vocab_size - 258`` merges from ``lines`` (strings, one per line of text)."""
        if vocab_size < MIN_VOCAB:
            raise ConfigError(f"a byte-level BPE vocabulary needs at least {MIN_VOCAB} entries "
                              f"(256 bytes + <unk> + <eos>), got {vocab_size}")
        tk = _require_tokenizers()
        from tokenizers import AddedToken, decoders, models, pre_tokenizers, trainers

        tok = tk.Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
            special_tokens=[AddedToken(UNK, lstrip=True, special=True), AddedToken(EOS, special=True)],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator((" " + line for line in lines), trainer)
        return cls(tok)

    @classmethod
    def train_files(cls, paths, vocab_size: int = 8000, min_frequency: int = 2) -> "BPETokenizer":
        """:meth:`train` on the lines of text file(s) (plain or compressed, UTF-8)."""
        files = expand_paths(paths)
        return cls.train((line for f in files for _, line in iter_lines(f)), vocab_size, min_frequency)

    def to_json(self) -> str:
        """The tokenizer as the JSON string ``tokenizers`` reads back (what checkpoints store)."""
        return self.tokenizer.to_str()

    @classmethod
    def from_json(cls, text: str, source: str = "tokenizer") -> "BPETokenizer":
        """Rebuild from :meth:`to_json`; a damaged or foreign string is a one-line :class:`DataError`."""
        tk = _require_tokenizers()
        if not isinstance(text, str):
            raise DataError(f"{source}: the stored tokenizer is not a JSON string")
        try:
            json.loads(text)
            tok = tk.Tokenizer.from_str(text)
        except Exception as e:  # json or the Rust parser: any message, one line
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise DataError(f"{source}: the stored tokenizer is not valid tokenizers JSON ({first[:120]})") from None
        out = cls.__new__(cls)
        out.tokenizer = tok
        out._check(source)
        return out

    def _check(self, source: str) -> None:
        tok = self.tokenizer
        added = {i: t.content for i, t in tok.get_added_tokens_decoder().items() if t.special}
        if added.get(UNK_ID) != UNK or added.get(EOS_ID) != EOS or tok.token_to_id(UNK) != UNK_ID:
            raise DataError(f"{source}: tokenizer does not have <unk> and <eos> at ids 0 and 1; "
                            f"it was not written by wordlab")
        if tok.get_vocab_size() < MIN_VOCAB:
            raise DataError(f"{source}: tokenizer has only {tok.get_vocab_size()} tokens; a byte-level BPE "
                            f"needs at least {MIN_VOCAB}")

    def __len__(self) -> int:
        return self.tokenizer.get_vocab_size()

    def __repr__(self) -> str:
        return f"BPETokenizer({len(self)} tokens)"

    def vocab(self) -> Vocabulary:
        """The tokens as a :class:`Vocabulary` in id order (byte-level symbols, e.g. ``Ġthe``)."""
        return Vocabulary([self.tokenizer.id_to_token(i) for i in range(len(self))], specials=(UNK, EOS))

    # ------------------------------------------------------------------ encoding
    def encode_lines(self, lines: Sequence[str], eos: bool = True) -> np.ndarray:
        """Token ids of ``lines``, each followed by ``<eos>`` when ``eos`` (one int64 array)."""
        encs = self.tokenizer.encode_batch([" " + line for line in lines], add_special_tokens=False)
        parts = []
        tail = np.array([EOS_ID], dtype=np.int64)
        for e in encs:
            parts.append(np.asarray(e.ids, dtype=np.int64))
            if eos:
                parts.append(tail)
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def encode_files(self, paths, eos: bool = True, chunk_lines: int = 20000) -> np.ndarray:
        """:meth:`encode_lines` over the lines of text file(s), streamed in chunks."""
        parts, chunk = [], []
        for f in expand_paths(paths):
            for _, line in iter_lines(f):
                chunk.append(line)
                if len(chunk) >= chunk_lines:
                    parts.append(self.encode_lines(chunk, eos))
                    chunk = []
        if chunk:
            parts.append(self.encode_lines(chunk, eos))
        ids = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        if not ids.size:
            raise DataError(f"{', '.join(map(str, paths if isinstance(paths, (list, tuple)) else [paths]))}: "
                            f"holds no text")
        return ids

    def encode_text(self, text: str) -> list[int]:
        """A prompt → ids: its lines joined by ``<eos>`` (no ``<eos>`` after the last one)."""
        lines = text.split("\n")
        ids = self.encode_lines(lines, eos=True)[:-1]
        return [int(i) for i in ids]

    # ------------------------------------------------------------------ decoding
    def _decode_line(self, ids: list[int]) -> str:
        """One line's ids (no ``<eos>``) → its text, leading space dropped."""
        parts, run = [], []
        for i in ids:
            if i == UNK_ID:
                parts.append(self.tokenizer.decode(run, skip_special_tokens=False) if run else "")
                parts.append(" " + UNK)
                run = []
            else:
                run.append(i)
        if run:
            parts.append(self.tokenizer.decode(run, skip_special_tokens=False))
        text = "".join(parts)
        return text[1:] if text.startswith(" ") else text

    def decode(self, ids: Iterable[int]) -> str:
        """Ids → text: ``<eos>`` → line break, ``<unk>`` → `` <unk>``, one leading space per line dropped."""
        return "".join(self.stream_decode(ids))

    def stream_decode(self, ids: Iterable[int]) -> Iterator[str]:
        """Yield text pieces as the ids arrive (for streaming generation); ``"".join`` = :meth:`decode`.

        A byte-level token may end inside a multi-byte character: the current line is decoded
        again as ids arrive, and only text that no later byte can change is yielded (a trailing
        U+FFFD waits for the rest of its character).
        """
        line: list[int] = []
        emitted = 0
        for i in ids:
            i = int(i)
            if i == EOS_ID:
                rest = self._decode_line(line)[emitted:]
                if rest:
                    yield rest
                yield "\n"
                line, emitted = [], 0
                continue
            line.append(i)
            text = self._decode_line(line)
            safe = len(text)
            while safe > emitted and text[safe - 1] == "\ufffd":
                safe -= 1
            if safe > emitted:
                yield text[emitted:safe]
                emitted = safe
        rest = self._decode_line(line)[emitted:] if line else ""
        if rest:
            yield rest


def is_bpe_payload(extra: dict | None) -> bool:
    """Whether a checkpoint's ``extra`` holds a BPE tokenizer."""
    return isinstance(extra, dict) and isinstance(extra.get("tokenizer"), (str, dict))


def tokenizer_from_extra(extra: dict, vocab: Vocabulary | None = None, source: str = "checkpoint") -> BPETokenizer:
    """The BPE tokenizer stored in a checkpoint's ``extra`` (checked against its vocabulary)."""
    stored = extra.get("tokenizer")
    text = stored.get("json") if isinstance(stored, dict) else stored
    bpe = BPETokenizer.from_json(text, source=source)
    if vocab is not None and vocab.itos != bpe.vocab().itos:
        raise DataError(f"{source}: the stored tokenizer's {len(bpe)} tokens do not match the model vocabulary "
                        f"of {len(vocab)}; the file mixes two models")
    return bpe


def load_tokenizer(path: str | os.PathLike) -> BPETokenizer:
    """Read a tokenizer JSON file (as written by ``BPETokenizer.to_json``)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise DataError(f"{path}: cannot read tokenizer ({e.strerror})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 tokenizer JSON file") from None
    return BPETokenizer.from_json(text, source=str(path))
