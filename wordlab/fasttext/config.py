"""``FastTextConfig``: word2vec's hyper-parameters plus the character n-gram ones, under gensim's names.

Every field of :class:`~wordlab.word2vec.Word2VecConfig` (so ``train fasttext`` has the same flags
as ``train word2vec``) plus ``min_n``, ``max_n`` and ``bucket`` (gensim's ``FastText`` names; the
tool's ``-minn``, ``-maxn``, ``-bucket``). Defaults are gensim's ``FastText``'s, which are its
``Word2Vec``'s; the fastText tool differs in ``sample`` (1e-4), noise exponent (0.5), learning rate
(0.05 for both architectures) and architecture (skip-gram) — pass those for the tool's settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from ..word2vec.config import Word2VecConfig

MAX_BUCKET = 2**31 - 1


@dataclass(frozen=True)
class FastTextConfig(Word2VecConfig):
    """fastText hyper-parameters (Bojanowski et al. 2017): word2vec's plus the subword ones.

    min_n, max_n: lengths (in characters, ``<`` and ``>`` boundaries included) of the character
        n-grams a word is made of; ``max_n=0`` turns subwords off (plain word vectors).
    bucket: number of hash buckets (rows) the n-grams share; ``hash(g) % bucket`` (the tool's FNV-1a).
    sg_update: skip-gram's update (:mod:`wordlab.fasttext.kernel`): ``"pair"`` (the default) is the
        tool's own update, pair by pair with fresh noise words; ``"window"`` computes the centre word's
        vector once, shares ``negative`` noise words across its window and writes one summed gradient
        back (about 1.5-2x faster, much worse vectors). On wikimix at 5 epochs (``benchmarks/fasttext.py``,
        2 threads, the threads on distant parts of the text) ``"pair"`` reached analogy 48.34 % (mean of 5
        seeds) vs the tool's 47.67 % and ``"window"``'s 29.88 %, RW ρ 0.374 vs 0.369 (window 0.282), WS-353
        0.522 vs 0.521 (window 0.442), at 3.45-4.49x the tool's words/s on a quiet machine. The window
        update was the default until it failed the quality goals it was allowed under; it stays as the fast
        option.
    """

    min_n: int = field(default=3, metadata={"help": "shortest character n-gram (with the < > boundaries)"})
    max_n: int = field(default=6, metadata={"help": "longest character n-gram; 0 = no subwords"})
    bucket: int = field(default=2_000_000, metadata={"help": "hash buckets shared by the character n-grams"})
    sg_update: str = field(default="pair", metadata={
        "help": "skip-gram update: pair = the tool's per-pair update with fresh negatives (the tool's "
                "quality); window = once per centre word with shared negatives (faster, worse vectors)",
        "choices": ("window", "pair")})

    def __post_init__(self) -> None:
        from wordlab.limits import check_numbers  # type, finiteness and range of every numeric field

        check_numbers(self)
        super().__post_init__()
        checks = [
            (self.max_n == 0 or 1 <= self.min_n <= self.max_n,
             f"need 1 <= min_n <= max_n (or max_n = 0 for no subwords), got min_n={self.min_n}, max_n={self.max_n}"),
            (0 <= self.bucket <= MAX_BUCKET, f"bucket must be in [0, {MAX_BUCKET}], got {self.bucket}"),
            (self.max_n == 0 or self.bucket > 0, "bucket must be > 0 when max_n > 0 (n-grams need rows)"),
            (self.sg_update in ("window", "pair"), f"sg_update must be window or pair, got {self.sg_update!r}"),
            (self.trainer == "fast", f"fastText trains with the compiled CPU kernel only (trainer='fast'), "
                                     f"got {self.trainer!r}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    @property
    def subwords(self) -> bool:
        return self.max_n > 0 and self.bucket > 0

    def input_rows(self, words: int) -> int:
        """Rows of ``W_in``: the words', then the n-gram buckets (none without subwords)."""
        return words + (self.bucket if self.subwords else 0)
