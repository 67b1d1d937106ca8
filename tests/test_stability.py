"""Numerical stability: huge inputs (|x| up to 1e4) give finite, correct values and gradients
(the softmax family, sigmoid, tanh, and the nn losses and activations built on them).

Naive formulas overflow here (``exp(1e4)`` is inf even in float64), so each
reference below is written out in float64 in its stable form: the shift by
the maximum for the softmax family, ``exp(-|x|)`` for the sigmoid. Any NumPy
overflow/invalid warning inside the library is an error.
"""

from __future__ import annotations

import math

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


# ------------------------------------------------------------------ nn losses and activations

nn = pytest.importorskip("nn")
F = nn.functional
BINARY_TARGETS = np.array([1.0, 0.3, 0.0, 1.0, 0.5, 0.0, 0.25, 1.0, 0.0])


def ref_softplus(x):
    """log(1 + exp(x)), stable: max(x, 0) + log1p(exp(-|x|))."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_of_huge_logits(dtype, smoothing):
    labels = np.array([2, 3, 0, 1])  # row 0: the true class has logit -1e4, the winner 1e4
    x = ag.Tensor(LOGITS.astype(dtype), requires_grad=True)
    loss = F.cross_entropy(x, labels, label_smoothing=smoothing)
    loss.backward()
    reference = reference_input(dtype, LOGITS)
    log_p = ref_log_softmax(reference)
    classes = LOGITS.shape[1]
    target = (1 - smoothing) * np.eye(classes)[labels] + smoothing / classes
    # loss = mean_n sum_c -target * log p; d/dx = (softmax(x) - target) / N
    expected = -(target * log_p).sum(axis=1).mean()
    check(loss, x.grad, expected, (ref_softmax(reference) - target) / len(labels), dtype)
    assert loss.item() > 2e3


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_with_probability_targets_of_huge_logits(dtype):
    rng = np.random.default_rng(0)
    target = rng.dirichlet(np.ones(4), 4)
    x = ag.Tensor(LOGITS.astype(dtype), requires_grad=True)
    loss = F.cross_entropy(x, ag.Tensor(target.astype(dtype)), reduction="sum")
    loss.backward()
    reference = reference_input(dtype, LOGITS)
    target = target.astype(dtype).astype(np.float64)
    # sum_n sum_c -t log p; d/dx = softmax(x) * sum_c t - t
    expected_grad = ref_softmax(reference) * target.sum(axis=1, keepdims=True) - target
    check(loss, x.grad, -(target * ref_log_softmax(reference)).sum(), expected_grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pos_weight", [None, 3.0])
def test_bce_with_logits_of_huge_logits(dtype, pos_weight):
    x = ag.Tensor(HUGE.astype(dtype), requires_grad=True)
    y = ag.Tensor(BINARY_TARGETS.astype(dtype))
    weight = None if pos_weight is None else ag.Tensor(np.full(HUGE.size, pos_weight, dtype))
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=weight)
    loss.sum().backward()
    r, t, p = reference_input(dtype, HUGE), BINARY_TARGETS, pos_weight or 1.0
    # l = (1 - t) x + (1 + (p - 1) t) softplus(-x); d/dx = (1 + (p - 1) t) sigmoid(x) - p t
    expected = (1 - t) * r + (1 + (p - 1) * t) * ref_softplus(-r)
    check(loss, x.grad, expected, (1 + (p - 1) * t) * ref_sigmoid(r) - p * t, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_on_saturated_probabilities_is_clamped_and_finite(dtype):
    probabilities = ag.Tensor(np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype), requires_grad=True)
    target = ag.Tensor(np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype))
    loss = F.binary_cross_entropy(probabilities, target, reduction="none")
    loss.sum().backward()
    # PyTorch clamps log at -100, and the gradient (x - y) / max(x (1 - x), eps) with its
    # eps = 1e-12 stored as a float32 constant (so 1 / eps is 1.000000004e12 in float64 too)
    eps = float(np.float32(1e-12))
    check(loss, probabilities.grad, [100.0, 100.0, 0.0, 0.0], [-1 / eps, 1 / eps, 0.0, 0.0],
          dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_of_huge_inputs(dtype, approximate):
    weights = np.linspace(-1.0, 1.0, HUGE.size)
    out, grad = forward_and_gradient(lambda x: F.gelu(x, approximate=approximate), HUGE,
                                     weights, dtype)
    x = reference_input(dtype, HUGE)
    if approximate == "none":  # x Phi(x); d/dx = Phi(x) + x phi(x)
        cdf = 0.5 * np.array([math.erfc(-v / math.sqrt(2)) for v in x])
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    else:  # x s(u) with s = sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3), as 0.5 (1 + tanh u)
        u = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
        cdf = ref_sigmoid(2 * u)
        pdf = 2 * cdf * (1 - cdf) * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
    check(out, grad, x * cdf, weights * (cdf + x * pdf), dtype)
