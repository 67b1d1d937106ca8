"""Stateless functions behind the layers: activations, linear, embedding, one_hot, losses.

Every function takes Tensors (ndarrays and Python lists are wrapped) and returns a
Tensor in the graph.  Names, arguments and formulas follow ``torch.nn.functional``;
the softmax family takes ``axis=`` (NumPy's word) and accepts ``dim=`` as an alias.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd.ops.conv import conv2d, fold, unfold
from autograd.ops.loss import Gelu, Linear
from autograd.ops.pool import avg_pool2d, max_pool2d
from autograd.tensor import Tensor, as_tensor
from nn.dropout import dropout
from nn.losses import (
    _class_labels,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from nn.norm import batch_norm, layer_norm

__all__ = [
    "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "linear",
    "embedding", "one_hot", "mse_loss", "l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d", "unfold", "fold",
    "max_pool2d", "avg_pool2d", "dropout", "batch_norm", "layer_norm",
]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def relu(x: Any) -> Tensor:
    """max(x, 0) elementwise; d/dx = [x > 0]."""
    return as_tensor(x).relu()


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x if x > 0 else negative_slope * x; d/dx = 1 if x > 0 else negative_slope."""
    x = as_tensor(x)
    return ag.where(x.data > 0, x, x * negative_slope)


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x) (Phi: standard normal cdf).

    ``approximate="tanh"`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    Exact form: d/dx = Phi(x) + x * phi(x).
    """
    x = as_tensor(x)
    if approximate == "none":
        return Gelu.apply(x)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)), stable for any x; d/dx = s (1 - s)."""
    return as_tensor(x).sigmoid()


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent; d/dx = 1 - tanh(x)^2."""
    return as_tensor(x).tanh()


def _pick_axis(name: str, axis: int, dim: int | None) -> int:
    if dim is None:
        return axis
    if axis != -1 and axis != dim:
        raise TypeError(f"{name}: got both axis={axis} and dim={dim}; pass one of them")
    return dim


def softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (``dim`` is an alias), stable for huge values."""
    return ag.softmax(as_tensor(x), axis=_pick_axis("softmax", axis, dim))


def log_softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis`` (``dim`` is an alias), stable for huge values."""
    return ag.log_softmax(as_tensor(x), axis=_pick_axis("log_softmax", axis, dim))


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
    index = _class_labels("embedding", indices, num_embeddings, word="index")
    rows = weight[index]
    if padding_idx is None:
        return rows
    padding_idx = _normalise_padding_idx(padding_idx, num_embeddings)
    keep = np.expand_dims(index != padding_idx, -1)
    # Same values everywhere, but the padding positions come from a detached copy.
    return ag.where(keep, rows, rows.detach())


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
