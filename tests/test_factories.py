"""Factories: PyTorch's and NumPy's spellings, dtypes, one seed for every random source.

``multinomial`` is checked against its distribution: frequencies over many
draws (one vectorised call) against the probabilities, with a chi-square bound
(the 0.999 quantile, so a correct sampler fails for one seed in a thousand; the
seeds are fixed). Without replacement the second draw's law is
``P(second = j) = sum_i p_i p_j / (1 - p_i)`` (sequential drawing, as PyTorch).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn

# the 0.999 quantiles of chi-square with 1..5 degrees of freedom
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52}


def chi_square(counts: np.ndarray, probabilities: np.ndarray) -> float:
    expected = counts.sum() * probabilities
    used = expected > 0
    assert not counts[~used].any(), "drew a category of probability 0"
    return float((((counts - expected) ** 2)[used] / expected[used]).sum())


# ------------------------------------------------------------------ spellings and dtypes


@pytest.mark.parametrize("make, shape", [
    (lambda: ag.randn(()), ()), (lambda: ag.rand(()), ()), (lambda: ag.randn(2, 3), (2, 3)),
    (lambda: ag.randn((2, 3)), (2, 3)), (lambda: ag.zeros(size=(2, 3)), (2, 3)),
    (lambda: ag.ones([4]), (4,)), (lambda: ag.empty(2, 1), (2, 1)),
    (lambda: ag.full((2, 2), 1.5), (2, 2)), (lambda: ag.full(3, 1.5), (3,)),
    (lambda: ag.rand(0, 3), (0, 3)),
])
def test_shape_spellings_and_float32_default(make, shape):
    t = make()
    assert t.shape == shape and t.dtype == np.float32


def test_pytorch_keywords():
    assert ag.randn(2, 3, dtype=ag.float64).dtype == np.float64
    w = ag.zeros(2, 3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    assert ag.ones(2, device="cpu").shape == (2,)
    with pytest.raises(RuntimeError, match=r"zeros: device 'cuda' is not available"):
        ag.zeros(2, device="cuda")


@pytest.mark.parametrize("make, values, dtype", [
    (lambda: ag.arange(4), [0, 1, 2, 3], np.int64),
    (lambda: ag.arange(1, 4), [1, 2, 3], np.int64),
    (lambda: ag.arange(0, 1, 0.25), [0, 0.25, 0.5, 0.75], np.float32),
    (lambda: ag.arange(3.0), [0, 1, 2], np.float32),
    (lambda: ag.arange(end=3), [0, 1, 2], np.int64),
    (lambda: ag.arange(start=1, end=7, step=3), [1, 4], np.int64),
    (lambda: ag.arange(3, dtype=ag.float64), [0, 1, 2], np.float64),
    (lambda: ag.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1], np.float32),
    (lambda: ag.linspace(0, 1, steps=3), [0, 0.5, 1], np.float32),
    (lambda: ag.linspace(start=-1, end=1, steps=3), [-1, 0, 1], np.float32),
    (lambda: ag.linspace(0, 1, 4, endpoint=False), [0, 0.25, 0.5, 0.75], np.float32),
    (lambda: ag.full_like(ag.ones(2), 7), [7, 7], np.float32),
    (lambda: ag.full_like(np.zeros(2, dtype=np.int64), 3), [3, 3], np.int64),
])
def test_ranges_and_fills(make, values, dtype):
    t = make()
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.data, np.array(values, dtype=dtype))


def test_linspace_default_count_is_numpys():
    assert ag.linspace(0, 1).shape == (50,)


def test_random_like_factories_keep_shape_and_floating_dtype():
    base = ag.zeros(3, 2, dtype=ag.float64)
    assert ag.rand_like(base).shape == (3, 2) and ag.rand_like(base).dtype == np.float64
    assert ag.randn_like(base, dtype=ag.float32).dtype == np.float32
    assert ag.empty_like(base).shape == (3, 2)
    with pytest.raises(TypeError, match=r"rand_like: random values need a floating dtype"):
        ag.rand_like(ag.arange(3))
    values = ag.rand(1000).data
    assert values.min() >= 0 and values.max() < 1


@pytest.mark.parametrize("call, low, high, shape", [
    (lambda: ag.randint(0, 5, (100,)), 0, 5, (100,)),          # PyTorch: low, high, size
    (lambda: ag.randint(5, (10, 10)), 0, 5, (10, 10)),         # PyTorch: high, size
    (lambda: ag.randint(5, size=(100,)), 0, 5, (100,)),        # NumPy: high, size=
    (lambda: ag.randint(-3, 3, size=50), -3, 3, (50,)),
    (lambda: ag.randint(7), 0, 7, ()),
])
def test_randint_is_int64_within_bounds(call, low, high, shape):
    t = call()
    assert t.dtype == np.int64 and t.shape == shape
    assert t.data.min() >= low and t.data.max() < high


def test_randint_covers_its_range_uniformly():
    ag.manual_seed(3)
    counts = np.bincount(ag.randint(0, 4, (40000,)).data, minlength=4)
    assert chi_square(counts, np.full(4, 0.25)) < CHI2_999[3]


def test_randint_indexes_an_embedding_table():
    table = ag.randn(27, 2)
    assert table[ag.randint(0, 27, (32, 3))].shape == (32, 3, 2)


# ------------------------------------------------------------------ multinomial


def test_multinomial_with_replacement_follows_the_probabilities():
    ag.manual_seed(0)
    p = np.array([0.1, 0.0, 0.4, 0.2, 0.3])
    draws = ag.multinomial(ag.tensor(p), 50000, replacement=True)
    assert draws.dtype == np.int64 and draws.shape == (50000,)
    assert chi_square(np.bincount(draws.data, minlength=5), p) < CHI2_999[3]


def test_multinomial_rows_are_independent_distributions_and_need_not_sum_to_one():
    ag.manual_seed(1)
    weights = np.array([[1.0, 1.0, 2.0], [0.0, 0.0, 5.0], [3.0, 0.0, 1.0]])
    draws = ag.multinomial(weights, 30000, replacement=True).data
    assert draws.shape == (3, 30000)
    for row, w in zip(draws, weights):
        p = w / w.sum()
        dof = int((p > 0).sum()) - 1
        if dof == 0:
            assert (row == np.argmax(p)).all()
        else:
            assert chi_square(np.bincount(row, minlength=3), p) < CHI2_999[dof]


def test_multinomial_without_replacement_never_repeats_and_draws_in_sequence():
    ag.manual_seed(2)
    p = np.array([0.5, 0.2, 0.2, 0.1, 0.0])
    rows = 40000
    draws = ag.multinomial(np.tile(p, (rows, 1)), 3).data
    assert draws.shape == (rows, 3)
    assert all(len(set(row)) == 3 for row in draws[:2000])
    assert not (draws == 4).any()
    assert chi_square(np.bincount(draws[:, 0], minlength=5), p) < CHI2_999[3]
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(5) if i != j)
                       for j in range(5)])
    assert chi_square(np.bincount(draws[:, 1], minlength=5), second) < CHI2_999[3]


def test_multinomial_takes_every_category_when_asked_for_all():
    draws = ag.multinomial(ag.tensor([0.2, 0.3, 0.5]), 3).data
    assert sorted(draws.tolist()) == [0, 1, 2]


def test_multinomial_matches_torch_shapes_and_dtype():
    torch = pytest.importorskip("torch")
    probs = np.array([[0.2, 0.8], [0.5, 0.5]])
    ours = ag.multinomial(probs, 4, replacement=True)
    theirs = torch.multinomial(torch.tensor(probs), 4, replacement=True)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.int64
    assert theirs.dtype == torch.int64


# ------------------------------------------------------------------ one seed


def draw_everything():
    """One value from every random source: factories, nn.init, Dropout, in-place fills."""
    layer = nn.Linear(4, 3)
    return [ag.randn(3).data, ag.rand(2).data, ag.randint(0, 100, (4,)).data,
            ag.multinomial(ag.tensor([0.3, 0.3, 0.4]), 2).data,
            ag.multinomial(ag.tensor([0.3, 0.7]), 5, replacement=True).data,
            ag.randn_like(ag.zeros(2)).data, layer.weight.data.copy(), layer.bias.data.copy(),
            nn.Dropout(0.5)(ag.ones(8)).data, ag.zeros(3).uniform_().data,
            ag.zeros(3).normal_().data]


def test_manual_seed_makes_every_random_source_reproducible():
    ag.manual_seed(1234)
    first = draw_everything()
    ag.manual_seed(1234)
    second = draw_everything()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    ag.manual_seed(4321)
    third = draw_everything()
    assert not all(np.array_equal(a, b) for a, b in zip(first, third))


def test_manual_seed_accepts_seeds_beyond_numpys_range():
    ag.manual_seed(2**40 + 5)
    first = ag.randn(2).data
    ag.manual_seed(2**40 + 5)
    np.testing.assert_array_equal(ag.randn(2).data, first)
