"""In-place operations: ``+= -= *= /=``, ``add_`` ... ``normal_``, and ``t[idx] = v``.

PyTorch's rules:

- Every in-place change bumps the tensor's version counter (shared with its
  views), so a backward that saved the old values refuses to run.
- A leaf that requires grad may be changed in place only under ``no_grad()``
  (the optimizer-update idiom ``with no_grad(): p -= lr * p.grad``).
- When the change is recorded (grad mode on, and the tensor or an operand
  requires grad), the tensor takes the new op as its ``grad_fn``: the op's
  input is a snapshot of the old values, so gradients flow to what the tensor
  was before, and ``t[idx] = v`` on a non-leaf is differentiable (``index_put``).
"""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.function import Op, plain_error
from autograd.grad_mode import _state, no_grad
from autograd.ops import arithmetic, dual, shape, unary
from autograd.ops.index import plain_index, select
from autograd.tensor import Tensor, as_tensor, clock

__all__ = []

LEAF_MESSAGE = ("{}: a leaf tensor that requires grad is being used in an in-place operation; "
                "change it under `with ag.no_grad():` (as an optimizer does), or change a "
                "clone() of it")
READ_ONLY_MESSAGE = ("{}: the tensor is a read-only view (from broadcast_to or expand); clone() it "
                     "before changing it in place")


class IndexPut(Op):
    """out = x with out[idx] = v; d/dx = grad with grad[idx] = 0, d/dv = grad[idx]"""

    def forward(ctx, x, values, index=None):
        ctx.index = index
        out = x.copy()
        out[index] = values
        return out

    def backward(ctx, grad):
        need_x, need_values = ctx.needs_input_grad
        grad_x = grad_values = None
        if need_x:
            written = np.zeros(grad.shape, dtype=bool)
            written[ctx.index] = True
            grad_x = dual.keep(grad, ~written)
        if need_values:
            grad_values = select(grad, ctx.index)
        return grad_x, grad_values


def _write(tensor: Tensor, values: np.ndarray, name: str) -> None:
    """Copy ``values`` into ``tensor``'s buffer, with the checks NumPy would make obscure."""
    if values.shape != tensor.shape:
        raise RuntimeError(f"{name}: the result has shape {values.shape}, which does not fit "
                           f"the tensor's shape {tensor.shape} (in-place ops cannot grow a tensor)")
    if not np.can_cast(values.dtype, tensor.dtype, casting="same_kind"):
        raise TypeError(f"{name}: result type {values.dtype} cannot be cast to the tensor's "
                        f"dtype {tensor.dtype} in place")
    if not tensor.data.flags.writeable:
        raise ValueError(READ_ONLY_MESSAGE.format(name))
    capturing.call(np.copyto, tensor.data, values, casting="same_kind")


def modify(tensor: Tensor, name: str, compute, *operands) -> Tensor:
    """Replace ``tensor``'s values by ``compute(tensor, *operands)`` in place; return it."""
    operands = [as_tensor(o, like=tensor) for o in operands]
    recording = _state.enabled and (tensor.requires_grad
                                    or any(o.requires_grad for o in operands))
    if not recording:
        with no_grad():
            _write(tensor, compute(tensor, *operands).data, name)
        tensor._bump_version()
        return tensor
    if tensor.requires_grad and tensor.grad_fn is None:
        raise RuntimeError(LEAF_MESSAGE.format(name))
    counter = tensor._version_counter
    if counter is not None and counter.shared:
        raise RuntimeError(f"{name}: in-place change, while recording, of a tensor that shares "
                           "its data with another (a view, or detach()); the graph of the "
                           "other could not follow it. Change a clone() instead")
    snapshot = Tensor._make(capturing.call(np.ndarray.copy, tensor.data), tensor.requires_grad,
                            tensor.grad_fn)
    result = compute(snapshot, *[snapshot if o is tensor else o for o in operands])
    _write(tensor, result.data, name)
    tensor._bump_version()
    node = result.grad_fn
    tensor.grad_fn, tensor.requires_grad = node, True
    node.output, node.output_version, node.stamp = tensor.data, tensor._version_counter, clock.now
    return tensor


def _arithmetic(name: str, ufunc, function):
    def method(self, other) -> Tensor:
        if not (_state.enabled and (self.requires_grad or getattr(other, "requires_grad", 0))):
            # the optimizer path: one NumPy call, straight into the buffer
            other = dual.constant(as_tensor(other, like=self))
            try:
                capturing.call(ufunc, self.data, other, out=self.data, casting="same_kind")
            except (TypeError, ValueError) as error:
                if not self.data.flags.writeable:  # checked only here: the fast path stays fast
                    raise ValueError(READ_ONLY_MESSAGE.format(name)) from None
                raise plain_error(error)(f"{name}: {error} (tensor shape {self.shape}, dtype "
                                  f"{self.dtype}; operand shape {np.shape(other)})") from None
            self._bump_version()
            return self
        return modify(self, name, function, other)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In place: ``self = self {ufunc.__name__} other``; returns ``self``."
    return method


add_ = iadd = _arithmetic("add_", np.add, arithmetic.add)
sub_ = isub = _arithmetic("sub_", np.subtract, arithmetic.sub)
mul_ = imul = _arithmetic("mul_", np.multiply, arithmetic.mul)
div_ = itruediv = _arithmetic("div_", np.divide, arithmetic.div)


def _replace(name: str, tensor: Tensor, values) -> Tensor:
    """Overwrite every value; no gradient flows to the old ones."""
    everywhere = np.ones(tensor.shape, dtype=bool)
    return modify(tensor, name, lambda t: shape.where(everywhere, values, t))


def zero_(self) -> Tensor:
    """Fill with zeros in place; returns ``self``."""
    return _replace("zero_", self, np.zeros((), self.dtype))


def fill_(self, value) -> Tensor:
    """Fill with ``value`` in place (no gradient flows to the old values); returns ``self``."""
    return _replace("fill_", self, np.asarray(dual.constant(value)).astype(self.dtype))


def copy_(self, source) -> Tensor:
    """Copy ``source``'s values (broadcast, cast to ``self``'s dtype) in place; returns ``self``.

    The gradient flows to ``source``, none to the old values.
    """
    everywhere = np.ones(self.shape, dtype=bool)
    return modify(self, "copy_", lambda t, s: shape.where(
        everywhere, shape.broadcast_to(s, t.shape).astype(t.dtype), t), source)


def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Clip to ``[min, max]`` in place; returns ``self``."""
    return modify(self, "clamp_", lambda t: unary.clip(t, min, max))


def _random_fill(name: str, draw):
    def method(self, a=None, b=None) -> Tensor:
        return _replace(name, self, capturing.call(_draw, draw, self.shape, a, b, self.dtype))
    return method


def _draw(draw, shape: tuple, a, b, dtype) -> np.ndarray:
    return draw(shape, a, b).astype(dtype)


uniform_ = _random_fill("uniform_", lambda shape, low, high: np.random.uniform(
    0.0 if low is None else low, 1.0 if high is None else high, shape))
uniform_.__doc__ = "Fill with uniform samples from [a, b) (default [0, 1)) in place."
normal_ = _random_fill("normal_", lambda shape, mean, std: np.random.normal(
    0.0 if mean is None else mean, 1.0 if std is None else std, shape))
normal_.__doc__ = "Fill with normal samples (mean a = 0, std b = 1 by default) in place."


def _assign(array: np.ndarray, index, values: np.ndarray) -> None:
    array[index] = values


def setitem(self, index, value) -> None:
    """``t[index] = value``: in place; differentiable on a tensor that is not a leaf."""
    index = plain_index(index)
    value = as_tensor(value, like=self)
    if not (_state.enabled and (self.requires_grad or value.requires_grad)):
        try:
            capturing.call(_assign, self.data, index, value.data)
        except (ValueError, IndexError, TypeError) as error:
            if not self.data.flags.writeable:
                raise ValueError(READ_ONLY_MESSAGE.format("setitem")) from None
            raise plain_error(error)(f"setitem: {error} (tensor shape {self.shape}, value shape "
                              f"{value.shape})") from None
        self._bump_version()
        return

    def put(t, v):
        selected_shape = np.broadcast_to(np.empty((), dtype=bool), t.shape)[index].shape
        return IndexPut.apply(t, shape.broadcast_to(v, selected_shape).astype(t.dtype),
                              index=index)

    modify(self, "setitem", put, value)
