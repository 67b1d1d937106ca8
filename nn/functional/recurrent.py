"""Recurrent kernels: one op per layer and direction that runs the whole sequence.

``P`` is the input projection of every time step, ``x @ W_ih.T + b_ih`` (T, B, G),
computed by one matmul before the loop; the ops add the hidden projection
``h @ W_hh.T + b_hh`` (one matmul per step) and apply the cell's gates, PyTorch's
formulas and gate order:

    RNN   h' = act(P_t + h W_hh^T + b_hh)                          act = tanh or relu
    LSTM  i, f, g, o = sigma, sigma, tanh, sigma of (P_t + h W_hh^T + b_hh)
          c' = f * c + i * g,   h' = o * tanh(c')
    GRU   r, z = sigma(P_r + h W_hr^T + b_hr), sigma(P_z + h W_hz^T + b_hz)
          n = tanh(P_n + r * (h W_hn^T + b_hn)),   h' = (1 - z) * n + z * h

A sequence is one node of the graph, however long, so backward takes time and
memory linear in its length (a node per step would make every step's slice of
``P`` send back a gradient the size of all of ``P``). Backward is
backpropagation through time written with ``autograd.ops.dual``: the only
sequential part is the recursion of the state's gradient (one matmul per step);
the gate derivatives before it and the weight gradients after it are computed
for all steps at once. Under ``create_graph=True`` the gates are recomputed from
the recorded output (all steps at once) so the same formulas record their graph.
"""

from __future__ import annotations

import numpy as np

from autograd import Op, Tensor
from autograd.ops import dual
from autograd.ops.shape import concatenate as _concatenate_tensors
from autograd.ops.shape import stack as _stack_tensors

__all__: list[str] = []

NONLINEARITIES = ("tanh", "relu")


def _stack(values: list, axis: int):
    """``np.stack``, recorded when any value is a Tensor."""
    if any(isinstance(value, Tensor) for value in values):
        return _stack_tensors(values, axis=axis)
    return np.stack(values, axis=axis)


def _concatenate(values: list, axis: int):
    """``np.concatenate``, recorded when any value is a Tensor."""
    if any(isinstance(value, Tensor) for value in values):
        return _concatenate_tensors(values, axis=axis)
    return np.concatenate(values, axis=axis)


def _steps(length: int, reverse: bool) -> range:
    """The time steps in the order the recurrence visits them."""
    return range(length - 1, -1, -1) if reverse else range(length)


def _previous(initial, states, reverse: bool):
    """The state each step starts from (T, B, H): ``initial`` then the outputs, shifted."""
    if reverse:
        return _concatenate([states[1:], initial[None]], 0)
    return _concatenate([initial[None], states[:-1]], 0)


def _sigmoid_(x: np.ndarray) -> np.ndarray:
    """sigma(x) = (1 + tanh(x / 2)) / 2 in place: one transcendental, no overflow."""
    x *= 0.5
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def _hidden_projection(h: np.ndarray, weight_t: np.ndarray, bias, out: np.ndarray) -> None:
    np.matmul(h, weight_t, out=out)
    if bias is not None:
        out += bias



def _gradients(ctx, grad_input, grad_hidden, previous, grad_states: list) -> tuple:
    """One gradient per input: dP, the initial states', dW_hh and db_hh.

    ``grad_input`` is the gradient of ``P`` (T, B, G), ``grad_hidden`` that of the hidden
    projection ``h_{t-1} W_hh^T + b_hh`` (the same but for GRU's n gate) and ``previous``
    the state every step started from (T, B, H).
    """
    needs = ctx.needs_input_grad
    count = len(grad_states)
    result = [grad_input.reshape(ctx.input_shape) if needs[0] else None]
    result += [grad if need else None for grad, need in zip(grad_states, needs[1:1 + count])]
    rows = grad_hidden.reshape((-1, ctx.input_shape[-1]))
    hidden = previous.shape[-1]
    result.append(rows.T @ previous.reshape((-1, hidden)) if needs[1 + count] else None)
    if ctx.has_bias:
        result.append(rows.sum(axis=0) if needs[2 + count] else None)
    return tuple(result)


def _start(ctx, P, h0, weight_hh, bias_hh, reverse: bool):
    """Common set-up of a forward pass: constants on ``ctx``, output dtype, W_hh^T."""
    ctx.reverse, ctx.has_bias, ctx.input_shape = reverse, bias_hh is not None, P.shape
    dtype = np.result_type(P, h0, weight_hh)
    return dtype, np.ascontiguousarray(weight_hh.T, dtype=dtype)


class RnnSequence(Op):
    """h_t = act(P_t + h_{t-1} W^T + b); with dA_t = (grad_t + dA_{t+1} W) * act'(h_t):
    dP = dA, dW = sum_t dA_t^T h_{t-1}, db = sum_t dA_t, dh_0 = dA_1 W;
    tanh' = 1 - h^2, relu' = [h > 0]"""

    def forward(ctx, P, h0, weight_hh, bias_hh=None, nonlinearity="tanh", reverse=False):
        dtype, weight_t = _start(ctx, P, h0, weight_hh, bias_hh, reverse)
        ctx.relu = nonlinearity == "relu"
        out = np.empty(P.shape, dtype)
        h = h0
        for t in _steps(P.shape[0], reverse):
            state = out[t]
            _hidden_projection(h, weight_t, bias_hh, state)
            state += P[t]
            if ctx.relu:
                np.maximum(state, 0, out=state)
            else:
                np.tanh(state, out=state)
            h = state
        return out

    def backward(ctx, grad, h0, weight_hh, out):
        if ctx.relu:
            active = dual.constant(out) > 0
            through = lambda dh, t: dual.where(active[t], dh, 0.0)  # noqa: E731 - select
        else:
            slope = 1 - out * out
            through = lambda dh, t: dh * slope[t]  # noqa: E731
        grad_pre = [None] * out.shape[0]
        carry = None
        for t in reversed(_steps(out.shape[0], ctx.reverse)):
            total = grad[t] if carry is None else grad[t] + carry
            grad_pre[t] = through(total, t)
            carry = grad_pre[t] @ weight_hh
        grad_pre = _stack(grad_pre, 0)
        return _gradients(ctx, grad_pre, grad_pre, _previous(h0, out, ctx.reverse), [carry])


def _gru_gates(P, h0, weight_hh, bias_hh, out, reverse: bool):
    """r, z, n stacked (T, B, 3, H) and h W_hn^T + b_hn (T, B, H), for all steps at once."""
    length, batch, hidden = out.shape
    projected = _previous(h0, out, reverse) @ weight_hh.T
    if bias_hh is not None:
        projected = projected + bias_hh
    projected = projected.reshape((length, batch, 3, hidden))
    inputs = P.reshape((length, batch, 3, hidden))
    reset = dual.sigmoid(inputs[:, :, 0] + projected[:, :, 0])
    update = dual.sigmoid(inputs[:, :, 1] + projected[:, :, 1])
    new = dual.tanh(inputs[:, :, 2] + reset * projected[:, :, 2])
    return _stack([reset, update, new], 2), projected[:, :, 2]


class GruSequence(Op):
    """r, z = sigma(P_r + h W_hr^T + b_hr), sigma(P_z + ...); n = tanh(P_n + r (h W_hn^T + b_hn));
    h' = n + z (h - n). Backward: dh_{t-1} = dh_t z + dA_t W with dA_t = dh_t * (d h'/d(h W^T + b)),
    dP = dA (n block: dh (1 - z)(1 - n^2)), dW = sum_t dA_t^T h_{t-1}, db = sum_t dA_t"""

    def forward(ctx, P, h0, weight_hh, bias_hh=None, reverse=False):
        dtype, weight_t = _start(ctx, P, h0, weight_hh, bias_hh, reverse)
        length, batch, size = P.shape
        hidden = size // 3
        out = np.empty((length, batch, hidden), dtype)
        gates = np.empty((length, batch, 3, hidden), dtype)  # r, z, n
        projected_n = np.empty((length, batch, hidden), dtype)
        projected = np.empty((batch, size), dtype)
        h = h0
        for t in _steps(length, reverse):
            _hidden_projection(h, weight_t, bias_hh, projected)
            hidden_part = projected.reshape((batch, 3, hidden))
            inputs = P[t].reshape((batch, 3, hidden))
            gate = gates[t]
            np.add(inputs[:, :2], hidden_part[:, :2], out=gate[:, :2])
            _sigmoid_(gate[:, :2])
            projected_n[t] = hidden_part[:, 2]
            new = gate[:, 2]
            np.multiply(gate[:, 0], hidden_part[:, 2], out=new)
            new += inputs[:, 2]
            np.tanh(new, out=new)
            state = out[t]
            np.subtract(h, new, out=state)
            state *= gate[:, 1]
            state += new
            h = state
        ctx.gates, ctx.projected_n = gates, projected_n
        return out

    def backward(ctx, grad, P, h0, weight_hh, bias_hh, out):
        gates, projected_n = dual.reuse(
            (ctx.gates, ctx.projected_n),
            lambda: _gru_gates(P, h0, weight_hh, bias_hh, out, ctx.reverse), like=grad)
        length, batch, hidden = out.shape
        previous = _previous(h0, out, ctx.reverse)
        reset, update, new = gates[:, :, 0], gates[:, :, 1], gates[:, :, 2]
        through_new = (1 - update) * (1 - new * new)  # d h' / d(pre-activation of n)
        # d h' / d(h W^T + b), per gate block
        coefficients = _stack([through_new * projected_n * reset * (1 - reset),
                               (previous - new) * update * (1 - update),
                               through_new * reset], 2)
        grad_states = [None] * length
        carry = None
        for t in reversed(_steps(length, ctx.reverse)):
            total = grad[t] if carry is None else grad[t] + carry
            grad_states[t] = total
            grad_projection = (total[:, None, :] * coefficients[t]).reshape((batch, 3 * hidden))
            carry = total * update[t] + grad_projection @ weight_hh
        grad_states = _stack(grad_states, 0)
        grad_hidden = grad_states[:, :, None, :] * coefficients
        grad_input = _concatenate([grad_hidden[:, :, :2],
                                   (grad_states * through_new)[:, :, None]], 2)
        return _gradients(ctx, grad_input, grad_hidden, previous, [carry])


def _lstm_gates(P, h0, c0, weight_hh, bias_hh, out, reverse: bool):
    """i, f, g, o stacked (T, B, 4, H) and tanh(c) (T, B, H), for all steps at once."""
    length, batch, hidden = out.shape[1:]
    projected = _previous(h0, out[0], reverse) @ weight_hh.T + P
    if bias_hh is not None:
        projected = projected + bias_hh
    projected = projected.reshape((length, batch, 4, hidden))
    gates = _stack([dual.sigmoid(projected[:, :, 0]), dual.sigmoid(projected[:, :, 1]),
                    dual.tanh(projected[:, :, 2]), dual.sigmoid(projected[:, :, 3])], 2)
    return gates, dual.tanh(out[1])


class LstmSequence(Op):
    """i, f, g, o = sigma, sigma, tanh, sigma of (P_t + h W^T + b); c' = f c + i g; h' = o tanh(c').
    Output: h and c of every step, stacked (2, T, B, H). Backward: dc_t = grad_c + dc_{t+1} f
    + dh_t o (1 - tanh(c)^2), dA_t = (dc g i(1-i), dc c_{t-1} f(1-f), dc i (1-g^2),
    dh tanh(c) o(1-o)), dh_{t-1} = grad_h + dA_t W, dP = dA, dW = sum_t dA_t^T h_{t-1}"""

    def forward(ctx, P, h0, c0, weight_hh, bias_hh=None, reverse=False):
        dtype, weight_t = _start(ctx, P, h0, weight_hh, bias_hh, reverse)
        length, batch, size = P.shape
        hidden = size // 4
        out = np.empty((2, length, batch, hidden), dtype)
        gates = np.empty((length, batch, 4, hidden), dtype)  # i, f, g, o
        cell_tanh = np.empty((length, batch, hidden), dtype)
        projected = np.empty((batch, size), dtype)
        product = np.empty((batch, hidden), dtype)
        h, c = h0, c0
        for t in _steps(length, reverse):
            _hidden_projection(h, weight_t, bias_hh, projected)
            gate = gates[t]
            np.add(P[t].reshape((batch, 4, hidden)), projected.reshape((batch, 4, hidden)),
                   out=gate)
            _sigmoid_(gate[:, :2])
            np.tanh(gate[:, 2], out=gate[:, 2])
            _sigmoid_(gate[:, 3])
            cell = out[1, t]
            np.multiply(gate[:, 1], c, out=cell)
            np.multiply(gate[:, 0], gate[:, 2], out=product)
            cell += product
            np.tanh(cell, out=cell_tanh[t])
            np.multiply(gate[:, 3], cell_tanh[t], out=out[0, t])
            h, c = out[0, t], cell
        ctx.gates, ctx.cell_tanh = gates, cell_tanh
        return out

    def backward(ctx, grad, P, h0, c0, weight_hh, bias_hh, out):
        gates, cell_tanh = dual.reuse(
            (ctx.gates, ctx.cell_tanh),
            lambda: _lstm_gates(P, h0, c0, weight_hh, bias_hh, out, ctx.reverse), like=grad)
        length, batch, hidden = out.shape[1:]
        previous_h = _previous(h0, out[0], ctx.reverse)
        previous_c = _previous(c0, out[1], ctx.reverse)
        in_gate, forget, cell_gate, out_gate = (gates[:, :, k] for k in range(4))
        through_cell = out_gate * (1 - cell_tanh * cell_tanh)  # d h / d c
        # d A / d(dc, dc, dc, dh): the pre-activations' gradients from those of c and h
        coefficients = _stack([cell_gate * in_gate * (1 - in_gate),
                               previous_c * forget * (1 - forget),
                               in_gate * (1 - cell_gate * cell_gate),
                               cell_tanh * out_gate * (1 - out_gate)], 2)
        grad_h, grad_c = grad[0], grad[1]
        grad_pre = [None] * length
        carry_h = carry_c = None
        for t in reversed(_steps(length, ctx.reverse)):
            dh = grad_h[t] if carry_h is None else grad_h[t] + carry_h
            dc = grad_c[t] + dh * through_cell[t]
            if carry_c is not None:
                dc = dc + carry_c
            grad_pre[t] = (_stack([dc, dc, dc, dh], 1) * coefficients[t]).reshape(
                (batch, 4 * hidden))
            carry_h = grad_pre[t] @ weight_hh
            carry_c = dc * forget[t]
        grad_pre = _stack(grad_pre, 0)
        return _gradients(ctx, grad_pre, grad_pre, previous_h, [carry_h, carry_c])


def _sequence_inputs(P: Tensor, states: list, weight_hh: Tensor, bias_hh) -> tuple:
    inputs = (P, *states, weight_hh)
    return inputs if bias_hh is None else inputs + (bias_hh,)


def rnn_sequence(P: Tensor, h0: Tensor, weight_hh: Tensor, bias_hh: Tensor | None = None,
                 nonlinearity: str = "tanh", reverse: bool = False) -> Tensor:
    """Run an Elman RNN over the input projections ``P`` (T, B, H) from ``h0`` (B, H).

    Returns every step's state (T, B, H), in time order also when ``reverse``.
    """
    return RnnSequence.apply(*_sequence_inputs(P, [h0], weight_hh, bias_hh),
                             nonlinearity=nonlinearity, reverse=reverse)


def gru_sequence(P: Tensor, h0: Tensor, weight_hh: Tensor, bias_hh: Tensor | None = None,
                 reverse: bool = False) -> Tensor:
    """Run a GRU over the input projections ``P`` (T, B, 3H) from ``h0`` (B, H): (T, B, H)."""
    return GruSequence.apply(*_sequence_inputs(P, [h0], weight_hh, bias_hh), reverse=reverse)


def lstm_sequence(P: Tensor, h0: Tensor, c0: Tensor, weight_hh: Tensor,
                  bias_hh: Tensor | None = None, reverse: bool = False) -> Tensor:
    """Run an LSTM over ``P`` (T, B, 4H) from ``h0, c0`` (B, H): h and c stacked (2, T, B, H)."""
    return LstmSequence.apply(*_sequence_inputs(P, [h0, c0], weight_hh, bias_hh),
                              reverse=reverse)
