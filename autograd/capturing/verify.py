"""The check before a recording is trusted: one replay against one eager call.

On the second call with a signature, the state the step can change (the
tensors the recording touches, their gradients, optimizer state, NumPy's
random state) is saved; the step is replayed; the state is put back and the
step runs eagerly; both results must be bitwise equal. Array work done outside
the recorded operations (``p.data -= ...``, a mask computed with NumPy from the
data) shows up here as a difference, and the capture is refused instead of
silently replaying stale values.
"""

from __future__ import annotations

import hashlib

import numpy as np

from autograd.capturing.recorder import ReplayContext
from autograd.capturing.refs import Const
from autograd.capturing.state import CaptureError
from autograd.tensor import Tensor


def _tensors_in(value, found: dict) -> None:
    if isinstance(value, Tensor):
        found.setdefault(id(value), value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _tensors_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _tensors_in(item, found)


def _is_optimizer(obj) -> bool:
    return isinstance(getattr(obj, "state", None), dict) and hasattr(obj, "param_groups")


def _is_plain_object(obj) -> bool:
    """An object whose attributes a recorded call may change (a scheduler's epoch counter)."""
    return (hasattr(obj, "__dict__") and not isinstance(obj, (Tensor, np.ndarray, type,
                                                               ReplayContext))
            and not callable(obj))


class State:
    """What a step can change, found from its recording."""

    def __init__(self, program) -> None:
        tensors: dict = {}
        arrays: dict = {}
        objects: dict = {}
        for _, tensor in program.externals:
            tensors.setdefault(id(tensor), tensor)
        for instruction in program.instructions:
            values = [getattr(instruction.fn, "__self__", None)]
            values += [ref.value for ref in instruction.refs() if isinstance(ref, Const)]
            for value in values:
                if isinstance(value, np.ndarray):
                    arrays.setdefault(id(value), value)
                elif _is_plain_object(value):
                    objects.setdefault(id(value), value)
                    for attribute in vars(value).values():  # a scheduler's optimizer
                        if _is_optimizer(attribute):
                            objects.setdefault(id(attribute), attribute)
                else:
                    _tensors_in(value, tensors)
        optimizers = {key: obj for key, obj in objects.items() if _is_optimizer(obj)}
        for optimizer in optimizers.values():
            for group in optimizer.param_groups:
                _tensors_in(group["params"], tensors)
        self.tensors = list(tensors.values())
        self.arrays = list(arrays.values())
        self.optimizers = list(optimizers.values())
        self.objects = list(objects.values())

    def save(self) -> dict:
        return {
            "tensors": [(t, t.data, t.data.copy(), t._grad,
                         None if t._grad is None else t._grad.data,
                         None if t._grad is None else t._grad.data.copy()) for t in self.tensors],
            "arrays": [(a, a.copy()) for a in self.arrays],
            "optimizers": [(o, _copy_state(o.state), [dict(g) for g in o.param_groups])
                           for o in self.optimizers],
            "objects": [(o, dict(vars(o))) for o in self.objects],
            "random": np.random.get_state(),
        }

    def restore(self, saved: dict) -> None:
        for tensor, data, values, grad, grad_data, grad_values in saved["tensors"]:
            tensor.data = data
            _write(data, values)
            tensor._grad = grad
            if grad is not None:
                grad.data = grad_data
                _write(grad_data, grad_values)
        for array, values in saved["arrays"]:
            _write(array, values)
        for obj, attributes in saved["objects"]:
            vars(obj).clear()
            vars(obj).update(attributes)
        for optimizer, state, groups in saved["optimizers"]:
            optimizer.state.clear()
            optimizer.state.update(_copy_state(state))
            for group, values in zip(optimizer.param_groups, groups):
                group.clear()
                group.update(values)
        np.random.set_state(saved["random"])

    def outcome(self, returned) -> list:
        """(what, fingerprint) pairs: everything a call changed or returned, to compare
        (arrays by a digest of their bytes, so that checking costs no copy of the model)."""
        pairs = []
        _values_in("the returned value", returned, pairs)
        for number, tensor in enumerate(self.tensors):
            what = _describe(tensor, number)
            pairs.append((what, _fingerprint(tensor.data)))
            grad = tensor._grad
            pairs.append((f"the gradient of {what}",
                          None if grad is None else _fingerprint(grad.data)))
        for number, array in enumerate(self.arrays):
            pairs.append((f"array constant {number} (shape {array.shape})", _fingerprint(array)))
        for optimizer in self.optimizers:
            name = type(optimizer).__name__
            for index, entries in enumerate(optimizer.state.values()):
                for key, value in sorted(entries.items()):
                    pairs.append((f"{name} state '{key}' of parameter {index}",
                                  _fingerprint(value) if isinstance(value, np.ndarray)
                                  else value))
        return pairs


def _copy_state(state: dict) -> dict:
    return {param: {key: value.copy() if isinstance(value, np.ndarray) else value
                    for key, value in entries.items()} for param, entries in state.items()}


def _write(array: np.ndarray, values: np.ndarray) -> None:
    if array.flags.writeable:
        np.copyto(array, values)


def _describe(tensor: Tensor, number: int) -> str:
    name = f"'{tensor.name}' " if tensor.name else ""
    return f"tensor {name}(shape {tensor.shape}, {tensor.dtype})" if name else \
        f"tensor {number} (shape {tensor.shape}, {tensor.dtype})"


def _fingerprint(array: np.ndarray) -> tuple:
    """Shape, dtype and a digest of the bytes: equal exactly when the arrays are bitwise equal."""
    digest = hashlib.blake2b(np.ascontiguousarray(array).view(np.uint8), digest_size=16)
    return ("array", array.shape, array.dtype.str, digest.digest())


def _values_in(what: str, value, pairs: list) -> None:
    if isinstance(value, Tensor):
        pairs.append((what, _fingerprint(value.data)))
    elif isinstance(value, np.ndarray):
        pairs.append((what, _fingerprint(value)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _values_in(f"{what}[{index}]", item, pairs)
    elif isinstance(value, dict):
        for key, item in value.items():
            _values_in(f"{what}[{key!r}]", item, pairs)
    else:
        pairs.append((what, value))


def _same(a, b) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return a == b
    try:
        return bool(a == b) or (a != a and b != b)
    except (TypeError, ValueError):
        return a is b


def compare(replayed: list, eager: list) -> None:
    """Raise CaptureError naming the first value where a replay and eager execution differ."""
    if len(replayed) != len(eager):
        raise CaptureError(_MESSAGE.format(what="the set of values the step changes"))
    for (what, mine), (_, theirs) in zip(replayed, eager):
        if not _same(mine, theirs):
            raise CaptureError(_MESSAGE.format(what=what))


_MESSAGE = (
    "capture: replaying the recorded step does not reproduce eager execution: {what} differs. "
    "The step does array work outside the recorded operations (NumPy on "
    "tensor.data, Python numbers computed from tensor values, randomness from a generator "
    "other than np.random), so its recording would replay stale values. Write that work with "
    "tensor operations, or call the step without ag.capture."
)
