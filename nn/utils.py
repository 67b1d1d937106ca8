"""Gradient utilities: clipping (``clip_grad_norm_``, ``clip_grad_value_``), flattening
parameters (``parameters_to_vector``, ``vector_to_parameters``) and the one ``zero_grad``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

import autograd as ag
from autograd import Tensor, capturing

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
           "zero_grad"]


def _checked(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise ValueError(f"gradient clipping expects Tensors, but parameter {i} "
                             f"is a {type(param).__name__}")
    return params


def _with_grad(params: list[Tensor]) -> list[Tensor]:
    return [param for param in params if param.grad is not None]


def _replace_grad_data(param: Tensor, data: np.ndarray) -> None:
    # The .grad Tensor is changed in place (whoever holds it sees the new values), but its
    # array is replaced, not written into: the engine may share one array between leaves.
    param.grad.data = data
    param.grad._bump_version()


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> float:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients concatenated into one vector
    (``math.inf`` gives the largest absolute entry), computed in float64. If it exceeds
    ``max_norm``, every gradient is multiplied by ``max_norm / (total_norm + 1e-6)``.
    Parameters without a gradient are skipped. Returns the total norm before clipping as a
    float (0.0 when no parameter has a gradient); inside a step captured by ``ag.capture``,
    as a 0-d Tensor (return it from the step to read it after each call).

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
    # one recorded instruction: a captured step clips in every replay
    total_norm = capturing.call(_clip_norm, _checked(parameters), float(max_norm), norm_type,
                                error_if_nonfinite)
    return Tensor._make(total_norm) if capturing.inside_step() else float(total_norm)


def _clip_norm(params: list[Tensor], max_norm: float, norm_type: float,
               error_if_nonfinite: bool) -> np.ndarray:
    params = _with_grad(params)
    if sum(param.grad.data.size for param in params) == 0:
        return np.asarray(0.0)
    flat = np.concatenate([param.grad.data.ravel() for param in params]).astype(np.float64)
    total_norm = float(np.linalg.norm(flat, ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total_norm):
        raise RuntimeError(f"clip_grad_norm_: the total {norm_type}-norm of the gradients is "
                           f"{total_norm}, so they cannot be clipped "
                           "(pass error_if_nonfinite=False to clip anyway)")
    clip_coef = max_norm / (total_norm + 1e-6)
    if not clip_coef >= 1:
        for param in params:
            _replace_grad_data(param, param.grad.data * clip_coef)
    return np.asarray(total_norm)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient entry to ``[-clip_value, clip_value]``, in place.

    Example: ``nn.utils.clip_grad_value_(model.parameters(), 0.5)``.
    """
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    capturing.call(_clip_values, _checked(parameters), clip_value)  # recorded, as above


def _clip_values(params: list[Tensor], clip_value: float) -> None:
    for param in _with_grad(params):
        _replace_grad_data(param, np.clip(param.grad.data, -clip_value, clip_value))


def zero_grad(parameters: Tensor | Iterable[Tensor], set_to_none: bool = True) -> None:
    """Reset gradients: the one behaviour behind ``Module.zero_grad`` and
    ``Optimizer.zero_grad`` (PyTorch's).

    ``set_to_none=True`` (the default) sets every ``.grad`` to None: the next backward makes
    fresh ones, and optimizers skip a parameter whose gradient is None.  With
    ``set_to_none=False`` each existing gradient Tensor stays the same object and holds
    zeros (a gradient that carries a graph, from ``create_graph=True``, is first replaced
    by a detached one); a parameter without a gradient keeps None.
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    capturing.call(_zero_grad, params, set_to_none)  # one instruction of a captured step


def _zero_grad(params: list[Tensor], set_to_none: bool) -> None:
    for param in params:
        grad = param.grad
        if grad is None:
            continue
        if set_to_none:
            param.grad = None
            continue
        if grad.grad_fn is not None:
            grad = param.grad = grad.detach()
        # a fresh array rather than zeros written into the old one: the engine may hand one
        # gradient array to several leaves, or keep the caller's array of backward(gradient)
        grad.data = np.zeros_like(grad.data)
        grad._bump_version()


def _tensor_list(parameters: Tensor | Iterable[Tensor], what: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise TypeError(f"{what}: expected Tensors, but parameter {i} is a "
                            f"{type(param).__name__}")
    return params


def parameters_to_vector(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D Tensor, in order (differentiable, as
    ``torch.nn.utils.parameters_to_vector``).

    Example: ``flat = nn.utils.parameters_to_vector(model.parameters())`` has
    ``sum(p.size for p in model.parameters())`` entries.
    """
    params = _tensor_list(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    return ag.concatenate([param.reshape(-1) for param in params])


def vector_to_parameters(vec: Tensor, parameters: Tensor | Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place and in order
    (the inverse of :func:`parameters_to_vector`).

    Each parameter keeps its own array and dtype (PyTorch instead makes ``param.data`` a view
    of ``vec``); nothing is recorded in the graph.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got {type(vec).__name__}")
    params = _tensor_list(parameters, "vector_to_parameters")
    needed = sum(param.data.size for param in params)
    if vec.ndim != 1 or vec.data.size != needed:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector of {needed} entries "
                         f"(the parameters' total size), got shape {vec.shape}")
    capturing.call(_copy_slices, vec.data, params)  # a captured step copies each call's vector


def _copy_slices(vec: np.ndarray, params: list) -> None:
    start = 0
    for param in params:
        stop = start + param.data.size
        np.copyto(param.data, vec[start:stop].reshape(param.shape), casting="unsafe")
        param._bump_version()
        start = stop
