"""autograd: a small reverse-mode automatic differentiation engine on NumPy.

>>> import autograd as ag
>>> x = ag.tensor([[1.0, 2.0]], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
Tensor([[2., 4.]], dtype=float32)

The public names are the engine's tools below plus the functions of the op
modules (``autograd/ops/*.py``, each module's ``__all__``), the factories and
the dtype names.
"""

from autograd import creation as _creation
from autograd import dtypes as _dtypes
from autograd import habits as _habits
from autograd.anomaly import detect_anomaly as detect_anomaly
from autograd.capturing.captured import capture as capture
from autograd.creation import *  # noqa: F403
from autograd.dtypes import *  # noqa: F403
from autograd.engine import grad as grad
from autograd.function import Function as Function
from autograd.function import Op as Op
from autograd.grad_mode import enable_grad as enable_grad
from autograd.grad_mode import is_grad_enabled as is_grad_enabled
from autograd.grad_mode import no_grad as no_grad
from autograd.grad_mode import set_grad_enabled as set_grad_enabled
from autograd.gradcheck import gradcheck as gradcheck
from autograd.gradcheck import gradgradcheck as gradgradcheck
from autograd.habits import *  # noqa: F403
from autograd.habits import missing_module_attribute as __getattr__  # noqa: F401
from autograd.ops import arithmetic as _arithmetic
from autograd.ops import bitwise as _bitwise
from autograd.ops import compare as _compare
from autograd.ops import gather as _gather
from autograd.ops import index as _index
from autograd.ops import linalg as _linalg
from autograd.ops import movement as _movement
from autograd.ops import reduce as _reduce
from autograd.ops import rounding as _rounding
from autograd.ops import scan as _scan
from autograd.ops import shape as _shape
from autograd.ops import softmax as _softmax
from autograd.ops import sort as _sort
from autograd.ops import trig as _trig
from autograd.ops import unary as _unary
from autograd.ops import views as _views
from autograd.ops.arithmetic import *  # noqa: F403
from autograd.ops.bitwise import *  # noqa: F403
from autograd.ops.compare import *  # noqa: F403
from autograd.ops.gather import *  # noqa: F403
from autograd.ops.index import *  # noqa: F403
from autograd.ops.linalg import *  # noqa: F403
from autograd.ops.movement import *  # noqa: F403
from autograd.ops.reduce import *  # noqa: F403
from autograd.ops.rounding import *  # noqa: F403
from autograd.ops.scan import *  # noqa: F403
from autograd.ops.shape import *  # noqa: F403
from autograd.ops.softmax import *  # noqa: F403
from autograd.ops.sort import *  # noqa: F403
from autograd.ops.trig import *  # noqa: F403
from autograd.ops.unary import *  # noqa: F403
from autograd.ops.views import *  # noqa: F403
from autograd.serialization import load as load
from autograd.serialization import save as save
from autograd.tensor import Tensor as Tensor
from autograd.tensor import tensor as tensor
from autograd.viz import draw_graph as draw_graph
from autograd.viz.trace import trace_backward as trace_backward

__all__ = sorted(
    ["Function", "Op", "Tensor", "tensor", "capture", "detect_anomaly", "draw_graph",
     "enable_grad", "grad", "gradcheck", "gradgradcheck", "is_grad_enabled", "load", "no_grad",
     "save", "set_grad_enabled", "trace_backward"]
    + [name for module in (_arithmetic, _compare, _index, _linalg, _reduce, _shape, _softmax,
                           _unary, _creation, _dtypes, _movement, _gather, _bitwise, _rounding,
                           _scan, _sort, _trig, _views, _habits)
       for name in module.__all__]
)
