"""``train_ppmi``: count, weight and factorise a corpus and save the vectors — what ``wordlab train ppmi`` does."""

from __future__ import annotations

import os
from pathlib import Path

from ..atomic import check_output
from ..errors import ConfigError
from ..text import Corpus
from ..text.shards import is_main
from ..vectors.formats import format_from_path
from .model import PPMIConfig, PPMISVD


def train_ppmi(corpus: Corpus | str | os.PathLike | list, config: PPMIConfig | None = None, *,
               output: str | os.PathLike | None = None, cache_dir: str | os.PathLike | bool | None = None,
               progress: bool | None = None) -> tuple[PPMISVD, Path | None]:
    """Fit :class:`PPMISVD` on ``corpus``; with ``output`` save the vectors (and ``<output>.json``, the settings).

    The output is checked (format from its suffix, writable, not an input) before any counting.
    Returns the fitted model (``model.wv`` the vectors, ``model.stats`` sizes and seconds per stage)
    and the path of the settings JSON written beside the vectors (``None`` without ``output``).
    """
    model = PPMISVD(config or PPMIConfig())
    if output is not None:
        if not format_from_path(output):
            raise ConfigError(f"{output}: unknown vector format; end the name in .bin, .txt, .vec or .npz")
        inputs = list(corpus.files) if isinstance(corpus, Corpus) else (
            [corpus] if isinstance(corpus, (str, os.PathLike)) else [c for c in corpus if isinstance(c, (str, Path))])
        check_output(output, inputs, binary=True, what="vectors file")
    model.fit(corpus, cache_dir=cache_dir, progress=progress)
    if output is None:
        return model, None
    return model, (model.save(output) if is_main() else PPMISVD.config_path(output))  # torchrun: rank 0 writes
