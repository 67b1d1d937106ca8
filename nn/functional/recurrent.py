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


def _folded(P, weight_hh, bias_hh, halved: slice | np.ndarray, dtype) -> tuple:
    """``P + b_hh`` and ``W_hh^T`` (H, G) with the columns of the sigmoid gates halved.

    sigma(x) = (1 + tanh(x / 2)) / 2, so after this one ``tanh`` over all of a step's
    gates (then ``* 0.5 + 0.5`` on the sigmoid ones) serves every gate, and the bias
    costs nothing per step. One pass over ``P`` instead of several calls per step.
    """
    scale = np.ones(P.shape[-1], dtype)
    scale[halved] = 0.5
    inputs = P + bias_hh if bias_hh is not None else P.astype(dtype, copy=True)
    inputs *= scale
    weight_t = np.multiply(weight_hh.T, scale, dtype=dtype, order="C")
    return inputs, weight_t


def _from_halved_tanh_(x: np.ndarray) -> None:
    """tanh(y / 2) -> sigma(y), in place."""
    x *= 0.5
    x += 0.5


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
    """Common set-up of a forward pass: constants on ``ctx``; the output dtype."""
    ctx.reverse, ctx.has_bias, ctx.input_shape = reverse, bias_hh is not None, P.shape
    return np.result_type(P, h0, weight_hh)


class RnnSequence(Op):
    """h_t = act(P_t + h_{t-1} W^T + b); with dA_t = (grad_t + dA_{t+1} W) * act'(h_t):
    dP = dA, dW = sum_t dA_t^T h_{t-1}, db = sum_t dA_t, dh_0 = dA_1 W;
    tanh' = 1 - h^2, relu' = [h > 0]"""

    def forward(ctx, P, h0, weight_hh, bias_hh=None, nonlinearity="tanh", reverse=False):
        dtype = _start(ctx, P, h0, weight_hh, bias_hh, reverse)
        ctx.relu = nonlinearity == "relu"
        inputs, weight_t = _folded(P, weight_hh, bias_hh, slice(0, 0), dtype)
        out = np.empty(P.shape, dtype)
        h = h0
        for t in _steps(P.shape[0], reverse):
            state = out[t]
            np.matmul(h, weight_t, out=state)
            state += inputs[t]
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
        dtype = _start(ctx, P, h0, weight_hh, bias_hh, reverse)
        length, batch, size = P.shape
        hidden = size // 3
        # r and z: their bias folded into P and halved; n keeps b_hn inside r * (...)
        rz_bias = None if bias_hh is None else np.concatenate([bias_hh[:2 * hidden],
                                                               np.zeros(hidden, dtype)])
        inputs, weight_t = _folded(P, weight_hh, rz_bias, slice(0, 2 * hidden), dtype)
        inputs = inputs.reshape((length, batch, 3, hidden))
        bias_n = None if bias_hh is None else bias_hh[2 * hidden:]
        out = np.empty((length, batch, hidden), dtype)
        gates = np.empty((length, batch, 3, hidden), dtype)  # r, z, n
        projected_n = np.empty((length, batch, hidden), dtype)
        projected = np.empty((batch, 3, hidden), dtype)
        h = h0
        for t in _steps(length, reverse):
            np.matmul(h, weight_t, out=projected.reshape((batch, size)))
            gate = gates[t]
            reset_update = gate[:, :2]
            np.add(inputs[t, :, :2], projected[:, :2], out=reset_update)
            np.tanh(reset_update, out=reset_update)
            _from_halved_tanh_(reset_update)
            if bias_n is None:
                projected_n[t] = projected[:, 2]
            else:
                np.add(projected[:, 2], bias_n, out=projected_n[t])
            new = gate[:, 2]
            np.multiply(gate[:, 0], projected_n[t], out=new)
            new += inputs[t, :, 2]
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
        keep = 1 - update
        through_new = keep * (1 - new * new)  # d h' / d(pre-activation of n)
        # d h' / d(h W^T + b), per gate block
        coefficients = _stack([through_new * projected_n * reset * (1 - reset),
                               (previous - new) * update * keep,
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
        dtype = _start(ctx, P, h0, weight_hh, bias_hh, reverse)
        length, batch, size = P.shape
        hidden = size // 4
        inputs, weight_t = _folded(P, weight_hh, bias_hh, np.r_[0:2 * hidden, 3 * hidden:size],
                                   dtype)
        out = np.empty((2, length, batch, hidden), dtype)
        gates = np.empty((length, batch, 4, hidden), dtype)  # i, f, g, o
        cell_tanh = np.empty((length, batch, hidden), dtype)
        product = np.empty((batch, hidden), dtype)
        h, c = h0, c0
        for t in _steps(length, reverse):
            gate = gates[t]
            flat = gate.reshape((batch, size))
            np.matmul(h, weight_t, out=flat)
            flat += inputs[t]
            np.tanh(flat, out=flat)
            _from_halved_tanh_(gate[:, :2])
            _from_halved_tanh_(gate[:, 3])
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
