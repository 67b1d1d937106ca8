"""Linear maps and lookups, as ``torch.nn.functional``: linear, embedding, one_hot."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Op, capturing
from autograd.capturing import kernels
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
    return grad_x, grad_weight, (np.sum(grad_rows, axis=0, out=out[2]) if needs[2] else None)


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
    rows = weight[index]
    if padding_idx is None:
        return rows
    padding_idx = _normalise_padding_idx(padding_idx, num_embeddings)
    keep = capturing.call(_not_padding, index, padding_idx)
    # Same values everywhere, but the padding positions come from a detached copy.
    return ag.where(keep, rows, rows.detach())


def _not_padding(index: np.ndarray, padding_idx: int) -> np.ndarray:
    return np.expand_dims(index != padding_idx, -1)


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
        index = _class_labels("one_hot", raw, None)
        num_classes = int(index.max()) + 1 if index.size else 0
    elif num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be positive or -1, got {num_classes}")
    index = _class_labels("one_hot", raw, num_classes)
    return Tensor((index[..., None] == np.arange(num_classes)).astype(np.int64))
