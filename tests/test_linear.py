"""Linear, Identity, Flatten and MLP: shapes, PyTorch's initialisation, values, gradients."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F


def leaf(shape, seed=0):
    return ag.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# ---------------------------------------------------------------- Linear


def test_linear_parameters_have_pytorch_shapes_and_float32_by_default():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert nn.Linear(3, 2, dtype=np.float64).weight.dtype == np.float64


def test_linear_init_stays_within_one_over_sqrt_fan_in():
    np.random.seed(0)
    layer = nn.Linear(50, 40)
    bound = 1 / math.sqrt(50)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.bias.data).max() <= bound


def test_linear_init_is_uniform_with_variance_bound_squared_over_three():
    # kaiming_uniform_(a=sqrt(5)): gain sqrt(1/3), bound = gain sqrt(3 / fan_in) = 1/sqrt(fan_in)
    np.random.seed(1)
    weight = nn.Linear(400, 500).weight.data
    bound = 1 / math.sqrt(400)
    assert abs(weight.var() - bound**2 / 3) < 0.02 * bound**2 / 3
    assert abs(weight.mean()) < 0.01 * bound
    assert weight.max() > 0.99 * bound and weight.min() < -0.99 * bound


def test_linear_init_is_reproducible_from_numpy_seed():
    np.random.seed(7)
    first = nn.Linear(4, 3).state_dict()
    np.random.seed(7)
    second = nn.Linear(4, 3).state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (3,)])
def test_linear_computes_x_times_weight_transposed_plus_bias(shape):
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal(shape)
    expected = x @ layer.weight.data.T + layer.bias.data
    out = layer(x)
    assert out.shape == shape[:-1] + (2,)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_linear_without_bias_has_no_bias_parameter():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    x = np.ones((1, 3), dtype=np.float32)
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T, rtol=1e-6)


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradients_match_finite_differences(shape, bias):
    layer = nn.Linear(3, 2, bias=bias, dtype=np.float64)
    params = [layer.weight] + ([layer.bias] if bias else [])

    def fn(x, *weights):
        return F.linear(x, *weights)

    assert ag.gradcheck(fn, [leaf(shape)] + params)
    assert ag.gradgradcheck(fn, [leaf(shape)] + params)


def test_linear_layer_gradients_through_the_module():
    layer = nn.Linear(3, 2, dtype=np.float64)
    assert ag.gradcheck(lambda x, w, b: layer(x), [leaf((4, 3)), layer.weight, layer.bias])


def test_linear_casts_constant_input_to_its_dtype():
    layer = nn.Linear(3, 2)
    assert layer(np.ones((1, 3))).dtype == np.float32


def test_linear_rejects_a_wrong_last_dimension_naming_itself_and_the_shape():
    message = (r"Linear\(in_features=3, out_features=2, bias=True\): expected input with last "
               r"dimension 3, got shape \(4, 5\)")
    with pytest.raises(ValueError, match=message):
        nn.Linear(3, 2)(np.ones((4, 5)))


@pytest.mark.parametrize("args, message", [
    (((4, 3), (2, 3, 1), None), r"linear: weight must be 2-D"),
    (((4, 5), (2, 3), None), r"linear: input of shape \(4, 5\) does not match weight"),
    (((4, 3), (2, 3), (3,)), r"linear: bias must have shape \(2,\), got \(3,\)"),
])
def test_functional_linear_checks_shapes(args, message):
    x, w, b = (None if s is None else np.ones(s) for s in args)
    with pytest.raises(ValueError, match=message):
        F.linear(x, w, b)


@pytest.mark.parametrize("args", [(-1, 2), (2.5, 2), (2, True)])
def test_linear_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match="Linear: .* must be a non-negative int"):
        nn.Linear(*args)


# ---------------------------------------------------------------- Identity, Flatten


def test_identity_returns_its_input_and_ignores_arguments():
    x = ag.Tensor(np.ones(3))
    assert nn.Identity(54, unused="yes")(x) is x


@pytest.mark.parametrize("start, end, shape, expected", [
    (1, -1, (2, 3, 4, 5), (2, 60)),
    (0, -1, (2, 3, 4), (24,)),
    (1, 2, (2, 3, 4, 5), (2, 12, 5)),
    (-2, -1, (2, 3, 4), (2, 12)),
    (1, 1, (2, 3), (2, 3)),
])
def test_flatten_merges_the_chosen_dimensions(start, end, shape, expected):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    out = nn.Flatten(start, end)(x)
    assert out.shape == expected
    np.testing.assert_array_equal(out.data.ravel(), x.ravel())


def test_flatten_passes_gradients_back_in_the_input_shape():
    assert ag.gradcheck(lambda x: nn.Flatten()(x) * 2.0, [leaf((2, 3, 2))])


@pytest.mark.parametrize("start, end, shape", [
    (1, -1, (2, 3, 4)), (0, -1, (2, 3)), (1, 1, (2, 3)), (0, 0, ()), (0, -1, ()),
    (1, -1, (0, 0, 3)), (0, 1, (2, 0, 3)),
])
def test_flatten_matches_torch_including_0d_and_size_0(start, end, shape):
    torch = pytest.importorskip("torch")
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    expected = torch.nn.Flatten(start, end)(torch.tensor(x)).numpy()
    out = nn.Flatten(start, end)(x)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected)


def test_flatten_rejects_dimensions_out_of_range():
    with pytest.raises(IndexError, match=r"flatten: dimension 1 is out of range for a tensor of "
                                         r"shape \(3,\)"):
        nn.Flatten()(np.ones(3))


def test_flatten_rejects_start_after_end():
    with pytest.raises(ValueError, match=r"flatten: start_dim 2 comes after end_dim 1"):
        nn.Flatten(2, 1)(np.ones((2, 3, 4)))


# ---------------------------------------------------------------- MLP


def test_mlp_builds_the_classic_network_layer_by_layer():
    mlp = nn.MLP(3, [2, 1], 1)
    kinds = [type(m).__name__ for m in mlp]
    assert kinds == ["Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"]
    sizes = [(m.in_features, m.out_features) for m in mlp if isinstance(m, nn.Linear)]
    assert sizes == [(3, 2), (2, 1), (1, 1)]


def test_mlp_output_activation_is_appended_when_asked():
    mlp = nn.MLP(3, 4, 2, activation="tanh", output_activation="sigmoid")
    assert [type(m).__name__ for m in mlp] == ["Linear", "Tanh", "Linear", "Sigmoid"]


@pytest.mark.parametrize("activation, kind", [
    ("sigmoid", nn.Sigmoid), ("tanh", nn.Tanh), ("relu", nn.ReLU), ("leaky_relu", nn.LeakyReLU),
    ("gelu", nn.GELU), ("ReLU", nn.ReLU), (nn.Tanh, nn.Tanh),
])
def test_mlp_accepts_activation_names_and_classes(activation, kind):
    mlp = nn.MLP(2, [3, 3], 1, activation=activation)
    assert isinstance(mlp[1], kind) and isinstance(mlp[3], kind)
    assert mlp[1] is not mlp[3]


@pytest.mark.parametrize("activation, error", [("swish", ValueError), (nn.ReLU(), TypeError)])
def test_mlp_rejects_unknown_activations(activation, error):
    with pytest.raises(error, match="MLP: "):
        nn.MLP(2, [3], 1, activation=activation)


def test_mlp_forward_is_the_composition_of_its_layers():
    mlp = nn.MLP(3, [2, 1], 1, output_activation="sigmoid").double()
    x = np.random.default_rng(0).standard_normal((5, 3))

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    h = x
    for layer in (mlp[0], mlp[2], mlp[4]):
        h = sigmoid(h @ layer.weight.data.T + layer.bias.data)
    np.testing.assert_allclose(mlp(x).data, h, rtol=1e-12)


def test_mlp_gradients_match_finite_differences_for_input_and_every_parameter():
    mlp = nn.MLP(3, [4, 2], 2, activation="tanh").double()
    params = list(mlp.parameters())
    assert ag.gradcheck(lambda x, *p: mlp(x), [leaf((5, 3))] + params)
