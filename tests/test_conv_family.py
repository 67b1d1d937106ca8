"""Conv1d, Conv2d (dilation, groups, padding strings and modes), ConvTranspose2d.

Against loop references written from the definitions, and side by side with
PyTorch (copied weights, float64, outputs and all gradients) where it is installed.
"""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from tests.torch_compare import compare_layer


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def conv_reference(x, weight, bias, stride, padding, dilation, groups):
    """out[n, o, y, x] = b[o] + sum_{c, i, j} w[o, c, i, j] xpad[n, g*C/G + c, y*s + i*d, x*s + j*d]
    with g = o // (O/G): the block of input channels that output channel o sees."""
    (sh, sw), (dh, dw) = stride, dilation
    (top, bottom), (left, right) = padding
    n, c, h, w = x.shape
    o, c_group, kh, kw = weight.shape
    xp = np.zeros((n, c, top + h + bottom, left + w + right))
    xp[:, :, top:top + h, left:left + w] = x
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, ho, wo))
    for oc in range(o):
        first = oc // (o // groups) * c_group
        for y in range(ho):
            for xx in range(wo):
                window = xp[:, first:first + c_group, y * sh:y * sh + dh * (kh - 1) + 1:dh,
                            xx * sw:xx * sw + dw * (kw - 1) + 1:dw]
                out[:, oc, y, xx] = (window * weight[oc]).sum(axis=(1, 2, 3))
        out[:, oc] += 0.0 if bias is None else bias[oc]
    return out


def transpose_reference(x, weight, stride, padding, output_padding, dilation, groups):
    """Scatter every input value through the kernel: out[n, co, y*s - p + i*d, ...] +=
    x[n, ci, y, x] * w[ci, co - block start, i, j] (the definition of the transposed conv)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c_in, h, w = x.shape
    _, c_group, kh, kw = weight.shape
    ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + output_padding[0] + 1
    wo = (w - 1) * sw - 2 * pw + dw * (kw - 1) + output_padding[1] + 1
    big = np.zeros((n, c_group * groups, ho + 2 * ph + dh * kh, wo + 2 * pw + dw * kw))
    for ci in range(c_in):
        block = ci // (c_in // groups) * c_group
        for y in range(h):
            for xx in range(w):
                for i in range(kh):
                    for j in range(kw):
                        big[:, block:block + c_group, y * sh + i * dh, xx * sw + j * dw] += (
                            x[:, ci, y, xx, None] * weight[ci, :, i, j])
    return big[:, :, ph:ph + ho, pw:pw + wo]


REFERENCE_CASES = [  # (x shape, weight shape, stride, padding per side, dilation, groups)
    ((2, 4, 7, 6), (6, 2, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 2),
    ((1, 3, 8, 9), (3, 1, 3, 2), (2, 1), ((2, 2), (0, 0)), (2, 3), 3),
    ((2, 2, 5, 5), (4, 1, 2, 2), (1, 1), ((0, 1), (1, 0)), (1, 1), 2),  # "same", even kernel
    ((1, 2, 6, 6), (2, 2, 3, 3), (3, 2), ((0, 0), (1, 1)), (2, 1), 1),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", REFERENCE_CASES)
def test_conv2d_matches_the_loop_reference(x_shape, w_shape, stride, padding, dilation, groups):
    x, w, b = _random(x_shape, 0), _random(w_shape, 1), _random(w_shape[:1], 2)
    out = F.conv2d(ag.Tensor(x), ag.Tensor(w), ag.Tensor(b), stride, padding, dilation, groups)
    expected = conv_reference(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel, dilation, expected", [
    ((3, 3), (1, 1), ((1, 1), (1, 1))), ((4, 2), (1, 1), ((1, 2), (0, 1))),
    ((3, 4), (2, 3), ((2, 2), (4, 5))),
])
def test_same_padding_keeps_the_size_with_the_odd_one_at_the_end(kernel, dilation, expected):
    x, w = _random((1, 2, 7, 11), 0), _random((3, 2) + kernel, 1)
    out = F.conv2d(ag.Tensor(x), ag.Tensor(w), padding="same", dilation=dilation)
    assert out.shape == (1, 3, 7, 11)
    np.testing.assert_allclose(out.data, conv_reference(x, w, None, (1, 1), expected, dilation,
                                                        1), rtol=1e-12, atol=1e-12)
    valid = F.conv2d(ag.Tensor(x), ag.Tensor(w), padding="valid", dilation=dilation)
    np.testing.assert_allclose(valid.data, conv_reference(x, w, None, (1, 1), ((0, 0), (0, 0)),
                                                          dilation, 1), rtol=1e-12, atol=1e-12)


TRANSPOSE_CASES = [  # (x shape, weight shape, stride, padding, output_padding, dilation, groups)
    ((2, 3, 3, 4), (3, 2, 3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    ((1, 4, 4, 3), (4, 3, 4, 4), (2, 2), (1, 1), (1, 0), (1, 1), 2),
    ((2, 2, 3, 3), (2, 1, 3, 2), (1, 3), (1, 0), (1, 2), (2, 1), 1),  # rows no window reaches
    ((1, 3, 2, 3), (3, 1, 2, 3), (3, 2), (0, 1), (2, 1), (1, 2), 3),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding, dilation, groups",
                         TRANSPOSE_CASES)
def test_conv_transpose2d_matches_the_scatter_reference(x_shape, w_shape, stride, padding,
                                                        output_padding, dilation, groups):
    x, w, b = _random(x_shape, 0), _random(w_shape, 1), _random(w_shape[1] * groups, 2)
    out = F.conv_transpose2d(ag.Tensor(x), ag.Tensor(w), ag.Tensor(b), stride, padding,
                             output_padding, groups, dilation)
    expected = transpose_reference(x, w, stride, padding, output_padding, dilation, groups)
    np.testing.assert_allclose(out.data, expected + b[:, None, None], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", REFERENCE_CASES)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(x_shape, w_shape, stride, padding, dilation,
                                                   groups):
    """<conv2d(x, W), y> = <x, conv_transpose2d(y, W)>: the transposed conv is conv2d's
    input gradient (PyTorch's definition)."""
    x, w = _random(x_shape, 0), _random(w_shape, 1)
    out = F.conv2d(ag.Tensor(x), ag.Tensor(w), None, stride, padding, dilation, groups)
    y = _random(out.shape, 2)
    (top, bottom), (left, right) = padding
    if (top, left) != (bottom, right):
        return  # conv_transpose2d's padding is symmetric
    extra = tuple(size - ((o - 1) * s - 2 * p + d * (k - 1) + 1) for size, o, s, p, d, k in zip(
        x_shape[2:], out.shape[2:], stride, (top, left), dilation, w_shape[2:]))
    back = F.conv_transpose2d(ag.Tensor(y), ag.Tensor(w), None, stride, (top, left), extra,
                              groups, dilation)
    np.testing.assert_allclose(np.sum(out.data * y), np.sum(x * back.data), rtol=1e-12)


def test_conv1d_is_conv2d_over_a_height_of_one():
    x, w, b = _random((2, 4, 9), 0), _random((6, 2, 3), 1), _random(6, 2)
    out = F.conv1d(ag.Tensor(x), ag.Tensor(w), ag.Tensor(b), stride=2, padding=1, dilation=2,
                   groups=2)
    expected = conv_reference(x[:, :, None], w[:, :, None], b, (1, 2), ((0, 0), (1, 1)), (1, 2),
                              2)[:, :, 0]
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode, expected_row", [
    ("reflect", [2.0, 1.0, 2.0, 3.0, 2.0]),
    ("replicate", [1.0, 1.0, 2.0, 3.0, 3.0]),
    ("circular", [3.0, 1.0, 2.0, 3.0, 1.0]),
])
def test_padding_modes_pad_with_the_right_values(mode, expected_row):
    layer = nn.Conv1d(1, 1, 1, padding=1, padding_mode=mode, bias=False).double()
    layer.weight.data[...] = 1.0  # a 1x1 identity kernel: the output is the padded input
    out = layer(ag.Tensor(np.array([[[1.0, 2.0, 3.0]]])))
    np.testing.assert_array_equal(out.data[0, 0], expected_row)


def test_depthwise_conv_treats_each_channel_alone():
    layer = nn.Conv2d(3, 3, 3, padding=1, groups=3, bias=False).double()
    x = _random((1, 3, 5, 5), 0)
    x[:, 1:] = 0.0
    out = layer(ag.Tensor(x))
    assert np.abs(out.data[:, 0]).max() > 0
    np.testing.assert_array_equal(out.data[:, 1:], 0.0)


# --------------------------------------------------------------------------- layers


def test_parameter_shapes_follow_pytorch():
    assert nn.Conv2d(4, 6, 3, groups=2).weight.shape == (6, 2, 3, 3)
    assert nn.Conv1d(4, 8, 5, groups=4).weight.shape == (8, 1, 5)
    assert nn.ConvTranspose2d(4, 6, (2, 3), groups=2).weight.shape == (4, 3, 2, 3)
    assert nn.ConvTranspose2d(4, 6, 3).bias.shape == (6,)


@pytest.mark.parametrize("layer, fan_in", [
    (lambda: nn.Conv2d(16, 32, 3, groups=4), 4 * 9),
    (lambda: nn.Conv1d(8, 64, 5), 8 * 5),
    (lambda: nn.ConvTranspose2d(16, 32, 3, groups=2), 16 * 9),
])
def test_init_is_uniform_with_bound_one_over_sqrt_fan_in(layer, fan_in):
    np.random.seed(0)
    module = layer()
    bound = 1 / math.sqrt(fan_in)
    for values in (module.weight.data, module.bias.data):
        assert np.abs(values).max() <= bound
    assert np.abs(module.weight.data).max() > 0.98 * bound
    assert abs(module.weight.data.std() - bound / math.sqrt(3)) < 0.03 * bound


def test_padding_same_and_padding_mode_are_kept_as_given():
    layer = nn.Conv2d(2, 2, 3, padding="same", padding_mode="reflect")
    assert layer.padding == "same" and layer.padding_mode == "reflect"
    assert nn.Conv1d(2, 2, 3).kernel_size == (3,) and nn.Conv1d(2, 2, 3).padding == (0,)


def test_conv_transpose2d_output_size_picks_the_output_padding():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = ag.zeros((1, 2, 4, 5))
    assert layer(x).shape == (1, 3, 7, 9)
    assert layer(x, output_size=(8, 10)).shape == (1, 3, 8, 10)
    assert layer(x, output_size=(1, 3, 7, 10)).shape == (1, 3, 7, 10)
    with pytest.raises(ValueError, match=r"requested an output size of \(9, 10\), but valid "
                                         r"sizes range from 7 to 8"):
        layer(x, output_size=(9, 10))


# --------------------------------------------------------------------------- against torch


CONV2D_CASES = [
    (4, 6, dict(kernel_size=3, dilation=2, padding=2), (2, 4, 9, 8)),
    (4, 6, dict(kernel_size=3, groups=2, stride=2, padding=1), (2, 4, 7, 6)),
    (4, 4, dict(kernel_size=3, groups=4, padding=1), (2, 4, 6, 6)),  # depthwise
    (4, 8, dict(kernel_size=(3, 2), groups=4, dilation=(1, 2)), (1, 4, 6, 7)),
    (3, 5, dict(kernel_size=4, padding="same"), (2, 3, 6, 5)),
    (3, 5, dict(kernel_size=(3, 4), padding="same", dilation=(2, 3)), (1, 3, 7, 9)),
    (3, 5, dict(kernel_size=3, padding="valid", stride=(2, 1)), (2, 3, 7, 6)),
    (2, 4, dict(kernel_size=3, padding=1, padding_mode="reflect"), (2, 2, 5, 6)),
    (2, 4, dict(kernel_size=3, padding=(2, 1), padding_mode="replicate", stride=2), (1, 2, 5, 6)),
    (2, 4, dict(kernel_size=(2, 3), padding="same", padding_mode="circular", dilation=2,
                groups=2), (2, 2, 6, 7)),
    (2, 3, dict(kernel_size=3, padding=2, padding_mode="circular", bias=False), (1, 2, 4, 5)),
    (2, 4, dict(kernel_size=4, padding="same", groups=2, dilation=(2, 1)), (2, 2, 7, 6)),
    (3, 3, dict(kernel_size=(2, 3), padding=(0, 2), groups=3, bias=False), (1, 3, 5, 4)),
]
CONV1D_CASES = [
    (3, 4, dict(kernel_size=3), (2, 3, 8)),
    (4, 6, dict(kernel_size=3, stride=2, padding=2, dilation=2, groups=2), (2, 4, 11)),
    (4, 4, dict(kernel_size=5, padding="same", groups=4), (1, 4, 9)),
    (2, 3, dict(kernel_size=4, padding="same", padding_mode="reflect"), (2, 2, 7)),
    (2, 2, dict(kernel_size=3, padding=1, padding_mode="circular", bias=False), (2, 2, 5)),
    (2, 3, dict(kernel_size=3, padding="valid", padding_mode="replicate"), (1, 2, 6)),
]
TRANSPOSE_LAYER_CASES = [
    (4, 3, dict(kernel_size=3), (2, 4, 4, 5)),
    (4, 6, dict(kernel_size=4, stride=2, padding=1), (2, 4, 5, 4)),
    (4, 6, dict(kernel_size=3, stride=2, padding=1, output_padding=1, groups=2), (1, 4, 4, 4)),
    (2, 3, dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                dilation=(1, 2)), (2, 2, 3, 4)),
    (2, 2, dict(kernel_size=3, dilation=2, output_padding=1), (1, 2, 4, 4)),
    (4, 4, dict(kernel_size=3, groups=4, stride=2, bias=False), (2, 4, 3, 3)),
    (6, 3, dict(kernel_size=3, groups=3, padding=1, dilation=(1, 2)), (2, 6, 4, 5)),
]


def _ids(cases):
    return [f"{c_in}-{c_out}-{settings}" for c_in, c_out, settings, _ in cases]


@pytest.mark.parametrize("layer_name, c_in, c_out, settings, shape",
                         [("Conv2d",) + case for case in CONV2D_CASES]
                         + [("Conv1d",) + case for case in CONV1D_CASES]
                         + [("ConvTranspose2d",) + case for case in TRANSPOSE_LAYER_CASES],
                         ids=[f"Conv2d-{i}" for i in _ids(CONV2D_CASES)]
                         + [f"Conv1d-{i}" for i in _ids(CONV1D_CASES)]
                         + [f"ConvTranspose2d-{i}" for i in _ids(TRANSPOSE_LAYER_CASES)])
def test_layer_matches_torch(layer_name, c_in, c_out, settings, shape):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, layer_name)(c_in, c_out, **settings)
    ours = getattr(nn, layer_name)(c_in, c_out, **settings)
    assert repr(ours) == repr(theirs)
    compare_layer(torch, ours, theirs, _random(shape, 3))


def test_conv_transpose2d_output_size_matches_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1)
    ours = nn.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1)
    compare_layer(torch, ours, theirs, _random((2, 2, 4, 3), 4), output_size=(8, 9))


def test_functional_forms_match_torch():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    x, w, b = _random((2, 4, 7, 6), 0), _random((6, 2, 3, 2), 1), _random(6, 2)
    ours = F.conv2d(ag.Tensor(x), ag.Tensor(w), ag.Tensor(b), (2, 1), "valid", (1, 2), 2)
    theirs = TF.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), (2, 1), "valid",
                       (1, 2), 2)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-12)
    ours = F.conv_transpose2d(ag.Tensor(x), ag.Tensor(_random((4, 3, 3, 3), 5)), None, 2, 1, 1,
                              2, 1)
    theirs = TF.conv_transpose2d(torch.tensor(x), torch.tensor(_random((4, 3, 3, 3), 5)), None,
                                 2, 1, 1, 2, 1)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-12)
    x1, w1 = _random((2, 4, 9), 6), _random((2, 4, 3), 7)
    np.testing.assert_allclose(F.conv1d(ag.Tensor(x1), ag.Tensor(w1), None, 1, "same", 2).data,
                               TF.conv1d(torch.tensor(x1), torch.tensor(w1), None, 1, "same",
                                         2).numpy(), rtol=1e-12, atol=1e-12)


def test_unfold_and_fold_take_pytorchs_argument_order_and_dilation():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    x = _random((2, 3, 7, 8), 0)
    # kernel_size, dilation, padding, stride: PyTorch's positional order
    ours = F.unfold(ag.Tensor(x), (2, 3), (2, 1), 1, (1, 2))
    theirs = TF.unfold(torch.tensor(x), (2, 3), (2, 1), 1, (1, 2))
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    cols = _random(ours.shape, 1)
    np.testing.assert_allclose(
        F.fold(ag.Tensor(cols), (7, 8), (2, 3), (2, 1), 1, (1, 2)).data,
        TF.fold(torch.tensor(cols), (7, 8), (2, 3), (2, 1), 1, (1, 2)).numpy(), rtol=1e-12)


def test_second_derivatives_match_torch_through_groups_and_dilation():
    torch = pytest.importorskip("torch")
    x, w = _random((1, 4, 6, 5), 0), _random((4, 2, 3, 2), 1)
    xo, wo = ag.Tensor(x, requires_grad=True), ag.Tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out_ours = F.conv2d(xo, wo, None, 1, 2, (2, 1), 2)
    out_theirs = torch.nn.functional.conv2d(xt, wt, None, 1, 2, (2, 1), 2)
    gx_ours, = ag.grad((out_ours ** 2).sum(), [xo], create_graph=True)
    gx_theirs, = torch.autograd.grad((out_theirs ** 2).sum(), [xt], create_graph=True)
    (gx_ours ** 2).sum().backward()
    (gx_theirs ** 2).sum().backward()
    np.testing.assert_allclose(wo.grad.data, wt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-10)


def test_float32_stays_float32():
    x = ag.Tensor(_random((1, 2, 5, 5)).astype(np.float32))
    assert nn.Conv2d(2, 4, 3, groups=2, dilation=2, padding="same",
                     padding_mode="reflect")(x).dtype == np.float32
    assert nn.ConvTranspose2d(2, 4, 3, stride=2)(x).dtype == np.float32
    assert nn.Conv1d(2, 4, 3)(ag.Tensor(np.ones((1, 2, 5), np.float32))).dtype == np.float32


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("build, message", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), r"Conv2d: in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), r"Conv2d: out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 4, 3, padding="full"), r"Conv2d: invalid padding string 'full'"),
    (lambda: nn.Conv2d(4, 4, 3, stride=2, padding="same"),
     r"Conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode="mirror"), r"Conv2d: padding_mode must be one of"),
    (lambda: nn.Conv2d(4, 4, 3, dilation=0), r"Conv2d: dilation must be positive, got \(0, 0\)"),
    (lambda: nn.Conv1d(4, 4, (3, 3)), r"Conv1d: kernel_size must be an int or a tuple of 1"),
    (lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
     r"ConvTranspose2d: only padding_mode='zeros' is supported"),
    (lambda: nn.ConvTranspose2d(2, 2, 3, padding="same"),
     r"ConvTranspose2d: padding must be an int or a pair of ints, got 'same'"),
])
def test_bad_layer_arguments_are_refused(build, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build()


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(ag.zeros((1, 4, 5, 5)), ag.zeros((6, 3, 3, 3)), groups=2),
     r"conv2d: input has 4 channels \(shape \(1, 4, 5, 5\)\) but weight \(6, 3, 3, 3\) expects "
     r"3 \* groups=2 = 6"),
    (lambda: F.conv2d(ag.zeros((1, 4, 5, 5)), ag.zeros((3, 2, 3, 3)), groups=2),
     r"conv2d: weight \(3, 2, 3, 3\) has 3 output channels, which is not divisible by groups=2"),
    (lambda: F.conv2d(ag.zeros((1, 1, 4, 4)), ag.zeros((1, 1, 3, 3)), dilation=2),
     r"conv2d: kernel size \(3, 3\) with dilation \(2, 2\) spans \(5, 5\), which is larger than "
     r"the padded input \(4, 4\)"),
    (lambda: F.conv1d(ag.zeros((1, 2, 4, 4)), ag.zeros((1, 2, 3))),
     r"conv1d: expected a 3-D input \(N, C, L\), got shape \(1, 2, 4, 4\)"),
    (lambda: F.conv1d(ag.zeros((1, 2, 4)), ag.zeros((1, 2, 3)), dilation=2),
     r"conv1d: kernel size 3 \(dilation 2\) is larger than the padded input 4"),
    (lambda: F.conv_transpose2d(ag.zeros((1, 2, 4, 4)), ag.zeros((2, 1, 3, 3)), stride=2,
                                output_padding=2),
     r"conv_transpose2d: output_padding must be non-negative and smaller than either stride or "
     r"dilation"),
    (lambda: F.conv_transpose2d(ag.zeros((1, 3, 4, 4)), ag.zeros((2, 1, 3, 3))),
     r"conv_transpose2d: input has 3 channels"),
    (lambda: nn.Conv2d(2, 2, 3, padding=3, padding_mode="reflect")(ag.zeros((1, 2, 3, 5))),
     r"padding \(3, 3\) is too large for padding_mode='reflect' on an axis of size 3 .*at most 2"),
    (lambda: nn.Conv1d(2, 2, 3)(ag.zeros((1, 3, 5))),
     r"Conv1d\(2, 2, .*expected input of shape \(N, 2, L\), got \(1, 3, 5\)"),
])
def test_bad_calls_name_the_op_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()
