"""Classification metrics: accuracy, per-class and macro-averaged F1, confusion matrix."""

from __future__ import annotations

import numpy as np

__all__ = ["confusion_matrix", "accuracy", "f1_per_class", "macro_f1", "classification_report"]


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K, K)`` int64 counts: row = true class, column = predicted class."""
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of predictions equal to the truth."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float((y_true == y_pred).mean()) if len(y_true) else 0.0


def f1_per_class(cm: np.ndarray) -> np.ndarray:
    """F1 of each class from a confusion matrix: ``2·TP / (2·TP + FP + FN)`` (0 when the class never occurs)."""
    tp = np.diag(cm).astype(np.float64)
    denom = 2 * tp + (cm.sum(0) - tp) + (cm.sum(1) - tp)
    return np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> float:
    """Unweighted mean of the per-class F1 scores."""
    return float(f1_per_class(confusion_matrix(y_true, y_pred, num_classes)).mean())


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict:
    """``{"accuracy", "macro_f1", "f1", "confusion", "n"}`` (lists, JSON-ready)."""
    cm = confusion_matrix(y_true, y_pred, num_classes)
    f1 = f1_per_class(cm)
    return {"n": int(len(y_true)), "accuracy": accuracy(y_true, y_pred), "macro_f1": float(f1.mean()),
            "f1": f1.tolist(), "confusion": cm.tolist()}
