"""``sort argsort topk argmax argmin`` side by side with NumPy and PyTorch.

NumPy's results for ``ag.sort``/``argsort`` (values; stable), PyTorch's
``(values, indices)`` with ``dim=``/``descending=`` and for ``topk``; the values
are differentiable and their gradients match torch's, ties included.
"""

import numpy as np
import pytest

import autograd as ag
from tests.against_torch import assert_close, assert_matches_torch

torch = pytest.importorskip("torch")


def normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


TIES = np.array([[3.0, 1.0, 3.0, 2.0, 1.0, 3.0], [0.0, 0.0, -1.0, 0.0, 5.0, 5.0]])
AXES = [((7,), -1), ((3, 5), 0), ((3, 5), 1), ((2, 3, 4), -2)]


@pytest.mark.parametrize("shape, axis", AXES, ids=str)
def test_sort_returns_numpy_values_with_torch_gradients(shape, axis):
    values = normal(shape)
    result = ag.sort(ag.Tensor(values), axis=axis)
    assert isinstance(result, ag.Tensor)
    np.testing.assert_array_equal(result.data, np.sort(values, axis=axis))
    assert_matches_torch(lambda x: ag.sort(x, axis), lambda x: torch.sort(x, axis).values,
                         values)
    assert_matches_torch(lambda x: x.sort(axis), lambda x: x.sort(axis).values, values)


@pytest.mark.parametrize("shape, axis", AXES, ids=str)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_with_dim_returns_torch_values_and_indices(shape, axis, descending):
    values = normal(shape, 1)
    ours = ag.Tensor(values).sort(dim=axis, descending=descending)
    theirs = torch.tensor(values).sort(dim=axis, descending=descending)
    assert_close(ours.values, theirs.values)
    assert ours.indices.dtype == np.int64
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    assert_matches_torch(lambda x: x.sort(dim=axis, descending=descending).values,
                         lambda x: x.sort(dim=axis, descending=descending).values, values)


@pytest.mark.parametrize("descending", [False, True])
def test_sort_is_stable_on_ties_and_sends_each_gradient_where_torch_does(descending):
    ours = ag.sort(ag.Tensor(TIES), dim=1, descending=descending)
    theirs = torch.sort(torch.tensor(TIES), dim=1, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    np.testing.assert_array_equal(ag.argsort(ag.Tensor(TIES), descending=descending).data,
                                  theirs.indices.numpy())
    assert_matches_torch(lambda x: ag.sort(x, dim=1, descending=descending).values,
                         lambda x: torch.sort(x, dim=1, descending=descending, stable=True).values,
                         TIES)


def test_nan_sorts_as_the_largest_value_as_numpy_and_torch():
    values = np.array([2.0, np.nan, -1.0, np.inf, 0.0])
    np.testing.assert_array_equal(ag.sort(ag.Tensor(values)).data, np.sort(values))
    for descending in (False, True):
        ours = ag.Tensor(values).sort(dim=0, descending=descending)
        theirs = torch.tensor(values).sort(dim=0, descending=descending)
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())


def test_sort_without_axis_sorts_the_flattened_tensor_and_never_in_place():
    values = normal((3, 4), 2)
    x = ag.Tensor(values.copy())
    np.testing.assert_array_equal(ag.sort(x, axis=None).data, np.sort(values, axis=None))
    assert x.sort() is not None
    np.testing.assert_array_equal(x.data, values)  # NumPy's ndarray.sort would sort in place


@pytest.mark.parametrize("shape, axis", AXES, ids=str)
def test_argsort_matches_numpy_stable_and_torch(shape, axis):
    values = np.round(normal(shape, 3), 1)  # ties
    ours = ag.Tensor(values).argsort(axis)
    assert ours.dtype == np.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.data, np.argsort(values, axis, kind="stable"))
    np.testing.assert_array_equal(ag.argsort(ag.Tensor(values), dim=axis).data,
                                  torch.argsort(torch.tensor(values), dim=axis,
                                                stable=True).numpy())
    np.testing.assert_array_equal(ag.argsort(ag.Tensor(values), axis=None).data,
                                  np.argsort(values, axis=None, kind="stable"))


@pytest.mark.parametrize("shape, axis", AXES, ids=str)
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch_values_indices_and_gradients(shape, axis, largest):
    values = normal(shape, 4)
    for k in range(shape[axis] + 1):
        ours = ag.topk(ag.Tensor(values), k, axis=axis, largest=largest)
        theirs = torch.topk(torch.tensor(values), k, dim=axis, largest=largest)
        assert_close(ours.values, theirs.values)
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
        assert ours.indices.dtype == np.int64
        assert_matches_torch(lambda x, k=k: x.topk(k, dim=axis, largest=largest).values,
                             lambda x, k=k: x.topk(k, dim=axis, largest=largest).values, values)


def test_unsorted_topk_picks_the_same_values():
    values = normal((4, 9), 5)
    ours = ag.Tensor(values).topk(4, sorted=False)
    np.testing.assert_array_equal(np.sort(ours.values.data, axis=1),
                                  np.sort(values, axis=1)[:, -4:])
    np.testing.assert_array_equal(np.take_along_axis(values, ours.indices.data, 1),
                                  ours.values.data)


def test_topk_on_ties_sends_gradients_to_the_chosen_positions():
    x = ag.Tensor(TIES, requires_grad=True)
    result = x.topk(2, dim=1)
    result.values.sum().backward()
    expected = np.zeros(TIES.shape)
    np.put_along_axis(expected, result.indices.data, 1.0, axis=1)
    np.testing.assert_array_equal(x.grad.data, expected)
    assert_close(result.values, torch.tensor(TIES).topk(2, dim=1).values)


def test_topk_treats_nan_as_largest_as_torch():
    values = np.array([1.0, np.nan, 3.0, -2.0])
    ours, theirs = ag.tensor(values).topk(2), torch.tensor(values).topk(2)
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    assert_close(ours.values, theirs.values)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_and_argmin_match_numpy_and_torch(name):
    values = np.array([[1.0, 5.0, 5.0], [7.0, -1.0, 7.0], [0.0, 0.0, 0.0]])  # ties: first
    x = ag.Tensor(values, requires_grad=True)
    for axis in (None, 0, 1, -1):
        for keepdims in (False, True):
            ours = getattr(x, name)(axis=axis, keepdims=keepdims)
            assert ours.dtype == np.int64 and not ours.requires_grad
            np.testing.assert_array_equal(ours.data, getattr(np, name)(values, axis=axis,
                                                                       keepdims=keepdims))
            theirs = getattr(torch.tensor(values), name)(dim=axis, keepdim=keepdims)
            np.testing.assert_array_equal(getattr(ag, name)(x, dim=axis, keepdim=keepdims).data,
                                          theirs.numpy())
