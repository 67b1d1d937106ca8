"""Numerical stability: huge inputs (|x| up to 1e4) give finite, correct values and gradients.

Naive formulas overflow here (``exp(1e4)`` is inf even in float64), so each
reference below is written out in float64 in its stable form: the shift by
the maximum for the softmax family, ``exp(-|x|)`` for the sigmoid. Any NumPy
overflow/invalid warning inside the library is an error.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

pytestmark = pytest.mark.filterwarnings("error")

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: dict(rtol=2e-6, atol=1e-6), np.float64: dict(rtol=1e-13, atol=1e-15)}
HUGE = np.array([-1e4, -88.0, -20.0, -1.0, 0.0, 0.5, 20.0, 90.0, 1e4])
# rows with one huge winner, huge ties, all huge negative, mixed magnitudes
LOGITS = np.array([[1e4, 0.0, -1e4, 1.0],
                   [1e4, 1e4, -3.0, 2.0],
                   [-1e4, -1e4 + 1.0, -1e4 + 2.0, -1e4],
                   [3.0, -2.0, 0.5, 1e-3]])
WEIGHTS = np.array([[0.3, -1.0, 2.0, 0.5],
                    [1.0, 0.25, -0.5, 1.5],
                    [-2.0, 1.0, 0.5, 0.75],
                    [0.1, 0.2, 0.3, 0.4]])


def ref_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def ref_logsumexp(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def ref_log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)  # exact; subtracting logsumexp would round at 1e4
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def ref_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def forward_and_gradient(fn, values, weights, dtype):
    """``fn(x)`` and d/dx sum(weights * fn(x)) for x of ``dtype``."""
    x = ag.Tensor(values.astype(dtype), requires_grad=True)
    out = fn(x)
    (out * ag.Tensor(weights.astype(dtype))).sum().backward()
    return out, x.grad


def check(out, grad, expected_out, expected_grad, dtype):
    assert out.dtype == dtype and grad.dtype == dtype
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(grad.data))
    np.testing.assert_allclose(out.data, expected_out, **TOLERANCE[dtype])
    np.testing.assert_allclose(grad.data, expected_grad, **TOLERANCE[dtype])


def reference_input(dtype, values):
    """The values as the library sees them (rounded to ``dtype``), in float64 for the reference."""
    return values.astype(dtype).astype(np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_saturates_without_overflow(dtype):
    weights = np.linspace(-1.0, 1.0, HUGE.size)
    out, grad = forward_and_gradient(ag.sigmoid, HUGE, weights, dtype)
    s = ref_sigmoid(reference_input(dtype, HUGE))
    check(out, grad, s, weights * s * (1 - s), dtype)  # d/dx sigmoid = s (1 - s)
    assert out.data[0] == 0.0 and out.data[-1] == 1.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_saturates_without_overflow(dtype):
    weights = np.linspace(-1.0, 1.0, HUGE.size)
    out, grad = forward_and_gradient(ag.tanh, HUGE, weights, dtype)
    x = reference_input(dtype, HUGE)
    t = np.tanh(x)
    check(out, grad, t, weights * (1 - t * t), dtype)  # d/dx tanh = 1 - tanh**2


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_of_huge_logits_is_finite_and_right(dtype):
    out, grad = forward_and_gradient(ag.logsumexp, LOGITS, WEIGHTS[:, 0], dtype)
    x = reference_input(dtype, LOGITS)
    np.testing.assert_allclose(out.data, ref_logsumexp(x), **TOLERANCE[dtype])
    assert out.data[0] == np.asarray(1e4, dtype)
    assert np.all(np.isfinite(grad.data))
    np.testing.assert_allclose(grad.data.sum(axis=-1), WEIGHTS[:, 0], rtol=1e-3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_gradient_of_huge_logits_is_accurate(dtype):
    """exp(x - out) with out ~ 1e4 already rounded would be off by |x| * eps (PyTorch is)."""
    out, grad = forward_and_gradient(ag.logsumexp, LOGITS, WEIGHTS[:, 0], dtype)
    x = reference_input(dtype, LOGITS)
    # d/dx logsumexp = softmax(x), scaled by each row's weight
    check(out, grad, ref_logsumexp(x), WEIGHTS[:, :1] * ref_softmax(x), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_of_huge_logits(dtype):
    out, grad = forward_and_gradient(ag.log_softmax, LOGITS, WEIGHTS, dtype)
    x = reference_input(dtype, LOGITS)
    # d/dx sum(w * log_softmax(x)) = w - softmax(x) * sum(w)
    expected_grad = WEIGHTS - ref_softmax(x) * WEIGHTS.sum(axis=-1, keepdims=True)
    check(out, grad, ref_log_softmax(x), expected_grad, dtype)
    assert out.data[0, 2] == np.asarray(-2e4, dtype)  # finite, not -inf


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_of_huge_logits(dtype):
    out, grad = forward_and_gradient(ag.softmax, LOGITS, WEIGHTS, dtype)
    x = reference_input(dtype, LOGITS)
    s = ref_softmax(x)
    # d/dx sum(w * softmax(x)) = s * (w - sum(w * s))
    expected_grad = s * (WEIGHTS - (WEIGHTS * s).sum(axis=-1, keepdims=True))
    check(out, grad, s, expected_grad, dtype)
    np.testing.assert_allclose(out.data.sum(axis=-1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_composed_from_log_softmax_is_finite_for_huge_wrong_logits(dtype):
    labels = np.array([2, 3, 0, 1])  # row 0: the true class has logit -1e4, the winner 1e4
    x = ag.Tensor(LOGITS.astype(dtype), requires_grad=True)
    loss = -ag.log_softmax(x)[np.arange(4), labels].mean()
    loss.backward()
    reference = reference_input(dtype, LOGITS)
    picked = ref_log_softmax(reference)[np.arange(4), labels]
    onehot = np.eye(4)[labels]
    # d/dx mean(-log_softmax(x)[label]) = (softmax(x) - onehot) / N
    check(loss, x.grad, -picked.mean(), (ref_softmax(reference) - onehot) / 4, dtype)
    assert loss.item() > 5e3


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_logits_minus_inf_give_zero_probability_and_finite_gradients(dtype):
    values = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, -np.inf]])
    weights = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    x = ag.Tensor(values.astype(dtype), requires_grad=True)
    out = ag.softmax(x)
    (out * ag.Tensor(weights.astype(dtype))).sum().backward()
    e = np.exp([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]) * np.isfinite(values)
    s = e / e.sum(axis=-1, keepdims=True)
    check(out, x.grad, s, s * (weights - (weights * s).sum(axis=-1, keepdims=True)), dtype)


@pytest.mark.parametrize("function", [ag.softmax, ag.log_softmax, ag.logsumexp])
def test_rows_of_all_huge_equal_logits_are_uniform(function):
    x = ag.Tensor(np.full((2, 4), 1e4, dtype=np.float32), requires_grad=True)
    function(x).sum().backward()
    assert np.all(np.isfinite(x.grad.data))
    expected = {ag.softmax: 0.25, ag.log_softmax: np.log(0.25), ag.logsumexp: 1e4 + np.log(4)}
    np.testing.assert_allclose(function(x).data, expected[function], rtol=1e-6)
