"""Misuse of the public API fails with the right error type and a message that names the problem.

Each row: an id, a call that misuses the API, the expected exception type and
a regular expression its message must match (the op's name and the shapes or
values involved). A row may carry ``finding=`` to mark a known bad message as a strict
xfail, so fixing it turns into an XPASS that asks for the mark's removal.
"""

from __future__ import annotations

import copy
import pathlib
import tempfile

import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim
from tests.crafted_files import (
    gzip_bomb,
    idx_bytes,
    json_header,
    nested_list,
    npy_bytes,
    structure_file,
    truncated_checkpoint,
    zip_with,
)


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


class NanGradient(ag.Function):
    """``2 x`` whose backward returns NaN."""

    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, grad):
        return grad * np.nan


class IdentityWithNanGradient(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):
        return grad * np.nan


class SquareWithNanSecondDerivative(ag.Function):
    """``x**2`` with the right first derivative ``2 x``, whose own derivative is NaN."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2.0 * IdentityWithNanGradient.apply(x)


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
    row("gradcheck-nan-backward",
        lambda: ag.gradcheck(NanGradient.apply, (ones(2, requires_grad=True),)),
        AssertionError, r"gradcheck: non-finite Jacobian entry for output 0 with respect to input "
                        r"0 at input element \(0,\), output element \(0,\): analytic nan"),
    row("gradgradcheck-nan-second-derivative",
        lambda: ag.gradgradcheck(SquareWithNanSecondDerivative.apply,
                                (ones(2, requires_grad=True),)),
        AssertionError, r"gradcheck: non-finite Jacobian entry .*analytic nan"),
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
        r"max: cannot reduce an empty axis \(shape \(0,\), axis None\): it has no identity"),
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
    row("softmax-axis", lambda: ag.softmax(ones(2, 3), axis=3), np.exceptions.AxisError,
        r"^softmax: axis 3 is out of bounds for a tensor of dimension 2"),
    row("swapaxes-axis", lambda: ones(2, 3).swapaxes(0, 5), np.exceptions.AxisError,
        r"swapaxes: axis 5 is out of bounds for a tensor of dimension 2"),
    row("expand_dims-axis", lambda: ag.expand_dims(ones(2, 3), 5), np.exceptions.AxisError,
        r"expand_dims: axis 5 is out of bounds .*\(shape \(2, 3\)\)"),
    row("compare-shapes", lambda: ones(2) < ones(3), ValueError,
        r"less: shapes \(2,\) and \(3,\) cannot be broadcast"),
    row("ragged-list", lambda: ag.tensor([[1.0, 2.0], [3.0]]), ValueError,
        r"Tensor: cannot make a tensor from this data: .*inhomogeneous"),
    row("zeros-negative", lambda: ag.zeros(-1), ValueError,
        r"zeros: dimensions must be non-negative integers, got shape \(-1,\)"),
    row("gradcheck-non-tensor-output",
        lambda: ag.gradcheck(lambda t: 1.0, (ones(2, requires_grad=True),)), TypeError,
        r"gradcheck: the function must return a Tensor or a tuple of Tensors, got float"),
    row("pad-width-rank", lambda: ag.pad(ones(2, 2), ((1, 1),) * 3), ValueError,
        r"pad: pad_width \(\(1, 1\), \(1, 1\), \(1, 1\)\) does not match a tensor of 2 "
        r"dimensions"),
    # ---- findings: today's message does not name the op or the problem
    row("sum-float-axis", lambda: ones(2).sum(axis=0.5), TypeError,
        r"sum: axis must be None, an int or a tuple of ints, got 0.5"),
    row("arange-zero-step", lambda: ag.arange(0, 5, 0), ValueError, r"arange: step must not be 0"),
    row("mul-string", lambda: ones(2) * "a", TypeError, r"(mul|Tensor): .*str"),
    # ---- movement, indexing, einsum, pad modes, factories
    row("repeat-pytorch-tiling", lambda: ones(2, 3).repeat(2, 3), TypeError,
        r"repeat: x\.repeat\(2, 3\) is PyTorch's tiling.*np\.repeat.*use x\.tile\(2, 3\)"),
    row("repeat-count-per-element", lambda: ag.repeat(ones(3), [1, 2], axis=0), ValueError,
        r"repeat: 2 repeat counts for 3 elements along axis 0 \(shape \(3,\)\).*tile"),
    row("repeat-negative", lambda: ag.repeat(ones(2), -1), ValueError,
        r"repeat: repeats must be non-negative, got -1"),
    row("tile-negative", lambda: ag.tile(ones(2), (2, -1)), ValueError,
        r"tile: reps must be non-negative, got \(2, -1\)"),
    row("roll-without-shift", lambda: ag.roll(ones(2)), TypeError,
        r"roll: give the shift once"),
    row("roll-shift-axis-count", lambda: ag.roll(ones(2, 2, 2), (1, 2, 3), (0, 1)), ValueError,
        r"roll: 3 shifts for 2 axes"),
    row("flip-axis", lambda: ones(2, 3).flip(2), np.exceptions.AxisError,
        r"flip: axis 2 is out of bounds for a tensor of dimension 2"),
    row("tril-0d", lambda: ag.tril(ones()), ValueError,
        r"tril: needs at least one dimension, got a 0-d tensor"),
    row("diagonal-1d", lambda: ag.diagonal(ones(3)), ValueError,
        r"diagonal: needs at least 2 dimensions, got shape \(3,\)"),
    row("diagonal-same-axes", lambda: ag.diagonal(ones(2, 2), 0, 1, -1), ValueError,
        r"diagonal: axis1 and axis2 are the same axis \(1\)"),
    row("split-unequal", lambda: ag.split(ones(5), 2), ValueError,
        r"split: 5 elements along axis 0 \(shape \(5,\)\) do not split into 2 equal sections; "
        r"use array_split"),
    row("split-positional-axis-method", lambda: ones(4, 6).split(2, 1), TypeError,
        r"split: .*name it: x\.split\(2, axis=1\).*x\.split\(2, dim=1\)"),
    row("split-sizes-sum", lambda: ag.split(ones(5), [2, 2], dim=0), ValueError,
        r"split: sizes \[2, 2\] do not add up to the 5 elements along dim 0"),
    row("split-0d", lambda: ag.split(ones(), 1), ValueError, r"split: cannot split a 0-d tensor"),
    row("array_split-zero-sections", lambda: ag.array_split(ones(3), 0), ValueError,
        r"array_split: the number of sections must be positive, got 0"),
    row("chunk-zero", lambda: ag.chunk(ones(3), 0), ValueError,
        r"chunk: chunks must be a positive int, got 0"),
    row("take_along_axis-ndim", lambda: ag.take_along_axis(ones(2, 3), np.array([0, 1]), 1),
        ValueError, r"take_along_axis: indices must have as many dimensions as the tensor: "
        r"indices \(2,\), tensor \(2, 3\)"),
    row("take_along_axis-out-of-range",
        lambda: ag.take_along_axis(ones(2, 3), np.array([[0], [3]]), 1), IndexError,
        r"take_along_axis: index 3 is out of range for axis 1 of size 3"),
    row("take_along_axis-float-indices",
        lambda: ag.take_along_axis(ones(2, 3), np.array([[0.5]]), 1), TypeError,
        r"take_along_axis: indices must be integers, got dtype float64"),
    row("gather-index-larger", lambda: ag.gather(ones(2, 3), 1, np.zeros((3, 1), int)),
        ValueError, r"gather: index \(3, 1\) is larger than the input \(2, 3\) along dimension 0"),
    row("gather-negative-index", lambda: ag.gather(ones(2, 3), 1, np.array([[-1], [0]])),
        IndexError, r"gather: index -1 is out of range for axis 1 of size 3 .*expected 0\.\.2"),
    row("scatter-reduce", lambda: ag.scatter(ones(2), 0, np.array([0]), 1.0, reduce="add"),
        TypeError, r"scatter: reduce= is not supported; use scatter_add"),
    row("scatter-src-smaller", lambda: ag.scatter(ones(3), 0, np.array([0, 1]), ones(1)),
        ValueError, r"scatter: src \(1,\) must .* at least as large as index \(2,\)"),
    row("masked_fill-int-mask", lambda: ones(2).masked_fill(np.array([0, 1]), 0.0), TypeError,
        r"masked_fill: mask must be boolean, got dtype int64 \(compare it first"),
    row("masked_fill-mask-shape", lambda: ones(2).masked_fill(np.ones((2, 2), bool), 0.0),
        ValueError, r"masked_fill: mask \(2, 2\) does not broadcast to the tensor's shape \(2,\)"),
    row("masked_fill-value-shape", lambda: ones(2).masked_fill(np.ones(2, bool), ones(2)),
        ValueError, r"masked_fill: value must be a number or a 0-d tensor, got shape \(2,\)"),
    row("index_select-2d", lambda: ag.index_select(ones(3), 0, np.zeros((1, 1), int)), ValueError,
        r"index_select: index must be 1-D, got shape \(1, 1\)"),
    row("index_select-out-of-range", lambda: ag.index_select(ones(3), 0, np.array([3])),
        IndexError, r"index_select: index 3 is out of range for axis 0 of size 3"),
    row("nonzero-0d", lambda: ag.nonzero(ones()), ValueError,
        r"nonzero: a 0-d tensor has no indices"),
    row("einsum-operand-count", lambda: ag.einsum("ij,jk->ik", ones(2, 2)), ValueError,
        r"einsum: subscripts 'ij,jk->ik' name 2 operands, got 1"),
    row("einsum-sizes", lambda: ag.einsum("ij,jk->ik", ones(2, 3), ones(4, 2)), ValueError,
        r"einsum: subscript 'j' has size 3 in one operand and 4 in operand 1 \(shape \(4, 2\)\)"),
    row("einsum-ndim", lambda: ag.einsum("ij->i", ones(2)), ValueError,
        r"einsum: operand 0 has shape \(2,\), which its subscripts 'ij' do not describe"),
    row("einsum-character", lambda: ag.einsum("i1->i", ones(2, 2)), ValueError,
        r"einsum: invalid subscripts 'i1->i'"),
    row("einsum-output-repeats", lambda: ag.einsum("ij->ii", ones(2, 2)), ValueError,
        r"einsum: output subscripts of 'ij->ii' must be distinct letters"),
    row("einsum-output-unknown", lambda: ag.einsum("ij->k", ones(2, 2)), ValueError,
        r"einsum: output subscripts of 'ij->k' must be distinct letters that appear"),
    row("einsum-ellipsis-output", lambda: ag.einsum("...ij->ij", ones(2, 2, 2)), ValueError,
        r"einsum: '...ij->ij': operands have dimensions under '...', so the output must name"),
    row("einsum-diagonal-sizes", lambda: ag.einsum("ii->i", ones(2, 3)), ValueError,
        r"einsum: operand 0 \(shape \(2, 3\)\) repeats subscript 'i' over dimensions of "
        r"different sizes"),
    row("einsum-not-a-string", lambda: ag.einsum(ones(2), [0]), TypeError,
        r"einsum: subscripts must be a string such as 'ij,jk->ik', got Tensor"),
    row("pad-unknown-mode", lambda: ag.pad(ones(2), 1, mode="mirror"), ValueError,
        r"pad: mode must be one of constant, reflect, symmetric, edge, wrap, got 'mirror'"),
    row("pad-constant_values-with-reflect",
        lambda: ag.pad(ones(2), 1, mode="reflect", constant_values=1.0), ValueError,
        r"pad: constant_values is only for mode='constant', not 'reflect'"),
    row("pad-reflect-empty-axis", lambda: ag.pad(ones(0), 1, mode="reflect"), ValueError,
        r"pad: mode 'reflect' cannot pad an empty axis \(shape \(0,\)\)"),
    row("randint-bounds", lambda: ag.randint(3, 3, (2,)), ValueError,
        r"randint: low \(3\) must be less than high \(3\)"),
    row("linspace-negative-count", lambda: ag.linspace(0, 1, -2), ValueError,
        r"linspace: the number of values must be a non-negative int, got -2"),
    row("arange-stop-and-end", lambda: ag.arange(0, 3, end=4), TypeError,
        r"arange: got both stop and end"),
    row("rand-device", lambda: ag.rand(2, device="cuda:0"), ValueError,
        r"rand: device 'cuda:0' is not available: autograd computes with NumPy on the CPU"),
    row("randn-shape-twice", lambda: ag.randn(2, size=(2,)), TypeError,
        r"randn: give the shape once, positionally or as size="),
    row("multinomial-negative", lambda: ag.multinomial(ag.tensor([0.5, -0.1]), 1), ValueError,
        r"multinomial: probabilities must be finite and non-negative, got -0\.1"),
    row("multinomial-nan", lambda: ag.multinomial(np.array([0.5, np.nan]), 1), ValueError,
        r"multinomial: probabilities must be finite and non-negative, got nan"),
    row("multinomial-zero-sum", lambda: ag.multinomial(np.array([[1.0, 0.0], [0.0, 0.0]]), 1),
        ValueError, r"multinomial: the probabilities of row 1 sum to 0"),
    row("multinomial-too-many", lambda: ag.multinomial(ag.tensor([0.5, 0.5]), 3), ValueError,
        r"multinomial: cannot draw 3 samples without replacement from 2 categories"),
    row("multinomial-too-few-possible",
        lambda: ag.multinomial(ag.tensor([0.5, 0.0, 0.5]), 3), ValueError,
        r"multinomial: row 0 has 2 categories of non-zero probability, fewer than the 3 samples"),
    row("multinomial-zero-samples", lambda: ag.multinomial(ag.tensor([1.0]), 0), ValueError,
        r"multinomial: num_samples must be a positive int, got 0"),
    row("multinomial-3d", lambda: ag.multinomial(np.ones((2, 2, 2)), 1), ValueError,
        r"multinomial: probs must be 1-D or 2-D with at least one category, got shape "
        r"\(2, 2, 2\)"),
    # ---- math ops (issue 13)
    row("remainder-shapes", lambda: ones(2) % ones(3), ValueError,
        r"remainder: shapes \(2,\) and \(3,\) cannot be broadcast"),
    row("floor_divide-shapes", lambda: ones(2) // ones(3), ValueError,
        r"floor_divide: shapes \(2,\) and \(3,\) cannot be broadcast"),
    row("arctan2-shapes", lambda: ag.arctan2(ones(2), ones(3)), ValueError,
        r"arctan2: shapes \(2,\) and \(3,\) cannot be broadcast"),
    row("lerp-shapes", lambda: ag.lerp(ones(2), ones(2), ones(3)), ValueError,
        r"lerp: start \(2,\), end \(2,\) and weight \(3,\) cannot be broadcast"),
    row("round-float-decimals", lambda: ag.round(ones(2), 1.5), TypeError,
        r"round: decimals must be an int, got 1.5"),
    row("bitwise-on-floats", lambda: ones(2) & ones(2), TypeError,
        r"bitwise_and: only integer and boolean tensors are supported \(as NumPy\), got dtype "
        r"float64 and float64; .*logical_and"),
    row("invert-on-floats", lambda: ~ones(2), TypeError,
        r"bitwise_not: only integer and boolean tensors.*logical_not"),
    row("bitwise-shapes", lambda: ag.tensor([1, 2]) | ag.tensor([1, 2, 3]), ValueError,
        r"bitwise_or: shapes \(2,\) and \(3,\) cannot be broadcast"),
    row("in-place-and-grows", lambda: ag.tensor([1, 2]).__iand__(ag.tensor([[1], [2]])),
        ValueError, r"__iand__: the result has shape \(2, 2\), which does not fit the tensor of "
        r"shape \(2,\)"),
    row("in-place-or-into-bool", lambda: ag.tensor([True]).__ior__(ag.tensor([2])), TypeError,
        r"__ior__: cannot store the int64 result in the tensor of dtype bool"),
    row("isclose-shapes", lambda: ag.isclose(ones(2), ones(3)), ValueError,
        r"isclose: shapes \(2,\) and \(3,\) cannot be broadcast"),
    row("prod-axis", lambda: ones(2).prod(axis=2), np.exceptions.AxisError,
        r"prod: axis 2 is out of bounds for a tensor of dimension 1"),
    row("any-axis-and-dim", lambda: ones(2).any(axis=0, dim=0), TypeError,
        r"any: got both axis=0 and dim=0"),
    row("cumsum-axis", lambda: ag.cumsum(ones(2, 3), axis=2), np.exceptions.AxisError,
        r"cumsum: axis 2 is out of bounds for a tensor of dimension 2"),
    row("cumprod-axis-tuple", lambda: ag.cumprod(ones(2, 3), axis=(0, 1)), TypeError,
        r"cumprod: axis must be None or an int, got \(0, 1\)"),
    row("norm-ord-without-axis-3d", lambda: ag.norm(ones(2, 2, 2), 1), ValueError,
        r"norm: ord=1 needs axis= for a tensor of 3 dimensions \(shape \(2, 2, 2\)\).*p=1"),
    row("norm-fro-of-vector", lambda: ag.norm(ones(3), "fro"), ValueError,
        r"norm: invalid norm order 'fro' for vectors"),
    row("norm-invalid-matrix-ord", lambda: ag.norm(ones(2, 3), 3, axis=(0, 1)), ValueError,
        r"norm: invalid norm order 3 for matrices"),
    row("norm-spectral", lambda: ag.norm(ones(2, 3), 2), NotImplementedError,
        r"norm: ord=2 over two axes needs singular values"),
    row("norm-three-axes", lambda: ag.norm(ones(2, 3, 4), axis=(0, 1, 2)), ValueError,
        r"norm: axis=\(0, 1, 2\) names 3 axes; give one \(a vector norm\) or two"),
    row("norm-ord-and-p", lambda: ag.norm(ones(3), ord=1, p=2), TypeError,
        r"norm: got both ord=1 and p=2"),
    row("norm-method-ambiguous", lambda: ones(2, 3).norm(2), TypeError,
        r"norm: x.norm\(2\) on a tensor of 2 dimensions is ambiguous"),
    row("sort-axis", lambda: ag.sort(ones(2, 3), axis=2), np.exceptions.AxisError,
        r"sort: axis 2 is out of bounds for a tensor of dimension 2"),
    row("sort-axis-and-dim", lambda: ag.sort(ones(3), axis=0, dim=0), TypeError,
        r"sort: got both axis=0 and dim=0"),
    row("argsort-structured-order", lambda: ag.argsort(ones(3), order="f"), TypeError,
        r"argsort: order= \(fields of structured arrays\) is not supported"),
    row("topk-k-too-large", lambda: ag.topk(ones(3), 4), ValueError,
        r"topk: k=4 is out of range for axis 0 of size 3 \(shape \(3,\)\)"),
    row("topk-float-k", lambda: ag.topk(ones(3), 1.5), TypeError,
        r"topk: k must be an int, got 1.5"),
    row("argmax-empty", lambda: ag.argmax(ag.zeros(0)), ValueError,
        r"argmax: attempt to get argmax of an empty sequence \(shape \(0,\)\)"),
    row("argmin-axis", lambda: ones(2).argmin(axis=1), np.exceptions.AxisError,
        r"argmin: axis 1 is out of bounds for a tensor of dimension 1"),
]


def randn(*shape):
    return ag.Tensor(np.random.default_rng(0).standard_normal(shape))


def params():
    return nn.Linear(2, 2).parameters()


def step_with_gradient_of_shape(shape):
    model = nn.Linear(3, 2)
    model.weight.grad = ag.zeros(2, 3)
    model.bias.grad = ag.zeros(*shape)
    optim.SGD(model.parameters(), lr=0.1).step()


LABELS = np.array([0, 1])
NN_CASES = [
    row("cross_entropy-label-out-of-range", lambda: nn.CrossEntropyLoss()(randn(2, 3), [0, 3]),
        IndexError, r"cross_entropy: label 3 at index \(1,\) is out of range \(expected 0..2\)"),
    row("cross_entropy-negative-label", lambda: nn.CrossEntropyLoss()(randn(2, 3), [0, -2]),
        IndexError, r"cross_entropy: label -2 at index \(1,\) is out of range"),
    row("cross_entropy-nan-label",
        lambda: nn.CrossEntropyLoss()(randn(2, 3), np.array([0.0, np.nan])), ValueError,
        r"cross_entropy: labels contain NaN \(first at index \(1,\)\)"),
    row("cross_entropy-fractional-label",
        lambda: nn.CrossEntropyLoss()(randn(2, 3), np.array([0.5, 1.0])), ValueError,
        r"cross_entropy: labels must be integers, got 0.5 at index \(0,\)"),
    row("cross_entropy-label-shape", lambda: nn.CrossEntropyLoss()(randn(2, 3), [0, 1, 2]),
        ValueError, r"cross_entropy: expected labels of shape \(2,\), got shape \(3,\)"),
    row("cross_entropy-weight-shape",
        lambda: nn.CrossEntropyLoss(weight=np.ones(4))(randn(2, 3), LABELS), ValueError,
        r"cross_entropy: weight must have shape \(3,\) \(one per class\), got \(4,\)"),
    row("cross_entropy-label_smoothing",
        lambda: nn.CrossEntropyLoss(label_smoothing=1.5)(randn(2, 3), LABELS), ValueError,
        r"cross_entropy: label_smoothing must be in \[0, 1\], got 1.5"),
    row("cross_entropy-integer-input",
        lambda: nn.CrossEntropyLoss()(ag.Tensor(np.ones((2, 3), dtype=int)), LABELS), TypeError,
        r"cross_entropy: input must be a floating-point tensor, got dtype int64"),
    row("nll_loss-label-out-of-range", lambda: nn.NLLLoss()(randn(2, 3), [5, 0]), IndexError,
        r"nll_loss: label 5 at index \(0,\) is out of range \(expected 0..2\)"),
    row("mse_loss-shapes", lambda: nn.MSELoss()(randn(2, 3), randn(3, 2)), ValueError,
        r"mse_loss: input shape \(2, 3\) and target shape \(3, 2\) must be equal"),
    row("loss-unknown-reduction", lambda: nn.MSELoss(reduction="avg"), ValueError,
        r"MSELoss: reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    row("huber-negative-delta", lambda: nn.HuberLoss(delta=-1.0)(randn(2), randn(2)), ValueError,
        r"huber_loss: delta must be positive, got -1.0"),
    row("bce-not-probabilities", lambda: nn.BCELoss()(ag.tensor([0.5, 1.5]), ag.tensor([0.0, 1.0])),
        ValueError, r"binary_cross_entropy: input must hold probabilities in \[0, 1\], got 1.5"),
    row("bce_with_logits-nan-target",
        lambda: nn.BCEWithLogitsLoss()(randn(2), ag.tensor([0.0, np.nan])), ValueError,
        r"binary_cross_entropy_with_logits: target contains NaN \(first at index \(1,\)\)"),
    row("linear-wrong-in_features", lambda: nn.Linear(3, 2)(randn(4, 5)), ValueError,
        r"Linear\(in_features=3, .*expected input with last dimension 3, got shape \(4, 5\)"),
    row("linear-negative-size", lambda: nn.Linear(-1, 2), ValueError,
        r"Linear: in_features must be a non-negative int, got -1"),
    row("functional-linear-shapes", lambda: nn.functional.linear(randn(2, 3), randn(4, 5)),
        ValueError, r"linear: input of shape \(2, 3\) does not match weight of shape \(4, 5\)"),
    row("sequential-names-the-failing-layer",
        lambda: nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2))(randn(2, 3)), ValueError,
        r"Linear\(in_features=5, .*last dimension 5, got shape \(2, 4\)"),
    row("mlp-unknown-activation", lambda: nn.MLP(3, [4], 2, activation="foo"), ValueError,
        r"MLP: unknown activation 'foo'"),
    row("embedding-index-out-of-range", lambda: nn.Embedding(5, 2)(np.array([1, 5])), IndexError,
        r"embedding: index 5 at index \(1,\) is out of range \(expected 0..4\)"),
    row("embedding-fractional-index", lambda: nn.Embedding(5, 2)(np.array([1.5])), ValueError,
        r"embedding: indices must be integers, got 1.5"),
    row("one_hot-label-out-of-range", lambda: nn.functional.one_hot(np.array([3]), 2), IndexError,
        r"one_hot: label 3 at index \(0,\) is out of range \(expected 0..1\)"),
    row("parameter-integer", lambda: nn.Parameter(np.arange(3)), TypeError,
        r"only floating-point tensors can require gradients, got dtype int64"),
    row("module-assign-array-to-parameter",
        lambda: setattr(nn.Linear(2, 2), "weight", np.zeros(3)), TypeError,
        r"Linear: cannot assign ndarray to parameter 'weight'"),
    row("load_state_dict-wrong-shape",
        lambda: nn.Linear(3, 2).load_state_dict({"weight": np.zeros((3, 3)),
                                                 "bias": np.zeros(2)}), RuntimeError,
        r"size mismatch for 'weight': copying a value of shape \(3, 3\), the shape in the "
        r"current model is \(2, 3\)"),
    row("load_state_dict-missing-key",
        lambda: nn.Linear(3, 2).load_state_dict({"weight": np.zeros((2, 3))}), RuntimeError,
        r"(?s)nothing was loaded.*missing key 'bias'"),
    row("load_state_dict-not-a-mapping", lambda: nn.Linear(2, 2).load_state_dict([1, 2]),
        TypeError, r"load_state_dict: .*must be a (dict|mapping).*list"),
    row("nn.save-unsupported-value", lambda: nn.save({"a": object()}, "unused.npz"), TypeError,
        r"nn.save: cannot store a object at 'a'"),
    row("optimizer-negative-lr", lambda: optim.SGD(params(), lr=-0.1), ValueError,
        r"SGD: invalid lr -0.1"),
    row("adam-beta-out-of-range", lambda: optim.Adam(params(), betas=(1.0, 0.9)), ValueError,
        r"Adam: invalid beta parameter at index 0: 1.0"),
    row("adam-negative-eps", lambda: optim.Adam(params(), eps=-1), ValueError,
        r"Adam: invalid eps -1"),
    row("optimizer-empty-params", lambda: optim.SGD([], lr=0.1), ValueError,
        r"SGD got an empty parameter list"),
    row("optimizer-duplicate-param", lambda: optim.SGD([nn.Linear(2, 2).weight] * 2, lr=0.1),
        ValueError, r"SGD: parameter 1 \(shape \(2, 2\)\) appears more than once"),
    row("optimizer-non-tensor", lambda: optim.SGD([1.0], lr=0.1), ValueError,
        r"SGD can only optimize Tensors, but parameter 0 is a float"),
    row("sgd-nesterov-without-momentum", lambda: optim.SGD(params(), lr=0.1, nesterov=True),
        ValueError, r"SGD: Nesterov momentum requires a momentum > 0"),
    row("grad-assignment-shape", lambda: step_with_gradient_of_shape((5,)), RuntimeError,
        r"grad: assigned grad has shape \(5,\), but the tensor has shape \(2,\)"),
    row("grad-assignment-number", lambda: setattr(nn.Linear(3, 2).bias, "grad", 0.0), TypeError,
        r"grad: assigned grad must be None or a Tensor \(or array\) of shape \(2,\), got float"),
    row("optimizer-load_state_dict-keys",
        lambda: optim.SGD(params(), lr=0.1).load_state_dict({"foo": 1}), ValueError,
        r"SGD.load_state_dict: expected a dict with 'state' and 'param_groups', got keys"),
    row("steplr-zero-step", lambda: optim.lr_scheduler.StepLR(optim.SGD(params(), lr=0.1), 0),
        ValueError, r"StepLR: step_size must be a positive integer, got 0"),
    row("clip_grad_norm-negative", lambda: nn.utils.clip_grad_norm_(params(), -1.0), ValueError,
        r"clip_grad_norm_: max_norm must be >= 0, got -1.0"),
    row("dropout-negative-p", lambda: nn.Dropout(-0.1), ValueError,
        r"Dropout: dropout probability has to be between 0 and 1, but got -0.1"),
    row("conv-kernel-larger-than-input", lambda: nn.Conv2d(1, 1, 5)(randn(1, 1, 3, 3)),
        ValueError, r"conv2d: kernel size \(5, 5\) is larger than the padded input \(3, 3\)"),
    row("conv-wrong-channels", lambda: nn.Conv2d(3, 1, 3)(randn(1, 2, 5, 5)), ValueError,
        r"Conv2d\(3, 1, .*expected input of shape \(N, 3, H, W\), got \(1, 2, 5, 5\)"),
    row("conv-zero-stride", lambda: nn.Conv2d(1, 1, 3, stride=0), ValueError,
        r"Conv2d: kernel_size and stride must be positive"),
    row("max_pool-kernel-larger-than-input", lambda: nn.MaxPool2d(4)(randn(1, 1, 3, 3)),
        ValueError, r"max_pool2d: kernel size \(4, 4\) is larger than the padded input"),
    row("avg_pool-not-4d", lambda: nn.AvgPool2d(2)(randn(4, 4)), ValueError,
        r"AvgPool2d\(.*expected input of shape \(N, C, H, W\), got \(4, 4\)"),
    row("batch_norm-wrong-channels", lambda: nn.BatchNorm1d(3)(randn(4, 5)), ValueError,
        r"BatchNorm1d\(3\): expected input of shape \(N, C\) or \(N, C, L\) with C=3"),
    row("batch_norm-single-sample", lambda: nn.BatchNorm1d(3)(randn(1, 3)), ValueError,
        r"BatchNorm1d: Expected more than 1 value per channel when training"),
    row("functional-batch_norm-weight-shape",
        lambda: nn.functional.batch_norm(randn(4, 3), ag.zeros(3), ag.ones(3), ag.ones(4),
                                         training=True), ValueError,
        r"batch_norm: weight must have shape \(3,\) \(one value per channel of the input\), "
        r"got \(4,\)"),
    row("batch_norm-empty-batch", lambda: nn.BatchNorm1d(3)(randn(0, 3)), ValueError,
        r"BatchNorm1d: Expected more than 1 value per channel"),
    row("layer_norm-wrong-shape", lambda: nn.LayerNorm(4)(randn(2, 3)), ValueError,
        r"LayerNorm\(\(4,\)\): expected input of shape \(\*, 4\), got \(2, 3\)"),
    # recurrent
    row("rnn-input-ndim", lambda: nn.GRU(3, 4)(randn(2, 2, 2, 3)), ValueError,
        r"GRU: Expected input to be 2D or 3D, got 4D tensor instead \(shape \(2, 2, 2, 3\)\)"),
    row("rnn-input-size", lambda: nn.LSTM(3, 4)(randn(5, 2, 2)), ValueError,
        r"LSTM: input.size\(-1\) must be equal to input_size. Expected 3, got 2"),
    row("rnn-empty-sequence", lambda: nn.GRU(3, 4)(randn(0, 2, 3)), ValueError,
        r"GRU: Expected sequence length to be larger than 0, got input of shape \(0, 2, 3\)"),
    row("rnn-hidden-shape", lambda: nn.GRU(3, 4, num_layers=2)(randn(5, 2, 3), randn(1, 2, 4)),
        ValueError, r"GRU: Expected hidden size \(2, 2, 4\), got \(1, 2, 4\)"),
    row("lstm-cell-state-shape",
        lambda: nn.LSTM(3, 4)(randn(5, 2, 3), (randn(1, 2, 4), randn(1, 3, 4))), ValueError,
        r"LSTM: Expected hidden\[1\] size \(1, 2, 4\), got \(1, 3, 4\)"),
    row("lstm-hx-not-a-pair", lambda: nn.LSTM(3, 4)(randn(5, 2, 3), randn(1, 2, 4)), TypeError,
        r"LSTM: hx must be a tuple \(h_0, c_0\), got Tensor"),
    row("rnn-unbatched-3d-hx", lambda: nn.RNN(3, 4)(randn(5, 3), randn(1, 2, 4)), ValueError,
        r"RNN: For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    row("rnn-nonlinearity", lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError,
        r"RNN: unknown nonlinearity 'sigmoid'; choose 'tanh' or 'relu'"),
    row("rnn-dropout-range", lambda: nn.GRU(3, 4, num_layers=2, dropout=1.5), ValueError,
        r"GRU: dropout should be a number in range \[0, 1\].*got 1.5"),
    row("rnn-hidden-size", lambda: nn.LSTM(3, 0), ValueError,
        r"LSTM: hidden_size must be a positive int, got 0"),
    row("lstm-proj-size", lambda: nn.LSTM(3, 4, proj_size=2), NotImplementedError,
        r"LSTM: proj_size is not supported"),
    row("rnn-cell-input-ndim", lambda: nn.GRUCell(3, 4)(randn(2, 2, 3)), ValueError,
        r"GRUCell: Expected input to be 1D or 2D, got 3D instead \(shape \(2, 2, 3\)\)"),
    row("rnn-cell-input-size", lambda: nn.LSTMCell(3, 4)(randn(2, 5)), ValueError,
        r"LSTMCell: input has inconsistent input_size: got 5, expected 3"),
    row("rnn-cell-hidden-shape", lambda: nn.GRUCell(3, 4)(randn(2, 3), randn(3, 4)), ValueError,
        r"GRUCell: hidden state of shape \(3, 4\) does not match input of shape \(2, 3\) "
        r"\(expected \(2, 4\)\)"),
    row("lstm-cell-hx-not-a-pair", lambda: nn.LSTMCell(3, 4)(randn(2, 3), randn(2, 4)),
        TypeError, r"LSTMCell: hx must be a tuple \(h, c\), got Tensor"),
    # the conv family (issue 14)
    row("conv-groups-do-not-divide", lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
        r"Conv2d: in_channels must be divisible by groups, got in_channels=3, groups=2"),
    row("conv-same-with-stride", lambda: nn.Conv2d(1, 1, 3, stride=2, padding="same"),
        ValueError, r"Conv2d: padding='same' is not supported for strided convolutions"),
    row("conv-dilated-kernel-too-large",
        lambda: nn.Conv2d(1, 1, 3, dilation=3)(randn(1, 1, 6, 6)), ValueError,
        r"conv2d: kernel size \(3, 3\) with dilation \(3, 3\) spans \(7, 7\), which is larger "
        r"than the padded input \(6, 6\)"),
    row("conv-reflect-padding-too-large",
        lambda: nn.Conv2d(1, 1, 3, padding=2, padding_mode="reflect")(randn(1, 1, 2, 4)),
        ValueError, r"padding \(2, 2\) is too large for padding_mode='reflect' on an axis of "
                    r"size 2"),
    row("conv1d-wrong-channels", lambda: nn.Conv1d(3, 1, 3)(randn(1, 2, 5)), ValueError,
        r"Conv1d\(3, 1, .*expected input of shape \(N, 3, L\), got \(1, 2, 5\)"),
    row("conv_transpose-output-padding",
        lambda: nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)(randn(1, 1, 3, 3)),
        ValueError, r"conv_transpose2d: output_padding must be non-negative and smaller than "
                    r"either stride or dilation, got output_padding \(2, 2\), stride \(2, 2\)"),
    row("max_pool-dilated-padding", lambda: nn.MaxPool2d(2, padding=2)(randn(1, 1, 6, 6)),
        ValueError, r"max_pool2d: padding \(2, 2\) must be at most half of kernel_size"),
    row("max_pool1d-not-3d", lambda: nn.MaxPool1d(2)(randn(1, 1, 4, 4)), ValueError,
        r"MaxPool1d\(.*expected input of shape \(N, C, L\), got \(1, 1, 4, 4\)"),
    row("adaptive_avg_pool-zero-size", lambda: nn.AdaptiveAvgPool2d(0)(randn(1, 1, 4, 4)),
        ValueError, r"adaptive_avg_pool2d: output_size \(0, 0\) .*must be positive"),
    row("interpolate-both-size-and-scale",
        lambda: nn.Upsample(size=4, scale_factor=2)(randn(1, 1, 2, 2)), ValueError,
        r"interpolate: either size or scale_factor should be defined, and only one of them"),
    row("interpolate-bilinear-on-3d", lambda: nn.Upsample(size=4, mode="bilinear")(randn(1, 1, 2)),
        ValueError, r"interpolate: mode 'bilinear' expects a 4-D input, got shape \(1, 1, 2\)"),
    row("group_norm-indivisible", lambda: nn.GroupNorm(3, 4), ValueError,
        r"GroupNorm: num_channels \(4\) must be divisible by num_groups \(3\)"),
    row("dropout2d-bad-p", lambda: nn.Dropout2d(-0.5), ValueError,
        r"Dropout2d: dropout probability has to be between 0 and 1, but got -0.5"),
    # attention
    row("sdpa-1d-inputs",
        lambda: nn.functional.scaled_dot_product_attention(randn(4), randn(4), randn(4)),
        ValueError, r"scaled_dot_product_attention: query, key and value must be at least 2-D, "
                    r"got shapes \(4,\), \(4,\) and \(4,\)"),
    row("sdpa-mixed-dtypes",
        lambda: nn.functional.scaled_dot_product_attention(randn(2, 3), randn(2, 3).float(),
                                                           randn(2, 3)),
        TypeError, r"scaled_dot_product_attention: query, key and value must have the same "
                   r"floating dtype, got float64, float32 and float64"),
    row("sdpa-feature-mismatch",
        lambda: nn.functional.scaled_dot_product_attention(randn(2, 3), randn(5, 4), randn(5, 2)),
        ValueError, r"scaled_dot_product_attention: expected query \(..., L, E\), key "
                    r"\(..., S, E\) and value \(..., S, Ev\), got \(2, 3\), \(5, 4\)"),
    row("sdpa-batch-mismatch",
        lambda: nn.functional.scaled_dot_product_attention(randn(2, 2, 3), randn(3, 5, 3),
                                                           randn(3, 5, 3)),
        ValueError, r"scaled_dot_product_attention: the batch dimensions of query \(2, 2, 3\), "
                    r"key \(3, 5, 3\) and value \(3, 5, 3\) do not broadcast"),
    row("sdpa-mask-shape",
        lambda: nn.functional.scaled_dot_product_attention(
            randn(2, 3), randn(5, 3), randn(5, 3), attn_mask=np.ones((2, 4), bool)),
        ValueError, r"scaled_dot_product_attention: attn_mask of shape \(2, 4\) does not "
                    r"broadcast to the scores' shape \(2, 5\)"),
    row("sdpa-integer-mask",
        lambda: nn.functional.scaled_dot_product_attention(
            randn(2, 3), randn(5, 3), randn(5, 3), attn_mask=np.ones((2, 5), int)),
        TypeError, r"scaled_dot_product_attention: only bool and floating masks are supported, "
                   r"got dtype int64"),
    row("sdpa-causal-and-mask",
        lambda: nn.functional.scaled_dot_product_attention(
            randn(2, 3), randn(2, 3), randn(2, 3), attn_mask=np.ones((2, 2), bool),
            is_causal=True),
        ValueError, r"scaled_dot_product_attention: an explicit attn_mask should not be set "
                    r"when is_causal=True"),
    row("sdpa-bad-dropout",
        lambda: nn.functional.scaled_dot_product_attention(randn(2, 3), randn(2, 3),
                                                           randn(2, 3), dropout_p=1.5),
        ValueError, r"scaled_dot_product_attention: dropout probability has to be between 0 "
                    r"and 1, but got 1.5"),
    row("sdpa-gqa-heads-do-not-divide",
        lambda: nn.functional.scaled_dot_product_attention(
            randn(4, 2, 3), randn(3, 2, 3), randn(3, 2, 3), enable_gqa=True),
        ValueError, r"scaled_dot_product_attention: with enable_gqa the number of heads "
                    r"\(dimension -3\) of key \(3, 2, 3\) and value \(3, 2, 3\) must be equal "
                    r"and divide the query's \(4, 2, 3\)"),
    row("mha-heads-do-not-divide", lambda: nn.MultiheadAttention(6, 4), ValueError,
        r"MultiheadAttention: embed_dim \(6\) must be divisible by num_heads \(4\)"),
    row("mha-4d-query", lambda: nn.MultiheadAttention(4, 2)(*[randn(1, 2, 3, 4)] * 3),
        ValueError, r"MultiheadAttention\(4, 2\): query should be unbatched 2-D or batched "
                    r"3-D, got shape \(1, 2, 3, 4\)"),
    row("mha-wrong-features", lambda: nn.MultiheadAttention(4, 2)(*[randn(3, 2, 5)] * 3),
        ValueError, r"MultiheadAttention\(4, 2\): expected query with 4 features \(last "
                    r"dimension\), got shape \(3, 2, 5\)"),
    row("mha-padding-mask-shape",
        lambda: nn.MultiheadAttention(4, 2)(*[randn(3, 2, 4)] * 3,
                                            key_padding_mask=np.zeros((3, 2), bool)),
        ValueError, r"MultiheadAttention\(4, 2\): expected key_padding_mask of shape "
                    r"\(2, 3\) \(N, S\), got \(3, 2\)"),
    row("mha-attn-mask-shape",
        lambda: nn.MultiheadAttention(4, 2)(*[randn(3, 2, 4)] * 3,
                                            attn_mask=np.zeros((2, 3, 3), bool)),
        ValueError, r"MultiheadAttention\(4, 2\): the 3-D attn_mask has shape \(2, 3, 3\), "
                    r"but should be \(4, 3, 3\)"),
    row("mha-key-value-lengths",
        lambda: nn.MultiheadAttention(4, 2)(randn(3, 2, 4), randn(3, 2, 4), randn(5, 2, 4)),
        ValueError, r"MultiheadAttention\(4, 2\): key \(3, 2, 4\) and value \(5, 2, 4\) have "
                    r"different sequence lengths"),
    row("encoder-layer-bad-activation",
        lambda: nn.TransformerEncoderLayer(4, 2, activation="swish"), ValueError,
        r"TransformerEncoderLayer: activation should be relu/gelu, not 'swish'"),
    row("encoder-bad-num-layers",
        lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), 0), ValueError,
        r"TransformerEncoder: num_layers must be a positive int, got 0"),
]


# ------------------------------------------------------------------ damaged and crafted files


def reading(read, name: str, write):
    """A call that makes a file with ``write(path)`` in a fresh directory, then ``read(path)``."""
    def call():
        with tempfile.TemporaryDirectory() as directory:
            path = pathlib.Path(directory) / name
            write(path)
            read(path)
    return call


def loading(write):
    return reading(nn.load, "model.npz", write)


def mnist_directory_with(name: str, content: bytes):
    """A call loading an MNIST directory of two images per split, with file ``name`` replaced."""
    def write(root: pathlib.Path) -> None:
        root.mkdir()
        for prefix in ("train", "t10k"):
            (root / f"{prefix}-images-idx3-ubyte").write_bytes(
                idx_bytes(0x08, "B", (2, 2, 2), [7] * 8))
            (root / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(0x08, "B", (2,), [1, 2]))
        (root / name).write_bytes(content)
    return reading(nn.datasets.mnist, "mnist", write)


def checkpoint(problem: str) -> str:
    return r"^nn.load: cannot read '.*model\.npz': " + problem


FILE_CASES = [
    row("load-text-file", loading(lambda p: p.write_text("weight = [1, 2, 3]\n")), ValueError,
        checkpoint(r"not a file written by nn.save \(neither a zip archive nor a .npy file: it "
                   r"starts with b'weight'\)")),
    row("load-empty-file", loading(lambda p: p.write_bytes(b"")), ValueError,
        checkpoint(r"not a file written by nn.save .*: it is empty\)")),
    row("load-truncated-zip", loading(truncated_checkpoint), ValueError,
        checkpoint(r"it is not a valid zip archive \(File is not a zip file\)")),
    row("load-zip-without-arrays", loading(lambda p: zip_with(p, {})), ValueError,
        checkpoint(r"the archive holds no arrays")),
    row("load-zip-with-a-text-member", loading(lambda p: zip_with(p, {"notes.txt": b"hi"})),
        ValueError, checkpoint(r"member 'notes.txt' is not a .npy array")),
    row("load-member-not-npy", loading(lambda p: zip_with(p, {"w.npy": b"plain text"})),
        ValueError, checkpoint(r"array 'w' has an unreadable .npy header")),
    row("load-npy-header-larger-than-member",
        loading(lambda p: zip_with(p, {"w.npy": npy_bytes((10**6, 10**6), data=bytes(64))})),
        ValueError, checkpoint(r"array 'w' declares shape \(1000000, 1000000\) of float64 "
                               r"\(8000000000000 data bytes\) but holds 64 data bytes")),
    row("load-npy-header-size-overflows-int64",
        loading(lambda p: zip_with(p, {"w.npy": npy_bytes((2**40, 2**40), data=bytes(8))})),
        ValueError, checkpoint(r"array 'w' declares shape \(1099511627776, 1099511627776\) of "
                               r"float64 \(9671406556917033397649408 data bytes\) but holds 8")),
    row("load-bare-npy-header-lies",
        loading(lambda p: p.write_bytes(npy_bytes((10**9,), data=bytes(16)))), ValueError,
        checkpoint(r"the .npy file declares shape \(1000000000,\) of float64 \(8000000000 data "
                   r"bytes\) but holds 16 data bytes")),
    row("load-object-array-member",
        loading(lambda p: zip_with(p, {"w.npy": npy_bytes((1,), descr="|O", data=b"x")})),
        ValueError, checkpoint(r"refusing array 'w': it holds Python objects \(dtype object\)")),
    row("load-record-missing-keys",
        loading(lambda p: structure_file(p, {"t": "tensor", "key": "w"}, w=np.ones(2))),
        ValueError, checkpoint(r"malformed 'tensor' record at <root>: expected the fields "
                               r"\{'key': str, 'requires_grad': bool\}, got \{'t': 'tensor', "
                               r"'key': 'w'\}")),
    row("load-record-wrong-field-type",
        loading(lambda p: structure_file(p, {"t": "array", "key": ["w"]})), ValueError,
        checkpoint(r"malformed 'array' record at <root>: expected the fields \{'key': str\}, "
                   r"got \{'t': 'array', 'key': \['w'\]\}")),
    row("load-record-requires_grad-not-bool",
        loading(lambda p: structure_file(p, {"t": "tensor", "key": "w", "requires_grad": 1},
                                         w=np.ones(2))),
        ValueError, checkpoint(r"malformed 'tensor' record at <root>")),
    row("load-record-unknown-tag",
        loading(lambda p: structure_file(p, {"t": "pickle", "key": "w"})), ValueError,
        checkpoint(r"unknown record at <root>: \{'t': 'pickle', 'key': 'w'\}")),
    row("load-unhashable-dict-key",
        loading(lambda p: structure_file(p, {"t": "dict", "items": [[[1], 2]]})), ValueError,
        checkpoint(r"a dict key at <root> is a list, which cannot be a key")),
    row("load-dict-item-not-a-pair",
        loading(lambda p: structure_file(p, {"t": "dict", "items": [["a"]]})), ValueError,
        checkpoint(r"malformed dict item at <root>: expected \[key, value\], got \['a'\]")),
    row("load-float-repr-not-a-float",
        loading(lambda p: structure_file(p, {"t": "float", "repr": "1e999x"})), ValueError,
        checkpoint(r"the float at <root> is '1e999x', expected one of \['-inf', 'inf', 'nan'\]")),
    row("load-names-where-a-nested-record-is",
        loading(lambda p: structure_file(p, {"t": "dict", "items": [["opt", {"t": "dict", "items": [
            ["lr", {"t": "float", "repr": "x"}]]}]]})),
        ValueError, checkpoint(r"the float at 'opt.lr' is 'x'")),
    row("load-scalar-not-0d",
        loading(lambda p: structure_file(p, {"t": "scalar", "key": "w"}, w=np.ones(3))),
        ValueError, checkpoint(r"the scalar at <root> is an array of shape \(3,\)")),
    row("load-integer-tensor-requiring-grad",
        loading(lambda p: structure_file(p, {"t": "tensor", "key": "w", "requires_grad": True},
                                         w=np.arange(3))),
        ValueError, checkpoint(r"the tensor at <root> requires grad but has dtype int64")),
    row("load-missing-array",
        loading(lambda p: structure_file(
            p, {"t": "dict", "items": [["w", {"t": "array", "key": "gone"}]]})),
        ValueError, checkpoint(r"the structure refers to a missing array 'gone'")),
    row("load-key-with-nul",
        loading(lambda p: structure_file(p, {"t": "array", "key": "w\x00.npy"}, w=np.ones(2))),
        ValueError, checkpoint(r"the record at <root> names an array with a NUL byte: "
                               r"'w\\x00.npy'")),
    row("load-deeply-nested-json",
        loading(lambda p: structure_file(p, header=json_header(b"[" * 10**5 + b"]" * 10**5))),
        ValueError, checkpoint(r"the structure record is nested too deeply")),
    row("load-deeply-nested-records", loading(lambda p: structure_file(p, nested_list(150))),
        ValueError, checkpoint(r"the structure is nested more than 100 levels deep")),
    row("load-bare-nan-in-json", loading(lambda p: structure_file(p, header=json_header(b"NaN"))),
        ValueError, checkpoint(r"the structure record is unreadable \(bare NaN is not valid")),
    row("load-huge-json-integer",
        loading(lambda p: structure_file(p, header=json_header(b"9" * 5000))), ValueError,
        checkpoint(r"the structure record is unreadable \(Exceeds the limit")),
    row("load-structure-not-utf8", loading(lambda p: structure_file(p, header=b"\xff\xfe")),
        ValueError, checkpoint(r"the structure record is unreadable \('utf-8' codec")),
    row("load-structure-not-bytes", loading(lambda p: np.savez(p, __structure__=np.ones(3))),
        ValueError, checkpoint(r"the structure record is not a 1-d uint8 array \(got float64 of "
                               r"shape \(3,\)\)")),
    row("load-other-format",
        loading(lambda p: structure_file(p, header=b'{"format": "other", "root": 1}')),
        ValueError, checkpoint(r"not a file written by nn.save \(its structure record has no "
                               r"format 'autograd-nn-npz' and root\)")),
    row("load-other-version",
        loading(lambda p: structure_file(
            p, header=b'{"format": "autograd-nn-npz", "version": 7, "root": 1}')),
        ValueError, checkpoint(r"it has format version 7, this version reads 1")),
    row("save-nested-too-deeply", lambda: nn.save(nested_list(150), "unused.npz"), TypeError,
        r"nn.save: the value at '0(\.0)*' is nested more than 100 levels deep"),
    row("load_idx-gzip-expands-past-its-header",
        reading(nn.datasets.load_idx, "labels.gz",
                lambda p: gzip_bomb(p, idx_bytes(0x08, "B", (10,), []), zeros=1 << 20)),
        ValueError, r"load_idx: .*labels.gz: has trailing bytes: header declares shape \(10,\) of "
                    r"uint8 = 10 data bytes, the file has more than 65546"),
    row("load_idx-size-overflows-int64",
        reading(nn.datasets.load_idx, "images",
                lambda p: p.write_bytes(idx_bytes(0x08, "B", (65536,) * 4, []))),
        ValueError, r"load_idx: .*images: truncated: header declares shape \(65536, 65536, 65536, "
                    r"65536\) of uint8 = 18446744073709551616 data bytes, the file has 0"),
    row("mnist-float-images",
        mnist_directory_with("train-images-idx3-ubyte", idx_bytes(0x0D, "f", (2, 2, 2), [.5] * 8)),
        ValueError, r"mnist: .*train-images-idx3-ubyte holds float32 values; MNIST-style files "
                    r"store unsigned bytes"),
    row("mnist-float-labels",
        mnist_directory_with("t10k-labels-idx1-ubyte", idx_bytes(0x0E, "d", (2,), [1.7, 2.0])),
        ValueError, r"mnist: .*t10k-labels-idx1-ubyte holds float64 values"),
    row("mnist-label-out-of-range",
        mnist_directory_with("train-labels-idx1-ubyte", idx_bytes(0x08, "B", (2,), [3, 12])),
        ValueError, r"mnist: .*train-labels-idx1-ubyte has label 12 at index 1; expected 0..9"),
]


@pytest.mark.parametrize("call, error, message", ENGINE_CASES + NN_CASES + FILE_CASES)
def test_misuse_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_integer_cast_does_not_record_a_gradient():
    """As in PyTorch: an integer result cannot require grad, so no gradient flows through it."""
    x = ones(2, requires_grad=True)
    y = x.astype(np.int64)
    assert not y.requires_grad


# ------------------------------------------------------------------ bad input never corrupts state


def snapshot(model, optimizer=None) -> dict:
    """Deep copies of every parameter, gradient, buffer and the optimizer's state."""
    state = {name: np.array(value) for name, value in model.state_dict().items()}
    state.update({f"{name}.grad": None if p.grad is None else p.grad.data.copy()
                  for name, p in model.named_parameters()})
    if optimizer is not None:
        state["optimizer"] = copy.deepcopy(optimizer.state_dict())
    return state


def assert_unchanged(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for key in before:
        if key == "optimizer":
            assert before[key]["param_groups"] == after[key]["param_groups"]
            assert before[key]["state"].keys() == after[key]["state"].keys()
            for index, values in before[key]["state"].items():
                for name, value in values.items():
                    np.testing.assert_array_equal(after[key]["state"][index][name], value)
        elif before[key] is None:
            assert after[key] is None, key
        else:
            np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def trained_model(make_optimizer):
    """A two-layer model after one optimizer step (so the optimizer has state), fresh grads."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    optimizer = make_optimizer(model.parameters())
    for _ in range(2):
        optimizer.zero_grad()
        model(ag.Tensor(rng.standard_normal((5, 3)).astype(np.float32))).sum().backward()
        optimizer.step()
    model(ag.Tensor(rng.standard_normal((5, 3)).astype(np.float32))).sum().backward()
    return model, optimizer


OPTIMIZERS = [
    pytest.param(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), id="SGD-momentum"),
    pytest.param(lambda ps: optim.Adam(ps, lr=0.01), id="Adam"),
    pytest.param(lambda ps: optim.RMSprop(ps, lr=0.01, centered=True), id="RMSprop"),
]


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_optimizer_step_that_raises_changes_no_parameter_and_no_state(make_optimizer):
    model, optimizer = trained_model(make_optimizer)
    # the last parameter's gradient has the wrong shape (set past the check of ``.grad =``,
    # which refuses it, to exercise the optimizer's own all-or-nothing validation)
    model[2].bias._grad = ag.zeros(5)
    before = snapshot(model, optimizer)
    with pytest.raises(ValueError, match=r"gradient of shape \(5,\) does not match"):
        optimizer.step()
    assert_unchanged(before, snapshot(model, optimizer))


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_optimizer_step_whose_closure_raises_changes_nothing(make_optimizer):
    model, optimizer = trained_model(make_optimizer)
    before = snapshot(model, optimizer)

    def closure():
        raise KeyError("data loader failed")

    with pytest.raises(KeyError):
        optimizer.step(closure)
    assert_unchanged(before, snapshot(model, optimizer))


def test_failed_optimizer_load_state_dict_changes_nothing():
    model, optimizer = trained_model(lambda ps: optim.Adam(ps, lr=0.01))
    saved = optimizer.state_dict()
    saved["param_groups"][0]["lr"] = 0.5
    saved["state"][3]["exp_avg"] = np.zeros(7)  # the last parameter has shape (2,)
    before = snapshot(model, optimizer)
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 3 has shape \(7,\)"):
        optimizer.load_state_dict(saved)
    assert_unchanged(before, snapshot(model, optimizer))


def test_failed_model_load_state_dict_loads_nothing(tmp_path):
    model, _ = trained_model(lambda ps: optim.SGD(ps, lr=0.1))
    other = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))  # last layer differs
    nn.save(other.state_dict(), tmp_path / "other.npz")
    before = snapshot(model)
    with pytest.raises(RuntimeError, match=r"size mismatch for '2.weight'"):
        model.load_state_dict(nn.load(tmp_path / "other.npz"))
    assert_unchanged(before, snapshot(model))


def test_forward_that_raises_part_way_changes_no_parameter_or_gradient():
    model, _ = trained_model(lambda ps: optim.SGD(ps, lr=0.1))
    broken = nn.Sequential(model[0], model[1], nn.Linear(5, 2))  # 4 features reach it
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"expected input with last dimension 5"):
        broken(ag.ones(2, 3))
    assert_unchanged(before, snapshot(model))


def test_backward_that_raises_part_way_leaves_gradients_unchanged():
    class FailingBackward(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            raise ArithmeticError("backward failed")

    x = ones(3, requires_grad=True)
    y = ones(3, requires_grad=True)
    (x * y).sum().backward()
    before = (x.grad.data.copy(), y.grad.data.copy())
    # leaves receive their gradients only once the whole backward pass has succeeded
    loss = (FailingBackward.apply(x) * 2.0).sum() + (y * 3.0).sum()
    with pytest.raises(ArithmeticError):
        loss.backward()
    np.testing.assert_array_equal(x.grad.data, before[0])
    np.testing.assert_array_equal(y.grad.data, before[1])
