"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``.

Each registers what it holds under PyTorch's names, so ``named_parameters()``,
``state_dict()`` and optimizers see the contents: a list's entries are called ``"0"``,
``"1"``, ..., a dict's entries by their keys (``"layers.0.weight"``, ``"heads.q"``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

import autograd as ag
from nn.module import Module, Parameter

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _position(owner: str, index: Any, length: int) -> int:
    """``index`` (negative allowed) as a position in ``range(length)``, or a clear error."""
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise TypeError(f"{owner} indices must be int or slice, got {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"{owner} index {index} out of range for length {length}")
    return int(index) % length


def _pairs(owner: str, entries: Any, sort_plain: bool = False) -> Iterable[tuple[Any, Any]]:
    """``(key, value)`` pairs of a mapping (its order) or of an iterable of pairs.

    ``sort_plain``: a mapping other than an ``OrderedDict`` or a container gives its pairs
    sorted by key (PyTorch's ``ParameterDict.update`` does so).
    """
    if isinstance(entries, (Mapping, Module)) and hasattr(entries, "items"):
        if sort_plain and not isinstance(entries, (OrderedDict, Module)):
            return sorted(entries.items())
        return list(entries.items())
    if isinstance(entries, (str, bytes)) or not isinstance(entries, Iterable):
        raise TypeError(f"{owner}.update should be called with an iterable of key/value pairs, "
                        f"but got {type(entries).__name__}")
    pairs = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Iterable) or isinstance(entry, (str, bytes)):
            raise TypeError(f"{owner} update sequence element #{i} should be an iterable, "
                            f"got {type(entry).__name__}")
        entry = tuple(entry)
        if len(entry) != 2:
            raise ValueError(f"{owner} update sequence element #{i} has length {len(entry)}; "
                             "2 is required")
        pairs.append(entry)
    return pairs


class _ModuleSequence(Module):
    """What ``Sequential`` and ``ModuleList`` share: a list of modules named "0", "1", ..."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def _key(self, index: int) -> str:
        return list(self._modules)[_position(type(self).__name__, index, len(self))]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(self._key(index), module)

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)[index] if isinstance(index, slice) else [self._key(index)]
        for key in keys:
            del self._modules[key]
        self._renumber(list(self._modules.values()))

    def _renumber(self, modules: list[Module]) -> None:
        """Register ``modules`` as "0".."n-1", so that names stay dense after a change."""
        self._modules.clear()
        for position, module in enumerate(modules):
            self._modules[str(position)] = module

    def append(self, module: Module) -> _ModuleSequence:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> _ModuleSequence:
        """Append every module of ``modules``; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index`` (as ``list.insert``)."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.insert: expected nn.Module, "
                            f"got {type(module).__name__}")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at ``index`` (the last by default)."""
        module = self[index]
        del self[index]
        return module


class Sequential(_ModuleSequence):
    """Modules applied one after the other: ``Sequential(Linear(3, 4), ReLU(), Linear(4, 1))``.

    Accepts modules as positional arguments (named ``"0"``, ``"1"``, ...) or one
    ``OrderedDict`` of ``name -> module``.  Supports ``len``, iteration, ``seq[i]``
    (negative too), ``seq[a:b]`` (a new Sequential sharing the modules), ``del seq[i]``,
    ``append``, ``extend``, ``insert`` and ``pop``.
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


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (names ``"0"``, ``"1"``, ...).

    Unlike :class:`Sequential` it has no ``forward``: the owner decides how to call them::

        self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
        for layer in self.layers:
            x = layer(x).relu()
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Module | ModuleList:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._key(index)]

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys (``"heads.q.weight"``).

    ``ModuleDict({"q": nn.Linear(4, 4), "k": nn.Linear(4, 4)})`` keeps the insertion order of
    a dict, ``OrderedDict`` or ``ModuleDict`` (or of a list of ``(key, module)`` pairs).
    Supports ``d[key]``, ``d[key] = module``, ``del d[key]``, ``in``, ``len``, iteration
    over the keys, ``keys()``, ``values()``, ``items()``, ``update``, ``pop`` and ``clear``.
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None
                 = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no key {key!r} (keys: {list(self._modules)})")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        self[key]  # the KeyError that names the keys
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        """The keys, in order."""
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        """The modules, in order."""
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        """``(key, module)`` pairs, in order."""
        return self._modules.items()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or replace entries from a mapping or an iterable of ``(key, module)`` pairs."""
        for key, module in _pairs("ModuleDict", modules):
            self[key] = module

    def pop(self, key: str) -> Module:
        """Remove the entry ``key`` and return its module."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every entry."""
        self._modules.clear()


def _as_parameter(owner: str, value: Any) -> Parameter:
    """A Parameter as it is; a Tensor or ndarray becomes one (sharing its data), as PyTorch."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, (ag.Tensor, np.ndarray)):
        return Parameter(value)
    raise TypeError(f"{owner}: expected an nn.Parameter or a Tensor, got {type(value).__name__}")


def _parameter_line(name: str, param: Parameter) -> str:
    size = "x".join(str(n) for n in param.shape)
    return f"({name}): Parameter containing: [{param.dtype} of size {size}]"


class ParameterList(Module):
    """A list of Parameters registered as ``"0"``, ``"1"``, ... (a Tensor is turned into one).

    ``nn.ParameterList([nn.Parameter(np.zeros(3)) for _ in range(4)])`` supports ``len``,
    iteration, ``p[i]`` (negative too), ``p[a:b]`` (a new ParameterList sharing the
    parameters), ``p[i] = param``, ``append``, ``extend`` and ``+=``.
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def __getitem__(self, index: int | slice) -> Parameter | ParameterList:
        if isinstance(index, slice):
            return ParameterList(list(self._parameters.values())[index])
        return self._parameters[str(_position("ParameterList", index, len(self)))]

    def __setitem__(self, index: int, param: Any) -> None:
        position = _position("ParameterList", index, len(self))
        self.register_parameter(str(position), _as_parameter("ParameterList", param))

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` (a Parameter, or a Tensor made one) at the end; returns self."""
        self.register_parameter(str(len(self)), _as_parameter("ParameterList", value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append every value of ``values``; returns self."""
        if isinstance(values, ag.Tensor) or not isinstance(values, Iterable):
            raise TypeError("ParameterList.extend should be called with an iterable, "
                            f"but got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def extra_repr(self) -> str:
        return "\n".join(_parameter_line(name, param) for name, param in self._parameters.items())


class ParameterDict(Module):
    """An ordered dict of Parameters registered under their keys (a Tensor is turned into one).

    As in PyTorch, the entries of a plain ``dict`` are added in sorted key order, those of an
    ``OrderedDict``, a ``ParameterDict`` or a list of ``(key, value)`` pairs in their order.
    ``nn.ParameterDict({"scale": nn.Parameter(np.ones(3))})`` supports ``d[key]``,
    ``d[key] = param``, ``del d[key]``, ``in``, ``len``, iteration over the keys, ``keys()``,
    ``values()``, ``items()``, ``get``, ``update``, ``setdefault``, ``pop`` and ``clear``.
    """

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None
                 = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        if key not in self._parameters:
            raise KeyError(f"ParameterDict has no key {key!r} (keys: {list(self._parameters)})")
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, _as_parameter("ParameterDict", value))

    def __delitem__(self, key: str) -> None:
        self[key]  # the KeyError that names the keys
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self) -> Iterable[str]:
        """The keys, in order."""
        return self._parameters.keys()

    def values(self) -> Iterable[Parameter]:
        """The parameters, in order."""
        return self._parameters.values()

    def items(self) -> Iterable[tuple[str, Parameter]]:
        """``(key, parameter)`` pairs, in order."""
        return self._parameters.items()

    def get(self, key: str, default: Any = None) -> Any:
        """``d[key]`` if present, else ``default``."""
        return self._parameters.get(key, default)

    def update(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add or replace entries from a mapping (a plain dict in sorted key order) or an
        iterable of ``(key, value)`` pairs."""
        for key, value in _pairs("ParameterDict", parameters, sort_plain=True):
            self[key] = value

    def setdefault(self, key: str, default: Any = None) -> Parameter:
        """``d[key]``; when absent, first set it to ``default`` (made a Parameter)."""
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str) -> Parameter:
        """Remove the entry ``key`` and return its parameter."""
        param = self[key]
        del self[key]
        return param

    def clear(self) -> None:
        """Remove every entry."""
        self._parameters.clear()

    def extra_repr(self) -> str:
        return "\n".join(_parameter_line(name, param) for name, param in self._parameters.items())
