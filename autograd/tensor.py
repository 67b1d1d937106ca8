"""The Tensor: an ``np.ndarray`` plus the bookkeeping reverse-mode autodiff needs.

A tensor produced by a recorded operation points to the ``Node`` that made it
(``grad_fn``); the nodes point to their input tensors, so the whole
computation graph hangs off the output. ``backward()`` walks that graph in
reverse (see ``engine.py``). Operators and math methods are attached by the
op families in ``autograd/ops``.
"""

from __future__ import annotations

import numbers

import numpy as np

DEFAULT_DTYPE = np.float32


def _to_array(data, dtype=None) -> np.ndarray:
    """Python data -> float32 (unless ``dtype``); arrays and NumPy scalars keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data, dtype=dtype)
    if isinstance(data, (numbers.Number, list, tuple)):
        try:
            return np.asarray(data, dtype=dtype or DEFAULT_DTYPE)
        except ValueError as error:
            raise ValueError(f"Tensor: cannot make a tensor from this data: {error}") from None
    raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__}")


def _check_can_require_grad(dtype: np.dtype) -> None:
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(
            f"requires_grad: only floating-point tensors can require gradients, got dtype {dtype}"
        )


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    >>> x = ag.tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad                      # d/dx sum(x**2) = 2x
    Tensor([[2., 4.]], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "name", "_retains_grad", "__weakref__")
    # Make NumPy defer to our reflected operators (``ndarray + Tensor`` -> ``Tensor.__radd__``).
    __array_ufunc__ = None
    __hash__ = object.__hash__

    def __init__(self, data, requires_grad: bool = False, dtype=None) -> None:
        array = _to_array(data, dtype)
        if requires_grad:
            _check_can_require_grad(array.dtype)
        self.data = array
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.grad_fn = None
        self.name = None
        self._retains_grad = False

    @staticmethod
    def _make(data, requires_grad: bool = False, grad_fn=None) -> Tensor:
        """Fast internal constructor: ``data`` is trusted to be array-like of the right dtype."""
        tensor = object.__new__(Tensor)
        tensor.data = data if type(data) is np.ndarray else np.asarray(data)
        tensor.grad = None
        tensor.requires_grad = requires_grad
        tensor.grad_fn = grad_fn
        tensor.name = None
        tensor._retains_grad = False
        return tensor

    # ----------------------------------------------------------------- properties
    shape = property(lambda self: self.data.shape, doc="Tuple of dimensions, as NumPy.")
    ndim = property(lambda self: self.data.ndim, doc="Number of dimensions.")
    dtype = property(lambda self: self.data.dtype, doc="The NumPy dtype.")
    size = property(lambda self: self.data.size, doc="Number of elements.")
    is_leaf = property(
        lambda self: self.grad_fn is None, doc="True for tensors not made by a recorded op."
    )

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ----------------------------------------------------------------- leaving the graph
    def numpy(self) -> np.ndarray:
        """The underlying array (shares memory, no graph)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item: only one-element tensors can be converted, got shape {self.shape}"
            )
        return self.data.item()

    def tolist(self):
        """The data as (nested) Python lists."""
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if dtype is None:
            return self.data
        return self.data.astype(dtype, copy=False)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"bool: the truth value of a tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.data)

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required unless ``self`` has exactly one element.
        The graph's saved values are freed afterwards unless ``retain_graph``;
        ``create_graph=True`` records the backward pass so it can be differentiated again.
        """
        from autograd.engine import backward

        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    def _bump_version(self) -> None:
        """Record that ``data`` was changed in place (optimizers, ``nn.init``, loading).

        Called by library code after every in-place change of a tensor's values, so
        that a backward needing the old values can refuse to run.
        """
        # The version counters themselves arrive with the engine redesign.

    def detach(self) -> Tensor:
        """A new tensor sharing the data, cut from the graph (``requires_grad=False``)."""
        return Tensor._make(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; returns ``self``."""
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_: cannot turn off requires_grad on a non-leaf tensor; use detach()"
            )
        if requires_grad:
            _check_can_require_grad(self.data.dtype)
        self.requires_grad = bool(requires_grad)
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever this tensor's gradient is computed.

        The hook may return a replacement gradient (same shape) or None. Returns a
        handle whose ``remove()`` unregisters the hook. On a leaf the hook sees the
        gradient of one backward pass, before it is added to ``.grad``.
        """
        from autograd import hooks

        handle = hooks.add(hooks.grad_hooks, self, hook, "register_hook")
        if self.grad_fn is not None:
            self.grad_fn.retain(self)
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` on a leaf after backward has added to its ``.grad``."""
        from autograd import hooks

        if self.grad_fn is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: only leaf tensors have "
                               "their gradient accumulated; use register_hook on non-leaves")
        return hooks.add(hooks.post_accumulate_hooks, self, hook,
                         "register_post_accumulate_grad_hook")

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self.grad_fn is not None and not self._retains_grad:
            self._retains_grad = True
            self.grad_fn.retain(self)

    # ----------------------------------------------------------------- printing
    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.data.dtype}"]
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}, {', '.join(extras)})"


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Make a tensor; Python scalars and lists become float32, arrays keep their dtype."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(value, like: Tensor | None = None) -> Tensor:
    """Wrap a constant as a tensor without grad.

    A constant combined with a floating tensor ``like`` is cast to ``like``'s
    dtype, so a Python scalar or a float64 array never upcasts a float32 graph.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (str, bytes)):
        raise TypeError(f"Tensor: cannot combine a tensor with a {type(value).__name__} "
                        f"({value!r}); expected a number, array or Tensor")
    if like is not None and like.data.dtype.kind == "f":
        return Tensor._make(np.asarray(value, dtype=like.data.dtype))
    return Tensor._make(_to_array(value))
