"""Backward semantics: accumulation, graph shapes, retain/create graph, grad modes, errors."""

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd.node import STAND_IN_MIN_BYTES, is_released


def leaf(values, dtype=np.float64):
    return ag.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.array([1.0, 2.0]) + 3)


def test_diamond_graph_sums_both_paths():
    x = leaf(3.0)
    a = x * 2
    b = x * x
    (a * b).backward()  # d/dx 2x * x^2 = 6x^2
    assert x.grad.item() == pytest.approx(6 * 9)


def test_tensor_used_many_times():
    x = leaf([0.5, -1.0])
    y = x + x + x * x + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 3 + 2 * np.array([0.5, -1.0]))


def test_same_leaf_on_both_sides_of_an_op_gets_independent_grad_arrays():
    x, y = leaf([1.0]), leaf([2.0])
    (x + y).sum().backward()
    x.grad.data[0] = 100.0
    assert y.grad.item() == 1.0


def test_broadcast_gradients_are_summed_back_to_input_shape():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.arange(4.0))
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(a.grad.data, np.full((3, 1), 6.0))
    np.testing.assert_allclose(b.grad.data, np.full(4, 3.0))


def test_gradient_keeps_float32():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * 0.5).sum().backward()
    assert x.grad.dtype == np.float32


def test_backward_through_freed_graph_says_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


@pytest.mark.parametrize("size, freed", [
    (STAND_IN_MIN_BYTES // 4, True),   # float32 entries: exactly the threshold
    (STAND_IN_MIN_BYTES // 4 - 1, False),
])
def test_kept_loss_pins_no_large_intermediate_values(size, freed):
    x = ag.ones(size, requires_grad=True)
    hidden = x * 2
    loss = (hidden * 3).sum()
    loss.backward()
    kept_by_graph = loss.grad_fn.inputs[0].grad_fn.inputs[0]
    assert kept_by_graph.shape == (size,) and kept_by_graph.grad_fn is hidden.grad_fn
    assert is_released(kept_by_graph) is freed
    np.testing.assert_array_equal(hidden.data, np.full(size, 2.0))  # the user's tensor is intact


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 4 * np.array([1.0, 2.0]))


def test_create_graph_gives_second_derivatives():
    x = leaf(2.0)
    y = x**3
    (dy,) = ag.grad(y, x, create_graph=True)
    assert dy.item() == pytest.approx(12.0)  # 3x^2
    (d2y,) = ag.grad(dy, x, create_graph=True)
    assert d2y.item() == pytest.approx(12.0)  # 6x
    (d3y,) = ag.grad(d2y, x)
    assert d3y.item() == pytest.approx(6.0)


def test_backward_create_graph_leaves_a_differentiable_grad():
    x = leaf([1.0, 2.0])
    (x.tanh().sum()).backward(create_graph=True)
    assert x.grad.requires_grad
    grad_norm = (x.grad * x.grad).sum()
    x.grad = None
    grad_norm.backward()
    t = np.tanh(np.array([1.0, 2.0]))
    expected = 2 * (1 - t**2) * (-2 * t * (1 - t**2))  # d/dx (1 - tanh^2)^2
    np.testing.assert_allclose(x.grad.data, expected)


def test_grad_returns_without_touching_dot_grad():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    out = (x * y).sum()
    gx, gy = ag.grad(out, [x, y])
    np.testing.assert_allclose(gx.data, [3.0, 3.0])
    np.testing.assert_allclose(gy.data, [3.0])
    assert x.grad is None and y.grad is None


def test_grad_of_intermediate_tensor():
    x = leaf([1.0, 2.0])
    h = x * 2
    out = (h * h).sum()
    (gh,) = ag.grad(out, h)
    np.testing.assert_allclose(gh.data, 2 * np.array([2.0, 4.0]))


def test_grad_unused_input_raises_unless_allowed():
    x, unused = leaf([1.0]), leaf([1.0])
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        ag.grad((x * 2).sum(), [x, unused])
    gx, gu = ag.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None and gx.item() == 2.0


def test_no_grad_records_nothing_and_works_as_decorator():
    x = leaf([1.0])
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2
        with ag.enable_grad():
            z = x * 2
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @ag.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad


def test_no_grad_is_thread_local():
    x = leaf([1.0])
    inside = threading.Event()
    done = threading.Event()
    seen = {}

    def other_thread():
        inside.wait()
        seen["requires_grad"] = (x * 2).requires_grad
        done.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with ag.no_grad():
        inside.set()
        done.wait()
    worker.join()
    assert seen["requires_grad"] is True


def test_detach_shares_data_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert d.grad_fn is None and not d.requires_grad
    out = (d * x).sum()
    out.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_requires_grad_underscore():
    x = ag.Tensor(np.ones(2))
    assert x.requires_grad_() is x and x.requires_grad
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).requires_grad_(False)


def test_retain_grad_keeps_intermediate_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.data, 2 * 3 * np.array([1.0, 2.0]))
    assert (x * 2).grad is None


def test_long_chain_backprops_without_recursion():
    x = leaf(np.ones(2))
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full(2, 1.00001**100_000))


def test_max_splits_gradient_among_ties():
    x = leaf([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5, 0.5, 0.0])


def test_repeated_indices_accumulate():
    x = leaf([1.0, 2.0, 3.0])
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 0.0, 1.0])


def test_boolean_mask_indexing_gradient():
    x = leaf([[1.0, -2.0], [-3.0, 4.0]])
    (x[x.data > 0] * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[2.0, 0.0], [0.0, 2.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_family_is_finite_for_huge_logits(dtype):
    logits = [1000.0, -1000.0, 0.0]
    for fn in (ag.softmax, ag.log_softmax, ag.logsumexp):
        x = leaf(logits, dtype)
        out = fn(x)
        (out * ag.Tensor(np.array([1.0, 2.0, 3.0], dtype=dtype))[: out.size]).sum().backward()
        assert np.isfinite(out.data).all() and np.isfinite(x.grad.data).all(), fn.__name__
    np.testing.assert_allclose(ag.log_softmax(leaf(logits, dtype)).data, [0.0, -2000.0, -1000.0])
    assert ag.logsumexp(leaf(logits, dtype)).item() == pytest.approx(1000.0)


class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class ScaledSum(ag.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return (x * scale).sum()

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale * ag.ones_like(ctx.inputs[0]), None


def test_custom_function_gradients_and_second_derivatives():
    x = leaf([0.5, -1.5, 2.0])
    assert ag.gradcheck(Cube.apply, (x,))
    assert ag.gradgradcheck(Cube.apply, (x,))
    assert Cube.apply(x).grad_fn.name == "Cube"


def test_custom_function_with_non_tensor_argument():
    x = leaf([1.0, 2.0])
    ScaledSum.apply(x, 4.0).backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 4.0])


def test_custom_function_wrong_gradient_shape_is_named():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum()

    with pytest.raises(RuntimeError, match=r"Bad.backward returned a gradient of shape \(\)"):
        Bad.apply(leaf([1.0, 2.0])).sum().backward()


def test_backward_of_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"one-element output, got shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 20.0])


def test_gradient_of_wrong_shape_is_refused():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the output has shape"):
        (x * 2).backward(gradient=np.ones(3))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.tensor([1.0]).sum().backward()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: leaf(np.ones((2, 3))) + leaf(np.ones((4,))),
         r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"),
        (lambda: leaf(np.ones((2, 3))) * leaf(np.ones((2,))), r"mul: shapes \(2, 3\) and \(2,\)"),
        (lambda: leaf(np.ones((2, 3))) @ leaf(np.ones((4, 5))),
         r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned"),
        (lambda: leaf(np.ones((2, 3))).reshape(4, 2),
         r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into shape \(4, 2\)"),
        (lambda: leaf(np.ones(3))[5],
         r"getitem: index 5 is out of bounds.*\(input shapes \(3,\)\)"),
        (lambda: leaf(np.ones((2, 3))).sum(axis=2), r"sum: axis 2 is out of bounds"),
        (lambda: ag.concatenate([leaf(np.ones((2, 3))), leaf(np.ones((3, 2)))]),
         r"concatenate: cannot join shapes \[\(2, 3\), \(3, 2\)\]"),
    ],
)
def test_bad_shapes_get_errors_naming_op_and_shapes(make, match):
    with pytest.raises((ValueError, IndexError), match=match):
        make()




@settings(max_examples=40, deadline=None)
@given(st.data())
def test_broadcast_binary_ops_on_random_shapes(data):
    shape_a, shape_b = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, base_shape=(),
                                                                    max_dims=3, max_side=3)
                                 ).input_shapes
    rng = np.random.default_rng(0)
    a = leaf(rng.uniform(0.5, 2.0, shape_a))
    b = leaf(rng.uniform(0.5, 2.0, shape_b))
    assert ag.gradcheck(lambda x, y: x * y + x / y - x**y, (a, b))


# ---------------------------------------------------------------- issue 11: trust, round two


def test_detached_factor_is_a_constant_in_second_derivatives():
    # f = sum(x * stop(x)) + sum(x**3): f' = stop(x) + 3x^2, f'' = 6x (not 6x + 1)
    x = leaf([1.0, 2.0])
    (first,) = ag.grad((x * x.detach()).sum() + (x ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(first.data, [1.0 + 3.0, 2.0 + 12.0])
    (second,) = ag.grad(first.sum(), x)
    np.testing.assert_allclose(second.data, [6.0, 12.0])


def test_same_array_as_both_operands_is_differentiated_per_position():
    x = leaf([3.0])
    y = leaf([3.0])
    y.data = x.data  # two leaves on one buffer: each operand still gets its own gradient
    (x * y ** 2).sum().backward()
    assert x.grad.item() == 9.0 and y.grad.item() == 18.0


def test_each_leaf_owns_its_grad_array():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    out = (a + b) * 2  # add hands one gradient array to both leaves
    out.backward(ag.tensor([1.0, 1.0], dtype=np.float64))
    a.grad.data *= 10
    np.testing.assert_allclose(b.grad.data, [2.0, 2.0])
    assert not np.shares_memory(a.grad.data, b.grad.data)


def test_leaf_grad_does_not_alias_the_caller_gradient():
    x = leaf([1.0, 2.0])
    upstream = np.array([1.0, 1.0])
    (x + 0).backward(upstream)
    x.grad.data[0] = 7.0
    assert upstream[0] == 1.0


def test_changing_an_index_array_after_forward_does_not_change_the_gradient():
    x = leaf([1.0, 2.0, 3.0])
    index = np.array([0, 0])
    y = x[index].sum()
    index[:] = 2
    y.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 0.0, 0.0])


def test_changing_a_where_mask_after_forward_does_not_change_the_gradient():
    x = leaf([1.0, 2.0])
    mask = np.array([True, False])
    y = ag.where(mask, x, 0.0).sum()
    mask[:] = True
    y.backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 0.0])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_a_size_0_axis_is_empty_as_torch(name):
    torch = pytest.importorskip("torch")
    x = leaf(np.zeros((3, 0)))
    out = getattr(ag, name)(x, axis=1)
    expected = getattr(torch, name)(torch.zeros(3, 0, dtype=torch.float64), dim=1)
    assert out.shape == tuple(expected.shape) == (3, 0)
    out.sum().backward()
    assert x.grad.shape == (3, 0)


def test_logsumexp_over_a_size_0_axis_is_minus_inf_as_torch():
    torch = pytest.importorskip("torch")
    out = ag.logsumexp(leaf(np.zeros((3, 0))), axis=1)
    expected = torch.logsumexp(torch.zeros(3, 0, dtype=torch.float64), dim=1)
    np.testing.assert_array_equal(out.data, expected.numpy())


def test_max_over_a_size_0_axis_raises_as_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="cannot reduce an empty axis"):
        ag.zeros(3, 0).max(axis=1)
    with pytest.raises((RuntimeError, IndexError)):
        torch.zeros(3, 0).max(dim=1)
