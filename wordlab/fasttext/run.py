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

from ..errors import ConfigError
from ..vectors.formats import format_from_path
from ..word2vec.run import Word2VecRun, run_training
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
    return run_training(FastText, corpus, config, output=output, save_model=save_model, resume=resume,
                        cache_dir=cache_dir, progress=progress,
                        write_output=lambda model, path: save_output(model, path, format),
                        output_error="unknown format; end the name in .bin (fastText), .vec/.txt (word2vec text) "
                                     "or .npz (wordlab subword vectors)",
                        output_what="model file",
                        resume_error="--resume needs --save-model MODEL.npz (the checkpoint to continue)")
