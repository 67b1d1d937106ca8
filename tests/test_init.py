"""nn.init: gains, fans, distribution bounds and statistics, in-place behaviour."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import init


def big(shape=(400, 500), dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
    ("selu", None, 0.75),
])
def test_calculate_gain_matches_pytorch_table(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_rejects_unknown_names_and_bad_slopes():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope True is not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape, fans", [
    ((3, 5), (5, 3)), ((8, 4, 3, 3), (36, 72)), ((2, 6, 5), (30, 10)), ((0, 4), (4, 0)),
])
def test_fans_of_linear_and_conv_weights(shape, fans):
    assert init._calculate_fan_in_and_fan_out(np.zeros(shape)) == fans


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions, got shape \(5,\)"):
        init._calculate_fan_in_and_fan_out(np.zeros(5))


def _check_uniform(values, bound):
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound
    assert values.var() == pytest.approx(bound**2 / 3, rel=0.02)


def _check_normal(values, std):
    assert values.mean() == pytest.approx(0.0, abs=0.01 * std)
    assert values.std() == pytest.approx(std, rel=0.02)


def test_xavier_uniform_bound_is_gain_times_sqrt_6_over_fan_sum():
    np.random.seed(0)
    weight = init.xavier_uniform_(big(), gain=2.0)
    _check_uniform(weight.data, 2.0 * math.sqrt(6 / 900))


def test_xavier_normal_std_is_gain_times_sqrt_2_over_fan_sum():
    np.random.seed(1)
    _check_normal(init.xavier_normal_(big(), gain=0.5).data, 0.5 * math.sqrt(2 / 900))


@pytest.mark.parametrize("mode, fan", [("fan_in", 500), ("fan_out", 400)])
@pytest.mark.parametrize("nonlinearity, a, gain", [
    ("relu", 0, math.sqrt(2)), ("leaky_relu", 0.1, math.sqrt(2 / 1.01)), ("tanh", 0, 5 / 3)])
def test_kaiming_uniform_bound_is_gain_times_sqrt_3_over_fan(mode, fan, nonlinearity, a, gain):
    np.random.seed(2)
    weight = init.kaiming_uniform_(big(), a=a, mode=mode, nonlinearity=nonlinearity)
    _check_uniform(weight.data, gain * math.sqrt(3 / fan))


@pytest.mark.parametrize("mode, fan", [("fan_in", 500), ("fan_out", 400)])
def test_kaiming_normal_std_is_gain_over_sqrt_fan(mode, fan):
    np.random.seed(3)
    weight = init.kaiming_normal_(big(), mode=mode, nonlinearity="relu")
    _check_normal(weight.data, math.sqrt(2) / math.sqrt(fan))


def test_kaiming_default_is_leaky_relu_with_slope_zero():
    np.random.seed(4)
    weight = init.kaiming_uniform_(big())
    _check_uniform(weight.data, math.sqrt(2) * math.sqrt(3 / 500))


def test_kaiming_on_a_conv_weight_uses_the_receptive_field():
    np.random.seed(5)
    weight = init.kaiming_uniform_(big((64, 32, 3, 3)), nonlinearity="relu")
    _check_uniform(weight.data, math.sqrt(2) * math.sqrt(3 / (32 * 9)))


def test_kaiming_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_normal_(big((3, 3)), mode="fan_avg")


def test_kaiming_on_an_empty_tensor_warns_and_does_nothing():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(np.zeros((0, 3)))


def test_uniform_and_normal_use_their_arguments():
    np.random.seed(6)
    values = init.uniform_(big(), -2.0, 5.0).data
    assert values.min() >= -2.0 and values.max() < 5.0
    assert values.mean() == pytest.approx(1.5, abs=0.02)
    values = init.normal_(big(), mean=3.0, std=0.5).data
    assert values.mean() == pytest.approx(3.0, abs=0.005)
    assert values.std() == pytest.approx(0.5, rel=0.01)


@pytest.mark.parametrize("fill, expected", [
    (init.zeros_, 0.0), (init.ones_, 1.0), (lambda t: init.constant_(t, 2.5), 2.5)])
def test_constant_fills(fill, expected):
    np.testing.assert_array_equal(fill(big((2, 3))).data, np.full((2, 3), expected))


@pytest.mark.parametrize("fill", [
    init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_,
    init.zeros_, init.ones_, init.normal_, init.uniform_])
def test_init_writes_in_place_keeps_dtype_and_records_no_graph(fill):
    param = big((3, 4))
    array = param.data
    assert fill(param) is param
    assert param.data is array and param.dtype == np.float32
    assert param.is_leaf and param.requires_grad


def test_init_is_reproducible_from_numpy_seed():
    np.random.seed(11)
    first = init.xavier_normal_(big((5, 5))).data.copy()
    np.random.seed(11)
    np.testing.assert_array_equal(init.xavier_normal_(big((5, 5))).data, first)


def test_init_refuses_other_objects():
    with pytest.raises(TypeError, match="uniform_: expected a Tensor or ndarray, got list"):
        init.uniform_([1.0, 2.0])


@pytest.mark.parametrize("fill", [
    init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_,
    init.zeros_, init.ones_, init.normal_, init.uniform_, lambda t: init.constant_(t, 1.0)])
def test_init_bumps_the_tensors_version_once(fill, monkeypatch):
    bumped = []
    monkeypatch.setattr(ag.Tensor, "_bump_version", lambda self: bumped.append(self))
    param = big((3, 4))
    fill(param)
    assert len(bumped) == 1 and bumped[0] is param
