"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (in place, as PyTorch)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from autograd import Tensor


def _with_grad(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise ValueError(f"gradient clipping expects Tensors, but parameter {i} "
                             f"is a {type(param).__name__}")
    return [param for param in params if param.grad is not None]


def _replace_grad_data(param: Tensor, data: np.ndarray) -> None:
    # The .grad Tensor is changed in place (whoever holds it sees the new values), but its
    # array is replaced, not written into: the engine may share one array between leaves.
    param.grad.data = data


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> float:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients concatenated into one vector
    (``math.inf`` gives the largest absolute entry), computed in float64. If it exceeds
    ``max_norm``, every gradient is multiplied by ``max_norm / (total_norm + 1e-6)``.
    Parameters without a gradient are skipped. Returns the total norm before clipping as a
    float (0.0 when no parameter has a gradient).

    Example::

        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    """
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type!r}")
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm!r}")
    params = _with_grad(parameters)
    if sum(param.grad.data.size for param in params) == 0:
        return 0.0
    flat = np.concatenate([param.grad.data.ravel() for param in params]).astype(np.float64)
    total_norm = float(np.linalg.norm(flat, ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total_norm):
        raise RuntimeError(f"clip_grad_norm_: the total {norm_type}-norm of the gradients is "
                           f"{total_norm}, so they cannot be clipped "
                           "(pass error_if_nonfinite=False to clip anyway)")
    clip_coef = float(max_norm) / (total_norm + 1e-6)
    if not clip_coef >= 1:
        for param in params:
            _replace_grad_data(param, param.grad.data * clip_coef)
    return total_norm


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient entry to ``[-clip_value, clip_value]``, in place.

    Example: ``nn.utils.clip_grad_value_(model.parameters(), 0.5)``.
    """
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    for param in _with_grad(parameters):
        _replace_grad_data(param, np.clip(param.grad.data, -clip_value, clip_value))
