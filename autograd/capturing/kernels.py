"""Replay kernels that write into buffers allocated once (``out=``).

A replay may run an op's ``forward`` or ``backward`` through a kernel registered
here instead: the same NumPy operations in the same order (so bitwise the same
results), but each result written into a buffer the program allocated when it
was built, so a replay allocates (and the OS maps in) nothing new. A kernel gets
``out`` first: the buffer, or for several results a tuple of buffers, where an
entry is None when that result must be a fresh array (it outlives the replay:
a leaf's ``.grad``, a returned value) -- NumPy's ``out=None`` allocates.

Libraries register kernels of their own ops with :func:`register` (``nn``
registers ``linear``'s). A kernel that drifted from its op would be caught: every
recording is checked against eager execution before it is replayed.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograd.capturing import backward as engine_steps
from autograd.ops import arithmetic, linalg, unary

KERNELS: dict = {}  # an op's forward or backward function (or an engine step) -> kernel
# The simplest kernels also written out as statements of the replay (no Python call around
# the NumPy call): emit(targets, outs, args, ctx) -> lines, with the names of the result
# slots (None: not used), of the buffers ("None": a fresh array) and of the arguments.
INLINE: dict = {}


def register(function: Callable, kernel: Callable) -> None:
    """Use ``kernel(out, *args, **kwargs)`` in replays where ``function`` was recorded."""
    KERNELS[function] = kernel


def register_op(op, forward: Callable | None = None, backward: Callable | None = None) -> None:
    """Kernels for an Op class's ``forward`` and ``backward`` (either may be None)."""
    if forward is not None:
        register(_forward(op), forward)
    if backward is not None:
        register(_backward(op), backward)


def _forward(op) -> Callable:
    return op.__dict__["forward"].__func__


def _backward(op) -> Callable:
    return op.__dict__["backward"].__func__


# ------------------------------------------------------------------ elementwise forward


def _ufunc(ufunc) -> tuple[Callable, Callable]:
    """A kernel ``ufunc(*arrays, out=out)`` and its inline form."""

    def kernel(out, ctx, *arrays):
        return ufunc(*arrays, out=out)

    def inline(targets, outs, args, ctx):
        return [f"{targets[0]} = np.{ufunc.__name__}({', '.join(args)}, out={outs[0]})"]

    return kernel, inline


def _register_ufunc(function: Callable, ufunc) -> None:
    KERNELS[function], INLINE[function] = _ufunc(ufunc)


for _op, _ufunc_ in ((arithmetic.Add, np.add), (arithmetic.Sub, np.subtract),
                     (arithmetic.Mul, np.multiply), (arithmetic.Div, np.divide),
                     (arithmetic.Neg, np.negative)):
    _register_ufunc(_forward(_op), _ufunc_)
for _function, _ufunc_ in ((unary.exp, np.exp), (unary.log, np.log), (unary.tanh, np.tanh),
                           (unary.sqrt, np.sqrt), (unary.sin, np.sin), (unary.cos, np.cos)):
    _register_ufunc(_forward(_function.op), _ufunc_)


class _Zeros:
    """Arrays of zeros by shape and dtype, made once (relu's other operand)."""

    def __init__(self) -> None:
        self.arrays: dict = {}

    def __call__(self, like: np.ndarray) -> np.ndarray:
        key = (like.shape, like.dtype.str)
        zeros = self.arrays.get(key)
        if zeros is None:
            zeros = self.arrays[key] = np.zeros(like.shape, like.dtype)
        return zeros


_zeros = _Zeros()
register(_forward(unary.relu.op), lambda out, ctx, x: np.maximum(x, _zeros(x), out=out))


# ------------------------------------------------------------------ elementwise backward


def _mul_backward(out, ctx, grad, a, b):
    need_a, need_b = ctx.needs_input_grad
    return (np.multiply(grad, b, out=out[0]) if need_a else None,
            np.multiply(grad, a, out=out[1]) if need_b else None)


def _div_backward(out, ctx, grad, a, b):
    need_a, need_b = ctx.needs_input_grad
    grad_a = np.divide(grad, b, out=out[0]) if need_a else None
    grad_b = None
    if need_b:  # -grad * a / (b * b), in that order
        grad_b = np.multiply(np.negative(grad, out=out[1]), a, out=out[1])
        grad_b = np.divide(grad_b, b * b, out=grad_b)
    return grad_a, grad_b


def _sub_backward(out, ctx, grad):
    return grad, (np.negative(grad, out=out[1]) if ctx.needs_input_grad[1] else None)


def _tanh_backward(out, ctx, grad, result):  # grad * (1.0 - out * out)
    factor = np.multiply(result, result, out=out)
    return np.multiply(grad, np.subtract(1.0, factor, out=factor), out=factor)


def _relu_backward(out, ctx, grad, result):
    """``dual.keep(grad, result > 0)``: the mask ANDed into the bits, into ``out``."""
    unsigned = {2: np.uint16, 4: np.uint32, 8: np.uint64}[grad.dtype.itemsize]
    bits = np.negative(result > 0, dtype=unsigned)
    return np.bitwise_and(np.ascontiguousarray(grad).view(unsigned), bits,
                          out=out.view(unsigned)).view(grad.dtype)


def _mul_backward_inline(targets, outs, args, ctx):
    grad, a, b = args
    lines = []
    for need, target, out, other in zip(ctx.needs_input_grad, targets, outs, (b, a)):
        if need and target is not None:
            lines.append(f"{target} = np.multiply({grad}, {other}, out={out})")
    return lines


def _tanh_backward_inline(targets, outs, args, ctx):
    grad, result = args
    target, out = targets[0], outs[0]
    return [f"{target} = np.multiply({result}, {result}, out={out})",
            f"{target} = np.multiply({grad}, np.subtract(1.0, {target}, out={target}), "
            f"out={target})"]


register(_backward(arithmetic.Mul), _mul_backward)
INLINE[_backward(arithmetic.Mul)] = _mul_backward_inline
register(_backward(arithmetic.Div), _div_backward)
register(_backward(arithmetic.Sub), _sub_backward)
register(_backward(arithmetic.Neg), lambda out, ctx, grad: np.negative(grad, out=out))
register(_backward(unary.exp.op), lambda out, ctx, grad, result: np.multiply(grad, result,
                                                                             out=out))
register(_backward(unary.log.op), lambda out, ctx, grad, x: np.divide(grad, x, out=out))
register(_backward(unary.tanh.op), _tanh_backward)
INLINE[_backward(unary.tanh.op)] = _tanh_backward_inline
for _op, _ufunc_ in ((unary.exp.op, np.multiply), (unary.log.op, np.divide)):
    INLINE[_backward(_op)] = _ufunc(_ufunc_)[1]


def relu_backward_fits(grad: np.ndarray, result: np.ndarray) -> bool:
    """``dual.keep`` takes its bitwise path (the one the kernel repeats) for these arrays."""
    return (grad.dtype.kind == "f" and grad.dtype.itemsize in (2, 4, 8)
            and grad.shape == result.shape)


register(_backward(unary.relu.op), _relu_backward)


# ------------------------------------------------------------------ matmul


def _matmul_forward(out, ctx, a, b):
    return np.matmul(a, b, out=out)


register(_forward(linalg.Matmul), _matmul_forward)


# ------------------------------------------------------------------ the engine's own steps


register(engine_steps.reduce_to,
         lambda out, grad, axes: np.sum(grad, axis=axes, keepdims=True, out=out))
register(engine_steps.sum_new, lambda out, current, grad: np.add(current, grad, out=out))

# When a kernel may run: a check of the recorded arrays beyond shapes and dtypes.
APPLIES: dict = {_backward(unary.relu.op): relu_backward_fits}
