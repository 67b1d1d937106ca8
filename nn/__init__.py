"""nn: layers, losses, optimizers and training utilities built on ``autograd``."""

from nn.conv import Conv2d
from nn.dropout import Dropout
from nn.norm import BatchNorm1d, BatchNorm2d, LayerNorm
from nn.pooling import AvgPool2d, MaxPool2d

__all__ = [
    "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d", "Dropout", "LayerNorm", "MaxPool2d",
]
