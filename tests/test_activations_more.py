"""The activations of issue 14 (and relu, leaky_relu) against torch: values, first and second
derivatives, PyTorch's gradients at the kinks, huge inputs, infinite upstream gradients,
the modules (reprs, PReLU's weight), ``inplace=True`` and dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from tests.against_torch import assert_close, assert_matches_torch
from tests.torch_compare import compare_layer

# id -> (our function, torch.nn.functional's name, keyword arguments, kinks)
ACTIVATIONS = {
    "relu": (F.relu, "relu", {}, (0.0,)),
    "leaky_relu": (F.leaky_relu, "leaky_relu", dict(negative_slope=0.2), (0.0,)),
    "silu": (F.silu, "silu", {}, ()),
    "mish": (F.mish, "mish", {}, ()),
    "softplus": (F.softplus, "softplus", dict(beta=2.0, threshold=5.0), (2.5,)),
    "elu": (F.elu, "elu", {}, (0.0,)),
    "elu(alpha=0.5)": (F.elu, "elu", dict(alpha=0.5), (0.0,)),
    "selu": (F.selu, "selu", {}, (0.0,)),
    "celu(alpha=2)": (F.celu, "celu", dict(alpha=2.0), (0.0,)),
    "hardtanh": (F.hardtanh, "hardtanh", {}, (-1.0, 1.0)),
    "hardtanh(-2, 0.5)": (F.hardtanh, "hardtanh", dict(min_val=-2.0, max_val=0.5), (-2.0, 0.5)),
    "relu6": (F.relu6, "relu6", {}, (0.0, 6.0)),
    "hardsigmoid": (F.hardsigmoid, "hardsigmoid", {}, (-3.0, 3.0)),
    "hardswish": (F.hardswish, "hardswish", {}, (-3.0, 3.0)),
    "softsign": (F.softsign, "softsign", {}, (0.0,)),
    "logsigmoid": (F.logsigmoid, "logsigmoid", {}, ()),
}
# PyTorch's hardsigmoid backward multiplies by the float32 constant 1/6 even in float64
# (0.16666667163...), so its gradients agree with the exact 1/6 to float32 precision only;
# test_hardsigmoid_gradient_is_exactly_one_sixth checks ours against the formula.
GRADIENT_RTOL = {"hardsigmoid": 1e-7}
# torch has no second derivative of hardsigmoid (piecewise linear: ours is 0, and the
# self-check compares it with finite differences)
NO_TORCH_SECOND_ORDER = {"hardsigmoid"}
SHAPES = [(3, 4), (), (2, 1, 3)]
EXTREMES = [-1e4, -800.0, -30.0, -1e-300, 0.0, 1e-300, 30.0, 800.0, 1e4]


def pair(name: str):
    function, torch_name, settings, _ = ACTIVATIONS[name]
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn.functional, torch_name)
    return (lambda x: function(x, **settings)), (lambda x: theirs(x, **settings))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch_to_second_order(name, shape):
    ours, theirs = pair(name)
    values = 4 * np.random.default_rng(len(shape)).standard_normal(shape)
    assert_matches_torch(ours, theirs, values, second_order=name not in NO_TORCH_SECOND_ORDER,
                         rtol=GRADIENT_RTOL.get(name, 1e-10))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch_at_its_kinks_and_extremes(name):
    ours, theirs = pair(name)
    kinks = ACTIVATIONS[name][3]
    values = np.array(sorted(set(EXTREMES) | set(kinks) | {k + d for k in kinks
                                                          for d in (-1e-9, 1e-9)}))
    assert_matches_torch(ours, theirs, values, second_order=False,
                         rtol=GRADIENT_RTOL.get(name, 1e-10))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_stays_finite_for_huge_inputs(name):
    function, _, settings, _ = ACTIVATIONS[name]
    x = ag.Tensor(np.array([-1e4, -1e300, 1e4, 1e300]), requires_grad=True)
    with np.errstate(over="ignore"):  # softsign's 1 / (1 + |x|)^2 underflows to 0 via inf
        out = function(x, **settings)
        out.sum().backward()
    assert np.isfinite(out.data).all() and np.isfinite(x.grad.data).all()


@pytest.mark.parametrize("name", ["relu", "hardtanh", "hardtanh(-2, 0.5)", "relu6",
                                  "hardsigmoid", "hardswish", "elu", "selu", "silu", "mish",
                                  "logsigmoid", "softplus", "leaky_relu"])
def test_infinite_upstream_gradient_matches_torch(name):
    """Where the derivative is 0 by a mask the gradient is exactly 0, not inf * 0 = NaN;
    elsewhere what PyTorch gives (inf, or NaN where it multiplies inf by an underflowed 0)."""
    torch = pytest.importorskip("torch")
    ours, theirs = pair(name)
    values = np.array(sorted(set(EXTREMES) | set(ACTIVATIONS[name][3]) | {-4.0, -2.0, 2.0, 7.0}))
    x, tx = ag.Tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    with np.errstate(invalid="ignore"):  # inf * 0 where the derivative underflows, as torch
        ours(x).backward(ag.Tensor(np.full(values.shape, np.inf)))
    theirs(tx).backward(torch.full(values.shape, np.inf, dtype=torch.float64))
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("name, zero_at", [("hardtanh", [-3.0, -1.0, 1.0, 3.0]),
                                           ("relu6", [-1.0, 0.0, 6.0, 7.0]),
                                           ("hardsigmoid", [-4.0, -3.0, 3.0, 4.0]),
                                           ("hardswish", [-4.0, -3.0])])
def test_gradient_is_zero_at_the_bounds_and_outside_as_pytorch(name, zero_at):
    function, _, settings, _ = ACTIVATIONS[name]
    x = ag.Tensor(np.array(zero_at), requires_grad=True)
    function(x, **settings).backward(ag.Tensor(np.full(len(zero_at), np.inf)))
    np.testing.assert_array_equal(x.grad.data, 0.0)


def test_hardswish_gradient_is_one_at_three_and_the_formula_inside():
    x = ag.Tensor(np.array([-1.5, 0.0, 1.0, 3.0, 5.0]), requires_grad=True)
    F.hardswish(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5, 1 / 3 + 0.5, 1.0, 1.0], rtol=1e-15)


def test_hardsigmoid_gradient_is_exactly_one_sixth():
    x = ag.Tensor(np.array([-2.9, 0.0, 2.9]), requires_grad=True)
    F.hardsigmoid(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1 / 6] * 3)


@pytest.mark.parametrize("function, alpha, slope_at_zero", [
    (F.elu, 2.0, 2.0), (F.celu, 2.0, 1.0), (F.selu, None, 1.0507009873554805 * 1.6732632423543772)])
def test_elu_family_takes_the_left_derivative_at_zero(function, alpha, slope_at_zero):
    x = ag.Tensor(np.array([0.0]), requires_grad=True)
    (function(x) if alpha is None else function(x, alpha)).sum().backward()
    np.testing.assert_allclose(x.grad.data, [slope_at_zero], rtol=1e-15)


def test_silu_mish_logsigmoid_values_at_huge_inputs_follow_their_limits():
    x = np.array([-1e4, 1e4])
    np.testing.assert_array_equal(F.silu(x).data, [0.0, 1e4])
    np.testing.assert_array_equal(F.mish(x).data, [0.0, 1e4])
    np.testing.assert_array_equal(F.logsigmoid(x).data, [-1e4, 0.0])
    # log(sigmoid(x)) = -log1p(exp(-x)) to full relative precision where it is tiny
    np.testing.assert_allclose(F.logsigmoid(np.array([40.0])).data, [-np.exp(-40.0)], rtol=1e-15)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmin_matches_torch(axis):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(axis + 1).standard_normal((3, 4))
    assert_matches_torch(lambda x: F.softmin(x, axis), lambda x: torch.nn.functional.softmin(
        x, dim=axis), values)
    np.testing.assert_array_equal(F.softmin(values, dim=axis).data,
                                  F.softmin(values, axis=axis).data)
    assert_close(nn.Softmin(dim=axis)(values), torch.nn.Softmin(dim=axis)(torch.tensor(values)))


# ---------------------------------------------------------------- PReLU


@pytest.mark.parametrize("num_parameters, shape", [(3, (2, 3, 4, 5)), (3, (4, 3)), (1, (2, 3, 4)),
                                                   (1, (5,)), (1, ())])
def test_prelu_layer_matches_torch_with_copied_weights(num_parameters, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.PReLU(num_parameters), torch.nn.PReLU(num_parameters)
    with torch.no_grad():
        theirs.weight.copy_(torch.linspace(-0.5, 0.8, num_parameters))
    x = np.random.default_rng(0).standard_normal(shape)
    x.flat[0] = 0.0  # at 0 both take the slope: d/dx = weight
    compare_layer(torch, ours, theirs, x)


def test_prelu_weight_is_a_parameter_filled_with_init():
    layer = nn.PReLU(4, init=0.1)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.shape == (4,)
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.data, np.float32(0.1))
    assert list(layer.state_dict()) == ["weight"]
    assert repr(nn.PReLU()) == "PReLU(num_parameters=1)"


@pytest.mark.parametrize("weight_shape", [(), (1,), (3,)])
def test_functional_prelu_matches_torch_to_second_order(weight_shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x, weight = rng.standard_normal((2, 3, 2)), rng.uniform(-1, 1, weight_shape)
    assert_matches_torch(F.prelu, torch.nn.functional.prelu, x, weight)


# ---------------------------------------------------------------- modules


def module_pairs(torch):
    """(ours, torch's) with the same arguments, for every activation module."""
    return [
        (nn.SiLU(), torch.nn.SiLU()), (nn.Mish(), torch.nn.Mish()),
        (nn.Softplus(2.0, 3.0), torch.nn.Softplus(2.0, 3.0)), (nn.ELU(0.7), torch.nn.ELU(0.7)),
        (nn.SELU(), torch.nn.SELU()), (nn.CELU(1.5), torch.nn.CELU(1.5)),
        (nn.Hardtanh(-2.0, 3.0), torch.nn.Hardtanh(-2.0, 3.0)), (nn.ReLU6(), torch.nn.ReLU6()),
        (nn.Hardsigmoid(), torch.nn.Hardsigmoid()), (nn.Hardswish(), torch.nn.Hardswish()),
        (nn.Softsign(), torch.nn.Softsign()), (nn.LogSigmoid(), torch.nn.LogSigmoid()),
        (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)), (nn.ReLU(), torch.nn.ReLU()),
    ]


def test_activation_modules_match_torch_modules():
    torch = pytest.importorskip("torch")
    values = 5 * np.random.default_rng(2).standard_normal((3, 5))
    for ours, theirs in module_pairs(torch):
        rtol = 1e-7 if isinstance(ours, nn.Hardsigmoid) else 1e-10  # see GRADIENT_RTOL
        assert_matches_torch(ours, theirs, values, second_order=False, rtol=rtol)


def test_activation_module_reprs_are_torch_reprs():
    torch = pytest.importorskip("torch")
    arguments = [("SiLU", (True,)), ("Mish", (True,)), ("Softplus", (2, 10)), ("ELU", ()),
                 ("ELU", (0.5, True)), ("SELU", (True,)), ("CELU", (2.0,)),
                 ("Hardtanh", ()), ("Hardtanh", (-2, 3, True)), ("ReLU6", ()), ("ReLU6", (True,)),
                 ("Hardsigmoid", (True,)), ("Hardswish", ()), ("Softsign", ()), ("LogSigmoid", ()),
                 ("PReLU", (3, 0.1)), ("LeakyReLU", (0.2, True))]
    for name, args in arguments:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_module_defaults_are_pytorchs():
    assert nn.LeakyReLU().negative_slope == 0.01
    assert (nn.Softplus().beta, nn.Softplus().threshold) == (1.0, 20.0)
    assert nn.ELU().alpha == 1.0 and nn.CELU().alpha == 1.0
    assert (nn.Hardtanh().min_val, nn.Hardtanh().max_val) == (-1.0, 1.0)
    assert (nn.ReLU6().min_val, nn.ReLU6().max_val) == (0.0, 6.0)
    assert nn.PReLU().num_parameters == 1 and nn.PReLU().init == 0.25
    assert nn.Softmin().axis == -1 and nn.Softmin(dim=0).axis == 0 and nn.Softmin(1).axis == 1


# ---------------------------------------------------------------- inplace


INPLACE = {  # id -> (our call, torch's call)
    "relu": (lambda x: F.relu(x, inplace=True), lambda t, x: t.nn.functional.relu(x, True)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1, True),
                   lambda t, x: t.nn.functional.leaky_relu(x, 0.1, True)),
    "elu": (lambda x: F.elu(x, 0.5, inplace=True), lambda t, x: t.nn.functional.elu(x, 0.5, True)),
    "selu": (lambda x: F.selu(x, True), lambda t, x: t.nn.functional.selu(x, True)),
    "celu": (lambda x: F.celu(x, 2.0, True), lambda t, x: t.nn.functional.celu(x, 2.0, True)),
    "silu": (lambda x: F.silu(x, True), lambda t, x: t.nn.functional.silu(x, True)),
    "mish": (lambda x: F.mish(x, True), lambda t, x: t.nn.functional.mish(x, True)),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 0.5, True),
                 lambda t, x: t.nn.functional.hardtanh(x, -0.5, 0.5, True)),
    "relu6": (lambda x: F.relu6(x, True), lambda t, x: t.nn.functional.relu6(x, True)),
    "hardsigmoid": (lambda x: F.hardsigmoid(x, True),
                    lambda t, x: t.nn.functional.hardsigmoid(x, True)),
    "hardswish": (lambda x: F.hardswish(x, True), lambda t, x: t.nn.functional.hardswish(x, True)),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_overwrites_the_input_and_differentiates_as_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = INPLACE[name]
    values = 4 * np.random.default_rng(3).standard_normal((2, 5))
    x, tx = ag.Tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    hidden, thidden = x * 1.0, tx * 1.0
    out, tout = ours(hidden), theirs(torch, thidden)
    assert out is hidden
    assert_close(hidden, thidden)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    rtol = 1e-7 if name == "hardsigmoid" else 1e-10  # see GRADIENT_RTOL
    assert_close(x.grad, tx.grad, rtol=rtol)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_on_a_leaf_that_requires_grad_is_refused(name):
    x = ag.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}_: a leaf tensor that requires grad"):
        INPLACE[name][0](x)
    np.testing.assert_array_equal(x.data, 1.0)


def test_inplace_modules_change_their_input_and_others_do_not():
    x = ag.Tensor(np.array([-1.0, 2.0, 7.0]))
    assert nn.ReLU6(inplace=True)(x) is x
    np.testing.assert_array_equal(x.data, [0.0, 2.0, 6.0])
    y = ag.Tensor(np.array([-1.0, 2.0]))
    out = nn.ELU()(y)
    assert out is not y
    np.testing.assert_array_equal(y.data, [-1.0, 2.0])


def test_inplace_under_no_grad_changes_a_leaf():
    x = ag.Tensor(np.array([-1.0, 0.5]), requires_grad=True)
    with ag.no_grad():
        F.hardtanh(x, 0.0, 0.25, inplace=True)
    np.testing.assert_array_equal(x.data, [0.0, 0.25])


# ---------------------------------------------------------------- dtypes


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_keeps_float32(name):
    function, _, settings, _ = ACTIVATIONS[name]
    x = ag.Tensor(np.linspace(-5, 5, 7, dtype=np.float32), requires_grad=True)
    out = function(x, **settings)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("name", ["silu", "mish", "elu", "selu", "softplus", "relu6",
                                  "hardswish"])
def test_mlp_takes_the_new_activations_by_name(name):
    model = nn.MLP(2, [3], 1, activation=name)
    assert type(model[1]).__name__.lower() == name


def test_prelu_layer_keeps_float32_for_array_input():
    out = nn.PReLU(2)(np.ones((3, 2)))
    assert out.dtype == np.float32


def test_inplace_activations_in_a_model_give_the_out_of_place_results():
    x = np.random.default_rng(4).standard_normal((2, 1, 5, 5))
    results = []
    for inplace in (False, True):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(inplace=inplace),
                              nn.Conv2d(2, 2, 2), nn.Hardswish(inplace=inplace)).double()
        out = model(x)
        (out * out).sum().backward()
        results.append([out.data] + [p.grad.data for p in model.parameters()])
    for plain, inplace in zip(*results):
        np.testing.assert_array_equal(plain, inplace)
