"""Hyper-parameters of the RNN language model (stored as ``asdict`` in every checkpoint)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from ..layers.recurrent import CELLS


@dataclass(frozen=True)
class LMConfig:
    """Shape and regularisation of :class:`wordlab.lm.model.RNNLanguageModel`.

    Parameters
    ----------
    vocab_size: number of words (the output softmax size).
    cell: ``rnn_tanh`` | ``rnn_relu`` | ``lstm`` | ``gru``.
    layers: stacked recurrent layers.
    emb_size, hidden_size: word embedding and recurrent state sizes.
    dropout: dropout between recurrent layers and on the last layer's output.
    emb_dropout: dropout on the embedded input words.
    variational: ``True`` → locked masks, one per sequence (Gal & Ghahramani 2016);
        ``False`` → a fresh mask per time step (Zaremba et al. 2014).
    tie_weights: share the input embedding and the output softmax weights
        (Press & Wolf 2017; Inan et al. 2017); when ``hidden_size != emb_size`` a linear
        projection hidden → emb is inserted before the softmax.
    init_range: parameters start uniform in ``±init_range`` (Zaremba et al. 2014: 0.1 small,
        0.05 medium, 0.04 large).
    """

    vocab_size: int
    cell: str = "lstm"
    layers: int = 2
    emb_size: int = 650
    hidden_size: int = 650
    dropout: float = 0.5
    emb_dropout: float = 0.1
    variational: bool = True
    tie_weights: bool = True
    init_range: float = 0.05

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ConfigError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}")
        if self.vocab_size < 2:
            raise ConfigError(f"vocab_size must be >= 2, got {self.vocab_size}")
        for name in ("layers", "emb_size", "hidden_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("dropout", "emb_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if not self.init_range > 0:
            raise ConfigError(f"init_range must be > 0, got {self.init_range}")
