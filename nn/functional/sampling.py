"""Linear resampling along one axis, and what is built on it: ``interpolate`` (nearest,
linear, bilinear, area), adaptive average pooling and the padding modes of the convolutions.

A ``Table`` is a sparse linear map from ``size`` positions along an axis to ``out``
positions: output ``k`` is ``sum_t weight[t, k] * input[index[t, k]]``, a term with
weight 0 being absent. Its gradient is the same kind of map with the transposed table,
so one op, ``resample``, is closed under differentiation. Every map here is separable,
one axis at a time (bilinear = linear along H, then along W).

Index and weight rules follow PyTorch's CPU kernels (``aten/src/ATen/native/UpSample.h``),
so results agree with ``torch.nn.functional.interpolate`` exactly, not just closely.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from autograd import Op, Tensor
from autograd.ops import dual
from autograd.tensor import as_tensor
from nn.functional.windows import select

__all__ = ["interpolate"]


class Table:
    """A sparse linear map along one axis: ``index`` and ``weight`` (terms, out), from ``size``."""

    def __init__(self, index: np.ndarray, weight: np.ndarray, size: int) -> None:
        self.present = weight != 0
        self.index = np.where(self.present, index, 0).astype(np.intp)
        self.weight = np.where(self.present, weight, 0.0)
        self.size = int(size)
        self.full = self.present.all(axis=1)  # terms that no output leaves out
        self.unit = self.full & (self.weight == 1).all(axis=1)  # ... and that only copy
        self._transposed = None

    @property
    def out(self) -> int:
        return self.index.shape[1]

    def transposed(self) -> Table:
        """The adjoint map: input ``j`` gathers ``weight * output[k]`` over the terms reading j."""
        if self._transposed is None:
            term, position = np.nonzero(self.present)
            source = self.index[term, position]
            order = np.argsort(source, kind="stable")
            source, position = source[order], position[order]
            weight = self.weight[term[order], position]
            counts = np.bincount(source, minlength=self.size)
            rank = np.arange(len(source)) - (np.cumsum(counts) - counts)[source]
            terms = max(int(counts.max(initial=0)), 1)
            index, weights = np.zeros((terms, self.size), np.intp), np.zeros((terms, self.size))
            index[rank, source], weights[rank, source] = position, weight
            self._transposed = Table(index, weights, self.out)
            self._transposed._transposed = self
        return self._transposed


def resample_array(x: np.ndarray, table: Table, axis: int) -> np.ndarray:
    """Apply ``table`` along ``axis`` of an array: one gather (and scale) per term."""
    shape = [1] * x.ndim
    shape[axis] = -1
    out = None
    for term in range(table.index.shape[0]):
        values = np.take(x, table.index[term], axis=axis)
        if not table.unit[term]:
            values *= table.weight[term].astype(x.dtype).reshape(shape)
        if not table.full[term]:
            values = select(table.present[term].reshape(shape), values)
        out = values if out is None else np.add(out, values, out=out)
    return out


class Resample(Op):
    """y = A x along ``axis``, A a sparse ``Table``. Linear: d/dx = A^T g (the transposed
    table)"""

    def forward(ctx, x, table, axis):
        ctx.table, ctx.axis = table, axis
        return resample_array(x, table, axis)

    def backward(ctx, grad):
        return resample_any(grad, ctx.table.transposed(), ctx.axis)


resample_any = dual.function(
    resample_array, lambda x, table, axis: Resample.apply(x, table=table, axis=axis), "resample")


def resample(x: Tensor, tables: Sequence[Table], first_axis: int) -> Tensor:
    """Apply one table per axis, from ``first_axis`` on."""
    for axis, table in enumerate(tables, start=first_axis):
        x = Resample.apply(x, table=table, axis=axis)
    return x


# --------------------------------------------------------------------------- tables


def _scale(size: int, out: int, scale: float | None, dtype=np.float64):
    """PyTorch's ``compute_scales_value``: 1/scale_factor when given, else size/out."""
    return dtype(1.0 / scale) if scale is not None and scale > 0 else dtype(size) / dtype(out)


def nearest_table(size: int, out: int, scale: float | None = None, exact: bool = False) -> Table:
    """``mode="nearest"`` (``floor(k * scale)``; PyTorch's special cases for the same and
    twice the size) or ``"nearest-exact"`` (``floor((k + 0.5) * scale)``), in float32."""
    k = np.arange(out)
    if exact:
        ratio = _scale(size, out, scale, np.float32)
        index = np.floor((k + np.float32(0.5)).astype(np.float32) * ratio)
    elif out == size:
        index = k
    elif out == 2 * size:
        index = k >> 1
    else:
        index = np.floor(k.astype(np.float32) * _scale(size, out, scale, np.float32))
    index = np.minimum(index.astype(np.intp), size - 1)
    return Table(index[None], np.ones((1, out)), size)


def linear_table(size: int, out: int, align_corners: bool, scale: float | None = None) -> Table:
    """``mode="linear"`` along one axis, as PyTorch: two neighbours and their weights."""
    k = np.arange(out)
    if out == size:
        return Table(k[None], np.ones((1, out)), size)
    if align_corners:
        source = k * ((size - 1) / (out - 1) if out > 1 else 0.0)
    else:
        source = np.maximum(_scale(size, out, scale) * (k + 0.5) - 0.5, 0.0)
    first = np.minimum(np.floor(source.astype(np.float32)).astype(np.intp), size - 1)
    upper = np.clip(source - first, 0.0, 1.0)
    second = first + (first < size - 1)
    return Table(np.stack([first, second]), np.stack([1.0 - upper, upper]), size)


def adaptive_table(size: int, out: int) -> Table:
    """Adaptive average pooling's windows: ``[floor(k*size/out), ceil((k+1)*size/out))``."""
    k = np.arange(out)
    start = k * size // out
    end = -(-(k + 1) * size // out)
    count = end - start
    terms = np.arange(max(int(count.max(initial=0)), 1))[:, None]
    inside = terms < count
    return Table(np.where(inside, start + terms, 0), np.where(inside, 1.0 / count, 0.0), size)


def padding_table(size: int, lead: int, trail: int, mode: str) -> Table:
    """A padded copy of an axis: ``reflect`` (no edge repeat), ``replicate`` or ``circular``."""
    position = np.arange(-lead, size + trail)
    if mode == "reflect":
        position = np.abs(position)
        position = np.where(position >= size, 2 * (size - 1) - position, position)
    elif mode == "replicate":
        position = np.clip(position, 0, size - 1)
    else:
        position = position % size
    return Table(position[None], np.ones((1, len(position))), size)


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def pad_borders(x: Tensor, widths: Sequence[tuple[int, int]], mode: str, op: str) -> Tensor:
    """Pad the last ``len(widths)`` axes by (lead, trail) each, as ``F.pad(mode=...)``."""
    first = x.ndim - len(widths)
    for size, (lead, trail) in zip(x.shape[first:], widths):
        limit = {"reflect": size - 1, "circular": size}.get(mode, max(lead, trail))
        if max(lead, trail) > limit:
            raise ValueError(
                f"{op}: padding ({lead}, {trail}) is too large for padding_mode={mode!r} on "
                f"an axis of size {size} (input shape {x.shape}): at most {limit}"
            )
    tables = [padding_table(size, lead, trail, mode)
              for size, (lead, trail) in zip(x.shape[first:], widths)]
    return resample(x, tables, first)


# --------------------------------------------------------------------------- interpolate


_MODES = {"nearest": (1, 2), "nearest-exact": (1, 2), "linear": (1,), "bilinear": (2,),
          "area": (1, 2)}


def _per_axis(value, count: int, what: str) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"interpolate: {what} must have {count} entries for a "
                             f"{count + 2}-D input, got {value!r}")
        return list(value)
    return [value] * count


def _output_sizes(x: Tensor, size, scale_factor, recompute_scale_factor) -> tuple:
    """``(sizes, scales)``: the output size per spatial axis, and the scale the index rules use."""
    spatial = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: either size or scale_factor should be defined, and "
                         f"only one of them (got size={size!r}, scale_factor={scale_factor!r})")
    if size is not None:
        sizes = [int(s) for s in _per_axis(size, spatial, "size")]
        scales = [None] * spatial
    else:
        scales = [float(s) for s in _per_axis(scale_factor, spatial, "scale_factor")]
        sizes = [math.floor(n * s) for n, s in zip(x.shape[2:], scales)]
        if recompute_scale_factor:
            scales = [None] * spatial
    if min(sizes) <= 0:
        raise ValueError(f"interpolate: output size {tuple(sizes)} must be positive "
                         f"(input shape {x.shape})")
    return sizes, scales


def interpolate(x: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) inputs, as PyTorch's ``F.interpolate``.

    Give ``size`` (the output's spatial size) or ``scale_factor`` (output size =
    ``floor(input size * scale_factor)``). Modes: ``"nearest"`` (PyTorch's legacy
    rule ``floor(k * scale)``), ``"nearest-exact"``, ``"linear"`` (3-D), ``"bilinear"``
    (4-D) with ``align_corners`` (False by default: pixel centres; True: corner pixels
    line up), and ``"area"`` (adaptive average pooling).
    """
    x = as_tensor(x)
    if mode not in _MODES:
        raise ValueError(f"interpolate: unsupported mode {mode!r}; choose one of "
                         f"{', '.join(map(repr, _MODES))}")
    if x.ndim - 2 not in _MODES[mode]:
        raise ValueError(f"interpolate: mode {mode!r} expects a "
                         f"{' or '.join(str(d + 2) + '-D' for d in _MODES[mode])} input, "
                         f"got shape {x.shape}")
    linear = mode in ("linear", "bilinear")
    if (linear or mode == "area") and x.dtype.kind != "f":
        raise TypeError(f"interpolate: mode {mode!r} needs a floating-point input, got dtype "
                        f"{x.dtype}")
    if align_corners is not None and not linear:
        raise ValueError("interpolate: align_corners can only be set with the interpolating "
                         f"modes linear and bilinear, not {mode!r}")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    sizes, scales = _output_sizes(x, size, scale_factor, recompute_scale_factor)
    tables = []
    for n, out, scale in zip(x.shape[2:], sizes, scales):
        if linear:
            tables.append(linear_table(n, out, bool(align_corners), scale))
        elif mode == "area":
            tables.append(adaptive_table(n, out))
        else:
            tables.append(nearest_table(n, out, scale, exact=mode == "nearest-exact"))
    return resample(x, tables, 2)

