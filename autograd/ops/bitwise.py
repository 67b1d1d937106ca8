"""Bitwise and logical operators: ``& | ^ ~`` and ``logical_and/or/xor/not``.

None of them is differentiable: their results are integer or boolean tensors
outside the graph. ``& | ^ ~`` take integer and boolean tensors only, as NumPy
(on booleans they are the logical operators); ``logical_*`` take any dtype,
nonzero meaning true. ``&= |= ^=`` change the tensor in place.
"""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.ops.arithmetic import _operands
from autograd.tensor import Tensor, as_tensor

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "invert",
           "logical_and", "logical_or", "logical_xor", "logical_not"]


def _check_integral(name: str, hint: str, *tensors: Tensor) -> None:
    if any(t.dtype.kind not in "biu" for t in tensors):
        dtypes = " and ".join(str(t.dtype) for t in tensors)
        raise TypeError(f"{name}: only integer and boolean tensors are supported (as NumPy), "
                        f"got dtype {dtypes}; {hint}")


def _broadcasting(ufunc, name: str, a: Tensor, b: Tensor) -> Tensor:
    try:
        return Tensor._make(np.asarray(capturing.call(ufunc, a.data, b.data)))
    except ValueError:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast "
                         "together") from None


def _bitwise(ufunc, symbol: str):
    name = ufunc.__name__
    hint = (f"to combine conditions on floats, compare first: (x > 0) {symbol} (y > 0), or use "
            f"logical_{name.split('_')[1]}")

    def function(a, b) -> Tensor:
        a, b = _operands(a, b)
        _check_integral(name, hint, a, b)
        return _broadcasting(ufunc, name, a, b)

    def reflected(self, other) -> Tensor:
        return function(as_tensor(other, like=self), self)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"``a {symbol} b`` elementwise with broadcasting, for integer and "
                        f"boolean tensors, as ``np.{name}``.")
    reflected.__name__ = reflected.__qualname__ = f"r{name}"
    return function, reflected


bitwise_and, rbitwise_and = _bitwise(np.bitwise_and, "&")
bitwise_or, rbitwise_or = _bitwise(np.bitwise_or, "|")
bitwise_xor, rbitwise_xor = _bitwise(np.bitwise_xor, "^")


def invert(x) -> Tensor:
    """``~x``: bitwise not of an integer tensor, logical not of a boolean one (``np.invert``)."""
    x = as_tensor(x)
    _check_integral("bitwise_not", "for a condition on floats use ~(x > 0) or logical_not(x)", x)
    return Tensor._make(np.asarray(capturing.call(np.invert, x.data)))


bitwise_not = invert


def _logical(ufunc):
    name = ufunc.__name__

    def function(a, b) -> Tensor:
        return _broadcasting(ufunc, name, *_operands(a, b))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"Elementwise ``{name.split('_')[1]}`` of truth values (nonzero is true) "
                        f"with broadcasting: a boolean tensor, as ``np.{name}``.")
    return function


logical_and = _logical(np.logical_and)
logical_or = _logical(np.logical_or)
logical_xor = _logical(np.logical_xor)


def logical_not(x) -> Tensor:
    """Elementwise ``not`` (zero becomes True): a boolean tensor, as ``np.logical_not``."""
    return Tensor._make(np.asarray(capturing.call(np.logical_not, as_tensor(x).data)))


def _in_place(function, name: str):
    def method(self, other) -> Tensor:
        result = function(self, other)
        if result.shape != self.shape:
            raise ValueError(f"{name}: the result has shape {result.shape}, which does not fit "
                             f"the tensor of shape {self.shape}")
        try:
            capturing.call(np.copyto, self.data, result.data, casting="same_kind")
        except TypeError:
            raise TypeError(f"{name}: cannot store the {result.dtype} result in the tensor of "
                            f"dtype {self.dtype}") from None
        self._bump_version()
        return self

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In place: ``self = {function.__name__}(self, other)``; returns ``self``."
    return method


iand = _in_place(bitwise_and, "__iand__")
ior = _in_place(bitwise_or, "__ior__")
ixor = _in_place(bitwise_xor, "__ixor__")
