"""``train_word2vec``: build (or resume) a :class:`Word2Vec`, train it and save its vectors — one call.

What ``wordlab train word2vec`` does, as a library function::

    from wordlab.word2vec import Word2VecConfig, train_word2vec
    run = train_word2vec("corpus.txt.gz", Word2VecConfig(sg=1, vector_size=100), output="vectors.bin")
    run.model.wv.most_similar("king")
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..atomic import check_output
from ..errors import ConfigError
from ..vectors.formats import format_from_path
from .config import Word2VecConfig
from .model import CorpusLike, Word2Vec
from .parallel import is_main

log = logging.getLogger(__name__)


@dataclass
class Word2VecRun:
    """What :func:`train_word2vec` returns.

    ``summary``: the training statistics of :meth:`Word2Vec.train` (``None`` when a resumed run
    was already complete); ``resumed_from``: ``(epochs done, epochs in all)`` of the checkpoint
    the run continued, or ``None`` for a fresh run; ``seconds``: end to end.
    """

    model: Word2Vec
    summary: dict[str, Any] | None
    resumed_from: tuple[int, int] | None
    seconds: float
    settings_differ: bool = False


def train_word2vec(corpus: CorpusLike, config: Word2VecConfig | None = None, *, output: str | os.PathLike | None = None,
                   save_model: str | os.PathLike | None = None, resume: bool = False,
                   cache_dir: str | os.PathLike | bool | None = None, progress: bool | None = None) -> Word2VecRun:
    """Train word2vec on ``corpus`` and write its vectors to ``output`` (.bin, .txt/.vec or .npz).

    ``save_model`` (.npz) also keeps the full model, rewritten after every epoch; with ``resume``
    the run continues the epochs that file records (a fresh run when it does not exist yet; a
    finished one only writes the vectors again). Every option is checked before any work.
    """
    return run_training(Word2Vec, corpus, config or Word2VecConfig(), output=output, save_model=save_model,
                        resume=resume, cache_dir=cache_dir, progress=progress,
                        write_output=lambda model, path: model.wv.save(path),
                        output_error="unknown vector format; end the name in .bin, .txt, .vec or .npz",
                        output_what="vectors file",
                        resume_error="--resume needs --save-model MODEL.npz (resume=True needs save_model: the "
                                     "checkpoint to continue)")


def run_training(cls, corpus, config, *, output, save_model, resume, cache_dir, progress,
                 write_output: Callable[[Any, str | os.PathLike], None], output_error: str, output_what: str,
                 resume_error: str) -> Word2VecRun:
    """What :func:`train_word2vec` and :func:`~wordlab.fasttext.train_fasttext` share: check every option,
    build (or resume) a ``cls`` model, train it, ``write_output(model, output)`` and save the checkpoint.
    ``output_error``: the message (after the file name) for an output suffix that names no format."""
    inputs = [corpus] if isinstance(corpus, (str, os.PathLike)) else [
        c for c in (corpus if isinstance(corpus, (list, tuple)) else []) if isinstance(c, (str, os.PathLike))]
    if output is not None:
        if not format_from_path(output):
            raise ConfigError(f"{output}: {output_error}")
        check_output(output, inputs, binary=True, what=output_what)
    if resume and not save_model:
        raise ConfigError(resume_error)
    if save_model is not None:
        if not str(save_model).endswith(".npz"):
            raise ConfigError(f"{save_model}: the model file must end in .npz")
        check_output(save_model, inputs, binary=True, what="model file")
    t0 = time.perf_counter()
    resumed_from, differ = None, False
    if resume and Path(save_model).exists():
        model = cls.load(save_model, progress=progress)
        model.cache_dir = cache_dir
        if model.config != config.replace(workers=model.config.workers):
            differ = True
            log.warning("resuming with the checkpoint's settings (%s), not the ones given now", save_model)
        model.set_corpus(corpus)
        resumed_from = (model.state["epochs_done"], model.state["epochs_total"])
    else:
        model = cls(config=config, progress=progress, cache_dir=cache_dir)
        model.build_vocab(corpus)
    complete = bool(resume and model.state["epochs_total"] and model.state["epochs_done"] >= model.state["epochs_total"])
    summary = None if complete else model.train(resume=resume, checkpoint=save_model)
    if output is not None and is_main():  # several processes: their tables are equal; rank 0 writes
        write_output(model, output)
    if save_model is not None and is_main():
        model.save(save_model)
    return Word2VecRun(model, summary, resumed_from, time.perf_counter() - t0, differ)
