"""Misuse of the public API fails with the right error type and a message that names the problem.

Each row: an id, a call that misuses the API, the expected exception type and
a regular expression its message must match (the op's name and the shapes or
values involved). Rows marked ``FINDING`` fail today and are strict xfails, so
fixing the message turns them into an XPASS that asks for the mark's removal.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def ones(*shape, requires_grad=False):
    return ag.Tensor(np.ones(shape), requires_grad=requires_grad)


def backward_twice():
    x = ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def function_returning(gradients):
    """A user Function of two arguments whose backward returns ``gradients``."""
    class Product(ag.Function):
           @staticmethod
           def forward(ctx, a, b):
               return a * b

           @staticmethod
           def backward(ctx, grad):
               return gradients

    return lambda: Product.apply(ones(3, requires_grad=True), ones(3)).sum().backward()


def row(case_id: str, call, error: type, message: str, finding: str | None = None):
    """One table entry; ``finding`` describes today's bad message (a strict xfail)."""
    marks = pytest.mark.xfail(strict=True, reason=f"FINDING: {finding}") if finding else ()
    return pytest.param(call, error, message, id=case_id, marks=marks)


ENGINE_CASES = [
    row("add-shapes", lambda: ones(2, 3) + ones(4), ValueError,
        r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"),
    row("sub-shapes", lambda: ones(3) - ones(2, 2), ValueError,
        r"sub: shapes \(3,\) and \(2, 2\) cannot be broadcast"),
    row("mul-list-shapes", lambda: ones(2, 3) * [1.0, 2.0], ValueError,
        r"mul: shapes \(2, 3\) and \(2,\) cannot be broadcast"),
    row("maximum-shapes", lambda: ag.maximum(ones(2), ones(3)), ValueError,
        r"maximum: shapes \(2,\) and \(3,\)"),
    row("matmul-inner", lambda: ones(2, 3) @ ones(4, 5), ValueError,
        r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned: 3 .* != 4"),
    row("matmul-0d", lambda: ones() @ ones(2), ValueError,
        r"matmul: operands must be at least 1-D, got shapes \(\) and \(2,\)"),
    row("matmul-batch", lambda: ones(2, 3, 4) @ ones(3, 4, 5), ValueError,
        r"matmul: batch dimensions of \(2, 3, 4\) and \(3, 4, 5\) cannot be broadcast"),
    row("reshape-size", lambda: ones(2, 3).reshape(4), ValueError,
        r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into shape \(4,\)"),
    row("reshape-two-unknowns", lambda: ones(2, 3).reshape(-1, -1), ValueError,
        r"reshape: .*shape \(2, 3\).* into shape \(-1, -1\)"),
    row("transpose-axes", lambda: ones(2, 3).transpose(0, 0), ValueError,
        r"transpose: axes \(0, 0\) do not match shape \(2, 3\)"),
    row("broadcast_to", lambda: ones(3).broadcast_to((4,)), ValueError,
        r"broadcast_to: cannot broadcast shape \(3,\) to \(4,\)"),
    row("squeeze-non-1", lambda: ones(2, 3).squeeze(0), ValueError,
        r"squeeze: cannot select axis 0 of shape \(2, 3\)"),
    row("index-out-of-range", lambda: ones(3)[5], IndexError,
        r"getitem: index 5 is out of bounds for axis 0 with size 3"),
    row("int-array-index-out-of-range", lambda: ones(3)[np.array([0, 3])], IndexError,
        r"getitem: index 3 is out of bounds"),
    row("bool-mask-shape", lambda: ones(3)[np.array([True, False])], IndexError,
        r"getitem: boolean index did not match .* size of axis is 3 .* axis is 2"),
    row("float-index", lambda: ones(3)[1.5], IndexError, r"getitem: only integers, slices"),
    row("backward-non-scalar", lambda: (ones(3, requires_grad=True) * 2).backward(), RuntimeError,
        r"backward: gradient can be implicitly created only for a one-element output, got shape "
        r"\(3,\)"),
    row("backward-gradient-shape",
        lambda: (ones(3, requires_grad=True) * 2).backward(ones(2)), RuntimeError,
        r"backward: gradient has shape \(2,\) but the output has shape \(3,\)"),
    row("backward-freed-graph", backward_twice, RuntimeError,
        r"backward through the graph a second time \(op 'mul'\).*retain_graph=True"),
    row("backward-without-grad", lambda: ones(3).sum().backward(), RuntimeError,
        r"backward: the tensor does not require grad"),
    row("int-tensor-requires-grad", lambda: ag.Tensor(np.arange(3), requires_grad=True), TypeError,
        r"only floating-point tensors can require gradients, got dtype int64"),
    row("int-tensor-requires_grad_", lambda: ag.Tensor(np.arange(3)).requires_grad_(), TypeError,
        r"only floating-point tensors can require gradients, got dtype int64"),
    row("non-leaf-requires_grad_-off",
        lambda: (ones(2, requires_grad=True) * 2).requires_grad_(False), RuntimeError,
        r"requires_grad_: cannot turn off requires_grad on a non-leaf tensor; use detach\(\)"),
    row("retain_grad-without-grad", lambda: ones(2).retain_grad(), RuntimeError,
        r"retain_grad: the tensor does not require grad"),
    row("gradcheck-float32",
        lambda: ag.gradcheck(lambda t: t.sum(), (ag.ones(3, requires_grad=True),)), TypeError,
        r"gradcheck: input 0 requires grad but has dtype float32; finite differences need float64"),
    row("gradcheck-no-grad-input", lambda: ag.gradcheck(lambda t: t.sum(), (ones(3),)), ValueError,
        r"gradcheck: no input requires grad"),
    row("sum-unknown-axis", lambda: ones(2, 3).sum(axis=2), np.exceptions.AxisError,
        r"sum: axis 2 is out of bounds for a tensor of dimension 2"),
    row("mean-duplicate-axis", lambda: ones(2, 3).mean(axis=(0, 0)), ValueError,
        r"mean: duplicate value in axis \(0, 0\)"),
    row("concatenate-shapes", lambda: ag.concatenate([ones(2, 3), ones(3, 2)], axis=0), ValueError,
        r"concatenate: cannot join shapes \[\(2, 3\), \(3, 2\)\] along axis 0"),
    row("concatenate-empty", lambda: ag.concatenate([]), ValueError,
        r"concatenate: need at least one tensor"),
    row("stack-shapes", lambda: ag.stack([ones(2), ones(3)]), ValueError,
        r"stack: all tensors must have the same shape, got \[\(2,\), \(3,\)\]"),
    row("where-shapes", lambda: ag.where(np.ones(3, bool), ones(2), ones(2)), ValueError,
        r"where: condition \(3,\), x \(2,\) and y \(2,\) cannot be broadcast"),
    row("pad-negative", lambda: ag.pad(ones(2), -1), ValueError,
        r"pad: pad widths must be non-negative, got -1"),
    row("clip-no-bounds", lambda: ones(2).clip(), ValueError,
        r"clip: at least one of a_min and a_max must be given"),
    row("mean-empty", lambda: ag.zeros(0).mean(), ValueError,
        r"mean: cannot take the mean of an empty selection \(shape \(0,\)\)"),
    row("max-empty", lambda: ag.zeros(0).max(), ValueError,
        r"max: zero-size tensor of shape \(0,\) has no max"),
    row("var-ddof", lambda: ones(1).var(ddof=1), ValueError,
        r"var: ddof=1 leaves no degrees of freedom for 1 elements"),
    row("item-many", lambda: ones(2).item(), ValueError,
        r"item: only one-element tensors can be converted, got shape \(2,\)"),
    row("bool-many", lambda: bool(ones(3)), ValueError,
        r"bool: the truth value of a tensor with 3 elements is ambiguous"),
    row("len-0d", lambda: len(ones()), TypeError, r"len\(\) of a 0-d tensor"),
    row("tensor-from-str", lambda: ag.Tensor("abc"), TypeError,
        r"Tensor: cannot make a tensor from str"),
    row("grad-unused-input",
        lambda: ag.grad((ones(3, requires_grad=True) * 2).sum(), ones(2, requires_grad=True)),
        RuntimeError, r"grad: input 0 \(shape \(2,\)\) was not used to compute the outputs"),
    row("grad-outputs-count",
        lambda: ag.grad([ones(1, requires_grad=True) * 2], [ones(1)], grad_outputs=[ones(1)] * 2),
        ValueError, r"grad: got 2 grad_outputs for 1 outputs"),
    row("grad-output-without-grad", lambda: ag.grad(ones(2).sum(), ones(2)), RuntimeError,
        r"grad: an output does not require grad"),
    row("grad-non-tensors", lambda: ag.grad([1.0], [ones(1)]), TypeError,
        r"grad: outputs must be Tensors"),
    row("function-gradient-count", function_returning(ones(3)), RuntimeError,
        r"Product.backward returned 1 gradients, expected one per forward argument \(2\)"),
    row("function-gradient-shape", function_returning((ones(5), None)), RuntimeError,
        r"Product.backward returned a gradient of shape \(5,\) for an input of shape \(3,\)"),
    # ---- findings: today's message does not name the op or the problem clearly
    row("softmax-axis-named-once", lambda: ag.softmax(ones(2, 3), axis=3),
           np.exceptions.AxisError, r"^softmax: axis 3 is out of bounds",
           finding="op name doubled: 'softmax: softmax: axis 3 ...'"),
    row("swapaxes-axis", lambda: ones(2, 3).swapaxes(0, 5), np.exceptions.AxisError,
           r"swapaxes: axis 5 is out of bounds for a tensor of dimension 2",
           finding="IndexError: list index out of range"),
    row("expand_dims-axis", lambda: ag.expand_dims(ones(2, 3), 5),
           np.exceptions.AxisError, r"expand_dims: axis 5 is out of bounds",
           finding="NumPy's message without the op name"),
    row("compare-shapes", lambda: ones(2) < ones(3), ValueError,
           r"less: shapes \(2,\) and \(3,\) cannot be broadcast",
           finding="NumPy's message without the operator"),
    row("ragged-list", lambda: ag.tensor([[1.0, 2.0], [3.0]]), ValueError,
           r"Tensor: .*ragged|Tensor: .*inhomogeneous",
           finding="NumPy's message without 'Tensor'"),
    row("zeros-negative", lambda: ag.zeros(-1), ValueError,
           r"zeros: negative dimension -1",
           finding="NumPy's message without the factory's name or the shape"),
    row("gradcheck-non-tensor-output",
           lambda: ag.gradcheck(lambda t: 1.0, (ones(2, requires_grad=True),)), TypeError,
           r"gradcheck: the function must return a Tensor",
           finding="TypeError: 'float' object is not iterable"),
    row("pad-width-rank", lambda: ag.pad(ones(2, 2), ((1, 1),) * 3), ValueError,
           r"pad: .*3 .*2 dimensions|pad: pad_width .* does not match",
           finding="NumPy's broadcasting message about 'remapped shapes'"),
]


@pytest.mark.parametrize("call, error, message", ENGINE_CASES)
def test_misuse_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
           call()


@pytest.mark.xfail(strict=True, reason="FINDING: astype(int64) records a node and requires grad")
def test_integer_cast_does_not_record_a_gradient():
    """As in PyTorch: an integer result cannot require grad, so no gradient flows through it."""
    x = ones(2, requires_grad=True)
    y = x.astype(np.int64)
    assert not y.requires_grad
