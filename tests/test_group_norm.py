"""GroupNorm (and F.group_norm): the definition, and side by side with PyTorch."""

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from tests.torch_compare import compare_layer


def group_norm_reference(x, groups, weight, bias, eps):
    """Standardise each (sample, group) over its channels and positions, then per channel
    ``* weight + bias``."""
    n, c = x.shape[:2]
    grouped = x.reshape(n, groups, -1)
    mean = grouped.mean(axis=2, keepdims=True)
    var = grouped.var(axis=2, keepdims=True)
    out = ((grouped - mean) / np.sqrt(var + eps)).reshape(x.shape)
    view = (1, c) + (1,) * (x.ndim - 2)
    return out * weight.reshape(view) + bias.reshape(view)


@pytest.mark.parametrize("shape, groups", [((2, 6, 3, 4), 3), ((3, 4, 5), 1), ((2, 4), 4),
                                           ((1, 6, 2, 2, 2), 2)])
def test_group_norm_matches_the_definition(shape, groups):
    rng = np.random.default_rng(0)
    x, weight, bias = rng.standard_normal(shape), rng.standard_normal(shape[1]), rng.normal(
        size=shape[1])
    out = F.group_norm(ag.Tensor(x), groups, ag.Tensor(weight), ag.Tensor(bias), eps=1e-3)
    np.testing.assert_allclose(out.data, group_norm_reference(x, groups, weight, bias, 1e-3),
                               rtol=1e-12, atol=1e-12)


def test_layer_starts_as_the_identity_affine_and_keeps_float32():
    layer = nn.GroupNorm(2, 4)
    np.testing.assert_array_equal(layer.weight.data, np.ones(4))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(4))
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer(ag.Tensor(np.ones((2, 4, 3), np.float32))).dtype == np.float32
    assert list(nn.GroupNorm(2, 4, affine=False).parameters()) == []
    assert nn.GroupNorm(2, 4, bias=False).bias is None


def test_train_and_eval_give_the_same_result():
    layer = nn.GroupNorm(2, 4).double()
    x = ag.Tensor(np.random.default_rng(1).standard_normal((3, 4, 5)))
    np.testing.assert_array_equal(layer(x).data, layer.eval()(x).data)


@pytest.mark.parametrize("groups, channels, settings, shape", [
    (2, 6, dict(), (3, 6, 4, 5)), (1, 4, dict(eps=1e-3), (2, 4, 7)),
    (4, 4, dict(affine=False), (2, 4, 3, 3)), (3, 6, dict(bias=False), (2, 6)),
])
def test_layer_matches_torch(groups, channels, settings, shape):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.GroupNorm(groups, channels, **settings)
    ours = nn.GroupNorm(groups, channels, **settings)
    assert repr(ours) == repr(theirs)
    with torch.no_grad():  # not the identity, so that the parameters' gradients matter
        for param in theirs.parameters():
            param.uniform_(0.5, 1.5)
    compare_layer(torch, ours, theirs, np.random.default_rng(2).standard_normal(shape))


@pytest.mark.parametrize("build, message", [
    (lambda: nn.GroupNorm(3, 4), r"GroupNorm: num_channels \(4\) must be divisible by "
                                 r"num_groups \(3\)"),
    (lambda: nn.GroupNorm(0, 4), r"GroupNorm: num_groups must be a positive int, got 0"),
    (lambda: nn.GroupNorm(2, 4)(ag.zeros((2, 3, 5))),
     r"GroupNorm\(2, 4, .*expected input of shape \(N, 4, \*\), got \(2, 3, 5\)"),
    (lambda: F.group_norm(ag.zeros((2, 6, 3)), 4),
     r"group_norm: expected an input of shape \(N, C, \*\) with C divisible by num_groups=4"),
])
def test_bad_arguments_are_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()
