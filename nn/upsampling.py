"""``Upsample``: resizing as a layer, as PyTorch's ``nn.Upsample`` (calls ``F.interpolate``)."""

from __future__ import annotations

import autograd as ag
from nn.functional.sampling import interpolate
from nn.module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resize (N, C, L) or (N, C, H, W) inputs to ``size`` or by ``scale_factor``.

    ``mode`` is ``"nearest"`` (default), ``"nearest-exact"``, ``"linear"``,
    ``"bilinear"`` or ``"area"``; ``align_corners`` only for the linear modes. See
    ``nn.functional.interpolate``.

    >>> nn.Upsample(scale_factor=2, mode="bilinear")(ag.randn(1, 3, 8, 8)).shape
    (1, 3, 16, 16)
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.size = size
        self.scale_factor = (tuple(float(s) for s in scale_factor)
                             if isinstance(scale_factor, (tuple, list))
                             else None if scale_factor is None else float(scale_factor))
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """The resized input."""
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        """``scale_factor=...`` (or ``size=...``) and ``mode=...``, as PyTorch prints it."""
        text = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return f"{text}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode="nearest")``, as PyTorch's ``nn.UpsamplingNearest2d``."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(..., mode="bilinear", align_corners=True)``, as ``nn.UpsamplingBilinear2d``."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
