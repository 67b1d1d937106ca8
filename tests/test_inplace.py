"""In-place operations: ``+= -= *= /=``, the ``*_`` methods and ``t[idx] = v``, PyTorch's rules."""

import numpy as np
import pytest

import autograd as ag
import nn

LEAF = "a leaf tensor that requires grad is being used in an in-place operation"


def leaf(values):
    return ag.Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_manual_sgd_step_under_no_grad_updates_the_parameters():
    # The PyTorch tutorial's update: it used to rebind ``p`` and silently do nothing.
    model = nn.Linear(2, 1)
    before = [p.data.copy() for p in model.parameters()]
    model(ag.ones(3, 2)).sum().backward()
    with ag.no_grad():
        for p in model.parameters():
            p -= 0.5 * p.grad
    for p, old in zip(model.parameters(), before):
        np.testing.assert_allclose(p.data, old - 0.5 * p.grad.data, rtol=1e-6)


def test_in_place_operator_returns_the_same_tensor_object():
    p = leaf([1.0, 2.0])
    alias = p
    with ag.no_grad():
        p -= 1.0
        p *= 2.0
        p /= 4.0
        p += 1.0
    assert p is alias
    np.testing.assert_allclose(p.data, [1.0, 1.5])


def test_micrograd_data_update_accepts_a_tensor_operand():
    p = leaf([1.0, 2.0])
    (p * p).sum().backward()
    p.data += -0.1 * p.grad
    np.testing.assert_allclose(p.data, [0.8, 1.6])
    p.data -= 0.1 * p.grad
    np.testing.assert_allclose(p.data, [0.6, 1.2])


def test_changing_a_leaf_that_requires_grad_outside_no_grad_raises():
    p = leaf([1.0])
    for change in (lambda: p.add_(1), lambda: p.__isub__(1), lambda: p.__setitem__(0, 2.0)):
        with pytest.raises(RuntimeError, match=LEAF):
            change()


def test_setitem_on_a_non_leaf_is_differentiable_like_index_put():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2
    y[1] = x[0] * 10
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [12.0, 0.0, 2.0])


def test_setitem_into_a_buffer_builds_a_differentiable_result():
    w = leaf([[1.0, 2.0], [3.0, 4.0]])
    out = ag.zeros(3, 2, dtype=np.float64)
    out[0] = w[0] * 2
    out[2] = w[1] ** 2
    out.sum().backward()
    np.testing.assert_allclose(w.grad.data, [[2.0, 2.0], [6.0, 8.0]])
    assert not out.is_leaf


def test_in_place_methods_on_a_non_leaf_match_torch():
    torch = pytest.importorskip("torch")
    values = np.array([0.5, -1.0, 2.0])
    x, tx = leaf(values), torch.tensor(values, requires_grad=True)
    results = []
    for t, lib in ((x, ag), (tx, torch)):
        y = t * 1.5
        y.add_(t)
        y.mul_(t)
        y.sub_(2.0)
        y.div_(t + 3)
        y.clamp_(-0.5, 1.0)
        y[0] = t[2] * 4
        (y * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        results.append((y.detach().numpy().copy(), t.grad.numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_fill_zero_and_copy_cut_the_gradient_to_the_old_values():
    x, source = leaf([1.0, 2.0]), leaf([5.0, 6.0])
    y = x * 3
    y.copy_(source * 2)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0])
    np.testing.assert_allclose(source.grad.data, [2.0, 2.0])
    z = x * 1
    z.fill_(7.0)
    assert z.tolist() == [7.0, 7.0]


def test_integer_tensor_cannot_take_a_float_result_in_place():
    t = ag.tensor([1, 2])
    with pytest.raises(TypeError, match=r"add_: .*int64"):
        t += 0.5


def test_result_that_does_not_fit_the_tensor_shape_is_refused():
    t = ag.zeros(3)
    with pytest.raises(ValueError, match=r"add_: .*tensor shape \(3,\)"):
        t.add_(ag.ones(2, 3))


@pytest.mark.parametrize("name, change", [
    ("add_", lambda t: t.add_(1.0)),           # one NumPy ufunc into the buffer (fast path)
    ("mul_", lambda t: t.__imul__(2.0)),
    ("setitem", lambda t: t.__setitem__(0, 5.0)),
    ("fill_", lambda t: t.fill_(0.0)),         # computed, then written (_write)
    ("clamp_", lambda t: t.clamp_(0.0, 0.5)),
    ("copy_", lambda t: t.copy_(ag.zeros(2, 3))),
])
@pytest.mark.parametrize("make_view", [lambda: ag.ones(3).broadcast_to((2, 3)),
                                       lambda: ag.ones(1, 3).expand(2, 3)],
                         ids=["broadcast_to", "expand"])
def test_read_only_view_is_refused_with_one_message_on_every_path(name, change, make_view):
    view = make_view()
    with pytest.raises(ValueError, match=rf"^{name}: the tensor is a read-only view \(from "
                                         r"broadcast_to or expand\); clone\(\) it before "
                                         r"changing it in place$"):
        change(view)
    np.testing.assert_array_equal(view.data, np.ones((2, 3)))


def test_uniform_and_normal_fill_in_place_reproducibly_with_manual_seed():
    ag.manual_seed(3)
    a = ag.zeros(1000).uniform_(-2.0, 2.0)
    ag.manual_seed(3)
    b = ag.zeros(1000).uniform_(-2.0, 2.0)
    np.testing.assert_array_equal(a.data, b.data)
    assert -2.0 <= a.data.min() and a.data.max() < 2.0
    n = ag.zeros(20000).normal_(1.0, 0.5)
    assert abs(n.data.mean() - 1.0) < 0.02 and abs(n.data.std() - 0.5) < 0.02


def test_grad_assignment_is_checked_at_the_assignment():
    p = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=r"grad: assigned grad must be None or a Tensor"):
        p.grad = 0.0
    with pytest.raises(RuntimeError, match=r"shape \(3,\), but the tensor has shape \(2,\)"):
        p.grad = np.zeros(3)
    p.grad = np.ones(2)
    assert isinstance(p.grad, ag.Tensor)
    p.grad = None
    assert p.grad is None


def test_in_place_on_a_view_while_recording_is_refused():
    x = leaf([1.0, 2.0, 3.0]) * 1
    view = x[0:2]
    with pytest.raises(RuntimeError, match="shares its data"):
        view.mul_(leaf([2.0, 2.0]))
