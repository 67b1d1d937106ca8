"""Self-check rows for the nn losses (each with ``reduction`` cycling mean / sum / none).

Where PyTorch differentiates a loss with respect to its target too (the
regression losses, BCE with logits), the target is a checked input as well.
Inputs stay away from each loss's kinks: ``|input - target|`` away from 0
for L1 and from ``delta`` for Huber; probabilities inside (0.05, 0.95) for BCE.
"""

from __future__ import annotations

import numpy as np

import nn
from autograd.selfcheck import sampling as s
from autograd.selfcheck.cases import Case
from autograd.selfcheck.sampling import Trial

REDUCTIONS = ("mean", "sum", "none")


def _regression(loss_name: str, kinks=(), **settings):
    def build(nn, rng, trial):
        shape = s.unary_shape(rng, trial + 1)
        reduction = REDUCTIONS[trial % 3]
        loss = getattr(nn, loss_name)(reduction=reduction, **settings)
        prediction = s.normal(rng, shape)
        gap = s.away_from(rng.uniform(-2.0, 2.0, shape), kinks, gap=0.1)
        return Trial(loss, (s.leaf(prediction), s.leaf(prediction + gap)),
                     f"{loss_name}({reduction}, {settings}) {s.describe(shape)}")
    return build


CROSS_ENTROPY_KINDS = ("labels", "k-dim labels", "weight+ignore_index", "label_smoothing",
                       "probabilities")


def _classification_input(rng, trial: int) -> tuple:
    batch, classes = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    extra = (int(rng.integers(1, 4)),) if trial % len(CROSS_ENTROPY_KINDS) == 1 else ()
    return (batch, classes) + extra, rng.integers(0, classes, (batch,) + extra)


def _cross_entropy(nn, rng, trial):
    kind = CROSS_ENTROPY_KINDS[trial % len(CROSS_ENTROPY_KINDS)]
    shape, labels = _classification_input(rng, trial)
    reduction = REDUCTIONS[trial % 3]
    settings = {}
    if kind == "weight+ignore_index":
        settings = dict(weight=rng.uniform(0.5, 2.0, shape[1]), ignore_index=int(labels.flat[0]))
        if (labels != labels.flat[0]).sum() == 0:
            settings.pop("ignore_index")  # a mean over no labels is NaN, as in PyTorch
    elif kind == "label_smoothing":
        settings = dict(label_smoothing=0.1)
    target = labels
    if kind == "probabilities":
        target = rng.dirichlet(np.ones(shape[1]), shape[0])
    loss = nn.CrossEntropyLoss(reduction=reduction, **settings)
    return Trial(lambda x: loss(x, target), (s.leaf(s.normal(rng, shape)),),
                 f"CrossEntropyLoss({reduction}, {kind}) {shape}")


def _nll(nn, rng, trial):
    shape, labels = _classification_input(rng, trial)
    reduction = REDUCTIONS[trial % 3]
    weight = rng.uniform(0.5, 2.0, shape[1]) if trial % 2 else None
    loss = nn.NLLLoss(weight=weight, reduction=reduction)
    return Trial(lambda x: loss(x, labels), (s.leaf(s.normal(rng, shape)),),
                 f"NLLLoss({reduction}, weight={weight is not None}) {shape}")


def _bce(nn, rng, trial):
    shape = s.unary_shape(rng, trial + 1)
    reduction = REDUCTIONS[trial % 3]
    weight = rng.uniform(0.5, 2.0, shape) if trial % 2 else None
    loss = nn.BCELoss(weight=weight, reduction=reduction)
    target = rng.uniform(0.0, 1.0, shape)
    return Trial(lambda x: loss(x, target), (s.leaf(rng.uniform(0.05, 0.95, shape)),),
                 f"BCELoss({reduction}, weight={weight is not None}) {s.describe(shape)}")


def _bce_with_logits(nn, rng, trial):
    shape = s.random_shape(rng, 1, 3)
    reduction = REDUCTIONS[trial % 3]
    pos_weight = rng.uniform(0.5, 3.0, shape[-1]) if trial % 2 else None
    loss = nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=pos_weight)
    inputs = (s.leaf(3 * s.normal(rng, shape)), s.leaf(rng.uniform(0.0, 1.0, shape)))
    return Trial(loss, inputs,
                 f"BCEWithLogitsLoss({reduction}, pos_weight={pos_weight is not None}) {shape}")


LOSSES = [  # (row name, nn attribute, ops exercised, builder)
    ("nn.MSELoss", "MSELoss", (), _regression("MSELoss")),
    ("nn.L1Loss", "L1Loss", (), _regression("L1Loss", kinks=(0.0,))),
    ("nn.HuberLoss", "HuberLoss", (), _regression("HuberLoss", kinks=(-0.5, 0.5), delta=0.5)),
    ("nn.CrossEntropyLoss", "CrossEntropyLoss", ("cross_entropy",), _cross_entropy),
    ("nn.NLLLoss", "NLLLoss", (), _nll),
    ("nn.BCELoss", "BCELoss", ("binary_cross_entropy",), _bce),
    ("nn.BCEWithLogitsLoss", "BCEWithLogitsLoss", ("binary_cross_entropy_with_logits",),
     _bce_with_logits),
]


CASES = [Case(name, ops, lambda rng, trial, build=build: build(nn, rng, trial))
         for name, _, ops, build in LOSSES]
