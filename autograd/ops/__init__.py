"""The differentiable primitives, one module per family; importing them attaches Tensor methods."""

from autograd.ops import (  # noqa: F401
    conv,
    elementwise,
    index,
    linalg,
    loss,
    nn,
    norm,
    pool,
    reduce,
    shape,
)
