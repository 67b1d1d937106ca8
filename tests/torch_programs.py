"""Random programs run side by side in autograd and PyTorch (tests/test_differential_torch.py).

A ``Program`` applies 2-5 ops, drawn by Hypothesis from ``OPS``, to a first leaf,
keeping each value in both libraries (``Value``). Leaves take values from a pool
with exact zeros and repeats, so singular points occur (relu/abs/sqrt/pow at 0,
ties of max/min/maximum/minimum, clip at its bounds).

Two implementations see slightly different intermediate values (rounding), so
an op is only applied where both make the same discrete decisions (the same relu
mask, the same tie set) and where ops with unbounded derivatives (sqrt, log,
fractional pow, std) see exact zeros in both or values of at least ``WELL_AWAY``;
otherwise another op is drawn. Intermediate values stay within ``MAGNITUDE``.
Where the two libraries legitimately differ (ours selects a 0 that torch multiplies into
NaN for an infinite upstream gradient; float32 saturation), the comparison is skipped,
each with a comment saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
from hypothesis import assume, event
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

torch = pytest.importorskip("torch")

MAGNITUDE = 50.0  # intermediate values stay within +-MAGNITUDE
WELL_AWAY = 0.125  # sqrt, log, fractional pow, std: exact 0, or at least this far from it
SPECIAL_VALUES = [0.0, 0.0, 1.0, -1.0, 0.5, -0.5, 2.0]  # zeros and ties on purpose


# ------------------------------------------------------------------ values in both libraries


@dataclass(eq=False)
class Value:
    """One value of the program, in both libraries."""

    ours: ag.Tensor
    theirs: torch.Tensor

    @property
    def shape(self) -> tuple:
        return tuple(self.ours.shape)

    @property
    def arrays(self) -> tuple:
        return self.ours.data, self.theirs.detach().numpy(force=True)


@dataclass
class Program:
    """The leaves, the description and the outputs excluded from infinite gradients."""

    data: st.DataObject
    dtype: type
    leaves: list = field(default_factory=list)
    values: list = field(default_factory=list)  # every value so far, leaves included
    lines: list = field(default_factory=list)
    # torch outputs of ops that must not receive a non-finite gradient: relu, clip, maximum,
    # minimum, tanh and pow with zero exponents multiply it by 0 (NaN; torch masks to 0, see
    # test_masking_ops_give_zero_not_nan_for_an_infinite_upstream_gradient), var and std send
    # inf - inf through the mean (see test_variance_passes_an_infinite_gradient_on_as_torch)
    finite_gradient_only: list = field(default_factory=list)
    first_order_only: bool = False  # a power with an exact-zero exponent: see zero_exponent()

    def elements(self, low: float = -2.0, high: float = 2.0) -> st.SearchStrategy:
        width = 32 if self.dtype == np.float32 else 64
        special = [v for v in SPECIAL_VALUES if low <= v <= high]
        return st.one_of(st.sampled_from(special), st.floats(low, high, width=width))

    def leaf(self, shape: tuple, low: float = -2.0, high: float = 2.0,
             random_signs: bool = False) -> Value:
        """A fresh leaf: values in [low, high] (times a random sign each, if asked)."""
        array = self.data.draw(hnp.arrays(self.dtype, shape, elements=self.elements(low, high)))
        if random_signs:
            signs = self.data.draw(hnp.arrays(np.int8, shape, elements=st.sampled_from([-1, 1])))
            array = (array * signs).astype(self.dtype)
        # no subnormal numbers (torch's vectorised kernels may flush them to zero, NumPy's
        # do not) and no -0.0 (the two libraries' clamp and sqrt treat the sign of zero
        # differently, both defensibly): those differences are not gradients' business
        array = np.where(np.abs(array) < np.finfo(self.dtype).tiny, 0, array).astype(self.dtype)
        value = Value(ag.Tensor(array.copy(), requires_grad=True),
                      torch.tensor(array.copy(), requires_grad=True))
        self.leaves.append(value)
        self.values.append(value)
        self.lines.append(f"value{len(self.values) - 1} = leaf{len(self.leaves) - 1} = "
                          f"{array.tolist()!r}")
        return value

    def draw(self, strategy: st.SearchStrategy):
        return self.data.draw(strategy)


def same(ours: np.ndarray, theirs: np.ndarray) -> bool:
    return bool(np.array_equal(ours, theirs))


def bounded(value: Value) -> bool:
    return all(np.all(np.isfinite(a)) and np.all(np.abs(a) <= MAGNITUDE) for a in value.arrays)


def well_away_from_zero(value: Value, allow_zero: bool) -> bool:
    """Each element is exactly 0 in both (if allowed), or >= WELL_AWAY in both."""
    return arrays_well_away_from_zero(*value.arrays, allow_zero)


def arrays_well_away_from_zero(ours: np.ndarray, theirs: np.ndarray, allow_zero: bool) -> bool:
    zero = (ours == 0) & (theirs == 0)
    away = (ours >= WELL_AWAY) & (theirs >= WELL_AWAY)
    return bool(np.all(away | (zero & allow_zero)))


def torch_axes(axis, ndim: int):
    return tuple(range(ndim)) if axis is None else axis


# ------------------------------------------------------------------ the ops


@dataclass
class Op:
    """An op: ``step(program, x)`` returns the next Value, or None if it cannot apply here."""

    name: str
    step: Callable
    min_ndim: int = 0


def unary(name: str, ours: Callable, theirs: Callable, guard=None,
          finite_gradient_only=False) -> Op:
    def step(program, x):
        if guard is not None and not guard(x):
            return None
        if name in ("relu", "abs", "sqrt") and np.any(x.arrays[0] == 0):
            event(f"singular point: {name} at 0")
        out = Value(ours(x.ours), theirs(x.theirs))
        if finite_gradient_only:
            program.finite_gradient_only.append(out.theirs)
        program.lines.append(f"{name}")
        return out
    return Op(name, step)


def same_sign(x: Value) -> bool:
    ours, theirs = x.arrays
    return same(np.sign(ours), np.sign(theirs))


ELEMENTWISE = [
    unary("exp", lambda t: t.exp(), lambda t: t.exp(),
          guard=lambda x: all(np.all(a <= 3.9) for a in x.arrays)),
    unary("log", lambda t: t.log(), lambda t: t.log(),
          guard=lambda x: well_away_from_zero(x, allow_zero=False)),
    unary("sin", lambda t: t.sin(), lambda t: t.sin()),
    unary("neg", lambda t: -t, lambda t: -t),
    unary("cos", lambda t: t.cos(), lambda t: t.cos()),
    # |x| <= 8: past it float32 tanh saturates to exactly 1 in one library and not the
    # other, and an infinite upstream gradient times 1 - tanh^2 is then NaN against inf
    unary("tanh", lambda t: t.tanh(), lambda t: t.tanh(),
          guard=lambda x: all(np.all(np.abs(a) <= 8) for a in x.arrays)),
    unary("sigmoid", lambda t: t.sigmoid(), lambda t: t.sigmoid()),
    unary("relu", lambda t: t.relu(), lambda t: t.relu(), guard=same_sign),
    unary("abs", lambda t: t.abs(), lambda t: t.abs(), guard=same_sign),
    # sqrt at exact 0: infinite derivative in both (a singular point we want)
    unary("sqrt", lambda t: t.sqrt(), lambda t: t.sqrt(),
          guard=lambda x: well_away_from_zero(x, allow_zero=True)),
]


def draw_axis(program: Program, ndim: int, allow_tuple: bool = True):
    choices = [None] + list(range(-ndim, ndim))
    axis = program.draw(st.sampled_from(choices))
    if allow_tuple and ndim >= 2 and program.draw(st.booleans()):
        axis = tuple(sorted(program.draw(st.lists(st.integers(0, ndim - 1), min_size=2,
                                                  max_size=ndim, unique=True))))
    return axis


def reduced_count(shape: tuple, axis) -> int:
    axes = range(len(shape)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    return int(np.prod([shape[a] for a in axes]))


def reduction(name: str) -> Op:
    """sum, mean, max, min, var, std, logsumexp over a drawn axis, keepdims drawn."""
    def step(program, x):
        axis = draw_axis(program, len(x.shape))
        keepdims = program.draw(st.booleans())
        dims = torch_axes(axis, len(x.shape))
        if name in ("max", "min"):
            ours_out = getattr(x.ours, name)(axis=axis, keepdims=keepdims)
            # torch.amax/amin: tied extremes share the gradient, as ours documents
            theirs_out = getattr(torch, "a" + name)(x.theirs, dim=dims, keepdim=keepdims)
            kept_ours = getattr(x.ours.data, name)(axis=axis, keepdims=True)
            kept_theirs = getattr(x.arrays[1], name)(axis=axis, keepdims=True)
            if not same(x.ours.data == kept_ours, x.arrays[1] == kept_theirs):
                return None  # the two tie sets differ by rounding
            if np.sum(x.ours.data == kept_ours) > kept_ours.size:
                event(f"singular point: tie in {name}")
        elif name in ("var", "std"):
            ddof = program.draw(st.sampled_from([0, 1]))
            if reduced_count(x.shape, axis) <= ddof:
                return None
            ours_out = getattr(x.ours, name)(axis=axis, ddof=ddof, keepdims=keepdims)
            theirs_out = getattr(x.theirs, name)(dim=dims, correction=ddof, keepdim=keepdims)
            # small (not zero) variances are ill-conditioned; constant data (variance 0)
            # is compared: both give a zero gradient. Its second derivative is not: torch's
            # is NaN there (the 0 of its masked first derivative times an inf), ours 0
            if name == "std" and not arrays_well_away_from_zero(
                    ours_out.data, theirs_out.detach().numpy(), allow_zero=True):
                return None
            if name == "std" and np.any(ours_out.data == 0):
                program.first_order_only = True
            if np.any(ours_out.data < 1e-6):
                # (near-)constant data: x - mean is exactly 0 in one library and a rounding
                # error in the other, so an infinite upstream gradient gives NaN against inf
                program.finite_gradient_only.append(theirs_out)
            axis = (axis, f"ddof={ddof}")
        elif name == "logsumexp":
            if axis is None or isinstance(axis, tuple):
                axis = program.draw(st.integers(-len(x.shape), len(x.shape) - 1))
            ours_out = ag.logsumexp(x.ours, axis=axis, keepdims=keepdims)
            theirs_out = torch.logsumexp(x.theirs, dim=axis, keepdim=keepdims)
        else:
            ours_out = getattr(x.ours, name)(axis=axis, keepdims=keepdims)
            theirs_out = getattr(x.theirs, name)(dim=dims, keepdim=keepdims)
        program.lines.append(f"{name}(axis={axis}, keepdims={keepdims})")
        if name in ("max", "min"):
            # an infinite upstream gradient: ours selects (0 off the maximum), torch.amax
            # multiplies by a 0/1 mask (NaN there); ours is the PyTorch-style selection
            # issue 11 asks for, so the two are not compared
            program.finite_gradient_only.append(theirs_out)
        return Value(ours_out, theirs_out)
    return Op(name, step, min_ndim=1)


def softmax_family(name: str) -> Op:
    def step(program, x):
        axis = program.draw(st.integers(-len(x.shape), len(x.shape) - 1))
        program.lines.append(f"{name}(axis={axis})")
        return Value(getattr(ag, name)(x.ours, axis=axis), getattr(torch, name)(x.theirs, axis))
    return Op(name, step, min_ndim=1)


def broadcast_partner(program: Program, shape: tuple) -> tuple:
    """A shape that broadcasts with ``shape``: same, a suffix, some 1s, 0-d, or one more axis."""
    kind = program.draw(st.sampled_from(["same", "suffix", "ones", "scalar", "extra"]))
    if kind == "suffix":
        return shape[program.draw(st.integers(0, len(shape))):]
    if kind == "ones":
        return tuple(1 if program.draw(st.booleans()) else n for n in shape)
    if kind == "scalar":
        return ()
    if kind == "extra" and len(shape) < 3:
        return (program.draw(st.integers(1, 3)),) + shape
    return shape


def binary(name: str, ours: Callable, theirs: Callable, finite_gradient_only: bool = False) -> Op:
    """``x op y`` or ``y op x``: ``y`` a fresh leaf that broadcasts with ``x``, or an earlier
    value of the program (``x`` itself included), so the graph fans out and gradients add up."""
    def step(program, x):
        shape = broadcast_partner(program, x.shape)
        earlier = [v for v in program.values if broadcasts(v.shape, x.shape)]
        if name != "div" and program.draw(st.booleans()):
            y = program.draw(st.sampled_from(earlier))
        elif name in ("maximum", "minimum") and program.draw(st.booleans()):
            y = tie_partner(program, x, shape)  # ties on purpose
        elif name == "div":  # denominators at least 0.5 away from 0
            y = program.leaf(shape, 0.5, 2.0, random_signs=True)
        else:
            y = program.leaf(shape)
        left, right = (x, y) if name == "div" or program.draw(st.booleans()) else (y, x)
        if name in ("maximum", "minimum"):
            ours_diff = np.sign(left.arrays[0] - right.arrays[0])
            theirs_diff = np.sign(left.arrays[1] - right.arrays[1])
            if not same(ours_diff, theirs_diff):
                return None
            if np.any(ours_diff == 0):
                event(f"singular point: tie in {name}")
        out = Value(ours(left.ours, right.ours), theirs(left.theirs, right.theirs))
        if finite_gradient_only:
            program.finite_gradient_only.append(out.theirs)
        order = "x, y" if left is x else "y, x"
        program.lines.append(f"{name}({order}) with y = value{program.values.index(y)}")
        return out
    return Op(name, step)


def broadcasts(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def tie_partner(program: Program, x: Value, shape: tuple) -> Value:
    """A fresh leaf equal to ``x`` (broadcast down to ``shape``) where a drawn mask says so."""
    source = x.arrays[0]
    if shape != x.shape:
        return program.leaf(shape)
    drawn = program.draw(hnp.arrays(program.dtype, shape, elements=program.elements()))
    copy = program.draw(hnp.arrays(np.bool_, shape))
    array = np.where(copy, source, drawn).astype(program.dtype)
    value = Value(ag.Tensor(array.copy(), requires_grad=True),
                  torch.tensor(array.copy(), requires_grad=True))
    program.leaves.append(value)
    program.values.append(value)
    program.lines.append(f"value{len(program.values) - 1} = leaf{len(program.leaves) - 1} = "
                         f"{array.tolist()!r}")
    return value


def zero_exponent(program: Program, out: Value) -> None:
    """A power with exact-zero exponents: torch's backward masks them.

    ``d/da a**b = where(b == 0, 0, b * a**(b - 1))`` in both; but the derivative of that
    gradient with respect to ``b`` is 0 in torch, while the true value is
    ``a**(b - 1) = 1/a`` (ours): second derivatives are not compared.
    """
    program.first_order_only = True


def power_step(program, x):
    """``x ** c``, ``c ** x`` or ``x ** y`` / ``y ** x`` with a fresh leaf."""
    kind = program.draw(st.sampled_from(["constant exponent", "constant base", "leaf exponent",
                                         "leaf base"]))
    if kind == "constant exponent":
        exponent = program.draw(st.sampled_from([2.0, 3.0, 0.5, -1.0, 0.0]))
        if exponent == 0.5 and not well_away_from_zero(x, allow_zero=True):
            return None
        # -0.0 ** 0.5: torch computes it as sqrt, whose gradient 1 / (2 * sqrt(-0.0)) is -inf;
        # ours, from the power rule 0.5 * (-0.0) ** -0.5, is +inf (as for +0.0). Both are
        # defensible limits of a signed zero; a finding reported, not compared.
        if exponent == 0.5 and any(np.any((a == 0) & np.signbit(a)) for a in x.arrays):
            return None
        if exponent == -1.0 and not all(np.all(np.abs(a) >= 0.5) for a in x.arrays):
            return None
        if np.any(x.arrays[0] == 0):
            event(f"singular point: 0 ** {exponent}")
        program.lines.append(f"x ** {exponent}")
        out = Value(x.ours ** exponent, x.theirs ** exponent)
        if exponent == 0.0:
            zero_exponent(program, out)
        return out
    if kind == "constant base":
        base = program.draw(st.sampled_from([0.5, 2.0, 3.0]))
        program.lines.append(f"{base} ** x")
        return Value(base ** x.ours, base ** x.theirs)
    shape = broadcast_partner(program, x.shape)
    if kind == "leaf exponent":
        if not well_away_from_zero(x, allow_zero=True):  # 0 ** y: torch's masked gradient
            return None
        y = program.leaf(shape)
        program.lines.append(f"x ** leaf{len(program.leaves) - 1}")
        out = Value(x.ours ** y.ours, x.theirs ** y.theirs)
        if np.any(x.arrays[0] == 0):
            # d/dy 0**y: torch multiplies the upstream gradient by its masked 0 (NaN for
            # an infinite one); ours selects 0, as issue 11 asks: not compared then
            program.finite_gradient_only.append(out.theirs)
            # and d2/dy2 0**y: torch's double backward differentiates the unmasked
            # 0**y * log(0) (NaN); ours is the limit 0. Compared to first order only.
            program.first_order_only = True
        if np.any(y.arrays[0] == 0):
            zero_exponent(program, out)
        return out
    y = program.leaf(shape, WELL_AWAY, 2.0)
    program.lines.append(f"leaf{len(program.leaves) - 1} ** x")
    out = Value(y.ours ** x.ours, y.theirs ** x.theirs)
    if any(np.any(a == 0) for a in x.arrays):
        zero_exponent(program, out)
    return out


def clip_step(program, x):
    ours_data = x.arrays[0]
    bounds = [program.draw(st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]))
              if program.draw(st.booleans()) else float(program.draw(st.sampled_from(
                  ours_data.ravel().tolist()))) for _ in range(2)]  # bounds hit data: ties
    low, high = min(bounds), max(bounds)
    low, high = program.draw(st.sampled_from([(low, high), (low, None), (None, high)]))
    for bound in (low, high):
        if bound is not None and not same(np.sign(x.arrays[0] - bound),
                                          np.sign(x.arrays[1] - bound)):
            return None
    if any(np.any(x.arrays[0] == bound) for bound in (low, high) if bound is not None):
        event("singular point: clip at a bound")
    out = Value(x.ours.clip(low, high), x.theirs.clamp(low, high))
    program.lines.append(f"clip({low}, {high})")
    return out


def matmul_step(program, x):
    size = program.draw(st.integers(1, 4))
    if program.draw(st.booleans()) or len(x.shape) > 2:  # x @ y
        y = program.leaf((x.shape[-1], size))
        program.lines.append(f"x @ leaf{len(program.leaves) - 1}")
        return Value(x.ours @ y.ours, x.theirs @ y.theirs)
    y = program.leaf((size, x.shape[0]))  # y @ x
    program.lines.append(f"leaf{len(program.leaves) - 1} @ x")
    return Value(y.ours @ x.ours, y.theirs @ x.theirs)


def where_step(program, x):
    shape = broadcast_partner(program, x.shape)
    y = program.leaf(shape)
    full = np.broadcast_shapes(x.shape, shape)
    mask = program.draw(hnp.arrays(np.bool_, program.draw(st.sampled_from([full, full[1:]]))))
    program.lines.append(f"where({mask.tolist()}, x, leaf{len(program.leaves) - 1})")
    return Value(ag.where(mask, x.ours, y.ours), torch.where(torch.tensor(mask), x.theirs,
                                                              y.theirs))


def reshape_step(program, x):
    size = int(np.prod(x.shape))
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    d = program.draw(st.sampled_from(divisors))
    shape = program.draw(st.sampled_from([(size,), (d, size // d), (size // d, 1, d)]))
    program.lines.append(f"reshape{shape}")
    return Value(x.ours.reshape(shape), x.theirs.reshape(shape))


def transpose_step(program, x):
    axes = tuple(program.draw(st.permutations(range(len(x.shape)))))
    program.lines.append(f"transpose{axes}")
    return Value(x.ours.transpose(axes), x.theirs.permute(axes))


def index_step(program, x):
    kind = program.draw(st.sampled_from(["int", "slice", "int array", "bool mask"]))
    n = x.shape[0]
    if kind == "int":
        index = program.draw(st.integers(-n, n - 1))
        ours_index = theirs_index = index
    elif kind == "slice":
        axis = program.draw(st.integers(0, len(x.shape) - 1))
        start = program.draw(st.integers(0, x.shape[axis] - 1))
        step = program.draw(st.integers(1, 2))
        index = (slice(None),) * axis + (slice(start, None, step),)
        ours_index = theirs_index = index
    elif kind == "int array":  # repeated indices: their gradients add up
        index = np.array(program.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)))
        ours_index, theirs_index = index, torch.tensor(index)
    else:
        index = program.draw(hnp.arrays(np.bool_, x.shape))
        if not index.any():
            return None
        ours_index, theirs_index = index, torch.tensor(index)
    program.lines.append(f"x[{index!r}]" if kind != "bool mask" else f"x[{index.tolist()}]")
    return Value(x.ours[ours_index], x.theirs[theirs_index])


OPS = ELEMENTWISE + [reduction(name) for name in
                     ("sum", "mean", "max", "min", "var", "std", "logsumexp")] + [
    softmax_family("softmax"), softmax_family("log_softmax"),
    binary("add", lambda a, b: a + b, lambda a, b: a + b),
    binary("sub", lambda a, b: a - b, lambda a, b: a - b),
    binary("mul", lambda a, b: a * b, lambda a, b: a * b),
    binary("div", lambda a, b: a / b, lambda a, b: a / b),
    binary("maximum", ag.maximum, torch.maximum),
    binary("minimum", ag.minimum, torch.minimum),
    Op("pow", power_step), Op("clip", clip_step), Op("matmul", matmul_step, min_ndim=1),
    Op("where", where_step), Op("reshape", reshape_step),
    Op("transpose", transpose_step, min_ndim=2), Op("index", index_step, min_ndim=1),
]


# ------------------------------------------------------------------ running and comparing


def draw_program(program: Program) -> Value:
    """Apply 2-5 ops to a first leaf; each op is redrawn until one applies."""
    shape = program.draw(st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple))
    x = program.leaf(shape)
    length = program.draw(st.integers(2, 5))
    applied = 0
    while applied < length:
        candidates = [op for op in OPS if len(x.shape) >= op.min_ndim]
        for _ in range(8):
            op = program.draw(st.sampled_from(candidates))
            out = op.step(program, x)
            if out is not None and bounded(out):
                break
            if out is not None:
                program.lines.append("  (out of range: redrawn)")
        else:
            assume(False)
        event(f"op: {op.name}")
        program.values.append(out)
        program.lines[-1] = f"value{len(program.values) - 1} = {program.lines[-1]}"
        x, applied = out, applied + 1
    return x


def upstream_gradient(program: Program, shape: tuple) -> np.ndarray:
    """Random, and sometimes with +-inf entries."""
    g = program.draw(hnp.arrays(program.dtype, shape, elements=program.elements()))
    if program.draw(st.integers(0, 5)) == 0:
        infinite = program.draw(hnp.arrays(np.int8, shape, elements=st.sampled_from([-1, 0, 1])))
        g = np.where(infinite != 0, np.copysign(np.inf, infinite), g).astype(program.dtype)
    return g
