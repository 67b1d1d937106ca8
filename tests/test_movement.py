"""Movement and indexing ops against NumPy (forward) and PyTorch (forward and gradients, float64).

Gradients are compared with torch's for a random upstream gradient, so every
Jacobian entry takes part; the finite-difference checks (first and second order)
are the case table's rows (``tests/test_gradcheck_ops.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

RNG = np.random.default_rng(20240613)


def normal(*shape):
    return RNG.standard_normal(shape)


def needs_torch():
    return pytest.importorskip("torch")


def outputs(result) -> tuple:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def against_torch(ours_fn, torch_fn, *arrays, rtol=1e-12, atol=1e-12):
    """Run both on copies of ``arrays`` (float64, requiring grad); compare outputs and gradients."""
    torch = needs_torch()
    ours_in = [ag.Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    ours_out, theirs_out = outputs(ours_fn(*ours_in)), outputs(torch_fn(*theirs_in))
    assert len(ours_out) == len(theirs_out)
    weights = [RNG.standard_normal(tuple(o.shape)) for o in theirs_out]
    for mine, theirs in zip(ours_out, theirs_out):
        np.testing.assert_allclose(mine.data, theirs.detach().numpy(), rtol=rtol, atol=atol)
    sum(((o * w).sum() for o, w in zip(ours_out, weights)), ag.tensor(0.0)).backward()
    sum((o * torch.tensor(w)).sum() for o, w in zip(theirs_out, weights)).backward()
    for mine, theirs in zip(ours_in, theirs_in):
        expected = np.zeros(mine.shape) if theirs.grad is None else theirs.grad.numpy()
        got = np.zeros(mine.shape) if mine.grad is None else mine.grad.data
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ flip, roll, repeat, tile


@pytest.mark.parametrize("shape, dims", [((3, 4), [0]), ((2, 3, 4), [0, 2]), ((2, 3, 4), [-1]),
                                         ((5,), [0]), ((2, 1, 3), [1, 2])])
def test_flip_matches_torch(shape, dims):
    torch = needs_torch()
    against_torch(lambda x: x.flip(dims), lambda x: torch.flip(x, dims), normal(*shape))


def test_flip_without_axis_reverses_every_axis_as_numpy():
    x = normal(2, 3, 4)
    np.testing.assert_array_equal(ag.flip(ag.Tensor(x)).data, np.flip(x))
    np.testing.assert_array_equal(ag.flip(ag.Tensor(x), dims=(0, 2)).data, np.flip(x, (0, 2)))


@pytest.mark.parametrize("shape, shifts, dims", [
    ((5,), 2, 0), ((3, 4), -1, 1), ((3, 4), 7, None), ((2, 3, 4), (1, -2), (0, 2)),
    ((2, 3), (1, 1), (1, 1)),
])
def test_roll_matches_torch(shape, shifts, dims):
    torch = needs_torch()
    against_torch(lambda x: x.roll(shifts, dims), lambda x: torch.roll(x, shifts, dims),
                  normal(*shape))
    np.testing.assert_array_equal(ag.roll(ag.Tensor(np.arange(6.0).reshape(2, 3)), 1).data,
                                  np.roll(np.arange(6.0).reshape(2, 3), 1))


@pytest.mark.parametrize("shape, repeats, axis", [
    ((4,), 3, 0), ((2, 3), 2, 1), ((2, 3), 2, None), ((2, 3), [1, 0, 3], 1),
    ((3, 2), [2, 2, 0], -2), ((), 3, None),
])
def test_repeat_is_numpys_and_matches_torch_repeat_interleave(shape, repeats, axis):
    torch = needs_torch()
    x = normal(*shape)
    np.testing.assert_array_equal(ag.repeat(ag.Tensor(x), repeats, axis).data,
                                  np.repeat(x, repeats, axis))
    counts = torch.tensor(repeats) if isinstance(repeats, list) else repeats
    against_torch(lambda t: t.repeat(repeats, axis=axis),
                  lambda t: torch.repeat_interleave(t, counts, dim=axis), x)
    against_torch(lambda t: t.repeat_interleave(repeats, axis),
                  lambda t: t.repeat_interleave(counts, dim=axis), x)


def test_pytorch_style_repeat_raises_and_names_tile():
    x = ag.ones(2, 3)
    with pytest.raises(TypeError, match=r"x\.repeat\(2, 3\) is PyTorch's tiling.*x\.tile\(2, 3\)"):
        x.repeat(2, 3)
    assert x.repeat(2, axis=1).shape == (2, 6) and x.repeat(2, dim=0).shape == (4, 3)


@pytest.mark.parametrize("shape, reps", [((2, 3), (2, 1)), ((2, 3), (3,)), ((3,), (2, 2)),
                                         ((2, 1, 3), (1, 2, 2)), ((2, 3), (1, 1)), ((), (3,))])
def test_tile_matches_numpy_and_torch(shape, reps):
    torch = needs_torch()
    x = normal(*shape)
    np.testing.assert_array_equal(ag.tile(ag.Tensor(x), reps).data, np.tile(x, reps))
    against_torch(lambda t: t.tile(*reps), lambda t: torch.tile(t, reps), x)
    if len(reps) >= len(shape):  # PyTorch's repeat is tiling
        against_torch(lambda t: ag.tile(t, reps), lambda t: t.repeat(*reps), x)


def test_tile_without_repetition_is_a_copy_not_a_view():
    x = ag.ones(2, 3)
    y = x.tile(1, 1)
    y += 1
    np.testing.assert_array_equal(x.data, np.ones((2, 3)))


# ------------------------------------------------------------------ triangles, diagonals, outer


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (2, 4, 3)])
@pytest.mark.parametrize("k", [-2, -1, 0, 1, 3])
def test_tril_and_triu_match_torch(shape, k):
    torch = needs_torch()
    against_torch(lambda x: x.tril(k), lambda x: torch.tril(x, k), normal(*shape))
    against_torch(lambda x: ag.triu(x, diagonal=k), lambda x: torch.triu(x, diagonal=k),
                  normal(*shape))


def test_tril_of_a_vector_is_numpys_square_matrix():
    x = np.arange(1.0, 4.0)
    np.testing.assert_array_equal(ag.tril(ag.Tensor(x)).data, np.tril(x))
    np.testing.assert_array_equal(ag.triu(ag.Tensor(x), 1).data, np.triu(x, 1))


def test_masked_upper_triangle_gives_zero_gradient_even_for_infinite_upstream():
    x = ag.Tensor(normal(3, 3), requires_grad=True)
    ag.tril(x).backward(ag.Tensor(np.full((3, 3), np.inf)))
    assert np.all(x.grad.data[np.triu_indices(3, 1)] == 0)


@pytest.mark.parametrize("shape, offset, dim1, dim2", [
    ((4, 4), 0, 0, 1), ((3, 5), 2, 0, 1), ((5, 3), -2, 0, 1), ((3, 4), 5, 0, 1),
    ((2, 3, 4), 1, 1, 2), ((2, 3, 4), -1, 2, 0), ((3, 2, 3, 2), 0, -1, 1),
])
def test_diagonal_matches_numpy_and_torch(shape, offset, dim1, dim2):
    torch = needs_torch()
    x = normal(*shape)
    np.testing.assert_array_equal(ag.diagonal(ag.Tensor(x), offset, dim1, dim2).data,
                                  np.diagonal(x, offset, dim1, dim2))
    against_torch(lambda t: t.diagonal(offset, dim1=dim1, dim2=dim2),
                  lambda t: torch.diagonal(t, offset, dim1, dim2), x)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 2)])
def test_trace_matches_torch(shape):
    torch = needs_torch()
    against_torch(lambda x: x.trace(), torch.trace, normal(*shape))


def test_trace_with_offset_and_axes_is_numpys():
    x = normal(2, 3, 4)
    np.testing.assert_allclose(ag.trace(ag.Tensor(x), 1, 1, 2).data, np.trace(x, 1, 1, 2))


def test_outer_matches_torch_and_flattens_as_numpy():
    torch = needs_torch()
    against_torch(ag.outer, torch.outer, normal(3), normal(4))
    a, b = normal(2, 2), normal(3)
    np.testing.assert_allclose(ag.outer(a, ag.Tensor(b)).data, np.outer(a, b))


# ------------------------------------------------------------------ splits


@pytest.mark.parametrize("sections_or_indices", [3, [1, 4], [2, 2, 5], [0], [7]])
def test_numpy_split_matches_numpy_and_torch_tensor_split(sections_or_indices):
    torch = needs_torch()
    x = normal(6, 2)
    pieces = ag.split(ag.Tensor(x), sections_or_indices)
    expected = np.split(x, sections_or_indices)
    assert isinstance(pieces, list) and len(pieces) == len(expected)
    for piece, array in zip(pieces, expected):
        np.testing.assert_array_equal(piece.data, array)
    against_torch(lambda t: ag.split(t, sections_or_indices, axis=0),
                  lambda t: torch.tensor_split(t, sections_or_indices, dim=0), x)


@pytest.mark.parametrize("size, sections", [(7, 3), (2, 4), (5, 5), (0, 2)])
def test_array_split_matches_numpy_and_torch_tensor_split(size, sections):
    torch = needs_torch()
    x = normal(2, size)
    for piece, array in zip(ag.array_split(ag.Tensor(x), sections, 1),
                            np.array_split(x, sections, 1)):
        np.testing.assert_array_equal(piece.data, array)
    against_torch(lambda t: ag.array_split(t, sections, axis=1),
                  lambda t: torch.tensor_split(t, sections, dim=1), x)


@pytest.mark.parametrize("size, split", [(7, 3), (6, 2), (2, 5), (5, [1, 0, 4]), (0, 2)])
def test_split_with_dim_takes_pytorchs_split_sizes(size, split):
    torch = needs_torch()
    x = normal(3, size)
    assert len(ag.Tensor(x).split(split, dim=1)) == len(torch.tensor(x).split(split, dim=1))
    against_torch(lambda t: t.split(split, dim=1), lambda t: t.split(split, dim=1), x)


def test_split_method_needs_the_axis_by_name():
    x = ag.ones(4, 6)
    with pytest.raises(TypeError, match=r"x\.split\(2, axis=1\).*x\.split\(2, dim=1\)"):
        x.split(2, 1)
    assert [p.shape for p in x.split(2, axis=1)] == [(4, 3), (4, 3)]
    assert [p.shape for p in x.split(2, dim=1)] == [(4, 2)] * 3


def test_qkv_split_as_in_nanogpt():
    qkv = ag.Tensor(normal(2, 5, 3 * 4))
    q, k, v = qkv.split(4, dim=2)
    np.testing.assert_array_equal(k.data, qkv.data[..., 4:8])


@pytest.mark.parametrize("size, chunks", [(6, 3), (7, 3), (5, 4), (2, 5), (1, 1), (0, 3)])
def test_chunk_matches_torch(size, chunks):
    torch = needs_torch()
    x = normal(size, 2)
    assert len(ag.chunk(ag.Tensor(x), chunks)) == len(torch.chunk(torch.tensor(x), chunks))
    against_torch(lambda t: t.chunk(chunks), lambda t: t.chunk(chunks), x)
    against_torch(lambda t: ag.chunk(t.T, chunks, dim=1), lambda t: t.T.chunk(chunks, 1), x)


def test_split_pieces_are_views_that_share_the_version_counter():
    x = ag.Tensor(normal(4, 2))
    first, _ = ag.split(x, 2)
    first += 1.0
    assert x._version == first._version == 1


@pytest.mark.parametrize("numpy_call", [
    lambda x: np.flip(x, 0), lambda x: np.roll(x, 1, axis=1), lambda x: np.repeat(x, 2, 1),
    lambda x: np.tile(x, 2), lambda x: np.tril(x, -1), lambda x: np.diagonal(x, 1),
    lambda x: np.trace(x), lambda x: np.split(x, 2, axis=1)[1], lambda x: np.outer(x, x),
    lambda x: np.array_split(x, 2)[0], lambda x: np.take_along_axis(x, np.ones((3, 1), int), 1),
])
def test_numpy_functions_on_tensors_run_the_differentiable_ops(numpy_call):
    values = normal(3, 4)
    x = ag.Tensor(values, requires_grad=True)
    result = numpy_call(x)
    assert isinstance(result, ag.Tensor) and result.requires_grad
    np.testing.assert_array_equal(result.data, numpy_call(values))
