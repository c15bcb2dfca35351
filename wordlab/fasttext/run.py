"""``train_fasttext``: build (or resume) a :class:`FastText`, train it and save it — one call.

What ``wordlab train fasttext`` does, as a library function::

    from wordlab.fasttext import FastTextConfig, train_fasttext
    run = train_fasttext("corpus.txt.gz", FastTextConfig(sg=1), output="model.bin")
    run.model.wv.most_similar("unseenword")

``output`` by suffix: ``.bin`` the fastText tool's model (``format="word2vec"``: word2vec binary of the
vocabulary's vectors instead), ``.vec`` / ``.txt`` word2vec text of the vocabulary's vectors,
``.npz`` wordlab's subword vectors (vocabulary and n-gram rows, so unseen words keep their vectors).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from ..atomic import check_output
from ..errors import ConfigError
from ..vectors.formats import format_from_path
from ..word2vec.run import Word2VecRun
from .config import FastTextConfig
from .model import FastText

log = logging.getLogger(__name__)

FORMATS = ("fasttext", "word2vec")


def save_output(model: FastText, output: str | os.PathLike, format: str = "fasttext") -> None:
    """Write ``model`` to ``output`` by suffix (see the module docstring)."""
    fmt = format_from_path(output)
    if fmt == "binary" and format == "fasttext":
        model.save_facebook(output)
    elif fmt == "npz":
        model.wv.save(output)
    else:
        model.wv.save(output, format=fmt)


def train_fasttext(corpus, config: FastTextConfig | None = None, *, output: str | os.PathLike | None = None,
                   format: str = "fasttext", save_model: str | os.PathLike | None = None, resume: bool = False,
                   cache_dir: str | os.PathLike | bool | None = None, progress: bool | None = None) -> Word2VecRun:
    """Train fastText on ``corpus`` and write it to ``output``; ``save_model`` (.npz) keeps the full model
    after every epoch and ``resume`` continues it. Every option is checked before any work."""
    config = config or FastTextConfig()
    if format not in FORMATS:
        raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    inputs = [corpus] if isinstance(corpus, (str, os.PathLike)) else [
        c for c in (corpus if isinstance(corpus, (list, tuple)) else []) if isinstance(c, (str, os.PathLike))]
    if output is not None:
        if not format_from_path(output):
            raise ConfigError(f"{output}: unknown format; end the name in .bin (fastText), .vec/.txt (word2vec "
                              "text) or .npz (wordlab subword vectors)")
        check_output(output, inputs, binary=True, what="model file")
    if resume and not save_model:
        raise ConfigError("--resume needs --save-model MODEL.npz (the checkpoint to continue)")
    if save_model is not None:
        if not str(save_model).endswith(".npz"):
            raise ConfigError(f"{save_model}: the model file must end in .npz")
        check_output(save_model, inputs, binary=True, what="model file")
    t0 = time.perf_counter()
    resumed_from, differ = None, False
    if resume and Path(save_model).exists():
        model = FastText.load(save_model, progress=progress)
        model.cache_dir = cache_dir
        if model.config != config.replace(workers=model.config.workers):
            differ = True
            log.warning("resuming with the checkpoint's settings (%s), not the ones given now", save_model)
        model.set_corpus(corpus)
        resumed_from = (model.state["epochs_done"], model.state["epochs_total"])
    else:
        model = FastText(config=config, progress=progress, cache_dir=cache_dir)
        model.build_vocab(corpus)
    complete = bool(resume and model.state["epochs_total"] and model.state["epochs_done"] >= model.state["epochs_total"])
    summary = None if complete else model.train(resume=resume, checkpoint=save_model)
    if output is not None:
        save_output(model, output, format)
    if save_model is not None:
        model.save(save_model)
    return Word2VecRun(model, summary, resumed_from, time.perf_counter() - t0, differ)
