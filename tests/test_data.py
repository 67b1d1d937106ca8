import numpy as np
import pytest

import autograd as ag
from nn.data import DataLoader, TensorDataset


def make_dataset(size=10):
    features = np.arange(size * 3, dtype=np.float32).reshape(size, 3)
    labels = np.arange(size, dtype=np.int64)
    return TensorDataset(features, labels)


class ListDataset:
    """A generic dataset: sample i is (features of shape (2,), int label)."""

    def __init__(self, size):
        self.size = size

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        return np.array([index, -index], dtype=np.float32), index


def epoch_labels(loader):
    return [y.numpy().tolist() for _, y in loader]


# ---- TensorDataset -------------------------------------------------------


def test_tensor_dataset_item_is_tuple_of_tensors_of_rows():
    dataset = make_dataset(4)
    x, y = dataset[2]
    assert isinstance(x, ag.Tensor) and isinstance(y, ag.Tensor)
    np.testing.assert_array_equal(x.numpy(), [6.0, 7.0, 8.0])
    assert y.item() == 2
    assert len(dataset) == 4


def test_tensor_dataset_accepts_tensors_and_keeps_dtype():
    images = np.zeros((5, 2, 2), dtype=np.uint8)
    dataset = TensorDataset(ag.Tensor(images), np.arange(5))
    assert dataset[0][0].dtype == np.uint8
    assert dataset[0][1].dtype == np.arange(5).dtype


@pytest.mark.parametrize(
    "arrays, message",
    [
        ((), "at least one array"),
        ((np.zeros((3, 2)), np.zeros(4)), r"same first dimension.*\(3, 2\).*\(4,\)"),
        ((np.float32(1.0),), "first dimension"),
    ],
)
def test_tensor_dataset_rejects_bad_arrays(arrays, message):
    with pytest.raises(ValueError, match=message):
        TensorDataset(*arrays)


# ---- DataLoader: batching ------------------------------------------------


@pytest.mark.parametrize(
    "size, batch_size, drop_last, sizes",
    [
        (10, 3, False, [3, 3, 3, 1]),
        (10, 3, True, [3, 3, 3]),
        (10, 5, False, [5, 5]),
        (10, 5, True, [5, 5]),
        (10, 20, False, [10]),
        (1, 1, False, [1]),
    ],
)
def test_batch_sizes_and_len(size, batch_size, drop_last, sizes):
    loader = DataLoader(make_dataset(size), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(sizes)
    assert [x.shape[0] for x, _ in loader] == sizes
    assert [y.shape[0] for _, y in loader] == sizes


def test_unshuffled_batches_are_in_order_and_keep_rows_together():
    loader = DataLoader(make_dataset(7), batch_size=3)
    batches = list(loader)
    assert epoch_labels(loader) == [[0, 1, 2], [3, 4, 5], [6]]
    x, y = batches[1]
    np.testing.assert_array_equal(x.numpy(), [[9, 10, 11], [12, 13, 14], [15, 16, 17]])
    assert x.dtype == np.float32 and y.dtype == np.int64


@pytest.mark.parametrize("batch_size", [1, 3, 4, 17])
def test_shuffled_epoch_visits_every_sample_once(batch_size):
    loader = DataLoader(make_dataset(17), batch_size=batch_size, shuffle=True, seed=3)
    for _ in range(3):
        seen = []
        for x, y in loader:
            # features stay aligned with their label: row i is [3i, 3i+1, 3i+2]
            np.testing.assert_array_equal(x.numpy()[:, 0], 3 * y.numpy())
            seen.extend(y.numpy().tolist())
        assert sorted(seen) == list(range(17))


def test_drop_last_drops_only_the_short_tail():
    loader = DataLoader(make_dataset(10), batch_size=4, shuffle=True, drop_last=True, seed=0)
    seen = [label for batch in epoch_labels(loader) for label in batch]
    assert len(seen) == 8 and len(set(seen)) == 8


def test_same_seed_gives_same_epochs_and_epochs_differ():
    first = DataLoader(make_dataset(50), batch_size=8, shuffle=True, seed=42)
    second = DataLoader(make_dataset(50), batch_size=8, shuffle=True, seed=42)
    epochs_first = [epoch_labels(first) for _ in range(3)]
    epochs_second = [epoch_labels(second) for _ in range(3)]
    assert epochs_first == epochs_second
    assert epochs_first[0] != epochs_first[1] != epochs_first[2]
    assert epochs_first[0] != [list(range(i, min(i + 8, 50))) for i in range(0, 50, 8)]


def test_shuffle_order_is_numpy_default_rng_permutation():
    loader = DataLoader(make_dataset(12), batch_size=12, shuffle=True, seed=7)
    rng = np.random.default_rng(7)
    for _ in range(2):
        assert epoch_labels(loader) == [rng.permutation(12).tolist()]


def test_without_a_seed_the_shuffle_follows_manual_seed_as_in_pytorch():
    def three_epochs(seed):
        ag.manual_seed(seed)
        loader = DataLoader(make_dataset(40), batch_size=40, shuffle=True)
        return [epoch_labels(loader)[0] for _ in range(3)]

    assert three_epochs(0) == three_epochs(0)
    assert three_epochs(0) != three_epochs(1)
    np.random.seed(5)  # the global state that ag.manual_seed seeds: one permutation per epoch
    expected = [np.random.permutation(40).tolist() for _ in range(3)]
    assert three_epochs(5) == expected and len(set(map(tuple, expected))) == 3


def test_pytorch_loader_without_a_generator_also_follows_its_manual_seed():
    torch = pytest.importorskip("torch")

    def order(seed):
        torch.manual_seed(seed)
        dataset = torch.utils.data.TensorDataset(torch.arange(40))
        return [batch[0].tolist() for batch in torch.utils.data.DataLoader(
            dataset, batch_size=40, shuffle=True)]

    assert order(0) == order(0) and order(0) != order(1)


def test_different_seeds_give_different_orders():
    orders = {
        tuple(epoch_labels(DataLoader(make_dataset(30), 30, shuffle=True, seed=s))[0])
        for s in range(5)
    }
    assert len(orders) == 5


# ---- DataLoader: generic datasets ----------------------------------------


def test_generic_dataset_samples_are_stacked():
    loader = DataLoader(ListDataset(5), batch_size=2)
    batches = list(loader)
    assert len(batches) == 3
    x, y = batches[1]
    np.testing.assert_array_equal(x.numpy(), [[2, -2], [3, -3]])
    assert x.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), [2, 3])
    assert y.dtype == np.int64


def test_generic_dataset_shuffles_like_tensor_dataset():
    generic = DataLoader(ListDataset(9), batch_size=4, shuffle=True, seed=5)
    tensors = DataLoader(make_dataset(9), batch_size=4, shuffle=True, seed=5)
    assert epoch_labels(generic) == epoch_labels(tensors)


def test_generic_dataset_of_floats_and_dicts():
    class Pairs:
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return {"value": index * 0.5, "image": ag.Tensor(np.full((2, 2), index))}

    (batch,) = list(DataLoader(Pairs(), batch_size=3))
    np.testing.assert_array_equal(batch["value"].numpy(), [0.0, 0.5, 1.0])
    assert batch["value"].dtype == np.float32
    assert batch["image"].shape == (3, 2, 2)


# ---- DataLoader: errors --------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1, got 0"),
        ({"batch_size": -2}, ValueError, "batch_size must be >= 1, got -2"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an int"),
        ({"batch_size": 11, "drop_last": True}, ValueError, "no batch"),
    ],
)
def test_bad_batch_size(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(make_dataset(10), **kwargs)


def test_empty_dataset_is_rejected():
    with pytest.raises(ValueError, match="empty"):
        DataLoader(TensorDataset(np.zeros((0, 3))), batch_size=4)


def test_object_without_len_is_rejected():
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(iter(range(3)))
