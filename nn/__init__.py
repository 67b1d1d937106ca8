"""nn: layers, losses, optimizers and training utilities built on ``autograd``."""

import os as _os

from autograd.anomaly import register_library as _register_library
from autograd.serialization import load, save  # ag.save / ag.load, the same functions
from nn import data, datasets, functional, init, metrics, optim, parallel, utils
from nn.activation import (
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
)
from nn.attention import MultiheadAttention, TransformerEncoder, TransformerEncoderLayer
from nn.containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from nn.conv import Conv1d, Conv2d, ConvTranspose2d
from nn.dropout import Dropout, Dropout2d
from nn.embedding import Embedding
from nn.linear import MLP, Flatten, Identity, Linear
from nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from nn.module import Module, Parameter
from nn.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from nn.parallel.sync_batchnorm import SyncBatchNorm
from nn.plotting import plot_history
from nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from nn.training import evaluate, fit, predict
from nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    "functional", "init", "Module", "ModuleList", "Parameter", "Sequential", "Linear",
    "Identity", "Flatten", "MLP", "Embedding", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU",
    "Softmax", "LogSoftmax", "MSELoss", "L1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss",
    "BCELoss", "BCEWithLogitsLoss", "save", "load",
    "optim", "utils",
    "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout",
    "data", "datasets", "metrics", "fit", "evaluate", "predict", "plot_history",
    "ModuleDict", "ParameterList", "ParameterDict",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    # the conv family
    "Conv1d", "ConvTranspose2d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "GroupNorm",
    "Dropout2d",
    "parallel", "SyncBatchNorm",
    # more activations and losses (issue 14)
    "SiLU", "Softplus", "ELU", "SELU", "CELU", "Mish", "Hardtanh", "ReLU6", "Hardsigmoid",
    "Hardswish", "Softsign", "LogSigmoid", "Softmin", "PReLU",
    "KLDivLoss", "SmoothL1Loss", "CosineEmbeddingLoss", "MarginRankingLoss",
    # attention
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
]

_register_library(_os.path.dirname(__file__))  # detect_anomaly points past nn's frames
