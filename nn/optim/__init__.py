"""Optimizers (SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, NAdam, RAdam) and
learning-rate schedulers, with PyTorch's constructor arguments, defaults and update formulas.

Write your own by subclassing :class:`Optimizer` (see ``docs/optimizers.md``).
"""

from nn.optim import lr_scheduler
from nn.optim.adadelta import Adadelta
from nn.optim.adagrad import Adagrad
from nn.optim.adam import Adam, AdamW
from nn.optim.adamax import Adamax
from nn.optim.nadam import NAdam
from nn.optim.optimizer import Optimizer
from nn.optim.radam import RAdam
from nn.optim.rmsprop import RMSprop
from nn.optim.sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer",
           "RAdam", "RMSprop", "lr_scheduler"]
