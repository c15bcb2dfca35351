"""``train_glove``: what ``wordlab train glove`` does — output checked first, build or resume, train, save.

Output formats: the reference tool's text (``<word> <v1> … <vd>``, no header line; the default
for ``.txt`` and ``--format glove``), word2vec text (``.vec`` / ``.w2v`` or ``--format text``),
word2vec binary (``.bin``) and wordlab's ``.npz``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

from ..atomic import atomic_write, check_output
from ..errors import ConfigError
from ..text import Corpus, read_corpus
from ..text.shards import is_main
from ..vectors import KeyedVectors
from ..vectors.formats import format_from_path
from .glove import GloVe
from .glove_config import GloVeConfig

log = logging.getLogger(__name__)


def output_format(path: str | os.PathLike, format: str | None = None) -> str:
    """``glove`` / ``text`` / ``binary`` / ``npz`` for an output path (``.txt`` means the headerless GloVe text)."""
    if format:
        return format_from_path(path, format)
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz"):
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] == ".txt":
        return "glove"
    fmt = format_from_path(path)
    if not fmt:
        raise ConfigError(f"{path}: unknown vector format; end the name in .txt (GloVe text), .vec (word2vec text), "
                          f".bin or .npz, or give --format")
    return fmt


def save_glove_text(path: str | os.PathLike, kv: KeyedVectors) -> None:
    """The reference tool's text output: one ``word v1 … vd`` line per word, no header (atomic)."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        for word, vec in zip(kv.index_to_key, kv.vectors):
            f.write(word + " " + " ".join(f"{x:.6f}" for x in vec.tolist()) + "\n")


def save_vectors(kv: KeyedVectors, path: str | os.PathLike, format: str | None = None) -> None:
    fmt = output_format(path, format)
    if fmt == "glove":
        save_glove_text(path, kv)
    else:
        kv.save(path, format=fmt)


def train_glove(corpus: Corpus | str | os.PathLike | list, config: GloVeConfig | None = None, *,
                output: str | os.PathLike | None = None, format: str | None = None,
                checkpoint: str | os.PathLike | None = None, resume: bool = False,
                cache_dir: str | os.PathLike | bool | None = None, progress: bool | None = None,
                on_epoch: Callable[[int, float, float], None] | None = None) -> GloVe:
    """Train GloVe (or resume the run in ``checkpoint``) and save the vectors to ``output``.

    With ``resume`` and an existing ``checkpoint`` the run goes on from it (its settings; a larger
    ``config.epochs`` extends it). The checkpoint is rewritten after every epoch.
    """
    config = config or GloVeConfig()
    if not isinstance(corpus, Corpus):
        corpus = read_corpus(corpus)
    if resume and checkpoint is None:
        raise ConfigError("resume needs a checkpoint (--save-model MODEL.npz)")
    if checkpoint is not None and not str(checkpoint).endswith(".npz"):
        raise ConfigError(f"{checkpoint}: the model file must end in .npz")
    if output is not None:
        fmt = output_format(output, format)
        check_output(output, corpus.files, binary=fmt in ("binary", "npz"), what="vectors file")
    if checkpoint is not None:
        check_output(checkpoint, corpus.files, binary=True, what="model file")
    if resume and Path(checkpoint).exists():
        model = GloVe.load_checkpoint(checkpoint)
        if config.epochs > model.config.epochs:
            model.config = model.config.replace(epochs=config.epochs)
        if model.config.replace(epochs=config.epochs, threads=config.threads) != config:
            log.warning("resuming with the checkpoint's settings (%s), not the command line's", checkpoint)
        model.config = model.config.replace(threads=config.threads)
    else:
        model = GloVe(config)
    model.fit(corpus, cache_dir=cache_dir, progress=progress, checkpoint=checkpoint, on_epoch=on_epoch)
    if output is not None and is_main():  # torchrun: every process counted its share; rank 0 writes
        save_vectors(model.wv, output, format)
    return model
