"""scaled_dot_product_attention, its safe softmax and nn.MultiheadAttention against torch
(copied weights, float64: outputs, attention weights and every gradient), plus what torch
cannot tell: fully masked queries, dropout statistics and initialisation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from nn.functional.attention import safe_softmax
from tests.against_torch import assert_matches_torch
from tests.torch_compare import copy_weights

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def leaves(arrays) -> tuple[list, list]:
    """The same values as our leaves and torch's, both requiring grad."""
    return ([ag.Tensor(a.copy(), requires_grad=True) for a in arrays],
            [torch.tensor(a.copy(), requires_grad=True) for a in arrays])


def compare(our_results, their_results, our_inputs, their_inputs, ours=None, theirs=None,
            seed: int = 1) -> None:
    """Same results (None where torch gives None), and the same gradients of a random
    weighting of all of them for every input and, given the modules, every parameter."""
    rng = np.random.default_rng(seed)
    our_loss, their_loss = 0.0, 0.0
    for mine, reference in zip(our_results, their_results, strict=True):
        if reference is None:
            assert mine is None
            continue
        assert mine.shape == tuple(reference.shape)
        np.testing.assert_allclose(mine.data, reference.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        weights = rng.standard_normal(mine.shape)
        our_loss = our_loss + (mine * weights).sum()
        their_loss = their_loss + (reference * torch.tensor(weights)).sum()
    our_loss.backward()
    their_loss.backward()
    for mine, reference in zip(our_inputs, their_inputs, strict=True):
        np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), rtol=1e-9,
                                   atol=1e-12)
    if ours is not None:
        our_params = dict(ours.named_parameters())
        for name, reference in theirs.named_parameters():
            assert np.isfinite(our_params[name].grad.data).all(), name
            np.testing.assert_allclose(our_params[name].grad.data, reference.grad.numpy(),
                                       rtol=1e-9, atol=1e-12, err_msg=name)


# ------------------------------------------------------------------ safe softmax


def scores_with_masked_rows(shape: tuple, seed: int = 0) -> np.ndarray:
    """Random scores with some entries -inf and the second row of every matrix all -inf."""
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal(shape)
    scores[rng.random(shape) < 0.3] = -np.inf
    scores[..., 1, :] = -np.inf
    return scores


def test_safe_softmax_matches_torch_and_gives_zeros_on_rows_of_minus_inf():
    if not hasattr(torch, "_safe_softmax"):
        pytest.skip("this torch has no _safe_softmax")
    scores = scores_with_masked_rows((2, 3, 4))
    x, tx = leaves([scores])
    out, tout = safe_softmax(x[0]), torch._safe_softmax(tx[0], -1)
    compare([out], [tout], x, tx)
    np.testing.assert_array_equal(out.data[:, 1], 0.0)
    np.testing.assert_array_equal(x[0].grad.data[:, 1], 0.0)


def test_safe_softmax_scale_and_constant_bias_match_torch():
    if not hasattr(torch, "_safe_softmax"):
        pytest.skip("this torch has no _safe_softmax")
    bias = np.where(scores_with_masked_rows((3, 4), seed=3) == -np.inf, -np.inf, 0.5)
    x, tx = leaves([np.random.default_rng(4).standard_normal((2, 3, 4))])
    out = safe_softmax(x[0], 0.3, bias)
    compare([out], [torch._safe_softmax(tx[0] * 0.3 + torch.tensor(bias), -1)], x, tx)
    np.testing.assert_array_equal(out.data[:, 1], 0.0)


def test_safe_softmax_is_softmax_on_finite_rows_to_second_order():
    scores = np.random.default_rng(1).standard_normal((3, 5)) * 30  # large: the shift matters
    assert_matches_torch(safe_softmax, lambda t: TF.softmax(t, -1), scores)


def test_safe_softmax_second_derivatives_stay_finite_on_masked_rows():
    x = ag.Tensor(scores_with_masked_rows((3, 4), seed=2), requires_grad=True)
    (grad,) = ag.grad((safe_softmax(x) * ag.Tensor(np.arange(12.0).reshape(3, 4))).sum(), [x],
                      create_graph=True)
    (second,) = ag.grad((grad * grad).sum(), [x])
    assert np.isfinite(grad.data).all() and np.isfinite(second.data).all()
    np.testing.assert_array_equal(second.data[1], 0.0)


# ------------------------------------------------------------------ scaled_dot_product_attention

SDPA_SHAPES = [  # query, key, value
    ((4, 3), (5, 3), (5, 2)),                      # unbatched
    ((2, 4, 3), (2, 6, 3), (2, 6, 5)),             # one batch dimension
    ((2, 3, 4, 3), (2, 3, 5, 3), (2, 3, 5, 4)),    # batch and heads
    ((2, 1, 4, 3), (1, 3, 5, 3), (1, 3, 5, 2)),    # broadcasting batch dimensions
]


def sdpa_arrays(shapes, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def bool_mask(length: int, source: int, seed: int = 3) -> np.ndarray:
    """A random (L, S) mask (True: attend) whose row 1 attends to nothing."""
    mask = np.random.default_rng(seed).random((length, source)) < 0.6
    mask[1] = False
    return mask


@pytest.mark.parametrize("shapes", SDPA_SHAPES, ids=lambda s: str(s[0]))
@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal", "scale"])
def test_sdpa_matches_torch_with_gradients(shapes, kind):
    length, source = shapes[0][-2], shapes[1][-2]
    options = {"none": {}, "causal": {"is_causal": True}, "scale": {"scale": 0.7},
               "bool": {"attn_mask": bool_mask(length, source)}}.get(kind, {})
    arrays = sdpa_arrays(shapes)
    if kind == "float":  # a float mask receives gradients too
        arrays.append(np.random.default_rng(4).standard_normal((length, source)))
    ours, theirs = leaves(arrays)
    our_options = dict(options)
    their_options = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                     for k, v in options.items()}
    if kind == "float":
        our_options["attn_mask"], their_options["attn_mask"] = ours[3], theirs[3]
    out = F.scaled_dot_product_attention(*ours[:3], **our_options)
    tout = TF.scaled_dot_product_attention(*theirs[:3], **their_options)
    compare([out], [tout], ours, theirs)


@pytest.mark.parametrize("shapes", [((2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 7)),
                                    ((6, 3, 5), (2, 6, 5), (2, 6, 2)),
                                    ((2, 3, 5), (2, 6, 5), (2, 6, 2))], ids=str)
def test_sdpa_grouped_query_attention_matches_torch(shapes):
    assert_matches_torch(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True),
        *sdpa_arrays(shapes))


@pytest.mark.parametrize("length, source", [(3, 3), (2, 5), (5, 2)])
def test_sdpa_causal_mask_is_aligned_to_the_top_left_as_torch(length, source):
    arrays = sdpa_arrays([(length, 3), (source, 3), (source, 2)], seed=5)
    assert_matches_torch(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                         lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True),
                         *arrays)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_second_derivatives_match_torch_with_a_fully_masked_row(kind):
    mask = bool_mask(4, 5)
    if kind == "float":
        mask = np.where(mask, np.random.default_rng(6).standard_normal(mask.shape), -np.inf)
    assert_matches_torch(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask)),
        *sdpa_arrays(SDPA_SHAPES[2]))


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_query_that_sees_no_key_gives_zeros_and_zero_gradients(kind):
    mask = bool_mask(4, 6)
    if kind == "float":
        mask = np.where(mask, 0.0, -np.inf)
    q, k, v = (ag.Tensor(a, requires_grad=True) for a in sdpa_arrays(SDPA_SHAPES[1]))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    (out * out).sum().backward()
    np.testing.assert_array_equal(out.data[:, 1], 0.0)
    np.testing.assert_array_equal(q.grad.data[:, 1], 0.0)
    assert all(np.isfinite(t.grad.data).all() for t in (q, k, v))


def test_sdpa_dropout_zeroes_a_fraction_p_of_the_weights_and_scales_the_rest():
    # With value = identity the output rows are the attention weights themselves.
    rng = np.random.default_rng(7)
    source, p = 400, 0.3
    q, k = rng.standard_normal((2, 50, 8)), rng.standard_normal((2, source, 8))
    identity = np.eye(source)
    weights = F.scaled_dot_product_attention(q, k, identity).data
    ag.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, k, identity, dropout_p=p).data
    zero = dropped == 0
    assert abs(zero.mean() - p) < 4 * np.sqrt(p * (1 - p) / zero.size)
    np.testing.assert_allclose(dropped[~zero], weights[~zero] / (1 - p), rtol=1e-12)
    np.testing.assert_array_equal(
        F.scaled_dot_product_attention(q, k, identity, dropout_p=1.0).data, 0.0)


def test_sdpa_keeps_float32():
    q = ag.Tensor(np.ones((2, 3, 4), dtype=np.float32))
    assert F.scaled_dot_product_attention(q, q, q, is_causal=True).dtype == np.float32


# ------------------------------------------------------------------ MultiheadAttention

E, HEADS, N, L, S = 6, 2, 3, 4, 5


def build_mha(**options):
    """(ours, torch's) MultiheadAttention(E, HEADS) with torch's weights copied, float64."""
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(E, HEADS, **options)
    ours = nn.MultiheadAttention(E, HEADS, **options)
    copy_weights(ours, theirs)
    if options.get("add_bias_kv"):  # nonzero, so that they matter
        with torch.no_grad():
            theirs.bias_k.normal_(), theirs.bias_v.normal_()
        copy_weights(ours, theirs)
    return ours, theirs


def mha_inputs(options: dict, self_attention: bool, batched: bool = True, seed: int = 0):
    """query, key, value arrays of the right layout (the same array for self-attention)."""
    rng = np.random.default_rng(seed)
    def shape(length, features):
        if not batched:
            return (length, features)
        return (N, length, features) if options.get("batch_first") else (length, N, features)
    if self_attention:
        return [rng.standard_normal(shape(L, E))]
    return [rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, options.get("kdim", E))),
            rng.standard_normal(shape(S, options.get("vdim", E)))]


def mha_masks(kind: str, batched: bool, source: int, seed: int = 2) -> dict:
    """Masks in MultiheadAttention's sense (True: leave out), none fully masking a query."""
    rng = np.random.default_rng(seed)
    padding = rng.random((N, source) if batched else (source,)) < 0.3
    padding[..., 0] = False
    attention = rng.random((L, source)) < 0.3
    attention[:, 0] = False
    return {"none": {},
            "padding": {"key_padding_mask": padding},
            "attn": {"attn_mask": attention},
            "attn3d": {"attn_mask": rng.random((N * HEADS if batched else HEADS, L, source)) < 0.3
                       * np.arange(source)},
            "both": {"attn_mask": attention, "key_padding_mask": padding},
            "float": {"attn_mask": rng.standard_normal((L, source)),
                      "key_padding_mask": np.where(padding, -np.inf, 0.0)}}[kind]


def run_mha(ours, theirs, arrays, masks: dict, **call):
    our_in, their_in = leaves(arrays)
    if len(arrays) == 1:
        our_in, their_in = our_in * 3, their_in * 3  # the same tensor: self-attention
    their_masks = {k: torch.tensor(v) for k, v in masks.items()}
    our_results = ours(*our_in, **masks, **call)
    their_results = theirs(*their_in, **their_masks, **call)
    inputs = slice(0, 1) if len(arrays) == 1 else slice(0, 3)
    compare(our_results, their_results, our_in[inputs], their_in[inputs], ours, theirs)
    return our_results


MHA_OPTIONS = [{}, {"batch_first": True}, {"kdim": 3, "vdim": 5}, {"bias": False},
               {"add_bias_kv": True}, {"add_zero_attn": True},
               {"add_bias_kv": True, "add_zero_attn": True, "batch_first": True}]


@pytest.mark.parametrize("options", MHA_OPTIONS, ids=str)
@pytest.mark.parametrize("masks", ["none", "padding", "attn", "attn3d", "both", "float"])
def test_mha_matches_torch(options, masks):
    ours, theirs = build_mha(**options)
    self_attention = "kdim" not in options
    source = L if self_attention else S
    run_mha(ours, theirs, mha_inputs(options, self_attention), mha_masks(masks, True, source))


@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("self_attention", [True, False])
def test_mha_weights_options_match_torch(need_weights, average, self_attention):
    ours, theirs = build_mha(batch_first=True)
    results = run_mha(ours, theirs, mha_inputs({"batch_first": True}, self_attention),
                      mha_masks("both", True, L if self_attention else S),
                      need_weights=need_weights, average_attn_weights=average)
    if need_weights:
        source = L if self_attention else S
        assert results[1].shape == ((N, L, source) if average else (N, HEADS, L, source))


@pytest.mark.parametrize("options", [{}, {"kdim": 3, "vdim": 5}, {"add_zero_attn": True}],
                         ids=str)
@pytest.mark.parametrize("masks", ["none", "padding", "attn3d"])
def test_unbatched_mha_matches_torch(options, masks):
    ours, theirs = build_mha(**options)
    self_attention = "kdim" not in options
    run_mha(ours, theirs, mha_inputs(options, self_attention, batched=False),
            mha_masks(masks, False, L if self_attention else S))


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("options", [{}, {"add_bias_kv": True, "add_zero_attn": True}], ids=str)
def test_mha_is_causal_with_the_causal_mask_matches_torch(need_weights, options):
    ours, theirs = build_mha(**options)
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    run_mha(ours, theirs, mha_inputs(options, True), {"attn_mask": causal}, is_causal=True,
            need_weights=need_weights)


def test_mha_is_causal_alone_equals_the_causal_mask():
    ours, _ = build_mha()
    x = ag.Tensor(mha_inputs({}, True)[0])
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    for need_weights in (True, False):
        alone = ours(x, x, x, is_causal=True, need_weights=need_weights)
        masked = ours(x, x, x, attn_mask=causal, need_weights=need_weights)
        np.testing.assert_allclose(alone[0].data, masked[0].data, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("shape", [(L, L), (N * HEADS, L, L)])
def test_mha_float_mask_that_requires_grad_gets_torch_s_gradient(shape):
    ours, theirs = build_mha(batch_first=True)
    x, mask = mha_inputs({"batch_first": True}, True)[0], np.random.default_rng(3).normal(
        size=shape)
    our_in, their_in = leaves([x, mask])
    compare(ours(our_in[0], our_in[0], our_in[0], attn_mask=our_in[1]),
            theirs(their_in[0], their_in[0], their_in[0], attn_mask=their_in[1]),
            our_in, their_in, ours, theirs)


def test_mha_key_value_pair_projection_matches_torch():
    # key is value but not query: the encoder-decoder case
    ours, theirs = build_mha()
    q, kv = mha_inputs({}, False)[:2]
    our_in, their_in = leaves([q, kv])
    compare(ours(our_in[0], our_in[1], our_in[1]), theirs(their_in[0], their_in[1], their_in[1]),
            our_in, their_in, ours, theirs)


@pytest.mark.parametrize("options", [{}, {"add_zero_attn": True}], ids=str)
def test_mha_query_that_sees_no_key_gets_zero_weights_and_finite_gradients(options):
    # torch returns NaN there with need_weights=True and zeros (its SDPA path) without;
    # here both paths give the zeros, and every gradient stays finite.
    ours, theirs = build_mha(batch_first=True, **options)
    padding = np.zeros((N, L), dtype=bool)
    padding[1] = True  # the second sequence: every key left out
    x = mha_inputs({"batch_first": True}, True)[0]
    our_in, their_in = leaves([x])
    out, weights = ours(our_in[0], our_in[0], our_in[0], key_padding_mask=padding)
    tout, _ = theirs(their_in[0], their_in[0], their_in[0],
                     key_padding_mask=torch.tensor(padding), need_weights=False)
    compare([out], [tout], our_in, their_in, ours, theirs)
    if not options:
        np.testing.assert_array_equal(weights.data[1], 0.0)
        np.testing.assert_allclose(out.data[1], np.broadcast_to(ours.out_proj.bias.data, (L, E)))


def test_mha_second_derivatives_match_torch():
    ours, theirs = build_mha(add_bias_kv=True)
    masks = mha_masks("both", True, L)
    assert_matches_torch(lambda x, w: _functional_mha(ours, x, w, masks),
                         lambda x, w: _functional_mha_torch(theirs, x, w, masks),
                         mha_inputs({}, True)[0], ours.in_proj_weight.data.copy())


def _functional_mha(module, x, in_proj_weight, masks):
    out, weights = F.multi_head_attention_forward(
        x, x, x, E, HEADS, in_proj_weight,
        module.in_proj_bias, module.bias_k, module.bias_v, False, 0.0, module.out_proj.weight,
        module.out_proj.bias, **masks)
    return ag.concatenate([out.reshape(-1), weights.reshape(-1)])


def _functional_mha_torch(module, x, in_proj_weight, masks):
    out, weights = TF.multi_head_attention_forward(
        x, x, x, E, HEADS, in_proj_weight,
        module.in_proj_bias, module.bias_k, module.bias_v, False, 0.0, module.out_proj.weight,
        module.out_proj.bias, **{k: torch.tensor(v) for k, v in masks.items()})
    return torch.cat([out.reshape(-1), weights.reshape(-1)])


def test_mha_parameter_names_shapes_and_order_are_torch_s():
    for options in MHA_OPTIONS:
        ours = nn.MultiheadAttention(E, HEADS, **options)
        theirs = torch.nn.MultiheadAttention(E, HEADS, **options)
        assert [(n, p.shape) for n, p in ours.named_parameters()] == [
            (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_mha_initialisation_is_torch_s():
    ag.manual_seed(0)
    size = 256
    mha = nn.MultiheadAttention(size, 4, add_bias_kv=True)
    separate = nn.MultiheadAttention(size, 4, kdim=128, vdim=64)
    checks = [(mha.in_proj_weight, size, 3 * size)] + [
        (w, w.shape[1], size) for w in (separate.q_proj_weight, separate.k_proj_weight,
                                        separate.v_proj_weight)]
    for weight, fan_in, fan_out in checks:  # xavier_uniform: U(-b, b), b = sqrt(6 / fans)
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(weight.data).max() <= bound
        assert np.abs(weight.data).max() > 0.99 * bound
        assert abs(weight.data.std() - bound / np.sqrt(3)) < 0.05 * bound
    for bias in (mha.in_proj_bias, mha.out_proj.bias):
        np.testing.assert_array_equal(bias.data, 0.0)
    for bias in (mha.bias_k, mha.bias_v):  # xavier_normal of (1, 1, E): std sqrt(2 / 2E)
        assert abs(bias.data.std() - np.sqrt(1.0 / size)) < 0.15 * np.sqrt(1.0 / size)
    out_bound = 1 / np.sqrt(size)  # out_proj.weight keeps Linear's initialisation
    assert out_bound * 0.99 < np.abs(mha.out_proj.weight.data).max() <= out_bound
    assert mha.in_proj_weight.dtype == np.float32


def test_mha_dropout_acts_on_the_weights_in_training_only():
    p = 0.4
    mha = nn.MultiheadAttention(8, 2, dropout=p, batch_first=True).double()
    x = ag.Tensor(np.random.default_rng(8).standard_normal((4, 30, 8)))
    mha.eval()
    _, clean = mha(x, x, x, average_attn_weights=False)
    _, again = mha(x, x, x, average_attn_weights=False)
    np.testing.assert_array_equal(clean.data, again.data)
    mha.train()
    _, dropped = mha(x, x, x, average_attn_weights=False)
    zero = dropped.data == 0
    assert abs(zero.mean() - p) < 4 * np.sqrt(p * (1 - p) / zero.size)
    np.testing.assert_allclose(dropped.data[~zero], clean.data[~zero] / (1 - p), rtol=1e-12)


def test_mha_float32_stays_float32():
    mha = nn.MultiheadAttention(4, 2)
    x = np.ones((3, 2, 4))  # a float64 array next to float32 weights takes their dtype
    out, weights = mha(x, x, x)
    assert out.dtype == np.float32 and weights.dtype == np.float32


def test_mha_combinations_of_batch_first_and_masks_agree_with_each_other():
    # batch_first only changes the layout: the same model gives transposed results
    ours, _ = build_mha()
    first = nn.MultiheadAttention(E, HEADS, batch_first=True).double()
    first.load_state_dict(ours.state_dict())
    x = mha_inputs({}, True)[0]
    for masks in ("padding", "attn3d", "float"):
        call = mha_masks(masks, True, L)
        out, weights = ours(x, x, x, **call)
        x_first = x.swapaxes(0, 1)
        out_first, weights_first = first(x_first, x_first, x_first, **call)
        np.testing.assert_allclose(out_first.data, out.data.swapaxes(0, 1), rtol=1e-13,
                                   atol=1e-15)
        np.testing.assert_allclose(weights_first.data, weights.data, rtol=1e-13, atol=1e-15)


def test_all_option_combinations_run_finite_in_float32():
    for batch_first, bias, kv, zero in itertools.product((False, True), repeat=4):
        mha = nn.MultiheadAttention(4, 2, bias=bias, add_bias_kv=kv, add_zero_attn=zero,
                                    batch_first=batch_first)
        shape = (2, 3, 4) if batch_first else (3, 2, 4)  # two sequences of three
        x = np.random.default_rng(9).standard_normal(shape)
        out, weights = mha(x, x, x, key_padding_mask=np.array([[0, 0, 1], [1, 1, 1]], bool))
        assert out.shape == shape and np.isfinite(out.data).all()
        assert np.isfinite(weights.data).all()
