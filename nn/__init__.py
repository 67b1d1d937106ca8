"""nn: layers, losses, optimizers and training utilities built on ``autograd``."""

from nn import data, datasets, functional, init, metrics, optim, parallel, utils
from nn.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from nn.conv import Conv2d
from nn.dropout import Dropout
from nn.embedding import Embedding
from nn.linear import MLP, Flatten, Identity, Linear
from nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from nn.module import Module, ModuleList, Parameter, Sequential
from nn.norm import BatchNorm1d, BatchNorm2d, LayerNorm
from nn.parallel.sync_batchnorm import SyncBatchNorm
from nn.pooling import AvgPool2d, MaxPool2d
from nn.serialization import load, save
from nn.training import evaluate, fit, predict

__all__ = [
    "functional", "init", "Module", "ModuleList", "Parameter", "Sequential", "Linear",
    "Identity", "Flatten", "MLP", "Embedding", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU",
    "Softmax", "LogSoftmax", "MSELoss", "L1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss",
    "BCELoss", "BCEWithLogitsLoss", "save", "load",
    "optim", "utils",
    "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout",
    "data", "datasets", "metrics", "fit", "evaluate", "predict",
    "parallel", "SyncBatchNorm",
]
