"""Comparisons: ``< <= > >= == !=``. Their results are boolean tensors outside the graph."""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.ops import dual
from autograd.tensor import Tensor

__all__ = ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal"]


def _comparison(ufunc, symbol: str):
    def compare(a, b) -> Tensor:
        x, y = dual.constant(a), dual.constant(b)
        try:
            return Tensor._make(np.asarray(capturing.call(ufunc, x, y)))
        except ValueError:
            raise ValueError(f"{ufunc.__name__}: shapes {np.shape(x)} and {np.shape(y)} "
                             "cannot be broadcast together") from None

    compare.__name__ = compare.__qualname__ = ufunc.__name__
    compare.__doc__ = f"``a {symbol} b`` elementwise with broadcasting (a boolean tensor)."
    return compare


less = _comparison(np.less, "<")
less_equal = _comparison(np.less_equal, "<=")
greater = _comparison(np.greater, ">")
greater_equal = _comparison(np.greater_equal, ">=")
equal = _comparison(np.equal, "==")
not_equal = _comparison(np.not_equal, "!=")
