"""nn.utils: gradient clipping against norms computed by hand."""

import math

import numpy as np
import pytest

import autograd as ag
from nn import utils

GRADS = [np.array([3.0, -4.0, 1.0]), np.array([[0.5, -2.0], [6.0, 0.0]])]


def params_with_grads(dtype=np.float64):
    params = [ag.Tensor(np.zeros_like(grad, dtype=dtype), requires_grad=True) for grad in GRADS]
    for param, grad in zip(params, GRADS):
        param.grad = ag.Tensor(grad.astype(dtype))
    return params


def norm_by_hand(norm_type):
    entries = [abs(value) for grad in GRADS for value in grad.ravel().tolist()]
    if norm_type == math.inf:
        return max(entries)
    return sum(entry**norm_type for entry in entries) ** (1 / norm_type)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("max_norm", [1.0, 5.0, 100.0])
def test_clip_grad_norm_returns_the_total_norm_and_scales_to_max_norm(norm_type, max_norm):
    params = params_with_grads()
    total = utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    expected_total = norm_by_hand(norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(expected_total, rel=1e-12)
    scale = max_norm / (expected_total + 1e-6) if expected_total > max_norm else 1.0
    for param, grad in zip(params, GRADS):
        np.testing.assert_allclose(param.grad.data, grad * scale, rtol=1e-12)


def test_clipped_gradients_have_norm_max_norm():
    params = params_with_grads()
    utils.clip_grad_norm_(params, 2.0)
    flat = np.concatenate([param.grad.data.ravel() for param in params])
    assert np.sqrt(np.sum(flat**2)) == pytest.approx(2.0, rel=1e-6)


def test_clip_grad_norm_keeps_float32():
    params = params_with_grads(np.float32)
    total = utils.clip_grad_norm_(params, 1.0)
    assert total == pytest.approx(norm_by_hand(2.0), rel=1e-7)
    assert all(param.grad.dtype == np.float32 for param in params)


def test_clip_grad_norm_changes_the_grad_tensor_itself():
    params = params_with_grads()
    grad = params[0].grad
    utils.clip_grad_norm_(params, 1.0)
    assert params[0].grad is grad
    np.testing.assert_allclose(grad.data, GRADS[0] / (norm_by_hand(2.0) + 1e-6), rtol=1e-12)


def test_clip_grad_norm_scales_a_shared_gradient_array_once():
    x = ag.Tensor(np.zeros(3), requires_grad=True)
    y = ag.Tensor(np.zeros(3), requires_grad=True)
    upstream = np.array([3.0, 4.0, 0.0])
    (x + y).backward(upstream)  # x.grad and y.grad may hold the very same array
    utils.clip_grad_norm_([x, y], 1.0)
    expected = upstream / (np.sqrt(50.0) + 1e-6)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)
    np.testing.assert_allclose(y.grad.data, expected, rtol=1e-12)
    np.testing.assert_array_equal(upstream, [3.0, 4.0, 0.0])


def test_clip_grad_norm_skips_parameters_without_grad_and_takes_one_tensor():
    params = params_with_grads()
    no_grad = ag.Tensor(np.ones(2), requires_grad=True)
    assert utils.clip_grad_norm_([no_grad, *params], 1e3) == pytest.approx(norm_by_hand(2.0))
    assert utils.clip_grad_norm_(params[0], 1e3) == pytest.approx(math.sqrt(26.0))
    assert utils.clip_grad_norm_([no_grad], 1.0) == 0.0
    assert utils.clip_grad_norm_([], 1.0) == 0.0


@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply")
def test_clip_grad_norm_can_refuse_a_non_finite_norm():
    params = params_with_grads()
    params[1].grad.data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="inf"):
        utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    # by default it clips anyway, as PyTorch: the factor is 1 / inf = 0, and inf * 0 is nan
    assert utils.clip_grad_norm_(params, 1.0) == math.inf
    np.testing.assert_array_equal(params[0].grad.data, np.zeros(3))
    np.testing.assert_array_equal(params[1].grad.data, [[np.nan, 0.0], [0.0, 0.0]])


@pytest.mark.parametrize("call, message", [
    (lambda p: utils.clip_grad_norm_(p, 1.0, norm_type=0), "norm_type .* 0.0"),
    (lambda p: utils.clip_grad_norm_(p, 1.0, norm_type=-2), "norm_type .* -2.0"),
    (lambda p: utils.clip_grad_norm_(p, -1.0), "max_norm .* -1.0"),
    (lambda p: utils.clip_grad_norm_([p[0], "w"], 1.0), "parameter 1 is a str"),
    (lambda p: utils.clip_grad_value_(p, -0.5), "clip_value .* -0.5"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call(params_with_grads())


def test_clip_grad_value_clips_each_entry():
    params = params_with_grads()
    utils.clip_grad_value_(params, 2.5)
    for param, grad in zip(params, GRADS):
        np.testing.assert_array_equal(param.grad.data, np.minimum(np.maximum(grad, -2.5), 2.5))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_matches_torch(norm_type):
    torch = pytest.importorskip("torch")
    params = params_with_grads()
    torch_params = [torch.zeros(grad.shape, dtype=torch.float64, requires_grad=True)
                    for grad in GRADS]
    for torch_param, grad in zip(torch_params, GRADS):
        torch_param.grad = torch.from_numpy(grad.copy())
    total = utils.clip_grad_norm_(params, 2.0, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(torch_params, 2.0, norm_type)
    assert total == pytest.approx(expected.item(), rel=1e-12)
    for param, torch_param in zip(params, torch_params):
        np.testing.assert_allclose(param.grad.data, torch_param.grad.numpy(), rtol=1e-12)
