"""ag.trace_backward: the steps of backward, their rules and gradients, and the printed table."""

import numpy as np
import pytest

import autograd as ag


def micrograd_expression():
    """L = (a*b + c) * f with a = 2, b = -3, c = 10, f = -2 (e = a*b, d = e + c)."""
    a, b, c, f = (ag.tensor(v, requires_grad=True) for v in (2.0, -3.0, 10.0, -2.0))
    a.name, b.name, c.name, f.name = "a", "b", "c", "f"
    e = a * b
    d = e + c
    L = d * f
    e.name, d.name, L.name = "e", "d", "L"
    return (a, b, c, f), L


def values(grads) -> list:
    return [None if g is None else g.tolist() for g in grads]


def test_steps_follow_the_chain_rule_from_the_root_back():
    _, L = micrograd_expression()
    steps = ag.trace_backward(L)
    assert [step.op for step in steps] == ["mul", "add", "mul"]
    assert [step.output for step in steps] == ["L", "d", "e"]
    assert [step.inputs for step in steps] == [("d", "f"), ("e", "c"), ("a", "b")]
    # dL/dL = 1; dL/dd = f = -2, dL/df = d = 4; dL/de = dL/dc = dL/dd; dL/da = b dL/de,
    # dL/db = a dL/de.
    assert [step.grad_output.tolist() for step in steps] == [1.0, -2.0, -2.0]
    assert [values(step.grad_inputs) for step in steps] == [[-2.0, 4.0], [-2.0, -2.0],
                                                            [6.0, -4.0]]


def test_rules_are_the_first_line_of_each_ops_docstring():
    _, L = micrograd_expression()
    steps = ag.trace_backward(L)
    assert steps[0].rule == "d/da (a * b) = b, d/db (a * b) = a"
    assert steps[1].rule == "d/da (a + b) = 1, d/db (a + b) = 1"


def test_leaves_accumulate_grad_as_backward_does():
    (a, b, c, f), L = micrograd_expression()
    ag.trace_backward(L)
    assert [t.grad.item() for t in (a, b, c, f)] == [6.0, -4.0, -2.0, 4.0]


def test_broadcast_input_receives_its_gradient_summed_to_its_shape():
    x = ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    bias = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = ((x + bias) * ag.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum()
    steps = ag.trace_backward(loss)
    add = next(step for step in steps if step.op == "add")
    weights = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(add.grad_inputs[0], weights)
    np.testing.assert_array_equal(add.grad_inputs[1], weights.sum(axis=0))  # [5, 7, 9]


def test_constant_inputs_receive_none():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    steps = ag.trace_backward((x * ag.tensor([3.0, 4.0])).sum())
    mul = steps[1]
    assert mul.op == "mul"
    assert mul.grad_inputs[0].tolist() == [3.0, 4.0] and mul.grad_inputs[1] is None


def test_an_input_used_twice_gets_two_contributions_that_add_up():
    x = ag.tensor(3.0, requires_grad=True)
    steps = ag.trace_backward(x * x)
    assert values(steps[0].grad_inputs) == [3.0, 3.0]  # d(x*x)/dx = x + x
    assert x.grad.item() == 6.0


def test_user_function_rule_comes_from_its_docstring():
    class Cube(ag.Function):
        """d/dx x**3 = 3 x**2"""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x**2

    x = ag.tensor(2.0, requires_grad=True)
    (step,) = ag.trace_backward(Cube.apply(x))
    assert (step.op, step.rule, step.grad_inputs[0].item()) == ("Cube", "d/dx x**3 = 3 x**2", 12.0)


def test_graph_is_freed_unless_retained():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.tanh() * 2.0).sum()
    ag.trace_backward(loss)
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()
    kept = (x.tanh() * 2.0).sum()
    first = ag.trace_backward(kept, retain_graph=True)
    second = ag.trace_backward(kept)
    assert [s.op for s in first] == [s.op for s in second] == ["sum", "mul", "tanh"]


def test_non_scalar_root_takes_a_gradient():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    steps = ag.trace_backward(x * 5.0, gradient=np.array([1.0, -1.0], dtype=np.float32))
    assert steps[0].grad_output.tolist() == [1.0, -1.0]
    assert steps[0].grad_inputs[0].tolist() == [5.0, -5.0]


def test_root_must_be_a_tensor():
    with pytest.raises(TypeError, match="trace_backward: root must be a Tensor"):
        ag.trace_backward(3.0)


def test_table_has_one_row_per_step_with_rule_and_signed_numbers():
    _, L = micrograd_expression()
    table = str(ag.trace_backward(L))
    lines = table.splitlines()
    assert lines[0].split() == ["step", "op", "rule", "grad_output", "grad_inputs"]
    assert len(lines) == 4
    assert lines[1].startswith("1") and lines[1].endswith("d: -2, f: 4")
    assert "d/da (a + b) = 1, d/db (a + b) = 1" in lines[2] and lines[2].endswith("e: -2, c: -2")
    assert lines[3].endswith("a: 6, b: -4")


def test_big_gradients_are_summarised_by_shape_and_rms():
    w = ag.tensor(np.ones((4, 5)), requires_grad=True)
    w.name = "w"
    table = str(ag.trace_backward((w * 3.0).sum()))
    assert "w: (4, 5) rms 3" in table


def test_step_prints_its_rule_and_numbers():
    _, L = micrograd_expression()
    text = str(ag.trace_backward(L)[2])
    assert text.splitlines() == ["mul: d/da (a * b) = b, d/db (a * b) = a",
                                 "  arriving at e: -2", "  sent to a: 6, b: -4"]
