"""Labelled sentences: the MR layout (``rt-polarity.pos`` / ``.neg``), ``label<TAB>text`` TSV, Kim's cleaning.

MR (Pang & Lee 2005) is one sentence per line, one file per class. The original v1.0
archive is latin-1; some copies are UTF-8. :func:`read_text_lines` reads UTF-8 and falls
back to latin-1 for a file that is not valid UTF-8, and logs which it used.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import DataError
from ..text import get_tokenizer

log = logging.getLogger(__name__)

__all__ = ["LabelledTexts", "clean_str", "make_tokenizer", "read_text_lines", "read_mr", "read_tsv",
           "encode_labels"]


@dataclass
class LabelledTexts:
    """Tokenised sentences with integer labels (``label_names[labels[i]]`` is the name)."""

    texts: list[list[str]]
    labels: np.ndarray
    label_names: list[str]
    sources: list[str] = field(default_factory=list)  # "file:line" of each example, for messages

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx: Sequence[int] | np.ndarray) -> "LabelledTexts":
        """The examples at ``idx`` (same label names)."""
        idx = np.asarray(idx, dtype=np.int64)
        return LabelledTexts([self.texts[i] for i in idx], self.labels[idx], self.label_names,
                             [self.sources[i] for i in idx] if self.sources else [])


_CLEAN = [
    (re.compile(r"[^A-Za-z0-9(),!?'`]"), " "),
    (re.compile(r"'s"), " 's"), (re.compile(r"'ve"), " 've"), (re.compile(r"n't"), " n't"),
    (re.compile(r"'re"), " 're"), (re.compile(r"'d"), " 'd"), (re.compile(r"'ll"), " 'll"),
    (re.compile(r","), " , "), (re.compile(r"!"), " ! "), (re.compile(r"\("), " ( "),
    (re.compile(r"\)"), " ) "), (re.compile(r"\?"), " ? "), (re.compile(r"\s{2,}"), " "),
]


def clean_str(text: str, lower: bool = True) -> str:
    """Kim's ``clean_str`` (``process_data.py`` of github.com/yoonkim/CNN_sentence): keep
    ``[A-Za-z0-9(),!?'`]``, split clitics (``'s``, ``n't``, ...) and ``, ! ( ) ?``, lower-case.

    One deliberate difference: Kim's replacement strings leave a backslash before ``( ) ?``
    (``\\(``); here they are plain ``( ) ?``.
    """
    for pattern, repl in _CLEAN:
        text = pattern.sub(repl, text)
    text = text.strip()
    return text.lower() if lower else text


def make_tokenizer(clean: bool = False, tokenizer: str = "whitespace") -> Callable[[str], list[str]]:
    """``str -> tokens``: Kim's :func:`clean_str` then whitespace split, or one of ``wordlab.text``'s tokenizers."""
    if clean:
        return lambda s: clean_str(s).split()
    return get_tokenizer(tokenizer)


def read_text_lines(path: str | Path) -> list[str]:
    """Lines of ``path`` (newline stripped): UTF-8, or latin-1 when the file is not valid UTF-8."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        from ..provenance import note_data

        note_data(path)  # training data: its hash goes into the provenance of what this process writes
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, expected a text file") from None
    try:
        text, enc = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        text, enc = raw.decode("latin-1"), "latin-1"
        log.info("%s: not valid UTF-8 (byte offset %d), read as latin-1", path, e.start)
    else:
        log.info("%s: read as UTF-8", path)
    text = text.lstrip("\ufeff")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def _tokenised(lines: list[str], path: Path, tok: Callable[[str], list[str]], skip_blank: bool
               ) -> tuple[list[list[str]], list[str]]:
    texts, sources = [], []
    for i, line in enumerate(lines, 1):
        if not line.strip() and skip_blank:
            continue
        tokens = tok(line)
        if not tokens:
            raise DataError(f"{path}:{i}: empty text" + (" after cleaning" if line.strip() else "")
                            + "; remove the line or fix its text")
        texts.append(tokens)
        sources.append(f"{path}:{i}")
    return texts, sources


def read_mr(pos: str | Path, neg: str | Path, *, clean: bool = True, tokenizer: str = "whitespace",
            skip_blank: bool = True) -> LabelledTexts:
    """Pang & Lee's MR layout: one file of positive and one of negative sentences → labels ``neg=0, pos=1``.

    Blank lines are skipped (``skip_blank``); a line that is empty after cleaning is a :class:`DataError`.
    """
    tok = make_tokenizer(clean, tokenizer)
    texts: list[list[str]] = []
    labels: list[int] = []
    sources: list[str] = []
    for label, path in ((0, Path(neg)), (1, Path(pos))):
        t, s = _tokenised(read_text_lines(path), path, tok, skip_blank)
        if not t:
            raise DataError(f"{path}: holds no sentences")
        texts += t
        sources += s
        labels += [label] * len(t)
    return LabelledTexts(texts, np.asarray(labels, dtype=np.int64), ["neg", "pos"], sources)


def read_tsv(path: str | Path, *, clean: bool = False, tokenizer: str = "whitespace",
             label_names: Sequence[str] | None = None, skip_blank: bool = True) -> LabelledTexts:
    """``label<TAB>text`` per line. Label names are sorted unless ``label_names`` fixes them, in which
    case a label outside that list is a :class:`DataError` naming file and line."""
    path = Path(path)
    tok = make_tokenizer(clean, tokenizer)
    raw_labels: list[str] = []
    texts: list[list[str]] = []
    sources: list[str] = []
    known = None if label_names is None else {n: i for i, n in enumerate(label_names)}
    for i, line in enumerate(read_text_lines(path), 1):
        if not line.strip() and skip_blank:
            continue
        label, tab, text = line.partition("\t")
        label = label.strip()
        if not tab:
            raise DataError(f"{path}:{i}: no TAB; expected 'label<TAB>text'")
        if not label:
            raise DataError(f"{path}:{i}: empty label; expected 'label<TAB>text'")
        if known is not None and label not in known:
            raise DataError(f"{path}:{i}: unknown label {label!r}; the model knows {', '.join(known)}")
        tokens = tok(text)
        if not tokens:
            raise DataError(f"{path}:{i}: empty text" + (" after cleaning" if text.strip() else "")
                            + "; remove the line or fix its text")
        raw_labels.append(label)
        texts.append(tokens)
        sources.append(f"{path}:{i}")
    if not texts:
        raise DataError(f"{path}: holds no labelled lines; expected 'label<TAB>text'")
    names = list(label_names) if label_names is not None else sorted(set(raw_labels))
    labels = encode_labels(raw_labels, names)
    return LabelledTexts(texts, labels, names, sources)


def encode_labels(labels: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """Label strings → ids in ``names`` (``KeyError`` with the label for an unknown one)."""
    index = {n: i for i, n in enumerate(names)}
    try:
        return np.fromiter((index[x] for x in labels), dtype=np.int64, count=len(labels))
    except KeyError as e:
        raise KeyError(f"unknown label {e.args[0]!r}; known labels: {', '.join(names)}") from None
