"""TransformerEncoderLayer and TransformerEncoder against torch (copied weights, float64:
outputs and every gradient), their structure (names, deep copies) and dropout."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from tests.against_torch import assert_matches_torch
from tests.test_attention import compare, leaves
from tests.torch_compare import copy_weights

torch = pytest.importorskip("torch")

D, HEADS, FF, N, L = 8, 2, 12, 3, 5
ACTIVATIONS = {  # ours, torch's
    "relu": ("relu", "relu"),
    "gelu": ("gelu", "gelu"),
    "callable": (F.gelu, torch.nn.functional.gelu),
    "module": (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
    "lambda": (lambda x: x.tanh(), torch.tanh),
}


def build_layer(activation: str = "relu", **options):
    """(ours, torch's) TransformerEncoderLayer with torch's weights copied, float64, no
    dropout (torch's own dropout masks cannot be reproduced)."""
    torch.manual_seed(0)
    our_activation, their_activation = ACTIVATIONS[activation]
    theirs = torch.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0,
                                              activation=their_activation, **options)
    ours = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, activation=our_activation,
                                      **options)
    with torch.no_grad():  # LayerNorm starts at 1 and 0: make its parameters matter
        for norm in (theirs.norm1, theirs.norm2):
            norm.weight.uniform_(0.5, 1.5)
            if norm.bias is not None:
                norm.bias.normal_()
    copy_weights(ours, theirs)
    return ours, theirs


def layer_input(batch_first: bool, batched: bool = True, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if not batched:
        return rng.standard_normal((L, D))
    return rng.standard_normal((N, L, D) if batch_first else (L, N, D))


def masks(kind: str, batched: bool = True, seed: int = 1) -> dict:
    """Keyword arguments of a layer's forward (masks in PyTorch's sense, True: leave out)."""
    rng = np.random.default_rng(seed)
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    padding = rng.random((N, L) if batched else (L,)) < 0.3
    padding[..., 0] = False
    return {"none": {},
            "causal": {"src_mask": causal, "is_causal": True},
            "causal-float": {"src_mask": np.where(causal, -np.inf, 0.0), "is_causal": True},
            "padding": {"src_key_padding_mask": padding},
            "causal+padding": {"src_mask": causal, "src_key_padding_mask": padding},
            "float": {"src_mask": rng.standard_normal((L, L))}}[kind]


def run_layer(ours, theirs, x: np.ndarray, call: dict, train: bool = False):
    ours.train(train), theirs.train(train)
    our_in, their_in = leaves([x])
    their_call = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    out = ours(our_in[0], **call)
    tout = theirs(their_in[0], **their_call)
    compare([out], [tout], our_in, their_in, ours, theirs)
    return out


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_matches_torch(norm_first, activation, batch_first):
    ours, theirs = build_layer(activation, norm_first=norm_first, batch_first=batch_first)
    run_layer(ours, theirs, layer_input(batch_first), masks("causal+padding"))


@pytest.mark.parametrize("kind", ["none", "causal", "causal-float", "padding", "float"])
@pytest.mark.parametrize("train", [False, True])
def test_layer_masks_and_modes_match_torch(kind, train):
    # train mode with dropout 0 is the same computation; torch's fast path (eval, no grad
    # needed) is not taken because its parameters require grad
    ours, theirs = build_layer("gelu", norm_first=True, batch_first=True)
    run_layer(ours, theirs, layer_input(True), masks(kind), train=train)


@pytest.mark.parametrize("kind", ["none", "causal", "padding"])
def test_unbatched_layer_matches_torch(kind):
    ours, theirs = build_layer("relu")
    run_layer(ours, theirs, layer_input(False, batched=False), masks(kind, batched=False))


def test_layer_without_bias_and_other_eps_matches_torch():
    ours, theirs = build_layer("gelu", bias=False, layer_norm_eps=1e-3, norm_first=True)
    assert ours.norm1.bias is None and ours.self_attn.in_proj_bias is None
    run_layer(ours, theirs, layer_input(False), masks("padding"))


def test_layer_is_causal_alone_equals_the_causal_mask():
    ours, _ = build_layer("relu", batch_first=True)
    x = ag.Tensor(layer_input(True))
    np.testing.assert_allclose(ours(x, is_causal=True).data,
                               ours(x, src_mask=masks("causal")["src_mask"]).data, rtol=1e-13,
                               atol=1e-15)


@pytest.mark.parametrize("norm_first", [False, True])
def test_layer_second_derivatives_match_torch(norm_first):
    ours, theirs = build_layer("gelu", norm_first=norm_first, batch_first=True)
    call = masks("causal+padding")
    their_call = {k: torch.tensor(v) for k, v in call.items()}

    def theirs_in_math_mode(x):  # torch's flash attention has no second derivative
        with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
            return theirs(x, **their_call)

    assert_matches_torch(lambda x: ours(x, **call), theirs_in_math_mode, layer_input(True))


def test_layer_submodules_and_parameters_are_named_as_torch():
    ours = nn.TransformerEncoderLayer(D, HEADS, FF)
    theirs = torch.nn.TransformerEncoderLayer(D, HEADS, FF)
    assert [name for name, _ in ours.named_modules()] == [
        name for name, _ in theirs.named_modules()]
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert ours.dropout.p == ours.dropout1.p == ours.dropout2.p == 0.1
    assert ours.linear1.weight.shape == (FF, D) and ours.norm1.eps == 1e-5


def test_layer_rejects_an_unknown_activation_name():
    with pytest.raises(ValueError, match=r"activation should be relu/gelu, not 'tanh'"):
        nn.TransformerEncoderLayer(D, HEADS, activation="tanh")


def test_layer_dropout_is_random_in_training_and_off_in_eval():
    layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.5, batch_first=True).double()
    x = ag.Tensor(layer_input(True))
    first, second = layer(x), layer(x)
    assert first.shape == x.shape and not np.allclose(first.data, second.data)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)
    without = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True).double()
    without.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(layer(x).data, without(x).data, rtol=1e-13, atol=1e-15)


def test_layer_dropout_zeroes_a_fraction_p_of_the_feed_forward_hidden_units():
    p = 0.3
    layer = nn.TransformerEncoderLayer(16, 2, 200, dropout=p, batch_first=True).double()
    seen = {}
    layer.linear1.register_forward_hook(lambda module, args, out: seen.update(
        clean=F.relu(out).data))
    layer.linear2.register_forward_pre_hook(lambda module, args: seen.update(
        dropped=args[0].data))
    layer(ag.Tensor(np.random.default_rng(2).standard_normal((4, 10, 16))))
    clean, dropped = seen["clean"], seen["dropped"]
    kept, positive = dropped != 0, clean > 0
    np.testing.assert_allclose(dropped[kept], clean[kept] / (1 - p), rtol=1e-12)
    zeroed = 1 - kept[positive].mean()
    assert abs(zeroed - p) < 4 * np.sqrt(p * (1 - p) / positive.sum())


# ------------------------------------------------------------------ TransformerEncoder


def build_encoder(norm: bool = True, **options):
    ours_layer, theirs_layer = build_layer("gelu", **options)
    theirs = torch.nn.TransformerEncoder(theirs_layer, 2, norm=torch.nn.LayerNorm(D)
                                         if norm else None, enable_nested_tensor=False)
    ours = nn.TransformerEncoder(ours_layer, 2, norm=nn.LayerNorm(D) if norm else None)
    with torch.no_grad():  # the two copies differ, so that a shared layer would show
        for param in theirs.layers[1].parameters():
            param.add_(0.1 * torch.randn_like(param))
    copy_weights(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("kind", ["none", "causal", "causal+padding", "float"])
@pytest.mark.parametrize("norm", [False, True])
def test_encoder_matches_torch(kind, norm):
    ours, theirs = build_encoder(norm, norm_first=True, batch_first=True)
    call = masks(kind)
    if "src_mask" in call:
        call["mask"] = call.pop("src_mask")
    run_layer(ours, theirs, layer_input(True), call)


@pytest.mark.parametrize("kind", ["none", "causal", "padding"])
def test_unbatched_encoder_matches_torch(kind):
    ours, theirs = build_encoder(norm_first=True)
    call = masks(kind, batched=False)
    if "src_mask" in call:
        call["mask"] = call.pop("src_mask")
    run_layer(ours, theirs, layer_input(False, batched=False), call)


def test_encoder_with_a_fully_padded_sequence_matches_torch_and_stays_finite():
    ours, theirs = build_encoder(batch_first=True)
    padding = np.zeros((N, L), dtype=bool)
    padding[1] = True
    out = run_layer(ours, theirs, layer_input(True), {"src_key_padding_mask": padding})
    assert np.isfinite(out.data).all()


def test_encoder_is_causal_none_detects_nothing_and_gives_the_masked_result():
    ours, theirs = build_encoder(norm_first=False)
    run_layer(ours, theirs, layer_input(False), {"mask": masks("causal")["src_mask"]})


def test_encoder_layers_are_independent_deep_copies_named_as_torch():
    layer = nn.TransformerEncoderLayer(D, HEADS, FF)
    encoder = nn.TransformerEncoder(layer, 3)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, HEADS, FF), 3,
                                         enable_nested_tensor=False)
    assert list(encoder.state_dict()) == list(theirs.state_dict())
    assert encoder.layers[0] is not layer and encoder.layers[0] is not encoder.layers[1]
    np.testing.assert_array_equal(encoder.layers[2].linear1.weight.data, layer.linear1.weight.data)
    encoder.layers[0].linear1.weight.data[...] = 0
    assert np.abs(encoder.layers[1].linear1.weight.data).sum() > 0
    assert np.abs(layer.linear1.weight.data).sum() > 0
    assert len(list(encoder.parameters())) == 3 * len(list(layer.parameters()))


def test_encoder_trains_a_sequence_task_to_a_lower_loss():
    # a smoke test of the whole stack: copy the previous token (causal attention needed)
    ag.manual_seed(0)
    rng = np.random.default_rng(0)
    vocab, length = 5, 6
    embed = nn.Embedding(vocab, 16)
    position = nn.Embedding(length, 16)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(
        16, 2, 32, dropout=0.0, batch_first=True, norm_first=True), 1, norm=nn.LayerNorm(16))
    head = nn.Linear(16, vocab)
    params = [p for m in (embed, position, encoder, head) for p in m.parameters()]
    optimizer = nn.optim.Adam(params, lr=0.01)
    tokens = rng.integers(0, vocab, (64, length))
    losses = []
    for _ in range(60):
        x = embed(tokens) + position(np.arange(length))
        logits = head(encoder(x, is_causal=True))[:, 1:]
        loss = nn.functional.cross_entropy(logits.reshape((-1, vocab)),
                                           tokens[:, :-1].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 1.4 and losses[-1] < 0.5 * losses[0]


def test_deepcopy_of_a_layer_copies_its_activation_module():
    layer = nn.TransformerEncoderLayer(D, HEADS, FF, activation=nn.GELU())
    assert "activation" in dict(layer.named_children())
    clone = copy.deepcopy(layer)
    assert clone.activation is not layer.activation
