"""Tensor gradient hooks: register_hook and register_post_accumulate_grad_hook."""

import numpy as np
import pytest

import autograd as ag


def leaf(values):
    return ag.Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_hook_on_leaf_sees_the_gradient_of_one_backward():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(seen[1], [2.0, 4.0])
    np.testing.assert_allclose(x.grad.data, [5.0, 7.0])


def test_hook_on_leaf_can_replace_the_gradient():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 2)
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 6.0])


def test_hook_on_intermediate_replaces_what_flows_upstream():
    x = leaf([1.0, 2.0])
    y = x * x
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 10 * 2 * np.array([1.0, 2.0]))


def test_hook_on_intermediate_runs_before_retained_grad_is_stored():
    x = leaf([1.0])
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g + 1)
    y.sum().backward()
    assert y.grad.item() == 2.0
    assert x.grad.item() == 4.0


def test_hooks_run_in_registration_order():
    x = leaf([1.0])
    order = []
    x.register_hook(lambda g: order.append("first"))
    x.register_hook(lambda g: order.append("second"))
    (x * 1).sum().backward()
    assert order == ["first", "second"]


def test_removed_hook_no_longer_runs():
    x = leaf([1.0])
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    handle.remove()
    (x * 1).sum().backward()
    assert calls == []


def test_hook_returning_a_wrong_shape_raises_naming_both_shapes():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: ag.zeros(3))
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*shape \(2,\)"):
        (x * 1).sum().backward()


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.zeros(2).register_hook(lambda g: None)


def test_hooks_apply_to_ag_grad_results():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 0.5)
    (gx,) = ag.grad((x * 4).sum(), x)
    np.testing.assert_allclose(gx.data, [2.0, 2.0])


def test_hook_under_create_graph_sees_a_differentiable_gradient():
    x = leaf([3.0])
    handle = x.register_hook(lambda g: g * x)  # replacement depends on x
    (gx,) = ag.grad((x * x).sum(), x, create_graph=True)  # 2x * x = 2x^2
    assert gx.item() == 18.0
    handle.remove()
    (ggx,) = ag.grad(gx.sum(), x)  # d/dx 2x^2 = 4x
    assert ggx.item() == 12.0


def test_post_accumulate_hook_sees_the_accumulated_grad():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.data.copy()))
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    np.testing.assert_allclose(seen[1], [4.0, 4.0])
    assert len(seen) == 2


def test_post_accumulate_hook_on_non_leaf_raises():
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.register_post_accumulate_grad_hook(lambda t: None)


def test_hook_matches_torch_on_intermediate_and_leaf():
    torch = pytest.importorskip("torch")
    values = np.array([0.5, -1.5, 2.0])
    x = leaf(values)
    y = x.tanh()
    y.register_hook(lambda g: g * 3)
    x.register_hook(lambda g: g - 1)
    (y * y).sum().backward()
    tx = torch.tensor(values, requires_grad=True)
    ty = tx.tanh()
    ty.register_hook(lambda g: g * 3)
    tx.register_hook(lambda g: g - 1)
    (ty * ty).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_queued_callback_runs_once_after_backward_finishes():
    from autograd.engine import queue_callback

    x = leaf([1.0, 2.0])
    events = []

    def hook(tensor):
        events.append("accumulated")
        queue_callback(lambda: events.append(("done", tensor.grad.data.tolist())))

    x.register_post_accumulate_grad_hook(hook)
    (x * 2).sum().backward()
    assert events == ["accumulated", ("done", [2.0, 2.0])]


def test_queue_callback_outside_backward_raises():
    from autograd.engine import queue_callback

    with pytest.raises(RuntimeError, match="no backward pass"):
        queue_callback(lambda: None)
