"""Linear maps and lookups, as ``torch.nn.functional``: linear, embedding, one_hot."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Op, capturing
from autograd.capturing import kernels
from autograd.ops import dual
from autograd.ops.index import scatter
from autograd.tensor import Tensor, as_tensor
from nn.functional.loss import _class_labels

__all__ = ["linear", "embedding", "one_hot"]


class Linear(Op):
    """y = x @ W.T + b; dx = g @ W, dW = g.T @ x (summed over batch dims), db = sum of g."""

    def forward(ctx, x, weight, bias=None):
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(ctx, grad, x, weight):
        needs = ctx.needs_input_grad
        out_features, in_features = weight.shape
        grad_rows = grad.reshape((-1, out_features))
        grad_x = grad @ weight if needs[0] else None
        grad_weight = grad_rows.T @ x.reshape((-1, in_features)) if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_weight
        return grad_x, grad_weight, (grad_rows.sum(axis=0) if needs[2] else None)


def _linear_forward(out, ctx, x, weight, bias=None):
    """Linear.forward into ``out`` (a replay kernel: ``autograd/capturing/kernels.py``)."""
    out = np.matmul(x, weight.T, out=out)
    if bias is not None:
        out += bias
    return out


def _linear_backward(out, ctx, grad, x, weight):
    """Linear.backward into the buffers ``out`` (None: a fresh array)."""
    needs = ctx.needs_input_grad
    out_features, in_features = weight.shape
    grad_rows = grad.reshape((-1, out_features))
    grad_x = np.matmul(grad, weight, out=out[0]) if needs[0] else None
    grad_weight = (np.matmul(grad_rows.T, x.reshape((-1, in_features)), out=out[1])
                   if needs[1] else None)
    if len(needs) == 2:
        return grad_x, grad_weight
    # np.add.reduce is what ndarray.sum calls, without np.sum's Python wrapper
    return grad_x, grad_weight, (np.add.reduce(grad_rows, axis=0, out=out[2]) if needs[2]
                                 else None)


kernels.register_op(Linear, _linear_forward, _linear_backward)


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight.T + bias: x (*, in_features), weight (out_features, in_features), bias (out,).

    Gradients: dx = g @ W, dW = g.T @ x, db = sum of g over all but the last axis.
    """
    x, weight = as_tensor(x), as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), "
                         f"got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not match weight of shape "
                         f"{weight.shape} (expected last dimension {weight.shape[1]})")
    if bias is None:
        return Linear.apply(x, weight)
    bias = as_tensor(bias, like=x)
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), "
                         f"got {bias.shape}")
    return Linear.apply(x, weight, bias)


# Float rows viewed as complex numbers of two floats each: one complex addition is two float
# additions, so np.add.at sums the same values in the same order in half the steps.
_PAIRS = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def _embedding_grad_array(grad: np.ndarray, index: np.ndarray, rows: int,
                          padding_idx: int | None) -> np.ndarray:
    """dW (rows, dim): each row of ``grad`` (*, dim) added to the row ``index`` (*) names,
    the row ``padding_idx`` left 0.

    ``np.add.at`` on a flat view with one position per element takes NumPy's fast path
    for a 1-D index (several times faster than adding whole rows at ``index``): the same
    additions in the same order as ``np.add.at(dW, index, grad)``, the same result bit for
    bit, and on pairs of floats (an even ``dim``) half as many of them.
    """
    dim = grad.shape[-1]
    out = np.zeros((rows, dim), grad.dtype)
    if grad.size:
        values = np.ascontiguousarray(grad).reshape(-1, dim)
        table = out
        pair = _PAIRS.get(grad.dtype)
        if pair is not None and dim % 2 == 0:
            values, table = values.view(pair), out.view(pair)
        width = table.shape[1]
        positions = index.reshape(-1, 1) * width + np.arange(width)
        np.add.at(table.reshape(-1), positions.reshape(-1), values.reshape(-1))
    if padding_idx is not None:
        out[padding_idx] = 0
    return out


def _embedding_grad_tensor(grad: Tensor, index: np.ndarray, rows: int,
                           padding_idx: int | None) -> Tensor:
    """The same gradient composed of recorded ops (index_add), for second derivatives."""
    if padding_idx is not None:
        grad = dual.keep(grad, np.expand_dims(index != padding_idx, -1))
    return scatter(grad, index, (rows, grad.shape[-1]))


embedding_grad = dual.function(_embedding_grad_array, _embedding_grad_tensor, "embedding_grad")


class Embedding(Op):
    """y = weight[index] (rows of the table); dW[i] = sum of g over the positions where
    index == i, 0 for the row padding_idx"""

    def forward(ctx, weight, index=None, padding_idx=None):
        # a copy, so that changing the index array later cannot change the gradient
        ctx.index, ctx.rows, ctx.padding_idx = np.array(index), weight.shape[0], padding_idx
        return np.take(weight, ctx.index, axis=0)

    def backward(ctx, grad):
        return embedding_grad(grad, ctx.index, ctx.rows, ctx.padding_idx)


def embedding(indices: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by integer ``indices`` (*).

    Returns shape (*, embedding_dim).  The row ``padding_idx`` gets no gradient.
    Gradient: dW[i] = sum of g over the positions where indices == i.
    """
    weight = as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), "
                         f"got shape {weight.shape}")
    num_embeddings = weight.shape[0]
    raw = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    index = capturing.call(_class_labels, "embedding", raw, num_embeddings, word="index")
    if padding_idx is not None:
        padding_idx = _normalise_padding_idx(padding_idx, num_embeddings)
    return Embedding.apply(weight, index=index, padding_idx=padding_idx)


def _normalise_padding_idx(padding_idx: int, num_embeddings: int) -> int:
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"embedding: padding_idx {padding_idx} out of range for "
                         f"num_embeddings={num_embeddings}")
    return padding_idx % num_embeddings


def one_hot(labels: Any, num_classes: int = -1) -> Tensor:
    """Integer labels (*) -> int64 Tensor (*, num_classes) with a 1 at each label.

    ``num_classes=-1`` uses ``max(labels) + 1``.  Not differentiable.
    """
    raw = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if num_classes == -1:
        # the number of classes comes from the labels' values: a captured step checks that
        # every call has the recorded one
        return Tensor._make(capturing.fixed_shape("one_hot(num_classes=-1) (the number of "
                                                  "classes, from the largest label)",
                                                  _one_hot, raw, -1))
    if num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be positive or -1, got {num_classes}")
    return Tensor._make(capturing.call(_one_hot, raw, num_classes))


def _one_hot(raw: np.ndarray, num_classes: int) -> np.ndarray:
    if num_classes == -1:
        index = _class_labels("one_hot", raw, None)
        num_classes = int(index.max()) + 1 if index.size else 0
    index = _class_labels("one_hot", raw, num_classes)
    return (index[..., None] == np.arange(num_classes)).astype(np.int64)
