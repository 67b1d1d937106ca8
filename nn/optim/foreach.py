"""Updating all parameters of a group at once: state in one flat buffer (PyTorch's "foreach").

Per parameter, SGD with momentum is ``buf *= m; buf += grad; param -= lr * buf``. With
every momentum buffer of a group a view into one flat array, the steps that involve
only state (``buf *= m``, ``lr * buf``) are one NumPy call over all parameters, with
no temporary allocated; the steps that involve a gradient or a parameter stay one call
per parameter. Every element goes through the same operations in the same order as
in the per-parameter update, so the results are bitwise equal.

The flat buffers live beside the optimizer's ``state``: ``state[param]["momentum_buffer"]``
is the view, so ``state_dict()`` and the per-parameter path see the same values. If a
state entry was replaced (``load_state_dict``), the flat buffer is rebuilt.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class FlatState:
    """One group's state entries ``keys`` gathered into flat buffers (and a scratch buffer)."""

    def __init__(self, state: dict, params: list, keys: tuple[str, ...]) -> None:
        self.params = list(params)
        self.shapes = [param.data.shape for param in params]
        self.keys = keys
        dtype = self.dtype = params[0].data.dtype
        sizes = [param.data.size for param in params]
        offsets = np.cumsum([0] + sizes)
        self.flat = {}
        self.views = {}
        for key in keys + ("scratch",):
            flat = np.empty(int(offsets[-1]), dtype=dtype)
            views = [flat[start:stop].reshape(param.shape)
                     for start, stop, param in zip(offsets[:-1], offsets[1:], params)]
            if key != "scratch":
                for param, view in zip(params, views):
                    view[...] = state[param][key]
                    state[param][key] = view
            self.flat[key], self.views[key] = flat, views

    def holds(self, state: dict, params: list) -> bool:
        """True if ``state`` still refers to these buffers for exactly these parameters, and
        the parameters still have the buffers' dtype and shapes."""
        if len(params) != len(self.params):
            return False
        dtype = self.dtype
        for param, mine, shape in zip(params, self.params, self.shapes):
            data = param.data
            if param is not mine or data.dtype != dtype or data.shape != shape:
                return False
        for key in self.keys:
            for param, view in zip(params, self.views[key]):
                entries = state.get(param)
                if entries is None or entries.get(key) is not view:
                    return False
        return True


def flat_state(optimizer: Any, index: int, params: list, keys: tuple[str, ...]) -> FlatState | None:
    """The flat buffers of group ``index``, made (or made again) as needed; None if the
    group's parameters do not all have these state entries in one dtype."""
    state = optimizer.state
    cache = optimizer.__dict__.setdefault("_flat_states", {})
    flat = cache.get(index)
    if flat is not None and flat.keys == keys and flat.holds(state, params):
        return flat  # every step after the first: the buffers are still the state
    dtype = params[0].data.dtype
    for param in params:
        entries = state.get(param)
        if entries is None or param.data.dtype != dtype:
            return None
        for key in keys:
            value = entries.get(key)
            if not isinstance(value, np.ndarray) or value.shape != param.shape:
                return None
    flat = cache[index] = FlatState(state, params, keys)
    return flat
