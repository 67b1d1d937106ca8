"""PyTorch spellings that have no op behind them: casts, devices, and errors that teach.

Casts (``float()``, ``long()``, ``to(dtype)``, ``type_as``) return the tensor
itself when nothing changes, as PyTorch's do; ``new_zeros`` and friends take
the tensor's dtype.
``ag.device``, ``ag.cuda``, ``ag.accelerator`` and ``ag.backends`` answer a
PyTorch script's device questions (only the CPU exists), so
``device = "cuda" if ag.cuda.is_available() else "cpu"`` runs unchanged;
``ag.inf``, ``ag.nan``, ``ag.pi`` and ``ag.e`` are PyTorch's constants.

A PyTorch name that autograd does not have (``x.storage()``, ``ag.compile``, ...)
raises an ``AttributeError`` that says what to use instead; any other name
missing from the module gets the closest existing names as suggestions (for
tensors, Python's own "Did you mean" does that).
"""

from __future__ import annotations

import difflib
import math
from types import SimpleNamespace

import numpy as np

from autograd.devices import NO_GPU, check_device, device, is_device
from autograd.ops.views import clone, sizes_argument
from autograd.tensor import Tensor, as_tensor

__all__ = ["device", "cuda", "accelerator", "backends", "inf", "nan", "pi", "e"]

inf, nan, pi, e = math.inf, math.nan, math.pi, math.e

def _false(*args, **kwargs) -> bool:
    return False


def _zero(*args, **kwargs) -> int:
    return 0


def _none(*args, **kwargs) -> None:
    return None


cuda = SimpleNamespace(is_available=_false, device_count=_zero, manual_seed=_none,
                       manual_seed_all=_none)
cuda.__doc__ = "No GPU backend: ``ag.cuda.is_available()`` is False."
accelerator = SimpleNamespace(is_available=_false, current_accelerator=_none, device_count=_zero)
accelerator.__doc__ = "No accelerator: ``ag.accelerator.is_available()`` is False."
backends = SimpleNamespace(mps=SimpleNamespace(is_available=_false, is_built=_false),
                           cudnn=SimpleNamespace(is_available=_false, deterministic=False,
                                                 benchmark=False))
backends.__doc__ = "No MPS or cuDNN; ``backends.cudnn.deterministic = True`` is accepted."


# ------------------------------------------------------------------ dtypes and devices


def cast(self, dtype) -> Tensor:
    """``self`` if it already has ``dtype``, else ``astype(dtype)`` (as PyTorch's casts)."""
    dtype = np.dtype(dtype)
    return self if self.data.dtype == dtype else self.astype(dtype)


def _caster(name: str, dtype):
    def method(self) -> Tensor:
        return cast(self, dtype)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"Cast to {np.dtype(dtype)} (``self`` if it already is)."
    return method


float_ = _caster("float", np.float32)
double = _caster("double", np.float64)
half = _caster("half", np.float16)
long = _caster("long", np.int64)
int_ = _caster("int", np.int32)
short = _caster("short", np.int16)
byte = _caster("byte", np.uint8)
bool_ = _caster("bool", np.bool_)


def to(self, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False,
       memory_format=None) -> Tensor:
    """PyTorch's ``to``: ``to(dtype)``, ``to("cpu")``, ``to(other)`` (its dtype),
    ``to("cpu", dtype)``, ``to(device=..., dtype=...)``.

    Returns ``self`` when nothing changes (``copy=True`` copies anyway). Only the
    CPU exists: any other device raises.
    """
    if len(args) > 2:
        raise TypeError(f"to: expected at most a device and a dtype, got {len(args)} arguments")
    for value in args:
        if isinstance(value, Tensor):
            dtype = value.dtype
        elif is_device(value):
            device = value
        else:
            dtype = value
    check_device("to", device)
    result = self
    if dtype is not None:
        try:
            result = cast(self, dtype)
        except TypeError:
            raise TypeError(f"to: expected a dtype, a device ('cpu') or a Tensor, got "
                            f"{dtype!r}") from None
    return clone(result) if copy and result is self else result


def cpu(self) -> Tensor:
    """``self``: the data already lives in memory."""
    return self


def cuda_method(self, *args, **kwargs) -> Tensor:
    """Refuses: there is no GPU backend."""
    raise RuntimeError(f"cuda: {NO_GPU}")


def type_(self, dtype=None, **kwargs) -> Tensor:
    """``x.type(dtype)`` casts, as PyTorch; without a dtype, use ``x.dtype``."""
    if dtype is None:
        raise TypeError("type: PyTorch's type() names the tensor class ('torch.FloatTensor'); "
                        "here read x.dtype (a NumPy dtype), or cast with x.type(ag.float32)")
    if isinstance(dtype, str):
        raise TypeError(f"type: tensor type names such as {dtype!r} are PyTorch's; cast with a "
                        "dtype: x.type(ag.float32) or x.astype(np.float32)")
    return cast(self, dtype)


def type_as(self, other) -> Tensor:
    """Cast to ``other``'s dtype."""
    return cast(self, as_tensor(other).dtype)


# ------------------------------------------------------------------ new tensors like self


def _new(self, shape, fill, dtype, requires_grad: bool) -> Tensor:
    dtype = self.dtype if dtype is None else np.dtype(dtype)
    array = np.full(sizes_argument("new tensor", shape), fill, dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``size`` with this tensor's dtype (unless ``dtype``)."""
    return _new(self, size, 0, dtype, requires_grad)


def new_ones(self, *size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Ones of ``size`` with this tensor's dtype (unless ``dtype``)."""
    return _new(self, size, 1, dtype, requires_grad)


def new_empty(self, *size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` with this tensor's dtype; here its values are zeros."""
    return _new(self, size, 0, dtype, requires_grad)


def new_full(self, size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """``size`` filled with ``fill_value``, with this tensor's dtype (unless ``dtype``)."""
    return _new(self, (size,), fill_value, dtype, requires_grad)


def new_tensor(self, data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A copy of ``data`` with this tensor's dtype (unless ``dtype``)."""
    dtype = self.dtype if dtype is None else np.dtype(dtype)
    array = np.array(data.data if isinstance(data, Tensor) else data, dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


# ------------------------------------------------------------------ errors that teach

NO_STORAGE = ("a tensor's data is the NumPy array x.data (there is no separate storage); "
              "np.shares_memory(a.data, b.data) tells whether two tensors share memory")
NO_GPU_MEMORY = "there is no GPU, so no pinned or shared memory: drop the call"

TENSOR_ADVICE = {
    "storage": NO_STORAGE,
    "untyped_storage": NO_STORAGE,
    "storage_offset": NO_STORAGE,
    "pin_memory": NO_GPU_MEMORY,
    "is_pinned": NO_GPU_MEMORY,
    "share_memory_": NO_GPU_MEMORY,
    "bfloat16": "NumPy has no bfloat16; use half() (float16) or float() (float32)",
    "detach_": "write x = x.detach() (a new tensor cut from the graph)",
    "resize_": "make a new tensor (ag.zeros(shape)), or reshape(...) to the same number "
               "of elements",
    "values": "a plain max/min (axis=...) returns the values alone; with dim= (or keepdim=) "
              "it returns PyTorch's (values, indices): x.max(dim=1).values",
    "indices": "a plain max/min (axis=...) returns the values alone; with dim= (or keepdim=) "
               "it returns PyTorch's (values, indices): x.max(dim=1).indices",
    "is_sparse": "there are no sparse tensors here: every tensor is a dense NumPy array",
    "to_sparse": "there are no sparse tensors here: every tensor is a dense NumPy array",
}

# PyTorch's in-place unary methods whose out-of-place form exists here.
IN_PLACE_MISSING = ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "sin", "cos", "sign",
                    "floor", "ceil", "round", "reciprocal", "square")

MODULE_ADVICE = {
    "nn": "import nn (PyTorch's torch.nn is the separate package nn)",
    "optim": "from nn import optim (PyTorch's torch.optim is nn.optim)",
    "utils": "from nn.data import DataLoader, TensorDataset (torch.utils.data is nn.data)",
    "Generator": "there are no generator objects: seed the one random state with "
                 "ag.manual_seed(n) and leave out generator=",
    "set_default_dtype": "the default float dtype is float32; pass dtype= to a factory "
                         "(ag.zeros(3, dtype=ag.float64)) or cast with .double()",
    "get_default_dtype": "the default float dtype is always float32 (ag.float32)",
    "compile": "there is no compiler: call the function or model directly",
    "jit": "there is no TorchScript: call the function or model directly",
    "autocast": "there is no mixed precision: compute in float32 (or cast with half())",
    "amp": "there is no mixed precision: compute in float32 (or cast with half())",
    "inference_mode": "use ag.no_grad()",
    "mm": "use ag.matmul(a, b) or a @ b",
    "bmm": "use ag.matmul(a, b) or a @ b (it batches over leading dimensions)",
    "mv": "use ag.matmul(a, b) or a @ b",
    "FloatTensor": "make tensors with ag.tensor(data, dtype=ag.float32) or ag.zeros(shape)",
    "DoubleTensor": "make tensors with ag.tensor(data, dtype=ag.float64)",
    "LongTensor": "make tensors with ag.tensor(data, dtype=ag.long)",
    "IntTensor": "make tensors with ag.tensor(data, dtype=ag.int32)",
    "BoolTensor": "make tensors with ag.tensor(data, dtype=ag.bool)",
    "bfloat16": "NumPy has no bfloat16; use ag.float16 or ag.float32",
    "distributions": "there are no distributions: sample with ag.randn / ag.rand",
    "Size": "shapes are plain tuples (x.shape, x.size())",
}


def _suggest(name: str, known) -> str:
    close = difflib.get_close_matches(name, [n for n in known if not n.startswith("_")], n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""


def _refusal(name: str, advice: str) -> property:
    def refuse(self):
        raise AttributeError(f"'Tensor' object has no attribute '{name}': {advice}")

    return property(refuse, doc=f"Not supported: {advice}.")


def add_tensor_refusals(tensor_class: type) -> None:
    """Give ``tensor_class`` an attribute per PyTorch name it lacks that raises with advice.

    Properties, not ``__getattr__``: a class with ``__getattr__`` makes every
    attribute read slower (CPython cannot specialize it), and tensors are read
    on every op. A name the class already has is left alone.
    """
    refusals = dict(TENSOR_ADVICE)
    for method in IN_PLACE_MISSING:
        refusals[method + "_"] = (f"this in-place variant does not exist; write "
                                  f"x = x.{method}(), or x.copy_(x.{method}()) to keep the "
                                  "same tensor")
    for name, advice in refusals.items():
        if name not in tensor_class.__dict__:
            setattr(tensor_class, name, _refusal(name, advice))


def missing_module_attribute(name: str):
    """``autograd.__getattr__``: a PyTorch name autograd lacks says what to use instead."""
    import autograd

    message = f"module 'autograd' has no attribute '{name}'"
    if name in MODULE_ADVICE:
        raise AttributeError(f"{message}: {MODULE_ADVICE[name]}")
    if name.startswith("__"):
        raise AttributeError(message)
    raise AttributeError(message + _suggest(name, autograd.__all__))
