"""max_pool2d, avg_pool2d and their layers: nested-loop references, gradchecks, ties, errors."""

import numpy as np
import pytest

import autograd as ag
import nn
from nn.functional.pooling import avg_pool2d, max_pool2d


def _padded(x, padding, value):
    (ph, pw), (n, c, h, w) = padding, x.shape
    xp = np.full((n, c, h + 2 * ph, w + 2 * pw), value)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    return xp


def pool_reference(x, kernel, stride, padding, reduce, pad_value):
    """out[n, c, y, x] = reduce(xpad[n, c, y*sh : y*sh + kh, x*sw : x*sw + kw])."""
    (kh, kw), (sh, sw) = kernel, stride
    xp = _padded(x, padding, pad_value)
    n, c, hp, wp = xp.shape
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    out = np.zeros((n, c, ho, wo))
    for b in range(n):
        for ch in range(c):
            for y in range(ho):
                for xx in range(wo):
                    out[b, ch, y, xx] = reduce(xp[b, ch, y * sh:y * sh + kh, xx * sw:xx * sw + kw])
    return out


def real_count(x_shape, kernel, stride, padding):
    """Number of non-padding elements in each window (count_include_pad=False divisor)."""
    ones = np.ones((1, 1) + tuple(x_shape[2:]))
    return pool_reference(ones, kernel, stride, padding, np.sum, 0.0)


# (x shape, kernel, stride, padding)
CASES = [
    ((2, 3, 4, 4), (2, 2), (2, 2), (0, 0)),   # non-overlapping
    ((1, 2, 5, 5), (3, 3), (1, 1), (0, 0)),   # overlapping
    ((2, 1, 6, 7), (3, 3), (2, 2), (1, 1)),   # overlapping with padding
    ((1, 2, 5, 6), (2, 3), (1, 2), (1, 1)),   # non-square kernel and stride
    ((1, 1, 7, 5), (3, 2), (3, 3), (0, 1)),   # stride larger than kernel: gaps
]
IDS = [f"x{c[0]}-k{c[1]}-s{c[2]}-p{c[3]}" for c in CASES]


def _distinct(shape, seed):
    """Values without ties, so the max is unique and differentiable."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))) * 0.37 - 1.0).reshape(shape)


@pytest.mark.parametrize("shape, kernel, stride, padding", CASES, ids=IDS)
def test_max_pool2d_matches_nested_loop_reference(shape, kernel, stride, padding):
    x = np.random.default_rng(0).standard_normal(shape)
    out = max_pool2d(ag.Tensor(x), kernel, stride, padding)
    np.testing.assert_array_equal(
        out.data, pool_reference(x, kernel, stride, padding, np.max, -np.inf))


@pytest.mark.parametrize("shape, kernel, stride, padding", CASES, ids=IDS)
def test_avg_pool2d_matches_nested_loop_reference(shape, kernel, stride, padding):
    x = np.random.default_rng(0).standard_normal(shape)
    out = avg_pool2d(ag.Tensor(x), kernel, stride, padding)
    expected = pool_reference(x, kernel, stride, padding, np.sum, 0.0) / (kernel[0] * kernel[1])
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("shape, kernel, stride, padding", CASES, ids=IDS)
def test_avg_pool2d_without_padding_in_the_count(shape, kernel, stride, padding):
    x = np.random.default_rng(0).standard_normal(shape)
    out = avg_pool2d(ag.Tensor(x), kernel, stride, padding, count_include_pad=False)
    expected = (pool_reference(x, kernel, stride, padding, np.sum, 0.0)
                / real_count(shape, kernel, stride, padding))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)


def test_stride_defaults_to_kernel_size():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    np.testing.assert_array_equal(max_pool2d(ag.Tensor(x), 3).data, [[[[14.0, 17.0],
                                                                        [32.0, 35.0]]]])
    np.testing.assert_array_equal(avg_pool2d(ag.Tensor(x), 3).data, [[[[7.0, 10.0],
                                                                        [25.0, 28.0]]]])


def test_pooling_keeps_float32():
    x = ag.Tensor(np.ones((1, 1, 4, 4), dtype=np.float32))
    assert max_pool2d(x, 2).dtype == np.float32
    assert avg_pool2d(x, 3, 1, 1).dtype == np.float32
    assert avg_pool2d(x, 3, 1, 1, count_include_pad=False).dtype == np.float32


@pytest.mark.parametrize("shape, kernel, stride, padding", CASES, ids=IDS)
def test_max_pool2d_gradcheck(shape, kernel, stride, padding):
    x = ag.Tensor(_distinct(shape, 0), requires_grad=True)
    assert ag.gradcheck(lambda x: max_pool2d(x, kernel, stride, padding), (x,))


@pytest.mark.parametrize("shape, kernel, stride, padding", CASES, ids=IDS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_gradcheck(shape, kernel, stride, padding, count_include_pad):
    x = ag.Tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    assert ag.gradcheck(lambda x: avg_pool2d(
        x, kernel, stride, padding, count_include_pad=count_include_pad), (x,))


@pytest.mark.parametrize("shape, kernel, stride, padding", CASES[:4], ids=IDS[:4])
def test_pooling_gradgradcheck(shape, kernel, stride, padding):
    x = ag.Tensor(_distinct(shape, 0), requires_grad=True)
    # squared, so that the second derivative is not identically zero
    assert ag.gradgradcheck(lambda x: max_pool2d(x, kernel, stride, padding) ** 2, (x,))
    assert ag.gradgradcheck(lambda x: avg_pool2d(x, kernel, stride, padding) ** 2, (x,))
    assert ag.gradgradcheck(lambda x: avg_pool2d(
        x, kernel, stride, padding, count_include_pad=False) ** 2, (x,))


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum():
    # every window holds equal values: PyTorch routes the gradient to the first one
    x = ag.Tensor(np.zeros((1, 1, 4, 4)), requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1.0
    np.testing.assert_array_equal(x.grad.data[0, 0], expected)


def test_max_pool2d_overlapping_windows_accumulate_at_a_shared_maximum():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0  # the max of all four 2x2 windows (stride 1)
    x = ag.Tensor(x, requires_grad=True)
    out = max_pool2d(x, 2, stride=1)
    (out * ag.Tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))).sum().backward()
    expected = np.zeros((3, 3))
    expected[1, 1] = 1.0 + 2.0 + 3.0 + 4.0
    np.testing.assert_array_equal(x.grad.data[0, 0], expected)


def test_max_pool2d_padding_never_wins():
    x = ag.Tensor(-np.ones((1, 1, 2, 2)) * np.arange(1, 5).reshape(1, 1, 2, 2),
                  requires_grad=True)
    out = max_pool2d(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(out.data[0, 0], [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[4, 2], [2, 1]])


# --------------------------------------------------------------------------- layers


def test_pooling_modules_apply_the_functions():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    out = nn.MaxPool2d(3, stride=2, padding=1)(ag.Tensor(x))
    np.testing.assert_array_equal(out.data, pool_reference(x, (3, 3), (2, 2), (1, 1), np.max,
                                                           -np.inf))
    out = nn.AvgPool2d(2)(ag.Tensor(x))
    np.testing.assert_allclose(out.data, pool_reference(x, (2, 2), (2, 2), (0, 0), np.mean, 0.0))
    out = nn.AvgPool2d(3, 1, 1, count_include_pad=False)(ag.Tensor(x))
    expected = pool_reference(x, (3, 3), (1, 1), (1, 1), np.sum, 0.0) / real_count(
        x.shape, (3, 3), (1, 1), (1, 1))
    np.testing.assert_allclose(out.data, expected)
    assert list(nn.MaxPool2d(2).parameters()) == []


def test_pooling_module_repr():
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)")
    assert repr(nn.AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert repr(nn.AvgPool2d(3, count_include_pad=False)) == (
        "AvgPool2d(kernel_size=3, stride=3, padding=0, count_include_pad=False)")


@pytest.mark.parametrize("layer", [nn.MaxPool2d(2), nn.AvgPool2d(2)], ids=["max", "avg"])
def test_pooling_module_rejects_wrong_number_of_dims(layer):
    with pytest.raises(ValueError, match=r"Pool2d\(kernel_size=2.*\(N, C, H, W\), got \(3, 8, 8\)"):
        layer(ag.zeros((3, 8, 8)))


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d], ids=["max", "avg"])
@pytest.mark.parametrize("args, message", [
    (((1, 1, 2, 2), 3), r"kernel size \(3, 3\) is larger than the padded input \(2, 2\)"),
    (((1, 1, 4, 4), 2, 0), r"stride must be positive, got \(0, 0\)"),
    (((1, 1, 4, 4), 2, (1, -1)), r"stride must be positive, got \(1, -1\)"),
    (((1, 1, 4, 4), 2, 2, 2), r"padding \(2, 2\) must be at most half of kernel_size \(2, 2\)"),
    (((1, 4, 4), 2), r"expected a 4-D input \(N, C, H, W\), got shape \(1, 4, 4\)"),
    (((1, 1, 4, 4), 0), r"kernel_size must be positive"),
    (((1, 1, 4, 4), (2, 2, 2)), r"kernel_size must be an int or a pair of ints"),
])
def test_pooling_errors_name_the_op_and_values(pool, args, message):
    shape, *rest = args
    with pytest.raises((ValueError, TypeError), match=pool.__name__ + ": " + message):
        pool(ag.zeros(shape), *rest)


def test_pooling_matches_torch():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    x[0, 0, :2, :2] = 0.5  # a tie
    for kernel, stride, padding in [(2, 2, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 1))]:
        ours = ag.Tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        out = max_pool2d(ours, kernel, stride, padding)
        expected = functional.max_pool2d(theirs, kernel, stride, padding)
        np.testing.assert_array_equal(out.data, expected.detach().numpy())
        weights = np.random.default_rng(1).standard_normal(out.shape)
        (out * ag.Tensor(weights)).sum().backward()
        (expected * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12)
        for include in (True, False):
            out = avg_pool2d(ag.Tensor(x), kernel, stride, padding,
                             count_include_pad=include)
            expected = functional.avg_pool2d(torch.tensor(x), kernel, stride, padding,
                                             count_include_pad=include)
            np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12)


def test_max_pool2d_propagates_nan_and_routes_its_gradient_to_it():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    x = ag.Tensor(x, requires_grad=True)
    out = max_pool2d(x, 2)
    assert np.isnan(out.data[0, 0, 0, 0])
    np.testing.assert_array_equal(out.data[0, 0, 1], [13.0, 15.0])
    out[0, 0, 0, 0].backward()
    expected = np.zeros((4, 4))
    expected[0, 1] = 1.0
    np.testing.assert_array_equal(x.grad.data[0, 0], expected)


# windows that tile the input (kernel == stride, no padding): max_pool2d's fast path
TILED = [((3, 4, 8, 8), 2, False), ((2, 3, 9, 12), 3, False), ((2, 3, 6, 9), (2, 3), False),
         ((2, 3, 7, 9), 2, False), ((2, 3, 8, 6), 2, True), ((2, 2, 5, 5), 1, False),
         ((2, 3, 12, 24), 12, False)]  # 144 kernel offsets: more than int8 holds


@pytest.mark.parametrize("shape, kernel, ceil_mode", TILED)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool2d_tiling_windows_match_torch_with_ties_nan_and_inf(shape, kernel, ceil_mode,
                                                                     dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(sum(shape))
    x = rng.integers(-2, 3, shape).astype(dtype)  # many ties
    x[0, 0, :2, :2] = -np.inf
    x[0, 1, :3, :3] = np.nan
    x[1, 0, 0, 0] = np.inf
    ours = ag.Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, indices = max_pool2d(ours, kernel, ceil_mode=ceil_mode, return_indices=True)
    expected, expected_indices = torch.nn.functional.max_pool2d(
        theirs, kernel, ceil_mode=ceil_mode, return_indices=True)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_array_equal(indices.data, expected_indices.numpy())
    weights = rng.standard_normal(out.shape).astype(dtype)
    (out * ag.Tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


def test_max_pool2d_tiling_windows_gradcheck_first_and_second_order():
    x = ag.Tensor(_distinct((2, 2, 4, 7), 3), requires_grad=True)  # 7: a column left out
    assert ag.gradcheck(lambda x: max_pool2d(x, 2) * max_pool2d(x, 2), (x,))
    assert ag.gradgradcheck(lambda x: max_pool2d(x, (2, 3)) ** 2, (x,))
