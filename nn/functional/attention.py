"""Attention, as ``torch.nn.functional``: ``scaled_dot_product_attention`` and
``multi_head_attention_forward`` (what ``nn.MultiheadAttention`` runs).

Both are built from the engine's ops (matmul, an added mask, reshapes, dropout)
and one kernel, ``safe_softmax``: the softmax PyTorch uses for attention, which
gives 0 instead of NaN on a row whose every score is -inf (a query allowed to see
no key). Its gradient is the ordinary softmax's, ``s * (g - sum(g * s))``, which
is 0 on such a row, so a fully masked query gives zeros forward and exact zeros,
never NaN, backward and to second order.

Masks become one additive bias: 0 where a key takes part, -inf where it does not,
or the values of a float mask (which may require grad, as a learned position bias).
The NumPy work on mask arrays (boolean masks to biases, their reshapes, sums and
padding) goes through ``capturing.call``: a captured step redoes it in every replay
with that call's masks (a padding mask changes from batch to batch).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd import Op, Tensor, capturing
from autograd.ops import dual
from autograd.tensor import as_tensor
from nn.functional.dropout import check_probability, dropout
from nn.functional.linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


class SafeSoftmax(Op):
    """s = softmax(scale * x + bias) along the last axis (``bias`` a constant), 0 on a row
    that is all -inf; d/dx = scale * s * (grad - sum(grad * s)), 0 on such a row"""

    def forward(ctx, x, scale=1.0, bias=None):
        ctx.scale = scale
        out = np.multiply(x, x.dtype.type(scale))
        if bias is not None:
            out += bias  # it broadcasts to the scores
        shift = np.max(out, axis=-1, keepdims=True, initial=-np.inf)
        shift[~np.isfinite(shift)] = 0  # an all -inf row: exp(-inf - 0) = 0, not NaN
        out -= shift
        np.exp(out, out=out)
        total = out.sum(axis=-1, keepdims=True)
        total[total == 0] = 1  # the all -inf rows: 0 / 1
        out /= total
        return out

    def backward(ctx, grad, out):
        grad_scores = out * (grad - (grad * out).sum(axis=-1, keepdims=True))
        return grad_scores if ctx.scale == 1.0 else grad_scores * ctx.scale


def safe_softmax(x: Any, scale: float = 1.0, bias: np.ndarray | None = None) -> Tensor:
    """Softmax of ``scale * x + bias`` along the last axis (``bias``: a constant array that
    broadcasts to ``x``, such as 0 / -inf from a mask); a row of -inf only (no key allowed)
    gives zeros."""
    x = as_tensor(x)
    if bias is not None:
        bias = np.asarray(bias, dtype=x.dtype)
    return SafeSoftmax.apply(x, scale=float(scale), bias=bias)


# ------------------------------------------------------------------ masks as additive biases


def _mask_bias(name: str, mask: Any, like: Tensor, masked_value: bool) -> Tensor | np.ndarray:
    """A mask as an additive bias of ``like``'s dtype: a boolean mask gives -inf where it
    equals ``masked_value`` (0 elsewhere) as a constant array; a float mask is a tensor that
    keeps its graph (its values are added to the scores)."""
    data = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if data.dtype == bool:
        return capturing.call(_boolean_bias, data, masked_value, like.dtype)
    if data.dtype.kind != "f":
        raise TypeError(f"{name}: only bool and floating masks are supported, got dtype "
                        f"{data.dtype}")
    if isinstance(mask, Tensor) and mask.dtype != like.dtype:
        raise TypeError(f"{name}: a float mask must have the dtype of the query ({like.dtype}), "
                        f"got {mask.dtype}")
    return as_tensor(mask, like=like)


def _boolean_bias(mask: np.ndarray, masked_value: bool, dtype) -> np.ndarray:
    """-inf where ``mask`` equals ``masked_value``, 0 elsewhere."""
    return np.where(mask == masked_value, -np.inf, 0.0).astype(dtype)


def _reshape(bias, shape: tuple):
    """``bias`` (a tensor, or an array reshaped in a recorded call) in ``shape``."""
    return bias.reshape(shape) if isinstance(bias, Tensor) else capturing.call(np.reshape,
                                                                                bias, shape)


def _causal_bias(length: int, source_length: int, dtype) -> np.ndarray:
    """0 on and below the diagonal of (L, S) (aligned to the top left, as PyTorch), -inf above."""
    allowed = np.tri(length, source_length, dtype=bool)
    return np.where(allowed, 0.0, -np.inf).astype(dtype)


def _add(bias, other):
    """The sum of two optional biases (arrays or tensors)."""
    if bias is None:
        return other
    if other is None:
        return bias
    if isinstance(other, Tensor) or isinstance(bias, Tensor):
        return other + bias if isinstance(other, Tensor) else bias + other
    return capturing.call(np.add, bias, other)


def _attend(q: Tensor, k: Tensor, v: Tensor, bias, dropout_p: float, scale: float
            ) -> tuple[Tensor, Tensor]:
    """softmax(q @ k^T * scale + bias) @ v, with dropout on the weights: (output, weights).

    A constant bias (from boolean masks, the causal mask, float masks that need no
    gradient) and the scale go into the softmax kernel; a float mask that requires grad
    is added to the scaled scores first, so that it receives its gradient."""
    scores = q @ k.swapaxes(-1, -2)
    if isinstance(bias, Tensor) and bias.requires_grad:
        weights = safe_softmax(scores * scale + bias)
    else:
        weights = safe_softmax(scores, scale, None if bias is None else dual.constant(bias))
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ v, weights


def _share_heads(name: str, q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """Key and value heads repeated so that each serves its group of query heads."""
    if q.ndim < 3:
        return k, v
    heads, kv_heads = q.shape[-3], k.shape[-3]
    if v.shape[-3] != kv_heads or heads % kv_heads:
        raise ValueError(f"{name}: with enable_gqa the number of heads (dimension -3) of key "
                         f"{k.shape} and value {v.shape} must be equal and divide the query's "
                         f"{q.shape}")
    groups = heads // kv_heads
    if groups == 1:
        return k, v
    return ag.repeat_interleave(k, groups, -3), ag.repeat_interleave(v, groups, -3)


def _default_scale(head_dim: int) -> float:
    return 1.0 / math.sqrt(head_dim) if head_dim else 1.0  # no features: the scores are 0


def _check_mask_shape(name: str, bias, scores_shape: tuple) -> None:
    shape = np.shape(bias.data if isinstance(bias, Tensor) else bias)
    try:
        fits = np.broadcast_shapes(shape, scores_shape) == scores_shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: attn_mask of shape {shape} does not broadcast to the "
                         f"scores' shape {scores_shape} (..., L, S)")


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False
                                 ) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, as PyTorch's.

    ``query`` (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev) -> (..., L, Ev);
    the leading dimensions broadcast. ``scale`` defaults to 1 / sqrt(E). ``attn_mask``
    broadcasts to (..., L, S): a boolean mask says which keys take part (True: attend),
    a float mask is added to the scores. ``is_causal`` lets query i attend to keys
    0..i (the lower triangle of (L, S)); it excludes ``attn_mask``. Dropout with
    probability ``dropout_p`` is applied to the attention weights whenever it is
    positive (pass 0 in evaluation, as with PyTorch). A query that may attend to no key
    gets zeros, and zero gradients. ``enable_gqa`` (grouped-query attention): key and value
    have fewer heads (dimension -3) than the query, each shared by a group of query heads.
    """
    name = "scaled_dot_product_attention"
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ValueError(f"{name}: query, key and value must be at least 2-D, got shapes "
                         f"{q.shape}, {k.shape} and {v.shape}")
    if not q.dtype == k.dtype == v.dtype or q.dtype.kind != "f":
        raise TypeError(f"{name}: query, key and value must have the same floating dtype, got "
                        f"{q.dtype}, {k.dtype} and {v.dtype}")
    if enable_gqa:
        k, v = _share_heads(name, q, k, v)
    if k.shape[-1] != q.shape[-1] or v.shape[-2] != k.shape[-2]:
        raise ValueError(f"{name}: expected query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev), got {q.shape}, {k.shape} and {v.shape}")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{name}: the batch dimensions of query {q.shape}, key {k.shape} and "
                         f"value {v.shape} do not broadcast") from None
    dropout_p = check_probability(dropout_p, name)
    length, source_length = q.shape[-2], k.shape[-2]
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{name}: an explicit attn_mask should not be set when "
                             "is_causal=True")
        bias = _causal_bias(length, source_length, q.dtype)
    elif attn_mask is not None:
        bias = _mask_bias(name, attn_mask, q, masked_value=False)
        _check_mask_shape(name, bias, batch + (length, source_length))
    scale = _default_scale(q.shape[-1]) if scale is None else float(scale)
    return _attend(q, k, v, bias, dropout_p, scale)[0]


# ------------------------------------------------------------------ multi-head attention


def _mha_shapes(name: str, q: Tensor, k: Tensor, v: Tensor, key_padding_mask: Any,
                attn_mask: Any, num_heads: int) -> bool:
    """PyTorch's checks of the ranks: True for batched (3-D) input, False for unbatched (2-D)."""
    if q.ndim not in (2, 3):
        raise ValueError(f"{name}: query should be unbatched 2-D or batched 3-D, got shape "
                         f"{q.shape}")
    if k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(f"{name}: for a {q.ndim}-D query {q.shape}, key and value must be "
                         f"{q.ndim}-D too, got {k.shape} and {v.shape}")
    if key_padding_mask is not None and _as_mask(key_padding_mask).ndim != q.ndim - 1:
        raise ValueError(f"{name}: for a {q.ndim}-D query, key_padding_mask must be "
                         f"{q.ndim - 1}-D, got shape {_as_mask(key_padding_mask).shape}")
    if attn_mask is not None and _as_mask(attn_mask).ndim not in (2, 3):
        raise ValueError(f"{name}: attn_mask must be 2-D (L, S) or 3-D (N * num_heads, L, S), "
                         f"got shape {_as_mask(attn_mask).shape}")
    return q.ndim == 3


def _as_mask(value: Any) -> Tensor | np.ndarray:
    return value if isinstance(value, Tensor) else np.asarray(value)


def _heads(x: Tensor, num_heads: int, batch_first: bool) -> Tensor:
    """(N, L, E) or (L, N, E) -> (N, H, L, E / H): head h holds features h*Dh .. (h+1)*Dh."""
    first, second, features = x.shape
    split = x.reshape((first, second, num_heads, features // num_heads))
    return ag.transpose(split, (0, 2, 1, 3) if batch_first else (1, 2, 0, 3))


def _merge_heads(x: Tensor, batch_first: bool) -> Tensor:
    """(N, H, L, Dh) -> (N, L, H * Dh) or (L, N, H * Dh)."""
    batch, heads, length, head_dim = x.shape
    if batch_first:
        return ag.transpose(x, (0, 2, 1, 3)).reshape((batch, length, heads * head_dim))
    return ag.transpose(x, (2, 0, 1, 3)).reshape((length, batch, heads * head_dim))


def _project(q: Tensor, k: Tensor, v: Tensor, weights, bias, num_heads: int,
             batch_first: bool) -> list[Tensor]:
    """The query, key and value projections, split into heads: three (N, H, *, Dh).

    ``weights`` is ``in_proj_weight`` (3E, E) or the three separate weights; ``bias``
    the (3E,) ``in_proj_bias`` or None. Three matmuls with slices of the packed weight
    cost less than one packed matmul whose output is then sliced: a slice's gradient is
    the size of what it slices, and the weight is much smaller than the projections.
    """
    embed_dim = weights.shape[1] if isinstance(weights, Tensor) else weights[0].shape[0]
    if isinstance(weights, Tensor):
        weights = [weights[i * embed_dim:(i + 1) * embed_dim] for i in range(3)]
    biases = [None] * 3 if bias is None else [bias[i * embed_dim:(i + 1) * embed_dim]
                                               for i in range(3)]
    return [_heads(linear(x, w, b), num_heads, batch_first)
            for x, w, b in zip((q, k, v), weights, biases)]


def _check_projection(name: str, q: Tensor, k: Tensor, v: Tensor, weights, embed_dim: int,
                      batch_first: bool) -> None:
    dims = [embed_dim] * 3 if isinstance(weights, Tensor) else [w.shape[1] for w in weights]
    for label, x, dim in zip(("query", "key", "value"), (q, k, v), dims):
        if x.shape[-1] != dim:
            raise ValueError(f"{name}: expected {label} with {dim} features (last dimension), "
                             f"got shape {x.shape}")
    batch_axis = 0 if batch_first else 1
    if not q.shape[batch_axis] == k.shape[batch_axis] == v.shape[batch_axis]:
        raise ValueError(f"{name}: query {q.shape}, key {k.shape} and value {v.shape} have "
                         "different batch sizes")
    if k.shape[1 - batch_axis] != v.shape[1 - batch_axis]:
        raise ValueError(f"{name}: key {k.shape} and value {v.shape} have different sequence "
                         "lengths")


def _pad_keys(bias):
    """A bias for one more key, which takes part (0) for every query."""
    if bias is None:
        return None
    width = [(0, 0)] * (bias.ndim - 1) + [(0, 1)]
    return ag.pad(bias, width) if isinstance(bias, Tensor) else capturing.call(np.pad, bias,
                                                                                width)


def _mha_bias(name: str, attn_mask: Any, key_padding_mask: Any, like: Tensor, batch: int,
              num_heads: int, length: int, source_length: int):
    """``attn_mask`` (L, S) or (N * H, L, S) and ``key_padding_mask`` (N, S) (True: leave the
    key out; floats: added) as one bias broadcasting to (N, H, L, S)."""
    bias = None
    if attn_mask is not None:
        bias = _mask_bias(name, attn_mask, like, masked_value=True)
        wanted = ((length, source_length) if bias.ndim == 2
                  else (batch * num_heads, length, source_length))
        if bias.shape != wanted:
            raise ValueError(f"{name}: the {bias.ndim}-D attn_mask has shape {bias.shape}, but "
                             f"should be {wanted}")
        if bias.ndim == 3:
            bias = _reshape(bias, (batch, num_heads, length, source_length))
    if key_padding_mask is not None:
        padding = _mask_bias(name, key_padding_mask, like, masked_value=True)
        if padding.shape != (batch, source_length):
            raise ValueError(f"{name}: expected key_padding_mask of shape "
                             f"{(batch, source_length)} (N, S), got {padding.shape}")
        bias = _add(bias, _reshape(padding, (batch, 1, 1, source_length)))
    return bias


def multi_head_attention(query: Any, key: Any, value: Any, num_heads: int, proj_weights,
                         in_proj_bias: Tensor | None, bias_k: Tensor | None,
                         bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
                         out_proj_weight: Tensor, out_proj_bias: Tensor | None,
                         key_padding_mask: Any = None, need_weights: bool = True,
                         attn_mask: Any = None, average_attn_weights: bool = True,
                         is_causal: bool = False, batch_first: bool = False,
                         name: str = "multi_head_attention_forward") -> tuple:
    """What ``nn.MultiheadAttention`` computes, in the layout it is given (see
    ``multi_head_attention_forward``; ``batch_first`` takes (N, L, E) inputs and gives
    (N, L, E) out). ``proj_weights``: ``in_proj_weight`` or the three separate weights.
    ``dropout_p`` applies as given (the caller passes 0 in evaluation)."""
    q, k, v = (as_tensor(x, like=out_proj_weight) for x in (query, key, value))
    batched = _mha_shapes(name, q, k, v, key_padding_mask, attn_mask, num_heads)
    if not batched:  # one sequence: a batch of one, batch first
        q, k, v = q[None], k[None], v[None]
        batch_first = True
        if key_padding_mask is not None:
            key_padding_mask = _as_mask(key_padding_mask)[None]
    embed_dim = out_proj_weight.shape[0]
    _check_projection(name, q, k, v, proj_weights, embed_dim, batch_first)
    batch = q.shape[0 if batch_first else 1]
    length, source_length = q.shape[1 if batch_first else 0], k.shape[1 if batch_first else 0]
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # PyTorch's hint: the mask is taken to be the causal one
    bias = _mha_bias(name, attn_mask, key_padding_mask, q, batch, num_heads, length,
                     source_length)
    qh, kh, vh = _project(q, k, v, proj_weights, in_proj_bias, num_heads, batch_first)
    head_dim = embed_dim // num_heads
    if bias_k is not None:
        kh = ag.concatenate([kh, bias_k.reshape((1, num_heads, 1, head_dim)).broadcast_to(
            (batch, num_heads, 1, head_dim))], axis=2)
        vh = ag.concatenate([vh, bias_v.reshape((1, num_heads, 1, head_dim)).broadcast_to(
            (batch, num_heads, 1, head_dim))], axis=2)
        bias = _pad_keys(bias)
    if add_zero_attn:
        zeros = Tensor(np.zeros((batch, num_heads, 1, head_dim), dtype=q.dtype))
        kh, vh = ag.concatenate([kh, zeros], axis=2), ag.concatenate([vh, zeros], axis=2)
        bias = _pad_keys(bias)
    if is_causal and attn_mask is None:
        bias = _add(bias, _causal_bias(length, kh.shape[2], q.dtype))
    out, weights = _attend(qh, kh, vh, bias, dropout_p, _default_scale(head_dim))
    out = linear(_merge_heads(out, batch_first), out_proj_weight, out_proj_bias)
    if not need_weights:
        weights = None
    elif average_attn_weights:
        weights = weights.mean(axis=1)
    if not batched:
        out = out[0]
        weights = None if weights is None else weights[0]
    return out, weights


def multi_head_attention_forward(
        query: Any, key: Any, value: Any, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
        out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Any = None, need_weights: bool = True, attn_mask: Any = None,
        use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
        k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
        static_k: Any = None, static_v: Any = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple:
    """Multi-head attention, as PyTorch's function of the same name; returns
    ``(output, weights)``.

    ``query`` (L, N, E) or (L, E) unbatched, ``key`` (S, N, kdim), ``value`` (S, N, vdim).
    The projections are ``in_proj_weight`` (3E, E) (rows: query, key, value) or, with
    ``use_separate_proj_weight``, ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim),
    ``v_proj_weight`` (E, vdim); ``in_proj_bias`` (3E,). Head h uses features
    h*E/H .. (h+1)*E/H. ``bias_k``, ``bias_v`` (1, 1, E) append one key and value,
    ``add_zero_attn`` one of zeros. ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S)
    or (N * H, L, S): True leaves a key out, floats are added to the scores. A query left
    with no key gets zero weights and an output of ``out_proj_bias`` (PyTorch gives NaN
    there when ``need_weights=True``, zeros otherwise). ``is_causal`` declares that
    ``attn_mask`` is the causal mask, as in PyTorch; here it may also stand alone.
    The weights (N, L, S), or (N, H, L, S) without ``average_attn_weights``, come back
    when ``need_weights``, else None. Dropout acts on the weights when ``training``.
    """
    name = "multi_head_attention_forward"
    if static_k is not None or static_v is not None:
        raise NotImplementedError(f"{name}: static_k and static_v are not supported")
    if use_separate_proj_weight:
        proj_weights = (q_proj_weight, k_proj_weight, v_proj_weight)
        if any(w is None for w in proj_weights):
            raise ValueError(f"{name}: use_separate_proj_weight needs q_proj_weight, "
                             "k_proj_weight and v_proj_weight")
    elif in_proj_weight is None:
        raise ValueError(f"{name}: in_proj_weight is None and use_separate_proj_weight is "
                         "False")
    else:
        proj_weights = in_proj_weight
    if out_proj_weight.shape[0] != embed_dim_to_check:
        raise ValueError(f"{name}: was expecting embedding dimension of {embed_dim_to_check}, "
                         f"but out_proj_weight has shape {out_proj_weight.shape}")
    if embed_dim_to_check % num_heads:
        raise ValueError(f"{name}: embed_dim {embed_dim_to_check} not divisible by num_heads "
                         f"{num_heads}")
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{name}: give both bias_k and bias_v, or neither")
    dropout_p = check_probability(dropout_p, name) if training else 0.0
    return multi_head_attention(
        query, key, value, num_heads, proj_weights, in_proj_bias, bias_k, bias_v,
        add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, key_padding_mask,
        need_weights, attn_mask, average_attn_weights, is_causal, batch_first=False, name=name)
