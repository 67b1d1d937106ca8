"""BatchNorm1d, BatchNorm2d and LayerNorm against their formulas; gradchecks; running stats."""

import numpy as np
import pytest

import autograd as ag
import nn
from nn.functional import batch_norm, layer_norm
from nn.functional.normalization import normalize


def _random(shape, seed, scale=1.0, shift=0.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale + shift


def batch_norm_reference(x, weight, bias, eps=1e-5):
    """Per channel (axis 1): (x - mean) / sqrt(biased var + eps) * weight + bias."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


def _with_affine(layer, seed):
    """Non-trivial weight and bias, so the test sees them used."""
    layer.weight.data[...] = _random(layer.weight.shape, seed)
    layer.bias.data[...] = _random(layer.bias.shape, seed + 1)
    return layer


# --------------------------------------------------------------------------- normalize

NORMALIZE_CASES = [((4, 3), 0), ((4, 3), -1), ((2, 3, 4), (0, 2)), ((3, 2, 2, 3), (0, 2, 3)),
                   ((2, 3, 4), (1, 2))]


@pytest.mark.parametrize("shape, axes", NORMALIZE_CASES)
def test_normalize_matches_formula(shape, axes):
    x = _random(shape, 0, scale=3.0, shift=2.0)
    mean = x.mean(axis=axes, keepdims=True)
    expected = (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(normalize(ag.Tensor(x), axes).data, expected, atol=1e-12)


@pytest.mark.parametrize("shape, axes", NORMALIZE_CASES)
def test_normalize_gradcheck_and_gradgradcheck(shape, axes):
    x = ag.Tensor(_random(shape, 1), requires_grad=True)
    weights = ag.Tensor(_random(shape, 2))  # a generic output gradient
    assert ag.gradcheck(lambda x: normalize(x, axes) * weights, (x,))
    assert ag.gradgradcheck(lambda x: normalize(x, axes) * weights, (x,))


@pytest.mark.parametrize("axes", [(), 3, (0, -4)])
def test_normalize_rejects_invalid_axes(axes):
    with pytest.raises(ValueError, match=r"normalize: invalid axes .* shape \(2, 3, 4\)"):
        normalize(ag.zeros((2, 3, 4)), axes)


# --------------------------------------------------------------------------- BatchNorm

LAYERS = [(nn.BatchNorm1d, (8, 3)), (nn.BatchNorm1d, (4, 3, 5)), (nn.BatchNorm2d, (4, 3, 2, 5))]
LAYER_IDS = ["1d-NC", "1d-NCL", "2d-NCHW"]


@pytest.mark.parametrize("layer_class, shape", LAYERS, ids=LAYER_IDS)
def test_batch_norm_train_mode_uses_batch_statistics(layer_class, shape):
    layer = _with_affine(layer_class(3).double(), 0)
    x = _random(shape, 2, scale=3.0, shift=1.5)
    out = layer(ag.Tensor(x))
    np.testing.assert_allclose(out.data, batch_norm_reference(x, layer.weight.data,
                                                              layer.bias.data), atol=1e-12)


@pytest.mark.parametrize("layer_class, shape", LAYERS, ids=LAYER_IDS)
def test_batch_norm_running_stats_after_two_steps(layer_class, shape):
    layer = layer_class(3, momentum=0.1)
    batches = [_random(shape, 3, scale=2.0, shift=1.0), _random(shape, 4, scale=0.5, shift=-2.0)]
    for batch in batches:
        layer(ag.Tensor(batch.astype(np.float32)))
    axes = (0,) + tuple(range(2, len(shape)))
    count = batches[0].size // 3
    mean, var = np.zeros(3), np.ones(3)
    for batch in batches:
        mean = 0.9 * mean + 0.1 * batch.mean(axis=axes)
        var = 0.9 * var + 0.1 * batch.var(axis=axes) * count / (count - 1)  # unbiased
    np.testing.assert_allclose(layer.running_mean.data, mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.running_var.data, var, rtol=1e-5)
    assert int(layer.num_batches_tracked.data) == 2
    assert layer.running_mean.dtype == np.float32


def test_batch_norm_momentum_none_is_a_cumulative_average():
    layer = nn.BatchNorm1d(2, momentum=None)
    batches = [_random((5, 2), seed) for seed in range(3)]
    for batch in batches:
        layer(ag.Tensor(batch))
    np.testing.assert_allclose(layer.running_mean.data,
                               np.mean([b.mean(axis=0) for b in batches], axis=0), rtol=1e-5)
    # the initial running_var (1) counts for nothing once three batches are averaged
    np.testing.assert_allclose(layer.running_var.data,
                               np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0),
                               rtol=1e-5)


@pytest.mark.parametrize("layer_class, shape", LAYERS, ids=LAYER_IDS)
def test_batch_norm_eval_mode_uses_running_stats(layer_class, shape):
    layer = _with_affine(layer_class(3).double(), 5)
    layer.running_mean.data[...] = [0.5, -1.0, 2.0]
    layer.running_var.data[...] = [4.0, 0.25, 1.0]
    layer.eval()
    x = _random(shape, 6)
    out = layer(ag.Tensor(x))
    view = (1, 3) + (1,) * (len(shape) - 2)
    expected = ((x - layer.running_mean.data.reshape(view))
                / np.sqrt(layer.running_var.data.reshape(view) + 1e-5)
                * layer.weight.data.reshape(view) + layer.bias.data.reshape(view))
    np.testing.assert_allclose(out.data, expected, atol=1e-12)
    np.testing.assert_array_equal(layer.running_mean.data, [0.5, -1.0, 2.0])
    assert int(layer.num_batches_tracked.data) == 0


def test_batch_norm_without_running_stats_uses_batch_statistics_in_eval():
    layer = nn.BatchNorm2d(3, track_running_stats=False, affine=False).double().eval()
    assert layer.running_mean is None and list(layer.parameters()) == []
    assert list(layer.state_dict()) == []
    x = _random((2, 3, 4, 4), 7)
    np.testing.assert_allclose(layer(ag.Tensor(x)).data,
                               batch_norm_reference(x, np.ones(3), np.zeros(3)), atol=1e-12)


def test_batch_norm_state_dict_names_buffers():
    assert list(nn.BatchNorm2d(4).state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


@pytest.mark.parametrize("layer_class, shape", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batch_norm_gradcheck_input_and_parameters(layer_class, shape, training):
    layer = _with_affine(layer_class(3).double(), 8).train(training)
    x = ag.Tensor(_random(shape, 9), requires_grad=True)
    assert ag.gradcheck(lambda x, w, b: layer(x), (x, layer.weight, layer.bias))


def test_batch_norm_gradgradcheck_train_mode():
    layer = _with_affine(nn.BatchNorm2d(2).double(), 10)
    x = ag.Tensor(_random((3, 2, 2, 2), 11), requires_grad=True)
    assert ag.gradgradcheck(lambda x, w, b: layer(x), (x, layer.weight, layer.bias))


@pytest.mark.parametrize("layer, shape", [(nn.BatchNorm1d(3), (1, 3)),
                                          (nn.BatchNorm2d(3), (1, 3, 1, 1))])
def test_batch_norm_rejects_one_value_per_channel_in_training(layer, shape):
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        layer(ag.zeros(shape))
    layer.eval()
    assert layer(ag.zeros(shape)).shape == shape


def buffers(layer) -> dict:
    return {name: np.array(value) for name, value in layer.state_dict().items()}


@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum", "cumulative"])
@pytest.mark.parametrize("layer_class, shape", [(nn.BatchNorm1d, (1, 3)),
                                                (nn.BatchNorm2d, (1, 3, 1, 1))])
def test_a_rejected_training_batch_changes_no_running_statistic(layer_class, shape, momentum):
    layer = layer_class(3, momentum=momentum)
    layer(ag.Tensor(_random((4,) + shape[1:], 30)))  # non-trivial statistics, one batch tracked
    before = buffers(layer)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        layer(ag.zeros(shape))
    after = buffers(layer)
    assert int(after["num_batches_tracked"]) == 1
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)


@pytest.mark.parametrize("argument", ["running_mean", "running_var", "weight", "bias"])
def test_functional_batch_norm_checks_every_per_channel_shape_before_updating(argument):
    running_mean, running_var = ag.zeros(3, dtype=np.float64), ag.ones(3, dtype=np.float64)
    values = dict(running_mean=running_mean, running_var=running_var,
                  weight=ag.ones(3, dtype=np.float64), bias=ag.zeros(3, dtype=np.float64))
    values[argument] = ag.ones(4, dtype=np.float64)
    with pytest.raises(ValueError, match=rf"batch_norm: {argument} must have shape \(3,\) "
                                         r"\(one value per channel of the input\), got \(4,\)"):
        batch_norm(ag.Tensor(_random((5, 3), 31)), training=True, **values)
    for name, statistic, initial in (("running_mean", running_mean, 0.0),
                                     ("running_var", running_var, 1.0)):
        if argument != name:
            np.testing.assert_array_equal(statistic.data, np.full(3, initial))


def test_batch_norm_accepts_batch_of_one_with_spatial_extent():
    assert nn.BatchNorm2d(3)(ag.randn(1, 3, 2, 2)).shape == (1, 3, 2, 2)


@pytest.mark.parametrize("layer, shape, message", [
    (nn.BatchNorm2d(3), (2, 3, 4), r"BatchNorm2d\(3\): expected input of shape \(N, C, H, W\)"),
    (nn.BatchNorm2d(3), (2, 4, 5, 5), r"with C=3, got \(2, 4, 5, 5\)"),
    (nn.BatchNorm1d(3), (2, 3, 4, 5), r"BatchNorm1d\(3\): .*\(N, C\) or \(N, C, L\)"),
    (nn.BatchNorm1d(3), (6,), r"BatchNorm1d\(3\): .*got \(6,\)"),
])
def test_batch_norm_rejects_wrong_shapes(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(ag.zeros(shape))


def test_batch_norm_repr():
    assert repr(nn.BatchNorm2d(16)) == (
        "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)")


def test_functional_batch_norm_updates_given_running_stats_and_uses_them_in_eval():
    x = _random((6, 2, 3), 20, scale=2.0, shift=1.0)
    running_mean, running_var = ag.zeros(2, dtype=np.float64), ag.ones(2, dtype=np.float64)
    weight, bias = ag.Tensor(np.array([2.0, 0.5])), ag.Tensor(np.array([1.0, -1.0]))
    out = batch_norm(ag.Tensor(x), running_mean, running_var, weight, bias, training=True,
                     momentum=0.2)
    np.testing.assert_allclose(out.data, batch_norm_reference(x, weight.data, bias.data),
                               atol=1e-12)
    np.testing.assert_allclose(running_mean.data, 0.2 * x.mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(running_var.data, 0.8 + 0.2 * x.var(axis=(0, 2), ddof=1),
                               rtol=1e-12)
    out = batch_norm(ag.Tensor(x), running_mean, running_var, training=False)
    expected = ((x - running_mean.data[:, None]) / np.sqrt(running_var.data[:, None] + 1e-5))
    np.testing.assert_allclose(out.data, expected, atol=1e-12)


def test_functional_batch_norm_rejects_one_value_per_channel():
    with pytest.raises(ValueError, match="batch_norm: Expected more than 1 value per channel"):
        batch_norm(ag.zeros((1, 4)), training=True)


# --------------------------------------------------------------------------- LayerNorm


def layer_norm_reference(x, dims, weight, bias, eps=1e-5):
    axes = tuple(range(x.ndim - dims, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


LAYER_NORM_CASES = [(5, (4, 5)), ((5,), (2, 3, 5)), ((3, 4), (2, 3, 4)), ((2, 3), (2, 3))]


@pytest.mark.parametrize("normalized_shape, shape", LAYER_NORM_CASES)
def test_layer_norm_matches_formula(normalized_shape, shape):
    layer = _with_affine(nn.LayerNorm(normalized_shape).double(), 12)
    x = _random(shape, 13, scale=2.0, shift=3.0)
    dims = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    np.testing.assert_allclose(layer(ag.Tensor(x)).data,
                               layer_norm_reference(x, dims, layer.weight.data, layer.bias.data),
                               atol=1e-12)


@pytest.mark.parametrize("normalized_shape, shape", LAYER_NORM_CASES)
def test_layer_norm_gradcheck(normalized_shape, shape):
    layer = _with_affine(nn.LayerNorm(normalized_shape).double(), 14)
    x = ag.Tensor(_random(shape, 15), requires_grad=True)
    assert ag.gradcheck(lambda x, w, b: layer(x), (x, layer.weight, layer.bias))


def test_layer_norm_gradgradcheck():
    layer = _with_affine(nn.LayerNorm(3).double(), 16)
    x = ag.Tensor(_random((2, 3), 17), requires_grad=True)
    assert ag.gradgradcheck(lambda x, w, b: layer(x), (x, layer.weight, layer.bias))


def test_layer_norm_without_affine_has_no_parameters():
    layer = nn.LayerNorm((2, 2), elementwise_affine=False)
    assert list(layer.parameters()) == []
    x = _random((3, 2, 2), 18)
    np.testing.assert_allclose(layer(ag.Tensor(x)).data,
                               layer_norm_reference(x, 2, 1.0, 0.0), atol=1e-6)


def test_functional_layer_norm_matches_formula_and_checks_the_shape():
    x, weight, bias = _random((3, 4), 21), _random(4, 22), _random(4, 23)
    out = layer_norm(ag.Tensor(x), 4, ag.Tensor(weight), ag.Tensor(bias))
    np.testing.assert_allclose(out.data, layer_norm_reference(x, 1, weight, bias), atol=1e-12)
    with pytest.raises(ValueError, match=r"layer_norm: expected input of shape \(\*, 5\)"):
        layer_norm(ag.Tensor(x), 5)


def test_layer_norm_rejects_wrong_trailing_shape():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(3, 4\)\).*\(\*, 3, 4\), got \(2, 4, 3\)"):
        nn.LayerNorm((3, 4))(ag.zeros((2, 4, 3)))


def test_layer_norm_repr():
    assert repr(nn.LayerNorm(10)) == "LayerNorm((10,), eps=1e-05, elementwise_affine=True)"


def test_norm_layers_match_torch():
    torch = pytest.importorskip("torch")
    x = _random((4, 3, 5, 5), 19, scale=2.0, shift=1.0)
    ours, theirs = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    weights = _random(x.shape, 20)
    for _ in range(2):
        ours_x = ag.Tensor(x.astype(np.float32), requires_grad=True)
        theirs_x = torch.tensor(x, dtype=torch.float32, requires_grad=True)
        out, expected = ours(ours_x), theirs(theirs_x)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-5)
        (out * ag.Tensor(weights.astype(np.float32))).sum().backward()
        (expected * torch.tensor(weights, dtype=torch.float32)).sum().backward()
        np.testing.assert_allclose(ours_x.grad.data, theirs_x.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-4)
    np.testing.assert_allclose(ours.bias.grad.data, theirs.bias.grad.numpy(), rtol=1e-4)
    np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.running_mean.data, theirs.running_mean.numpy(), rtol=1e-6)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(ag.Tensor(x.astype(np.float32))).data,
                               theirs(torch.tensor(x, dtype=torch.float32)).detach().numpy(),
                               atol=1e-5)
    out = nn.LayerNorm((5, 5))(ag.Tensor(x))
    expected = torch.nn.LayerNorm((5, 5)).double()(torch.tensor(x))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-6)
