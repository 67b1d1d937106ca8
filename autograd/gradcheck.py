"""Check analytic gradients against central finite differences.

``gradcheck`` builds the full Jacobian of every output with respect to every
input that requires grad, twice: analytically (one backward pass per output
element, seeded with a one-hot gradient) and numerically (two forward passes
per input element: ``(f(x + eps) - f(x - eps)) / (2 eps)``). Comparing whole
Jacobians, rather than one random projection of them, means a wrong entry can
never hide behind a cancellation, and the report can name it exactly. The
cost is fine for the small inputs a check uses.

A non-finite entry (NaN or inf) in either Jacobian is always a mismatch: a
backward that returns NaN fails, and a NaN cannot hide a wrong entry beside it.

The Jacobian helpers are public, for tools that want the numbers rather than
a verdict (``python -m autograd.selfcheck`` uses them):

- ``analytic_jacobian(fn, inputs)`` and ``numeric_jacobian(fn, inputs, eps)``
  return ``J[k][j]``: the block of output ``k`` with respect to the ``j``-th
  input that requires grad, of shape ``(outputs[k].size, inputs[i_j].size)``
  (row-major flattening of both);
- ``first_derivatives(fn, inputs)`` returns the function and inputs whose
  Jacobian is the second derivative of ``fn`` (what ``gradgradcheck`` checks).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograd.engine import grad
from autograd.tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "analytic_jacobian", "numeric_jacobian",
           "first_derivatives", "differentiable_inputs"]


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


def differentiable_inputs(inputs) -> list:
    """Positions of the inputs that require grad (the columns of the Jacobian blocks).

    Raises ``ValueError`` if there is none and ``TypeError`` if one is not float64
    (finite differences in lower precision are meaningless at ``eps=1e-6``).
    """
    inputs = _as_tuple(inputs)
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


def analytic_jacobian(fn: Callable, inputs) -> list:
    """``J[k][j]``: d outputs[k] / d (j-th input requiring grad), from backward passes.

    Each block has shape ``(outputs[k].size, inputs[i_j].size)``; row ``r`` is the
    gradient of output element ``r`` (flattened), found by one backward pass seeded
    with a one-hot gradient. An output that does not require grad gives zero blocks.
    """
    inputs = _as_tuple(inputs)
    return _analytic(_outputs(fn, inputs), inputs, differentiable_inputs(inputs))


def _analytic(outputs: tuple, inputs: tuple, indices: list) -> list:
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


def numeric_jacobian(fn: Callable, inputs, eps: float = 1e-6) -> list:
    """``J[k][j]`` as :func:`analytic_jacobian`, by central differences with step ``eps``.

    Column ``c`` of a block is ``(f(x + eps e_c) - f(x - eps e_c)) / (2 eps)``. The
    inputs' data is perturbed in place (``fn`` may close over them) and always
    restored, also when ``fn`` raises.
    """
    inputs = _as_tuple(inputs)
    return _numeric(fn, inputs, differentiable_inputs(inputs), eps)


def _numeric(fn: Callable, inputs: tuple, indices: list, eps: float) -> list:
    outputs = _outputs(fn, inputs)
    jacobians = [[np.zeros((out.size, inputs[i].size)) for i in indices] for out in outputs]
    for column_block, i in enumerate(indices):
        data = inputs[i].data
        for element in range(data.size):
            position = np.unravel_index(element, data.shape)
            original = data[position]
            try:
                data[position] = original + eps
                plus = [out.data.astype(np.float64).ravel() for out in _outputs(fn, inputs)]
                data[position] = original - eps
                minus = [out.data.astype(np.float64).ravel() for out in _outputs(fn, inputs)]
            finally:
                data[position] = original
            with np.errstate(invalid="ignore", over="ignore"):
                for k in range(len(outputs)):
                    jacobians[k][column_block][:, element] = (plus[k] - minus[k]) / (2 * eps)
    return jacobians


def _excess(exact: np.ndarray, approx: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    """How far each entry is outside the tolerance (> 0 fails); inf where an entry is not finite."""
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.abs(exact - approx) - (atol + rtol * np.abs(approx))
    return np.where(np.isfinite(exact) & np.isfinite(approx), excess, np.inf)


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
    those with ``requires_grad=True`` must be float64. An entry passes when both
    values are finite and ``|analytic - numeric| <= atol + rtol * |numeric|``.
    Returns True, or raises ``AssertionError`` (``raise_exception=True``) / returns
    False, naming the worst entry (a non-finite one first) by output, input and
    element, with both values and the number of failing entries. The inputs'
    data is unchanged afterwards, also when ``fn`` raises.

    >>> x = ag.tensor(np.random.randn(3), dtype=np.float64, requires_grad=True)
    >>> ag.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    indices = differentiable_inputs(inputs)
    outputs = _outputs(fn, inputs)
    analytic = _analytic(outputs, inputs, indices)
    numeric = _numeric(fn, inputs, indices, eps)
    worst, failing, total = None, 0, 0
    for k in range(len(outputs)):
        for block, i in enumerate(indices):
            exact, approx = analytic[k][block], numeric[k][block]
            excess = _excess(exact, approx, atol, rtol)
            failing += int(np.count_nonzero(excess > 0))
            total += excess.size
            if excess.size and excess.max() > 0:
                row, col = np.unravel_index(np.argmax(excess), excess.shape)
                if worst is None or excess[row, col] > worst[0]:
                    worst = (excess[row, col], k, i, row, col, exact[row, col], approx[row, col])
    if worst is None:
        return True
    excess, k, i, row, col, exact, approx = worst
    input_element = tuple(int(n) for n in np.unravel_index(col, inputs[i].shape))
    output_element = tuple(int(n) for n in np.unravel_index(row, outputs[k].shape))
    kind = "non-finite Jacobian entry" if np.isinf(excess) else "Jacobian mismatch"
    message = (
        f"gradcheck: {kind} for output {k} with respect to input {i} at input element "
        f"{input_element}, output element {output_element}: analytic {float(exact)!r}, "
        f"numeric {float(approx)!r} ({failing} of {total} entries fail; "
        f"atol={atol}, rtol={rtol})"
    )
    if raise_exception:
        raise AssertionError(message)
    return False


def first_derivatives(fn: Callable, inputs, grad_outputs=None, seed: int = 0) -> tuple:
    """``(fn', inputs')`` with ``fn'(*inputs, *v) = grad(fn(inputs), inputs, v)``, recorded.

    ``fn'`` returns one gradient per input that requires grad (zeros where an input
    is unused), computed with ``create_graph=True``, so its Jacobian is ``fn``'s second
    derivative. ``grad_outputs`` are the vectors ``v`` (random float64 drawn with
    ``seed`` by default, requiring grad); ``inputs' = inputs + v``: the first
    derivative is linear in ``v`` and its Jacobian there must match as well.
    """
    inputs = _as_tuple(inputs)
    indices = differentiable_inputs(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(Tensor(rng.standard_normal(out.shape), requires_grad=True)
                             for out in _outputs(fn, inputs))
    grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)

    def derivatives(*args):
        xs, vectors = args[:count], args[count:]
        pairs = [(out, v) for out, v in zip(_outputs(fn, xs), vectors) if out.requires_grad]
        targets = [xs[i] for i in indices]
        grads = grad([out for out, _ in pairs], targets, grad_outputs=[v for _, v in pairs],
                     create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor(np.zeros(t.shape))
                     for g, t in zip(grads, targets))

    return derivatives, inputs + grad_outputs


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
    the ``grad_outputs``. Non-finite entries fail, as in :func:`gradcheck`.
    """
    derivatives, all_inputs = first_derivatives(fn, inputs, grad_outputs, seed)
    return gradcheck(derivatives, all_inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
