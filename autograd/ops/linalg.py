"""Matrix product with NumPy's ``matmul`` semantics (1-D, 2-D and batched N-D)."""

from __future__ import annotations

from autograd.engine import sum_to
from autograd.function import Op, ShapeError
from autograd.tensor import Tensor, as_tensor

__all__ = ["matmul"]


class Matmul(Op):
    """d/da (a @ b) = grad @ b.T, d/db (a @ b) = a.T @ grad"""

    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul: operands must be at least 1-D, got shapes {a.shape} "
                             f"and {b.shape}")
        inner_a = a.shape[-1]
        inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if inner_a != inner_b:
            raise ShapeError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned: "
                f"{inner_a} (last dim of the first) != {inner_b} (the second's rows)"
            )
        try:
            return a @ b
        except ValueError:
            raise ShapeError(
                f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast"
            ) from None

    def backward(ctx, grad, a, b):
        need_a, need_b = ctx.needs_input_grad
        a_is_vector, b_is_vector = a.ndim == 1, b.ndim == 1
        # Treat vectors as 1-row / 1-column matrices, then undo it on their gradients.
        if a_is_vector:
            a = a.reshape((1, -1))
            grad = grad.reshape(grad.shape[:-1] + (1,) + grad.shape[-1:])
        if b_is_vector:
            b = b.reshape((-1, 1))
            grad = grad.reshape(grad.shape + (1,))
        grad_a = grad @ b.swapaxes(-1, -2) if need_a else None
        grad_b = a.swapaxes(-1, -2) @ grad if need_b else None
        if a_is_vector and grad_a is not None:
            grad_a = sum_to(grad_a, a.shape).reshape((-1,))
        if b_is_vector and grad_b is not None:
            grad_b = sum_to(grad_b, b.shape).reshape((-1,))
        return grad_a, grad_b


def matmul(a, b) -> Tensor:
    """Matrix product ``a @ b``, as ``np.matmul``."""
    if isinstance(a, Tensor):
        return Matmul.apply(a, as_tensor(b, like=a))
    b = as_tensor(b)
    return Matmul.apply(as_tensor(a, like=b), b)


def rmatmul(self, other) -> Tensor:
    """``other @ self`` for a constant ``other``."""
    return Matmul.apply(as_tensor(other, like=self), self)
