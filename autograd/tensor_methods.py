"""The Tensor's method surface: every operator and method, one line each, by family.

Each line names the function that implements the method (``Tensor.tanh =
unary.tanh``); the method *is* the public function (``ag.tanh``), and its op
class, a few lines away in the same module, holds forward and backward.
``autograd/tensor.py`` imports this module at its end, once ``Tensor`` exists.
"""

from autograd import habits, interop
from autograd.ops import (
    arithmetic,
    bitwise,
    compare,
    gather,
    index,
    inplace,
    linalg,
    movement,
    reduce,
    rounding,
    scan,
    shape,
    softmax,
    sort,
    trig,
    unary,
    views,
)
from autograd.tensor import Tensor

# NumPy's protocols: np.exp(t), np.concatenate([t, u]) dispatch to the ops
Tensor.__array_ufunc__ = interop.array_ufunc
Tensor.__array_function__ = interop.array_function

# operators and arithmetic, elementwise math, reductions, shapes
Tensor.__add__, Tensor.__radd__ = arithmetic.add, arithmetic.radd
Tensor.__sub__, Tensor.__rsub__ = arithmetic.sub, arithmetic.rsub
Tensor.__mul__, Tensor.__rmul__ = arithmetic.mul, arithmetic.rmul
Tensor.__truediv__, Tensor.__rtruediv__ = arithmetic.div, arithmetic.rdiv
Tensor.__pow__, Tensor.__rpow__ = arithmetic.power, arithmetic.rpower
Tensor.__matmul__, Tensor.__rmatmul__ = linalg.matmul, linalg.rmatmul
Tensor.__neg__ = arithmetic.neg
Tensor.__pos__ = arithmetic.positive
Tensor.__abs__ = unary.abs
Tensor.__lt__, Tensor.__le__ = compare.less, compare.less_equal
Tensor.__gt__, Tensor.__ge__ = compare.greater, compare.greater_equal
Tensor.__eq__, Tensor.__ne__ = compare.equal, compare.not_equal
Tensor.__getitem__ = index.getitem
Tensor.__setitem__ = inplace.setitem

# in place (autograd/ops/inplace.py)
Tensor.__iadd__, Tensor.add_ = inplace.iadd, inplace.add_
Tensor.__isub__, Tensor.sub_ = inplace.isub, inplace.sub_
Tensor.__imul__, Tensor.mul_ = inplace.imul, inplace.mul_
Tensor.__itruediv__, Tensor.div_ = inplace.itruediv, inplace.div_
Tensor.zero_, Tensor.fill_, Tensor.copy_ = inplace.zero_, inplace.fill_, inplace.copy_
Tensor.clamp_, Tensor.uniform_, Tensor.normal_ = inplace.clamp_, inplace.uniform_, inplace.normal_

Tensor.add, Tensor.sub, Tensor.mul, Tensor.div = (arithmetic.add, arithmetic.sub,
                                                  arithmetic.mul, arithmetic.div)
Tensor.matmul = linalg.matmul
Tensor.exp, Tensor.log, Tensor.sqrt, Tensor.abs = unary.exp, unary.log, unary.sqrt, unary.abs
Tensor.sin, Tensor.cos, Tensor.tanh = unary.sin, unary.cos, unary.tanh
Tensor.sigmoid, Tensor.relu, Tensor.erf = unary.sigmoid, unary.relu, unary.erf
Tensor.clip = Tensor.clamp = unary.clip

Tensor.sum, Tensor.mean, Tensor.max, Tensor.min = reduce.sum, reduce.mean, reduce.max, reduce.min
Tensor.var, Tensor.std = reduce.var, reduce.std
Tensor.softmax, Tensor.log_softmax = softmax.softmax, softmax.log_softmax
Tensor.logsumexp = softmax.logsumexp

Tensor.reshape, Tensor.flatten = shape.reshape, shape.flatten
Tensor.transpose, Tensor.swapaxes = shape.transpose_method, shape.swapaxes
Tensor.T = property(shape.transpose, doc="The tensor with its axes reversed.")
Tensor.squeeze, Tensor.expand_dims = shape.squeeze, shape.expand_dims
Tensor.broadcast_to, Tensor.astype = shape.broadcast_to, shape.astype

# movement and indexing (flip ... chunk, gather ... nonzero)
Tensor.flip, Tensor.roll, Tensor.tile = movement.flip, movement.roll, movement.tile
Tensor.repeat, Tensor.repeat_interleave = movement.repeat_method, movement.repeat_interleave
Tensor.tril, Tensor.triu = movement.tril, movement.triu
Tensor.diagonal, Tensor.trace, Tensor.outer = movement.diagonal, movement.trace, movement.outer
Tensor.split, Tensor.chunk = movement.split_method, movement.chunk
Tensor.take_along_axis = gather.take_along_axis
Tensor.gather, Tensor.index_select = gather.gather, gather.index_select
Tensor.scatter, Tensor.scatter_add = gather.scatter, gather.scatter_add
Tensor.masked_fill, Tensor.nonzero = gather.masked_fill, gather.nonzero

# math ops (issue 13): elementwise math, operators, tests, reductions, scans, sorting

Tensor.log2, Tensor.log10, Tensor.log1p = unary.log2, unary.log10, unary.log1p
Tensor.exp2, Tensor.expm1, Tensor.square = unary.exp2, unary.expm1, unary.square
Tensor.reciprocal, Tensor.rsqrt = unary.reciprocal, unary.rsqrt
Tensor.tan, Tensor.sinh, Tensor.cosh = trig.tan, trig.sinh, trig.cosh
Tensor.arcsin = Tensor.asin = trig.arcsin
Tensor.arccos = Tensor.acos = trig.arccos
Tensor.arctan = Tensor.atan = trig.arctan
Tensor.arctan2 = Tensor.atan2 = trig.arctan2
Tensor.arcsinh = Tensor.asinh = trig.arcsinh
Tensor.arccosh = Tensor.acosh = trig.arccosh
Tensor.arctanh = Tensor.atanh = trig.arctanh
Tensor.sign, Tensor.floor, Tensor.ceil = rounding.sign, rounding.floor, rounding.ceil
Tensor.round, Tensor.trunc = rounding.round, rounding.trunc
Tensor.logaddexp, Tensor.lerp = arithmetic.logaddexp, arithmetic.lerp
Tensor.__mod__, Tensor.__rmod__ = arithmetic.remainder, arithmetic.rremainder
Tensor.remainder = Tensor.mod = arithmetic.remainder
Tensor.__floordiv__, Tensor.__rfloordiv__ = arithmetic.floor_divide, arithmetic.rfloor_divide
Tensor.floor_divide = arithmetic.floor_divide
Tensor.__and__, Tensor.__rand__, Tensor.__iand__ = bitwise.bitwise_and, bitwise.rbitwise_and, \
    bitwise.iand
Tensor.__or__, Tensor.__ror__, Tensor.__ior__ = bitwise.bitwise_or, bitwise.rbitwise_or, bitwise.ior
Tensor.__xor__, Tensor.__rxor__, Tensor.__ixor__ = bitwise.bitwise_xor, bitwise.rbitwise_xor, \
    bitwise.ixor
Tensor.__invert__ = Tensor.bitwise_not = bitwise.invert
Tensor.bitwise_and, Tensor.bitwise_or = bitwise.bitwise_and, bitwise.bitwise_or
Tensor.bitwise_xor = bitwise.bitwise_xor
Tensor.logical_and, Tensor.logical_or = bitwise.logical_and, bitwise.logical_or
Tensor.logical_xor, Tensor.logical_not = bitwise.logical_xor, bitwise.logical_not
Tensor.isnan, Tensor.isinf, Tensor.isfinite = compare.isnan, compare.isinf, compare.isfinite
Tensor.isclose, Tensor.allclose = compare.isclose, compare.allclose
Tensor.prod, Tensor.any, Tensor.all = reduce.prod, reduce.any, reduce.all
Tensor.norm = reduce.norm_method
Tensor.cumsum, Tensor.cumprod = scan.cumsum, scan.cumprod
Tensor.sort, Tensor.argsort, Tensor.topk = sort.sort, sort.argsort, sort.topk
Tensor.argmax, Tensor.argmin = sort.argmax, sort.argmin

# PyTorch's shape methods, queries, casts and devices (autograd/ops/views.py, autograd/habits.py)

Tensor.view, Tensor.view_as, Tensor.reshape_as = views.view, views.view_as, views.reshape_as
Tensor.unsqueeze, Tensor.permute = views.unsqueeze, views.permute
Tensor.moveaxis, Tensor.movedim = views.moveaxis, views.movedim
Tensor.expand, Tensor.expand_as = views.expand, views.expand_as
Tensor.contiguous, Tensor.is_contiguous, Tensor.clone = (views.contiguous, views.is_contiguous,
                                                         views.clone)
Tensor.mT = property(views.matrix_transpose, doc="The last two dimensions swapped.")
Tensor.t = views.t
Tensor.numel = Tensor.nelement = views.numel
Tensor.dim = Tensor.ndimension = views.dim
Tensor.stride, Tensor.data_ptr, Tensor.element_size = (views.stride, views.data_ptr,
                                                       views.element_size)
Tensor.is_floating_point, Tensor.get_device = views.is_floating_point, views.get_device
Tensor.float, Tensor.double, Tensor.half = habits.float_, habits.double, habits.half
Tensor.long, Tensor.int, Tensor.short = habits.long, habits.int_, habits.short
Tensor.byte, Tensor.bool = habits.byte, habits.bool_
Tensor.to, Tensor.cpu, Tensor.cuda = habits.to, habits.cpu, habits.cuda_method
Tensor.is_cuda = property(lambda self: False, doc="False: there is no GPU backend.")
Tensor.type, Tensor.type_as = habits.type_, habits.type_as
Tensor.new_zeros, Tensor.new_ones, Tensor.new_empty = (habits.new_zeros, habits.new_ones,
                                                       habits.new_empty)
Tensor.new_full, Tensor.new_tensor = habits.new_full, habits.new_tensor
habits.add_tensor_refusals(Tensor)  # x.storage(), x.relu_(), ...: say what to use
