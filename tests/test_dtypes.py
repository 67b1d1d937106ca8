"""Dtype rules: Python ints -> int64, floats -> float32, bools -> bool; integer tensors keep
NumPy's promotion (issue 11 item 7, issue 13 item 3)."""

import numpy as np
import pytest

import autograd as ag


@pytest.mark.parametrize("expression, dtype", [
    (lambda: ag.tensor([1, 2]) + 1, np.int64),
    (lambda: ag.tensor([1, 2]) * 3, np.int64),
    (lambda: ag.tensor([1, 2], dtype=np.int32) - 1, np.int32),
    (lambda: ag.tensor([1, 2]) + 0.5, np.float64),
    (lambda: ag.tensor([1, 2]) / 2, np.float64),
    (lambda: ag.tensor([1.0, 2.0]) * 2, np.float32),
    (lambda: ag.tensor([1.0, 2.0]) + np.float64(1.5), np.float32),
    (lambda: ag.tensor([True, False]) + 1, np.int64),
    (lambda: ag.arange(5) + 1, np.int64),
    (lambda: ag.arange(0.0, 1.0, 0.25), np.float32),
])
def test_results_follow_numpy_promotion_for_integer_tensors(expression, dtype):
    assert expression().dtype == dtype


def test_an_integer_tensor_indexes_a_tensor_after_integer_arithmetic():
    w = ag.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    i = ag.tensor([1, 2])
    rows = w[i - 1]  # makemore's C[X] with shifted indices
    np.testing.assert_array_equal(rows.data, [[1.0, 2.0], [3.0, 4.0]])
    rows.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[1, 1], [1, 1], [0, 0]])


def test_integer_to_a_negative_integer_power_raises_as_numpy():
    with pytest.raises(ValueError, match=r"pow: Integers to negative integer powers"):
        ag.tensor([1, 2]) ** -1


def test_python_int_out_of_range_for_the_tensor_dtype_raises():
    with pytest.raises(OverflowError):
        ag.tensor([1, 2], dtype=np.int8) + 1000


def test_dtype_names_are_numpy_dtypes():
    assert ag.float32 is np.float32 and ag.float64 is np.float64 and ag.long is np.int64
    assert ag.zeros(2, dtype=ag.double).dtype == np.float64
