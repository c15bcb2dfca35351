"""Parallel data: pair files, the PyTorch tutorial's normalisation and filter, vocabularies, splits, batches.

Two file layouts:

* ``tsv``   — ``source<TAB>target`` per line, extra columns ignored (the Tatoeba / manythings.org
  ``eng-fra.txt`` layout, English first). ``swap=True`` reads the second column as the source
  (the PyTorch tutorial translates fra→eng).
* ``dlfs2`` — DLfS-2's ``date.txt`` / ``addition.txt``: fixed width, question and answer split at
  the first ``_`` (``september 27, 1994           _1994-09-27``); character level, padding spaces
  kept, as DLfS-2's ``dataset/sequence.py`` does.

Blank lines are skipped; a line without a separator, with an empty side, or that is not UTF-8
stops reading with a one-line :class:`DataError` naming the file and line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch

from ..batching import length_batches, pad
from ..errors import ConfigError, DataError
from ..text import BOS, EOS, PAD, SPECIALS, Vocabulary
from ..text.reader import iter_lines

FORMATS = ("tsv", "dlfs2")
TOKENIZERS = ("char", "word", "bpe")

# the PyTorch "Translation with a Sequence to Sequence Network and Attention" tutorial's filter
MAX_LENGTH = 10
ENG_PREFIXES = ("i am ", "i m ", "he is", "he s ", "she is", "she s ", "you are", "you re ",
                "we are", "we re ", "they are", "they re ")


@dataclass(frozen=True)
class DataConfig:
    """How a pair file becomes token pairs (stored in checkpoints so ``translate`` reads text the same way).

    ``tutorial=True`` applies the PyTorch tutorial's ``normalizeString`` to both sides and keeps
    only pairs with fewer than ``max_length`` words on each side whose English side (the file's
    first column) starts with one of :data:`ENG_PREFIXES`. ``source_width`` (DLfS-2 files: the
    fixed question width) pads sentences given to ``translate`` the way the training file was padded.

    ``tokenizer``: ``char`` (characters; always for ``dlfs2``), ``word`` (whitespace words) or ``bpe``
    (byte-level BPE subwords, one model of ``vocab_size`` tokens learnt from both sides of the
    training pairs: :mod:`wordlab.seq2seq.subword`). ``char=True`` is the older spelling of
    ``tokenizer="char"`` (``--char``), kept for stored checkpoints and callers; both fields agree
    after construction. Under ``bpe`` a pair file is still read into words (:meth:`tokenize`), so the
    tutorial's filter counts words and BLEU compares words whatever the tokens.
    """

    format: str = field(default="tsv", metadata={
        "help": "tsv (source<TAB>target) or dlfs2 ('_' separator, character level)", "choices": FORMATS})
    tokenizer: str = field(default="word", metadata={
        "help": "tokens: characters, whitespace words, or byte-level BPE subwords learnt from both sides of the "
                "training pairs (one shared model)", "choices": TOKENIZERS})
    vocab_size: int = field(default=8000, metadata={"help": "BPE vocabulary size, both languages together "
                                                            "(with --tokenizer bpe)"})
    char: bool = field(default=False, metadata={"help": "same as --tokenizer char (always for --format dlfs2)"})
    swap: bool = field(default=False, metadata={"help": "translate the second column into the first (tsv)"})
    tutorial: bool = field(default=False, metadata={
        "help": "PyTorch tutorial normalisation + filter (< 10 words, English prefixes 'i am', 'he is', ...)"})
    max_length: int = field(default=MAX_LENGTH, metadata={"cli": False})
    source_width: int = field(default=0, metadata={"cli": False})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        if self.format not in FORMATS:
            raise ConfigError(f"pair format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.max_length < 1:
            raise ConfigError(f"max_length must be >= 1, got {self.max_length}")
        if self.tokenizer not in TOKENIZERS:
            raise ConfigError(f"tokenizer must be one of {', '.join(TOKENIZERS)}, not {self.tokenizer!r}")
        if self.char and self.tokenizer == "bpe":
            raise ConfigError("--char and --tokenizer bpe ask for two kinds of tokens; give one")
        if self.char and self.tokenizer == "word":  # --char: the older spelling of --tokenizer char
            object.__setattr__(self, "tokenizer", "char")
        if self.tokenizer == "char":
            object.__setattr__(self, "char", True)
        if self.tokenizer == "bpe":
            if self.format == "dlfs2":
                raise ConfigError("DLfS-2 pair files (--format dlfs2, no tabs) are character level; "
                                  "--tokenizer bpe needs a tsv pair file")
            if self.vocab_size < 258:
                raise ConfigError(f"a byte-level BPE vocabulary needs >= 258 entries (256 bytes + <unk> + <eos>), "
                                  f"got --vocab-size {self.vocab_size}")

    @property
    def is_char(self) -> bool:
        """Character-level tokens (always for ``dlfs2``)."""
        return self.tokenizer == "char" or self.format == "dlfs2"

    def tokenize(self, text: str) -> list[str]:
        """One side of a pair → tokens: characters, or whitespace-separated words (also under ``bpe``: the
        subword pieces come from the pair tokenizer, see :mod:`wordlab.seq2seq.subword`)."""
        if self.tutorial:
            text = normalize_string(text)
        return list(text) if self.is_char else text.split()

    def tokenize_source(self, text: str) -> list[str]:
        """A source sentence → tokens; at character level padded with spaces to ``source_width``
        (DLfS-2 files are fixed width, so a model trained on them expects the padding)."""
        if self.is_char and self.source_width:
            text = text.ljust(self.source_width)
        return self.tokenize(text)

    def detokenize(self, tokens: Sequence[str]) -> str:
        """Tokens → text (joined without spaces at character level)."""
        return "".join(tokens) if self.is_char else " ".join(tokens)


def unicode_to_ascii(s: str) -> str:
    """Drop combining marks after NFD decomposition (``é`` → ``e``), as the tutorial's ``unicodeToAscii``."""
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


_PUNCT = re.compile(r"([.!?])")
_NON_LETTER = re.compile(r"[^a-zA-Z!?]+")


def normalize_string(s: str) -> str:
    """The tutorial's ``normalizeString``: lower, ASCII, split off ``.!?``, keep only letters and ``!?``."""
    s = unicode_to_ascii(s.lower().strip())
    s = _PUNCT.sub(r" \1", s)
    return _NON_LETTER.sub(" ", s).strip()


def iter_pair_lines(path: str | Path, cfg: DataConfig) -> Iterator[tuple[int, str, str]]:
    """``(line_number, source, target)`` for every non-blank line of a pair file (raw text, not tokenized)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such pair file")
    sep = "_" if cfg.format == "dlfs2" else "\t"
    what = "'_' between question and answer (DLfS-2 layout)" if cfg.format == "dlfs2" \
        else "a tab between source and target"
    for lineno, line in iter_lines(path):  # plain, .gz, .bz2 or .xz
        if not line.strip():
            continue
        idx = line.find(sep)
        if idx < 0:
            raise DataError(f"{path}:{lineno}: no {what}; expected one pair per line")
        if sep == "\t":
            fields = line.split("\t")
            src, tgt = fields[0], fields[1]
            if cfg.swap:
                src, tgt = tgt, src
        else:
            src, tgt = line[:idx], line[idx + 1:]
        if not src.strip() or not tgt.strip():
            side = "source" if not src.strip() else "target"
            raise DataError(f"{path}:{lineno}: empty {side} side; every line needs both sides of the pair")
        yield lineno, src, tgt


def detect_format(path: str | Path, lines: int = 50) -> str | None:
    """The pair format a file's first non-blank lines show: ``"tsv"`` when they hold tabs, ``"dlfs2"`` when
    none does and every one holds the DLfS-2 ``_`` separator, ``None`` when unsure or unreadable."""
    seen = tabs = underscores = 0
    try:
        for _, line in iter_lines(path):
            if not line.strip():
                continue
            seen += 1
            tabs += "\t" in line
            underscores += "_" in line
            if seen >= lines:
                break
    except (OSError, DataError, UnicodeDecodeError):
        return None
    if not seen:
        return None
    if tabs:
        return "tsv"
    return "dlfs2" if underscores == seen else None


def read_pairs(path: str | Path, cfg: DataConfig = DataConfig()) -> list[tuple[list[str], list[str]]]:
    """Token pairs of a pair file, filtered as ``cfg`` says (see :class:`DataConfig`)."""
    from ..provenance import note_data

    note_data(path)  # training data: its hash goes into the provenance of what this process writes
    pairs = []
    for _, src, tgt in iter_pair_lines(path, cfg):
        s, t = cfg.tokenize(src), cfg.tokenize(tgt)
        if cfg.tutorial:
            english = " ".join(t if cfg.swap else s)
            if len(s) >= cfg.max_length or len(t) >= cfg.max_length or not english.startswith(ENG_PREFIXES):
                continue
        if not s or not t:
            continue  # a side that normalisation emptied (e.g. only punctuation)
        pairs.append((s, t))
    if not pairs:
        raise DataError(f"{path}: no sentence pairs" + (" left after the tutorial filter" if cfg.tutorial else ""))
    return pairs


def build_vocabs(pairs: Sequence[tuple[list[str], list[str]]], min_count: int = 1) -> tuple[Vocabulary, Vocabulary]:
    """Source and target vocabularies with the specials ``<pad> <unk> <bos> <eos>`` (ids 0–3)."""
    src = Vocabulary.build((p[0] for p in pairs), min_count=min_count, specials=SPECIALS)
    tgt = Vocabulary.build((p[1] for p in pairs), min_count=min_count, specials=SPECIALS)
    return src, tgt


def encode_pairs(pairs: Sequence[tuple[list[str], list[str]]], src_vocab: Vocabulary,
                 tgt_vocab: Vocabulary) -> list[tuple[np.ndarray, np.ndarray]]:
    """Ids: the source as is, the target wrapped in ``<bos> … <eos>`` (unknown words → ``<unk>``)."""
    bos, eos = tgt_vocab[BOS], tgt_vocab[EOS]
    out = []
    for s, t in pairs:
        tid = tgt_vocab.encode(t, unknown="unk")
        out.append((src_vocab.encode(s, unknown="unk"),
                    np.concatenate([[bos], tid, [eos]]).astype(np.int64)))
    return out


def split_indices(n: int, valid: float = 0.0, test: float = 0.1, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded shuffle of ``range(n)`` cut into train / valid / test (test and valid from the end)."""
    if not (0 <= valid < 1 and 0 <= test < 1 and valid + test < 1):
        raise ConfigError(f"valid ({valid}) and test ({test}) fractions must be in [0, 1) and sum below 1")
    order = np.random.default_rng(seed).permutation(n)
    n_test, n_valid = int(round(n * test)), int(round(n * valid))
    n_train = n - n_test - n_valid
    return {"train": order[:n_train], "valid": order[n_train:n_train + n_valid], "test": order[n_train + n_valid:]}


def dlfs2_split(n: int, seed: int = 1984) -> dict[str, np.ndarray]:
    """DLfS-2's ``dataset/sequence.load_data`` split: ``np.random.seed(1984)``, shuffle, last 10 % is test."""
    indices = np.arange(n)
    np.random.RandomState(seed).shuffle(indices)  # same stream as np.random.seed(seed); np.random.shuffle
    split_at = n - n // 10
    return {"train": indices[:split_at], "valid": indices[:0], "test": indices[split_at:]}


@dataclass
class Batch:
    """Padded tensors of one batch (``<pad>`` = 0)."""

    src: torch.Tensor        # (B, S) source ids
    src_len: torch.Tensor    # (B,) real source lengths (on the CPU)
    tgt_in: torch.Tensor     # (B, T) <bos> y1 … yn   (decoder input, teacher forcing)
    tgt_out: torch.Tensor    # (B, T) y1 … yn <eos>   (what the decoder must predict)
    index: np.ndarray        # (B,) positions of these pairs in the list they came from

    @property
    def tokens(self) -> int:
        """Number of target tokens predicted (``<eos>`` included, padding excluded)."""
        return int((self.tgt_out != 0).sum())


def make_batch(data: Sequence[tuple[np.ndarray, np.ndarray]], index: np.ndarray) -> Batch:
    """Pad the pairs ``data[index]`` into a :class:`Batch`."""
    src = [data[i][0] for i in index]
    tgt = [data[i][1] for i in index]
    return Batch(src=pad(src), src_len=torch.tensor([len(s) for s in src]),
                 tgt_in=pad([t[:-1] for t in tgt]), tgt_out=pad([t[1:] for t in tgt]), index=np.asarray(index))


def batch_indices(lengths: Sequence[int], batch_size: int, seed: int | None = None,
                  pool: int = 50) -> list[np.ndarray]:
    """Length-sorted batches of indices.

    ``seed=None``: sort everything by length (evaluation; least padding). Otherwise
    :func:`wordlab.batching.length_batches` with ``seed`` — little padding, yet different batches every epoch.
    """
    if batch_size < 1:
        raise ConfigError(f"batch size must be >= 1, got {batch_size}")
    lengths = np.asarray(lengths)
    if seed is None:
        order = np.argsort(lengths, kind="stable")
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return length_batches(lengths, batch_size, np.random.default_rng(seed), pool)


__all__ = ["DataConfig", "FORMATS", "TOKENIZERS", "MAX_LENGTH", "ENG_PREFIXES", "normalize_string", "unicode_to_ascii",
           "iter_pair_lines", "read_pairs", "build_vocabs", "encode_pairs", "split_indices", "dlfs2_split",
           "Batch", "pad", "make_batch", "batch_indices", "PAD", "BOS", "EOS"]
