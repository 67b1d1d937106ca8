"""nn.utils: gradient clipping against norms computed by hand."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
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


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    params = params_with_grads()
    torch_params = [torch.zeros(grad.shape, dtype=torch.float64, requires_grad=True)
                    for grad in GRADS]
    for torch_param, grad in zip(torch_params, GRADS):
        torch_param.grad = torch.from_numpy(grad.copy())
    utils.clip_grad_value_(params, 1.5)
    torch.nn.utils.clip_grad_value_(torch_params, 1.5)
    for param, torch_param in zip(params, torch_params):
        np.testing.assert_array_equal(param.grad.data, torch_param.grad.numpy())


# ---------------------------------------------------------------- flattening parameters


VALUES = [np.arange(6.0).reshape(2, 3), np.array([-1.0, 0.5]), np.array(7.0)]


def test_parameters_to_vector_joins_the_flattened_parameters_in_order():
    params = [ag.Tensor(v, requires_grad=True) for v in VALUES]
    vector = utils.parameters_to_vector(params)
    np.testing.assert_array_equal(vector.data, [0, 1, 2, 3, 4, 5, -1, 0.5, 7])
    (vector * np.arange(9.0)).sum().backward()  # differentiable, as PyTorch's
    np.testing.assert_array_equal(params[0].grad.data, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(params[1].grad.data, [6.0, 7.0])
    np.testing.assert_array_equal(params[2].grad.data, 8.0)


def test_vector_to_parameters_copies_slices_in_place_keeping_dtypes():
    params = [ag.Tensor(np.zeros(v.shape, dtype=np.float32), requires_grad=True) for v in VALUES]
    arrays = [p.data for p in params]
    utils.vector_to_parameters(ag.Tensor(np.arange(9.0)), params)
    for param, array, expected in zip(params, arrays, [np.arange(6.0).reshape(2, 3),
                                                       [6.0, 7.0], 8.0]):
        assert param.data is array and param.dtype == np.float32
        np.testing.assert_array_equal(param.data, expected)


def test_flattening_round_trips_a_model():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    vector = utils.parameters_to_vector(model.parameters())
    other = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    utils.vector_to_parameters(vector, other.parameters())
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_flattening_matches_torch():
    torch = pytest.importorskip("torch")
    ours = [ag.Tensor(v.copy(), requires_grad=True) for v in VALUES]
    theirs = [torch.tensor(v, requires_grad=True) for v in VALUES]
    np.testing.assert_array_equal(utils.parameters_to_vector(ours).data,
                                  torch.nn.utils.parameters_to_vector(theirs).detach().numpy())
    new = np.linspace(-1, 1, 9)
    utils.vector_to_parameters(ag.Tensor(new), ours)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(new.copy()), theirs)
    for our, their in zip(ours, theirs):
        np.testing.assert_array_equal(our.data, their.detach().numpy())


@pytest.mark.parametrize("call, error, message", [
    (lambda p: utils.vector_to_parameters(np.zeros(9), p), TypeError,
     "expected a Tensor, but got ndarray"),
    (lambda p: utils.vector_to_parameters(ag.Tensor(np.zeros(8)), p), ValueError,
     r"1-D vector of 9 entries .* got shape \(8,\)"),
    (lambda p: utils.vector_to_parameters(ag.Tensor(np.zeros((9, 1))), p), ValueError,
     r"shape \(9, 1\)"),
    (lambda p: utils.parameters_to_vector([p[0], 3.0]), TypeError, "parameter 1 is a float"),
    (lambda p: utils.parameters_to_vector([]), ValueError, "no parameters"),
])
def test_flattening_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call([ag.Tensor(v, requires_grad=True) for v in VALUES])


# ---------------------------------------------------------------- version counters


@pytest.fixture
def bumped(monkeypatch):
    """The tensors whose version library code bumped, in order."""
    seen = []
    monkeypatch.setattr(ag.Tensor, "_bump_version", lambda self: seen.append(self))
    return seen


def test_vector_to_parameters_bumps_every_parameter(bumped):
    params = [ag.Tensor(v.copy(), requires_grad=True) for v in VALUES]
    utils.vector_to_parameters(ag.Tensor(np.zeros(9)), params)
    assert [id(t) for t in bumped] == [id(p) for p in params]


@pytest.mark.parametrize("clip", [lambda p: utils.clip_grad_norm_(p, 0.1),
                                  lambda p: utils.clip_grad_value_(p, 0.1)],
                         ids=["norm", "value"])
def test_clipping_bumps_every_changed_gradient(bumped, clip):
    params = params_with_grads()
    clip(params)
    assert [id(t) for t in bumped] == [id(p.grad) for p in params]


def test_zero_grad_sets_none_or_zeroes_and_leaves_missing_grads_alone():
    params = params_with_grads() + [ag.Tensor(np.ones(2), requires_grad=True)]
    grads = [p.grad for p in params]
    utils.zero_grad(params, set_to_none=False)
    assert all(p.grad is grad for p, grad in zip(params, grads))
    assert all(np.all(p.grad.data == 0) for p in params[:2]) and params[2].grad is None
    utils.zero_grad(params)
    assert all(p.grad is None for p in params)
