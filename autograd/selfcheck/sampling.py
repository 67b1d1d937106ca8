"""Random shapes and values for the self-check, drawn per op family.

Shapes are small (every dimension 1 to 4) so a full Jacobian is cheap; each
family cycles through structural *kinds* (same shape, broadcasting both ways,
0-d operands, size-1 dimensions) by trial number, so a few trials cover every
kind while the sizes stay random. Values are kept away from the points where
an op is not differentiable (zero for ``abs``/``relu``, ties for ``max``,
clip bounds), because finite differences are meaningless there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from autograd.tensor import Tensor

MAX_DIM = 4
BROADCAST_KINDS = ("same", "mixed", "suffix", "left-0d", "right-0d", "size-1")


@dataclass
class Trial:
    """One gradcheck: ``fn(*inputs)``; ``label`` says which shapes/arguments were drawn."""

    fn: Callable
    inputs: tuple
    label: str


def random_shape(rng: np.random.Generator, min_ndim: int = 0, max_ndim: int = 3) -> tuple:
    """A shape with ``min_ndim..max_ndim`` dimensions of size 1..MAX_DIM."""
    ndim = int(rng.integers(min_ndim, max_ndim + 1))
    return tuple(int(n) for n in rng.integers(1, MAX_DIM + 1, ndim))


def unary_shape(rng: np.random.Generator, trial: int) -> tuple:
    """Trial 0: 0-d; trial 1: has size-1 dimensions; later: random 1..3-d."""
    if trial % 3 == 0:
        return ()
    if trial % 3 == 1:
        return (1,) + random_shape(rng, 1, 2) + (1,)
    return random_shape(rng, 1, 3)


def broadcast_pair(rng: np.random.Generator, trial: int) -> tuple:
    """Two shapes that broadcast together, of kind ``BROADCAST_KINDS[trial % 6]``."""
    kind = BROADCAST_KINDS[trial % len(BROADCAST_KINDS)]
    full = random_shape(rng, 1, 3)
    if kind == "same":
        return full, full
    if kind == "mixed":  # each dimension is 1 in one operand or the other
        ones_in_a = rng.random(len(full)) < 0.5
        a = tuple(1 if flag else n for flag, n in zip(ones_in_a, full))
        b = tuple(n if flag else 1 for flag, n in zip(ones_in_a, full))
        return a, b
    if kind == "suffix":  # fewer dimensions on the right
        return full, full[int(rng.integers(0, len(full) + 1)):]
    if kind == "left-0d":
        return (), full
    if kind == "right-0d":
        return full, ()
    return full, tuple(1 for _ in full)


def reduction_axis(rng: np.random.Generator, ndim: int, trial: int):
    """None, one axis (sometimes negative) or a tuple of axes, cycling by trial."""
    if ndim == 0 or trial % 3 == 0:
        return None
    if trial % 3 == 1 or ndim == 1:
        axis = int(rng.integers(0, ndim))
        return axis - ndim if rng.random() < 0.5 else axis
    count = int(rng.integers(1, ndim + 1))
    return tuple(int(a) for a in rng.choice(ndim, count, replace=False))


# ------------------------------------------------------------------ values


def normal(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Standard normal values."""
    return rng.standard_normal(shape)


def positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values in [0.5, 2]: safe for ``log``, ``sqrt``, and as a base of ``**``."""
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values with ``0.3 <= |x| <= 1.5`` and a random sign."""
    return rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def away_from(values: np.ndarray, points, gap: float = 0.05) -> np.ndarray:
    """Move values closer than ``gap`` to any of ``points`` out to distance ``gap``."""
    values = np.array(values, dtype=np.float64)
    for point in points:
        near = np.abs(values - point) < gap
        values[near] = point + np.where(values[near] >= point, gap, -gap)
    return values


def distinct(rng: np.random.Generator, shapes: list) -> list:
    """Arrays whose values, across all of them together, differ pairwise by at least 0.3.

    Ties are where ``max``, ``maximum`` and friends have no derivative; the
    values of all operands are drawn jointly so that broadcasting compares
    no two near-equal numbers either.
    """
    sizes = [int(np.prod(shape)) for shape in shapes]
    total = sum(sizes)
    values = (rng.permutation(total) - total / 2) * 0.3 + rng.uniform(-0.05, 0.05)
    arrays, start = [], 0
    for shape, size in zip(shapes, sizes):
        arrays.append(values[start:start + size].reshape(shape))
        start += size
    return arrays


def leaf(values) -> Tensor:
    """A float64 leaf that requires grad."""
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def leaves(rng: np.random.Generator, shapes, draw=normal) -> tuple:
    """One float64 leaf per shape, values from ``draw(rng, shape)``."""
    return tuple(leaf(draw(rng, shape)) for shape in shapes)


def describe(*shapes) -> str:
    """``"(3, 1) (4,)"``: the shapes of a trial's inputs."""
    return " ".join(str(tuple(shape)) for shape in shapes)
