"""The table of every differentiable primitive: how to call it, on which shapes and values.

Shared by the gradcheck tests and ``python -m autograd.selfcheck``-style runs.
A case lists the registered op names it exercises (``ops``); the coverage test
fails when a registered op appears in no case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import autograd as ag
from autograd.ops.conv import conv2d, fold, unfold
from autograd.ops.index import IndexAdd
from autograd.ops.loss import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    Erf,
    Gelu,
    Linear,
)
from autograd.ops.norm import normalize
from autograd.ops.pool import avg_pool2d, max_pool2d


@dataclass
class Case:
    ops: tuple  # registered op names exercised
    fn: Callable
    shapes: list  # list of input-shape tuples, one tuple of shapes per variant
    domain: str = "real"  # "real", "positive", "distinct" (no ties), "away_from_zero"
    second_order: bool = True
    id: str = field(default="")

    def label(self) -> str:
        return self.id or "+".join(self.ops)


def make_inputs(shapes, domain: str, rng: np.random.Generator) -> list:
    """Random float64 leaves requiring grad, away from the op's non-differentiable points."""
    tensors = []
    for shape in shapes:
        size = int(np.prod(shape))
        if domain == "positive":
            values = rng.uniform(0.5, 2.0, size)
        elif domain == "distinct":
            values = rng.permutation(size) * 0.37 + rng.uniform(-0.1, 0.1) - size * 0.15
        elif domain == "away_from_zero":
            values = rng.uniform(0.3, 1.5, size) * rng.choice([-1.0, 1.0], size)
        else:
            values = rng.standard_normal(size)
        tensors.append(ag.Tensor(values.reshape(shape), requires_grad=True))
    return tensors


BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)), ((5,), ())]
UNARY_SHAPES = [((3, 4),), ((),), ((2, 1, 3),)]
REDUCE_SHAPES = [((3, 4),), ((2, 3, 4),), ((5,),)]

CASES = [
    Case(("add",), lambda a, b: a + b, BINARY_SHAPES),
    Case(("sub",), lambda a, b: a - b, BINARY_SHAPES),
    Case(("mul",), lambda a, b: a * b, BINARY_SHAPES),
    Case(("div",), lambda a, b: a / b, BINARY_SHAPES, domain="away_from_zero"),
    Case(("pow",), lambda a, b: a**b, BINARY_SHAPES, domain="positive"),
    Case(("pow",), lambda a: a**3, UNARY_SHAPES, id="pow-scalar-exponent"),
    Case(("pow",), lambda a: 2.0**a, UNARY_SHAPES, id="pow-reflected"),
    Case(("add", "sub", "mul", "div"), lambda a: (1 - a) * 2 / (3 + a * a) + 0.5 / (a * a + 1),
         UNARY_SHAPES, id="reflected-scalars"),
    Case(("maximum",), ag.maximum, BINARY_SHAPES, domain="distinct"),
    Case(("minimum",), ag.minimum, BINARY_SHAPES, domain="distinct"),
    Case(("neg",), lambda a: -a, UNARY_SHAPES),
    Case(("exp",), ag.exp, UNARY_SHAPES),
    Case(("log",), ag.log, UNARY_SHAPES, domain="positive"),
    Case(("sqrt",), ag.sqrt, UNARY_SHAPES, domain="positive"),
    Case(("abs",), ag.abs, UNARY_SHAPES, domain="away_from_zero"),
    Case(("tanh",), ag.tanh, UNARY_SHAPES),
    Case(("sigmoid",), ag.sigmoid, UNARY_SHAPES),
    Case(("relu",), ag.relu, UNARY_SHAPES, domain="away_from_zero"),
    Case(("sin",), ag.sin, UNARY_SHAPES),
    Case(("cos",), ag.cos, UNARY_SHAPES),
    Case(("clip",), lambda a: ag.clip(a, -0.5, 0.7), UNARY_SHAPES, domain="distinct"),
    Case(("clip",), lambda a: a.clip(a_min=0.1), UNARY_SHAPES, domain="distinct",
         id="clip-lower-only"),
    Case(("sum",), lambda a: a.sum(), REDUCE_SHAPES),
    Case(("sum",), lambda a: a.sum(axis=-1, keepdims=True), REDUCE_SHAPES, id="sum-axis-keepdims"),
    Case(("sum",), lambda a: a.sum(axis=(0, -1)), [((3, 4),), ((2, 3, 4),)], id="sum-tuple-axes"),
    Case(("mean",), lambda a: a.mean(axis=0), REDUCE_SHAPES),
    Case(("mean",), lambda a: a.mean(), REDUCE_SHAPES + [((),)], id="mean-all"),
    Case(("max",), lambda a: a.max(axis=-1), REDUCE_SHAPES, domain="distinct"),
    Case(("max",), lambda a: a.max(), REDUCE_SHAPES, domain="distinct", id="max-all"),
    Case(("min",), lambda a: a.min(axis=0, keepdims=True), REDUCE_SHAPES, domain="distinct"),
    Case(("mean", "sub", "mul", "sum", "div"), lambda a: a.var(axis=-1, ddof=1), REDUCE_SHAPES,
         id="var"),
    Case(("sqrt",), lambda a: a.std(axis=0), [((4, 3),), ((5,),)], id="std"),
    Case(("reshape",), lambda a: a.reshape(-1, 2), [((3, 4),), ((2, 3, 2),)]),
    Case(("reshape",), lambda a: a.flatten(), [((3, 4),)], id="flatten"),
    Case(("reshape",), lambda a: a.squeeze(1), [((3, 1, 4),)], id="squeeze"),
    Case(("reshape",), lambda a: ag.expand_dims(a, 0), [((3, 4),)], id="expand_dims"),
    Case(("transpose",), lambda a: a.transpose(), [((3, 4),), ((2, 3, 4),)]),
    Case(("transpose",), lambda a: a.transpose(1, 2, 0), [((2, 3, 4),)], id="transpose-axes"),
    Case(("transpose",), lambda a: a.T, [((3, 4),)], id="T"),
    Case(("transpose",), lambda a: a.swapaxes(0, -1), [((2, 3, 4),)], id="swapaxes"),
    Case(("broadcast_to",), lambda a: a.broadcast_to((2, 3, 4)), [((3, 1),), ((4,),), ((),)]),
    # longdouble holds every float64 exactly, so finite differences stay exact
    Case(("astype",), lambda a: (a.astype(np.longdouble) * 2).astype(np.float64), UNARY_SHAPES),
    Case(("getitem",), lambda a: a[1:, ::2], [((4, 5),)], id="getitem-slices"),
    Case(("getitem",), lambda a: a[..., 0, None], [((2, 3, 4),)], id="getitem-ellipsis"),
    Case(("getitem",), lambda a: a[np.array([0, 2, 0, 0])], [((3, 4),)],
         id="getitem-repeated-int-array"),
    Case(("getitem",), lambda a: a[a.data > 0.2], [((3, 4),)], id="getitem-bool-mask"),
    Case(("getitem",), lambda a: a[[1, 0], [2, 2]], [((3, 4),)], id="getitem-fancy-pairs"),
    Case(("index_add",),
         lambda g: IndexAdd.apply(g, index=np.array([0, 2, 0]), shape=(4, 2)), [((3, 2),)]),
    Case(("matmul",), ag.matmul,
         [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((2, 2, 3), (3, 4)),
          ((2, 1, 2, 3), (3, 3, 2)), ((3,), (2, 3, 4))]),
    Case(("concatenate",), lambda a, b: ag.concatenate([a, b], axis=1),
         [((2, 3), (2, 4)), ((2, 1, 2), (2, 3, 2))]),
    Case(("stack",), lambda a, b: ag.stack([a, b], axis=-1), [((2, 3), (2, 3)), ((), ())]),
    Case(("where",), lambda a, b: ag.where(a.data > b.data, a, b), BINARY_SHAPES),
    Case(("pad",), lambda a: ag.pad(a, ((1, 0), (2, 1))), [((2, 3),)]),
    Case(("pad",), lambda a: ag.pad(a, 1, constant_values=0.5), [((3,),), ((2, 2, 2),)],
         id="pad-int"),
    Case(("softmax",), lambda a: ag.softmax(a), [((3, 4),), ((5,),), ((2, 3, 4),)]),
    Case(("softmax",), lambda a: ag.softmax(a, axis=0), [((3, 4),)], id="softmax-axis0"),
    Case(("log_softmax",), lambda a: ag.log_softmax(a, axis=-1), [((3, 4),), ((5,),)]),
    Case(("log_softmax",), lambda a: ag.log_softmax(a, axis=1), [((2, 3, 4),)],
         id="log_softmax-axis1"),
    Case(("logsumexp",), lambda a: ag.logsumexp(a), [((3, 4),), ((5,),)]),
    Case(("logsumexp",), lambda a: ag.logsumexp(a, axis=(0, 2), keepdims=True), [((2, 3, 4),)],
         id="logsumexp-tuple-keepdims"),
    Case(("linear",), Linear.apply, [((4, 3), (2, 3), (2,)), ((2, 5, 3), (2, 3), (2,)),
                                     ((3,), (2, 3), (2,)), ((4, 3), (2, 3))]),
    Case(("erf",), Erf.apply, UNARY_SHAPES),
    Case(("gelu",), Gelu.apply, UNARY_SHAPES),
    Case(("cross_entropy",),
         lambda z: CrossEntropy.apply(z, target=np.array([0, 2, -100, 1]),
                                      weight=np.array([0.5, 2.0, 1.5]), label_smoothing=0.1),
         [((4, 3),)]),
    Case(("cross_entropy",),
         lambda z: CrossEntropy.apply(z, target=np.array([[0, 2], [1, 1]]), reduction="none"),
         [((2, 3, 2),)], id="cross_entropy-spatial-none"),
    Case(("binary_cross_entropy_with_logits",), BinaryCrossEntropyWithLogits.apply,
         [((3, 4), (3, 4)), ((3, 4), (3, 4), (4,))]),
    Case(("binary_cross_entropy", "sigmoid"),
         lambda x, y: BinaryCrossEntropy.apply(ag.sigmoid(x), y), [((3, 4), (3, 4))]),
    Case(("conv2d",), lambda x, w, b: conv2d(x, w, b, stride=(2, 1), padding=1),
         [((2, 2, 5, 4), (3, 2, 3, 2), (3,))], id="conv2d-stride-padding"),
    Case(("conv2d",), lambda x, w: conv2d(x, w), [((1, 2, 4, 4), (2, 2, 3, 3))],
         id="conv2d-no-bias"),
    Case(("unfold",), lambda x: unfold(x, (2, 3), stride=(1, 2), padding=1), [((1, 2, 3, 4),)]),
    Case(("fold",), lambda c: fold(c, (3, 4), (2, 3), stride=(1, 2), padding=1),
         [((1, 12, 8),)]),
    Case(("max_pool2d",), lambda x: max_pool2d(x, 3, stride=2, padding=1), [((2, 2, 5, 5),)],
         domain="distinct"),
    Case(("max_pool2d",), lambda x: max_pool2d(x, 2), [((1, 3, 4, 6),)], domain="distinct",
         id="max_pool2d-disjoint"),
    Case(("avg_pool2d",), lambda x: avg_pool2d(x, 3, stride=2, padding=1), [((2, 2, 5, 5),)]),
    Case(("avg_pool2d",), lambda x: avg_pool2d(x, (2, 3), padding=1, count_include_pad=False),
         [((1, 2, 4, 5),)], id="avg_pool2d-exclude-pad"),
    Case(("normalize",), lambda x: normalize(x, (0, 2)), [((3, 2, 4),), ((4, 3, 2, 2),)]),
    Case(("normalize",), lambda x: normalize(x, -1), [((3, 5),)], id="normalize-last-axis"),
]
