"""The adjoint of indexing (``scatter_add``: getitem's, embedding's and gather's backward).

Integer arrays on the leading axes are turned into flat positions (NumPy's fast
``np.add.at`` path for a 1-D index); every other advanced index goes to
``np.add.at`` as given. Expected values come from ``np.add.at`` with the index as
given (the definition: zeros with every value added at its position, repeats
accumulating): the additions happen in the same order, so the results agree to
the bit in every dtype, and float64 results to 1e-12 of a float64 reference.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.ops import index as index_ops
from autograd.ops.index import flat_positions, scatter_add

RNG = np.random.default_rng(7)


def reference(values: np.ndarray, shape: tuple, index) -> np.ndarray:
    out = np.zeros(shape, dtype=np.float64)
    np.add.at(out, index, values.astype(np.float64))
    return out


def ids(high: int, shape: tuple) -> np.ndarray:
    return RNG.integers(0, high, shape)


# (name, table shape, index, shape of the values): the index forms of the library
CASES = [
    ("makemore C[X]: (32, 3) into (27, 10)", (27, 10), ids(27, (32, 3)), (32, 3, 10)),
    ("(4096,) into (27, 64)", (27, 64), ids(27, (4096,)), (4096, 64)),
    ("embedding (64, 128) into (1000, 16)", (1000, 16), ids(1000, (64, 128)), (64, 128, 16)),
    ("negative ids", (5, 3), np.array([-1, 0, -5, 4, -1]), (5, 3)),
    ("1-D table", (6,), ids(6, (20,)), (20,)),
    ("0-d index array", (4, 3), np.array(2), (3,)),
    ("unsigned ids", (9, 2), ids(9, (12,)).astype(np.uint8), (12, 2)),
    ("x[rows, cols] (cross-entropy's pick)", (8, 5), (np.arange(8), ids(5, (8,))), (8,)),
    ("x[ids, :]", (7, 4), (ids(7, (10,)), slice(None)), (10, 4)),
    ("x[ids, ...]", (7, 2, 3), (ids(7, (10,)), Ellipsis), (10, 2, 3)),
    ("x[2, ids] (an int next to an array)", (3, 6, 2), (2, ids(6, (9,))), (9, 2)),
    ("broadcast index arrays", (4, 5, 2), (ids(4, (3, 1)), ids(5, (1, 6))), (3, 6, 2)),
    ("empty index", (4, 3), np.zeros(0, dtype=np.int64), (0, 3)),
    ("size-0 table", (0, 3), np.zeros(0, dtype=np.int64), (0, 3)),
    # np.add.at: a boolean mask, a slice before the array, a middle slice
    ("mask (np.add.at)", (4, 3), RNG.random((4, 3)) > 0.5, None),
    ("x[:, ids] (np.add.at)", (3, 6), (slice(None), ids(6, (8,))), (3, 8)),
    ("x[ids, 1:] (np.add.at)", (5, 4), (ids(5, (7,)), slice(1, None)), (7, 3)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.complex128])
@pytest.mark.parametrize("name, shape, index, values_shape", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("flat_from", [0, index_ops.FLAT_SCATTER_MIN], ids=["flat", "default"])
def test_scatter_add_is_np_add_at_to_the_bit(name, shape, index, values_shape, dtype, flat_from,
                                             monkeypatch):
    monkeypatch.setattr(index_ops, "FLAT_SCATTER_MIN", flat_from)
    if values_shape is None:  # a mask selects as many values as it has True entries
        values_shape = (int(index.sum()),) + shape[index.ndim:]
    values = (RNG.standard_normal(values_shape) * 100).astype(dtype)
    out = scatter_add(values, shape, index)
    expected = np.zeros(shape, dtype=dtype)
    np.add.at(expected, index, values)
    assert out.shape == shape and out.dtype == dtype
    np.testing.assert_array_equal(out, expected)
    if dtype == np.float64:
        np.testing.assert_allclose(out, reference(values, shape, index), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, shape, index, values_shape", CASES, ids=[c[0] for c in CASES])
def test_flat_positions_are_where_the_index_reads(name, shape, index, values_shape):
    positions = flat_positions(index, shape)
    if "np.add.at" in name or 0 in shape:
        assert positions is None
    else:  # the flat position of every element x[index] selects (negative: from the end)
        size = np.prod(shape)
        np.testing.assert_array_equal(positions % size, np.arange(size).reshape(shape)[index])


def test_repeated_ids_accumulate_exactly():
    values = np.arange(12.0).reshape(4, 3)
    out = scatter_add(values, (3, 3), np.array([2, 0, 2, 2]))
    np.testing.assert_array_equal(out, [[3, 4, 5], [0, 0, 0], [0 + 6 + 9, 1 + 7 + 10, 2 + 8 + 11]])


def test_integer_and_complex_values_accumulate_too():
    index = np.array([1, 1, 0])
    ints = scatter_add(np.array([[1, 2], [3, 4], [5, 6]]), (2, 2), index)
    np.testing.assert_array_equal(ints, [[5, 6], [4, 6]])
    assert ints.dtype == np.int64
    complex_values = np.array([1 + 1j, 2 - 1j, 3j])
    np.testing.assert_array_equal(scatter_add(complex_values, (2,), index), [3j, 3 + 0j])


def test_embedding_lookup_gradient_counts_each_id():
    table = ag.tensor(RNG.standard_normal((27, 10)), requires_grad=True)
    X = ids(27, (32, 3))
    table[X].sum().backward()
    counts = np.bincount(X.ravel(), minlength=27).astype(np.float64)
    np.testing.assert_array_equal(table.grad.data, np.repeat(counts[:, None], 10, axis=1))
