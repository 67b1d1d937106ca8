"""Comparisons (``< <= > >= == !=``) and tests (``isnan isinf isfinite isclose allclose``).

Their results are boolean tensors outside the graph (``allclose``: a Python bool).
"""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.ops import dual
from autograd.tensor import Tensor

__all__ = ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
           "isnan", "isinf", "isfinite", "isclose", "allclose"]


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


def _test(ufunc, meaning: str):
    def test(x) -> Tensor:
        return Tensor._make(np.asarray(capturing.call(ufunc, dual.constant(x))))

    test.__name__ = test.__qualname__ = ufunc.__name__
    test.__doc__ = (f"True where an element {meaning} (a boolean tensor), "
                    f"as ``np.{ufunc.__name__}``.")
    return test


isnan = _test(np.isnan, "is NaN")
isinf = _test(np.isinf, "is +inf or -inf")
isfinite = _test(np.isfinite, "is neither infinite nor NaN")


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """``|a - b| <= atol + rtol * |b|`` elementwise with broadcasting, as ``np.isclose``."""
    x, y = dual.constant(a), dual.constant(b)
    try:
        return Tensor._make(np.asarray(capturing.call(np.isclose, x, y, rtol=rtol, atol=atol,
                                                      equal_nan=equal_nan)))
    except ValueError:
        raise ValueError(f"isclose: shapes {np.shape(x)} and {np.shape(y)} cannot be broadcast "
                         "together") from None


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True if ``isclose(a, b)`` holds everywhere: a Python bool, as ``np.allclose``."""
    return bool(isclose(a, b, rtol, atol, equal_nan).all())  # refused in a step being recorded
