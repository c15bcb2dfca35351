"""Optional figures (matplotlib, the ``plot`` extra): imported inside each function.

``pip install 'wordlab[plot]'`` (or ``pip install matplotlib``) provides it; without it the
functions raise :class:`ConfigError` saying so.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

import numpy as np

from .atomic import atomic_write_bytes
from .errors import ConfigError


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("plotting needs matplotlib: pip install 'wordlab[plot]' (or pip install matplotlib)") from None
    return plt


def attention_heatmap(weights: np.ndarray, source: Sequence[str], output: Sequence[str], path: str | Path,
                      title: str | None = None) -> Path:
    """Write a PNG heat-map of attention ``weights`` (len(output), len(source)): source tokens on the
    x axis, output tokens on the y axis, darker = more weight (as in Bahdanau et al. 2015, Fig. 3)."""
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (len(output), len(source)):
        raise ConfigError(f"attention weights have shape {weights.shape}, expected "
                          f"({len(output)} outputs, {len(source)} source tokens)")
    plt = _pyplot()
    shown = ["␣" if t == " " else t for t in source]  # make spaces visible (character level)
    fig, ax = plt.subplots(figsize=(max(3.0, 0.45 * len(source) + 1.5), max(2.5, 0.4 * len(output) + 1.2)))
    im = ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source)), labels=shown, rotation=90)
    ax.set_yticks(range(len(output)), labels=list(output))
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)
