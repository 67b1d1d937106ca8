"""Tensor creation, dtype rules, properties and NumPy interop."""

import numpy as np
import pytest

import autograd as ag


@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([[1.0, 2.0], [3.0, 4.0]], np.float32), ([1, 2.5], np.float32),
    (3, np.int64), ([1, 2], np.int64), (True, np.bool_), ([True, False], np.bool_),
])
def test_python_data_becomes_float32_int64_or_bool_as_torch_tensor(data, dtype):
    assert ag.tensor(data).dtype == dtype


@pytest.mark.parametrize("data", [1.5, [1, 2.5], 3, [1, 2], True, [True, False]])
def test_python_data_dtypes_agree_with_torch(data):
    torch = pytest.importorskip("torch")
    assert ag.tensor(data).dtype.name == str(torch.tensor(data).dtype).replace("torch.", "")


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int64, np.uint8, np.bool_])
def test_ndarrays_keep_their_dtype(dtype):
    assert ag.Tensor(np.zeros(3, dtype=dtype)).dtype == dtype


def test_explicit_dtype_wins():
    assert ag.tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_properties_follow_numpy():
    t = ag.Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3, 4), 3, 24, 2)
    assert t.T.shape == (4, 3, 2)
    np.testing.assert_array_equal(t.T.data, np.arange(24.0).reshape(2, 3, 4).T)


def test_leaving_the_graph():
    t = ag.tensor([[1.0, 2.0]], requires_grad=True)
    assert isinstance(t.numpy(), np.ndarray)
    assert t.tolist() == [[1.0, 2.0]]
    np.testing.assert_array_equal(np.asarray(t), np.array([[1.0, 2.0]], dtype=np.float32))
    assert ag.tensor([3.5]).item() == 3.5
    with pytest.raises(ValueError, match=r"item: only one-element tensors.*\(1, 2\)"):
        t.item()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        ag.Tensor(np.arange(3), requires_grad=True)


def test_comparisons_are_boolean_and_not_differentiable():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    result = x > 1.5
    assert result.dtype == np.bool_ and not result.requires_grad
    np.testing.assert_array_equal(result.data, [False, True, True])
    np.testing.assert_array_equal((x == ag.tensor([1.0, 0.0, 3.0])).data, [True, False, True])
    np.testing.assert_array_equal((x <= 2).data, [True, True, False])
    np.testing.assert_array_equal((x != 2).data, [True, False, True])


def test_python_scalars_and_float64_constants_do_not_upcast_float32():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert (x * 2.5).dtype == np.float32
    assert (x + np.array([1.0, 2.0])).dtype == np.float32
    assert (3 - x).dtype == np.float32
    assert (2.0**x).dtype == np.float32


def test_tensor_tensor_arithmetic_promotes_like_numpy():
    a = ag.Tensor(np.ones(2, dtype=np.float32))
    b = ag.Tensor(np.ones(2, dtype=np.float64))
    assert (a + b).dtype == np.float64


def test_reflected_operators_with_ndarrays():
    x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x + np.array([1.0, 1.0]) - x / np.array([2.0, 4.0])
    assert isinstance(y, ag.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0 - 0.5, 4.0 - 0.25])


def test_rmatmul_with_ndarray():
    x = ag.Tensor(np.eye(2), requires_grad=True)
    y = np.array([[1.0, 2.0]]) @ x
    np.testing.assert_array_equal(y.data, [[1.0, 2.0]])


@pytest.mark.parametrize(
    "factory, expected",
    [
        (lambda: ag.zeros(2, 3), np.zeros((2, 3))),
        (lambda: ag.ones((2,)), np.ones(2)),
        (lambda: ag.full((2, 2), 7.0), np.full((2, 2), 7.0)),
        (lambda: ag.eye(3), np.eye(3)),
        (lambda: ag.arange(4.0), np.arange(4.0)),
        (lambda: ag.arange(1, 2, 0.25), np.arange(1, 2, 0.25)),
        (lambda: ag.zeros_like(ag.ones(2, 2)), np.zeros((2, 2))),
        (lambda: ag.ones_like(np.zeros(3)), np.ones(3)),
    ],
)
def test_factories_make_float32_values(factory, expected):
    t = factory()
    np.testing.assert_array_equal(t.data, expected)
    if t.dtype != np.float64:
        assert t.dtype == np.float32


def test_random_factories_follow_numpy_seed():
    ag.manual_seed(3)
    a = ag.randn(2, 3, requires_grad=True)
    np.random.seed(3)
    np.testing.assert_array_equal(a.data, np.random.randn(2, 3).astype(np.float32))
    assert a.requires_grad and a.dtype == np.float32
    r = ag.rand(1000)
    assert 0 <= r.data.min() and r.data.max() < 1


def test_repr_shows_values_dtype_and_grad_fn():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "Tensor([1., 2.], dtype=float32, requires_grad=True)"
    assert "grad_fn=<tanh>" in repr(x.tanh())


def test_len_of_0d_tensor_is_an_error():
    with pytest.raises(TypeError, match="0-d"):
        len(ag.tensor(1.0))


def test_iteration_yields_rows():
    rows = list(ag.Tensor(np.arange(6.0).reshape(3, 2)))
    assert [r.tolist() for r in rows] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
