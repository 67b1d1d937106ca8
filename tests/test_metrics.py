import numpy as np
import pytest

import autograd as ag
from nn.metrics import accuracy, confusion_matrix

LOGITS = np.array(
    [
        [2.0, 0.1, -1.0],  # predicts 0
        [0.0, 3.0, 1.0],  # predicts 1
        [0.5, 0.2, 0.9],  # predicts 2
        [4.0, 1.0, 0.0],  # predicts 0
        [0.0, 0.0, 5.0],  # predicts 2
    ]
)
TARGET = np.array([0, 2, 2, 1, 2])  # right: samples 0, 2, 4


@pytest.mark.parametrize(
    "pred, target, expected",
    [
        (LOGITS, TARGET, 3 / 5),
        (ag.Tensor(LOGITS), ag.Tensor(TARGET), 3 / 5),
        (np.array([0, 1, 2, 0, 2]), TARGET, 3 / 5),
        ([1, 1, 0, 0], [1, 0, 0, 1], 2 / 4),
        (LOGITS, np.eye(3)[TARGET], 3 / 5),  # one-hot targets
        ([[0.1, 2.0], [3.0, 0.0]], [1, 1], 1 / 2),
        ([7], [7], 1.0),
    ],
)
def test_accuracy_against_hand_counts(pred, target, expected):
    assert accuracy(pred, target) == pytest.approx(expected)


def test_confusion_matrix_against_hand_counts():
    # (target, predicted) pairs: (0,0) (2,1) (2,2) (1,0) (2,2)
    expected = np.array(
        [
            [1, 0, 0],
            [1, 0, 0],
            [0, 1, 2],
        ]
    )
    result = confusion_matrix(LOGITS, TARGET, num_classes=3)
    np.testing.assert_array_equal(result, expected)
    assert result.dtype == np.int64


def test_confusion_matrix_matches_nested_loop_reference():
    rng = np.random.default_rng(1)
    pred = rng.integers(0, 4, size=200)
    target = rng.integers(0, 4, size=200)
    reference = np.zeros((4, 4), dtype=np.int64)
    for true_class, predicted in zip(target, pred):
        reference[true_class, predicted] += 1
    np.testing.assert_array_equal(confusion_matrix(ag.Tensor(pred), target, 4), reference)
    assert np.trace(reference) / 200 == pytest.approx(accuracy(pred, target))


def test_confusion_matrix_includes_classes_that_never_occur():
    result = confusion_matrix([0, 0], [0, 0], num_classes=3)
    np.testing.assert_array_equal(result, [[2, 0, 0], [0, 0, 0], [0, 0, 0]])


@pytest.mark.parametrize("function", [accuracy, lambda p, t: confusion_matrix(p, t, 3)])
@pytest.mark.parametrize(
    "pred, target, message",
    [
        (LOGITS, TARGET[:4], r"different numbers of samples \(5 vs 4\)"),
        (np.zeros((2, 3, 4)), [0, 1], r"pred must be labels .* got shape \(2, 3, 4\)"),
        ([0, 1], np.zeros((2, 1, 1)), r"target must be labels"),
        ([], [], "no samples"),
    ],
)
def test_bad_shapes_are_rejected(function, pred, target, message):
    with pytest.raises(ValueError, match=message):
        function(pred, target)


@pytest.mark.parametrize(
    "pred, target, message",
    [
        ([0, 3], [0, 1], "pred label 3 is outside 0..2"),
        ([0, 1], [-1, 1], "target label -1 is outside 0..2"),
        ([0.0, 1.0], [0, 1], "pred labels must be integers"),
    ],
)
def test_confusion_matrix_rejects_bad_labels(pred, target, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(pred, target, 3)
