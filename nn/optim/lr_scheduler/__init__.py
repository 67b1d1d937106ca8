"""Learning-rate schedulers with PyTorch's names, arguments and formulas.

Call ``scheduler.step()`` once per epoch after ``optimizer.step()`` (``OneCycleLR``: once per
batch; ``ReduceLROnPlateau``: ``step(metric)``). Schedulers that scale the current learning
rate chain: step two of them on one optimizer and their factors multiply.
"""

from nn.optim.lr_scheduler.base import LRScheduler
from nn.optim.lr_scheduler.cosine import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    OneCycleLR,
)
from nn.optim.lr_scheduler.decay import ExponentialLR, LambdaLR, LinearLR, MultiStepLR, StepLR
from nn.optim.lr_scheduler.plateau import ReduceLROnPlateau
from nn.optim.lr_scheduler.sequential import SequentialLR

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR",
           "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
           "ReduceLROnPlateau", "SequentialLR"]
