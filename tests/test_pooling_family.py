"""MaxPool1d/2d (dilation, ceil_mode, return_indices), AvgPool1d/2d (ceil_mode,
count_include_pad, divisor_override), AdaptiveAvgPool1d/2d.

Against loop references written from PyTorch's documented definitions, and side by
side with PyTorch (values, indices, gradients) where it is installed.
"""

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F


def output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooling output size (the last window must start inside the input or its
    leading padding)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    count = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return count


def window_positions(start, kernel, dilation, size):
    """The positions a window starting at ``start`` (may be negative) reads inside the input."""
    return [start + i * dilation for i in range(kernel) if 0 <= start + i * dilation < size]


def max_pool_reference(x, kernel, stride, padding, dilation, ceil_mode):
    """Values and flat indices: over the real elements of each window, the first maximum
    (or the last NaN) in row-major order."""
    n, c, h, w = x.shape
    shape = [output_size(s, k, st, p, d, ceil_mode)
             for s, k, st, p, d in zip((h, w), kernel, stride, padding, dilation)]
    values, indices = np.zeros((n, c) + tuple(shape)), np.zeros((n, c) + tuple(shape), int)
    for y in range(shape[0]):
        rows = window_positions(y * stride[0] - padding[0], kernel[0], dilation[0], h)
        for xx in range(shape[1]):
            cols = window_positions(xx * stride[1] - padding[1], kernel[1], dilation[1], w)
            for b in range(n):
                for ch in range(c):
                    best, where = -np.inf, rows[0] * w + cols[0]
                    for r in rows:
                        for col in cols:
                            value = x[b, ch, r, col]
                            if value > best or np.isnan(value):
                                best, where = value, r * w + col
                    values[b, ch, y, xx], indices[b, ch, y, xx] = best, where
    return values, indices


def avg_pool_reference(x, kernel, stride, padding, ceil_mode, count_include_pad):
    """Sum of the real elements / the window size clipped to the padded input (or, without
    count_include_pad, the number of real elements)."""
    n, c, h, w = x.shape
    shape = [output_size(s, k, st, p, 1, ceil_mode)
             for s, k, st, p in zip((h, w), kernel, stride, padding)]
    out = np.zeros((n, c) + tuple(shape))
    for y in range(shape[0]):
        top = y * stride[0] - padding[0]
        rows = window_positions(top, kernel[0], 1, h)
        height = min(top + kernel[0], h + padding[0]) - top
        for xx in range(shape[1]):
            left = xx * stride[1] - padding[1]
            cols = window_positions(left, kernel[1], 1, w)
            width = min(left + kernel[1], w + padding[1]) - left
            divisor = height * width if count_include_pad else len(rows) * len(cols)
            out[:, :, y, xx] = x[:, :, rows][:, :, :, cols].sum(axis=(2, 3)) / divisor
    return out


MAX_CASES = [  # (shape, kernel, stride, padding, dilation, ceil_mode)
    ((2, 2, 7, 6), (2, 2), (2, 2), (0, 0), (1, 1), True),
    ((1, 2, 8, 9), (3, 3), (2, 2), (1, 1), (2, 2), False),
    ((1, 1, 7, 8), (3, 2), (2, 3), (1, 1), (2, 3), True),
    ((2, 1, 5, 5), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((1, 3, 6, 7), (2, 3), (1, 2), (0, 1), (3, 1), False),
]


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation, ceil_mode", MAX_CASES)
def test_max_pool2d_matches_the_loop_reference(shape, kernel, stride, padding, dilation,
                                               ceil_mode):
    x = np.random.default_rng(0).standard_normal(shape)
    x[0, 0, 1, :] = 0.25  # ties
    out, indices = F.max_pool2d(ag.Tensor(x), kernel, stride, padding, dilation, ceil_mode,
                                return_indices=True)
    values, expected = max_pool_reference(x, kernel, stride, padding, dilation, ceil_mode)
    np.testing.assert_array_equal(out.data, values)
    np.testing.assert_array_equal(indices.data, expected)
    assert indices.dtype == np.int64


def test_max_pool_gradient_goes_to_the_returned_index():
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6))
    x[:, :, 2] = 1.0  # ties across windows
    xt = ag.Tensor(x, requires_grad=True)
    out, indices = F.max_pool2d(xt, 3, 2, 1, 2, True, return_indices=True)
    upstream = np.random.default_rng(2).standard_normal(out.shape)
    (out * ag.Tensor(upstream)).sum().backward()
    expected = np.zeros((2, 3, 42))
    for b in range(2):
        for ch in range(3):
            np.add.at(expected[b, ch], indices.data[b, ch].ravel(), upstream[b, ch].ravel())
    np.testing.assert_allclose(xt.grad.data, expected.reshape(x.shape), rtol=1e-12)


def test_max_pool_picks_the_last_nan_and_the_first_real_minus_infinity():
    x = np.array([[[[1.0, np.nan, 2.0, np.nan, -np.inf, -np.inf]]]])
    out, indices = F.max_pool2d(ag.Tensor(x), (1, 4), 2, (0, 1), return_indices=True)
    # windows (with padding -inf at -1 and 6): [pad, 1, nan, 2], [nan, 2, nan, -inf],
    # [nan, -inf, -inf, pad]
    np.testing.assert_array_equal(indices.data[0, 0, 0], [1, 3, 3])
    assert np.isnan(out.data[0, 0, 0]).tolist() == [True, True, True]
    out, indices = F.max_pool2d(ag.Tensor(x[..., 4:]), (1, 2), 1, (0, 1), return_indices=True)
    np.testing.assert_array_equal(out.data[0, 0, 0], [-np.inf] * 3)
    np.testing.assert_array_equal(indices.data[0, 0, 0], [0, 0, 1])  # never the padding


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation, ceil_mode", MAX_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_the_loop_reference(shape, kernel, stride, padding, dilation,
                                               ceil_mode, count_include_pad):
    x = np.random.default_rng(0).standard_normal(shape)
    out = F.avg_pool2d(ag.Tensor(x), kernel, stride, padding, ceil_mode, count_include_pad)
    np.testing.assert_allclose(out.data, avg_pool_reference(x, kernel, stride, padding,
                                                            ceil_mode, count_include_pad),
                               rtol=1e-12, atol=1e-15)


def test_divisor_override_replaces_the_window_size():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out = F.avg_pool2d(ag.Tensor(x), 2, divisor_override=2)
    np.testing.assert_array_equal(out.data[0, 0], [[5.0, 9.0], [21.0, 25.0]])


def test_one_d_pooling_is_two_d_pooling_over_a_height_of_one():
    x = np.random.default_rng(0).standard_normal((2, 3, 9))
    out, indices = F.max_pool1d(ag.Tensor(x), 3, 2, 1, 2, True, return_indices=True)
    values, expected = max_pool_reference(x[:, :, None], (1, 3), (1, 2), (0, 1), (1, 2), True)
    np.testing.assert_array_equal(out.data, values[:, :, 0])
    np.testing.assert_array_equal(indices.data, expected[:, :, 0])
    out = F.avg_pool1d(ag.Tensor(x), 4, 3, 2, True, False)
    np.testing.assert_allclose(out.data, avg_pool_reference(x[:, :, None], (1, 4), (1, 3),
                                                            (0, 2), True, False)[:, :, 0])


def adaptive_reference(x, out_h, out_w):
    """Window k spans [floor(k*H/Ho), ceil((k+1)*H/Ho)) (PyTorch's definition)."""
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * h // out_h, -(-(i + 1) * h // out_h))
            cols = slice(j * w // out_w, -(-(j + 1) * w // out_w))
            out[..., i, j] = x[..., rows, cols].mean(axis=(-2, -1))
    return out


@pytest.mark.parametrize("shape, size", [((2, 3, 7, 5), (3, 2)), ((1, 2, 6, 6), 1),
                                         ((2, 1, 4, 5), (6, 7)), ((3, 5, 7), (2, None)),
                                         ((1, 2, 5, 8), (5, 3))])
def test_adaptive_avg_pool2d_matches_the_definition(shape, size):
    x = np.random.default_rng(0).standard_normal(shape)
    out = F.adaptive_avg_pool2d(ag.Tensor(x), size)
    sizes = (size, size) if isinstance(size, int) else size
    sizes = tuple(n if s is None else s for s, n in zip(sizes, shape[-2:]))
    np.testing.assert_allclose(out.data, adaptive_reference(x, *sizes), rtol=1e-12)
    assert F.adaptive_avg_pool1d(ag.Tensor(x[..., 0, :]), 3).shape == shape[:-2] + (3,)


def test_adaptive_pooling_keeps_float32_and_infinities_stay_local():
    x = np.ones((1, 1, 4, 4), np.float32)
    x[0, 0, 0, 0] = np.inf
    out = F.adaptive_avg_pool2d(ag.Tensor(x), 2)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data[0, 0], [[np.inf, 1.0], [1.0, 1.0]])


# --------------------------------------------------------------------------- against torch


LAYER_CASES = [
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
     (2, 3, 9, 8)),
    ("MaxPool2d", dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), ceil_mode=True),
     (1, 2, 6, 7)),
    ("MaxPool2d", dict(kernel_size=2), (2, 2, 5, 5)),
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
     (2, 3, 10)),
    ("MaxPool1d", dict(kernel_size=2), (2, 2, 7)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 2, 6, 7)),
    ("AvgPool2d", dict(kernel_size=(2, 3), stride=2, padding=(1, 1), ceil_mode=True,
                       count_include_pad=False), (1, 3, 5, 8)),
    ("AvgPool2d", dict(kernel_size=3, stride=1, padding=1, divisor_override=5), (1, 2, 4, 4)),
    ("AvgPool1d", dict(kernel_size=4, stride=3, padding=2, ceil_mode=True), (2, 2, 9)),
    ("AvgPool1d", dict(kernel_size=3, padding=1, count_include_pad=False), (2, 3, 8)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, 2)), (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", dict(output_size=(None, 4)), (1, 2, 5, 9)),
    ("AdaptiveAvgPool2d", dict(output_size=1), (2, 4, 3, 3)),
    ("AdaptiveAvgPool2d", dict(output_size=5), (1, 2, 3, 4)),
    ("AdaptiveAvgPool1d", dict(output_size=4), (2, 3, 10)),
]


@pytest.mark.parametrize("layer_name, settings, shape", LAYER_CASES,
                         ids=[f"{name}-{settings}" for name, settings, _ in LAYER_CASES])
def test_layer_matches_torch(layer_name, settings, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    x.reshape(-1)[:3] = 0.5  # a tie
    theirs, ours = getattr(torch.nn, layer_name)(**settings), getattr(nn, layer_name)(**settings)
    assert repr(ours) == repr(theirs) or "count_include_pad=False" in repr(ours)
    xo, xt = ag.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(xo), theirs(xt)
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), rtol=1e-12,
                               atol=1e-14)
    upstream = np.random.default_rng(1).standard_normal(out_ours.shape)
    (out_ours * ag.Tensor(upstream)).sum().backward()
    (out_theirs * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("layer_name, settings, shape",
                         [case for case in LAYER_CASES if case[0].startswith("MaxPool")])
def test_return_indices_match_torch_with_nan_and_minus_infinity(layer_name, settings, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal(shape)
    flat = x.reshape(-1)
    flat[::7], flat[1::11], flat[2::5] = np.nan, -np.inf, 0.5
    theirs = getattr(torch.nn, layer_name)(**settings, return_indices=True)
    ours = getattr(nn, layer_name)(**settings, return_indices=True)
    xo, xt = ag.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (out_ours, idx_ours), (out_theirs, idx_theirs) = ours(xo), theirs(xt)
    np.testing.assert_array_equal(out_ours.data, out_theirs.detach().numpy())
    np.testing.assert_array_equal(idx_ours.data, idx_theirs.numpy())
    out_ours.sum().backward()
    out_theirs.sum().backward()
    np.testing.assert_array_equal(xo.grad.data, xt.grad.numpy())


def test_an_all_minus_infinity_window_points_at_its_first_real_element_as_torch():
    torch = pytest.importorskip("torch")
    x = np.full((1, 1, 3, 4), -np.inf)
    x[0, 0, 2, 3] = 1.0
    ours = F.max_pool2d(ag.Tensor(x), 3, 2, 1, 2, True, return_indices=True)
    theirs = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, 2, True,
                                            return_indices=True)
    np.testing.assert_array_equal(ours[1].data, theirs[1].numpy())


def test_max_pool_without_a_graph_still_returns_indices():
    x = ag.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    with ag.no_grad():
        out, indices = nn.MaxPool2d(2, return_indices=True)(x)
    np.testing.assert_array_equal(indices.data[0, 0], [[5, 7], [13, 15]])


def test_pooling_keeps_float32():
    x = ag.Tensor(np.ones((1, 2, 5, 5), np.float32))
    assert F.max_pool2d(x, 2, ceil_mode=True, dilation=2).dtype == np.float32
    assert F.avg_pool2d(x, 3, 2, 1, True, False).dtype == np.float32
    assert F.avg_pool1d(ag.Tensor(np.ones((1, 2, 5), np.float32)), 2).dtype == np.float32


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("call, message", [
    (lambda: F.max_pool2d(ag.zeros((1, 1, 8, 8)), 3, padding=2),
     r"max_pool2d: padding \(2, 2\) must be at most half of kernel_size \(3, 3\)"),
    (lambda: F.max_pool2d(ag.zeros((1, 1, 4, 4)), 3, dilation=2),
     r"max_pool2d: kernel size \(3, 3\) with dilation \(2, 2\) spans \(5, 5\)"),
    (lambda: F.max_pool1d(ag.zeros((1, 1, 4)), 5),
     r"max_pool1d: kernel size 5 is larger than the padded input 4"),
    (lambda: F.max_pool1d(ag.zeros((1, 4, 4, 4)), 2),
     r"max_pool1d: expected a 3-D input \(N, C, L\), got shape \(1, 4, 4, 4\)"),
    (lambda: F.avg_pool1d(ag.zeros((1, 1, 8)), 3, padding=2),
     r"avg_pool1d: padding 2 must be at most half of kernel_size 3"),
    (lambda: F.avg_pool2d(ag.zeros((1, 1, 4, 4)), 2, divisor_override=0),
     r"avg_pool2d: divisor_override must be a positive int, got 0"),
    (lambda: F.adaptive_avg_pool2d(ag.zeros((4, 4)), 2),
     r"adaptive_avg_pool2d: expected a 3-D or 4-D input"),
    (lambda: F.adaptive_avg_pool2d(ag.zeros((1, 1, 4, 4)), (0, 2)),
     r"adaptive_avg_pool2d: output_size \(0, 2\) .* must be positive"),
    (lambda: nn.MaxPool1d(2)(ag.zeros((2, 4))),
     r"MaxPool1d\(kernel_size=2.*expected input of shape \(N, C, L\), got \(2, 4\)"),
])
def test_bad_calls_name_the_op_and_the_values(call, message):
    with pytest.raises(ValueError, match=message):
        call()
