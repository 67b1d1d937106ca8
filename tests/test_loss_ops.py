"""The fused kernels (nn.functional: linear, gelu, cross-entropies) and erf: accuracy and
first/second derivatives."""

import math

import numpy as np
import pytest

import autograd as ag
from autograd.ops.unary import erf_array
from nn.functional.activation import Gelu
from nn.functional.linear import Linear
from nn.functional.loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy

Erf = ag.erf.op


def erfc_array(x):
    return erf_array(x, complement=True)


def leaf(shape, seed=0, low=None, high=None):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape)
    return ag.Tensor(values, requires_grad=True)


# ---------------------------------------------------------------- erf


def test_erf_matches_the_standard_library_to_a_few_ulps():
    x = np.concatenate([np.linspace(-8, 8, 3201), np.random.default_rng(0).standard_normal(500)])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf_array(x), expected, rtol=0, atol=1e-15)


def test_erfc_keeps_relative_precision_far_in_the_tail():
    x = np.linspace(2.5, 26, 941)
    expected = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(erfc_array(x), expected, rtol=5e-15)
    x = np.linspace(-6, 2, 801)
    np.testing.assert_allclose(erfc_array(x), [math.erfc(v) for v in x], rtol=2e-13)


@pytest.mark.parametrize("value, erf, erfc", [
    (np.inf, 1.0, 0.0), (-np.inf, -1.0, 2.0), (0.0, 0.0, 1.0), (40.0, 1.0, 0.0),
])
def test_erf_limits(value, erf, erfc):
    assert erf_array(np.array(value)) == erf and erfc_array(np.array(value)) == erfc


def test_erf_propagates_nan_and_keeps_float32():
    assert np.isnan(erf_array(np.array([np.nan]))).all()
    assert np.isnan(erfc_array(np.array([np.nan]))).all()
    assert erf_array(np.ones(2, dtype=np.float32)).dtype == np.float32


# ---------------------------------------------------------------- derivatives of every fused op


def _cross_entropy(reduction, smoothing, weighted):
    target = np.array([0, 2, -100, 1])
    weight = np.array([0.5, 2.0, 1.5]) if weighted else None
    return lambda z: CrossEntropy.apply(z, target=target, weight=weight, ignore_index=-100,
                                        label_smoothing=smoothing, reduction=reduction)


OP_CASES = {
    "linear": (lambda x, w, b: Linear.apply(x, w, b), [(4, 3), (2, 3), (2,)], {}),
    "linear-no-bias": (lambda x, w: Linear.apply(x, w), [(2, 2, 3), (5, 3)], {}),
    "linear-vector": (lambda x, w, b: Linear.apply(x, w, b), [(3,), (2, 3), (2,)], {}),
    "erf": (Erf.apply, [(3, 4)], {}),
    "erf-wide": (Erf.apply, [(7,)], {"low": -3.0, "high": 3.0}),
    "gelu": (Gelu.apply, [(2, 5)], {"low": -4.0, "high": 4.0}),
    "ce-mean": (_cross_entropy("mean", 0.0, False), [(4, 3)], {}),
    "ce-sum-smooth-weight": (_cross_entropy("sum", 0.25, True), [(4, 3)], {}),
    "ce-none-smooth-weight": (_cross_entropy("none", 0.1, True), [(4, 3)], {}),
    # plain labels (no weight, smoothing or ignored target): the one-hot fast path
    "ce-labels-mean": (lambda z: CrossEntropy.apply(z, target=np.array([0, 2, 1, 1])),
                       [(4, 3)], {}),
    "ce-labels-sum": (lambda z: CrossEntropy.apply(z, target=np.array([2, 0]), reduction="sum"),
                      [(2, 3)], {}),
    "ce-labels-spatial-none": (
        lambda z: CrossEntropy.apply(z, target=np.array([[0, 2], [1, 1]]), reduction="none"),
        [(2, 3, 2)], {}),
    "ce-labels-unbatched": (lambda z: CrossEntropy.apply(z, target=np.array(1)), [(3,)], {}),
    "bce-logits": (BinaryCrossEntropyWithLogits.apply, [(3, 4), (3, 4)], {}),
    "bce-logits-pos-weight": (BinaryCrossEntropyWithLogits.apply, [(3, 4), (3, 4), (4,)], {}),
    "bce": (BinaryCrossEntropy.apply, [(3, 4), (3, 4)], {"low": 0.1, "high": 0.9}),
}


@pytest.mark.parametrize("name", OP_CASES)
def test_fused_op_first_and_second_derivatives(name):
    fn, shapes, domain = OP_CASES[name]
    inputs = [leaf(shape, seed=i, **domain) for i, shape in enumerate(shapes)]
    assert ag.gradcheck(fn, inputs)
    assert ag.gradgradcheck(fn, inputs)


def test_cross_entropy_4d_logits_derivatives():
    target = np.array([[[0, 1], [2, -100]], [[1, 1], [0, 2]]])

    def spatial(z):
        return CrossEntropy.apply(z, target=target, weight=np.array([1.0, 2.0, 0.5]),
                                  ignore_index=-100, label_smoothing=0.2, reduction="mean")

    assert ag.gradcheck(spatial, [leaf((2, 3, 2, 2))])
    assert ag.gradgradcheck(spatial, [leaf((2, 3, 2, 2), seed=1)])
