"""Moved to :mod:`wordlab.evaluation.classification` (the metrics live in ``wordlab.evaluation``); kept for old imports."""

from ..evaluation.classification import accuracy, classification_report, confusion_matrix, f1_per_class, macro_f1  # noqa: F401
