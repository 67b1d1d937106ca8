"""NumPy functions on Tensors: ``np.exp(t)``, ``np.sum(t, axis=1)``, ``arr += t``.

NumPy hands a call with a Tensor argument to ``Tensor.__array_ufunc__`` (ufuncs:
``np.exp``, ``+`` between an array and a tensor) or ``Tensor.__array_function__``
(``np.sum``, ``np.concatenate``, ...). A NumPy function whose name autograd
exports with the same meaning runs as that differentiable op (``np.exp(t)`` is
``ag.exp(t)``). Anything else runs on the values, when no input requires grad,
and refuses otherwise: silently dropping the graph would be a wrong gradient.
Writing into arrays (``p.data += t``, ``out=`` arrays) works on values.
"""

from __future__ import annotations

import numpy as np

from autograd.tensor import Tensor


def _values(value):
    """``value`` with every Tensor inside (lists and tuples too) replaced by its array."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (list, tuple)):
        return type(value)(_values(part) for part in value)
    if isinstance(value, dict):
        return {key: _values(part) for key, part in value.items()}
    return value


def _needs_grad(value) -> bool:
    if isinstance(value, Tensor):
        return value.requires_grad
    if isinstance(value, (list, tuple)):
        return any(_needs_grad(part) for part in value)
    if isinstance(value, dict):
        return any(_needs_grad(part) for part in value.values())
    return False


def _wrap(result):
    if isinstance(result, np.ndarray):
        return Tensor._make(result)
    if isinstance(result, tuple):
        return tuple(_wrap(part) for part in result)
    return result


def _autograd_function(name: str):
    import autograd

    return getattr(autograd, name) if name in autograd.__all__ else None


def _floating(result) -> bool:
    """True if ``result`` holds floating values (which a gradient could be wanted for)."""
    if isinstance(result, (tuple, list)):
        return any(_floating(part) for part in result)
    return np.asarray(result).dtype.kind in "fc" if isinstance(
        result, (np.ndarray, np.generic, float, complex)) else False


def _on_values(what: str, run, args, suggestion: str):
    """``run`` on the arrays behind ``args``; refused if that would silently cut a gradient.

    Queries (``np.shape``, ``np.isnan``, ``np.argmax``) never carry a gradient and
    always work.
    """
    result = run(*_values(args))
    if _floating(result) and _needs_grad(args):
        raise TypeError(f"{what} on a Tensor that requires grad has no gradient rule here, and "
                        f"running it on the values would silently cut the graph; {suggestion}")
    return _wrap(result)


def array_ufunc(self, ufunc, method: str, *inputs, **kwargs):
    """``Tensor.__array_ufunc__``: NumPy ufuncs (and array-tensor operators) on Tensors."""
    out = kwargs.get("out")
    if out is not None:
        if all(isinstance(o, np.ndarray) for o in out):  # p.data -= lr * p.grad, out=arrays
            kwargs["out"] = out
            return getattr(ufunc, method)(*_values(inputs), **kwargs)
        raise TypeError(f"np.{ufunc.__name__}: out= must be arrays; to change a Tensor in place "
                        "use its in-place methods (t += x, t.mul_(x), t.copy_(x))")
    function = _autograd_function(ufunc.__name__) if method == "__call__" and not kwargs else None
    if function is not None:
        return function(*inputs)
    name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    return _on_values(name, lambda *arrays: getattr(ufunc, method)(*arrays, **_values(kwargs)),
                      inputs, "use an autograd function, or .detach() the tensor first")


def array_function(self, func, types, args, kwargs):
    """``Tensor.__array_function__``: NumPy's functions (``np.sum``, ...) on Tensors."""
    function = _autograd_function(func.__name__)
    if function is not None:
        try:
            return function(*args, **kwargs)
        except TypeError:
            if _needs_grad((args, kwargs)):
                raise
    return _on_values(f"np.{func.__name__}",
                      lambda *arrays: func(*arrays, **_values(kwargs)), args,
                      f"use ag.{func.__name__} if autograd has it, or .detach() the tensor first")
