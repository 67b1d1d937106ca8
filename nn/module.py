"""Module, Parameter and the containers ``Sequential`` and ``ModuleList``.

A :class:`Module` registers what is assigned to its attributes: a :class:`Parameter`
becomes a trainable weight, another ``Module`` a child, and ``register_buffer`` adds
state that is saved but not trained (running statistics).  Names follow PyTorch:
``encoder.fc1.weight``, ``0.bias``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

import autograd as ag

__all__ = ["Parameter", "Module", "Sequential", "ModuleList"]


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


class Module:
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
            self._forget(name)
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._forget(name)
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

    def _forget(self, name: str) -> None:
        """Remove ``name`` from every registry and the instance dict before re-registering."""
        for entries in self._registries():
            entries.pop(name, None)
        self.__dict__.pop(name, None)

    @staticmethod
    def _check_name(kind: str, name: Any) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a Parameter (or ``None``, a declared-but-absent one such as ``bias=False``)."""
        self._check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter('{name}'): expected nn.Parameter "
                f"or None, got {type(param).__name__}"
            )
        self._forget(name)
        if param is not None and getattr(param, "name", None) is None:
            param.name = name
        self.__dict__["_parameters"][name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Add state that is not trained (no grad) but is saved in ``state_dict``.

        ``tensor`` is a Tensor, an ndarray (wrapped into a Tensor) or ``None``.  A
        non-persistent buffer is left out of ``state_dict``.
        """
        self._check_name("buffer", name)
        self._forget(name)
        self.__dict__["_buffers"][name] = self._as_buffer(name, tensor)
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
        self._forget(name)
        self.__dict__["_modules"][name] = module

    # ---- running ------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
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
            param.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (default) or to zeros."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad = ag.Tensor(np.zeros_like(param.grad.data))

    # ---- dtype --------------------------------------------------------------------

    def to(self, dtype: Any) -> Module:
        """Cast floating parameters and buffers to ``dtype`` in place; returns self."""
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"{type(self).__name__}.to(): expected a floating dtype, got {dtype}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if np.issubdtype(tensor.data.dtype, np.floating):
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = ag.Tensor(tensor.grad.data.astype(dtype))
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
            target = own[key].data
            np.copyto(target, value, casting="unsafe")
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


class _Container(Module):
    """Shared behaviour of the list-like containers: len, iteration, positional access."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def _key(self, index: int) -> str:
        keys = list(self._modules)
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"{type(self).__name__} indices must be int or slice, "
                            f"got {type(index).__name__}")
        if not -len(keys) <= index < len(keys):
            raise IndexError(f"{type(self).__name__} index {index} out of range "
                             f"for length {len(keys)}")
        return keys[index]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(self._key(index), module)

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)[index] if isinstance(index, slice) else [self._key(index)]
        for key in keys:
            del self._modules[key]
        # Renumber so that names stay "0".."n-1" and append() cannot collide.
        remaining = list(self._modules.values())
        self._modules.clear()
        for position, module in enumerate(remaining):
            self._modules[str(position)] = module

    def append(self, module: Module) -> _Container:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self


class Sequential(_Container):
    """Modules applied one after the other: ``Sequential(Linear(3, 4), ReLU(), Linear(4, 1))``.

    Accepts modules as positional arguments (named ``"0"``, ``"1"``, ...) or one
    ``OrderedDict`` of ``name -> module``.  Supports ``len``, iteration, ``seq[i]``
    (negative too), ``seq[a:b]`` (a new Sequential sharing the modules), ``del seq[i]``
    and ``append``.
    """

    def __init__(self, *modules: Module | OrderedDict) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x: Any) -> Any:
        """Apply each module in turn: ``x -> m0(x) -> m1(m0(x)) -> ...``."""
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]


class ModuleList(_Container):
    """A list of modules whose parameters are registered (names ``"0"``, ``"1"``, ...).

    Unlike :class:`Sequential` it has no ``forward``: the owner decides how to call them.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Module | ModuleList:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._key(index)]

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append every module of ``modules``; returns self."""
        for module in modules:
            self.append(module)
        return self
