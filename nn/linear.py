"""Fully connected layers: ``Linear``, ``Identity``, ``Flatten`` and the classic ``MLP``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.tensor import Tensor, as_tensor
from nn import functional as F
from nn import init
from nn.activation import activation_class
from nn.containers import Sequential
from nn.module import Module, Parameter

__all__ = ["Linear", "Identity", "Flatten", "MLP"]


def _check_size(owner: str, name: str, value: Any) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative int, got {value!r}")
    return int(value)


class Linear(Module):
    """y = x @ weight.T + bias for x of shape (*, in_features) -> (*, out_features).

    ``weight`` is (out_features, in_features) and ``bias`` (out_features,), initialised as
    PyTorch does: weight ~ kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and
    bias ~ U(-1/sqrt(in), 1/sqrt(in)).  ``dtype`` defaults to float32.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features = _check_size("Linear", "in_features", in_features)
        self.out_features = _check_size("Linear", "out_features", out_features)
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new weights with PyTorch's default initialisation."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x: Any) -> Tensor:
        """(*, in_features) -> (*, out_features)."""
        # Constants (ndarrays, lists) take the layer's dtype: a float64 batch should not
        # silently turn a float32 model's activations into float64.
        x = as_tensor(x, like=self.weight)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected input with last dimension "
                             f"{self.in_features}, got shape {x.shape}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored, as in PyTorch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Any) -> Tensor:
        """(N, C, H, W) -> (N, C*H*W) for the defaults; a reshape, so gradients pass unchanged."""
        return as_tensor(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class MLP(Sequential):
    """The classic multi-layer perceptron: Linear layers with an activation after each hidden one.

    ``MLP(3, [4, 4], 1)`` is ``Linear(3, 4), Sigmoid(), Linear(4, 4), Sigmoid(), Linear(4, 1)``.
    ``activation`` is "sigmoid" (default), "tanh", "relu", "leaky_relu", "gelu" or a Module
    class.  The output layer has no activation unless ``output_activation`` names one (the
    from-scratch blog networks use ``output_activation="sigmoid"``); losses such as
    ``CrossEntropyLoss`` and ``BCEWithLogitsLoss`` expect the raw outputs.
    It is a ``Sequential``: ``mlp[0]`` is the first Linear layer.
    """

    def __init__(self, in_features: int, hidden_sizes: int | Sequence[int], out_features: int,
                 activation: Any = "sigmoid", output_activation: Any = None,
                 bias: bool = True) -> None:
        hidden = [hidden_sizes] if isinstance(hidden_sizes, (int, np.integer)) else hidden_sizes
        hidden = [_check_size("MLP", "hidden size", size) for size in hidden]
        hidden_activation = activation_class(activation, "MLP")
        layers: list[Module] = []
        sizes = [in_features] + hidden
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers += [Linear(fan_in, fan_out, bias=bias), hidden_activation()]
        layers.append(Linear(sizes[-1], out_features, bias=bias))
        if output_activation is not None:
            layers.append(activation_class(output_activation, "MLP")())
        super().__init__(*layers)
