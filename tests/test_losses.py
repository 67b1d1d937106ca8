"""Losses: values against formulas written out here, gradients, stability and input checks."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F

REDUCTIONS = ["mean", "sum", "none"]


def reduce(values, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](values)


def leaf(values):
    return ag.Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- regression and binary losses

def _huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def _bce(x, y):
    return -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))


def _bce_logits(x, y):
    return -(y * np.log(1 / (1 + np.exp(-x))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(-x))))


# name -> (function, module class, elementwise formula, input sampler, target sampler)
PAIRWISE = {
    "mse": (F.mse_loss, nn.MSELoss, lambda x, y: (x - y) ** 2, "normal", "normal"),
    "l1": (F.l1_loss, nn.L1Loss, lambda x, y: np.abs(x - y), "normal", "normal"),
    "huber": (F.huber_loss, nn.HuberLoss, lambda x, y: _huber(x - y, 1.0), "wide", "normal"),
    "bce": (F.binary_cross_entropy, nn.BCELoss, _bce, "probability", "probability"),
    "bce_logits": (F.binary_cross_entropy_with_logits, nn.BCEWithLogitsLoss, _bce_logits,
                   "normal", "probability"),
}
SAMPLERS = {
    "normal": lambda shape, seed: rng(seed).standard_normal(shape),
    "wide": lambda shape, seed: 3 * rng(seed).standard_normal(shape),
    "probability": lambda shape, seed: rng(seed).uniform(0.05, 0.95, shape),
}
PAIR_SHAPES = [(4, 3), (5,), (2, 3, 2)]


@pytest.mark.parametrize("name", PAIRWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pairwise_loss_matches_its_formula(name, reduction):
    function, module, formula, x_kind, y_kind = PAIRWISE[name]
    x, y = SAMPLERS[x_kind]((4, 3), 0), SAMPLERS[y_kind]((4, 3), 1)
    expected = reduce(formula(x, y), reduction)
    np.testing.assert_allclose(function(x, y, reduction=reduction).data, expected, rtol=1e-12)
    np.testing.assert_allclose(module(reduction=reduction)(x, y).data, expected, rtol=1e-12)


@pytest.mark.parametrize("name", PAIRWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", PAIR_SHAPES)
def test_pairwise_loss_gradients_for_input_and_target(name, reduction, shape):
    function, _, _, x_kind, y_kind = PAIRWISE[name]
    x = leaf(SAMPLERS[x_kind](shape, 2))
    y = leaf(SAMPLERS[y_kind](shape, 3))
    assert ag.gradcheck(lambda a, b: function(a, b, reduction=reduction), [x, y])


@pytest.mark.parametrize("delta", [0.5, 2.0])
def test_huber_uses_delta_and_its_gradient_is_the_clipped_difference(delta):
    x = np.array([-3.0, -0.2, 0.1, 0.4, 2.5])
    y = np.zeros(5)
    np.testing.assert_allclose(F.huber_loss(x, y, reduction="none", delta=delta).data,
                               _huber(x, delta), rtol=1e-14)
    a = leaf(x)
    F.huber_loss(a, y, reduction="sum", delta=delta).backward()
    np.testing.assert_allclose(a.grad.data, np.clip(x, -delta, delta), rtol=1e-14)


def test_weighted_binary_losses_multiply_each_element():
    x, y = SAMPLERS["probability"]((4, 3), 0), SAMPLERS["probability"]((4, 3), 1)
    weight = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(F.binary_cross_entropy(x, y, weight, reduction="sum").data,
                               (_bce(x, y) * weight).sum(), rtol=1e-12)
    logits = SAMPLERS["normal"]((4, 3), 2)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(logits, y, weight, reduction="mean").data,
        (_bce_logits(logits, y) * weight).mean(), rtol=1e-12)


def test_pos_weight_scales_the_positive_term():
    x, y = SAMPLERS["normal"]((4, 3), 0), SAMPLERS["probability"]((4, 3), 1)
    p = np.array([0.5, 2.0, 3.0])
    s = 1 / (1 + np.exp(-x))
    expected = -(p * y * np.log(s) + (1 - y) * np.log(1 - s))
    out = nn.BCEWithLogitsLoss(reduction="none", pos_weight=p)(x, y)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    grads = [leaf(x), leaf(y), leaf(p)]
    assert ag.gradcheck(lambda a, b, c: F.binary_cross_entropy_with_logits(a, b, pos_weight=c),
                        grads)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("magnitude", [1000.0, 1e4])
def test_bce_with_logits_is_finite_and_exact_for_huge_logits(dtype, magnitude):
    x = ag.Tensor(np.array([magnitude, magnitude, -magnitude, -magnitude], dtype=dtype),
                  requires_grad=True)
    y = np.array([1.0, 0.0, 1.0, 0.0], dtype=dtype)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_array_equal(loss.data, np.array([0, magnitude, magnitude, 0], dtype=dtype))
    loss.sum().backward()
    # d/dx = sigmoid(x) - y
    np.testing.assert_array_equal(x.grad.data, np.array([0, 1, -1, 0], dtype=dtype))
    assert loss.dtype == dtype and x.grad.dtype == dtype


def test_bce_clamps_the_log_at_minus_100_and_keeps_gradients_finite():
    x = leaf([0.0, 1.0])
    y = np.array([1.0, 0.0])
    loss = F.binary_cross_entropy(x, y, reduction="none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0])
    loss.sum().backward()
    epsilon = float(np.float32(1e-12))  # PyTorch's floor on x (1 - x)
    np.testing.assert_allclose(x.grad.data, [-1 / epsilon, 1 / epsilon], rtol=1e-15)


# ---------------------------------------------------------------- cross-entropy and NLL


def ce_reference(logits, labels, weight=None, ignore_index=-100, smoothing=0.0,
                 reduction="mean"):
    """Nested-loop PyTorch formula on (M, C) logits and (M,) labels."""
    count, classes = logits.shape
    weight = np.ones(classes) if weight is None else weight
    losses, denominator = np.zeros(count), 0.0
    for n in range(count):
        if labels[n] == ignore_index:
            continue
        log_probs = logits[n] - math.log(sum(math.exp(v) for v in logits[n]))
        nll = -weight[labels[n]] * log_probs[labels[n]]
        smooth = -sum(weight[c] * log_probs[c] for c in range(classes))
        losses[n] = (1 - smoothing) * nll + smoothing / classes * smooth
        denominator += weight[labels[n]]
    if reduction == "mean":
        return losses.sum() / denominator
    return losses.sum() if reduction == "sum" else losses


LABELS = np.array([2, 0, -100, 4, 1, 1])
WEIGHT = np.array([0.2, 1.0, 2.5, 0.7, 1.3])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.15, 1.0])
@pytest.mark.parametrize("weight", [None, WEIGHT])
def test_cross_entropy_matches_the_pytorch_formula(reduction, smoothing, weight):
    logits = rng(0).standard_normal((6, 5)) * 2
    expected = ce_reference(logits, LABELS, weight, -100, smoothing, reduction)
    loss = nn.CrossEntropyLoss(weight, reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_allclose(loss(logits, LABELS).data, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3)])
def test_cross_entropy_with_plain_labels_matches_the_formula(reduction, shape):
    # no weight, smoothing or ignored label: the loss op's one-hot fast path
    logits = rng(7).standard_normal(shape) * 2
    labels = rng(8).integers(0, 5, (shape[0],) + shape[2:])
    flat = np.moveaxis(logits, 1, -1).reshape(-1, 5)
    expected = ce_reference(flat, labels.ravel(), reduction=reduction)
    if reduction == "none":
        expected = expected.reshape(labels.shape)
    out = nn.CrossEntropyLoss(reduction=reduction)(logits, labels)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_on_spatial_logits_matches_the_flattened_formula(reduction):
    logits = rng(1).standard_normal((2, 4, 3, 2))
    labels = rng(2).integers(0, 4, (2, 3, 2))
    labels[1, 2, 0] = 7
    out = F.cross_entropy(logits, labels, WEIGHT[:4], ignore_index=7, reduction=reduction,
                          label_smoothing=0.1)
    flat = np.moveaxis(logits, 1, -1).reshape(-1, 4)
    expected = ce_reference(flat, labels.ravel(), WEIGHT[:4], 7, 0.1, reduction)
    if reduction == "none":
        expected = expected.reshape(2, 3, 2)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_cross_entropy_on_one_unbatched_sample():
    logits = np.array([1.0, -0.5, 2.0])
    expected = -(logits[2] - math.log(np.exp(logits).sum()))
    np.testing.assert_allclose(F.cross_entropy(logits, 2).data, expected, rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_with_class_probabilities(reduction, smoothing):
    logits = rng(3).standard_normal((4, 5))
    probs = rng(4).dirichlet(np.ones(5), 4)
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    smoothed = probs * (1 - smoothing) + smoothing / 5
    per_sample = -(WEIGHT * smoothed * log_probs).sum(1)
    expected = per_sample.sum() / 4 if reduction == "mean" else reduce(per_sample, reduction)
    out = F.cross_entropy(logits, probs, WEIGHT, reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3)])
def test_cross_entropy_gradients(reduction, smoothing, shape):
    labels = rng(5).integers(0, 5, (shape[0],) + shape[2:])
    labels.flat[1] = -100
    fn = nn.CrossEntropyLoss(WEIGHT, reduction=reduction, label_smoothing=smoothing)
    assert ag.gradcheck(lambda z: fn(z, labels), [leaf(rng(6).standard_normal(shape))])


def test_cross_entropy_probability_gradients_reach_logits_and_targets():
    logits, probs = leaf(rng(7).standard_normal((3, 4))), leaf(rng(8).dirichlet(np.ones(4), 3))
    assert ag.gradcheck(lambda z, p: F.cross_entropy(z, p, label_smoothing=0.1), [logits, probs])


def test_cross_entropy_is_stable_for_huge_logits():
    logits = leaf([[1000.0, -1000.0, 0.0], [-5e4, 5e4, 0.0]])
    loss = F.cross_entropy(logits, np.array([0, 0]), reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 1e5], rtol=1e-15)
    loss.sum().backward()
    np.testing.assert_allclose(logits.grad.data, [[0, 0, 0], [-1, 1, 0]], atol=1e-300)


def test_cross_entropy_mean_over_only_ignored_targets_is_nan_as_in_pytorch():
    out = F.cross_entropy(np.ones((2, 3)), np.array([-100, -100]))
    assert np.isnan(out.data)


def test_float_labels_holding_whole_numbers_are_accepted():
    logits = rng(9).standard_normal((3, 4))
    np.testing.assert_array_equal(F.cross_entropy(logits, np.array([1.0, 0.0, 3.0])).data,
                                  F.cross_entropy(logits, np.array([1, 0, 3])).data)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
def test_nll_loss_matches_its_formula(reduction, weight):
    log_probs = np.log(rng(10).dirichlet(np.ones(5), 6))
    w = np.ones(5) if weight is None else weight
    valid = LABELS != -100
    safe = np.where(valid, LABELS, 0)
    per_sample = np.where(valid, -w[safe] * log_probs[np.arange(6), safe], 0.0)
    expected = (per_sample.sum() / (w[safe] * valid).sum() if reduction == "mean"
                else reduce(per_sample, reduction))
    out = nn.NLLLoss(weight, reduction=reduction)(log_probs, LABELS)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape, label_shape", [((6, 5), (6,)), ((2, 5, 3), (2, 3)), ((5,), ())])
def test_nll_loss_gradients(reduction, shape, label_shape):
    labels = rng(11).integers(0, 5, label_shape)
    fn = nn.NLLLoss(WEIGHT, reduction=reduction)
    assert ag.gradcheck(lambda x: fn(x, labels), [leaf(rng(12).standard_normal(shape))])


def test_log_softmax_then_nll_equals_cross_entropy():
    logits = rng(13).standard_normal((6, 5))
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(logits, axis=1), LABELS, WEIGHT).data,
                               F.cross_entropy(logits, LABELS, WEIGHT).data, rtol=1e-13)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.cross_entropy(np.ones((3, 4)), [0, 4, 1]), IndexError,
     r"cross_entropy: label 4 at index \(1,\) is out of range \(expected 0..3\)"),
    (lambda: F.cross_entropy(np.ones((3, 4)), [0, -1, 1]), IndexError,
     r"cross_entropy: label -1 at index \(1,\)"),
    (lambda: F.cross_entropy(np.ones((3, 4)), [0.0, 1.5, 1.0]), ValueError,
     r"cross_entropy: labels must be integers, got 1.5 at index \(1,\)"),
    (lambda: F.cross_entropy(np.ones((3, 4)), [0.0, np.nan, 1.0]), ValueError,
     r"cross_entropy: labels contain NaN \(first at index \(1,\)\)"),
    (lambda: F.cross_entropy(np.ones((3, 4)), [0, 1]), ValueError,
     r"cross_entropy: expected labels of shape \(3,\), got shape \(2,\)"),
    (lambda: F.cross_entropy(np.ones((3, 4)), np.ones((3, 4), dtype=np.int64)), TypeError,
     r"cross_entropy: a target of the input's shape \(3, 4\) holds class probabilities"),
    (lambda: F.cross_entropy(np.ones((3, 4)), [0, 1, 2], np.ones(3)), ValueError,
     r"cross_entropy: weight must have shape \(4,\)"),
    (lambda: F.cross_entropy(np.ones((3, 4)), [0, 1, 2], label_smoothing=1.5), ValueError,
     r"label_smoothing must be in \[0, 1\]"),
    (lambda: F.cross_entropy(np.ones((3, 4)), [True, False, True]), TypeError,
     r"cross_entropy: labels must be integers, got dtype bool"),
    (lambda: F.nll_loss(np.ones((2, 3)), [3, 0]), IndexError, r"nll_loss: label 3 at index"),
    (lambda: F.mse_loss(np.ones((4, 1)), np.ones(4)), ValueError,
     r"mse_loss: input shape \(4, 1\) and target shape \(4,\) must be equal"),
    (lambda: F.mse_loss(np.ones(3), np.ones(3), reduction="avg"), ValueError,
     r"mse_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (lambda: nn.L1Loss(reduction="max"), ValueError, r"L1Loss: reduction must be"),
    (lambda: F.huber_loss(np.ones(3), np.ones(3), delta=0.0), ValueError,
     r"huber_loss: delta must be positive"),
    (lambda: F.binary_cross_entropy(np.array([0.5, 1.5]), np.ones(2)), ValueError,
     r"binary_cross_entropy: input must hold probabilities in \[0, 1\], got 1.5 at index \(1,\)"),
    (lambda: F.binary_cross_entropy(np.array([0.5, 0.5]), np.array([1.0, np.nan])), ValueError,
     r"binary_cross_entropy: target contains NaN \(first at index \(1,\)\)"),
    (lambda: F.binary_cross_entropy_with_logits(np.ones((2, 3)), np.ones((2, 3)),
                                                pos_weight=np.ones(2)), ValueError,
     r"pos_weight of shape \(2,\) does not broadcast to the input shape \(2, 3\)"),
    (lambda: F.binary_cross_entropy_with_logits(np.ones(3), np.ones(2)), ValueError,
     r"binary_cross_entropy_with_logits: input shape \(3,\) and target shape \(2,\)"),
    (lambda: F.mse_loss(np.ones(3, dtype=np.int64), np.ones(3)), TypeError,
     r"mse_loss: input must be a floating-point tensor, got dtype int64"),
])
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- modules


def test_loss_modules_keep_class_weights_as_buffers():
    loss = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0]))
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=np.ones(3)).state_dict()) == ["pos_weight"]
    assert list(nn.MSELoss().parameters()) == []


def test_loss_module_reprs_are_pytorch_like():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss()"


def test_float32_inputs_give_float32_losses_and_gradients():
    logits = ag.Tensor(rng(14).standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(logits, np.array([0, 1, 2, 1]))
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_fused_path_gradients(reduction):
    # (N, C) logits without weight or smoothing, one label ignored: the fused path, whose
    # backward picks the labels instead of building the one-hot coefficients
    labels = np.array([3, -100, 0, 4, 4])
    fn = nn.CrossEntropyLoss(reduction=reduction)
    logits = leaf(rng(9).standard_normal((5, 5)))
    assert ag.gradcheck(lambda z: fn(z, labels), [logits])
    assert ag.gradgradcheck(lambda z: fn(z, labels), [logits])
    fn(logits, labels).sum().backward()
    probs = np.exp(logits.data) / np.exp(logits.data).sum(1, keepdims=True)
    expected = probs - np.eye(5)[np.maximum(labels, 0)]
    expected[1] = 0
    if reduction == "mean":
        expected /= 4
    np.testing.assert_allclose(logits.grad.data, expected, rtol=1e-12, atol=1e-15)
