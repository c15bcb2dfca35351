"""``GloVeConfig``: GloVe's hyper-parameters (Pennington, Socher & Manning 2014), checked once.

Defaults are the reference tool's (``glove.c``: ``-x-max 100 -alpha 0.75 -eta 0.05 -grad-clip 100``,
``-model 2`` = output ``W + W̃``; ``cooccur``: symmetric window of 10 weighted ``1/d``;
``vocab_count -min-count 5``), except ``epochs`` 15 (the paper's small-corpus setting; the
tool's default is 25) and ``threads`` (0 = every core). See README "GloVe" for the
small-corpus recipe measured on wikimix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..errors import ConfigError
from .cooccurrence import WEIGHTINGS

OUTPUTS = ("w+c", "w")


def _positive_int(name: str, value: Any, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")


@dataclass(frozen=True)
class GloVeConfig:
    """GloVe hyper-parameters; the loss is ``J = Σ_ij f(X_ij) (w_i·w̃_j + b_i + b̃_j − log X_ij)²``
    with ``f(x) = min(1, (x / x_max)^alpha)`` over the non-zero co-occurrences ``X_ij``."""

    dim: int = field(default=100, metadata={"help": "vector size", "aliases": ("--vector-size", "--size")})
    window: int = field(default=10, metadata={"help": "contexts up to this many words left and right"})
    min_count: int = field(default=5, metadata={"help": "ignore words seen fewer times"})
    max_vocab: int | None = field(default=None, metadata={
        "help": "keep at most this many most frequent words (none = no cap)"})
    weighting: str = field(default="harmonic", metadata={
        "help": "weight of a context at distance d: harmonic = 1/d (the reference cooccur), uniform = 1",
        "choices": WEIGHTINGS})
    x_max: float = field(default=100.0, metadata={"help": "cut-off of the weighting function f(x) = min(1, (x/x_max)^a)"})
    alpha: float = field(default=0.75, metadata={
        "help": "exponent a of the weighting function (the reference tool's -alpha)", "flag": "--weight-alpha"})
    lr: float = field(default=0.05, metadata={"help": "initial AdaGrad learning rate (the tool's -eta)",
                                              "aliases": ("--eta",)})
    epochs: int = field(default=15, metadata={"help": "passes over the non-zero co-occurrences", "aliases": ("--iter",)})
    grad_clip: float = field(default=100.0, metadata={"help": "clip each gradient component to [-c, c]"})
    output: str = field(default="w+c", metadata={
        "help": "vectors written: w+c = word + context vectors (the paper's choice), w = word vectors only",
        "choices": OUTPUTS})
    eig: float = field(default=1.0, metadata={
        "help": "eigenvalue weight p of the output: the vectors' SVD U·S·Vᵀ becomes U·S^p (1 = as trained; "
                "0.5 = Levy et al. 2015's eigenvalue weighting, the small-corpus recipe's)"})
    threads: int = field(default=0, metadata={"help": "training threads, Hogwild (0 = all cores)",
                                              "aliases": ("--workers",)})
    seed: int = field(default=1, metadata={"help": "seeds the initial vectors and the shuffle"})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        _positive_int("dim", self.dim)
        _positive_int("window", self.window)
        _positive_int("min_count", self.min_count)
        _positive_int("epochs", self.epochs, 0)
        _positive_int("threads", self.threads, 0)
        if self.max_vocab is not None:
            _positive_int("max_vocab", self.max_vocab, 2)
        if self.weighting not in WEIGHTINGS:
            raise ConfigError(f"weighting must be one of {', '.join(WEIGHTINGS)}, not {self.weighting!r}")
        if self.output not in OUTPUTS:
            raise ConfigError(f"output must be one of {', '.join(OUTPUTS)}, not {self.output!r}")
        for name in ("x_max", "lr", "grad_clip"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or v != v or v == float("inf"):
                raise ConfigError(f"{name} must be a finite number > 0, got {v!r}")
        if isinstance(self.eig, bool) or not isinstance(self.eig, (int, float)) or not 0 <= self.eig <= 1:
            raise ConfigError(f"eig (the output's eigenvalue weight p) must be in [0, 1], got {self.eig!r}")
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) or not 0 <= self.alpha <= 10:
            raise ConfigError(f"alpha (the weighting exponent) must be in [0, 10], got {self.alpha!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"seed must be an integer, got {self.seed!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def replace(self, **kw: Any) -> "GloVeConfig":
        return replace(self, **kw)


#: Published settings (``wordlab train glove --preset NAME``; flags typed on the command line win).
#: ``small-corpus``: the best found for wikimix (3.54M words, 28k words at min-count 5) by
#: ``benchmarks/glove_search.py`` — a small ``x_max`` gives the many small counts of a small corpus
#: weight (x_max 100: WS-353 ρ 0.08 after 5 epochs, 0.40 with x_max 10 after 10-20; x_max 3: 0.40
#: after 5-10); wider windows do better on WS-353 (x_max 3, lr 0.05, 10 epochs: window 5 0.35, 10 0.40,
#: 15 0.42, 20 0.47; lr 0.1, 5 epochs: window 20 0.48, 30 0.51); lr 0.1 reaches in 5 epochs what
#: 0.05 does in 10; the output's eigenvalues weighted ``U·S^0.5`` (``eig``, Levy et al. 2015) adds
#: ~0.03 WS-353 (window 30: 0.510 -> 0.543, SimLex 0.156 -> 0.152). Tried and not taken: alpha 0.5
#: (+0.03 at lr 0.05, −0.03 at lr 0.1); uniform weighting (window 30, lr 0.1, 5 epochs: WS-353 0.522 vs
#: 0.510, with U·S^0.5 0.573 vs 0.543 — the best WS-353 found, ``--weighting uniform`` on top of the
#: preset — but analogy 9.8 vs 12.0 % and, with U·S^0.5, SimLex 0.116 vs 0.152); normalising W and W̃
#: before adding them (±0.001); centring (−0.02); removing the top principal components (no better than U·S^0.5).
#: min-count 20 instead of 5 (scored on the pairs both vocabularies cover: WS-353 0.531 vs 0.534; PPMI-SVD
#: 0.680 vs 0.668). Best end to end: WS-353 0.530, PPMI-SVD's 0.631 not reached (README "GloVe on a small corpus").
PRESETS: dict[str, dict[str, Any]] = {
    "small-corpus": {"window": 30, "weighting": "harmonic", "x_max": 3.0, "alpha": 0.75, "lr": 0.1, "epochs": 5,
                     "min_count": 5, "output": "w+c", "eig": 0.5},
}
