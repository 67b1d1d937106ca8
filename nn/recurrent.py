"""Recurrent layers, as PyTorch's: ``RNN``, ``LSTM``, ``GRU`` and their cells.

Arguments, parameter names and shapes, gate order, initialisation and the
shapes of what ``forward`` returns are PyTorch's, so weights copied from a
``torch.nn.GRU`` give the same outputs. Each layer and direction runs as one
kernel (``nn.functional.recurrent``): the input projection of every time step
is one matmul before the loop, each step one matmul of the hidden state, and
backward through any number of steps takes time and memory linear in it.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

import autograd as ag
from autograd.devices import check_device
from autograd.tensor import Tensor, as_tensor
from nn import functional as F
from nn import init
from nn.functional import recurrent as kernels
from nn.module import Module, Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _positive_int(owner: str, name: str, value: Any) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return int(value)


def _nonlinearity(owner: str, nonlinearity: str) -> str:
    if nonlinearity not in kernels.NONLINEARITIES:
        raise ValueError(f"{owner}: unknown nonlinearity {nonlinearity!r}; choose 'tanh' or "
                         "'relu'")
    return nonlinearity


def _run(mode: str, P: Tensor, states: tuple, weight_hh: Tensor, bias_hh: Tensor | None,
         reverse: bool = False) -> tuple:
    """One layer and direction over the projections ``P`` (T, B, G): (outputs, final states)."""
    last = 0 if reverse else -1
    if mode == "LSTM":
        both = kernels.lstm_sequence(P, *states, weight_hh, bias_hh, reverse=reverse)
        return both[0], (both[0, last], both[1, last])
    if mode == "GRU":
        out = kernels.gru_sequence(P, states[0], weight_hh, bias_hh, reverse=reverse)
    else:
        nonlinearity = "relu" if mode == "RNN_RELU" else "tanh"
        out = kernels.rnn_sequence(P, states[0], weight_hh, bias_hh, nonlinearity, reverse)
    return out, (out[last],)


def _project(x: Tensor, weight_ih: Tensor, bias_ih: Tensor | None) -> Tensor:
    """x @ W_ih^T + b_ih for every step at once: (T, B, I) -> (T, B, G), one matmul."""
    length, batch, size = x.shape
    flat = F.linear(x.reshape((length * batch, size)), weight_ih, bias_ih)
    return flat.reshape((length, batch, weight_ih.shape[0]))


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: parameters, checks and the layer loop.

    ``mode`` is ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``. Parameters, for
    layer ``k`` and ``_reverse`` for the backward direction: ``weight_ih_l{k}`` (G, in),
    ``weight_hh_l{k}`` (G, H), ``bias_ih_l{k}`` and ``bias_hh_l{k}`` (G,), where G is H,
    4H (i, f, g, o) or 3H (r, z, n), and ``in`` is ``input_size`` for layer 0 and
    ``H * num_directions`` after it. All start as U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        owner = mode.split("_")[0]
        if mode not in GATES:
            raise ValueError(f"RNNBase: unknown mode {mode!r}; choose one of {sorted(GATES)}")
        if proj_size:
            raise NotImplementedError(f"{owner}: proj_size is not supported")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or \
                not 0 <= dropout <= 1:
            raise ValueError(f"{owner}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{owner}: dropout option adds dropout after all but last recurrent "
                          f"layer, so non-zero dropout expects num_layers greater than 1, but "
                          f"got dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        check_device(owner, device)
        self.mode = mode
        self.input_size = _positive_int(owner, "input_size", input_size)
        self.hidden_size = _positive_int(owner, "hidden_size", hidden_size)
        self.num_layers = _positive_int(owner, "num_layers", num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0
        dtype = np.dtype(dtype or np.float32)
        gates = GATES[mode] * self.hidden_size
        directions = 2 if self.bidirectional else 1
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (gates, layer_input), "weight_hh": (gates, hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(np.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction: [[w_ih, w_hh, b_ih, b_hh], ...]."""
        per_cell = 4 if self.bias else 2
        flat = [getattr(self, name) for name in self._flat_weights_names]
        return [flat[i:i + per_cell] for i in range(0, len(flat), per_cell)]

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """Does nothing: PyTorch compacts weights for cuDNN here; kept so its scripts run."""

    def _name(self) -> str:
        return type(self).__name__

    def _initial_states(self, hx: Any, batch: int, batched: bool, dtype) -> list[Tensor]:
        """The initial states as (L*D, B, H) tensors: h (and c for LSTM)."""
        count = 2 if self.mode == "LSTM" else 1
        shape = (self.num_layers * self.num_directions, batch, self.hidden_size)
        if hx is None:
            zeros = ag.Tensor(np.zeros(shape, dtype=dtype))
            return [zeros] * count
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self._name()}: hx must be a tuple (h_0, c_0), got "
                                f"{type(hx).__name__}")
            states = list(hx)
        else:
            if isinstance(hx, (tuple, list)):
                raise TypeError(f"{self._name()}: hx must be a Tensor, got {type(hx).__name__}")
            states = [hx]
        wanted = shape if batched else (shape[0], shape[2])
        which = ["", ""] if count == 1 else ["[0]", "[1]"]
        checked = []
        for state, label in zip(states, which):
            state = as_tensor(state, like=self.weight_hh_l0)
            if not batched and state.ndim != 2:
                raise ValueError(f"{self._name()}: For unbatched 2-D input, hx{label} should "
                                 f"also be 2-D but got {state.ndim}-D tensor")
            if batched and state.ndim != 3:
                raise ValueError(f"{self._name()}: For batched 3-D input, hx{label} should "
                                 f"also be 3-D but got {state.ndim}-D tensor")
            if state.shape != wanted:
                raise ValueError(f"{self._name()}: Expected hidden{label} size {wanted}, got "
                                 f"{state.shape}")
            checked.append(state if batched else state[:, None])
        return checked

    def forward(self, input: Any, hx: Any = None) -> tuple:
        """Run every layer over the sequence.

        ``input``: (T, B, input_size), or (B, T, input_size) with ``batch_first``, or
        (T, input_size) unbatched. ``hx``: (num_layers * num_directions, B, H) (without
        the B for unbatched input), zeros when left out; for LSTM a pair ``(h_0, c_0)``.
        Returns ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``) with ``output``
        (T, B, D * H) (batch first with ``batch_first``) holding the last layer's states
        of every step, both directions side by side, and ``h_n`` the final state of every
        layer and direction (the state after step 0 for the backward direction).
        """
        x = as_tensor(input, like=self.weight_ih_l0)
        given_shape = x.shape
        if x.ndim not in (2, 3):
            raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got {x.ndim}D "
                             f"tensor instead (shape {x.shape})")
        batched = x.ndim == 3
        if not batched:
            x = x[:, None]
        elif self.batch_first:
            x = x.swapaxes(0, 1)
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{self._name()}: input.size(-1) must be equal to input_size. "
                             f"Expected {self.input_size}, got {x.shape[-1]}")
        if x.shape[0] == 0:
            raise ValueError(f"{self._name()}: Expected sequence length to be larger than 0, "
                             f"got input of shape {given_shape}")
        states = self._initial_states(hx, x.shape[1], batched, x.dtype)
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                weights = [getattr(self, f"{kind}{suffix}", None)
                           for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
                P = _project(x, weights[0], weights[2])
                out, final = _run(self.mode, P, tuple(state[index] for state in states),
                                  weights[1], weights[3], reverse=direction == 1)
                outputs.append(out)
                for kept, state in zip(finals, final):
                    kept.append(state)
            x = outputs[0] if len(outputs) == 1 else ag.concatenate(outputs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        final_states = [ag.stack(kept, axis=0) for kept in finals]
        if not batched:
            x = x[:, 0]
            final_states = [state[:, 0] for state in final_states]
        elif self.batch_first:
            x = x.swapaxes(0, 1)
        if self.mode == "LSTM":
            return x, tuple(final_states)
        return x, final_states[0]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity=relu"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    ``nn.RNN(10, 20, 2)`` maps (T, B, 10) to ``(output (T, B, 20), h_n (2, B, 20))``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        mode = "RNN_" + _nonlinearity("RNN", nonlinearity).upper()
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gate order i, f, g, o:

    i, f, g, o = sigma, sigma, tanh, sigma of (x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh);
    c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t).
    ``forward(input, (h_0, c_0))`` returns ``(output, (h_n, c_n))``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's gate order r, z, n and b_hn inside r * (...):

    r = sigma(x W_ir^T + b_ir + h W_hr^T + b_hr), z = sigma(x W_iz^T + b_iz + h W_hz^T + b_hz),
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)), h_t = (1 - z) * n + z * h_{t-1}.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` (G, input_size), ``weight_hh`` (G, H), ``bias_ih``
    and ``bias_hh`` (G,), all U(-1/sqrt(H), 1/sqrt(H)); one time step of the same kernels."""

    mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        owner = type(self).__name__
        check_device(owner, device)
        self.input_size = _positive_int(owner, "input_size", input_size)
        self.hidden_size = _positive_int(owner, "hidden_size", hidden_size)
        self.bias = bool(bias)
        dtype = np.dtype(dtype or np.float32)
        size = gates * self.hidden_size
        self.weight_ih = Parameter(np.empty((size, self.input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((size, self.hidden_size), dtype=dtype))
        if self.bias:
            self.bias_ih = Parameter(np.empty(size, dtype=dtype))
            self.bias_hh = Parameter(np.empty(size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def _step(self, input: Any, hx: Any, count: int) -> tuple[list[Tensor], bool]:
        """The input as (1, B, I), the states as (B, H) each; whether the input had a batch."""
        owner = type(self).__name__
        x = as_tensor(input, like=self.weight_ih)
        given_shape = x.shape
        if x.ndim not in (1, 2):
            raise ValueError(f"{owner}: Expected input to be 1D or 2D, got {x.ndim}D instead "
                             f"(shape {x.shape})")
        batched = x.ndim == 2
        if not batched:
            x = x[None]
        if x.shape[1] != self.input_size:
            raise ValueError(f"{owner}: input has inconsistent input_size: got {x.shape[1]}, "
                             f"expected {self.input_size}")
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            states = [ag.Tensor(np.zeros(shape, dtype=x.dtype))] * count
        else:
            given = list(hx) if count == 2 else [hx]
            states = []
            for state in given:
                state = as_tensor(state, like=self.weight_hh)
                state = state if batched else state[None] if state.ndim == 1 else state
                if state.shape != shape:
                    raise ValueError(f"{owner}: hidden state of shape {tuple(state.shape)} does "
                                     f"not match input of shape {given_shape} "
                                     f"(expected {shape if batched else shape[1:]})")
                states.append(state)
        P = F.linear(x, self.weight_ih, self.bias_ih)[None]
        _, final = _run(self.mode, P, tuple(states), self.weight_hh, self.bias_hh)
        if not batched:
            final = tuple(state[0] for state in final)
        return list(final), batched

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity=relu"
        return text


class RNNCell(RNNCellBase):
    """One step of ``RNN``: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu.

    ``forward(input (B, input_size) or (input_size,), hx=None)`` returns h' (B, H) or (H,).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = _nonlinearity("RNNCell", nonlinearity)
        self.mode = "RNN_" + nonlinearity.upper()

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        return self._step(input, hx, 1)[0][0]


class LSTMCell(RNNCellBase):
    """One step of ``LSTM``: ``forward(input, (h, c))`` returns ``(h', c')``; zeros if no hx."""

    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got {type(hx).__name__}")
        h, c = self._step(input, hx, 2)[0]
        return h, c


class GRUCell(RNNCellBase):
    """One step of ``GRU``: ``forward(input, hx=None)`` returns h'."""

    mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        return self._step(input, hx, 1)[0][0]
