"""Gathering, scattering, masks, index lists and padding modes against NumPy and PyTorch.

Forward values and gradients (float64, a random upstream gradient) are compared
with torch's; NumPy gives the forward where NumPy defines the op.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from tests.test_movement import against_torch, needs_torch, normal

RNG = np.random.default_rng(7)


# ------------------------------------------------------------------ take_along_axis, gather


@pytest.mark.parametrize("shape, index_shape, axis", [
    ((3, 5), (3, 4), 1), ((3, 5), (6, 5), 0), ((2, 3, 4), (2, 3, 2), -1),
    ((2, 3, 4), (2, 1, 4), 1), ((5,), (8,), 0),
])
def test_take_along_axis_matches_numpy_and_torch_take_along_dim(shape, index_shape, axis):
    torch = needs_torch()
    x = normal(*shape)
    indices = RNG.integers(0, shape[axis], index_shape)  # repeats: gradients accumulate
    np.testing.assert_array_equal(ag.take_along_axis(ag.Tensor(x), indices, axis).data,
                                  np.take_along_axis(x, indices, axis))
    against_torch(lambda t: ag.take_along_axis(t, indices, axis=axis),
                  lambda t: torch.take_along_dim(t, torch.tensor(indices), dim=axis), x)


def test_take_along_axis_broadcasts_and_takes_negative_indices_as_numpy():
    x = normal(1, 5)
    indices = np.array([[-1, 0], [2, -5], [4, 4]])
    np.testing.assert_array_equal(ag.take_along_axis(ag.Tensor(x), indices, 1).data,
                                  np.take_along_axis(x, indices, 1))
    flat = np.array([5, 0, 5])
    np.testing.assert_array_equal(ag.take_along_axis(ag.Tensor(normal(2, 3)), flat, None).shape,
                                  (3,))


def test_take_along_axis_gradient_accumulates_repeated_indices():
    x = ag.Tensor(np.zeros((2, 3)), requires_grad=True)
    ag.take_along_axis(x, np.array([[1, 1, 1], [0, 2, 0]]), 1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 3, 0], [2, 0, 1]])


@pytest.mark.parametrize("shape, index_shape, dim", [
    ((3, 5), (3, 4), 1), ((3, 5), (2, 3), 1), ((4, 3), (6, 2), 0), ((2, 3, 4), (1, 2, 5), 2),
    ((2, 3, 4), (2, 3, 4), -2),
])
def test_gather_matches_torch_with_a_smaller_index_and_repeats(shape, index_shape, dim):
    torch = needs_torch()
    index = RNG.integers(0, shape[dim], index_shape)
    against_torch(lambda t: t.gather(dim, index),
                  lambda t: torch.gather(t, dim, torch.tensor(index)), normal(*shape))


def test_gather_takes_an_integer_tensor_index():
    x = ag.Tensor(normal(3, 4))
    index = ag.tensor([[0], [3], [1]])
    np.testing.assert_array_equal(ag.gather(x, 1, index).data,
                                  np.take_along_axis(x.data, index.data, 1))


# ------------------------------------------------------------------ scatter, scatter_add


def distinct_index(shape, dim, rows):
    """An index whose entries along ``dim`` never repeat within a line (shape ``rows``)."""
    order = np.argsort(RNG.random(shape), axis=dim)
    return order[tuple(slice(0, n) for n in rows)]


@pytest.mark.parametrize("shape, index_shape, dim", [
    ((3, 5), (3, 2), 1), ((4, 3), (2, 3), 0), ((2, 3, 4), (2, 2, 3), 2), ((4, 3), (2, 2), 0),
])
def test_scatter_matches_torch(shape, index_shape, dim):
    torch = needs_torch()
    index = distinct_index(shape, dim, index_shape)
    against_torch(lambda x, src: x.scatter(dim, index, src),
                  lambda x, src: x.scatter(dim, torch.tensor(index), src),
                  normal(*shape), normal(*index_shape))
    against_torch(lambda x: ag.scatter(x, dim, index, 2.5),
                  lambda x: torch.scatter(x, dim, torch.tensor(index), 2.5), normal(*shape))


def test_scatter_from_a_larger_src_uses_its_leading_block():
    """Forward as torch; src's gradient is gather(grad) on index's block, zero elsewhere
    (torch's own backward fails on a larger src, so the formula is the reference)."""
    torch = needs_torch()
    x, src = normal(4, 3), normal(3, 4)
    index = distinct_index((4, 3), 0, (2, 3))
    ours_src = ag.Tensor(src, requires_grad=True)
    out = ag.scatter(ag.Tensor(x), 0, index, ours_src)
    expected = torch.tensor(x).scatter(0, torch.tensor(index), torch.tensor(src)).numpy()
    np.testing.assert_array_equal(out.data, expected)
    upstream = normal(4, 3)
    out.backward(ag.Tensor(upstream))
    grad_src = np.zeros((3, 4))
    grad_src[:2, :3] = np.take_along_axis(upstream, index, 0)
    np.testing.assert_array_equal(ours_src.grad.data, grad_src)


@pytest.mark.parametrize("shape, index_shape, src_shape, dim", [
    ((3, 5), (3, 7), (3, 7), 1), ((4, 3), (9, 2), (9, 2), 0), ((2, 3, 4), (2, 3, 6), (2, 3, 6), -1),
])
def test_scatter_add_matches_torch_with_repeated_indices(shape, index_shape, src_shape, dim):
    torch = needs_torch()
    index = RNG.integers(0, shape[dim], index_shape)
    against_torch(lambda x, src: x.scatter_add(dim, index, src),
                  lambda x, src: x.scatter_add(dim, torch.tensor(index), src),
                  normal(*shape), normal(*src_shape))


def test_scatter_add_sums_repeated_positions():
    out = ag.scatter_add(ag.zeros(3), 0, np.array([0, 2, 0, 0]), ag.tensor([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(out.data, [8.0, 0.0, 2.0])


def test_scatter_leaves_the_input_unchanged():
    x = ag.zeros(2, 3)
    ag.scatter(x, 1, np.array([[2], [0]]), 1.0)
    np.testing.assert_array_equal(x.data, np.zeros((2, 3)))


# ------------------------------------------------------------------ masked_fill, index_select


@pytest.mark.parametrize("shape, mask_shape", [((3, 4), (3, 4)), ((2, 3, 4), (3, 1)),
                                               ((2, 3), ()), ((4,), (4,))])
def test_masked_fill_matches_torch(shape, mask_shape):
    torch = needs_torch()
    mask = RNG.random(mask_shape) < 0.5
    against_torch(lambda x: x.masked_fill(mask, -1.5),
                  lambda x: x.masked_fill(torch.tensor(mask), -1.5), normal(*shape))
    against_torch(lambda x, v: x.masked_fill(mask, v),
                  lambda x, v: x.masked_fill(torch.tensor(mask), v), normal(*shape), normal())


def test_causal_mask_with_minus_infinity_then_softmax_as_in_nanogpt():
    torch = needs_torch()
    T = 4
    mask = np.tril(np.ones((T, T))) == 0
    against_torch(lambda att: att.masked_fill(ag.Tensor(mask), float("-inf")).softmax(axis=-1),
                  lambda att: att.masked_fill(torch.tensor(mask), float("-inf")).softmax(-1),
                  normal(2, T, T))


@pytest.mark.parametrize("shape, dim, index", [((4, 3), 0, [3, 0, 0, 2]), ((2, 5), 1, [4]),
                                               ((2, 3, 4), -1, [1, 1, 3]), ((3,), 0, [])])
def test_index_select_matches_torch(shape, dim, index):
    torch = needs_torch()
    against_torch(lambda x: x.index_select(dim, np.array(index, dtype=np.int64)),
                  lambda x: x.index_select(dim, torch.tensor(index, dtype=torch.int64)),
                  normal(*shape))


# ------------------------------------------------------------------ nonzero


def test_nonzero_is_numpys_tuple_of_int64_index_tensors():
    torch = needs_torch()
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    ours = ag.Tensor(x).nonzero()
    assert isinstance(ours, tuple) and all(i.dtype == np.int64 for i in ours)
    for mine, numpy_index, torch_index in zip(ours, np.nonzero(x),
                                              torch.nonzero(torch.tensor(x), as_tuple=True)):
        np.testing.assert_array_equal(mine.data, numpy_index)
        np.testing.assert_array_equal(mine.data, torch_index.numpy())
    np.testing.assert_array_equal(ag.nonzero(x, as_tuple=False).data,
                                  torch.nonzero(torch.tensor(x)).numpy())


def test_nonzero_indices_index_the_tensor():
    x = ag.Tensor(np.array([[0.0, 1.5], [2.0, 0.0]]), requires_grad=True)
    picked = x[ag.nonzero(x)]
    np.testing.assert_array_equal(picked.data, [1.5, 2.0])
    picked.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0], [1.0, 0.0]])
    assert not ag.nonzero(x)[0].requires_grad


# ------------------------------------------------------------------ pad modes

TORCH_PAD_MODES = {"reflect": "reflect", "edge": "replicate", "wrap": "circular"}


@pytest.mark.parametrize("mode", ["reflect", "edge", "wrap", "constant"])
def test_pad_modes_match_torch(mode):
    torch = needs_torch()
    x = normal(2, 3, 4, 5)
    widths = ((0, 0), (0, 0), (1, 3), (2, 0))  # torch: (left, right, top, bottom) of the last two
    torch_mode = TORCH_PAD_MODES.get(mode, "constant")
    against_torch(lambda t: ag.pad(t, widths, mode=mode),
                  lambda t: torch.nn.functional.pad(t, (2, 0, 1, 3), mode=torch_mode), x)


@pytest.mark.parametrize("mode", ["reflect", "symmetric", "edge", "wrap", "constant"])
@pytest.mark.parametrize("shape, widths", [((3,), (5, 7)), ((1, 4), 2), ((2, 3), ((0, 4), (3, 1))),
                                           ((), 2)])
def test_pad_modes_match_numpy_even_beyond_the_axis_size(mode, shape, widths):
    x = normal(*shape)
    np.testing.assert_array_equal(ag.pad(ag.Tensor(x), widths, mode=mode).data,
                                  np.pad(x, widths, mode=mode))


def test_pad_gradient_adds_every_copy_to_its_source():
    x = ag.Tensor(np.zeros(3), requires_grad=True)
    ag.pad(x, (2, 1), mode="reflect").sum().backward()  # [2, 1, | 0, 1, 2, | 1]
    np.testing.assert_array_equal(x.grad.data, [1.0, 3.0, 2.0])
    x.grad = None
    ag.pad(x, (2, 2), mode="wrap").sum().backward()  # [1, 2, | 0, 1, 2, | 0, 1]
    np.testing.assert_array_equal(x.grad.data, [2.0, 3.0, 2.0])
