"""``autograd.ops.dual``: the backward formulas' namespace. ``keep`` is ``np.where(mask,
grad, 0)`` (the definition), branchless when the mask has the gradient's shape."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.ops import dual

RNG = np.random.default_rng(3)


def gradient(shape, dtype) -> np.ndarray:
    values = RNG.standard_normal(shape).astype(dtype)
    flat = values.reshape(-1)
    flat[:3] = [np.inf, -np.inf, np.nan][:flat.size]
    return values


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape, mask_shape", [((5, 4), (5, 4)), ((), ()), ((1,), (1,)),
                                               ((3, 4), (4,)), ((2, 3), (2, 1))])
def test_keep_is_where_mask_grad_else_zero_to_the_bit(dtype, shape, mask_shape):
    grad, mask = gradient(shape, dtype), RNG.random(mask_shape) > 0.5
    kept = dual.keep(grad, mask)
    expected = np.where(mask, grad, np.zeros((), dtype))
    assert isinstance(kept, np.ndarray) and kept.shape == expected.shape == shape
    assert kept.dtype == dtype
    np.testing.assert_array_equal(kept.view(f"u{np.dtype(dtype).itemsize}"),
                                  expected.view(f"u{np.dtype(dtype).itemsize}"))


def test_keep_of_a_non_contiguous_gradient():
    grad = gradient((6, 4), np.float64).T
    mask = RNG.random((4, 6)) > 0.5
    np.testing.assert_array_equal(dual.keep(grad, mask), np.where(mask, grad, 0.0))


def test_keep_on_a_tensor_records_a_where():
    grad = ag.tensor([1.0, np.inf, 3.0], requires_grad=True)
    kept = dual.keep(grad * 2, np.array([True, False, True]))
    np.testing.assert_array_equal(kept.data, [2.0, 0.0, 6.0])
    kept.sum().backward()
    np.testing.assert_array_equal(grad.grad.data, [2.0, 0.0, 2.0])
