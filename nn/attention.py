"""Attention layers, as PyTorch's: ``MultiheadAttention``, ``TransformerEncoderLayer``,
``TransformerEncoder``.

Arguments, defaults, parameter and submodule names, shapes and initialisation are
PyTorch's, so weights copied from a torch model give the same outputs and
gradients. The computation is ``nn.functional.attention``.
"""

from __future__ import annotations

import copy
import numbers
from typing import Any, Callable

import numpy as np

from autograd.tensor import Tensor
from nn import functional as F
from nn import init
from nn.containers import ModuleList
from nn.dropout import Dropout
from nn.functional.attention import multi_head_attention
from nn.functional.dropout import check_probability
from nn.linear import Linear
from nn.module import Module, Parameter
from nn.norm import LayerNorm

__all__ = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"]


def _positive_int(owner: str, name: str, value: Any) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return int(value)


def _check_device(owner: str, device: Any) -> None:
    if device is not None and str(device) != "cpu":
        raise ValueError(f"{owner}: only device='cpu' is supported, got {device!r}")


class MultiheadAttention(Module):
    """Multi-head attention, as PyTorch's ``nn.MultiheadAttention``.

    ``forward(query, key, value)`` projects the three inputs, splits the projections
    into ``num_heads`` heads of ``embed_dim // num_heads`` features, attends in each
    head (softmax of scaled dot products) and projects the concatenated heads with
    ``out_proj``. Parameters: ``in_proj_weight`` (3E, E) holding the query, key and
    value projections (or, when ``kdim`` or ``vdim`` differs from ``embed_dim``,
    ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim)),
    ``in_proj_bias`` (3E,), ``out_proj`` (a Linear(E, E)), and with ``add_bias_kv``
    ``bias_k`` and ``bias_v`` (1, 1, E). Initialisation as PyTorch: xavier_uniform for
    the input projections, zeros for ``in_proj_bias`` and ``out_proj.bias``,
    xavier_normal for ``bias_k``/``bias_v``. ``dropout`` acts on the attention weights
    in training.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        owner = "MultiheadAttention"
        _check_device(owner, device)
        self.embed_dim = _positive_int(owner, "embed_dim", embed_dim)
        self.num_heads = _positive_int(owner, "num_heads", num_heads)
        self.kdim = self.embed_dim if kdim is None else _positive_int(owner, "kdim", kdim)
        self.vdim = self.embed_dim if vdim is None else _positive_int(owner, "vdim", vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.dropout = check_probability(dropout, owner)
        self.batch_first = bool(batch_first)
        self.head_dim = self.embed_dim // self.num_heads
        if self.head_dim * self.num_heads != self.embed_dim:
            raise ValueError(f"{owner}: embed_dim ({self.embed_dim}) must be divisible by "
                             f"num_heads ({self.num_heads})")
        dtype = np.dtype(dtype or np.float32)
        size = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * size, size), dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(np.empty((size, size), dtype=dtype))
            self.k_proj_weight = Parameter(np.empty((size, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(np.empty((size, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * size, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(size, size, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, size), dtype=dtype))
            self.bias_v = Parameter(np.empty((1, 1, size), dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = bool(add_zero_attn)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's initialisation (``out_proj.weight`` keeps Linear's)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False) -> tuple:
        """Attend from ``query`` to ``key``/``value``; returns ``(output, weights)``.

        Shapes (``batch_first``: N before L): ``query`` (L, N, E), ``key`` (S, N, kdim),
        ``value`` (S, N, vdim), or (L, E), (S, kdim), (S, vdim) unbatched; output (L, N, E).
        ``key_padding_mask`` (N, S): True (or -inf) leaves a key out for every query.
        ``attn_mask`` (L, S) or (N * num_heads, L, S): True leaves key j out for query i;
        float masks are added to the scores. ``is_causal`` says that ``attn_mask`` is the
        causal mask (PyTorch's hint); unlike PyTorch it may also come without one, and
        then lets query i attend to keys 0..i. ``weights`` is (N, L, S) averaged over the
        heads, (N, num_heads, L, S) with ``average_attn_weights=False``, or None without
        ``need_weights``. A query left with no key gets zero weights (see
        ``F.multi_head_attention_forward``).
        """
        if self._qkv_same_embed_dim:
            proj_weights = self.in_proj_weight
        else:
            proj_weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        return multi_head_attention(
            query, key, value, self.num_heads, proj_weights, self.in_proj_bias, self.bias_k,
            self.bias_v, self.add_zero_attn, self.dropout if self.training else 0.0,
            self.out_proj.weight, self.out_proj.bias, key_padding_mask, need_weights,
            attn_mask, average_attn_weights, is_causal, self.batch_first,
            name=f"MultiheadAttention({self.embed_dim}, {self.num_heads})")

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")


_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """One encoder block of "Attention Is All You Need", as PyTorch's layer.

    Self-attention (``self_attn``, a MultiheadAttention) and a feed-forward block
    ``linear2(dropout(activation(linear1(x))))``, each added back to its input, with
    LayerNorms ``norm1``/``norm2`` after each sum (``norm_first=False``) or before each
    block (``norm_first=True``, as GPT), and ``dropout1``/``dropout2`` on each block's
    output. ``activation`` is ``"relu"``, ``"gelu"`` or a callable (a Module becomes a
    submodule). Input (L, N, E), (N, L, E) with ``batch_first``, or (L, E); same shape out.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        owner = "TransformerEncoderLayer"
        _check_device(owner, device)
        dim_feedforward = _positive_int(owner, "dim_feedforward", dim_feedforward)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"{owner}: activation should be relu/gelu, not {activation!r}")
            activation = _ACTIVATIONS[activation]
        elif not callable(activation):
            raise TypeError(f"{owner}: activation must be 'relu', 'gelu' or a callable, got "
                            f"{activation!r}")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = activation
        if dtype is not None:
            self.to(np.dtype(dtype))

    def forward(self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        """One block over ``src``; masks as ``MultiheadAttention``'s ``attn_mask`` and
        ``key_padding_mask`` (True: leave the key out), ``is_causal`` as there."""
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x: Tensor, attn_mask: Any, key_padding_mask: Any,
                  is_causal: bool) -> Tensor:
        out = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                             need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(out)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(Module):
    """A stack of ``num_layers`` deep copies of ``encoder_layer`` (``layers.0``, ...), then
    ``norm`` if given, as PyTorch's. ``enable_nested_tensor`` and ``mask_check`` are
    accepted for PyTorch's scripts and change nothing (there is no nested-tensor path)."""

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"TransformerEncoder: encoder_layer must be an nn.Module, got "
                            f"{type(encoder_layer).__name__}")
        self.num_layers = _positive_int("TransformerEncoder", "num_layers", num_layers)
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src: Any, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Tensor:
        """Every layer in turn with the same masks (see ``TransformerEncoderLayer``), then
        ``norm``. ``is_causal=None`` (PyTorch's default, which then inspects ``mask``) gives
        the same result as False: the mask is applied as it is."""
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=bool(is_causal))
        return output if self.norm is None else self.norm(output)
