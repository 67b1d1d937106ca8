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
                    _add_object(value, objects)
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

    def outcome(self, returned, keep: bool) -> list:
        """(what, value) pairs: everything a call changed or returned, to compare. ``keep``
        copies the arrays (the replay's, kept while the step runs eagerly); the eager
        run's are compared as they are. ``what`` is a function: a name made on mismatch."""
        pairs = []
        take = np.copy if keep else _same_array
        _values_in(lambda: "the returned value", returned, pairs, take)
        for number, tensor in enumerate(self.tensors):
            grad = tensor._grad
            pairs.append((lambda t=tensor, n=number: _describe(t, n), take(tensor.data)))
            pairs.append((lambda t=tensor, n=number: f"the gradient of {_describe(t, n)}",
                          None if grad is None else take(grad.data)))
        for number, array in enumerate(self.arrays):
            pairs.append((lambda n=number, a=array: f"array constant {n} (shape {a.shape})",
                          take(array)))
        for optimizer in self.optimizers:
            for index, entries in enumerate(optimizer.state.values()):
                for key, value in sorted(entries.items()):
                    pairs.append((lambda o=optimizer, k=key, i=index:
                                  f"{type(o).__name__} state '{k}' of parameter {i}",
                                  take(value) if isinstance(value, np.ndarray) else value))
        return pairs


def _add_object(obj, objects: dict) -> None:
    """``obj``, the optimizer it holds and the plain objects in its lists (the schedulers of
    a SequentialLR, which its step advances too)."""
    if id(obj) in objects:
        return
    objects[id(obj)] = obj
    for attribute in vars(obj).values():
        if _is_optimizer(attribute):
            objects.setdefault(id(attribute), attribute)
        elif isinstance(attribute, (list, tuple)):
            for item in attribute:
                if _is_plain_object(item) and not _is_optimizer(item):
                    _add_object(item, objects)


def _same_array(array: np.ndarray) -> np.ndarray:
    return array


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


def _values_in(what, value, pairs: list, take) -> None:
    if isinstance(value, Tensor):
        pairs.append((what, take(value.data)))
    elif isinstance(value, np.ndarray):
        pairs.append((what, take(value)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _values_in(lambda i=index: f"{what()}[{i}]", item, pairs, take)
    elif isinstance(value, dict):
        for key, item in value.items():
            _values_in(lambda k=key: f"{what()}[{k!r}]", item, pairs, take)
    else:
        pairs.append((what, value))


def _bits(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8)


def _same(a, b) -> bool:
    """Bitwise equality for arrays (NaNs, signed zeros); equality for other values."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(_bits(a), _bits(b)))
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
            raise CaptureError(_MESSAGE.format(what=what()))


_MESSAGE = (
    "capture: replaying the recorded step does not reproduce eager execution: {what} differs. "
    "The step does array work outside the recorded operations (NumPy on "
    "tensor.data, Python numbers computed from tensor values, randomness from a generator "
    "other than np.random), so its recording would replay stale values. Write that work with "
    "tensor operations, or call the step without ag.capture."
)
