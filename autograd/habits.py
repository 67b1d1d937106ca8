"""PyTorch spellings that have no op behind them: devices, and errors that teach.

``ag.device``, ``ag.cuda``, ``ag.accelerator`` and ``ag.backends`` answer a
PyTorch script's device questions (only the CPU exists), so
``device = "cuda" if ag.cuda.is_available() else "cpu"`` runs unchanged;
``ag.inf``, ``ag.nan``, ``ag.pi`` and ``ag.e`` are PyTorch's constants.

A PyTorch name that autograd does not have (``x.storage()``, ``ag.save``, ...)
raises an ``AttributeError`` that says what to use instead; any other name
missing from the module gets the closest existing names as suggestions (for
tensors, Python's own "Did you mean" does that).
"""

from __future__ import annotations

import difflib
import math
from types import SimpleNamespace

__all__ = ["device", "cuda", "accelerator", "backends", "inf", "nan", "pi", "e"]

inf, nan, pi, e = math.inf, math.nan, math.pi, math.e


class device:  # noqa: N801 - PyTorch's name
    """PyTorch's device object; only ``"cpu"`` exists. ``str(ag.device("cpu")) == "cpu"``."""

    def __init__(self, type: str = "cpu", index: int | None = None) -> None:  # noqa: A002
        from autograd.ops.views import check_device

        text = str(type) if index is None else f"{type}:{index}"
        check_device("device", text)
        self.type, self.index = "cpu", None

    def __str__(self) -> str:
        return self.type

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __eq__(self, other) -> bool:
        return str(other) == self.type

    def __hash__(self) -> int:
        return hash(self.type)


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
    "save": "save with nn.save(model.state_dict(), path) (an .npz file, never pickle)",
    "load": "load with nn.load(path) (what nn.save wrote)",
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
