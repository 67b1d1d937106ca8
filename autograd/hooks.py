"""Gradient hooks on tensors: ``register_hook`` and ``register_post_accumulate_grad_hook``.

Hooks are kept in tables keyed by ``id(tensor)`` (an entry is dropped when
its tensor dies), so a tensor without hooks pays nothing. For a non-leaf
tensor its node is flagged (``node.retained``), and the engine looks up hooks
only for flagged nodes.
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np

# id(tensor) -> {handle id: hook}; insertion order is call order. (Not a
# WeakKeyDictionary: it compares keys with ==, which is elementwise for tensors.)
grad_hooks: dict = {}
post_accumulate_hooks: dict = {}
_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_*hook``; ``handle.remove()`` unregisters the hook."""

    def __init__(self, table, tensor) -> None:
        self.id = next(_ids)
        self._table = table
        self._tensor = weakref.ref(tensor)

    def remove(self) -> None:
        tensor = self._tensor()
        if tensor is None:
            return
        hooks = self._table.get(id(tensor))
        if hooks is not None:
            hooks.pop(self.id, None)
            if not hooks:
                del self._table[id(tensor)]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()


def add(table, tensor, hook, what: str) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"{what}: the hook must be callable, got {type(hook).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError(f"{what}: cannot register a hook on a tensor that does not "
                           "require grad")
    handle = RemovableHandle(table, tensor)
    key = id(tensor)
    if key not in table:
        table[key] = {}
        weakref.finalize(tensor, table.pop, key, None)
    table[key][handle.id] = hook
    return handle


def run_grad_hooks(tensor, grad, create_graph: bool):
    """Call ``tensor``'s hooks on its gradient in order; a hook may return a replacement."""
    hooks = grad_hooks.get(id(tensor))
    if not hooks:
        return grad
    from autograd.tensor import Tensor

    for hook in list(hooks.values()):
        value = hook(grad if isinstance(grad, Tensor) else Tensor._make(grad))
        if value is None:
            continue
        replacement = value if isinstance(value, Tensor) else Tensor._make(np.asarray(value))
        if replacement.shape != tensor.shape:
            raise RuntimeError(
                f"register_hook: a hook returned a gradient of shape {replacement.shape} for a "
                f"tensor of shape {tensor.shape}"
            )
        grad = replacement if create_graph else replacement.data
    return grad


def run_post_accumulate_hooks(tensor) -> None:
    hooks = post_accumulate_hooks.get(id(tensor))
    if hooks:
        for hook in list(hooks.values()):
            hook(tensor)
