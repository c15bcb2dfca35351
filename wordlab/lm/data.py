"""Language-model data: text files → one id stream → ``batchify`` → truncated-BPTT windows.

PTB-style files hold one sentence per line and get ``<eos>`` appended to every line
(``read_corpus(..., eos=True)``); any other corpus works as a plain token stream.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np
import torch

from ..errors import ConfigError, DataError
from ..text import EOS, UNK, Vocabulary, build_vocab_and_ids, encode_corpus, read_corpus

if TYPE_CHECKING:  # pragma: no cover
    from ..text.bpe import BPETokenizer


def batchify(ids: np.ndarray | torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut one id stream into ``batch_size`` contiguous streams, one per row: ``(B, N // B)``.

    The ``N % B`` trailing tokens are dropped (as in the PyTorch example). With the
    alphabet as the stream and ``B = 4``::

        a b c d e f g h i j k l m n o p q r s t u v w x y z
        ┌ a b c d e f ┐
        │ g h i j k l │   row b continues where nothing else reads it,
        │ m n o p q r │   so the hidden state of row b after one window
        └ s t u v w x ┘   is the right start for row b of the next window

    Rows are independent sequences; the columns are time.
    """
    if batch_size < 1:
        raise ConfigError(f"batch size must be >= 1, got {batch_size}")
    data = torch.as_tensor(np.asarray(ids, dtype=np.int64)) if not isinstance(ids, torch.Tensor) else ids.long()
    n = data.numel() // batch_size
    if n < 2:
        raise DataError(f"text of {data.numel()} tokens is too short for {batch_size} streams of at least 2 tokens")
    return data[: n * batch_size].view(batch_size, n)  # (B, N // B)


def num_windows(data: torch.Tensor, bptt: int) -> int:
    """Number of BPTT windows over ``(B, L)`` data: ``ceil((L - 1) / bptt)``."""
    return -(-(data.size(1) - 1) // bptt)


def bptt_windows(data: torch.Tensor, bptt: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Truncated-BPTT windows ``(x, y)`` of ``(B, ≤bptt)`` over batchified ``data``, from window ``start``.

    ``y`` is ``x`` shifted one step left: with ``bptt = 2`` on the rows above the first window is
    ``x = [[a b] [g h] …]``, ``y = [[b c] [h i] …]``, the second ``x = [[c d] …]``. The caller carries
    the recurrent state from one window to the next and detaches it, so gradients flow back at
    most ``bptt`` steps while the state sees the whole stream.
    """
    if bptt < 1:
        raise ConfigError(f"bptt must be >= 1, got {bptt}")
    L = data.size(1)
    for i in range(start * bptt, L - 1, bptt):
        t = min(bptt, L - 1 - i)
        yield data[:, i : i + t], data[:, i + 1 : i + 1 + t]  # (B, t), (B, t)


@dataclass
class LMData:
    """Vocabulary and id streams of the train / valid / test files (``valid``/``test`` may be ``None``).

    ``tokenizer`` is the subword tokenizer that made the ids (:class:`wordlab.text.bpe.BPETokenizer`),
    ``None`` for whitespace words.
    """

    vocab: Vocabulary
    train: np.ndarray
    valid: np.ndarray | None = None
    test: np.ndarray | None = None
    tokenizer: "BPETokenizer | None" = None


def lm_specials(eos: bool) -> tuple[str, ...]:
    """Special tokens of an LM vocabulary: ``<unk>`` always, ``<eos>`` in sentence-per-line mode."""
    return (UNK, EOS) if eos else (UNK,)


def load_lm_data(
    train: str | os.PathLike | Sequence[str | os.PathLike],
    valid: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    test: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    *,
    vocab: Vocabulary | None = None,
    eos: bool = True,
    tokenizer: str = "whitespace",
    min_count: int = 1,
    max_size: int | None = None,
    progress: bool | None = None,
) -> LMData:
    """Read the files, build (or reuse) the vocabulary from ``train``, encode all three.

    Words outside the vocabulary become ``<unk>`` (PTB already has ``<unk>`` in its text).
    """
    corpus = read_corpus(train, tokenizer=tokenizer, eos=eos)
    if vocab is None:
        vocab, train_ids = build_vocab_and_ids(corpus, min_count=min_count, max_size=max_size,
                                               specials=lm_specials(eos), unknown="unk", progress=progress)
    else:
        train_ids = encode_corpus(corpus, vocab, unknown="unk", progress=progress)

    def enc(paths):
        if paths is None:
            return None
        return encode_corpus(read_corpus(paths, tokenizer=tokenizer, eos=eos), vocab, unknown="unk",
                             progress=progress)

    return LMData(vocab, train_ids, enc(valid), enc(test))


def encode_text(text: str, vocab: Vocabulary, eos: bool = False) -> np.ndarray:
    """Whitespace-tokenize a string (e.g. a prompt) into ids; unknown words → ``<unk>`` (or dropped without one)."""
    tokens = text.split()
    if eos:
        tokens.append(EOS)
    return vocab.encode(tokens, unknown="auto")


def encode_corpus_files(paths: str | os.PathLike | Sequence[str | os.PathLike], vocab: Vocabulary, *,
                        eos: bool = True, tokenizer: str = "whitespace", progress: bool | None = None) -> np.ndarray:
    """Encode text file(s) with a trained model's vocabulary (unknown words → ``<unk>``)."""
    return encode_corpus(read_corpus(paths, tokenizer=tokenizer, eos=eos), vocab, unknown="unk", progress=progress)
