"""The differentiable primitives, one module per family; importing them attaches Tensor methods."""

from autograd.ops import elementwise, index, linalg, loss, nn, reduce, shape  # noqa: F401
