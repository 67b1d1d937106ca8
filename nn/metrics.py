"""Evaluation helpers for classifiers: accuracy and confusion matrix.

Both take predictions as scores of shape (N, C) (logits or probabilities,
reduced with ``argmax`` over the classes) or as labels of shape (N,), and
targets as labels (N,) or class probabilities (N, C). Tensors and arrays are
accepted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor

__all__ = ["accuracy", "confusion_matrix"]


def _labels(values: Any, what: str, function: str) -> np.ndarray:
    array = values.data if isinstance(values, Tensor) else np.asarray(values)
    if array.ndim == 2:
        return array.argmax(axis=1)
    if array.ndim != 1:
        raise ValueError(
            f"{function}: {what} must be labels (N,) or class scores (N, C), "
            f"got shape {array.shape}"
        )
    return array


def _pair(pred: Any, target: Any, function: str) -> tuple[np.ndarray, np.ndarray]:
    pred_labels = _labels(pred, "pred", function)
    target_labels = _labels(target, "target", function)
    if pred_labels.shape[0] != target_labels.shape[0]:
        raise ValueError(
            f"{function}: pred and target have different numbers of samples "
            f"({pred_labels.shape[0]} vs {target_labels.shape[0]})"
        )
    if pred_labels.shape[0] == 0:
        raise ValueError(f"{function}: no samples")
    return pred_labels, target_labels


def accuracy(pred: Any, target: Any) -> float:
    """Fraction of samples whose predicted class equals the target class.

    ``pred``: (N, C) scores (``argmax`` over C is the prediction) or (N,)
    labels; ``target``: (N,) labels or (N, C) class probabilities.
    Example: ``accuracy([[0.1, 2.0], [3.0, 0.0]], [1, 1]) == 0.5``.
    """
    pred_labels, target_labels = _pair(pred, target, "accuracy")
    return float(np.mean(pred_labels == target_labels))


def confusion_matrix(pred: Any, target: Any, num_classes: int) -> np.ndarray:
    """Counts of (true class, predicted class) pairs, shape (num_classes, num_classes).

    Row ``i`` holds the samples whose target is ``i``, column ``j`` those
    predicted as ``j``: the diagonal counts the correct predictions and
    ``cm.sum(axis=1)`` is the number of samples per true class. int64.
    """
    pred_labels, target_labels = _pair(pred, target, "confusion_matrix")
    if num_classes < 1:
        raise ValueError(f"confusion_matrix: num_classes must be >= 1, got {num_classes}")
    for what, labels in (("pred", pred_labels), ("target", target_labels)):
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(
                f"confusion_matrix: {what} labels must be integers, got {labels.dtype}"
            )
        outside = labels[(labels < 0) | (labels >= num_classes)]
        if outside.size:
            raise ValueError(
                f"confusion_matrix: {what} label {outside[0]} is outside 0..{num_classes - 1}"
            )
    pairs = target_labels.astype(np.int64) * num_classes + pred_labels
    counts = np.bincount(pairs, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)
