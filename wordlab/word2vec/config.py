"""``Word2VecConfig``: word2vec's hyper-parameters under gensim's names, checked once.

Defaults are gensim 4's (``Word2Vec()``), except ``workers`` (0 = every core this
process may use) and ``trainer`` (which of the two trainers runs: the compiled
multi-threaded CPU kernel ``"fast"`` or the torch batched reference ``"torch"``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from ..errors import ConfigError

TRAINERS = ("fast", "torch")


@dataclass(frozen=True)
class Word2VecConfig:
    """word2vec hyper-parameters (Mikolov et al. 2013a/b; names and defaults as gensim's ``Word2Vec``).

    vector_size: dimension of the word vectors.
    window: maximum distance between the centre and a context word; each centre word
        uses a window drawn uniformly from ``1..window`` (the C tool's dynamic window).
    min_count: drop words seen fewer times.
    max_vocab_size: keep at most this many (most frequent) words; ``None`` for no cap.
        Unlike gensim (which prunes *during* the scan to bound memory) this caps the final
        vocabulary, like gensim's ``max_final_vocab``; the scan's memory is bounded by the
        vocabulary anyway.
    sample: subsampling threshold ``t``: a word of frequency ``f`` is kept with
        probability ``(sqrt(f/t) + 1) * t/f`` (0 disables).
    sg: 1 for skip-gram, 0 for CBOW (mean of the context vectors).
    negative: negative samples per positive (1 positive + ``negative`` noise words).
    ns_exponent: noise distribution ``P(w) ∝ count(w) ** ns_exponent``.
    epochs: passes over the corpus.
    alpha, min_alpha: learning rate, decayed linearly from ``alpha`` to ``min_alpha``
        over all epochs by words processed.
    workers: training threads (0 = all cores).
    seed: seeds the initial vectors and every random draw (``workers=1`` is bit-reproducible).
    batch_words: words per job handed to a thread; also the longest "sentence" (windows
        never cross a job boundary), as gensim's ``MAX_WORDS_IN_BATCH``.
    trainer: ``"fast"`` (numba kernel, CPU, Hogwild) or ``"torch"`` (mini-batches through
        the ``CBOW`` / ``SkipGram`` modules with autograd; runs on CUDA when available).
    batch_size: (torch trainer) centre words per mini-batch.
    """

    vector_size: int = 100
    window: int = 5
    min_count: int = 5
    max_vocab_size: int | None = None
    sample: float = 1e-3
    sg: int = 0
    negative: int = 5
    ns_exponent: float = 0.75
    epochs: int = 5
    alpha: float = 0.025
    min_alpha: float = 0.0001
    workers: int = 3
    seed: int = 1
    batch_words: int = 10000
    trainer: str = "fast"
    batch_size: int = 1024

    def __post_init__(self) -> None:
        checks = [
            (self.vector_size >= 1, f"vector_size must be >= 1, got {self.vector_size}"),
            (self.window >= 1, f"window must be >= 1, got {self.window} (the window is the context)"),
            (self.min_count >= 1, f"min_count must be >= 1, got {self.min_count}"),
            (self.max_vocab_size is None or self.max_vocab_size >= 1,
             f"max_vocab_size must be >= 1 or None, got {self.max_vocab_size}"),
            (self.sample >= 0, f"sample must be >= 0 (0 disables subsampling), got {self.sample}"),
            (self.sg in (0, 1), f"sg must be 0 (CBOW) or 1 (skip-gram), got {self.sg}"),
            (self.negative >= 1, f"negative must be >= 1 (negative sampling is the only objective "
                                 f"here; there is no hierarchical softmax), got {self.negative}"),
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (self.alpha > 0, f"alpha must be > 0, got {self.alpha}"),
            (0 <= self.min_alpha <= self.alpha, f"min_alpha must be in [0, alpha={self.alpha}], got {self.min_alpha}"),
            (self.workers >= 0, f"workers must be >= 0 (0 = all cores), got {self.workers}"),
            (self.batch_words >= 2 * self.window + 1,
             f"batch_words must be >= 2*window+1 = {2 * self.window + 1}, got {self.batch_words}"),
            (self.trainer in TRAINERS, f"trainer must be one of {', '.join(TRAINERS)}, got {self.trainer!r}"),
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def replace(self, **changes) -> "Word2VecConfig":
        """A copy with some fields changed (checked again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain dict (what checkpoints store)."""
        return asdict(self)
