"""Trials for the math rows of the case table (``cases.py``): elementwise math, rounding,
reductions, scans, norms and sorting (issue 13).

Draws keep values inside each op's domain and away from the points where it
jumps or ties (floor at integers, round at halves, |x| ties for norms); ``make_*``
draws one ``Trial`` from a generator and a trial number, the trial number cycling
through the structural kinds (0-d, broadcasting, axes, zeros in products).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

import autograd as ag
from autograd.selfcheck import sampling as s
from autograd.selfcheck.sampling import Trial


def uniform(low: float, high: float) -> Callable:
    """Values drawn uniformly from [low, high]: inside an op's domain."""
    return lambda rng, shape: rng.uniform(low, high, shape)


def off_integers(scale: float = 1.0, offset: float = 0.0) -> Callable:
    """``(k + offset + u) * scale`` with ``|k| <= 2``, ``u`` in [0.15, 0.85]: away from the jumps
    of floor/ceil/trunc at integers (``offset=0.5``: of round at halves)."""
    def draw(rng, shape):
        return (rng.integers(-2, 3, shape) + offset + rng.uniform(0.15, 0.85, shape)) * scale
    return draw


def with_zeros(rng, shape: tuple) -> np.ndarray:
    """Normal values with about a third of them exactly 0 (products and their gradients)."""
    values = s.normal(rng, shape)
    return np.where(rng.random(shape) < 0.35, 0.0, values)


def distinct_magnitudes(rng, shape: tuple) -> np.ndarray:
    """Random signs, magnitudes >= 0.3 apart from each other and from 0 (no ties in |x|)."""
    size = int(np.prod(shape))
    magnitudes = 0.3 + 0.3 * rng.permutation(size) + rng.uniform(0, 0.05)
    return (magnitudes * rng.choice([-1.0, 1.0], size)).reshape(shape)


def make_round(rng, trial):
    """``round`` to 0, 2 and -1 decimals, values away from the halves where it jumps."""
    decimals = [0, 2, -1][trial % 3]
    shape = s.unary_shape(rng, trial)
    values = off_integers(10.0 ** -decimals, 0.5)(rng, shape)
    return Trial(lambda a: ag.round(a, decimals), (s.leaf(values),),
                 f"{s.describe(shape)} decimals={decimals}")


def make_remainder(rng, trial):
    """``a % b`` with a / b away from integers (where it jumps), b of either sign."""
    shape_a, shape_b = s.broadcast_pair(rng, trial)
    divisor = rng.uniform(1.0, 1.02, shape_b) * rng.choice([-1.0, 1.0], shape_b)
    return Trial(ag.remainder, (s.leaf(off_integers()(rng, shape_a)), s.leaf(divisor)),
                 s.describe(shape_a, shape_b))


def make_lerp(rng, trial):
    """``lerp(start, end, weight)`` with broadcasting; the weight a tensor or a number."""
    shape_a, shape_b = s.broadcast_pair(rng, trial)
    start, end = s.leaves(rng, (shape_a, shape_b))
    if trial % 3 == 0:
        weight = float(rng.uniform(-0.5, 1.5))
        return Trial(lambda a, b: ag.lerp(a, b, weight), (start, end),
                     f"{s.describe(shape_a, shape_b)} weight={weight:.2f}")
    full = np.broadcast_shapes(shape_a, shape_b)
    shape_w = full[int(rng.integers(0, len(full) + 1)):]
    return Trial(ag.lerp, (start, end, s.leaf(rng.uniform(-0.5, 1.5, shape_w))),
                 s.describe(shape_a, shape_b, shape_w))


def make_prod(rng, trial):
    """``prod`` over random axes; odd trials have zeros in the input (exact gradients there)."""
    shape = s.random_shape(rng, 1, 3) if trial else ()
    axis = s.reduction_axis(rng, len(shape), trial)
    keepdims = bool(trial % 2)
    values = with_zeros(rng, shape) if trial % 2 else s.normal(rng, shape)
    return Trial(lambda a: a.prod(axis=axis, keepdims=keepdims), (s.leaf(values),),
                 f"{s.describe(shape)} axis={axis} keepdims={keepdims}")


def scan(function: Callable, draw=s.normal) -> Callable:
    """Trials of ``function(x, axis)``: axis None (flattened) or one axis, 0-d tensors too."""
    def make(rng, trial):
        shape = s.unary_shape(rng, trial)
        axis = None if trial % 4 == 0 or not shape else int(rng.integers(-len(shape), len(shape)))
        return Trial(lambda a: function(a, axis), (s.leaf(draw(rng, shape)),),
                     f"{s.describe(shape)} axis={axis}")
    return make


NORM_ORDS = {"vector": [None, 2, 1, 3, 0.5, np.inf, -np.inf],
             "matrix": [None, "fro", 1, -1, np.inf, -np.inf]}


def make_norm(rng, trial):
    """All elements; a vector norm along one axis; a matrix norm over two; PyTorch's p=/dim=."""
    kind = ("all", "vector", "matrix", "torch")[trial % 4]
    shape = s.random_shape(rng, 0 if kind == "all" else 2 if kind == "matrix" else 1, 3)
    keepdims = bool(rng.integers(0, 2))
    values = s.leaf(distinct_magnitudes(rng, shape))
    if kind == "all":
        options = {"keepdims": keepdims}
    elif kind == "torch":
        options = {"p": float(rng.choice([2.0, 1.0, 3.0])),
                   "dim": s.reduction_axis(rng, len(shape), 2)}
    else:
        ords = NORM_ORDS[kind]
        ord_ = ords[int(rng.integers(0, len(ords)))]
        axes = tuple(int(a) for a in rng.choice(len(shape), 1 if kind == "vector" else 2,
                                                replace=False))
        options = {"ord": ord_, "axis": axes[0] if kind == "vector" else axes, "keepdims": keepdims}
    return Trial(lambda a: ag.norm(a, **options), (values,), f"{s.describe(shape)} {options}")


def make_sort(rng, trial):
    """``sort`` along an axis (None: flattened), ascending or descending, values distinct."""
    shape = s.random_shape(rng, 1, 3)
    axis = None if trial % 3 == 0 else int(rng.integers(-len(shape), len(shape)))
    descending = bool(trial % 2)

    def fn(a):
        return ag.sort(a, axis=axis, descending=descending).values
    return Trial(fn, (s.leaf(s.distinct(rng, [shape])[0]),),
                 f"{s.describe(shape)} axis={axis} descending={descending}")


def make_topk(rng, trial):
    """``topk`` of k = 0..n values along an axis, largest or smallest, values distinct."""
    shape = s.random_shape(rng, 1, 3)
    axis = int(rng.integers(-len(shape), len(shape)))
    k = int(rng.integers(0, shape[axis] + 1))
    largest = bool(trial % 2)
    return Trial(lambda a: ag.topk(a, k, axis=axis, largest=largest).values,
                 (s.leaf(s.distinct(rng, [shape])[0]),),
                 f"{s.describe(shape)} k={k} axis={axis} largest={largest}")
