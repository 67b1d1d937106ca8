"""nn.functional helpers not covered by the layer tests: one_hot, input wrapping."""

import numpy as np
import pytest

import autograd as ag
from nn import functional as F


def test_one_hot_marks_each_label():
    out = F.one_hot(np.array([[0, 2], [1, 2]]), num_classes=4)
    expected = np.zeros((2, 2, 4), dtype=np.int64)
    for (i, j), label in np.ndenumerate([[0, 2], [1, 2]]):
        expected[i, j, label] = 1
    assert out.dtype == np.int64 and not out.requires_grad
    np.testing.assert_array_equal(out.data, expected)


def test_one_hot_infers_the_number_of_classes():
    assert F.one_hot(ag.Tensor(np.array([3, 0]))).shape == (2, 4)


@pytest.mark.parametrize("labels, classes, error, message", [
    ([0, 5], 3, IndexError, r"one_hot: label 5 at index \(1,\) is out of range \(expected 0..2\)"),
    ([-2], -1, IndexError, r"one_hot: label -2 at index \(0,\) is out of range \(expected >= 0\)"),
    ([0.5], 3, ValueError, r"one_hot: labels must be integers, got 0.5"),
    ([0], 0, ValueError, r"one_hot: num_classes must be positive or -1, got 0"),
])
def test_one_hot_refuses_bad_labels(labels, classes, error, message):
    with pytest.raises(error, match=message):
        F.one_hot(np.array(labels), num_classes=classes)


@pytest.mark.parametrize("function", [F.relu, F.sigmoid, F.tanh, F.gelu, F.leaky_relu,
                                      F.softmax, F.log_softmax])
def test_activations_accept_lists_and_arrays(function):
    out = function([[0.5, -1.0]])
    assert isinstance(out, ag.Tensor) and out.dtype == np.float32 and out.shape == (1, 2)
