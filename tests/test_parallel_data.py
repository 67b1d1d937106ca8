"""DistributedSampler (PyTorch's sharding and padding) and DataLoader(sampler=)."""

from __future__ import annotations

import numpy as np
import pytest

from nn.data import DataLoader, DistributedSampler, TensorDataset

CASES = [(10, 3, False), (10, 3, True), (12, 4, False), (12, 4, True), (3, 4, False),
         (2, 5, False), (7, 2, True), (1, 1, False)]


def shards(size: int, replicas: int, **options) -> list[list[int]]:
    return [list(DistributedSampler(range(size), replicas, rank, **options))
            for rank in range(replicas)]


@pytest.mark.parametrize("size, replicas, drop_last", CASES)
def test_unshuffled_shards_are_torchs(size, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for rank, ours in enumerate(shards(size, replicas, shuffle=False, drop_last=drop_last)):
        theirs = torch_data.DistributedSampler(range(size), replicas, rank, shuffle=False,
                                               drop_last=drop_last)
        assert ours == list(theirs)
        assert len(DistributedSampler(range(size), replicas, rank, drop_last=drop_last)) == \
            len(theirs)


@pytest.mark.parametrize("size, replicas, drop_last", CASES)
def test_shuffled_shards_are_torchs_rules_applied_to_the_epochs_permutation(size, replicas,
                                                                            drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for epoch in (0, 3):
        permutation = np.random.default_rng(11 + epoch).permutation(size)
        for rank in range(replicas):
            sampler = DistributedSampler(range(size), replicas, rank, seed=11,
                                         drop_last=drop_last)
            sampler.set_epoch(epoch)
            positions = torch_data.DistributedSampler(range(size), replicas, rank,
                                                      shuffle=False, drop_last=drop_last)
            assert list(sampler) == permutation[list(positions)].tolist()


def test_without_drop_last_every_sample_is_seen_and_only_the_padding_twice():
    parts = shards(10, 4, seed=1)
    assert [len(part) for part in parts] == [3] * 4
    seen = sorted(sum(parts, []))
    assert sorted(set(seen)) == list(range(10)) and len(seen) == 12


def test_with_drop_last_shards_are_disjoint_and_equal():
    parts = shards(10, 4, seed=1, drop_last=True)
    assert [len(part) for part in parts] == [2] * 4
    assert len(set(sum(parts, []))) == 8


def test_set_epoch_changes_the_order_the_same_way_on_every_process():
    first = shards(20, 2, seed=3)
    samplers = [DistributedSampler(range(20), 2, rank, seed=3) for rank in range(2)]
    for sampler in samplers:
        sampler.set_epoch(1)
    second = [list(sampler) for sampler in samplers]
    assert first != second
    assert sorted(sum(second, [])) == list(range(20))


@pytest.mark.parametrize("replicas, rank", [(2, 2), (2, -1), (0, 0)])
def test_an_impossible_rank_is_refused(replicas, rank):
    with pytest.raises(ValueError, match="DistributedSampler: (invalid rank|num_replicas)"):
        DistributedSampler(range(4), replicas, rank)


def test_the_defaults_come_from_nn_parallel_one_process_here():
    sampler = DistributedSampler(range(5))
    assert (sampler.num_replicas, sampler.rank, len(sampler)) == (1, 0, 5)


def test_a_loader_batches_the_samplers_indices_in_its_order():
    data = TensorDataset(np.arange(10) * 10, np.arange(10))
    sampler = DistributedSampler(data, 2, 1, seed=4)
    loader = DataLoader(data, batch_size=2, sampler=sampler)
    assert len(loader) == 3
    batches = [y.data.tolist() for _, y in loader]
    assert batches == [list(sampler)[0:2], list(sampler)[2:4], list(sampler)[4:5]]
    assert [x.data.tolist() for x, _ in loader][0] == [10 * i for i in batches[0]]
    assert "sampler=DistributedSampler(num_replicas=2, rank=1" in repr(loader)


def test_a_loader_over_a_plain_index_list_and_drop_last():
    loader = DataLoader(TensorDataset(np.arange(6)), batch_size=2, drop_last=True,
                        sampler=[5, 0, 3])
    assert [batch[0].data.tolist() for batch in loader] == [[5, 0]]


@pytest.mark.parametrize("options, error, message", [
    (dict(sampler=[0, 1], shuffle=True), ValueError, "mutually exclusive with shuffle"),
    (dict(sampler=iter([0, 1])), TypeError, "sampler must have __len__ and __iter__"),
    (dict(sampler=[]), ValueError, "the sampler gives no index"),
])
def test_bad_sampler_arguments_are_refused(options, error, message):
    with pytest.raises(error, match=message):
        DataLoader(TensorDataset(np.arange(4)), batch_size=2, **options)
