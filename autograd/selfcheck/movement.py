"""Trials for the movement, indexing and einsum rows of the case table (``cases.py``).

Each ``make_*`` draws one ``Trial`` from a generator and a trial number; the
trial number cycles through the structural kinds (0-d and size-1 shapes,
negative axes, repeated indices, broadcasting, ``...``), the generator picks sizes
and values. Indices that repeat are drawn where the op accumulates them.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd.selfcheck import sampling as s
from autograd.selfcheck.sampling import Trial

MAX = s.MAX_DIM


def _axis(rng, ndim: int):
    axis = int(rng.integers(0, ndim))
    return axis - ndim if rng.random() < 0.5 else axis


def _unary_trial(rng, shape, fn, label: str) -> Trial:
    return Trial(fn, (s.leaf(s.normal(rng, shape)),), f"{s.describe(shape)} {label}")


def joined(tensors) -> ag.Tensor:
    """Several outputs as one tensor (a trial returns one): flattened, the i-th times i + 1,
    so a gradient routed to the wrong piece still shows."""
    return ag.concatenate([t.reshape(-1) * (i + 1) for i, t in enumerate(tensors)])


def make_flip(rng, trial):
    shape = s.unary_shape(rng, trial)
    axis = s.reduction_axis(rng, len(shape), trial)
    return _unary_trial(rng, shape, lambda a: ag.flip(a, axis), f"axis={axis}")


def make_roll(rng, trial):
    shape = s.unary_shape(rng, trial)
    if not shape or trial % 3 == 0:
        shift, axis = int(rng.integers(-6, 7)), None
    elif trial % 2:
        shift, axis = int(rng.integers(-6, 7)), _axis(rng, len(shape))
    else:
        axis = tuple(int(a) for a in rng.permutation(len(shape))[:2])
        shift = tuple(int(v) for v in rng.integers(-6, 7, len(axis)))
    return _unary_trial(rng, shape, lambda a: ag.roll(a, shift, axis),
                        f"shift={shift} axis={axis}")


def make_repeat(rng, trial):
    shape = s.unary_shape(rng, trial)
    axis = None if not shape or trial % 2 == 0 else _axis(rng, len(shape))
    count = int(np.prod(shape)) if axis is None else shape[axis]
    if trial % 4 < 2:
        repeats = int(rng.integers(1, 4))
    else:  # one count per element, zeros included
        repeats = rng.integers(0, 4, count)
        repeats[int(rng.integers(0, count))] = 2
    return _unary_trial(rng, shape, lambda a: ag.repeat(a, repeats, axis=axis),
                        f"repeats={np.asarray(repeats).tolist()} axis={axis}")


def make_tile(rng, trial):
    shape = s.unary_shape(rng, trial)
    reps = tuple(int(r) for r in rng.integers(1, 4, int(rng.integers(1, 4))))
    return _unary_trial(rng, shape, lambda a: ag.tile(a, reps), f"reps={reps}")


def make_triangle(function):
    def make(rng, trial):
        shape = (int(rng.integers(1, MAX + 1)),) if trial % 4 == 0 else s.random_shape(rng, 2, 3)
        k = int(rng.integers(-2, 3))
        return _unary_trial(rng, shape, lambda a: function(a, k), f"k={k}")
    return make


def make_diagonal(rng, trial):
    shape = s.random_shape(rng, 2, 4)
    axis1, axis2 = (int(a) for a in rng.permutation(len(shape))[:2])
    offset = int(rng.integers(-2, 3))
    return _unary_trial(rng, shape, lambda a: ag.diagonal(a, offset, axis1, axis2),
                        f"offset={offset} axes=({axis1}, {axis2})")


def make_trace(rng, trial):
    shape = s.random_shape(rng, 2, 3)
    axis1, axis2 = (int(a) for a in rng.permutation(len(shape))[:2])
    offset = int(rng.integers(-1, 2))
    return _unary_trial(rng, shape, lambda a: ag.trace(a, offset, axis1, axis2),
                        f"offset={offset} axes=({axis1}, {axis2})")


def make_outer(rng, trial):
    shapes = (s.unary_shape(rng, trial), s.random_shape(rng, 0, 2))
    return Trial(ag.outer, s.leaves(rng, shapes), s.describe(*shapes))


def make_split(rng, trial):
    """NumPy's sections and split points, or (``dim=``) PyTorch's sizes."""
    shape = s.random_shape(rng, 1, 3)
    axis = _axis(rng, len(shape))
    size = shape[axis]
    if trial % 3 == 2:
        how = int(rng.integers(1, size + 1))
        return _unary_trial(rng, shape, lambda a: joined(ag.split(a, how, dim=axis)),
                            f"sizes {how} dim={axis}")
    if trial % 3 == 0:
        how = int(rng.choice([d for d in range(1, size + 1) if size % d == 0]))
    else:
        how = sorted(int(i) for i in rng.integers(0, size + 1, int(rng.integers(1, 3))))
    return _unary_trial(rng, shape, lambda a: joined(ag.split(a, how, axis)), f"{how} axis={axis}")


def make_array_split(rng, trial):
    shape = s.random_shape(rng, 1, 3)
    axis = _axis(rng, len(shape))
    sections = int(rng.integers(1, shape[axis] + 2))  # may leave an empty section
    return _unary_trial(rng, shape, lambda a: joined(ag.array_split(a, sections, axis)),
                        f"{sections} sections axis={axis}")


def make_chunk(rng, trial):
    shape = s.random_shape(rng, 1, 3)
    dim = _axis(rng, len(shape))
    chunks = int(rng.integers(1, shape[dim] + 2))
    return _unary_trial(rng, shape, lambda a: joined(ag.chunk(a, chunks, dim)),
                        f"{chunks} chunks dim={dim}")


def make_take_along_axis(rng, trial):
    """Repeated and negative indices; the tensor or the indices broadcast on the other axes."""
    shape = s.random_shape(rng, 1, 3)
    axis = _axis(rng, len(shape))
    index_shape = list(shape)
    index_shape[axis] = int(rng.integers(1, 6))
    if trial % 3 == 1:  # size-1 index axes broadcast against the tensor's
        index_shape = [1 if d != axis % len(shape) else n for d, n in enumerate(index_shape)]
    x_shape = list(shape)
    if trial % 3 == 2:  # size-1 tensor axes broadcast against the indices'
        x_shape = [1 if d != axis % len(shape) else n for d, n in enumerate(shape)]
    size = shape[axis]
    indices = rng.integers(-size, size, index_shape)
    return _unary_trial(rng, tuple(x_shape), lambda a: ag.take_along_axis(a, indices, axis),
                        f"indices {tuple(index_shape)} axis={axis}")


def _torch_index(rng, shape: tuple, dim: int, distinct: bool) -> np.ndarray:
    """An index for gather/scatter: no larger than ``shape``, repeats unless ``distinct``."""
    sizes = [int(rng.integers(1, n + 1)) for n in shape]
    if distinct:  # distinct positions along dim in every row: a permutation's prefix
        order = np.argsort(rng.random(shape), axis=dim)
        return np.take(order, np.arange(sizes[dim]), axis=dim)[
            tuple(slice(0, n) if d != dim else slice(None) for d, n in enumerate(sizes))]
    sizes[dim] = int(rng.integers(1, 6))
    return rng.integers(0, shape[dim], sizes)


def make_gather(rng, trial):
    shape = s.random_shape(rng, 1, 3)
    dim = _axis(rng, len(shape))
    index = _torch_index(rng, shape, dim % len(shape), distinct=False)
    return _unary_trial(rng, shape, lambda a: ag.gather(a, dim, index),
                        f"index {index.shape} dim={dim}")


def make_scatter(rng, trial):
    """Distinct positions (a repeated one keeps one value: its other sources get no gradient)."""
    shape = s.random_shape(rng, 1, 3)
    dim = _axis(rng, len(shape))
    index = _torch_index(rng, shape, dim % len(shape), distinct=True)
    src_shape = tuple(n + int(rng.integers(0, 2)) for n in index.shape)  # src may be larger
    if trial % 3 == 2:
        value = float(rng.normal())
        return _unary_trial(rng, shape, lambda a: ag.scatter(a, dim, index, value),
                            f"index {index.shape} dim={dim} value={value:.2f}")
    return Trial(lambda a, src: ag.scatter(a, dim, index, src), s.leaves(rng, (shape, src_shape)),
                 f"{s.describe(shape, src_shape)} index {index.shape} dim={dim}")


def make_scatter_add(rng, trial):
    shape = s.random_shape(rng, 1, 3)
    dim = _axis(rng, len(shape))
    index = _torch_index(rng, shape, dim % len(shape), distinct=False)
    index = index[tuple(slice(0, n) for n in shape)]  # an index no larger than x
    src_shape = tuple(n + int(rng.integers(0, 2)) for n in index.shape)
    return Trial(lambda a, src: ag.scatter_add(a, dim, index, src),
                 s.leaves(rng, (shape, src_shape)),
                 f"{s.describe(shape, src_shape)} index {index.shape} dim={dim}")


def make_masked_fill(rng, trial):
    """A mask that broadcasts to the tensor; the value a number or a 0-d tensor."""
    shape_x, shape_mask = s.broadcast_pair(rng, trial)
    if np.broadcast_shapes(shape_x, shape_mask) != shape_x:
        shape_x = np.broadcast_shapes(shape_x, shape_mask)
    mask = rng.random(shape_mask) < 0.5
    if trial % 2:
        return Trial(lambda a, v: ag.masked_fill(a, mask, v), s.leaves(rng, (shape_x, ())),
                     f"{s.describe(shape_x)} mask {shape_mask} value: 0-d tensor")
    return _unary_trial(rng, shape_x, lambda a: ag.masked_fill(a, mask, 0.5),
                        f"mask {shape_mask} value 0.5")


def make_index_select(rng, trial):
    shape = s.random_shape(rng, 1, 3)
    dim = _axis(rng, len(shape))
    index = rng.integers(0, shape[dim], int(rng.integers(1, 6)))
    return _unary_trial(rng, shape, lambda a: ag.index_select(a, dim, index),
                        f"index {index.tolist()} dim={dim}")


# Subscripts with sizes drawn per letter, then fixed shapes for broadcasting and ``...``.
EINSUM_KINDS = (
    ("ij,jk->ik", None), ("bij,bjk->bik", None), ("ii->", None), ("ii->i", None),
    ("iij->ji", None), ("ij,jk", None), ("ij,jk,kl->il", None), ("i,j->ij", None),
    ("ij->i", None), ("ii,ij->j", None), (",i->i", None),
    ("ij,ij->ij", ((1, 3), (4, 3))),
    ("...ij,...jk->...ik", ((2, 1, 2, 3), (4, 3, 2))),
    ("i...->...", ((3, 2, 2),)),
)
EINSUM_CYCLE = 6  # trial t checks kinds t, t + 6, t + 12: six trials cover them all


def _einsum_shapes(rng, subscripts: str) -> tuple:
    sizes = {letter: int(rng.integers(1, MAX + 1)) for letter in subscripts if letter.isalpha()}
    terms = subscripts.split("->")[0].split(",")
    return tuple(tuple(sizes[letter] for letter in term) for term in terms)


def make_einsum(rng, trial):
    """Products, traces, diagonals, broadcasting, ``...``, implicit outputs, three operands."""
    kinds = EINSUM_KINDS[trial % EINSUM_CYCLE::EINSUM_CYCLE]
    specs = [(subscripts, shapes or _einsum_shapes(rng, subscripts))
             for subscripts, shapes in kinds]
    counts = [len(shapes) for _, shapes in specs]

    def fn(*xs):
        outputs, start = [], 0
        for (subscripts, _), count in zip(specs, counts):
            outputs.append(ag.einsum(subscripts, *xs[start:start + count]))
            start += count
        return joined(outputs)

    shapes = [shape for _, group in specs for shape in group]
    return Trial(fn, s.leaves(rng, shapes),
                 "; ".join(f"{subscripts!r} {s.describe(*group)}" for subscripts, group in specs))


def make_pad_mode(rng, trial):
    """``reflect``, ``symmetric``, ``edge`` and ``wrap``, with widths beyond the axis size."""
    mode = ("reflect", "symmetric", "edge", "wrap")[trial % 4]
    shape = s.random_shape(rng, 1, 3)
    widths = tuple((int(rng.integers(0, 4)), int(rng.integers(0, 4))) for _ in shape)
    return _unary_trial(rng, shape, lambda a: ag.pad(a, widths, mode=mode),
                        f"{mode} pad={widths}")
