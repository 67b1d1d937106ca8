"""Activation modules and functions: values from the formulas, gradients, reprs."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F

SHAPES = [(3, 4), (), (2, 1, 3)]
VALUES = np.array([-30.0, -3.0, -1.0, -0.25, 0.5, 2.0, 30.0])
erf = np.vectorize(math.erf)


def leaf(shape, seed=0, away_from_zero=False):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape)
    if away_from_zero:
        values = np.sign(values) * (np.abs(values) + 0.3)
    return ag.Tensor(values, requires_grad=True)


# name -> (module, reference formula on ndarrays, needs inputs away from a kink)
CASES = {
    "relu": (nn.ReLU(), lambda x: np.maximum(x, 0), True),
    "leaky_relu": (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), True),
    "sigmoid": (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x)), False),
    "tanh": (nn.Tanh(), np.tanh, False),
    "gelu": (nn.GELU(), lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))), False),
    "gelu_tanh": (nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(
        math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))), False),
    "softmax": (nn.Softmax(), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True), False),
    "log_softmax": (nn.LogSoftmax(), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
                    False),
}


@pytest.mark.parametrize("name", CASES)
def test_activation_matches_its_formula(name):
    module, formula, _ = CASES[name]
    x = np.random.default_rng(3).uniform(-4, 4, (3, 5))
    np.testing.assert_allclose(module(x).data, formula(x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_gradients_match_finite_differences(name, shape):
    module, _, kink = CASES[name]
    if name in ("softmax", "log_softmax") and shape == ():
        shape = (4,)
    assert ag.gradcheck(module, [leaf(shape, away_from_zero=kink)])
    assert ag.gradgradcheck(module, [leaf(shape, seed=1, away_from_zero=kink)])


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu"])
def test_activation_keeps_float32(name):
    module = CASES[name][0]
    assert module(np.ones(3, dtype=np.float32)).dtype == np.float32


def test_leaky_relu_gradient_at_zero_is_the_slope_as_in_pytorch():
    x = ag.Tensor(np.array([0.0]), requires_grad=True)
    F.leaky_relu(x, 0.1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.1])


def test_gelu_is_exact_for_large_negative_inputs():
    # x * Phi(x) with Phi(-10) = erfc(10 / sqrt 2) / 2 in full relative precision
    x = np.array([-10.0, -20.0])
    expected = x * np.array([math.erfc(10 / math.sqrt(2)), math.erfc(20 / math.sqrt(2))]) / 2
    np.testing.assert_allclose(F.gelu(x).data, expected, rtol=1e-13)


def test_sigmoid_and_tanh_are_finite_for_huge_inputs():
    x = np.array([-1000.0, 1000.0])
    np.testing.assert_array_equal(F.sigmoid(x).data, [0.0, 1.0])
    np.testing.assert_array_equal(F.tanh(x).data, [-1.0, 1.0])


@pytest.mark.parametrize("function", [F.softmax, F.log_softmax])
def test_softmax_axis_and_dim_are_the_same_argument(function):
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(function(x, axis=0).data, function(x, dim=0).data)
    with pytest.raises(TypeError, match="got both axis=1 and dim=0"):
        function(x, axis=1, dim=0)


def test_softmax_module_takes_dim_as_alias():
    assert nn.Softmax(dim=0).axis == 0 and nn.LogSoftmax(dim=1).axis == 1


def test_unknown_gelu_approximation_is_refused():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="gelu: approximate must be"):
        F.gelu(np.ones(2), approximate="fast")


@pytest.mark.parametrize("module, text", [
    (nn.ReLU(), "ReLU()"), (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"), (nn.Sigmoid(), "Sigmoid()"),
    (nn.Tanh(), "Tanh()"), (nn.GELU(), "GELU(approximate='none')"),
    (nn.Softmax(), "Softmax(axis=-1)"), (nn.LogSoftmax(1), "LogSoftmax(axis=1)"),
])
def test_activation_reprs(module, text):
    assert repr(module) == text


def test_activation_values_at_fixed_points():
    expected_gelu = [0.5 * v * math.erfc(-v / math.sqrt(2)) for v in VALUES]
    np.testing.assert_allclose(F.gelu(VALUES).data, expected_gelu, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("beta, threshold", [(1.0, 20.0), (2.0, 1.0), (0.5, 0.3)])
def test_softplus_matches_torch_values_and_gradients(beta, threshold):
    torch = pytest.importorskip("torch")
    values = np.linspace(-30, 30, 41)
    x = ag.Tensor(values, requires_grad=True)
    out = nn.functional.softplus(x, beta, threshold)
    out.sum().backward()
    tx = torch.tensor(values, requires_grad=True)
    tout = torch.nn.functional.softplus(tx, beta, threshold)
    tout.sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)
