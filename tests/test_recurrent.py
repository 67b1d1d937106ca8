"""RNN, LSTM, GRU and their cells against torch (copied weights, float64), plus what torch
cannot tell: initialisation, dropout between layers, and time and memory linear in the
sequence length."""

from __future__ import annotations

import itertools
import sys
import tracemalloc
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn.functional import recurrent as kernels

torch = pytest.importorskip("torch")

LAYERS = {"RNN": nn.RNN, "RNN_RELU": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
CELLS = {"RNNCell": nn.RNNCell, "RNNCell_RELU": nn.RNNCell, "LSTMCell": nn.LSTMCell,
         "GRUCell": nn.GRUCell}
SEQ, BATCH, INPUT, HIDDEN = 5, 3, 4, 3


def build(kind: str, table: dict, **options):
    """(ours, torch's) with torch's weights copied into ours, both float64."""
    options = dict(options)
    if kind.endswith("_RELU"):
        options["nonlinearity"] = "relu"
    name = kind.removesuffix("_RELU")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(**options).double()
    ours = table[kind](**options).double()
    ours.load_state_dict({key: value.detach().numpy() for key, value in
                          theirs.state_dict().items()})
    return ours, theirs


def leaf(array: np.ndarray) -> tuple:
    return ag.Tensor(array.copy(), requires_grad=True), torch.tensor(array, requires_grad=True)


def flat(result) -> list:
    """The tensors of an (output, h_n) or (output, (h_n, c_n)) result, in order."""
    if isinstance(result, (tuple, list)):
        return [t for part in result for t in flat(part)]
    return [result]


def compare(ours, theirs, our_inputs, their_inputs, seed: int = 1) -> None:
    """Same outputs, and the same gradients of a random weighting of all of them."""
    our_results, their_results = flat(ours(*our_inputs)), flat(theirs(*their_inputs))
    assert len(our_results) == len(their_results)
    rng = np.random.default_rng(seed)
    our_loss, their_loss = 0.0, 0.0
    for mine, reference in zip(our_results, their_results):
        assert mine.shape == tuple(reference.shape)
        np.testing.assert_allclose(mine.data, reference.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        weights = rng.standard_normal(mine.shape)
        our_loss = our_loss + (mine * weights).sum()
        their_loss = their_loss + (reference * torch.tensor(weights)).sum()
    our_loss.backward()
    their_loss.backward()
    our_params = dict(ours.named_parameters())
    for name, reference in theirs.named_parameters():
        np.testing.assert_allclose(our_params[name].grad.data, reference.grad.numpy(),
                                   rtol=1e-9, atol=1e-12, err_msg=name)
    for mine, reference in zip(flat(our_inputs), flat(their_inputs)):
        np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), rtol=1e-9,
                                   atol=1e-12)


def inputs(kind: str, layers: int, directions: int, batched: bool, batch_first: bool,
           with_state: bool, seed: int = 0) -> tuple:
    """(our inputs, torch's inputs) for a layer's forward call: the sequence, and the
    initial state (a pair for LSTM) when ``with_state``."""
    rng = np.random.default_rng(seed)
    shape = (BATCH, SEQ, INPUT) if batch_first else (SEQ, BATCH, INPUT)
    x_ours, x_theirs = leaf(rng.standard_normal(shape if batched else (SEQ, INPUT)))
    ours, theirs = [x_ours], [x_theirs]
    if with_state:
        state = (layers * directions,) + ((BATCH,) if batched else ()) + (HIDDEN,)
        pairs = [leaf(rng.standard_normal(state)) for _ in range(2 if kind == "LSTM" else 1)]
        mine, reference = zip(*pairs)
        ours.append(mine if kind == "LSTM" else mine[0])
        theirs.append(reference if kind == "LSTM" else reference[0])
    return ours, theirs


COMBINATIONS = list(itertools.product(
    LAYERS, (1, 2), (False, True), (False, True), (True, False), (False, True)))


@pytest.mark.parametrize("kind, layers, bidirectional, batch_first, bias, with_state",
                         COMBINATIONS, ids=["-".join(map(str, c)) for c in COMBINATIONS])
def test_layer_matches_torch(kind, layers, bidirectional, batch_first, bias, with_state):
    ours, theirs = build(kind, LAYERS, input_size=INPUT, hidden_size=HIDDEN, num_layers=layers,
                         bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    our_inputs, their_inputs = inputs(kind, layers, 1 + bidirectional, True, batch_first,
                                      with_state)
    compare(ours, theirs, our_inputs, their_inputs)


@pytest.mark.parametrize("kind, bidirectional, with_state",
                         list(itertools.product(LAYERS, (False, True), (False, True))))
def test_unbatched_layer_matches_torch(kind, bidirectional, with_state):
    ours, theirs = build(kind, LAYERS, input_size=INPUT, hidden_size=HIDDEN, num_layers=2,
                         bidirectional=bidirectional, batch_first=True)
    our_inputs, their_inputs = inputs(kind, 2, 1 + bidirectional, False, False, with_state)
    compare(ours, theirs, our_inputs, their_inputs)


@pytest.mark.parametrize("kind, bias, with_state, batched",
                         list(itertools.product(CELLS, (True, False), (False, True),
                                                (True, False))))
def test_cell_matches_torch(kind, bias, with_state, batched):
    ours, theirs = build(kind, CELLS, input_size=INPUT, hidden_size=HIDDEN, bias=bias)
    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal((BATCH, INPUT) if batched else (INPUT,)))
    our_inputs, their_inputs = [x[0]], [x[1]]
    if with_state:
        shape = (BATCH, HIDDEN) if batched else (HIDDEN,)
        states = [leaf(rng.standard_normal(shape)) for _ in range(2 if "LSTM" in kind else 1)]
        our_inputs.append(tuple(s[0] for s in states) if "LSTM" in kind else states[0][0])
        their_inputs.append(tuple(s[1] for s in states) if "LSTM" in kind else states[0][1])
    compare(ours, theirs, our_inputs, their_inputs)


def test_cell_steps_chain_like_the_layer():
    """A GRUCell looped over time gives nn.GRU's outputs and gradients (same weights)."""
    ours, theirs = build("GRUCell", CELLS, input_size=INPUT, hidden_size=HIDDEN)
    layer = torch.nn.GRU(INPUT, HIDDEN).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer, name + "_l0").copy_(getattr(theirs, name))
    x = np.random.default_rng(0).standard_normal((SEQ, BATCH, INPUT))
    ours_x, their_x = leaf(x)
    h, states = None, []
    for t in range(SEQ):
        h = ours(ours_x[t], h)
        states.append(h)
    ours_out = ag.stack(states)
    their_out, _ = layer(their_x)
    np.testing.assert_allclose(ours_out.data, their_out.detach().numpy(), rtol=1e-10)
    weights = np.random.default_rng(1).standard_normal(ours_out.shape)
    (ours_out * weights).sum().backward()
    (their_out * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours_x.grad.data, their_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.weight_hh.grad.data, layer.weight_hh_l0.grad.numpy(),
                               rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_second_derivatives_match_torch(kind):
    """d/dW of |d loss / d x|^2, through the layer's backward recorded with create_graph."""
    ours, theirs = build(kind, LAYERS, input_size=INPUT, hidden_size=HIDDEN, num_layers=2,
                         bidirectional=True)
    x = np.random.default_rng(0).standard_normal((SEQ, BATCH, INPUT))
    ours_x, their_x = leaf(x)
    weights = np.random.default_rng(1).standard_normal((SEQ, BATCH, 2 * HIDDEN))
    (grad_ours,) = ag.grad((ours(ours_x)[0] * weights).sum(), [ours_x], create_graph=True)
    (grad_theirs,) = torch.autograd.grad((theirs(their_x)[0] * torch.tensor(weights)).sum(),
                                         [their_x], create_graph=True)
    (grad_ours ** 2).sum().backward()
    (grad_theirs ** 2).sum().backward()
    our_params = dict(ours.named_parameters())
    for name, reference in theirs.named_parameters():
        np.testing.assert_allclose(our_params[name].grad.data, reference.grad.numpy(),
                                   rtol=1e-8, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(ours_x.grad.data, their_x.grad.numpy(), rtol=1e-8, atol=1e-12)


# ------------------------------------------------------------------ parameters


@pytest.mark.parametrize("kind", list(LAYERS))
def test_parameter_names_shapes_and_order_are_torch_s(kind):
    ours, theirs = build(kind, LAYERS, input_size=INPUT, hidden_size=HIDDEN, num_layers=2,
                         bidirectional=True)
    assert [(name, tuple(value.shape)) for name, value in theirs.state_dict().items()] == [
        (name, value.shape) for name, value in ours.state_dict().items()]
    no_bias = LAYERS[kind](INPUT, HIDDEN, bias=False)
    assert [name for name, _ in no_bias.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_parameter_names_and_shapes_are_torch_s(kind):
    ours, theirs = build(kind, CELLS, input_size=INPUT, hidden_size=HIDDEN)
    assert [(name, tuple(value.shape)) for name, value in theirs.state_dict().items()] == [
        (name, value.shape) for name, value in ours.state_dict().items()]


@pytest.mark.parametrize("module", [nn.GRU(7, 50, num_layers=2), nn.LSTMCell(3, 50)],
                         ids=["GRU", "LSTMCell"])
def test_initialisation_is_uniform_within_one_over_sqrt_hidden(module):
    bound = 1 / np.sqrt(50)
    for name, param in module.named_parameters():
        values = param.data
        assert values.dtype == np.float32
        assert np.all(np.abs(values) <= bound), name
        # uniform: spread over the whole interval, with the variance of U(-b, b)
        assert values.max() > 0.9 * bound and values.min() < -0.9 * bound, name
        if values.size >= 1000:
            assert abs(values.var() - bound**2 / 3) < 0.1 * bound**2 / 3, name


def test_manual_seed_makes_initialisation_reproducible():
    ag.manual_seed(3)
    first = nn.LSTM(4, 5).state_dict()
    ag.manual_seed(3)
    second = nn.LSTM(4, 5).state_dict()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


def test_repr_matches_torch():
    settings = dict(num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(nn.GRU(3, 4, **settings)) == repr(torch.nn.GRU(3, 4, **settings))
        assert repr(nn.LSTM(3, 4)) == repr(torch.nn.LSTM(3, 4))
        assert repr(nn.GRUCell(3, 4, bias=False)) == repr(torch.nn.GRUCell(3, 4, bias=False))
        assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == repr(
            torch.nn.RNNCell(3, 4, nonlinearity="relu"))


def test_float32_stays_float32():
    model = nn.LSTM(4, 3, num_layers=2, bidirectional=True)
    out, (h, c) = model(np.random.default_rng(0).standard_normal((5, 2, 4)))
    assert out.dtype == h.dtype == c.dtype == np.float32
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


# ------------------------------------------------------------------ dropout between layers


@pytest.mark.parametrize("kind", list(LAYERS))
def test_dropout_is_off_in_eval_mode_and_matches_torch(kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = build(kind, LAYERS, input_size=INPUT, hidden_size=HIDDEN, num_layers=3,
                             dropout=0.7)
    ours.eval()
    theirs.eval()
    our_inputs, their_inputs = inputs(kind, 3, 1, True, False, False)
    compare(ours, theirs, our_inputs, their_inputs)


def test_dropout_zeroes_a_fraction_p_of_the_inputs_of_later_layers_and_scales_the_rest():
    """Layer 1 of a relu RNN with W_ih = I and zero W_hh and biases outputs relu(its
    dropped-out input): exactly the dropout mask applied to layer 0's output."""
    hidden, p = 40, 0.3
    model = nn.RNN(hidden, hidden, num_layers=2, nonlinearity="relu", dropout=p).double()
    rng = np.random.default_rng(0)
    model.weight_ih_l0.data[...] = np.eye(hidden)
    model.weight_ih_l1.data[...] = np.eye(hidden)
    for name in ("weight_hh_l0", "weight_hh_l1", "bias_ih_l0", "bias_hh_l0", "bias_ih_l1",
                 "bias_hh_l1"):
        getattr(model, name).data[...] = 0.0
    x = rng.uniform(0.5, 1.5, (50, 20, hidden))  # positive: layer 0 passes it unchanged
    np.random.seed(0)
    out, _ = model(x)
    kept = out.data != 0
    assert abs(kept.mean() - (1 - p)) < 0.01  # 40,000 draws: the std of the mean is 0.0023
    np.testing.assert_allclose(out.data[kept], x[kept] / (1 - p), rtol=1e-12)
    np.random.seed(0)
    np.testing.assert_array_equal(model(x)[0].data, out.data)  # the mask comes from np.random
    model.eval()
    np.testing.assert_allclose(model(x)[0].data, x, rtol=1e-12)


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)


# ------------------------------------------------------------------ long sequences


def count_nodes(tensor) -> int:
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(t.grad_fn for t in node.inputs)
    return len(seen)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_graph_size_does_not_grow_with_the_sequence(kind):
    """One node per layer and direction, whatever the length: backward's work is linear."""
    model = LAYERS[kind](3, 4, num_layers=2, bidirectional=True)
    sizes = [count_nodes(model(np.ones((length, 2, 3)))[0]) for length in (2, 50)]
    assert sizes[0] == sizes[1]


def peak_bytes(model, length: int) -> int:
    x = ag.Tensor(np.random.default_rng(0).standard_normal((length, 4, 8)), requires_grad=True)
    tracemalloc.start()
    try:
        out, _ = model(x)
        out.sum().backward()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_backward_through_1000_steps_needs_no_recursion_and_linear_memory(kind):
    model = LAYERS[kind](8, 16).double()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(_frames()) + 60)  # room for a few calls, not for 1,000
    try:
        x = ag.Tensor(np.random.default_rng(0).standard_normal((1000, 4, 8)), requires_grad=True)
        out, _ = model(x)
        out.sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    assert np.isfinite(x.grad.data).all() and np.abs(x.grad.data[0]).sum() > 0
    short, long = peak_bytes(model, 250), peak_bytes(model, 1000)
    assert 3.0 < long / short < 4.5  # 4x the steps: 4x the memory, not 16x


def _frames() -> list:
    frames, frame = [], sys._getframe()
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return frames


def test_gates_recomputed_for_second_order_equal_the_saved_ones():
    """The vectorised recomputation used under create_graph gives the loop's gates."""
    rng = np.random.default_rng(0)
    P, h0, c0 = (rng.standard_normal(s) for s in ((6, 2, 12), (2, 3), (2, 3)))
    weight, bias = rng.standard_normal((12, 3)), rng.standard_normal(12)
    for reverse in (False, True):
        for op, extra, recompute in (
                (kernels.LstmSequence, (c0,), kernels._lstm_gates),
                (kernels.GruSequence, (), kernels._gru_gates)):
            size = 12 if op is kernels.LstmSequence else 9
            ctx = type("Ctx", (), {})()
            args = (P[..., :size], h0, *extra, weight[:size], bias[:size])
            out = op.forward(ctx, *args, reverse=reverse)
            saved = (ctx.gates, ctx.cell_tanh if extra else ctx.projected_n)
            for mine, reference in zip(recompute(*args, out, reverse), saved):
                np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-14)
