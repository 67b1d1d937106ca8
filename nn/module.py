"""``Module`` and ``Parameter``: the base of every layer and model (containers: ``containers.py``).

A :class:`Module` registers what is assigned to its attributes: a :class:`Parameter`
becomes a trainable weight, another ``Module`` a child, and ``register_buffer`` adds
state that is saved but not trained (running statistics).  Names follow PyTorch:
``encoder.fc1.weight``, ``0.bias``.  Hooks (``register_forward_hook`` and friends) are
run by ``module_hooks.py``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

import autograd as ag
from autograd.devices import check_device, is_device
from nn import module_hooks
from nn.utils import zero_grad

__all__ = ["Parameter", "Module"]


class Parameter(ag.Tensor):
    """A leaf ``Tensor`` with ``requires_grad=True`` that a Module registers when assigned.

    ``Parameter(data)`` accepts an ndarray (dtype kept), a Tensor (its data is shared, the
    graph is not) or Python numbers (float32).
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        if isinstance(data, ag.Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


def _indent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (for nested reprs)."""
    lines = text.split("\n")
    pad = " " * spaces
    return "\n".join([lines[0]] + [pad + line for line in lines[1:]])


class Module(module_hooks.ModuleHooks):
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign Parameters and sub-Modules as
    attributes, and define ``forward``.  ``model(x)`` calls ``forward(x)``.

    Example::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(3, 4)
                self.fc2 = nn.Linear(4, 1)

            def forward(self, x):
                return self.fc2(self.fc1(x).relu())
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        module_hooks.init_hook_tables(self)

    # ---- registration -------------------------------------------------------------

    def _registries(self) -> tuple[dict, dict, dict]:
        try:
            return (self.__dict__["_parameters"], self.__dict__["_buffers"],
                    self.__dict__["_modules"])
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        params, buffers, modules = self._registries()
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} to parameter "
                    f"'{name}' (nn.Parameter or None expected)"
                )
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} to child "
                    f"module '{name}' (nn.Module or None expected)"
                )
            modules[name] = None
        elif name in buffers:
            buffers[name] = self._as_buffer(name, value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: look in the registries.
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        params, buffers, modules = self._registries()
        for entries in (params, buffers, modules):
            if name in entries:
                del entries[name]
                self.__dict__["_non_persistent"].discard(name)
                return
        object.__delattr__(self, name)

    def _forget(self, name: str, keep: dict | None = None) -> None:
        """Remove ``name`` from the instance dict and every registry but ``keep`` before
        (re-)registering it in ``keep``, where an existing entry keeps its place (PyTorch's
        order for a re-assigned ``model.fc.weight``)."""
        for entries in self._registries():
            if entries is not keep:
                entries.pop(name, None)
        if keep is not self.__dict__["_buffers"]:
            self.__dict__["_non_persistent"].discard(name)
        self.__dict__.pop(name, None)

    def _check_name(self, kind: str, name: Any) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")
        if hasattr(type(self), name):  # a method or property of the class would hide it
            raise KeyError(f"{type(self).__name__}: cannot register {kind} '{name}': attribute "
                           f"'{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a Parameter (or ``None``, a declared-but-absent one such as ``bias=False``)."""
        self._check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter('{name}'): expected nn.Parameter "
                f"or None, got {type(param).__name__}"
            )
        params = self.__dict__["_parameters"]
        self._forget(name, keep=params)
        if param is not None and getattr(param, "name", None) is None:
            param.name = name
        params[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Add state that is not trained (no grad) but is saved in ``state_dict``.

        ``tensor`` is a Tensor, an ndarray (wrapped into a Tensor) or ``None``.  A
        non-persistent buffer is left out of ``state_dict``.
        """
        self._check_name("buffer", name)
        buffers = self.__dict__["_buffers"]
        self._forget(name, keep=buffers)
        buffers[name] = self._as_buffer(name, tensor)
        if persistent:
            self.__dict__["_non_persistent"].discard(name)
        else:
            self.__dict__["_non_persistent"].add(name)

    def _as_buffer(self, name: str, value: Any) -> ag.Tensor | None:
        if value is None or isinstance(value, ag.Tensor):
            return value
        if isinstance(value, np.ndarray):
            return ag.Tensor(value)
        raise TypeError(
            f"{type(self).__name__}: buffer '{name}' must be a Tensor, ndarray or None, "
            f"got {type(value).__name__}"
        )

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child called ``name`` (``None`` declares an empty slot)."""
        self._check_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.add_module('{name}'): expected nn.Module, "
                f"got {type(module).__name__}"
            )
        modules = self.__dict__["_modules"]
        self._forget(name, keep=modules)
        modules[name] = module

    register_module = add_module

    # ---- running ------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return module_hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # ---- traversal ----------------------------------------------------------------

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Yield ``(dotted_name, module)`` for this module (name ``""``) and all below it."""
        # Iterative pre-order walk: deep models must not hit the recursion limit.
        seen = memo if memo is not None else set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            children = [(name + "." + child_name if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """Yield this module and every module below it, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for the direct children, each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Yield the direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Any]]:
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        seen = set()
        for module_name, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (module_name + "." + name if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, parameter)``; a parameter shared by two layers comes once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield every parameter once (what an optimizer takes)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, ag.Tensor]]:
        """Yield ``(dotted_name, buffer)`` for every buffer."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[ag.Tensor]:
        """Yield every buffer once."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Any) -> Module:
        """Call ``fn(module)`` on every child (recursively) and then on ``self``; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients ------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on this module and below."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train(): mode must be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradient tracking of every parameter on or off (freezing layers)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters, as ``Optimizer.zero_grad`` does (see
        :func:`nn.utils.zero_grad`): to ``None`` (default) or to zeros."""
        zero_grad(self.parameters(), set_to_none)

    # ---- dtype --------------------------------------------------------------------

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast floating parameters and buffers (and their gradients) in place; returns self.

        Accepts PyTorch's forms: ``to(dtype)``, ``to("cpu")``, ``to("cpu", dtype)``,
        ``to(tensor)`` (its dtype), and the keywords ``device=``, ``dtype=`` and
        ``non_blocking=``.  Only the CPU exists here.  The Parameter objects stay the same
        (an optimizer built before keeps working); integer buffers keep their dtype.
        """
        dtype = _target_dtype(type(self).__name__, args, kwargs)
        if dtype is None:
            return self
        for tensor in list(self.parameters()) + list(self.buffers()):
            if np.issubdtype(tensor.data.dtype, np.floating) and tensor.data.dtype != dtype:
                tensor.data = tensor.data.astype(dtype)
                tensor._bump_version()
                if tensor.grad is not None:
                    tensor.grad = ag.Tensor(tensor.grad.data.astype(dtype))
        return self

    def cpu(self) -> Module:
        """Nothing to move: everything lives in NumPy arrays. Returns self."""
        return self

    def double(self) -> Module:
        """Cast floating parameters and buffers to float64 (for gradcheck)."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Cast floating parameters and buffers to float32."""
        return self.to(np.float32)

    # ---- state --------------------------------------------------------------------

    def _state_items(self) -> Iterator[tuple[str, ag.Tensor]]:
        """(key, tensor) pairs of the state dict, PyTorch's order, shared entries repeated."""
        for module_name, module in self.named_modules(remove_duplicate=False):
            prefix = module_name + "." if module_name else ""
            for name, param in module._parameters.items():
                if param is not None:
                    yield prefix + name, param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    yield prefix + name, buffer

    def state_dict(self) -> OrderedDict:
        """Ordered ``{dotted_name: np.ndarray}`` copies of all parameters and buffers."""
        return OrderedDict((key, np.array(tensor.data, copy=True))
                           for key, tensor in self._state_items())

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` into the parameters and buffers, all or nothing.

        Every key is checked before anything is copied: with ``strict=True`` a missing or
        unexpected key is an error, and a shape mismatch always is; on error the model is
        left untouched.  Values are cast to each parameter's dtype.  Returns
        ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict: the state dict must be a "
                            f"mapping of names to arrays, got {type(state_dict).__name__}")
        own = OrderedDict(self._state_items())
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems, values = [], {}
        for key, tensor in own.items():
            if key not in state_dict:
                continue
            value = np.asarray(state_dict[key])
            if value.dtype.kind not in "biuf":
                problems.append(f"'{key}': expected a numeric array, got dtype {value.dtype}")
            elif value.shape != tensor.data.shape:
                problems.append(
                    f"size mismatch for '{key}': copying a value of shape {value.shape}, "
                    f"the shape in the current model is {tensor.data.shape}"
                )
            else:
                values[key] = value
        if strict:
            problems += [f"missing key '{key}'" for key in missing]
            problems += [f"unexpected key '{key}'" for key in unexpected]
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__} (nothing was "
                "loaded):\n  " + "\n  ".join(problems)
            )
        for key, value in values.items():
            np.copyto(own[key].data, value, casting="unsafe")
            own[key]._bump_version()
        return _IncompatibleKeys(missing, unexpected)

    # ---- repr ---------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside the parentheses of ``repr`` (a layer's constructor arguments)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_indent(repr(module), 2)}"
                       for name, module in self._modules.items()]
        if not child_lines and len(extra_lines) <= 1:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(extra_lines + child_lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def _target_dtype(owner: str, args: tuple, kwargs: dict) -> np.dtype | None:
    """The floating dtype ``Module.to(...)`` asks for (None: only a device, the CPU)."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown or len(args) > 2:
        raise TypeError(f"{owner}.to() received an invalid combination of arguments: "
                        f"{len(args)} positional, keywords {sorted(kwargs)}")
    dtype = kwargs.get("dtype")
    for value in list(args) + [kwargs.get("device")]:
        if value is None:
            continue
        if isinstance(value, ag.Tensor):
            dtype = value.dtype
        elif is_device(value):
            check_device(f"{owner}.to()", value)
        else:
            dtype = value
    if dtype is None:
        return None
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{owner}.to(): expected a dtype, a device ('cpu') or a Tensor, "
                        f"got {dtype!r}") from None
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"{owner}.to() only accepts floating point dtypes, but got desired "
                        f"dtype={dtype}")
    return dtype
