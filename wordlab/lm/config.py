"""Hyper-parameters of the RNN language model (stored as ``asdict`` in every checkpoint), its data and
training defaults, and the published configurations as presets.

The defaults are the CLI's (``wordlab lm train``): a small model that trains in minutes (2 layers
× 200, dropout 0.2, tied). Each field's ``metadata`` is its command-line flag
(:mod:`wordlab.cli.configargs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from ..layers.recurrent import CELLS
from .transformer import TransformerLMConfig


@dataclass(frozen=True)
class LMConfig:
    """Shape and regularisation of :class:`wordlab.lm.model.RNNLanguageModel`.

    Parameters
    ----------
    vocab_size: number of words (the output softmax size); 0 = set from the training data's vocabulary
        by :func:`wordlab.lm.train_language_model`.
    cell: ``rnn_tanh`` (alias ``rnn``) | ``rnn_relu`` | ``lstm`` | ``gru``.
    layers: stacked recurrent layers.
    emb_size, hidden_size: word embedding and recurrent state sizes.
    dropout: dropout between recurrent layers and on the last layer's output.
    emb_dropout: dropout on the embedded input words (``None``: the same as ``dropout``).
    variational: ``True`` → locked masks, one per sequence (Gal & Ghahramani 2016);
        ``False`` → a fresh mask per time step (Zaremba et al. 2014).
    tie_weights: share the input embedding and the output softmax weights
        (Press & Wolf 2017; Inan et al. 2017); when ``hidden_size != emb_size`` a linear
        projection hidden → emb is inserted before the softmax.
    init_range: parameters start uniform in ``±init_range`` (Zaremba et al. 2014: 0.1 small,
        0.05 medium, 0.04 large).
    """

    vocab_size: int = field(default=0, metadata={"cli": False})
    cell: str = field(default="lstm", metadata={
        "help": "recurrent cell (rnn = rnn_tanh)", "choices": ("rnn", *CELLS), "deprecated": ("--model",)})
    layers: int = field(default=2, metadata={"help": "stacked recurrent layers"})
    emb_size: int = field(default=200, metadata={
        "help": "word embedding size", "flag": "--dim", "aliases": ("--emb-size",), "deprecated": ("--emb",)})
    hidden_size: int = field(default=200, metadata={
        "help": "recurrent state size", "flag": "--hidden", "aliases": ("--hidden-size",)})
    dropout: float = field(default=0.2, metadata={"help": "dropout between layers and on the output"})
    emb_dropout: float | None = field(default=None, metadata={
        "help": "dropout on the embedded words (none = the same as --dropout)"})
    variational: bool = field(default=True, metadata={
        "help": "one locked dropout mask per sequence (--no-variational: a fresh mask per time step)"})
    tie_weights: bool = field(default=True, metadata={
        "help": "tie input embedding and softmax weights (Press & Wolf 2017)", "flag": "--tie",
        "aliases": ("--tie-weights",)})
    init_range: float = field(default=0.1, metadata={"help": "parameters start uniform in ±init-range"})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        if self.cell == "rnn":
            object.__setattr__(self, "cell", "rnn_tanh")
        if self.emb_dropout is None:
            object.__setattr__(self, "emb_dropout", self.dropout)
        if self.cell not in CELLS:
            raise ConfigError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}")
        if self.vocab_size != 0 and self.vocab_size < 2:
            raise ConfigError(f"vocab_size must be >= 2 (or 0: from the data), got {self.vocab_size}")
        for name in ("layers", "emb_size", "hidden_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("dropout", "emb_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if not self.init_range > 0:
            raise ConfigError(f"init_range must be > 0, got {self.init_range}")


@dataclass(frozen=True)
class LMDataConfig:
    """How the text files become training batches (:func:`wordlab.lm.load_lm_data`, BPTT batching).

    eos: append ``<eos>`` to every line (one sentence per line, PTB style); ``False``: running text.
    min_count, max_vocab: rarer words / words beyond the ``max_vocab`` most frequent become ``<unk>``.
    batch_size: parallel training streams; bptt: truncated-BPTT window length;
    eval_batch_size: streams for validation and test (10 as in the PyTorch example).
    """

    eos: bool = field(default=True, metadata={
        "help": "append <eos> to every line (--no-eos: running text instead of one sentence per line)"})
    min_count: int = field(default=1, metadata={"help": "words seen fewer times become <unk>"})
    max_vocab: int | None = field(default=None, metadata={
        "help": "keep at most this many words, the rest become <unk> (none = all)"})
    batch_size: int = field(default=20, metadata={
        "help": "training streams per batch", "deprecated": ("--batch",)})
    bptt: int = field(default=35, metadata={"help": "truncated BPTT window length"})
    eval_batch_size: int = field(default=10, metadata={
        "help": "streams for validation and test", "deprecated": ("--eval-batch",)})
    tokenizer: str = field(default="word", metadata={
        "help": "tokens: whitespace words, or byte-level BPE subwords trained on the training text",
        "choices": ("word", "bpe")})
    vocab_size: int = field(default=8000, metadata={"help": "BPE vocabulary size (with --tokenizer bpe)"})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        for name in ("min_count", "batch_size", "bptt", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.tokenizer not in ("word", "bpe"):
            raise ConfigError(f"tokenizer must be word or bpe, not {self.tokenizer!r}")
        if self.tokenizer == "bpe" and self.vocab_size < 258:
            raise ConfigError(f"a byte-level BPE vocabulary needs >= 258 entries, got {self.vocab_size}")
        if self.max_vocab is not None and self.max_vocab < 2:
            raise ConfigError(f"max_vocab must be >= 2 (or None), got {self.max_vocab}")


#: the training defaults of a language model (a :class:`wordlab.training.TrainConfig` over these):
#: SGD at 20, divided by 4 when validation stops improving, clip 0.25 — the PyTorch example's recipe
TRAIN_DEFAULTS: dict = {"epochs": 6, "optimizer": "sgd", "lr": 20.0, "clip": 0.25, "schedule": "plateau",
                        "checkpoint_every": 200, "seed": 1}

#: ``--arch`` name → model config class (a new architecture adds one line)
ARCHITECTURES: dict[str, type] = {"rnn": LMConfig, "transformer": TransformerLMConfig}

#: an architecture's own training defaults, over :data:`TRAIN_DEFAULTS` (flags, --config and presets win):
#: a Transformer trains with Adam, a linear warm-up and cosine annealing (GPT), not SGD at 20
ARCH_TRAIN_DEFAULTS: dict[str, dict] = {
    "transformer": {"optimizer": "adam", "lr": 1e-3, "clip": 1.0, "schedule": "cosine", "warmup": 200},
}

#: published configurations (``wordlab lm train --preset NAME``): LMConfig, LMDataConfig and TrainConfig
#: fields. Zaremba et al. 2014 (arXiv 1409.2329) Sec. 4.1: untied, per-step dropout on non-recurrent
#: connections, SGD lr 1, clip 5, batch 20 × 35 steps; their fixed decay after epoch 6 / 14 / 14 is
#: approximated here by the plateau schedule with their divisor (1.2 / 1.2 / 1.15).
PRESETS: dict[str, dict] = {
    "zaremba-small": {"arch": "rnn", "cell": "lstm", "layers": 2, "emb_size": 200, "hidden_size": 200,
                      "dropout": 0.0, "emb_dropout": 0.0, "variational": False, "tie_weights": False,
                      "init_range": 0.1, "optimizer": "sgd", "lr": 1.0, "clip": 5.0, "epochs": 13,
                      "schedule": "plateau", "lr_decay": 2.0, "batch_size": 20, "bptt": 20},
    "zaremba-medium": {"arch": "rnn", "cell": "lstm", "layers": 2, "emb_size": 650, "hidden_size": 650,
                       "dropout": 0.5, "emb_dropout": 0.5, "variational": False, "tie_weights": False,
                       "init_range": 0.05, "optimizer": "sgd", "lr": 1.0, "clip": 5.0, "epochs": 39,
                       "schedule": "plateau", "lr_decay": 1.2, "batch_size": 20, "bptt": 35},
    "zaremba-large": {"arch": "rnn", "cell": "lstm", "layers": 2, "emb_size": 1500, "hidden_size": 1500,
                      "dropout": 0.65, "emb_dropout": 0.65, "variational": False, "tie_weights": False,
                      "init_range": 0.04, "optimizer": "sgd", "lr": 1.0, "clip": 10.0, "epochs": 55,
                      "schedule": "plateau", "lr_decay": 1.15, "batch_size": 20, "bptt": 35},
    # the README's PTB recipe: test perplexity 90 in 58 minutes on 2 CPU cores (benchmarks/lm.py)
    "ptb-650-bf16": {"arch": "rnn", "cell": "lstm", "layers": 2, "emb_size": 650, "hidden_size": 650,
                     "dropout": 0.5, "emb_dropout": 0.1, "variational": True, "tie_weights": True,
                     "init_range": 0.1, "optimizer": "adam", "lr": 2e-3, "clip": 0.25, "schedule": "cosine",
                     "epochs": 18, "batch_size": 64, "bptt": 35, "precision": "bf16"},
}
