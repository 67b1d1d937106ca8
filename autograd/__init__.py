"""autograd: a small reverse-mode automatic differentiation engine on NumPy.

>>> import autograd as ag
>>> x = ag.tensor([[1.0, 2.0]], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
Tensor([[2., 4.]], dtype=float32)
"""

from autograd import ops  # noqa: F401  (attaches operators and methods to Tensor)
from autograd.anomaly import detect_anomaly
from autograd.creation import (
    arange,
    eye,
    full,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    zeros,
    zeros_like,
)
from autograd.engine import grad
from autograd.function import Function, Op
from autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autograd.gradcheck import gradcheck, gradgradcheck
from autograd.ops.elementwise import (
    abs,
    add,
    clip,
    cos,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    power,
    relu,
    sigmoid,
    sin,
    sqrt,
    sub,
    tanh,
)
from autograd.ops.index import getitem
from autograd.ops.linalg import matmul
from autograd.ops.nn import log_softmax, logsumexp, softmax
from autograd.ops.reduce import max, mean, min, std, sum, var
from autograd.ops.shape import (
    astype,
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    pad,
    reshape,
    squeeze,
    stack,
    swapaxes,
    transpose,
    where,
)
from autograd.tensor import Tensor, tensor
from autograd.trace import trace_backward
from autograd.viz import draw_graph

__all__ = [
    "Function", "Op", "Tensor", "abs", "add", "arange", "astype", "broadcast_to", "clip",
    "concatenate", "cos", "detect_anomaly", "div", "draw_graph", "enable_grad", "exp",
    "expand_dims", "eye", "flatten", "full", "getitem", "grad", "gradcheck", "gradgradcheck",
    "is_grad_enabled", "log", "log_softmax", "logsumexp", "manual_seed", "matmul", "max",
    "maximum", "mean", "min", "minimum", "mul", "neg", "no_grad", "ones", "ones_like", "pad",
    "power", "rand", "randn", "relu", "reshape", "set_grad_enabled", "sigmoid", "sin",
    "softmax", "sqrt", "squeeze", "stack", "std", "sub", "sum", "swapaxes", "tanh", "tensor",
    "trace_backward", "transpose", "var", "where", "zeros", "zeros_like",
]
