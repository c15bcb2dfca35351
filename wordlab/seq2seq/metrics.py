"""Moved to :mod:`wordlab.evaluation.translation` (the metrics live in ``wordlab.evaluation``); kept for old imports."""

from ..evaluation.translation import corpus_bleu, exact_match, per_length  # noqa: F401
