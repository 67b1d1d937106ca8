"""NumPy functions on Tensors: differentiable where autograd has the op, refused where a
gradient would be silently lost, plain values otherwise."""

import numpy as np
import pytest

import autograd as ag


def leaf(values):
    return ag.Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("call, derivative", [
    (np.exp, np.exp),
    (np.tanh, lambda v: 1 - np.tanh(v) ** 2),
    (lambda t: np.maximum(t, 0.0), lambda v: (v > 0).astype(float)),
    (lambda t: np.sum(t * t), lambda v: 2 * v),
    (lambda t: np.mean(t, axis=0), lambda v: np.full_like(v, 1 / len(v))),
    (lambda t: np.concatenate([t, t]), lambda v: np.full_like(v, 2.0)),
    (lambda t: np.where(np.array([True, False, True]), t, 0.0),
     lambda v: np.array([1.0, 0.0, 1.0])),
])
def test_numpy_functions_on_tensors_are_differentiable(call, derivative):
    values = np.array([0.5, -1.5, 2.0])
    x = leaf(values)
    out = call(x)
    assert isinstance(out, ag.Tensor) and out.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, derivative(values), rtol=1e-12)


def test_array_plus_tensor_is_a_tensor_in_the_graph():
    x = leaf([1.0, 2.0])
    out = np.array([10.0, 20.0]) * x
    assert isinstance(out, ag.Tensor) and out.grad_fn is not None


def test_writing_into_an_array_uses_the_values():
    target = np.zeros(2)
    target += leaf([1.0, 2.0])
    np.testing.assert_array_equal(target, [1.0, 2.0])


def test_queries_work_on_tensors_that_require_grad():
    x = leaf([[1.0, np.nan], [3.0, 4.0]])
    assert np.shape(x) == (2, 2) and np.ndim(x) == 2
    assert np.isnan(x).tolist() == [[False, True], [False, False]]
    assert int(np.argmax(ag.tensor([1.0, 5.0, 2.0]))) == 1


def test_a_numpy_function_without_a_gradient_rule_is_refused_on_grad_tensors():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"np.diff .* would silently cut the graph"):
        np.diff(x)
    np.testing.assert_array_equal(np.diff(x.detach()).data, [1.0, 1.0])
