"""interpolate and nn.Upsample: nearest, nearest-exact, linear, bilinear (align_corners
False/True), area; against formulas and side by side with PyTorch."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F


def bilinear_reference(x, out_h, out_w, align_corners):
    """Each output pixel interpolates its four neighbours at the source coordinate:
    ``(k + 0.5) * in/out - 0.5`` clamped at 0 (pixel centres), or ``k * (in-1)/(out-1)``."""
    h, w = x.shape[-2:]

    def source(k, size, out):
        if align_corners:
            return k * (size - 1) / (out - 1) if out > 1 else 0.0
        return max((k + 0.5) * size / out - 0.5, 0.0)

    out = np.zeros(x.shape[:-2] + (out_h, out_w))
    for i in range(out_h):
        sy = source(i, h, out_h)
        y0 = min(int(math.floor(sy)), h - 1)
        y1, ly = min(y0 + 1, h - 1), sy - y0
        for j in range(out_w):
            sx = source(j, w, out_w)
            x0 = min(int(math.floor(sx)), w - 1)
            x1, lx = min(x0 + 1, w - 1), sx - x0
            out[..., i, j] = ((1 - ly) * ((1 - lx) * x[..., y0, x0] + lx * x[..., y0, x1])
                              + ly * ((1 - lx) * x[..., y1, x0] + lx * x[..., y1, x1]))
    return out


@pytest.mark.parametrize("size", [(6, 8), (5, 7), (2, 3), (1, 1), (3, 9)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_bilinear_matches_the_formula(size, align_corners):
    x = np.random.default_rng(0).standard_normal((2, 3, 3, 4))
    out = F.interpolate(ag.Tensor(x), size=size, mode="bilinear", align_corners=align_corners)
    np.testing.assert_allclose(out.data, bilinear_reference(x, *size, align_corners),
                               rtol=1e-12, atol=1e-12)


def test_nearest_repeats_pixels_for_an_integer_scale():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    out = F.interpolate(ag.Tensor(x), scale_factor=2)
    np.testing.assert_array_equal(out.data[0, 0], np.repeat(np.repeat(x[0, 0], 2, 0), 2, 1))


def test_nearest_uses_floor_of_k_times_the_scale():
    x = np.arange(5.0).reshape(1, 1, 5)
    # out 3: scale 5/3, sources floor(0), floor(1.67), floor(3.33)
    np.testing.assert_array_equal(F.interpolate(ag.Tensor(x), size=3).data[0, 0], [0, 1, 3])
    # nearest-exact: floor((k + 0.5) * 5/3) = floor(0.83), floor(2.5), floor(4.17)
    np.testing.assert_array_equal(
        F.interpolate(ag.Tensor(x), size=3, mode="nearest-exact").data[0, 0], [0, 2, 4])


def test_area_is_adaptive_average_pooling():
    x = np.random.default_rng(1).standard_normal((1, 2, 6, 5))
    np.testing.assert_allclose(F.interpolate(ag.Tensor(x), size=(4, 3), mode="area").data,
                               F.adaptive_avg_pool2d(ag.Tensor(x), (4, 3)).data)


def test_gradient_sums_over_the_outputs_that_read_a_pixel():
    x = ag.Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.interpolate(x, scale_factor=3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((1, 1, 2, 2), 9.0))
    x = ag.Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.interpolate(x, size=(4, 4), mode="bilinear").sum().backward()
    np.testing.assert_allclose(x.grad.data.sum(), 16.0)  # the weights of each output sum to 1


def test_an_infinite_pixel_stays_where_it_is_read():
    x = np.ones((1, 1, 2, 2), np.float32)
    x[0, 0, 0, 0] = np.inf
    out = F.interpolate(ag.Tensor(x), scale_factor=2, mode="bilinear", align_corners=True)
    assert out.dtype == np.float32
    assert np.isinf(out.data[0, 0, 0, 0]) and np.isfinite(out.data[0, 0, 3, 3])


# --------------------------------------------------------------------------- against torch


CASES = [  # (input shape, arguments)
    ((2, 3, 4, 5), dict(scale_factor=2)),
    ((2, 3, 4, 5), dict(size=(7, 3))),
    ((1, 2, 5, 7), dict(scale_factor=(1.7, 0.6))),
    ((1, 2, 5, 7), dict(scale_factor=2.3, recompute_scale_factor=True)),
    ((1, 2, 3, 4), dict(size=(6, 8), mode="nearest-exact")),
    ((1, 2, 5, 7), dict(scale_factor=1.5, mode="nearest-exact")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((1, 2, 6, 7), dict(size=(4, 9), mode="bilinear")),
    ((1, 2, 6, 7), dict(size=(1, 9), mode="bilinear", align_corners=True)),
    ((1, 2, 5, 7), dict(scale_factor=(1.7, 0.6), mode="bilinear")),
    ((1, 2, 5, 7), dict(scale_factor=2.3, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 7), dict(scale_factor=3, mode="linear")),
    ((2, 3, 7), dict(size=4, mode="linear", align_corners=True)),
    ((2, 3, 7), dict(size=11)),
    ((1, 2, 7, 6), dict(size=(3, 4), mode="area")),
    ((2, 2, 5), dict(size=3, mode="area")),
]


@pytest.mark.parametrize("shape, arguments", CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_interpolate_matches_torch(shape, arguments):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    xo, xt = ag.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours = F.interpolate(xo, **arguments)
    out_theirs = torch.nn.functional.interpolate(xt, **arguments)
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), rtol=1e-12,
                               atol=1e-13)
    upstream = np.random.default_rng(1).standard_normal(out_ours.shape)
    (out_ours * ag.Tensor(upstream)).sum().backward()
    (out_theirs * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("layer", [
    lambda nn: nn.Upsample(scale_factor=2),
    lambda nn: nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
    lambda nn: nn.Upsample(scale_factor=(2, 1.5), mode="bilinear"),
    lambda nn: nn.UpsamplingNearest2d(scale_factor=3),
    lambda nn: nn.UpsamplingBilinear2d(size=(5, 2)),
])
def test_upsample_layers_match_torch(layer):
    torch = pytest.importorskip("torch")
    ours, theirs = layer(nn), layer(torch.nn)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(2).standard_normal((2, 2, 3, 4))
    np.testing.assert_allclose(ours(ag.Tensor(x)).data, theirs(torch.tensor(x)).numpy(),
                               rtol=1e-12, atol=1e-13)
    assert list(ours.parameters()) == []


def test_second_derivatives_through_interpolate_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 4))
    xo, xt = ag.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours = F.interpolate(xo, size=(5, 6), mode="bilinear")
    out_theirs = torch.nn.functional.interpolate(xt, size=(5, 6), mode="bilinear")
    grad_ours, = ag.grad((out_ours ** 3).sum(), [xo], create_graph=True)
    grad_theirs, = torch.autograd.grad((out_theirs ** 3).sum(), [xt], create_graph=True)
    (grad_ours ** 2).sum().backward()
    (grad_theirs ** 2).sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-10)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("arguments, message", [
    (dict(), r"interpolate: either size or scale_factor should be defined, and only one"),
    (dict(size=4, scale_factor=2), r"only one of them"),
    (dict(size=4, mode="bicubic"), r"interpolate: unsupported mode 'bicubic'"),
    (dict(size=4, mode="linear"), r"interpolate: mode 'linear' expects a 3-D input, got shape "
                                  r"\(1, 2, 3, 4\)"),
    (dict(size=4, align_corners=True), r"align_corners can only be set with the interpolating "
                                       r"modes"),
    (dict(size=(4, 4, 4)), r"interpolate: size must have 2 entries for a 4-D input"),
    (dict(scale_factor=0.2), r"interpolate: output size \(0, 0\) must be positive"),
])
def test_bad_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        F.interpolate(ag.zeros((1, 2, 3, 4)), **arguments)


def test_interpolating_integers_is_refused_but_nearest_copies_them():
    ids = ag.Tensor(np.arange(6).reshape(1, 1, 2, 3))
    with pytest.raises(TypeError, match=r"interpolate: mode 'bilinear' needs a floating-point "
                                        r"input, got dtype int64"):
        F.interpolate(ids, scale_factor=2, mode="bilinear")
    out = F.interpolate(ids, scale_factor=2)
    assert out.dtype == np.int64 and out.data[0, 0, 3, 5] == 5
