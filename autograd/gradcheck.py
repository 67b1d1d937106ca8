"""Check analytic gradients against central finite differences.

``gradcheck`` builds the full Jacobian of every output with respect to every
input that requires grad, twice: analytically (one backward pass per output
element, seeded with a one-hot gradient) and numerically (two forward passes
per input element: ``(f(x + eps) - f(x - eps)) / (2 eps)``). Comparing whole
Jacobians, rather than one random projection of them, means a wrong entry can
never hide behind a cancellation, and the report can name it exactly. The
cost is fine for the small inputs a check uses.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograd.engine import grad
from autograd.tensor import Tensor


def _as_tuple(values) -> tuple:
    return (values,) if isinstance(values, Tensor) else tuple(values)


def _outputs(fn: Callable, inputs: tuple) -> tuple:
    result = fn(*inputs)
    result = (result,) if isinstance(result, Tensor) else result
    if not isinstance(result, (tuple, list)) or not all(isinstance(o, Tensor) for o in result):
        raise TypeError(
            "gradcheck: the function must return a Tensor or a tuple of Tensors, "
            f"got {type(result).__name__}"
        )
    return tuple(result)


def _differentiable(inputs: tuple) -> list:
    indices = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not indices:
        raise ValueError("gradcheck: no input requires grad")
    for i in indices:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} requires grad but has dtype {inputs[i].dtype}; "
                "finite differences need float64 inputs"
            )
    return indices


def _analytic_jacobians(outputs: tuple, inputs: tuple, indices: list) -> list:
    """``jacobians[k][i]`` has shape (output k size, input i size)."""
    jacobians = []
    targets = [inputs[i] for i in indices]
    for out in outputs:
        blocks = [np.zeros((out.size, inputs[i].size)) for i in indices]
        if out.requires_grad:
            for row in range(out.size):
                seed = np.zeros(out.size, dtype=out.dtype)
                seed[row] = 1
                grads = grad(out, targets, grad_outputs=Tensor(seed.reshape(out.shape)),
                             retain_graph=True, allow_unused=True)
                for block, value in zip(blocks, grads):
                    if value is not None:
                        block[row] = value.data.ravel()
        jacobians.append(blocks)
    return jacobians


def _numeric_jacobians(fn: Callable, inputs: tuple, indices: list, eps: float) -> list:
    outputs = _outputs(fn, inputs)
    jacobians = [[np.zeros((out.size, inputs[i].size)) for i in indices] for out in outputs]
    for column_block, i in enumerate(indices):
        data = inputs[i].data  # perturbed in place, then restored
        for element in range(data.size):
            position = np.unravel_index(element, data.shape)
            original = data[position]
            data[position] = original + eps
            plus = [out.data.astype(np.float64).ravel() for out in _outputs(fn, inputs)]
            data[position] = original - eps
            minus = [out.data.astype(np.float64).ravel() for out in _outputs(fn, inputs)]
            data[position] = original
            for k in range(len(outputs)):
                jacobians[k][column_block][:, element] = (plus[k] - minus[k]) / (2 * eps)
    return jacobians


def gradcheck(
    fn: Callable,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare ``fn``'s analytic gradients with central finite differences.

    ``inputs`` is a Tensor or a tuple (non-Tensor entries are passed through);
    those with ``requires_grad=True`` must be float64. An entry passes when
    ``|analytic - numeric| <= atol + rtol * |numeric|``. Returns True, or
    raises (``raise_exception=True``) / returns False naming the worst entry.

    >>> x = ag.tensor(np.random.randn(3), dtype=np.float64, requires_grad=True)
    >>> ag.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    indices = _differentiable(inputs)
    outputs = _outputs(fn, inputs)
    analytic = _analytic_jacobians(outputs, inputs, indices)
    numeric = _numeric_jacobians(fn, inputs, indices, eps)
    worst = None
    for k in range(len(outputs)):
        for block, i in enumerate(indices):
            exact, approx = analytic[k][block], numeric[k][block]
            excess = np.abs(exact - approx) - (atol + rtol * np.abs(approx))
            if excess.size and excess.max() > 0:
                row, col = np.unravel_index(np.argmax(excess), excess.shape)
                if worst is None or excess[row, col] > worst[0]:
                    worst = (excess[row, col], k, i, row, col, exact[row, col], approx[row, col])
    if worst is None:
        return True
    _, k, i, row, col, exact, approx = worst
    input_element = tuple(int(n) for n in np.unravel_index(col, inputs[i].shape))
    output_element = tuple(int(n) for n in np.unravel_index(row, outputs[k].shape))
    message = (
        f"gradcheck: Jacobian mismatch for output {k} with respect to input {i} at input element "
        f"{input_element}, output element {output_element}: analytic {float(exact)!r}, "
        f"numeric {float(approx)!r} (atol={atol}, rtol={rtol})"
    )
    if raise_exception:
        raise AssertionError(message)
    return False


def gradgradcheck(
    fn: Callable,
    inputs,
    grad_outputs=None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: ``gradcheck`` of ``v -> grad(fn(x), x, v)`` (create_graph).

    ``grad_outputs`` (random float64 by default, drawn with ``seed``) are the
    vectors ``v``; they are checked as inputs too, since the first derivative
    is linear in them. Inputs beyond ``len(inputs)`` in a failure message are
    the ``grad_outputs``.
    """
    inputs = _as_tuple(inputs)
    indices = _differentiable(inputs)
    outputs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(
            Tensor(rng.standard_normal(out.shape), requires_grad=True) for out in outputs
        )
    grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)

    def first_derivatives(*args):
        xs, vectors = args[:count], args[count:]
        outs = _outputs(fn, xs)
        pairs = [(out, v) for out, v in zip(outs, vectors) if out.requires_grad]
        targets = [xs[i] for i in indices]
        grads = grad([out for out, _ in pairs], targets, grad_outputs=[v for _, v in pairs],
                     create_graph=True, allow_unused=True)
        return tuple(
            g if g is not None else Tensor(np.zeros(t.shape)) for g, t in zip(grads, targets)
        )

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
