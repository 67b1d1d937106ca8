"""``DistributedDataParallel``: the same model on every process, gradients averaged by backward.

::

    nn.parallel.init()
    model = nn.parallel.DistributedDataParallel(build_model())
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:                 # each process its own shard (DistributedSampler)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()                 # gradients are averaged over the processes here
        optimizer.step()                # so every process takes the same step

How the gradients travel: the parameters that require grad are grouped, in reverse order
of ``parameters()`` (roughly the order backward reaches them), into buckets of at most
``bucket_cap_mb`` megabytes of one dtype. A hook on each parameter marks it ready when
backward has accumulated its gradient; a bucket whose parameters are all ready is copied
into its one flat, contiguous buffer and summed over the processes in place with a single
non-blocking ``Iallreduce`` — buckets are started strictly in order, so every process
issues the same collectives in the same order. When the backward pass ends, the buckets
still waiting (holding a parameter that received no gradient in this pass) are started
too, everything is waited for, and each parameter's ``.grad`` becomes its slice of the
bucket divided by the number of processes.

Each bucket carries one extra number per parameter: how many processes hold a gradient
for it. A parameter that no process used keeps ``grad = None`` (so optimizers skip it,
as in one process); one that only some processes used gets the average with zeros from
the others. Nothing waits for a gradient that never comes, so unused parameters cannot
hang the job. The first bucket also carries a fingerprint of every process's NumPy
random state; when they differ (batches of different sizes drew different amounts of
dropout noise, or the script drew differently per rank), every process takes rank 0's
state back, so dropout masks keep following the per-sample rule of
``nn.parallel.batch_random`` — without a message of their own.

``state_dict()`` follows PyTorch: the wrapper is a Module whose only child is ``module``,
so its keys carry the prefix ``module.`` (``module.0.weight``). Save
``ddp.module.state_dict()`` (from rank 0 only) to get the keys of the plain model, which
then loads in a single process; ``ddp.load_state_dict`` expects the prefixed keys.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd import Tensor, is_grad_enabled
from autograd.engine import queue_callback
from nn.module import Module, Parameter
from nn.parallel import comm
from nn.parallel.batch_random import split_batch

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Data-parallel training: every process runs ``module`` on its own part of each batch.

    Args:
        module: the model, built the same way on every process.
        bucket_cap_mb: the largest bucket of gradients summed in one message (PyTorch's 25).
        broadcast_buffers: at every forward that records a graph (outside ``no_grad()``
            and ``no_sync()``), give every process rank 0's buffers (such as
            ``BatchNorm``'s running statistics), as PyTorch does.

    Construction is collective (every process builds its wrapper at the same point). It
    checks that every process has the same parameter and buffer names, shapes and dtypes
    (naming the first difference and both shapes otherwise), copies rank 0's parameters
    and buffers to every process, and gives every process rank 0's NumPy random state, so
    that dropout draws the same masks everywhere. Inside ``forward`` a dropout mask is
    drawn per sample of the *global* batch (sample i of rank r is its row i·N + r, the
    order in which ``DistributedSampler`` deals samples out), exactly as one process
    holding that whole batch would draw it; see ``nn.parallel.batch_random``.

    With N processes and per-process batch B (the loss a mean over the batch), the
    averaged gradient is that of the mean loss over all N·B samples: training equals one
    process with batch N·B. When the processes' batch sizes differ, it is the average of
    the per-process means, as in PyTorch.

    The wrapped model is ``.module``; ``state_dict()`` keys carry ``module.`` (see the
    module docstring). Use :meth:`no_sync` to accumulate gradients over several backward
    passes without communicating. A forward that records a graph (buffers to broadcast)
    and every backward are collective: every process runs them. Under ``no_grad()`` (as
    ``nn.evaluate`` and ``nn.predict`` run) the forward sends nothing, so one process may
    use the model alone.
    """

    def __init__(self, module: Module, bucket_cap_mb: float = 25.0,
                 broadcast_buffers: bool = True) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: expected an nn.Module, got {type(module).__name__}"
            )
        if not bucket_cap_mb > 0:
            raise ValueError(
                f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb}"
            )
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.group = comm.world().dup()
        _check_same_model(module, self.group)
        _broadcast([tensor for _, tensor in _state_tensors(module)], self.group)
        np.random.set_state(self.group.broadcast_object(np.random.get_state()))
        trained = [param for param in module.parameters() if param.requires_grad]
        self.reducer = _Reducer(list(reversed(trained)), self.group,
                                int(bucket_cap_mb * 1024 * 1024))

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """``module(*inputs, **kwargs)``, with rank 0's buffers and per-sample dropout noise."""
        self.reducer.reset()
        if self.broadcast_buffers and self.reducer.enabled and is_grad_enabled():
            _broadcast(list(self.module.buffers()), self.group)
        with split_batch(self.group.rank, self.group.size, _batch_rows(inputs)):
            return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within the block, backward only accumulates gradients locally.

        The first backward after the block averages the accumulated gradients::

            with model.no_sync():
                loss_fn(model(x1), y1).backward()    # local
            loss_fn(model(x2), y2).backward()        # x1 and x2's gradients, averaged
        """
        previous = self.reducer.enabled
        self.reducer.enabled = False
        try:
            yield
        finally:
            self.reducer.enabled = previous

    def extra_repr(self) -> str:
        """The number of processes and buckets."""
        return f"world_size={self.group.size}, buckets={len(self.reducer.buckets)}"


def _batch_rows(inputs: tuple) -> int | None:
    """Samples in this process's batch: the first axis of the first array-like input."""
    for value in inputs:
        shape = getattr(value, "shape", None)
        if isinstance(shape, tuple) and len(shape) >= 1:
            return int(shape[0])
    return None


def _state_tensors(module: Module) -> list[tuple[str, Tensor]]:
    """(kind and name, tensor) of every parameter and buffer, in a fixed order."""
    return ([(f"parameter '{name}'", param) for name, param in module.named_parameters()]
            + [(f"buffer '{name}'", buffer) for name, buffer in module.named_buffers()])


def _check_same_model(module: Module, group: comm.ProcessGroup) -> None:
    """Raise (on every process alike) when some process's model differs from rank 0's."""
    mine = [(what, tuple(tensor.shape), str(tensor.data.dtype))
            for what, tensor in _state_tensors(module)]
    everyone = group.allgather(mine)
    reference = everyone[0]
    for other, theirs in enumerate(everyone[1:], start=1):
        problem = _first_difference(reference, theirs, other)
        if problem:
            raise ValueError(
                f"DistributedDataParallel: {problem}; every process must build the same model"
            )


def _first_difference(reference: list, theirs: list, other: int) -> str | None:
    for (what0, shape0, dtype0), (what, shape, dtype) in zip(reference, theirs):
        if what != what0:
            return f"rank {other} has {what} where rank 0 has {what0}"
        if shape != shape0:
            return f"{what} has shape {shape} on rank {other} but {shape0} on rank 0"
        if dtype != dtype0:
            return f"{what} has dtype {dtype} on rank {other} but {dtype0} on rank 0"
    if len(theirs) != len(reference):
        common = min(len(theirs), len(reference))
        extra_rank, extra = (other, theirs) if len(theirs) > common else (0, reference)
        return (f"rank {other} has {len(theirs)} parameters and buffers but rank 0 has "
                f"{len(reference)} (the first extra one is rank {extra_rank}'s {extra[common][0]})")
    return None


def _broadcast(tensors: list[Tensor], group: comm.ProcessGroup) -> None:
    """Overwrite every tensor with rank 0's values: one message per dtype."""
    if group.size == 1:
        return
    by_dtype: dict[np.dtype, list[Tensor]] = {}
    for tensor in tensors:
        by_dtype.setdefault(tensor.data.dtype, []).append(tensor)
    for dtype, members in by_dtype.items():
        flat = np.concatenate([tensor.data.reshape(-1) for tensor in members]).astype(dtype)
        group.broadcast_(flat)
        offset = 0
        for tensor in members:
            size = tensor.data.size
            tensor.data[...] = flat[offset : offset + size].reshape(tensor.data.shape)
            offset += size


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer.

    The buffer holds the gradients end to end, then one number per parameter: 1 when
    this process has a gradient for it (after the sum: how many processes have one),
    then ``extra`` numbers that :meth:`fill` is given (the random-state fingerprints).
    """

    def __init__(self, params: list[Parameter], extra: int = 0) -> None:
        self.params = params
        self.offsets = np.cumsum([0] + [param.data.size for param in params]).tolist()
        self.extra = extra
        self.buffer: np.ndarray | None = None
        self.ready: set[int] = set()

    @property
    def complete(self) -> bool:
        return len(self.ready) == len(self.params)

    @property
    def tail(self) -> np.ndarray:
        """The ``extra`` numbers at the end of the buffer."""
        return self.buffer[self.offsets[-1] + len(self.params):]

    def fill(self, extra: np.ndarray | None = None) -> np.ndarray:
        """Copy the parameters' gradients (zeros where there is none) into the buffer."""
        dtype = np.result_type(*[param.data.dtype for param in self.params])
        length = self.offsets[-1] + len(self.params) + self.extra
        if self.buffer is None or self.buffer.dtype != dtype or self.buffer.size != length:
            self.buffer = np.empty(length, dtype=dtype)
        counts = self.buffer[self.offsets[-1] : self.offsets[-1] + len(self.params)]
        for index, param in enumerate(self.params):
            values = self.buffer[self.offsets[index] : self.offsets[index + 1]]
            if param.grad is None:
                values[...] = 0
                counts[index] = 0
            else:
                values[...] = param.grad.data.reshape(-1)
                counts[index] = 1
        if self.extra:
            self.tail[...] = extra.reshape(-1)
        return self.buffer

    def write_back(self, processes: int) -> None:
        """Each parameter's ``.grad`` becomes its slice of the summed buffer / ``processes``."""
        total = self.offsets[-1]
        averaged = self.buffer[:total] / processes  # a new array: the grads are views into it
        counts = self.buffer[total : total + len(self.params)]
        for index, param in enumerate(self.params):
            if counts[index] == 0:  # no process has a gradient: leave None
                continue
            values = averaged[self.offsets[index] : self.offsets[index + 1]]
            param.grad = Tensor(values.reshape(param.data.shape).astype(param.data.dtype,
                                                                       copy=False))


# Four small integers per process (exact even in float16) that tell NumPy's global
# random states apart: the position in the key, and three words of it modulo a prime.
_FINGERPRINT = 4


def _random_state_fingerprint() -> np.ndarray:
    _, key, position, *_ = np.random.get_state()
    return np.array([position, key[0] % 2039, key[311] % 2039, key[623] % 2039])


class _Reducer:
    """Averages the gradients of ``params`` (in backward order) over ``group``'s processes."""

    def __init__(self, params: list[Parameter], group: comm.ProcessGroup, cap_bytes: int):
        self.group = group
        self.enabled = True
        self.buckets = _make_buckets(params, cap_bytes)
        if self.buckets:  # the first bucket also carries the random-state fingerprints
            self.buckets[0].extra = _FINGERPRINT * group.size
        self.where = {id(param): (number, index) for number, bucket in enumerate(self.buckets)
                      for index, param in enumerate(bucket.params)}
        self.reset()
        if group.size > 1:
            reducer = weakref.ref(self)  # the hooks must not keep the reducer alive

            def on_gradient(param: Parameter) -> None:
                live = reducer()
                if live is not None:
                    live.gradient_ready(param)

            self.handles = [param.register_post_accumulate_grad_hook(on_gradient)
                            for param in params]
            weakref.finalize(self, _remove_all, self.handles)

    def reset(self) -> None:
        """Forget the current backward pass (a new forward starts a new one)."""
        self.queued = False
        self.next_bucket = 0
        self.requests: list = []
        for bucket in self.buckets:
            bucket.ready.clear()

    def gradient_ready(self, param: Parameter) -> None:
        """Backward accumulated ``param``'s gradient: start every bucket that is now full."""
        if not self.enabled:
            return
        if not self.queued:
            queue_callback(self.finish)
            self.queued = True
        number, index = self.where[id(param)]
        self.buckets[number].ready.add(index)
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].complete:
            self._start_next()

    def _start_next(self) -> None:
        extra = None
        if self.next_bucket == 0:  # this process's fingerprint in its own slots
            extra = np.zeros((self.group.size, _FINGERPRINT))
            extra[self.group.rank] = _random_state_fingerprint()
        buffer = self.buckets[self.next_bucket].fill(extra)
        self.requests.append(self.group.start_allreduce_sum(buffer))
        self.next_bucket += 1

    def finish(self) -> None:
        """At the end of backward: start the remaining buckets, wait, write the averages."""
        try:
            while self.next_bucket < len(self.buckets):
                self._start_next()
            self.group.wait_all(self.requests)
            for bucket in self.buckets:
                bucket.write_back(self.group.size)
            fingerprints = self.buckets[0].tail.reshape(self.group.size, _FINGERPRINT)
            if (fingerprints != fingerprints[0]).any():  # seen alike by every process
                np.random.set_state(self.group.broadcast_object(np.random.get_state()))
        finally:
            self.reset()


def _make_buckets(params: list[Parameter], cap_bytes: int) -> list[_Bucket]:
    """Consecutive parameters of one dtype, at most ``cap_bytes`` per bucket (one if larger)."""
    buckets: list[list[Parameter]] = []
    size = 0
    for param in params:
        current = buckets[-1] if buckets else None
        fits = (current is not None and current[0].data.dtype == param.data.dtype
                and size + param.data.nbytes <= cap_bytes)
        if fits:
            current.append(param)
            size += param.data.nbytes
        else:
            buckets.append([param])
            size = param.data.nbytes
    return [_Bucket(members) for members in buckets]


def _remove_all(handles: list) -> None:
    for handle in handles:
        handle.remove()
