"""Stateless functions behind the layers, as ``torch.nn.functional``.

``import nn.functional as F``.

Every function takes Tensors (ndarrays and Python lists are wrapped) and returns a
Tensor in the graph. The layers in ``nn`` call these. The fused kernels (ops with
their own backward: linear, gelu, conv2d and its gradients, unfold/fold, pooling,
normalize, the cross-entropies, resample) live next to their functions.
"""

from nn.functional import activation as _activation
from nn.functional import attention as _attention
from nn.functional import conv as _conv
from nn.functional import divergence as _divergence
from nn.functional import dropout as _dropout
from nn.functional import linear as _linear
from nn.functional import loss as _loss
from nn.functional import margin_loss as _margin_loss
from nn.functional import normalization as _normalization
from nn.functional import pooling as _pooling
from nn.functional import sampling as _sampling
from nn.functional.activation import *  # noqa: F403
from nn.functional.attention import *  # noqa: F403
from nn.functional.conv import *  # noqa: F403
from nn.functional.divergence import *  # noqa: F403
from nn.functional.dropout import *  # noqa: F403
from nn.functional.linear import *  # noqa: F403
from nn.functional.loss import *  # noqa: F403
from nn.functional.margin_loss import *  # noqa: F403
from nn.functional.normalization import *  # noqa: F403
from nn.functional.pooling import *  # noqa: F403
from nn.functional.sampling import *  # noqa: F403

__all__ = sorted(name for module in (_activation, _conv, _dropout, _linear, _loss, _normalization,
                                     _pooling, _sampling, _attention) for name in module.__all__)
__all__ = sorted(__all__ + _divergence.__all__ + _margin_loss.__all__)  # more losses (issue 14)
