"""Losses on pairs with a margin, as PyTorch: cosine_embedding_loss and margin_ranking_loss.

Composed from engine ops. Their hinge is PyTorch's ``clamp_min(0)``: at exactly 0 the
gradient passes (as ``clip``). Inputs must have equal shapes (PyTorch broadcasts some);
``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"`` (one loss per pair).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd import capturing
from autograd.tensor import Tensor
from nn.functional.loss import _check_reduction, _first_bad, _floating_input, _like, _reduce

__all__ = ["cosine_embedding_loss", "margin_ranking_loss"]

# Added to each squared norm, as PyTorch: two zero vectors have cosine 0, not NaN. PyTorch
# stores its 1e-12 as a float32 constant; the same value gives the same gradients there.
COSINE_EPSILON = float(np.float32(1e-12))


def _check_margin(name: str, margin: float, limit: float = math.inf) -> float:
    if not (isinstance(margin, (int, float, np.integer, np.floating)) and -limit <= margin <= limit
            and math.isfinite(margin)):
        bounds = f" in [-{limit:g}, {limit:g}]" if math.isfinite(limit) else ""
        raise ValueError(f"{name}: margin must be a finite number{bounds}, got {margin!r}")
    return float(margin)


def _same_shapes(name: str, **tensors: Tensor) -> None:
    shapes = {tensor.shape for tensor in tensors.values()}
    if len(shapes) > 1:
        described = ", ".join(f"{key} {tensor.shape}" for key, tensor in tensors.items())
        raise ValueError(f"{name}: {described} must all have the same shape")


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0, *,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for pairs labelled 1, max(0, cos(x1, x2) - margin) for pairs labelled -1.

    Shapes: input1, input2 (N, D) with target (N,), or (D,) with a 0-d target. The labels
    must be 1 or -1 (PyTorch gives 0 for any other value: a 0/1 labelling would silently
    train half the pairs). cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)); the target
    gets no gradient.
    """
    name = "cosine_embedding_loss"
    _check_reduction(name, reduction)
    margin = _check_margin(name, margin, limit=1.0)
    input1, input2 = _floating_input(name, input1), _floating_input(name, input2)
    _same_shapes(name, input1=input1, input2=input2)
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if input1.ndim not in (1, 2) or labels.shape != input1.shape[:-1]:
        raise ValueError(f"{name}: expected inputs (N, D) with a target (N,), or inputs (D,) "
                         f"with a 0-d target; got inputs {input1.shape} and target "
                         f"{labels.shape}")
    if labels.dtype.kind not in "biuf":
        raise TypeError(f"{name}: target must hold numbers 1 or -1, got dtype {labels.dtype}")
    # checked and compared in a recorded instruction: a captured step uses each call's labels
    similar = capturing.call(_similar, name, labels)
    dot = (input1 * input2).sum(axis=-1)
    squares = ((input1 * input1).sum(axis=-1) + COSINE_EPSILON) * (
        (input2 * input2).sum(axis=-1) + COSINE_EPSILON)
    cosine = dot / squares.sqrt()
    loss = ag.where(similar, 1 - cosine, (cosine - margin).clip(0, None))
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0, *,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): ``target`` y = 1 ranks input1 higher, -1 input2.

    input1, input2 and target have one shape (any). The target is differentiable, as in
    PyTorch (so its values are not checked; they should be 1 or -1).
    d/dx1 = -y where the hinge is active (>= 0), else 0.
    """
    name = "margin_ranking_loss"
    _check_reduction(name, reduction)
    margin = _check_margin(name, margin)
    input1, input2 = _floating_input(name, input1), _floating_input(name, input2)
    target = _like(target, input1)
    _same_shapes(name, input1=input1, input2=input2, target=target)
    return _reduce((-target * (input1 - input2) + margin).clip(0, None), reduction)


def _similar(name: str, labels: np.ndarray) -> np.ndarray:
    """``labels == 1``, after checking that every label is 1 or -1."""
    wrong = (labels != 1) & (labels != -1)
    if wrong.any():
        where = _first_bad(wrong)
        raise ValueError(f"{name}: target must hold 1 (similar) or -1 (dissimilar), got "
                         f"{labels[where]} at index {where}")
    return labels == 1
