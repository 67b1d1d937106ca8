"""Module hooks, as PyTorch runs them: forward pre-hooks, forward hooks and full backward hooks.

``Module.__call__`` hands over to :func:`call_with_hooks` only when the module has hooks,
so a module without any pays one dictionary check per call.

Full backward hooks need the gradients of all the module's inputs at once, after the
whole module has been differentiated, and may replace them. The engine's nodes have
one output each, so a group of tensors is routed through one node: ``_Pack`` joins
them into one flat vector (its backward sees every gradient together and calls the
hooks), and each ``_Unpack`` cuts one tensor back out of it. The module's outputs are
wrapped the same way, so their gradients (``grad_output``) are known first. Both are
identities in value; they cost one copy of the inputs and outputs, only for modules
with backward hooks.
"""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

import autograd as ag
from autograd import Tensor

_handle_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` unregisters the hook.

    Also a context manager: ``with model.register_forward_hook(fn): ...`` removes it on exit.
    """

    def __init__(self, hooks: OrderedDict, *extra: set) -> None:
        self.id = next(_handle_ids)
        self._hooks = hooks
        self._extra = extra

    def remove(self) -> None:
        """Unregister the hook (again is harmless)."""
        self._hooks.pop(self.id, None)
        for flags in self._extra:
            flags.discard(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()


def add_hook(hooks: OrderedDict, hook: Callable, prepend: bool, what: str,
             flags: tuple[set, ...] = ()) -> RemovableHandle:
    """Register ``hook`` in ``hooks`` (first if ``prepend``); ``flags`` get its id too."""
    if not callable(hook):
        raise TypeError(f"{what}: the hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks, *flags)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    for flag_set in flags:
        flag_set.add(handle.id)
    return handle


#: per-module hook tables (id -> hook, in call order) and the sets flagging hook options
_HOOK_TABLES = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks")
_HOOK_FLAGS = ("_forward_pre_hooks_with_kwargs", "_forward_hooks_with_kwargs",
               "_forward_hooks_always_called")


def init_hook_tables(module: Any) -> None:
    """Give a new Module its empty hook tables (called by ``Module.__init__``)."""
    for name in _HOOK_TABLES:
        object.__setattr__(module, name, OrderedDict())
    for name in _HOOK_FLAGS:
        object.__setattr__(module, name, set())


class ModuleHooks:
    """The hook-registering methods of ``nn.Module`` (PyTorch's names and arguments)."""

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before every ``forward``; a returned value replaces the
        positional arguments (a non-tuple becomes a 1-tuple).

        With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs)`` and may return a
        pair ``(new_args, new_kwargs)``.  ``prepend=True`` runs it before the hooks already
        registered.  Returns a handle whose ``remove()`` unregisters it.
        """
        flags = (self._forward_pre_hooks_with_kwargs,) if with_kwargs else ()
        return add_hook(self._forward_pre_hooks, hook, prepend,
                                     "register_forward_pre_hook", flags)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every ``forward``; a returned value
        replaces the output.

        With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs, output)``;
        ``always_call=True`` runs it even when ``forward`` raises (with ``output=None``).
        Returns a handle whose ``remove()`` unregisters it.

        Example (record activations)::

            seen = {}
            handle = model.fc1.register_forward_hook(
                lambda module, args, output: seen.__setitem__("fc1", output.detach()))
        """
        flags = ((self._forward_hooks_with_kwargs,) if with_kwargs else ()) + \
            ((self._forward_hooks_always_called,) if always_call else ())
        return add_hook(self._forward_hooks, hook, prepend,
                                     "register_forward_hook", flags)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False
                                    ) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients with respect to
        the module's positional inputs have been computed, as PyTorch does.

        ``grad_input`` has one entry per positional argument (None for an argument that is not
        a Tensor, zeros for a Tensor that does not require grad or was not used),
        ``grad_output`` one per output (None for an output that received no gradient).
        The hook may return a tuple of replacements for ``grad_input`` (None: no gradient
        for that input). When no input requires grad the hook runs once the outputs'
        gradients are known, with ``grad_input`` all None. Returns a removable handle.

        Example (watch gradient norms)::

            layer.register_full_backward_hook(
                lambda module, grad_input, grad_output: print(grad_output[0].abs().max()))
        """
        return add_hook(self._backward_hooks, hook, prepend,
                                     "register_full_backward_hook")

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False
                                        ) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients with respect to the module's
        outputs are known; it may return replacements for ``grad_output``."""
        return add_hook(self._backward_pre_hooks, hook, prepend,
                                     "register_full_backward_pre_hook")


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """``module.forward(*args, **kwargs)`` with PyTorch's sequence of hooks around it."""
    args, kwargs = _run_pre_hooks(module, args, kwargs)
    backward_hook = None
    if module._backward_hooks or module._backward_pre_hooks:
        backward_hook = _BackwardHook(module)
        args = backward_hook.wrap_inputs(args)
    result, called = None, set()
    try:
        result = module.forward(*args, **kwargs)
        for hook_id, hook in list(module._forward_hooks.items()):
            called.add(hook_id)
            result = _run_forward_hook(module, hook_id, hook, args, kwargs, result)
    except Exception:
        for hook_id, hook in list(module._forward_hooks.items()):
            if hook_id in module._forward_hooks_always_called and hook_id not in called:
                try:
                    result = _run_forward_hook(module, hook_id, hook, args, kwargs, result)
                except Exception as error:  # the forward's own error is the one to see
                    warnings.warn(f"forward hook with always_call=True raised an exception that "
                                  f"was silenced as another error was raised in forward: {error}",
                                  stacklevel=3)
        raise
    if backward_hook is not None:
        result = backward_hook.wrap_outputs(result)
    return result


def _run_pre_hooks(module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    for hook_id, hook in list(module._forward_pre_hooks.items()):
        if hook_id in module._forward_pre_hooks_with_kwargs:
            result = hook(module, args, kwargs)
            if result is None:
                continue
            if not (isinstance(result, tuple) and len(result) == 2):
                raise RuntimeError("forward pre-hook must return None or a tuple of "
                                   f"(new_args, new_kwargs), but got {result!r}")
            args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    return args, kwargs


def _run_forward_hook(module: Any, hook_id: int, hook: Callable, args: tuple, kwargs: dict,
                      result: Any) -> Any:
    if hook_id in module._forward_hooks_with_kwargs:
        value = hook(module, args, kwargs, result)
    else:
        value = hook(module, args, result)
    return result if value is None else value


class _Pack(ag.Function):
    """Identity on a group of tensors joined into one flat vector; its backward receives the
    gradients of all of them together and hands them to ``on_grads``."""

    @staticmethod
    def forward(ctx, on_grads, received, *tensors):
        ctx.on_grads, ctx.received = on_grads, received
        ctx.layout = [(t.shape, t.dtype, t.size) for t in tensors]
        dtype = np.result_type(*[t.dtype for t in tensors])
        return np.concatenate([t.data.reshape(-1).astype(dtype) for t in tensors])

    @staticmethod
    def backward(ctx, grad):
        grads, start = [], 0
        for index, (shape, dtype, size) in enumerate(ctx.layout):
            if ctx.received is None or index in ctx.received:
                grads.append(grad[start:start + size].reshape(shape).astype(dtype))
            else:  # an output that received no gradient: PyTorch's None
                grads.append(None)
            start += size
        if ctx.received is not None:
            ctx.received.clear()  # ready for another backward through a retained graph
        return (None, None, *ctx.on_grads(grads))


class _Unpack(ag.Function):
    """Tensor ``index`` of a ``_Pack`` group: the slice ``[start, stop)`` in its shape and dtype."""

    @staticmethod
    def forward(ctx, packed, start, stop, shape, dtype, received, index):
        ctx.start, ctx.pad_after, ctx.packed_dtype = start, packed.size - stop, packed.dtype
        ctx.received, ctx.index = received, index
        return packed.data[start:stop].reshape(shape).astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        if ctx.received is not None:
            ctx.received.add(ctx.index)
        flat = grad.reshape(-1).astype(ctx.packed_dtype)
        return ag.pad(flat, (ctx.start, ctx.pad_after)), None, None, None, None, None, None


def _route(tensors: list[Tensor], on_grads: Callable, received: set | None) -> list[Tensor]:
    """New tensors equal to ``tensors`` whose gradients all pass through one ``on_grads`` call."""
    packed = _Pack.apply(on_grads, received, *tensors)
    routed, start = [], 0
    for index, tensor in enumerate(tensors):
        stop = start + tensor.size
        routed.append(_Unpack.apply(packed, start, stop, tensor.shape, tensor.dtype, received,
                                    index))
        start = stop
    return routed


def _check_grads(module: Any, what: str, grads: Any, expected: tuple) -> list:
    """A hook's replacement gradients: as many as ``expected``, each None or of its shape."""
    name = type(module).__name__
    if not isinstance(grads, (tuple, list)) or len(grads) != len(expected):
        count = len(grads) if isinstance(grads, (tuple, list)) else type(grads).__name__
        raise RuntimeError(f"{name}: {what} hook returned an invalid number of "
                           f"gradients, got {count}, but expected {len(expected)}")
    for position, (grad, old) in enumerate(zip(grads, expected)):
        if grad is not None and old is not None and np.shape(grad) != old.shape:
            raise RuntimeError(f"{name}: {what} hook returned a gradient of shape "
                               f"{np.shape(grad)} at position {position}, expected {old.shape}")
    return list(grads)


class _BackwardHook:
    """The full backward hooks of one call of ``module``: routes its inputs and outputs and
    calls ``hook(module, grad_input, grad_output)`` once both are known."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.grad_outputs: tuple | None = None
        self.num_inputs = 0
        self.input_positions: list[int] | None = None  # None: no input requires grad

    def wrap_inputs(self, args: tuple) -> tuple:
        self.num_inputs = len(args)
        positions = [i for i, arg in enumerate(args)
                     if isinstance(arg, Tensor) and arg.requires_grad]
        if not positions or not ag.is_grad_enabled():
            return args
        self.input_positions = positions
        # a Tensor input that does not require grad has a zero gradient (PyTorch's too)
        self.constant_inputs = [(i, arg.shape, arg.dtype) for i, arg in enumerate(args)
                                if isinstance(arg, Tensor) and not arg.requires_grad]
        routed = _route([args[i] for i in positions], self._on_input_grads, None)
        new_args = list(args)
        for position, tensor in zip(positions, routed):
            new_args[position] = tensor
        return tuple(new_args)

    def wrap_outputs(self, result: Any) -> Any:
        if not isinstance(result, (Tensor, tuple)):
            warnings.warn("For backward hooks to be called, module output should be a Tensor or "
                          f"a tuple of Tensors but received {type(result).__name__}",
                          stacklevel=3)
            return result
        outputs = result if isinstance(result, tuple) else (result,)
        positions = [i for i, out in enumerate(outputs)
                     if isinstance(out, Tensor) and out.requires_grad]
        if not positions or not ag.is_grad_enabled():
            return result
        self.num_outputs, self.output_positions = len(outputs), positions
        routed = _route([outputs[i] for i in positions], self._on_output_grads, set())
        new_outputs = list(outputs)
        for position, tensor in zip(positions, routed):
            new_outputs[position] = tensor
        return tuple(new_outputs) if isinstance(result, tuple) else new_outputs[0]

    def _on_output_grads(self, grads: list) -> list:
        grad_outputs = [None] * self.num_outputs
        for position, grad in zip(self.output_positions, grads):
            grad_outputs[position] = grad
        for hook in list(self.module._backward_pre_hooks.values()):
            replaced = hook(self.module, tuple(grad_outputs))
            if replaced is not None:
                grad_outputs = _check_grads(self.module, "backward pre", replaced,
                                            tuple(grad_outputs))
        self.grad_outputs = tuple(grad_outputs)
        if self.input_positions is None:
            self._call_without_input_grads()
        return [grad_outputs[position] for position in self.output_positions]

    def _call_without_input_grads(self) -> None:
        """No input requires grad: the hooks run now, with ``grad_input`` all None."""
        warnings.warn("Full backward hook is firing when gradients are computed with respect to "
                      "module outputs since no inputs require gradients", stacklevel=2)
        grad_inputs = (None,) * self.num_inputs
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is not None and not all(value is None for value in result):
                raise RuntimeError(f"{type(self.module).__name__}: a backward hook of a module "
                                   "whose inputs do not require grad must return None or None "
                                   "for every gradient")
        self.grad_outputs = None

    def _on_input_grads(self, grads: list) -> list:
        if self.grad_outputs is None:
            # the gradient reached the inputs without passing through the outputs (double
            # backward): nothing to report, as in PyTorch
            return grads
        grad_inputs = [None] * self.num_inputs
        for position, grad in zip(self.input_positions, grads):
            grad_inputs[position] = grad
        for position, shape, dtype in self.constant_inputs:
            grad_inputs[position] = Tensor(np.zeros(shape, dtype=dtype))
        for hook in list(self.module._backward_hooks.values()):
            replaced = hook(self.module, tuple(grad_inputs), self.grad_outputs)
            if replaced is not None:
                grad_inputs = _check_grads(self.module, "backward", replaced, tuple(grad_inputs))
        self.grad_outputs = None
        return [grad_inputs[position] for position in self.input_positions]
