"""Matrix product with NumPy's ``matmul`` semantics (1-D, 2-D and batched N-D), and ``einsum``."""

from __future__ import annotations

import string

import numpy as np

from autograd.engine import sum_to
from autograd.function import Op, ShapeError
from autograd.ops import dual
from autograd.tensor import Tensor, as_tensor

__all__ = ["matmul", "einsum"]


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


# ------------------------------------------------------------------ einsum

_LETTERS = string.ascii_uppercase + string.ascii_lowercase
_OPTIMIZE_FROM = 4096  # elements in all operands together


def _einsum_terms(subscripts: str, shapes: list) -> tuple:
    """Explicit subscripts: ``(terms, output, spare)``, each ``...`` replaced by unused letters.

    ``spare`` holds unused letters for the gradient's diagonals (one per repeated
    subscript of an operand). NumPy's rules: an implicit output is ``...`` then the
    letters that appear once, sorted; operands broadcast along size-1 dimensions.
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string such as 'ij,jk->ik', got "
                        f"{type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    lhs, arrow, output = spec.partition("->")
    invalid = set(lhs.replace("...", "") + output.replace("...", "")) - set(_LETTERS + ",")
    if invalid or "->" in output:
        raise ValueError(f"einsum: invalid subscripts {subscripts!r}: use letters, ',', '...' "
                         "and one '->'")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operands, "
                         f"got {len(shapes)}")
    free = [c for c in _LETTERS if c not in spec]
    counts = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if term.count("...") > 1 or ("..." not in term and named != len(shape)) \
                or named > len(shape):
            raise ValueError(f"einsum: operand {i} has shape {shape}, which its subscripts "
                             f"{term!r} do not describe")
        counts.append(len(shape) - named)
    width = max(counts, default=0)
    ellipsis, free = "".join(free[:width]), free[width:]
    terms = tuple(term.replace("...", ellipsis[width - n:]) for term, n in zip(terms, counts))
    joined = "".join(terms)
    if not arrow:
        output = ellipsis + "".join(sorted(c for c in set(joined) - set(ellipsis)
                                           if joined.count(c) == 1))
    elif width and "..." not in output:
        raise ValueError(f"einsum: {subscripts!r}: operands have dimensions under '...', so the "
                         "output must name '...' too (as NumPy)")
    output = output.replace("...", ellipsis)
    if len(set(output)) != len(output) or set(output) - set(joined):
        raise ValueError(f"einsum: output subscripts of {subscripts!r} must be distinct letters "
                         "that appear in the operands")
    _check_sizes(terms, shapes)
    spare = max((len(term) - len(set(term)) for term in terms), default=0)
    if spare > len(free):
        raise ValueError(f"einsum: {subscripts!r} uses too many letters to differentiate")
    return terms, output, "".join(free[:spare])


def _check_sizes(terms: tuple, shapes: list) -> None:
    sizes = {}
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        for position, (letter, size) in enumerate(zip(term, shape)):
            if letter in term[:position] and size != shape[term.index(letter)]:
                raise ValueError(f"einsum: operand {i} (shape {shape}) repeats subscript "
                                 f"{letter!r} over dimensions of different sizes")
            known = sizes.setdefault(letter, size)
            if size != known and 1 not in (size, known):
                raise ValueError(f"einsum: subscript {letter!r} has size {known} in one operand "
                                 f"and {size} in operand {i} (shape {shape})")
            sizes[letter] = max(known, size)


def _contract(terms, output: str, *operands):
    """``np.einsum`` of arrays, or the recorded ``einsum`` when an operand is a Tensor."""
    spec = ",".join(terms) + "->" + output
    if any(isinstance(operand, Tensor) for operand in operands):
        return einsum(spec, *operands)
    # NumPy's optimizer contracts pairwise with BLAS: much faster on large operands,
    # but its planning costs ~30 us, more than a small einsum takes
    optimize = len(operands) > 2 or sum(np.size(o) for o in operands) > _OPTIMIZE_FROM
    return np.einsum(spec, *operands, optimize=optimize)


class Einsum(Op):
    """d/dx_k einsum(s, x_1, ..., x_n) = einsum of grad with the other operands, to x_k's subscripts

    (a repeated subscript of x_k puts the gradient on that diagonal; one that x_k
    alone sums over spreads it, as a broadcast)
    """

    def forward(ctx, *operands, terms=(), output="", spare=""):
        ctx.terms, ctx.out_term, ctx.spare = terms, output, spare  # (ctx.output: the array)
        # variadic inputs cannot be named in backward: keep them as a Function does
        ctx.save_for_backward(*getattr(ctx, "inputs", ()))
        return _contract(terms, output, *operands)

    def backward(ctx, grad):
        operands = ctx.saved_tensors
        if not isinstance(grad, Tensor):
            operands = [operand.data for operand in operands]
        return tuple(_operand_grad(ctx, k, grad, operands) if needed else None
                     for k, needed in enumerate(ctx.needs_input_grad))


def _operand_grad(ctx, k: int, grad, operands: list):
    """The gradient of operand ``k``: grad contracted with the others (see ``Einsum``)."""
    term, shape = ctx.terms[k], operands[k].shape
    dtype = dual.constant(grad).dtype
    others = [i for i in range(len(operands)) if i != k]
    labels = [ctx.out_term] + [ctx.terms[i] for i in others]
    pieces = [grad] + [operands[i] for i in others]
    present = set("".join(labels))
    spare = iter(ctx.spare)
    target = ""
    for position, (letter, size) in enumerate(zip(term, shape)):
        if letter in term[:position]:  # a diagonal of x_k: only it receives gradient
            fresh = next(spare)
            labels.append(letter + fresh)
            pieces.append(np.eye(size, dtype=dtype))
            target += fresh
            continue
        if letter not in present:  # summed over in x_k alone: every element gets the gradient
            labels.append(letter)
            pieces.append(np.ones(size, dtype=dtype))
        target += letter
    result = _contract(labels, target, *pieces)
    if result.shape != shape:  # a size-1 dimension of the others: spread it to x_k's size
        result = dual.broadcast_to(result, np.broadcast_shapes(result.shape, shape))
    return result  # the engine sums dimensions that x_k broadcast


def einsum(subscripts: str, *operands) -> Tensor:
    """Einstein summation, as ``np.einsum``: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    Implicit outputs, ``...`` broadcasting, repeated subscripts (``"ii->i"``
    diagonals, ``"ii"`` traces) work as in NumPy; PyTorch's list form
    ``einsum(s, [a, b])`` too. Differentiable in every operand, to any order.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: needs at least one operand")
    first = next((o for o in operands if isinstance(o, Tensor)), None)
    tensors = [as_tensor(o, like=first) for o in operands]
    terms, output, spare = _einsum_terms(subscripts, [t.shape for t in tensors])
    return Einsum.apply(*tensors, terms=terms, output=output, spare=spare)
