"""Self-check rows for the nn losses (each with ``reduction`` cycling mean / sum / none).

Where PyTorch differentiates a loss with respect to its target too (the
regression losses, BCE with logits), the target is a checked input as well.
Inputs stay away from each loss's kinks: ``|input - target|`` away from 0
for L1 and from ``delta`` for Huber; probabilities inside (0.05, 0.95) for BCE.
"""

from __future__ import annotations

import warnings

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


# ------------------------------------------------------------------ more losses (issue 14)

KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def _kl_div(nn, rng, trial):
    """Log-probabilities and a target (probabilities, or log-probabilities), both checked."""
    shape = s.unary_shape(rng, trial + 1)
    reduction, log_target = KL_REDUCTIONS[trial % 4], trial % 2 == 1
    loss = nn.KLDivLoss(reduction=reduction, log_target=log_target)
    target = s.normal(rng, shape) if log_target else rng.uniform(0.1, 1.0, shape)

    def quiet(x, t):
        with warnings.catch_warnings():  # reduction='mean' warns, as PyTorch
            warnings.simplefilter("ignore", UserWarning)
            return loss(x, t)

    return Trial(quiet, (s.leaf(s.normal(rng, shape)), s.leaf(target)),
                 f"KLDivLoss({reduction}, log_target={log_target}) {s.describe(shape)}")


def _cosine_embedding(nn, rng, trial):
    """Pairs (N, D) or one pair (D,); a -1 label only where cos - margin is away from 0."""
    margin = (0.0, 0.3, -0.2)[trial % 3]
    size = int(rng.integers(1, 4))
    shape = (int(rng.integers(1, 4)), size) if trial % 2 == 0 else (size,)
    x1, x2 = s.normal(rng, shape), s.normal(rng, shape)
    cosine = (x1 * x2).sum(-1) / np.sqrt((x1 * x1).sum(-1) * (x2 * x2).sum(-1))
    labels = np.where((rng.random(cosine.shape) < 0.6) & (np.abs(cosine - margin) > 0.1), -1, 1)
    loss = nn.CosineEmbeddingLoss(margin, reduction=REDUCTIONS[trial % 3])
    return Trial(lambda a, b: loss(a, b, labels), (s.leaf(x1), s.leaf(x2)),
                 f"CosineEmbeddingLoss({margin}, {loss.reduction}) {shape} labels {labels}")


def _margin_ranking(nn, rng, trial):
    """input1, input2 and target all checked; -y (x1 - x2) + margin away from 0."""
    shape = s.unary_shape(rng, trial + 1)
    margin = (0.0, 0.5)[trial % 2]
    target = rng.choice([-1.0, 1.0], shape)
    hinge = s.away_from(rng.uniform(-2.0, 2.0, shape), [0.0], gap=0.1)
    x2 = s.normal(rng, shape)
    x1 = x2 + (margin - hinge) / target  # so that -y (x1 - x2) + margin = hinge
    loss = nn.MarginRankingLoss(margin, reduction=REDUCTIONS[trial % 3])
    return Trial(loss, (s.leaf(x1), s.leaf(x2), s.leaf(target)),
                 f"MarginRankingLoss({margin}, {loss.reduction}) {s.describe(shape)}")


LOSSES = [  # (row name, nn attribute, ops exercised, builder)
    ("nn.MSELoss", "MSELoss", (), _regression("MSELoss")),
    ("nn.L1Loss", "L1Loss", (), _regression("L1Loss", kinks=(0.0,))),
    ("nn.HuberLoss", "HuberLoss", (), _regression("HuberLoss", kinks=(-0.5, 0.5), delta=0.5)),
    ("nn.CrossEntropyLoss", "CrossEntropyLoss", ("cross_entropy",), _cross_entropy),
    ("nn.NLLLoss", "NLLLoss", (), _nll),
    ("nn.BCELoss", "BCELoss", ("binary_cross_entropy",), _bce),
    ("nn.BCEWithLogitsLoss", "BCEWithLogitsLoss", ("binary_cross_entropy_with_logits",),
     _bce_with_logits),
    # more losses (issue 14)
    ("nn.KLDivLoss", "KLDivLoss", ("kl_div",), _kl_div),
    ("nn.SmoothL1Loss", "SmoothL1Loss", ("smooth_l1",),
     _regression("SmoothL1Loss", kinks=(-0.5, 0.5), beta=0.5)),
    ("nn.CosineEmbeddingLoss", "CosineEmbeddingLoss", (), _cosine_embedding),
    ("nn.MarginRankingLoss", "MarginRankingLoss", (), _margin_ranking),
]


CASES = [Case(name, ops, lambda rng, trial, build=build: build(nn, rng, trial))
         for name, _, ops, build in LOSSES]
