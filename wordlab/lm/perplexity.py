"""Moved to :mod:`wordlab.evaluation.perplexity` (the metrics live in ``wordlab.evaluation``); kept for old imports."""

from ..evaluation.perplexity import nll, perplexity  # noqa: F401
