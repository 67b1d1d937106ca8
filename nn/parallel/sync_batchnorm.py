"""``SyncBatchNorm``: batch normalisation with statistics over the batches of all processes.

In training, the mean and variance of each channel are taken over every process's batch
together, so N processes with batch B normalise exactly as one process with batch N·B
(and update the same running statistics). The layer is written with differentiable
tensor operations around one collective, :func:`all_reduce_sum`, whose backward is the
same sum: the gradient reaching a process's input includes what the other processes'
losses send back through the shared statistics. Per training forward that is two
all-reduces of C + 1 and C numbers, and two more of the same size in backward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd.tensor import as_tensor
from nn.module import Module
from nn.norm import _BatchNorm
from nn.parallel import comm

__all__ = ["SyncBatchNorm", "all_reduce_sum", "sync_batch_norm"]


class _AllReduceSum(ag.Function):
    """Sum over the processes: ``y = sum_r x_r`` on every process.

    Each process's loss L_k depends on y, so d(sum_k L_k)/dx_r = sum_k dL_k/dy: the
    backward is the same all-reduce of the incoming gradients (and is differentiable).
    """

    name = "all_reduce_sum"

    @staticmethod
    def forward(ctx, x, group):
        ctx.group = group
        return group.allreduce_sum(x.data)

    @staticmethod
    def backward(ctx, grad):
        return _AllReduceSum.apply(grad, ctx.group), None


def all_reduce_sum(x: ag.Tensor, group: comm.ProcessGroup) -> ag.Tensor:
    """The sum of ``x`` over ``group``'s processes, differentiable (its gradient is summed too)."""
    return _AllReduceSum.apply(as_tensor(x), group)


def sync_batch_norm(x: ag.Tensor, running_mean: ag.Tensor | None, running_var: ag.Tensor | None,
                    weight: ag.Tensor | None, bias: ag.Tensor | None, momentum: float,
                    eps: float, group: comm.ProcessGroup) -> ag.Tensor:
    """Training-mode batch norm of (N, C, *) with the statistics of all of ``group``'s batches.

    ``mean = sum(x) / n`` and ``var = sum((x - mean)**2) / n`` per channel, sums and ``n``
    over every axis but 1 of every process's input; the running estimates (if given) are
    updated in place with the unbiased variance, as ``nn.BatchNorm``.
    """
    channels = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    view = (1, channels) + (1,) * (x.ndim - 2)
    local_count = ag.Tensor(np.array([x.size // channels], dtype=x.dtype))
    sums = all_reduce_sum(ag.concatenate([x.sum(axis=axes), local_count]), group)
    count = int(round(float(sums.data[-1])))
    if count <= 1:
        raise ValueError(
            f"SyncBatchNorm: Expected more than 1 value per channel when training, got {count} "
            f"over all processes (input of shape {x.shape} here)"
        )
    mean = sums[:channels] / count
    centered = x - mean.reshape(view)
    var = all_reduce_sum((centered * centered).sum(axis=axes), group) / count
    if running_mean is not None:
        _update_running(running_mean, mean.data, momentum)
    if running_var is not None:
        _update_running(running_var, var.data * (count / (count - 1)), momentum)
    out = centered * ((var + eps) ** -0.5).reshape(view)
    if weight is not None:
        out = out * weight.reshape(view)
    return out if bias is None else out + bias.reshape(view)


def _update_running(running: ag.Tensor, batch_value: np.ndarray, momentum: float) -> None:
    running.data[...] = (1 - momentum) * running.data + momentum * batch_value


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over (N, C, *) whose training statistics span all processes.

    PyTorch's ``nn.SyncBatchNorm(num_features, eps, momentum, affine,
    track_running_stats, process_group)``. In training, mean and variance per channel
    are those of the processes' batches together (see :func:`sync_batch_norm`); in
    evaluation, or in a single process, it is exactly ``BatchNorm``.
    ``SyncBatchNorm.convert_sync_batchnorm(model)`` swaps a model's BatchNorm layers for
    it. ``process_group``: an ``mpi4py`` communicator of the processes that share
    statistics (default: all of them, on a communicator of their own).
    """

    _input_dims = range(2, 65)
    _layout = "(N, C, *)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: Any = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats)
        self.process_group = process_group

    def _group(self) -> comm.ProcessGroup:
        if self.process_group is not None:
            return comm.ProcessGroup(self.process_group)
        if not comm.is_initialized():
            return comm.ProcessGroup(None)
        return comm.reserved_group("SyncBatchNorm")

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """Normalise each channel with the statistics of all processes' batches (training)."""
        x = as_tensor(x)
        group = self._group()
        use_batch_stats = self.training or not self.track_running_stats
        if not use_batch_stats or group.size == 1:
            return super().forward(x)
        if x.ndim < 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"SyncBatchNorm({self.num_features}): expected input of shape (N, C, *) with "
                f"C={self.num_features}, got {x.shape}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average, as PyTorch
                momentum = 1.0 / float(self.num_batches_tracked.data)
        running = self.track_running_stats and self.training
        return sync_batch_norm(x, self.running_mean if running else None,
                               self.running_var if running else None, self.weight, self.bias,
                               momentum, self.eps, group)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """``module`` with every BatchNorm layer replaced by a SyncBatchNorm sharing its state.

        The new layers take over the old ones' parameters (the same objects), running
        statistics and mode; returns the converted module (a new one if ``module``
        itself is a BatchNorm layer).
        """
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            for name in ("weight", "bias"):
                if getattr(module, name) is not None:
                    setattr(converted, name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(converted, name, getattr(module, name))
            converted.train(module.training)
            return converted
        for name, child in list(module.named_children()):
            replacement = cls.convert_sync_batchnorm(child, process_group)
            if replacement is not child:
                # In place in the registry: re-registering the name would move the child to
                # the end, out of a Sequential's order.
                module._modules[name] = replacement
        return module
