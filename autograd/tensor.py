"""The Tensor: an ``np.ndarray`` plus the bookkeeping reverse-mode autodiff needs.

A tensor produced by a recorded operation points to the ``Node`` that made it
(``grad_fn``); the nodes point to their input tensors, so the whole
computation graph hangs off the output. ``backward()`` walks that graph in
reverse (``engine.py``).

The class body below holds the tensor's own state; its operators and math
methods are the table in ``autograd/tensor_methods.py``, imported at the end of
this file: each line names the function that implements the method
(``Tensor.tanh = unary.tanh``), whose op class, a few lines away in the same
module, holds forward and backward.
"""

from __future__ import annotations

import numbers

import numpy as np

from autograd import capturing
from autograd.devices import check_device

DEFAULT_DTYPE = np.dtype(np.float32)


class _Clock:
    """Advances on every in-place change anywhere; nodes and version counters read it."""

    now = 0


clock = _Clock()


class VersionCounter:
    """How often a tensor's buffer was changed in place, and when (``clock.now``) it last was.

    Tensors that share a buffer (views, ``detach()``) share the counter, and
    ``shared`` says so.
    """

    __slots__ = ("version", "stamp", "shared")

    def __init__(self) -> None:
        self.version = 0
        self.stamp = 0
        self.shared = False


def _to_array(data, dtype=None, copy: bool = False) -> np.ndarray:
    """Python data -> an array: floats float32, ints int64, bools bool; arrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data, dtype=dtype) if copy else np.asarray(data, dtype=dtype)
    if not isinstance(data, (numbers.Number, list, tuple)):
        raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__}")
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as error:
        raise ValueError(f"Tensor: cannot make a tensor from this data: {error}") from None
    if dtype is None and array.dtype == np.float64:
        array = array.astype(DEFAULT_DTYPE)
    if array.dtype == object:
        raise TypeError("Tensor: cannot make a tensor from this data: its elements are not "
                        "numbers of one kind (or an integer is too large for int64)")
    return array


def _check_can_require_grad(dtype: np.dtype) -> None:
    if dtype.kind not in "fc":
        raise TypeError(
            f"requires_grad: only floating-point tensors can require gradients, got dtype {dtype}"
        )


class Size(int):
    """NumPy's ``size`` (the element count, an int) that is also PyTorch's ``size()``.

    ``x.size`` is an int; ``x.size()`` is the shape and ``x.size(d)`` one dimension.
    """

    def __call__(self, dim=None):
        if dim is None:
            return self.shape
        try:
            return self.shape[dim]
        except (IndexError, TypeError):
            raise IndexError(f"size: dimension {dim!r} is out of range for a tensor of "
                             f"{len(self.shape)} dimensions (shape {self.shape})") from None


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    >>> x = ag.tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad                      # d/dx sum(x**2) = 2x
    Tensor([[2., 4.]], dtype=float32)
    """

    __slots__ = ("data", "_grad", "requires_grad", "grad_fn", "name", "_retains_grad",
                 "_version_counter", "__weakref__")
    __hash__ = object.__hash__
    __array_priority__ = 1000  # NumPy defers its binary operators to ours

    def __init__(self, data, requires_grad: bool = False, dtype=None, device=None) -> None:
        if device is not None:
            check_device("Tensor", device)
        if dtype is not None and isinstance(data, (Tensor, np.ndarray)):
            # a converting copy: recorded, so a captured step converts each call's array
            array = capturing.call(_to_array, data, dtype)
        else:
            array = _to_array(data, dtype)
        if requires_grad:
            _check_can_require_grad(array.dtype)
        self.data = array
        self._grad = None
        self.requires_grad = bool(requires_grad)
        self.grad_fn = None
        self.name = None
        self._retains_grad = False
        self._version_counter = None

    @staticmethod
    def _make(data, requires_grad: bool = False, grad_fn=None) -> Tensor:
        """Fast internal constructor: ``data`` is trusted to be array-like of the right dtype."""
        tensor = object.__new__(Tensor)
        tensor.data = data if type(data) is np.ndarray else np.asarray(data)
        tensor._grad = None
        tensor.requires_grad = requires_grad
        tensor.grad_fn = grad_fn
        tensor.name = None
        tensor._retains_grad = False
        tensor._version_counter = None
        return tensor

    # ----------------------------------------------------------------- properties
    shape = property(lambda self: self.data.shape, doc="Tuple of dimensions, as NumPy.")
    ndim = property(lambda self: self.data.ndim, doc="Number of dimensions.")
    dtype = property(lambda self: self.data.dtype, doc="The NumPy dtype.")
    is_leaf = property(
        lambda self: self.grad_fn is None, doc="True for tensors not made by a recorded op."
    )
    device = property(lambda self: "cpu", doc='Always "cpu" (NumPy arrays live in memory).')

    @property
    def size(self) -> Size:
        """Number of elements (NumPy); callable as PyTorch's ``size()`` / ``size(dim)``."""
        size = Size(self.data.size)
        size.shape = self.data.shape
        return size

    @property
    def grad(self):
        """``None`` or a Tensor of this tensor's shape, filled in by ``backward()``."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if isinstance(value, np.ndarray):
                value = Tensor._make(value)
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad must be None or a Tensor (or array) of "
                                f"shape {self.shape}, got {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"grad: assigned grad has shape {value.shape}, but the "
                                   f"tensor has shape {self.shape}")
        elif capturing.state.recorder is not None:  # `p.grad = None` in a captured step
            capturing.call(_clear_grad, self)
        self._grad = value

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

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError(f"only integer tensors of one element can be used as an index, "
                            f"got dtype {self.dtype} and shape {self.shape}")
        return int(self.data.item())

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

    def detach(self) -> Tensor:
        """A new tensor sharing the data (and its version counter), cut from the graph."""
        detached = Tensor._make(self.data)
        counter = detached._version_counter = self._counter()
        counter.shared = True
        return detached

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

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self.grad_fn is not None and not self._retains_grad:
            self._retains_grad = True
            self.grad_fn.retain(self)

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

    # ----------------------------------------------------------------- versions
    @property
    def _version(self) -> int:
        """How many times the data was changed in place (by the library: ops, optimizers)."""
        counter = self._version_counter
        return 0 if counter is None else counter.version

    def _counter(self) -> VersionCounter:
        """This tensor's version counter, made on first need."""
        counter = self._version_counter
        if counter is None:
            counter = self._version_counter = VersionCounter()
            if self.grad_fn is not None:
                self.grad_fn.output_version = counter
        return counter

    def _bump_version(self) -> None:
        """Record that ``data`` was changed in place (optimizers, ``nn.init``, loading).

        A backward that needs this tensor's old values then refuses to run.
        """
        counter = self._counter()
        clock.now += 1
        counter.version += 1
        counter.stamp = clock.now

    # ----------------------------------------------------------------- printing
    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.data.dtype}"]
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}, {', '.join(extras)})"


def _clear_grad(tensor: Tensor) -> None:
    tensor._grad = None


def tensor(data, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
    """A new tensor holding a copy of ``data``, as ``torch.tensor``.

    Python floats become float32, ints int64 and bools bool; arrays keep their dtype.
    ``device`` may only be the CPU (``"cpu"``), as for every factory.
    """
    check_device("tensor", device)
    # recorded: a captured step copies each call's array (not the recorded call's values)
    return Tensor(capturing.call(_to_array, data, dtype, copy=True), requires_grad=requires_grad)


def share_version(view: Tensor, source: Tensor) -> Tensor:
    """Give ``view`` the version counter of ``source`` if it is a view of its buffer."""
    base = view.data.base
    if base is not None and (base is source.data or base is source.data.base):
        counter = view._version_counter = source._counter()
        counter.shared = True
    return view


def as_tensor(value, like: Tensor | None = None) -> Tensor:
    """Wrap a constant as a tensor without grad, with NumPy's promotion rules.

    Next to a tensor ``like``, a Python number takes ``like``'s dtype when it fits
    its kind (``int_tensor + 1`` stays integer, ``float32 * 2`` stays float32), and
    a floating tensor also casts array constants to its dtype, so a float64 array
    never upcasts a float32 graph.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (str, bytes)):
        raise TypeError(f"Tensor: cannot combine a tensor with a {type(value).__name__} "
                        f"({value!r}); expected a number, array or Tensor")
    if like is not None:
        dtype = like.data.dtype
        if isinstance(value, (int, float, complex)):  # bool too: Python numbers are weak
            kind = dtype.kind
            if not (kind == "f" or (kind in "iu" and type(value) is int)):
                dtype = np.result_type(dtype, value)
            return Tensor._make(np.asarray(value, dtype=dtype))
        if dtype.kind == "f":
            array = np.asarray(value)
            if array.dtype.kind in "biuf":
                if array.dtype == dtype:
                    return Tensor._make(array)
                # recorded: a captured step casts each call's array (a mask, a target)
                return Tensor._make(capturing.call(np.asarray, array, dtype=dtype))
    return Tensor._make(_to_array(value))


# ------------------------------------------------------------------------ the method surface
# The operators and methods, one line each (autograd/tensor_methods.py); its modules import
# Tensor from here, so the table is read once the class exists.
from autograd import tensor_methods  # noqa: E402, F401
