"""Elementwise math, ``% // & | ^ ~``, logical ops and tests, side by side with PyTorch.

Values, gradients and second derivatives against torch in float64 on random
shapes (``tests/against_torch.py``), then the singular points: jumps, the
origin of arctan2, infinities, zeros. Skipped without torch.
"""

import numpy as np
import pytest

import autograd as ag
from tests.against_torch import assert_close, assert_matches_torch

torch = pytest.importorskip("torch")

SHAPES = [(), (1,), (3,), (2, 1, 4)]


def draw(kind: str, shape: tuple, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    low, high = {"normal": (-2.0, 2.0), "positive": (0.2, 3.0), "unit": (-0.95, 0.95),
                 "above-one": (1.05, 3.0), "above-minus-one": (-0.9, 3.0),
                 "tan": (-1.4, 1.4)}[kind]
    return rng.uniform(low, high, shape)


# (our function, torch's, domain)
UNARY = {
    "log2": (ag.log2, torch.log2, "positive"),
    "log10": (ag.log10, torch.log10, "positive"),
    "log1p": (ag.log1p, torch.log1p, "above-minus-one"),
    "exp2": (ag.exp2, torch.exp2, "normal"),
    "expm1": (ag.expm1, torch.expm1, "normal"),
    "square": (ag.square, torch.square, "normal"),
    "reciprocal": (ag.reciprocal, torch.reciprocal, "positive"),
    "rsqrt": (ag.rsqrt, torch.rsqrt, "positive"),
    "tan": (ag.tan, torch.tan, "tan"),
    "arcsin": (ag.arcsin, torch.asin, "unit"),
    "arccos": (ag.arccos, torch.acos, "unit"),
    "arctan": (ag.arctan, torch.atan, "normal"),
    "sinh": (ag.sinh, torch.sinh, "normal"),
    "cosh": (ag.cosh, torch.cosh, "normal"),
    "arcsinh": (ag.arcsinh, torch.asinh, "normal"),
    "arccosh": (ag.arccosh, torch.acosh, "above-one"),
    "arctanh": (ag.arctanh, torch.atanh, "unit"),
    "sign": (ag.sign, torch.sign, "normal"),
    "floor": (ag.floor, torch.floor, "normal"),
    "ceil": (ag.ceil, torch.ceil, "normal"),
    "trunc": (ag.trunc, torch.trunc, "normal"),
    "round": (ag.round, torch.round, "normal"),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_op_matches_torch(name, shape):
    ours, theirs, domain = UNARY[name]
    assert_matches_torch(ours, theirs, draw(domain, shape))


@pytest.mark.parametrize("name", UNARY)
def test_method_is_the_function(name):
    ours, theirs, domain = UNARY[name]
    x = ag.Tensor(draw(domain, (2, 3)))
    np.testing.assert_array_equal(getattr(x, name)().data, ours(x).data)


@pytest.mark.parametrize("alias, name", [("asin", "arcsin"), ("acos", "arccos"),
                                         ("atan", "arctan"), ("atan2", "arctan2"),
                                         ("asinh", "arcsinh"), ("acosh", "arccosh"),
                                         ("atanh", "arctanh"), ("mod", "remainder")])
def test_pytorch_aliases_are_the_numpy_functions(alias, name):
    assert getattr(ag, alias) is getattr(ag, name)
    assert getattr(ag.Tensor, alias) is getattr(ag.Tensor, name)


PAIRS = [((3,), (3,)), ((2, 1), (4,)), ((), (2, 3)), ((2, 3), ())]


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@pytest.mark.parametrize("name, ours, theirs", [
    ("arctan2", ag.arctan2, torch.atan2),
    ("logaddexp", ag.logaddexp, torch.logaddexp),
    ("arctan2-method", lambda a, b: a.atan2(b), lambda a, b: a.atan2(b)),
    ("logaddexp-method", lambda a, b: a.logaddexp(b), lambda a, b: a.logaddexp(b)),
])
def test_binary_op_matches_torch(name, ours, theirs, shapes):
    assert_matches_torch(ours, theirs, draw("normal", shapes[0], 1), draw("normal", shapes[1], 2))


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
def test_remainder_matches_torch_with_operands_of_both_signs(shapes):
    a = draw("normal", shapes[0], 3) * 3
    b = draw("positive", shapes[1], 4) * np.where(draw("normal", shapes[1], 5) > 0, 1, -1)
    assert_matches_torch(lambda x, y: x % y, torch.remainder, a, b)
    assert_matches_torch(ag.remainder, lambda x, y: x % y, a, b)


def test_remainder_and_floor_divide_follow_python_on_negative_operands():
    a = np.array([7.0, -7.0, 7.0, -7.0, 5.5])
    b = np.array([3.0, 3.0, -3.0, -3.0, 2.0])
    x, y = ag.Tensor(a), ag.Tensor(b)
    np.testing.assert_array_equal((x % y).data, [p % q for p, q in zip(a, b)])
    np.testing.assert_array_equal((x // y).data, [p // q for p, q in zip(a, b)])
    assert_close(x // y, torch.floor_divide(torch.tensor(a), torch.tensor(b)))


def test_remainder_gradient_of_the_divisor_is_minus_the_floored_quotient():
    a = ag.Tensor(np.array([7.0, -7.0, 5.5]), requires_grad=True)
    b = ag.Tensor(np.array([3.0, 3.0, -2.0]), requires_grad=True)
    (a % b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, [-2.0, 3.0, 3.0])  # -floor(a / b)


def test_reflected_remainder_and_floor_divide_with_numbers():
    x = ag.Tensor(np.array([2.0, -3.0, 4.0]), requires_grad=True)
    np.testing.assert_array_equal((10 % x).data, np.remainder(10, x.data))
    np.testing.assert_array_equal((10 // x).data, np.floor_divide(10, x.data))
    np.testing.assert_array_equal((x % 3).data, np.remainder(x.data, 3))


def test_floor_divide_is_not_differentiable_and_keeps_integer_dtypes():
    x = ag.Tensor(np.array([5.5, -3.2]), requires_grad=True)
    quotient = x // 2.0
    assert not quotient.requires_grad and quotient.grad_fn is None
    # treated as a constant: d/dx (x * (x // 2)) = x // 2, almost everywhere
    (x * (x // 2.0)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, -2.0])
    ints = ag.tensor([7, -7, 9])
    assert (ints // 2).dtype == np.int64 and (ints % 4).dtype == np.int64
    np.testing.assert_array_equal((ints // 2).data, [3, -4, 4])
    np.testing.assert_array_equal((ints % 4).data, [3, 1, 1])


@pytest.mark.parametrize("weight_shape", [None, (), (3,), (2, 3)], ids=str)
def test_lerp_matches_torch(weight_shape):
    start, end = draw("normal", (2, 3), 6), draw("normal", (3,), 7)
    if weight_shape is None:
        assert_matches_torch(lambda a, b: ag.lerp(a, b, 0.3), lambda a, b: torch.lerp(a, b, 0.3),
                             start, end)
        return
    weight = draw("normal", weight_shape, 8)
    assert_matches_torch(ag.lerp, torch.lerp, start, end, weight)
    assert_matches_torch(lambda a, b, w: a.lerp(b, w), torch.lerp, start, end, weight)


def test_lerp_is_exact_at_the_ends():
    start, end = ag.tensor([0.1, 3.0]), ag.tensor([0.7, -1e8])
    np.testing.assert_array_equal(ag.lerp(start, end, 1.0).data, end.data)
    np.testing.assert_array_equal(ag.lerp(start, end, 0.0).data, start.data)


def test_round_halves_to_even_with_decimals_as_numpy_and_torch():
    values = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 0.135, 1234.5678])
    for decimals in (0, 1, 2, -1, -2):
        ours = ag.round(ag.Tensor(values), decimals)
        np.testing.assert_array_equal(ours.data, np.round(values, decimals))
        assert_close(ours, torch.round(torch.tensor(values), decimals=decimals))
    np.testing.assert_array_equal(ag.Tensor(values).round(1).data, np.round(values, 1))
    ints = ag.tensor([15, 25, -35])
    assert ints.round(-1).dtype == np.int64
    np.testing.assert_array_equal(ints.round(-1).data, [20, 20, -40])


JUMPS = [("sign", [0.0, -0.0, 1.0, -2.0]), ("floor", [-1.0, 0.0, 2.0, 2.5]),
         ("ceil", [-1.0, 0.0, 2.0, 2.5]), ("trunc", [-1.0, 0.0, 2.0, -2.5]),
         ("round", [0.5, 1.5, -2.5, 3.0])]


@pytest.mark.parametrize("name, values", JUMPS, ids=[j[0] for j in JUMPS])
def test_piecewise_constant_ops_have_zero_gradient_at_their_jumps_even_for_inf_upstream(
        name, values):
    ours, theirs, _ = UNARY[name]
    x = ag.Tensor(np.array(values), requires_grad=True)
    out = ours(x)
    assert out.requires_grad  # as PyTorch: recorded, with a zero gradient
    upstream = np.array([np.inf, -np.inf, 1.0, np.nan])[:len(values)]
    out.backward(upstream)
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    theirs(tx).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad.data, np.zeros(len(values)))
    assert_close(x.grad, tx.grad)


def test_arctan2_gradient_at_the_origin_is_zero_as_torch():
    assert_matches_torch(ag.arctan2, torch.atan2, [0.0, 0.0, 1.0, 0.0], [0.0, -0.0, 0.0, 2.0],
                         second_order=False)
    y = ag.Tensor(np.zeros(2), requires_grad=True)
    ag.arctan2(y, ag.Tensor(np.zeros(2))).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [0.0, 0.0])


@pytest.mark.parametrize("name, ours, theirs, values", [
    ("logaddexp-infinite", lambda a: ag.logaddexp(a, a * 0 + 1.0),
     lambda a: torch.logaddexp(a, a * 0 + 1.0), [np.inf, -np.inf, 1000.0, -1000.0]),
    ("reciprocal-at-zero", ag.reciprocal, torch.reciprocal, [0.0, -0.0, 2.0]),
    ("rsqrt-at-zero", ag.rsqrt, torch.rsqrt, [0.0, 4.0]),
    ("log1p-at-minus-one", ag.log1p, torch.log1p, [-1.0, 0.0]),
    ("log2-at-zero", ag.log2, torch.log2, [0.0, 1.0]),
    ("arcsin-at-one", ag.arcsin, torch.asin, [1.0, -1.0, 0.0]),
    ("arctanh-at-one", ag.arctanh, torch.atanh, [1.0, -1.0, 0.0]),
    ("arccosh-at-one", ag.arccosh, torch.acosh, [1.0, 2.0]),
    ("expm1-large", ag.expm1, torch.expm1, [800.0, -800.0, 1e-300]),
])
def test_values_and_gradients_at_edges_of_the_domain_match_torch(name, ours, theirs, values):
    with np.errstate(all="ignore"):
        assert_matches_torch(ours, theirs, values, second_order=False)


# ------------------------------------------------------------------ bitwise and logical

INTS = np.array([[5, -3, 0], [12, 7, -1]])
BOOLS = np.array([[True, False, True], [False, False, True]])


@pytest.mark.parametrize("symbol, ours, theirs", [
    ("&", lambda a, b: a & b, torch.bitwise_and), ("|", lambda a, b: a | b, torch.bitwise_or),
    ("^", lambda a, b: a ^ b, torch.bitwise_xor),
    ("bitwise_and", ag.bitwise_and, torch.bitwise_and),
    ("bitwise_or", ag.bitwise_or, torch.bitwise_or),
    ("bitwise_xor-method", lambda a, b: a.bitwise_xor(b), torch.bitwise_xor),
])
@pytest.mark.parametrize("left, right", [(INTS, INTS[::-1].copy()), (BOOLS, BOOLS[:, ::-1].copy()),
                                         (INTS, np.array([6]))], ids=["int", "bool", "broadcast"])
def test_bitwise_operators_match_torch(symbol, ours, theirs, left, right):
    result = ours(ag.tensor(left), ag.tensor(right))
    expected = theirs(torch.tensor(left), torch.tensor(right)).numpy()
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result.data, expected)


def test_invert_is_bitwise_not_for_ints_and_logical_not_for_bools():
    np.testing.assert_array_equal((~ag.tensor(INTS)).data, torch.bitwise_not(torch.tensor(INTS)))
    np.testing.assert_array_equal((~ag.tensor(BOOLS)).data, ~BOOLS)
    np.testing.assert_array_equal(ag.bitwise_not(ag.tensor(BOOLS)).data, ~BOOLS)
    np.testing.assert_array_equal(ag.invert(ag.tensor(INTS)).data, ~INTS)


def test_bitwise_operators_with_python_numbers_on_either_side():
    x = ag.tensor([5, 6, 7])
    np.testing.assert_array_equal((x & 3).data, [1, 2, 3])
    np.testing.assert_array_equal((3 & x).data, [1, 2, 3])
    np.testing.assert_array_equal((1 | x).data, [5, 7, 7])
    np.testing.assert_array_equal((x ^ 1).data, [4, 7, 6])
    mask = ag.tensor([True, False])
    assert (mask & True).dtype == np.bool_ and (True ^ mask).tolist() == [False, True]


def test_in_place_bitwise_operators_change_the_buffer_and_bump_the_version():
    mask = ag.tensor([True, True, False])
    buffer, version = mask.data, mask._version
    mask &= ag.tensor([True, False, True])
    assert mask.data is buffer and mask._version == version + 1
    assert mask.tolist() == [True, False, False]
    mask |= np.array([False, False, True])
    mask ^= True
    assert mask.tolist() == [False, True, False]
    counts = ag.tensor([1, 2, 3])
    counts &= 2
    assert counts.tolist() == [0, 2, 2]


def test_bitwise_operators_refuse_floats_naming_the_way_out():
    with pytest.raises(TypeError, match=r"bitwise_and: only integer and boolean tensors.*float64"
                                        r".*\(x > 0\) & \(y > 0\)"):
        ag.Tensor(np.ones(2)) & ag.Tensor(np.ones(2))
    with pytest.raises(TypeError, match=r"bitwise_not: .*logical_not"):
        ~ag.Tensor(np.ones(2))


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_operators_match_torch_on_any_dtype(name):
    a = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]])
    b = np.array([2.0, 0.0, -0.0])
    result = getattr(ag, name)(ag.Tensor(a), ag.Tensor(b))
    assert result.dtype == np.bool_
    np.testing.assert_array_equal(result.data, getattr(torch, name)(torch.tensor(a),
                                                                    torch.tensor(b)).numpy())
    method = getattr(ag.Tensor(a), name)(b)
    np.testing.assert_array_equal(method.data, result.data)
    np.testing.assert_array_equal(ag.logical_not(ag.Tensor(a)).data, np.logical_not(a))


# ------------------------------------------------------------------ tests

SPECIAL = np.array([0.0, -1.5, np.nan, np.inf, -np.inf, 1e308])


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_value_tests_match_torch_and_carry_no_gradient(name):
    x = ag.Tensor(SPECIAL, requires_grad=True)
    result = getattr(ag, name)(x)
    assert result.dtype == np.bool_ and not result.requires_grad
    np.testing.assert_array_equal(result.data, getattr(torch, name)(torch.tensor(SPECIAL)))
    np.testing.assert_array_equal(getattr(x, name)().data, result.data)
    np.testing.assert_array_equal(getattr(ag, name)(ag.tensor([1, 2])).data,
                                  getattr(np, name)(np.array([1, 2])))


def test_isclose_and_allclose_match_torch_and_numpy():
    a = np.array([1.0, 1.0 + 1e-9, 1.0, np.nan, np.inf])
    b = np.array([1.0, 1.0, 1.1, np.nan, np.inf])
    for options in ({}, {"rtol": 0.2}, {"equal_nan": True}, {"atol": 1e-12, "rtol": 0.0}):
        ours = ag.isclose(ag.Tensor(a), b, **options)
        np.testing.assert_array_equal(ours.data, torch.isclose(torch.tensor(a), torch.tensor(b),
                                                               **options))
        np.testing.assert_array_equal(ag.Tensor(a).isclose(ag.Tensor(b), **options).data,
                                      np.isclose(a, b, **options))
        assert ag.allclose(a[:3], ag.Tensor(b[:3]), **options) is bool(
            torch.allclose(torch.tensor(a[:3]), torch.tensor(b[:3]), **options))
    assert ag.Tensor(a).allclose(a, equal_nan=True) is True
    assert ag.allclose(ag.Tensor(a), a) is False  # NaN != NaN without equal_nan


def test_numpy_ufuncs_on_tensors_run_the_differentiable_ops():
    x = ag.Tensor(np.array([0.5, 2.0]), requires_grad=True)
    y = ag.Tensor(np.array([1.0, -1.0]), requires_grad=True)
    (np.arctan2(x, y) + np.log2(x) + np.remainder(x, 0.3) + np.floor(x)).sum().backward()
    tx = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    ty = torch.tensor([1.0, -1.0], dtype=torch.float64, requires_grad=True)
    (torch.atan2(tx, ty) + torch.log2(tx) + torch.remainder(tx, 0.3) + torch.floor(tx)
     ).sum().backward()
    assert_close(x.grad, tx.grad)
    assert_close(y.grad, ty.grad)
    assert isinstance(np.isnan(x), ag.Tensor) and np.bitwise_and(ag.tensor([3]), 1).item() == 1
