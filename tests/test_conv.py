"""conv2d, unfold/fold and nn.Conv2d: nested-loop references, gradchecks, errors."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn.functional.conv import conv2d, fold, unfold


def conv_reference(x, weight, bias, stride, padding):
    """out[n, o, y, x] = b[o] + sum_{c,i,j} w[o, c, i, j] xpad[n, c, y*sh + i, x*sw + j]."""
    (sh, sw), (ph, pw) = stride, padding
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + w] = x
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    out = np.zeros((n, o, ho, wo))
    for b in range(n):
        for oc in range(o):
            for y in range(ho):
                for xx in range(wo):
                    window = xp[b, :, y * sh:y * sh + kh, xx * sw:xx * sw + kw]
                    out[b, oc, y, xx] = np.sum(window * weight[oc]) + (
                        0.0 if bias is None else bias[oc])
    return out


# (x shape, weight shape, stride, padding)
CASES = [
    ((2, 3, 5, 5), (4, 3, 3, 3), (1, 1), (0, 0)),
    ((2, 3, 6, 7), (4, 3, 3, 3), (2, 2), (1, 1)),
    ((1, 2, 5, 6), (3, 2, 2, 3), (1, 2), (1, 0)),
    ((3, 1, 4, 4), (2, 1, 1, 1), (1, 1), (0, 0)),
    ((2, 2, 3, 3), (2, 2, 5, 5), (1, 1), (1, 1)),
    ((1, 3, 7, 5), (2, 3, 3, 2), (3, 2), (2, 1)),
]
IDS = [f"x{c[0]}-w{c[1]}-s{c[2]}-p{c[3]}" for c in CASES]


def _random(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CASES, ids=IDS)
def test_conv2d_matches_nested_loop_reference(x_shape, w_shape, stride, padding):
    x, w, b = _random(x_shape, 0), _random(w_shape, 1), _random(w_shape[:1], 2)
    out = conv2d(ag.Tensor(x), ag.Tensor(w), ag.Tensor(b), stride, padding)
    np.testing.assert_allclose(out.data, conv_reference(x, w, b, stride, padding),
                               rtol=1e-12, atol=1e-12)


def test_conv2d_without_bias_and_int_arguments():
    x, w = _random((2, 2, 6, 6), 0), _random((3, 2, 3, 3), 1)
    out = conv2d(ag.Tensor(x), ag.Tensor(w), stride=2, padding=1)
    np.testing.assert_allclose(out.data, conv_reference(x, w, None, (2, 2), (1, 1)), atol=1e-12)


def test_conv2d_keeps_float32():
    x = ag.Tensor(_random((1, 2, 4, 4), 0).astype(np.float32))
    w = ag.Tensor(_random((3, 2, 3, 3), 1).astype(np.float32))
    assert conv2d(x, w).dtype == np.float32


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CASES, ids=IDS)
def test_conv2d_gradcheck_input_weight_bias(x_shape, w_shape, stride, padding):
    x = ag.Tensor(_random(x_shape, 0), requires_grad=True)
    w = ag.Tensor(_random(w_shape, 1), requires_grad=True)
    b = ag.Tensor(_random(w_shape[:1], 2), requires_grad=True)
    assert ag.gradcheck(lambda x, w, b: conv2d(x, w, b, stride, padding), (x, w, b))


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CASES[:3], ids=IDS[:3])
def test_conv2d_gradgradcheck(x_shape, w_shape, stride, padding):
    x = ag.Tensor(_random(x_shape, 0), requires_grad=True)
    w = ag.Tensor(_random(w_shape, 1), requires_grad=True)
    b = ag.Tensor(_random(w_shape[:1], 2), requires_grad=True)
    assert ag.gradgradcheck(lambda x, w, b: conv2d(x, w, b, stride, padding), (x, w, b))


def test_conv2d_gradient_only_for_inputs_that_require_it():
    x = ag.Tensor(_random((2, 2, 4, 4), 0))
    w = ag.Tensor(_random((3, 2, 3, 3), 1), requires_grad=True)
    conv2d(x, w, padding=1).sum().backward()
    assert x.grad is None
    # d/dw[o, c, i, j] sum(conv(x, w)) = sum_{n, y, x} xpad[n, c, y + i, x + j], for every o
    xp = np.pad(x.data, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.array([[[xp[:, c, i:i + 4, j:j + 4].sum() for j in range(3)]
                          for i in range(3)] for c in range(2)])
    np.testing.assert_allclose(w.grad.data, np.broadcast_to(expected, (3, 2, 3, 3)), atol=1e-12)


# --------------------------------------------------------------------------- unfold / fold


def unfold_reference(x, kernel, stride, padding):
    """cols[n, c*kh*kw + i*kw + j, y*Wo + x] = xpad[n, c, y*sh + i, x*sw + j]."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + w] = x
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    cols = np.zeros((n, c * kh * kw, ho * wo))
    for ch in range(c):
        for i in range(kh):
            for j in range(kw):
                for y in range(ho):
                    for xx in range(wo):
                        cols[:, ch * kh * kw + i * kw + j, y * wo + xx] = xp[:, ch, y * sh + i,
                                                                           xx * sw + j]
    return cols


FOLD_CASES = [((2, 3, 5, 5), (3, 3), (1, 1), (0, 0)),
              ((1, 2, 6, 7), (2, 3), (2, 1), (1, 1)),
              ((2, 1, 5, 5), (2, 2), (3, 3), (0, 0))]


@pytest.mark.parametrize("shape, kernel, stride, padding", FOLD_CASES)
def test_unfold_matches_reference(shape, kernel, stride, padding):
    x = _random(shape, 0)
    np.testing.assert_array_equal(unfold(ag.Tensor(x), kernel, stride=stride,
                                         padding=padding).data,
                                  unfold_reference(x, kernel, stride, padding))


@pytest.mark.parametrize("shape, kernel, stride, padding", FOLD_CASES)
def test_fold_is_the_adjoint_of_unfold(shape, kernel, stride, padding):
    x = _random(shape, 0)
    cols = _random(unfold_reference(x, kernel, stride, padding).shape, 1)
    folded = fold(ag.Tensor(cols), shape[2:], kernel, stride=stride, padding=padding).data
    # <unfold(x), cols> == <x, fold(cols)> for every x and cols
    np.testing.assert_allclose(np.sum(unfold_reference(x, kernel, stride, padding) * cols),
                               np.sum(x * folded), rtol=1e-12)


@pytest.mark.parametrize("shape, kernel, stride, padding", FOLD_CASES)
def test_unfold_and_fold_gradcheck_and_gradgradcheck(shape, kernel, stride, padding):
    x = ag.Tensor(_random(shape, 0), requires_grad=True)
    cols = ag.Tensor(_random(unfold_reference(x.data, kernel, stride, padding).shape, 1),
                     requires_grad=True)
    geometry = {"stride": stride, "padding": padding}
    assert ag.gradcheck(lambda x: unfold(x, kernel, **geometry) ** 2, (x,))
    assert ag.gradcheck(lambda c: fold(c, shape[2:], kernel, **geometry) ** 2, (cols,))
    assert ag.gradgradcheck(lambda x: unfold(x, kernel, **geometry) ** 2, (x,))
    assert ag.gradgradcheck(lambda c: fold(c, shape[2:], kernel, **geometry) ** 2, (cols,))


def test_fold_rejects_columns_that_do_not_match_the_output_size():
    with pytest.raises(ValueError, match=r"fold: output_size \(4, 4\).*9 windows"):
        fold(ag.zeros((1, 4, 8)), (4, 4), 2, stride=1)


# --------------------------------------------------------------------------- nn.Conv2d


def test_conv2d_module_parameter_shapes_and_output():
    layer = nn.Conv2d(3, 8, (3, 5), stride=2, padding=1)
    assert layer.weight.shape == (8, 3, 3, 5) and layer.bias.shape == (8,)
    assert layer.weight.dtype == np.float32
    x = _random((2, 3, 9, 9), 0).astype(np.float32)
    out = layer(ag.Tensor(x))
    expected = conv_reference(x, layer.weight.data, layer.bias.data, (2, 2), (1, 1))
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-5)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_conv2d_module_default_init_is_uniform_with_bound_one_over_sqrt_fan_in():
    np.random.seed(0)
    layer = nn.Conv2d(16, 64, 3)
    bound = 1 / math.sqrt(16 * 3 * 3)
    for values in (layer.weight.data, layer.bias.data):
        assert np.all(np.abs(values) <= bound)
    # a uniform distribution on [-bound, bound] has standard deviation bound / sqrt(3)
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert layer.weight.data.max() > 0.99 * bound


def test_conv2d_module_without_bias():
    layer = nn.Conv2d(2, 3, 3, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


def test_conv2d_module_gradcheck_parameters():
    layer = nn.Conv2d(2, 3, (2, 3), stride=2, padding=1).double()
    x = ag.Tensor(_random((2, 2, 5, 6), 0), requires_grad=True)
    assert ag.gradcheck(lambda x, w, b: layer(x), (x, layer.weight, layer.bias))


def test_conv2d_module_repr():
    assert repr(nn.Conv2d(1, 16, 3, padding=1)) == (
        "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))")
    assert repr(nn.Conv2d(2, 4, (1, 2), stride=2, bias=False)) == (
        "Conv2d(2, 4, kernel_size=(1, 2), stride=(2, 2), bias=False)")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("shape", [(3, 8, 8), (1, 2, 3, 8, 8), (8,)])
def test_conv2d_module_rejects_wrong_number_of_dims(shape):
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*expected input of shape \(N, 3, H, W\)"):
        nn.Conv2d(3, 4, 3)(ag.zeros(shape))


def test_conv2d_module_rejects_channel_mismatch():
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\), got \(2, 5, 8, 8\)"):
        nn.Conv2d(3, 4, 3)(ag.zeros((2, 5, 8, 8)))


@pytest.mark.parametrize("kwargs, message", [
    ({"x": (2, 3, 8, 8), "w": (4, 5, 3, 3)}, r"conv2d: input has 3 channels"),
    ({"x": (3, 8, 8), "w": (4, 3, 3, 3)}, r"conv2d: expected a 4-D input \(N, C, H, W\)"),
    ({"x": (1, 3, 2, 8), "w": (4, 3, 3, 3)}, r"kernel size \(3, 3\) is larger than the padded"),
    ({"x": (1, 3, 8, 8), "w": (4, 3, 3, 3), "stride": 0}, r"conv2d: stride must be positive"),
    ({"x": (1, 3, 8, 8), "w": (4, 3, 3, 3), "padding": -1}, r"padding must be non-negative"),
    ({"x": (1, 3, 8, 8), "w": (4, 3, 3), }, r"conv2d: expected weight of shape"),
    ({"x": (1, 3, 8, 8), "w": (4, 3, 3, 3), "b": (3,)}, r"conv2d: expected bias of shape"),
])
def test_conv2d_errors_name_the_op_and_shapes(kwargs, message):
    bias = ag.zeros(kwargs["b"]) if "b" in kwargs else None
    with pytest.raises(ValueError, match=message):
        conv2d(ag.zeros(kwargs["x"]), ag.zeros(kwargs["w"]), bias,
               kwargs.get("stride", 1), kwargs.get("padding", 0))


@pytest.mark.parametrize("kwargs", [{"stride": 0}, {"kernel_size": 0}, {"padding": -1}])
def test_conv2d_module_rejects_bad_geometry(kwargs):
    arguments = {"kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match="Conv2d: kernel_size and stride must be positive"):
        nn.Conv2d(1, 1, **arguments)


def test_conv2d_matches_torch():
    torch = pytest.importorskip("torch")
    x, w, b = _random((2, 3, 7, 6), 0), _random((4, 3, 3, 2), 1), _random((4,), 2)
    out = conv2d(ag.Tensor(x), ag.Tensor(w), ag.Tensor(b), (2, 1), (1, 2))
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                          stride=(2, 1), padding=(1, 2))
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12, atol=1e-12)
