"""``prod any all cumsum cumprod norm`` side by side with PyTorch and NumPy.

Products are checked where the input has zeros (one, two, all), to second
order: their gradients must be exact there, not 0/0. Norms follow
``np.linalg.norm`` (values) and PyTorch (gradients, 0 at a zero vector).
"""

import numpy as np
import pytest

import autograd as ag
from tests.against_torch import assert_close, assert_matches_torch

torch = pytest.importorskip("torch")


def normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def with_zeros(shape, positions, seed=0):
    values = normal(shape, seed)
    for position in positions:
        values[position] = 0.0
    return values


ZERO_PATTERNS = {
    "no-zero": [],
    "one-zero": [(0, 2)],
    "two-zeros-in-a-line": [(1, 1), (1, 3)],
    "three-zeros": [(0, 0), (0, 2), (0, 4)],
    "zeros-everywhere": [(i, j) for i in range(3) for j in range(5)],
}


@pytest.mark.parametrize("pattern", ZERO_PATTERNS)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_prod_matches_torch_to_second_order_with_zeros(pattern, axis):
    values = with_zeros((3, 5), ZERO_PATTERNS[pattern])
    if axis is None:
        assert_matches_torch(ag.prod, torch.prod, values)
    else:
        assert_matches_torch(lambda x: x.prod(axis=axis), lambda x: x.prod(dim=axis), values)
        assert_matches_torch(lambda x: x.prod(dim=axis, keepdim=True),
                             lambda x: x.prod(dim=axis, keepdim=True), values)


@pytest.mark.parametrize("axes", [(0, 2), (1, 2), (0, 1, 2), ()])
def test_prod_over_several_axes_matches_torch_on_the_merged_axes(axes):
    values = with_zeros((2, 3, 4), [(0, 1, 1), (1, 2, 3), (1, 0, 3)])
    kept = [a for a in range(3) if a not in axes]

    def theirs(x):
        merged = x.permute(*kept, *axes).reshape(*[x.shape[a] for a in kept], -1)
        return merged.prod(dim=-1)

    assert_matches_torch(lambda x: x.prod(axis=axes), theirs, values)


def test_prod_gradient_with_a_single_zero_is_the_product_of_the_others():
    x = ag.Tensor(np.array([2.0, 0.0, 3.0, -1.0]), requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, -6.0, 0.0, 0.0])


def test_prod_of_integers_and_booleans_is_int64_as_numpy():
    ints = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    assert ag.Tensor(ints).prod().dtype == np.prod(ints).dtype == np.int64
    np.testing.assert_array_equal(ag.Tensor(ints).prod(axis=1).data, [6, 120])
    assert ag.tensor([True, False]).prod().item() == 0
    assert ag.Tensor(ints).prod(dtype=np.float64).dtype == np.float64


INTEGER_DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64,
                  np.uint8, np.uint16, np.uint32, np.uint64]


@pytest.mark.parametrize("dtype", INTEGER_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), ((0, 2), True)])
def test_sum_of_every_integer_dtype_has_numpy_dtype_and_values(dtype, axis, keepdims):
    # values near each type's top: a sum kept in the input's type would overflow
    top = 1 if dtype == np.bool_ else np.iinfo(dtype).max
    values = np.full((3, 2, 4), top, dtype=dtype)
    values[0, 0, 0] = 0
    ours = ag.Tensor(values).sum(axis=axis, keepdims=keepdims)
    expected = np.sum(values, axis=axis, keepdims=keepdims)
    assert ours.dtype == expected.dtype
    assert ours.dtype == (np.uint64 if np.dtype(dtype).kind == "u" else np.int64)
    np.testing.assert_array_equal(ours.data, expected)


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_and_all_match_numpy_and_torch(name):
    values = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [2.0, 3.0, -1.0]])
    x = ag.Tensor(values, requires_grad=True)
    for axis in (None, 0, 1, -1, (0, 1)):
        result = getattr(x, name)(axis=axis)
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.data, getattr(np, name)(values, axis=axis))
        np.testing.assert_array_equal(getattr(ag, name)(x, axis, keepdims=True).data,
                                      getattr(np, name)(values, axis, keepdims=True))
    for dim in (0, 1):
        np.testing.assert_array_equal(getattr(x, name)(dim=dim, keepdim=True).data,
                                      getattr(torch.tensor(values), name)(dim=dim, keepdim=True))


# ------------------------------------------------------------------ scans


@pytest.mark.parametrize("shape, axis", [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -1),
                                         ((2, 3, 4), -2)])
def test_cumsum_matches_torch(shape, axis):
    assert_matches_torch(lambda x: x.cumsum(axis), lambda x: x.cumsum(axis), normal(shape))
    assert_matches_torch(lambda x: ag.cumsum(x, dim=axis), lambda x: torch.cumsum(x, dim=axis),
                         normal(shape, 1))


def test_cumsum_and_cumprod_without_axis_scan_the_flattened_tensor_as_numpy():
    values = normal((2, 3))
    for name in ("cumsum", "cumprod"):
        result = getattr(ag, name)(ag.Tensor(values))
        assert result.shape == (6,)
        np.testing.assert_allclose(result.data, getattr(np, name)(values), rtol=1e-15)
        assert_matches_torch(getattr(ag, name),
                             lambda x, name=name: getattr(torch, name)(x.reshape(-1), 0), values)
    assert ag.cumsum(ag.tensor(5.0)).shape == (1,) == np.cumsum(np.float32(5.0)).shape


def test_scans_of_integers_accumulate_in_64_bits_as_numpy():
    small = np.array([100, 100, 100], dtype=np.int8)
    assert ag.Tensor(small).cumsum().tolist() == [100, 200, 300]
    assert ag.Tensor(small).cumsum().dtype == np.cumsum(small).dtype
    assert ag.tensor([True, True]).cumsum().tolist() == [1, 2]
    assert ag.Tensor(small).cumprod(dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("pattern", ZERO_PATTERNS)
@pytest.mark.parametrize("axis", [0, 1])
def test_cumprod_matches_torch_to_second_order_with_zeros(pattern, axis):
    values = with_zeros((3, 5), ZERO_PATTERNS[pattern], seed=2)
    assert_matches_torch(lambda x: x.cumprod(axis), lambda x: x.cumprod(axis), values)


def test_cumprod_second_derivatives_with_zeros_match_finite_differences():
    rng = np.random.default_rng(3)
    for trial in range(10):
        values = rng.standard_normal((2, 7))
        values[rng.random((2, 7)) < 0.3] = 0.0
        x = ag.Tensor(values, requires_grad=True)
        assert ag.gradgradcheck(lambda t: ag.cumprod(t, axis=1), (x,)), trial
        assert ag.gradgradcheck(lambda t: ag.prod(t, axis=1), (x,)), trial


# ------------------------------------------------------------------ norms

VECTOR_ORDS = [None, 2, 1, 3, 0.5, 1.5, np.inf, -np.inf, -1]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_vector_norms_match_numpy_and_torch(ord, axis, keepdims):
    values = normal((3, 4), 4)
    ours = ag.norm(ag.Tensor(values), ord, axis, keepdims)
    np.testing.assert_allclose(ours.data, np.linalg.norm(values, ord, axis, keepdims), rtol=1e-13)
    p = 2 if ord is None else ord
    assert_matches_torch(lambda x: ag.norm(x, ord, axis, keepdims),
                         lambda x: torch.linalg.vector_norm(x, p, axis, keepdims), values)


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (-1, -2)], ids=str)
def test_matrix_norms_match_numpy_and_torch(ord, axes):
    values = normal((3, 4), 5)
    ours = ag.norm(ag.Tensor(values), ord, axes)
    np.testing.assert_allclose(ours.data, np.linalg.norm(values, ord, axes), rtol=1e-13)
    assert_matches_torch(lambda x: ag.norm(x, ord, axes),
                         lambda x: torch.linalg.matrix_norm(x, "fro" if ord is None else ord,
                                                            axes), values)


@pytest.mark.parametrize("ord", [None, "fro", 1, np.inf])
def test_norm_of_a_batch_of_matrices_keeps_dims_as_numpy(ord):
    values = normal((2, 3, 4), 6)
    for keepdims in (False, True):
        ours = ag.norm(ag.Tensor(values), ord, (2, 1), keepdims)
        np.testing.assert_allclose(ours.data, np.linalg.norm(values, ord, (2, 1), keepdims),
                                   rtol=1e-13)


@pytest.mark.parametrize("ord", [None, 1, np.inf, "fro", -1])
def test_norm_without_axis_is_a_vector_or_matrix_norm_by_dimension_as_numpy(ord):
    for shape in ((5,), (3, 4)):
        if shape == (5,) and ord in ("fro", -1):
            continue
        values = normal(shape, 7)
        np.testing.assert_allclose(ag.norm(ag.Tensor(values), ord).data,
                                   np.linalg.norm(values, ord), rtol=1e-13)
    values = normal((2, 3, 4), 8)
    np.testing.assert_allclose(ag.norm(ag.Tensor(values)).data, np.linalg.norm(values),
                               rtol=1e-13)
    np.testing.assert_allclose(ag.norm(ag.Tensor(values), keepdims=True).data,
                               np.linalg.norm(values, keepdims=True), rtol=1e-13)


def test_norm_of_integers_is_float64_as_numpy():
    result = ag.norm(ag.tensor([3, 4]))
    assert result.dtype == np.float64 and result.item() == 5.0
    assert ag.norm(ag.tensor([0, 2, 0]), 0).item() == 1.0


@pytest.mark.parametrize("ord", [None, 2, 1, 3, 0.5, np.inf, -np.inf])
def test_vector_norm_gradient_at_zero_is_zero_as_torch(ord):
    p = 2 if ord is None else ord
    assert_matches_torch(lambda x: ag.norm(x, ord, axis=1),
                         lambda x: torch.linalg.vector_norm(x, p, dim=1),
                         [[0.0, 0.0, 0.0], [0.0, 1.0, -2.0]], second_order=False)
    x = ag.Tensor(np.zeros(3), requires_grad=True)
    ag.norm(x, ord).backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros(3))


@pytest.mark.parametrize("ord", [None, "fro", 1, np.inf])
def test_matrix_norm_gradient_at_zero_is_zero_as_torch(ord):
    assert_matches_torch(lambda x: ag.norm(x, ord, (0, 1)),
                         lambda x: torch.linalg.matrix_norm(x, "fro" if ord is None else ord),
                         np.zeros((2, 3)), second_order=False)


@pytest.mark.parametrize("p, dim, keepdim", [(2, None, False), ("fro", None, False),
                                             (1, 1, False), (3, (0, 1), True),
                                             (np.inf, 0, False)])
def test_pytorch_norm_spelling_is_the_vector_norm_over_dim(p, dim, keepdim):
    values = normal((3, 4), 9)
    assert_matches_torch(lambda x: x.norm(p=p, dim=dim, keepdim=keepdim),
                         lambda x: x.norm(p=p, dim=dim, keepdim=keepdim), values)
    if dim is not None and p != "fro":
        assert_matches_torch(lambda x: x.norm(p, dim=dim), lambda x: x.norm(p, dim=dim), values)


def test_norm_method_refuses_a_positional_order_where_numpy_and_torch_differ():
    x = ag.Tensor(normal((3, 4)))
    with pytest.raises(TypeError, match=r"norm: x.norm\(1\) on a tensor of 2 dimensions is "
                                        r"ambiguous.*x.norm\(ord=1\).*x.norm\(p=1\)"):
        x.norm(1)
    np.testing.assert_allclose(x.norm(ord=1).data, np.linalg.norm(x.data, 1), rtol=1e-14)
    np.testing.assert_allclose(x.norm(p=1).data, np.abs(x.data).sum(), rtol=1e-14)
    np.testing.assert_allclose(x.norm().data, np.linalg.norm(x.data), rtol=1e-14)
    np.testing.assert_allclose(ag.Tensor(x.data[0]).norm(1).data, np.abs(x.data[0]).sum())


def test_norm_of_tensors_through_numpy_is_differentiable():
    x = ag.Tensor(normal((3, 4)), requires_grad=True)
    (np.linalg.norm(x) + np.prod(x, axis=0).sum() + np.cumsum(x, axis=1).sum()).backward()
    tx = torch.tensor(x.data, requires_grad=True)
    (torch.linalg.norm(tx) + tx.prod(dim=0).sum() + tx.cumsum(1).sum()).backward()
    assert_close(x.grad, tx.grad)
