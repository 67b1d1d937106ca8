"""Activation modules: thin Module wrappers around ``nn.functional``, with PyTorch's
names, arguments, defaults and reprs. Every one takes any shape (PReLU: (N, C, ...)).

``inplace=True`` (where PyTorch has it) is honoured as in PyTorch: the input tensor is
overwritten with the result and returned (see ``nn.functional.activation``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.ops.axes import pick
from autograd.tensor import Tensor, as_tensor
from nn import functional as F
from nn import init as init_module
from nn.module import Module, Parameter

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax",
           "SiLU", "Softplus", "ELU", "SELU", "CELU", "Mish", "Hardtanh", "ReLU6", "Hardsigmoid",
           "Hardswish", "Softsign", "LogSigmoid", "Softmin", "PReLU"]


class _InplaceActivation(Module):
    """An elementwise activation with PyTorch's ``inplace`` flag."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_InplaceActivation):
    """max(x, 0) elementwise; any shape."""

    def forward(self, x: Any) -> Tensor:
        return F.relu(x, self.inplace)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x; any shape."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise; any shape."""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x) elementwise; any shape."""

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


class GELU(Module):
    """x * Phi(x) (``approximate="none"``) or its tanh approximation (``"tanh"``)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


def _axis(name: str, axis: int, dim: int | None) -> int:
    """``axis`` or PyTorch's ``dim`` (both given and different: an error)."""
    return pick(name, None if axis == -1 and dim is not None else axis, dim, None, None)[0]


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``axis`` (``dim=`` is accepted as an alias)."""

    def __init__(self, axis: int = -1, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = _axis("Softmax", axis, dim)

    def forward(self, x: Any) -> Tensor:
        return F.softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``axis``, computed stably (``dim=`` is an alias)."""

    def __init__(self, axis: int = -1, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = _axis("LogSoftmax", axis, dim)

    def forward(self, x: Any) -> Tensor:
        return F.log_softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class SiLU(_InplaceActivation):
    """x * sigmoid(x) (also called swish)."""

    def forward(self, x: Any) -> Tensor:
        return F.silu(x, self.inplace)


class Mish(_InplaceActivation):
    """x * tanh(softplus(x))."""

    def forward(self, x: Any) -> Tensor:
        return F.mish(x, self.inplace)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Any) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x: Any) -> Tensor:
        return F.elu(x, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        if alpha == 0:
            raise ValueError("CELU: alpha cannot be 0 (the formula divides by it)")
        super().__init__(alpha, inplace)

    def forward(self, x: Any) -> Tensor:
        return F.celu(x, self.alpha, self.inplace)


class SELU(_InplaceActivation):
    """scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha = 1.6733, scale = 1.0507."""

    def forward(self, x: Any) -> Tensor:
        return F.selu(x, self.inplace)


class Hardtanh(Module):
    """x clipped to [min_val, max_val] (gradient 0 at the bounds, as PyTorch)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0,
                 inplace: bool = False) -> None:
        super().__init__()
        if min_val >= max_val:
            raise ValueError(f"{type(self).__name__}: max_val ({max_val}) must be greater than "
                             f"min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x: Any) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6) (gradient 0 at 0 and 6, as PyTorch)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(_InplaceActivation):
    """clip(x / 6 + 1/2, 0, 1): a piecewise-linear sigmoid."""

    def forward(self, x: Any) -> Tensor:
        return F.hardsigmoid(x, self.inplace)

    def extra_repr(self) -> str:
        return ""  # PyTorch's repr does not show inplace here


class Hardswish(Hardsigmoid):
    """x * hardsigmoid(x) (MobileNetV3)."""

    def forward(self, x: Any) -> Tensor:
        return F.hardswish(x, self.inplace)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, x: Any) -> Tensor:
        return F.softsign(x)


class LogSigmoid(Module):
    """log(sigmoid(x)), stable for any x."""

    def forward(self, x: Any) -> Tensor:
        return F.logsigmoid(x)


class Softmin(Module):
    """softmax(-x) along ``axis`` (``dim=`` is accepted as an alias; default: the last axis)."""

    def __init__(self, axis: int = -1, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = _axis("Softmin", axis, dim)

    def forward(self, x: Any) -> Tensor:
        return F.softmin(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class PReLU(Module):
    """x if x > 0 else a * x with a learned slope ``weight`` (num_parameters,), initialised to
    ``init``: one slope shared by all channels, or one per channel (axis 1 of (N, C, ...))."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: Any = None) -> None:
        super().__init__()
        if not (isinstance(num_parameters, (int, np.integer)) and num_parameters >= 1):
            raise ValueError(f"PReLU: num_parameters must be a positive int, got "
                             f"{num_parameters!r}")
        self.num_parameters = int(num_parameters)
        self.init = init
        self.weight = Parameter(np.empty(self.num_parameters, dtype=np.dtype(dtype or np.float32)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set every slope back to ``init``."""
        init_module.constant_(self.weight, self.init)

    def forward(self, x: Any) -> Tensor:
        """(N, C, ...) (or any shape with one slope) -> the same shape."""
        return F.prelu(as_tensor(x, like=self.weight), self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


_BY_NAME = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU,
            "gelu": GELU, "silu": SiLU, "mish": Mish, "elu": ELU, "selu": SELU,
            "softplus": Softplus, "relu6": ReLU6, "hardswish": Hardswish}


def activation_class(spec: Any, owner: str) -> type[Module]:
    """The Module class for a name (``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``,
    ``"gelu"``, ``"silu"``, ``"mish"``, ``"elu"``, ``"selu"``, ``"softplus"``, ``"relu6"``,
    ``"hardswish"``) or a Module subclass (returned as is)."""
    if isinstance(spec, str):
        try:
            return _BY_NAME[spec.lower()]
        except KeyError:
            raise ValueError(f"{owner}: unknown activation {spec!r}; expected one of "
                             f"{sorted(_BY_NAME)} or a Module class") from None
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec
    raise TypeError(f"{owner}: activation must be a name or a Module class, got {spec!r}")
