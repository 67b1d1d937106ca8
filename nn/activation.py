"""Activation modules: thin Module wrappers around ``nn.functional``.

``inplace=`` is accepted by ReLU and LeakyReLU so that PyTorch code runs unchanged;
it has no effect (nothing here modifies its input).
"""

from __future__ import annotations

from typing import Any

from autograd.ops.axes import pick
from autograd.tensor import Tensor
from nn import functional as F
from nn.module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax"]


class ReLU(Module):
    """max(x, 0) elementwise; any shape."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x; any shape."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

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


_BY_NAME = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU,
            "gelu": GELU}


def activation_class(spec: Any, owner: str) -> type[Module]:
    """The Module class for ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``, ``"gelu"``
    or a Module subclass (returned as is)."""
    if isinstance(spec, str):
        try:
            return _BY_NAME[spec.lower()]
        except KeyError:
            raise ValueError(f"{owner}: unknown activation {spec!r}; expected one of "
                             f"{sorted(_BY_NAME)} or a Module class") from None
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec
    raise TypeError(f"{owner}: activation must be a name or a Module class, got {spec!r}")
