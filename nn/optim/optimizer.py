"""The optimizer base class: parameter groups, per-parameter state, ``state_dict`` round trip.

The layout follows PyTorch: ``param_groups`` is a list of dicts, each holding a ``"params"`` list
and that group's hyper-parameters; ``state`` maps a parameter (Tensors hash by identity) to a
dict of arrays (moment estimates) and step counts. ``state_dict()`` refers to parameters by
their position across all groups (0, 1, 2, ...), so a checkpoint can be loaded into an
optimizer built over fresh parameters of the same shapes.

Two ways to write an optimizer (``docs/optimizers.md``): implement :meth:`Optimizer.update`,
one parameter at a time on raw arrays (the built-in ones do), or override ``step()`` and loop
over ``self.param_groups`` and ``self.state`` as in PyTorch.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Callable

import numpy as np

import autograd as ag
from autograd import Tensor, capturing
from nn.utils import zero_grad


def to_python(value: Any) -> Any:
    """Turn NumPy scalars and arrays (as a ``.npz`` round trip returns them) into Python values.

    Hyper-parameters must stay Python numbers: a ``np.float64`` learning rate would silently
    promote float32 updates to float64.
    """
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else [to_python(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(to_python(v) for v in value)
    return value


def zeros_state(state: dict[str, Any], key: str, like: np.ndarray) -> np.ndarray:
    """``state[key]``, created as zeros shaped like the parameter on first use."""
    if key not in state:
        state[key] = np.zeros_like(like)
    return state[key]


def check_betas(name: str, group: dict[str, Any]) -> None:
    """Validate ``group["betas"]``, a pair in [0, 1), and make it a tuple of floats."""
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not isinstance(beta, (int, float)) or not 0 <= beta < 1:
            raise ValueError(f"{name}: invalid beta parameter at index {i}: {beta!r} "
                             "(must be in [0, 1))")
    group["betas"] = (float(betas[0]), float(betas[1]))


def _marks_parameters_changed(step: Callable) -> Callable:
    """Wrap a subclass's own ``step``: afterwards every parameter that has a gradient counts as
    changed in place (its version is bumped), however the step wrote to it."""

    @functools.wraps(step)
    def step_and_bump(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        result = step(self, *args, **kwargs)
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    param._bump_version()
        return result

    return step_and_bump


class Optimizer:
    """Base class of all optimizers.

    ``Optimizer(params, defaults)``: ``params`` is an iterable of Tensors, or of dicts each
    with a ``"params"`` entry and per-group options that override ``defaults`` (a dict of
    hyper-parameters)::

        Adam([{"params": model.encoder.parameters()},
              {"params": model.head.parameters(), "lr": 1e-2}], lr=1e-3)

    A subclass either implements :meth:`update` (one parameter on raw arrays, in place; the
    base ``step()`` calls it for every parameter with a gradient) or overrides ``step()`` and
    loops over ``self.param_groups`` and ``self.state`` (a ``defaultdict(dict)`` keyed by
    parameter) itself, as in PyTorch.  Either way, after ``step()`` every updated parameter
    counts as changed in place (its version is bumped), so a backward through a graph that
    saved its old value raises instead of using stale numbers.
    """

    #: hyper-parameters that must be >= 0, checked for every group
    _non_negative: tuple[str, ...] = ("lr", "weight_decay")
    #: state entries that are Python numbers (restored as such), not arrays like the parameter
    _scalar_state: tuple[str, ...] = ("step",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _marks_parameters_changed(cls.__dict__["step"])

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]],
                 defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise ValueError(f"{self._name}: params must be an iterable of Tensors or of dicts, "
                             f"got a single Tensor of shape {params.shape}; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"`` and optional overrides)."""
        if not isinstance(param_group, dict):
            raise ValueError(f"{self._name}: a param group must be a dict, "
                             f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{self._name}: a param group needs a 'params' entry, "
                             f"got keys {sorted(param_group)}")
        params = param_group["params"]
        if isinstance(params, (set, frozenset)):
            raise ValueError(f"{self._name}: params must be an ordered iterable, not a set "
                             "(the order numbers them in state_dict)")
        params = [params] if isinstance(params, Tensor) else list(params)
        self._check_params(params)
        group = {key: to_python(value) for key, value in param_group.items() if key != "params"}
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._check_group(group)
        group["params"] = params
        self.param_groups.append(group)

    def _check_params(self, params: list[Any]) -> None:
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for i, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise ValueError(f"{self._name} can only optimize Tensors, but parameter {i} "
                                 f"is a {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError(f"{self._name} can't optimize a non-leaf Tensor (parameter {i}, "
                                 f"shape {param.shape}, made by '{param.grad_fn.name}')")
            if id(param) in seen:
                raise ValueError(f"{self._name}: parameter {i} (shape {param.shape}) appears "
                                 "more than once in the parameter groups")
            seen.add(id(param))

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate (and normalise) one group's hyper-parameters; subclasses add their rules."""
        for key in self._non_negative:
            if key not in group:  # a subclass's own defaults need not have them all
                continue
            value = group[key]
            if not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"{self._name}: invalid {key} {value!r} (must be a number >= 0)")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters, as ``Module.zero_grad`` does (see
        :func:`nn.utils.zero_grad`): to ``None`` (default) or to zeros."""
        zero_grad([param for group in self.param_groups for param in group["params"]],
                  set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; parameters whose ``.grad`` is None are
        skipped. ``closure`` (optional) re-evaluates the model and returns the loss, which
        ``step`` returns."""
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        capturing.call(self._update_all)  # one instruction of a captured step
        return loss

    def _update_all(self) -> None:
        # Check every gradient before touching any parameter: a bad one leaves all unchanged.
        updates = []
        for index, group in enumerate(self.param_groups):
            params = [param for param in group["params"] if param.grad is not None]
            updates.append((index, group, params, [self._grad_of(param) for param in params]))
        with ag.no_grad():
            for index, group, params, grads in updates:
                if params and not self._update_group(index, group, params, grads):
                    for param, grad in zip(params, grads):
                        self._step_param(param, group, grad)

    def _update_group(self, index: int, group: dict[str, Any], params: list[Tensor],
                      grads: list[np.ndarray]) -> bool:
        """Update a whole group at once (``nn/optim/foreach.py``), bitwise as :meth:`update`
        would; return False to have it updated one parameter at a time."""
        return False

    def _step_param(self, param: Tensor, group: dict[str, Any], grad: np.ndarray) -> None:
        state = self.state.get(param, {})
        self.update(param.data, grad, state, group)
        param._bump_version()
        if state:  # as in PyTorch, a parameter whose update keeps no state gets no entry
            self.state[param] = state

    def _grad_of(self, param: Tensor) -> np.ndarray:
        grad = np.asarray(param.grad.data)
        if grad.shape != param.shape:
            raise ValueError(f"{self._name}: gradient of shape {grad.shape} does not match its "
                             f"parameter of shape {param.shape}")
        return grad.astype(param.data.dtype, copy=False)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        """One parameter's update, in place: the hook a subclass implements.

        ``param`` is the parameter's array (change it in place: ``param -= ...``), ``grad``
        its gradient (same shape and dtype, read-only by convention), ``state`` this
        parameter's state dict (empty on the first step; keep arrays and counters there,
        they are saved by ``state_dict()``), ``group`` its param group (``group["lr"]``...).
        Parameters without a gradient are skipped. Keep the arithmetic in the parameter's
        dtype (use Python floats for hyper-parameters) so float32 stays float32.
        """
        raise NotImplementedError(f"{self._name} implements neither update() nor step()")

    def state_dict(self) -> dict[str, Any]:
        """A snapshot ``{"state": {index: {name: array}}, "param_groups": [{..., "params":
        [index, ...]}]}`` in PyTorch's layout; arrays are copies, so later steps do not
        change it."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(param)]: {key: np.copy(value) if isinstance(value, np.ndarray)
                                    else value for key, value in values.items()}
                 for param, values in self.state.items() if id(param) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by ``state_dict`` (also after ``nn.save`` /
        ``nn.load``). The groups must have the same sizes as this optimizer's; state arrays
        must match their parameter's shape and are cast to its dtype."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            found = (f"keys {sorted(map(str, state_dict))}" if isinstance(state_dict, dict)
                     else type(state_dict).__name__)
            raise ValueError(f"{self._name}.load_state_dict: expected a dict with 'state' and "
                             f"'param_groups', got {found}")
        new_groups, by_index = self._load_groups(state_dict["param_groups"])
        new_state: dict[Tensor, dict[str, Any]] = {}
        for index, values in state_dict["state"].items():
            # a .npz round trip may turn the integer keys into strings
            param = by_index.get(int(index))
            if param is None:
                raise ValueError(f"{self._name}.load_state_dict: state for parameter {index}, "
                                 f"but the groups only list {sorted(by_index)}")
            new_state[param] = {key: _restore(param, index, key, value, self._scalar_state)
                                for key, value in values.items()}
        self.param_groups = new_groups
        self.state = defaultdict(dict, new_state)

    def _load_groups(self, saved_groups: list[dict[str, Any]]
                     ) -> tuple[list[dict[str, Any]], dict[int, Tensor]]:
        """The saved groups' options over this optimizer's parameters, and index -> parameter."""
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{self._name}.load_state_dict: the state dict has "
                             f"{len(saved_groups)} parameter groups, the optimizer has "
                             f"{len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            saved_params = [int(index) for index in to_python(saved["params"])]
            if len(saved_params) != len(group["params"]):
                raise ValueError(f"{self._name}.load_state_dict: parameter group {i} has "
                                 f"{len(saved_params)} parameters in the state dict, "
                                 f"{len(group['params'])} in the optimizer")
            by_index.update(zip(saved_params, group["params"]))
            new_group = {key: to_python(value) for key, value in saved.items() if key != "params"}
            for key, default in self.defaults.items():  # options a state dict may predate
                new_group.setdefault(key, default)
            self._check_group(new_group)
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        return new_groups, by_index


def _restore(param: Tensor, index: Any, key: str, value: Any, scalars: tuple[str, ...]) -> Any:
    """One loaded state entry: the step counter becomes an int, other scalar entries Python
    numbers, arrays copies in the parameter's dtype."""
    if key == "step":
        return int(to_python(value))
    if key in scalars:
        return to_python(value)
    array = np.array(value, dtype=param.data.dtype)
    if array.shape != param.shape:
        raise ValueError(f"load_state_dict: state '{key}' of parameter {index} has shape "
                         f"{array.shape}, but the parameter has shape {param.shape}")
    return array
