"""The op registry's rows: one ``Case`` per op (or composite), run by pytest and the self-check.

A ``Case`` draws one ``Trial`` (a function and its float64 inputs) from a
random generator and a trial number; the trial number picks the structural
kind (broadcasting, 0-d, size-1, ...), the generator the sizes and values.
``Case.ops`` lists the registered op names the case exercises: coverage of
``Op.registry`` is checked against it. The engine's rows are ``CASES`` below;
a package that defines ops of its own (``nn``) adds its rows with ``register``.
To add an op: its definition, its export line, and one row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import autograd as ag
from autograd.ops.index import IndexAdd
from autograd.ops.inplace import IndexPut
from autograd.selfcheck import math_ops as mo
from autograd.selfcheck import movement as m
from autograd.selfcheck import sampling as s
from autograd.selfcheck.sampling import Trial

MAX = s.MAX_DIM


@dataclass
class Case:
    """A row of the self-check: ``make(rng, trial)`` returns a ``Trial``."""

    name: str
    ops: tuple
    make: Callable[[np.random.Generator, int], Trial]
    second_order: bool = True


# ------------------------------------------------------------------ elementwise


def binary(fn: Callable, draw_a=s.normal, draw_b=s.normal) -> Callable:
    """Trials of ``fn(a, b)`` over broadcasting pairs of shapes."""
    def make(rng, trial):
        shape_a, shape_b = s.broadcast_pair(rng, trial)
        inputs = (s.leaf(draw_a(rng, shape_a)), s.leaf(draw_b(rng, shape_b)))
        return Trial(fn, inputs, s.describe(shape_a, shape_b))
    return make


def binary_distinct(fn: Callable) -> Callable:
    """Like ``binary`` but with no ties between any two values (``maximum``, ``minimum``)."""
    def make(rng, trial):
        shapes = s.broadcast_pair(rng, trial)
        return Trial(fn, tuple(s.leaf(v) for v in s.distinct(rng, shapes)), s.describe(*shapes))
    return make


def unary(fn: Callable, draw=s.normal) -> Callable:
    """Trials of ``fn(x)``: 0-d, size-1 dimensions, random shapes."""
    def make(rng, trial):
        shape = s.unary_shape(rng, trial)
        return Trial(fn, (s.leaf(draw(rng, shape)),), s.describe(shape))
    return make


def make_pow(rng, trial):
    """Tensor ** tensor, tensor ** constant and constant ** tensor."""
    variant = trial % 3
    if variant == 0:
        return binary(ag.power, s.positive, s.normal)(rng, trial // 3)
    shape = s.unary_shape(rng, trial // 3)
    if variant == 1:
        exponent = float(rng.choice([2.0, 3.0, 0.5, -1.5]))
        return Trial(lambda a: a**exponent, (s.leaf(s.positive(rng, shape)),),
                     f"{s.describe(shape)} ** {exponent}")
    base = float(rng.uniform(0.5, 3.0))
    return Trial(lambda a: base**a, (s.leaf(s.normal(rng, shape)),),
                 f"{base:.2f} ** {s.describe(shape)}")


def make_clip(rng, trial):
    """Both bounds, or one, with values kept away from the bounds."""
    low, high = [(-0.5, 0.6), (0.1, None), (None, -0.2)][trial % 3]
    shape = s.unary_shape(rng, trial)
    values = s.away_from(rng.uniform(-1.5, 1.5, shape), [b for b in (low, high) if b is not None])
    return Trial(lambda a: ag.clip(a, low, high), (s.leaf(values),),
                 f"{s.describe(shape)} to [{low}, {high}]")


# ------------------------------------------------------------------ reductions


def reduction(method: str, distinct: bool = False) -> Callable:
    """Trials of ``x.<method>(axis=..., keepdims=...)`` with a random axis choice."""
    def make(rng, trial):
        shape = s.random_shape(rng, 1, 3) if trial else ()
        axis = s.reduction_axis(rng, len(shape), trial)
        keepdims = bool(trial % 2)
        values = s.distinct(rng, [shape])[0] if distinct else s.normal(rng, shape)

        def fn(a):
            return getattr(a, method)(axis=axis, keepdims=keepdims)
        return Trial(fn, (s.leaf(values),),
                     f"{s.describe(shape)} axis={axis} keepdims={keepdims}")
    return make


def softmax_family(function: Callable, with_keepdims: bool = False) -> Callable:
    """Trials of ``function(x, axis)`` (and ``keepdims`` for logsumexp)."""
    def make(rng, trial):
        shape = s.random_shape(rng, 1, 3)
        axis = s.reduction_axis(rng, len(shape), trial + 1)
        options = {"keepdims": bool(trial % 2)} if with_keepdims else {}
        if axis is None and not with_keepdims:
            axis = -1
        return Trial(lambda a: function(a, axis=axis, **options), (s.leaf(s.normal(rng, shape)),),
                     f"{s.describe(shape)} axis={axis} {options or ''}".strip())
    return make


# ------------------------------------------------------------------ shape ops


def make_reshape(rng, trial):
    shape = s.random_shape(rng, 1, 3) if trial else ()
    sizes = list(shape) + [1] * int(rng.integers(0, 2))
    rng.shuffle(sizes)
    target = tuple(sizes[:1] + [-1] + sizes[2:]) if len(sizes) > 1 and trial % 2 else tuple(sizes)
    return Trial(lambda a: a.reshape(target), (s.leaf(s.normal(rng, shape)),),
                 f"{s.describe(shape)} -> {target}")


def make_transpose(rng, trial):
    shape = s.random_shape(rng, 1, 4)
    axes = None if trial % 3 == 0 else tuple(int(a) for a in rng.permutation(len(shape)))
    if axes is not None and trial % 3 == 2:
        axes = tuple(a - len(shape) for a in axes)  # negative axes, as NumPy allows
    return Trial(lambda a: a.transpose(axes), (s.leaf(s.normal(rng, shape)),),
                 f"{s.describe(shape)} axes={axes}")


def make_broadcast_to(rng, trial):
    target = s.random_shape(rng, 1, 3)
    small = target[len(target) - int(rng.integers(0, len(target) + 1)):]
    small = tuple(1 if rng.random() < 0.4 else n for n in small)
    return Trial(lambda a: a.broadcast_to(target), (s.leaf(s.normal(rng, small)),),
                 f"{s.describe(small)} -> {target}")


def make_astype(rng, trial):
    # longdouble holds every float64 exactly, so the round trip keeps finite differences exact
    shape = s.unary_shape(rng, trial)
    return Trial(lambda a: (a.astype(np.longdouble) * 2).astype(np.float64),
                 (s.leaf(s.normal(rng, shape)),), s.describe(shape))


def _random_slice(rng, size: int) -> slice:
    start = int(rng.integers(-size, size))
    step = int(rng.choice([1, 2, -1]))
    return slice(start, None, step)


GETITEM_KINDS = ("slices", "ellipsis-int-None", "repeated-int-array", "bool-mask", "int-pairs")


def getitem_index(rng, shape: tuple, kind: int):
    """An index of kind ``GETITEM_KINDS[kind]`` that is valid for ``shape``."""
    if kind == 0:
        return tuple(_random_slice(rng, n) for n in shape)
    if kind == 1:
        return (Ellipsis, int(rng.integers(-shape[-1], shape[-1])), None)
    if kind == 2:
        return rng.integers(-shape[0], shape[0], int(rng.integers(1, 6)))
    if kind == 3:
        return rng.random(shape) < 0.6
    count = int(rng.integers(1, 5))
    return tuple(rng.integers(0, n, count) for n in shape[:2])


def make_getitem(rng, trial):
    kind = trial % len(GETITEM_KINDS)
    shape = s.random_shape(rng, 2 if kind == 4 else 1, 3)
    index = getitem_index(rng, shape, kind)
    return Trial(lambda a: a[index], (s.leaf(s.normal(rng, shape)),),
                 f"{s.describe(shape)} [{GETITEM_KINDS[kind]}]")


def make_index_put(rng, trial):
    """``x`` with ``x[idx] = v`` (basic or advanced index, ``v`` broadcast), both checked."""
    kind = trial % 3
    shape = s.random_shape(rng, 2 if kind == 2 else 1, 3)
    if kind == 2:  # distinct pairs: a position written twice keeps only the last value
        count = int(rng.integers(1, shape[0] * shape[1] + 1))
        flat = rng.choice(shape[0] * shape[1], count, replace=False)
        index = np.unravel_index(flat, shape[:2])
    else:
        index = getitem_index(rng, shape, [0, 3][kind])
    if kind == 1 and not index.any():
        index = np.ones(shape, dtype=bool)
    selected = np.empty(shape)[index].shape
    value_shape = selected[int(rng.integers(0, len(selected) + 1)):]
    return Trial(lambda x, v: IndexPut.apply(x, v.broadcast_to(selected), index=index),
                 s.leaves(rng, (shape, value_shape)),
                 f"{s.describe(shape, value_shape)} [{GETITEM_KINDS[[0, 3, 4][kind]]}]")


def make_index_add(rng, trial):
    rows = int(rng.integers(1, 5))
    out_shape = (rows,) + s.random_shape(rng, 0, 2)
    index = rng.integers(0, rows, int(rng.integers(1, 6)))  # repeats accumulate
    values_shape = index.shape + out_shape[1:]
    return Trial(lambda g: IndexAdd.apply(g, index=index, shape=out_shape),
                 (s.leaf(s.normal(rng, values_shape)),),
                 f"{s.describe(values_shape)} -> {out_shape}")


MATMUL_KINDS = ("matrix", "vector-matrix", "matrix-vector", "vector-vector", "batched",
                "broadcast-batch", "vector-batched")


def matmul_shapes(rng, trial) -> tuple:
    n, k, m = (int(v) for v in rng.integers(1, MAX + 1, 3))
    batch = s.random_shape(rng, 1, 2)
    kind = MATMUL_KINDS[trial % len(MATMUL_KINDS)]
    return {
        "matrix": ((n, k), (k, m)), "vector-matrix": ((k,), (k, m)),
        "matrix-vector": ((n, k), (k,)), "vector-vector": ((k,), (k,)),
        "batched": (batch + (n, k), batch + (k, m)),
        "broadcast-batch": ((batch[0], 1, n, k), (1, k, m)),
        "vector-batched": ((k,), batch + (k, m)),
    }[kind]


def make_matmul(rng, trial):
    shapes = matmul_shapes(rng, trial)
    return Trial(ag.matmul, s.leaves(rng, shapes), s.describe(*shapes))


def make_concatenate(rng, trial):
    base = list(s.random_shape(rng, 1, 3))
    axis = int(rng.integers(0, len(base)))
    shapes = []
    for _ in range(int(rng.integers(1, 4))):
        base[axis] = int(rng.integers(1, MAX + 1))
        shapes.append(tuple(base))
    axis_arg = axis - len(base) if trial % 2 else axis
    return Trial(lambda *xs: ag.concatenate(xs, axis=axis_arg), s.leaves(rng, shapes),
                 f"{s.describe(*shapes)} axis={axis_arg}")


def make_stack(rng, trial):
    shape = s.unary_shape(rng, trial)
    count = int(rng.integers(1, 4))
    axis = int(rng.integers(-len(shape) - 1, len(shape) + 1))
    return Trial(lambda *xs: ag.stack(xs, axis=axis), s.leaves(rng, [shape] * count),
                 f"{count} x {s.describe(shape)} axis={axis}")


def make_where(rng, trial):
    shape_a, shape_b = s.broadcast_pair(rng, trial)
    condition = rng.random(np.broadcast_shapes(shape_a, shape_b)) < 0.5
    return Trial(lambda a, b: ag.where(condition, a, b), s.leaves(rng, (shape_a, shape_b)),
                 s.describe(shape_a, shape_b))


def make_pad(rng, trial):
    shape = s.random_shape(rng, 1, 3)
    if trial % 2:
        widths = int(rng.integers(0, 3))
    else:
        widths = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in shape)
    value = float(rng.normal())
    return Trial(lambda a: ag.pad(a, widths, constant_values=value),
                 (s.leaf(s.normal(rng, shape)),), f"{s.describe(shape)} pad={widths}")


def composite(name: str, function: Callable) -> Case:
    """A public function composed of primitives, reducing or moving one axis of size >= 2."""
    def make(rng, trial):
        shape = tuple(int(n) for n in rng.integers(2, MAX + 1, 1 + trial % 3))
        axis = int(rng.integers(-len(shape), len(shape)))
        return Trial(lambda a: function(a, axis), (s.leaf(s.normal(rng, shape)),),
                     f"{s.describe(shape)} axis={axis}")
    return Case(name, (), make)


CASES = [
    Case("add", ("add",), binary(ag.add)),
    Case("sub", ("sub",), binary(ag.sub)),
    Case("mul", ("mul",), binary(ag.mul)),
    Case("div", ("div",), binary(ag.div, s.normal, s.away_from_zero)),
    Case("pow", ("pow",), make_pow),
    Case("maximum", ("maximum",), binary_distinct(ag.maximum)),
    Case("minimum (composite)", ("maximum", "neg"), binary_distinct(ag.minimum)),
    Case("neg", ("neg",), unary(ag.neg)),
    Case("exp", ("exp",), unary(ag.exp)),
    Case("log", ("log",), unary(ag.log, s.positive)),
    Case("sqrt", ("sqrt",), unary(ag.sqrt, s.positive)),
    Case("abs", ("abs",), unary(ag.abs, s.away_from_zero)),
    Case("tanh", ("tanh",), unary(ag.tanh)),
    Case("sigmoid", ("sigmoid",), unary(ag.sigmoid)),
    Case("relu", ("relu",), unary(ag.relu, s.away_from_zero)),
    Case("sin", ("sin",), unary(ag.sin)),
    Case("cos", ("cos",), unary(ag.cos)),
    Case("erf", ("erf",), unary(ag.erf, lambda rng, shape: 2 * s.normal(rng, shape))),
    Case("clip", ("clip",), make_clip),
    Case("sum", ("sum",), reduction("sum")),
    Case("mean", ("mean",), reduction("mean")),
    Case("max", ("max",), reduction("max", distinct=True)),
    Case("min", ("max",), reduction("min", distinct=True)),
    Case("reshape", ("reshape",), make_reshape),
    Case("transpose", ("transpose",), make_transpose),
    Case("broadcast_to", ("broadcast_to",), make_broadcast_to),
    Case("astype", ("astype",), make_astype),
    Case("getitem", ("getitem",), make_getitem),
    Case("index_add", ("index_add",), make_index_add),
    Case("index_put", ("index_put",), make_index_put),
    Case("matmul", ("matmul",), make_matmul),
    Case("concatenate", ("concatenate",), make_concatenate),
    Case("stack", ("stack",), make_stack),
    Case("where", ("where",), make_where),
    Case("pad", ("pad",), make_pad),
    Case("softmax", ("softmax",), softmax_family(ag.softmax)),
    Case("log_softmax", ("log_softmax",), softmax_family(ag.log_softmax)),
    Case("logsumexp", ("logsumexp",), softmax_family(ag.logsumexp, with_keepdims=True)),
    Case("var", ("var",), reduction("var")),
    composite("var ddof=1 (one axis)", lambda a, axis: a.var(axis=axis, ddof=1)),
    composite("std (composite)", lambda a, axis: a.std(axis=axis)),
    composite("squeeze/expand_dims (composite)",
              lambda a, axis: ag.squeeze(ag.expand_dims(a, axis), axis).swapaxes(0, -1)),
    # movement, indexing and einsum (trials in autograd/selfcheck/movement.py)
    Case("flip", ("flip",), m.make_flip),
    Case("roll", ("roll",), m.make_roll),
    Case("repeat", ("repeat", "index_add"), m.make_repeat),
    Case("tile (composite)", ("reshape", "broadcast_to"), m.make_tile),
    Case("tril (composite)", ("where",), m.make_triangle(ag.tril)),
    Case("triu (composite)", ("where",), m.make_triangle(ag.triu)),
    Case("diagonal (composite)", ("transpose", "reshape", "getitem"), m.make_diagonal),
    Case("trace (composite)", ("getitem", "sum"), m.make_trace),
    Case("outer (composite)", ("reshape", "mul"), m.make_outer),
    Case("split (composite)", ("getitem",), m.make_split),
    Case("array_split (composite)", ("getitem",), m.make_array_split),
    Case("chunk (composite)", ("getitem",), m.make_chunk),
    Case("take_along_axis (composite)", ("getitem",), m.make_take_along_axis),
    Case("gather (composite)", ("getitem",), m.make_gather),
    Case("scatter (composite)", ("index_put",), m.make_scatter),
    Case("scatter_add (composite)", ("index_add", "add"), m.make_scatter_add),
    Case("masked_fill (composite)", ("where",), m.make_masked_fill),
    Case("index_select (composite)", ("getitem",), m.make_index_select),
    Case("einsum", ("einsum",), m.make_einsum),
    Case("pad (reflect/symmetric/edge/wrap)", ("pad", "index_add"), m.make_pad_mode),
]


_REGISTERED: list = []


def register(cases) -> None:
    """Add rows for ops defined outside the engine (``nn`` registers its own)."""
    names = {case.name for case in CASES + _REGISTERED}
    _REGISTERED.extend(case for case in cases if case.name not in names)


def all_cases() -> list:
    """The engine's rows plus every registered one."""
    return CASES + _REGISTERED


# ------------------------------------------------------------------ math ops (issue 13)
# (trials in autograd/selfcheck/math_ops.py)

CASES += [
    Case("log2", ("log2",), unary(ag.log2, s.positive)),
    Case("log10", ("log10",), unary(ag.log10, s.positive)),
    Case("log1p", ("log1p",), unary(ag.log1p, mo.uniform(-0.5, 2.0))),
    Case("exp2", ("exp2",), unary(ag.exp2)),
    Case("expm1", ("expm1",), unary(ag.expm1)),
    Case("square", ("square",), unary(ag.square)),
    Case("reciprocal", ("reciprocal",), unary(ag.reciprocal, s.away_from_zero)),
    Case("rsqrt", ("rsqrt",), unary(ag.rsqrt, s.positive)),
    Case("tan", ("tan",), unary(ag.tan, mo.uniform(-1.2, 1.2))),
    Case("arcsin", ("arcsin",), unary(ag.arcsin, mo.uniform(-0.9, 0.9))),
    Case("arccos", ("arccos",), unary(ag.arccos, mo.uniform(-0.9, 0.9))),
    Case("arctan", ("arctan",), unary(ag.arctan)),
    Case("sinh", ("sinh",), unary(ag.sinh)),
    Case("cosh", ("cosh",), unary(ag.cosh)),
    Case("arcsinh", ("arcsinh",), unary(ag.arcsinh)),
    Case("arccosh", ("arccosh",), unary(ag.arccosh, mo.uniform(1.2, 3.0))),
    Case("arctanh", ("arctanh",), unary(ag.arctanh, mo.uniform(-0.9, 0.9))),
    Case("arctan2", ("arctan2",), binary(ag.arctan2)),
    Case("sign", ("sign",), unary(ag.sign, s.away_from_zero)),
    Case("floor", ("floor",), unary(ag.floor, mo.off_integers())),
    Case("ceil", ("ceil",), unary(ag.ceil, mo.off_integers())),
    Case("trunc", ("trunc",), unary(ag.trunc, mo.off_integers())),
    Case("round", ("round",), mo.make_round),
    Case("logaddexp", ("logaddexp",), binary(ag.logaddexp)),
    Case("lerp", ("lerp",), mo.make_lerp),
    Case("remainder", ("remainder",), mo.make_remainder),
    Case("prod", ("prod", "cumprod"), mo.make_prod),
    Case("cumsum", ("cumsum",), mo.scan(ag.cumsum)),
    Case("cumprod", ("cumprod",), mo.scan(ag.cumprod, mo.with_zeros)),
    Case("norm (composite)", (), mo.make_norm),
    Case("sort", ("sort", "reorder"), mo.make_sort),
    Case("topk", ("topk", "reorder"), mo.make_topk),
]


# ------------------------------------------------------------------ PyTorch's shape methods


def make_views(rng, trial):
    """``clone`` (the one new op), then PyTorch's views over reshape/transpose/broadcast_to."""
    shape = s.random_shape(rng, 3, 3)
    dims = tuple(int(d) for d in rng.permutation(len(shape)))

    def fn(a):
        moved = a.clone().permute(dims).contiguous().view(-1, *a.shape[2:])
        flat = moved.flatten(0, 1).unsqueeze(-1)
        return flat.expand(*flat.shape[:-1], 2).reshape(-1) * a.clone().sum()
    return Trial(fn, (s.leaf(s.normal(rng, shape)),), f"{s.describe(shape)} permute{dims}")


CASES += [
    Case("clone", ("clone",), unary(ag.clone)),
    Case("views (composite)", ("clone", "transpose", "reshape", "broadcast_to"), make_views),
]
