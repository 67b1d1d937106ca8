import os
import sys

import numpy as np
import pytest

import autograd as ag
import nn
from nn.data import DataLoader, TensorDataset
from nn.datasets import FASHION_MNIST_ROOT


def blobs(count=90, seed=0):
    """Three well separated Gaussian blobs in 2-D: float32 points, int64 labels."""
    rng = np.random.default_rng(seed)
    centers = np.array([[3.0, 0.0], [-3.0, 0.0], [0.0, 4.0]])
    labels = np.arange(count) % 3
    points = centers[labels] + rng.normal(scale=0.7, size=(count, 2))
    return points.astype(np.float32), labels.astype(np.int64)


def loaders(batch_size=16, seed=0):
    x, y = blobs()
    train = DataLoader(TensorDataset(x[:60], y[:60]), batch_size, shuffle=True, seed=seed)
    val = DataLoader(TensorDataset(x[60:], y[60:]), batch_size=7)
    return train, val


def cross_entropy_reference(logits, labels):
    """mean_i [log sum_j exp(z_ij) - z_i,y_i], written out with NumPy."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_norm - shifted[np.arange(len(labels)), labels]))


def linear_logits(model, x):
    return x @ model.weight.data.T + model.bias.data


def quiet_fit(*args, **kwargs):
    return nn.fit(*args, progress=False, verbose=False, **kwargs)


class ModeRecorder(nn.Module):
    """A linear classifier that records (training, grad enabled) at every call."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 3)
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, ag.is_grad_enabled()))
        return self.linear(x)


class HalvingScheduler:
    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.steps = 0

    def step(self):
        self.steps += 1
        self.optimizer.param_groups[0]["lr"] /= 2


# ---- fit -------------------------------------------------------------------


def test_fit_learns_separable_blobs_and_history_has_one_entry_per_epoch():
    train, val = loaders()
    model = nn.Linear(2, 3)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    history = quiet_fit(model, nn.CrossEntropyLoss(), optimizer, train, 6, val_loader=val)
    assert set(history) == {"train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"}
    assert all(len(values) == 6 for values in history.values())
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_acc"][-1] >= 0.95
    assert history["lr"] == [0.1] * 6
    assert all(seconds > 0 for seconds in history["seconds"])


def test_epoch_loss_and_accuracy_are_sample_weighted_means():
    # lr=0 keeps the weights fixed, so the epoch's running loss over batches of
    # 16, 16, 16, 12 samples must equal the loss over all 60 samples at once.
    train, val = loaders(batch_size=16)
    model = nn.Linear(2, 3)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.0)
    history = quiet_fit(model, nn.CrossEntropyLoss(), optimizer, train, 2, val_loader=val)
    x, y = blobs()
    for split, (inputs, labels) in {"train": (x[:60], y[:60]), "val": (x[60:], y[60:])}.items():
        logits = linear_logits(model, inputs)
        expected_loss = cross_entropy_reference(logits, labels)
        expected_acc = np.mean(logits.argmax(axis=1) == labels)
        assert history[f"{split}_loss"] == pytest.approx([expected_loss] * 2, rel=1e-5)
        assert history[f"{split}_acc"] == pytest.approx([expected_acc] * 2)


def test_fit_without_validation_or_class_scores_records_none():
    x = np.linspace(-1, 1, 32, dtype=np.float32).reshape(-1, 1)
    loader = DataLoader(TensorDataset(x, 3 * x + 1), batch_size=8)
    model = nn.Linear(1, 1)
    history = quiet_fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1), loader, 3)
    assert history["train_acc"] == [None] * 3
    assert history["val_loss"] == [None] * 3 and history["val_acc"] == [None] * 3
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_scheduler_steps_once_per_epoch_and_lr_is_the_one_used():
    train, _ = loaders()
    model = nn.Linear(2, 3)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.4)
    scheduler = HalvingScheduler(optimizer)
    history = quiet_fit(model, nn.CrossEntropyLoss(), optimizer, train, 3, scheduler=scheduler)
    assert scheduler.steps == 3
    assert history["lr"] == [0.4, 0.2, 0.1]


def test_fit_trains_in_train_mode_and_validates_in_eval_mode_without_graph():
    train, val = loaders(batch_size=30)  # 2 training batches, 5 validation batches
    model = ModeRecorder().eval()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    quiet_fit(model, nn.CrossEntropyLoss(), optimizer, train, 2, val_loader=val)
    epoch = [(True, True)] * 2 + [(False, False)] * 5
    assert model.calls == epoch * 2
    assert model.training  # fit leaves the model in training mode


def test_non_finite_loss_stops_training():
    train, _ = loaders()
    model = nn.Linear(2, 3)

    def nan_loss(output, target):
        return output.sum() * float("nan")

    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FloatingPointError, match="nan at epoch 1, batch 1"):
        quiet_fit(model, nan_loss, optimizer, train, 1)


@pytest.mark.parametrize("epochs", [0, -1, 2.0, True])
def test_fit_rejects_bad_epochs(epochs):
    train, _ = loaders()
    model = nn.Linear(2, 3)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        quiet_fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs)


def test_fit_rejects_batches_that_are_not_pairs():
    x, y = blobs(12)
    loader = DataLoader(TensorDataset(x, y, y), batch_size=4)
    model = nn.Linear(2, 3)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="pair .inputs, targets., got tuple of length 3"):
        quiet_fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1)


# ---- output ----------------------------------------------------------------


def fit_printing(capsys, epochs=2, **kwargs):
    train, val = loaders()
    model = nn.Linear(2, 3)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    nn.fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs, val_loader=val, **kwargs)
    return capsys.readouterr()


def test_progress_false_prints_one_line_per_epoch(capsys):
    output = fit_printing(capsys, epochs=3, progress=False)
    lines = output.out.strip().splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith(f"epoch {epoch}/3")
        for field in ("loss", "acc", "val_loss", "val_acc", "lr 0.1"):
            assert field in line
    assert output.err == ""


def test_verbose_false_prints_nothing(capsys):
    output = fit_printing(capsys, progress=True, verbose=False)
    assert output.out == "" and output.err == ""


def test_progress_bar_uses_tqdm_on_stderr(capsys):
    pytest.importorskip("tqdm")
    output = fit_printing(capsys, progress=True)
    assert "epoch 1/2" in output.err and "epoch 2/2" in output.err
    assert "val_acc" in output.err
    assert output.out == ""


def test_progress_without_tqdm_falls_back_to_lines(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # makes the import fail
    output = fit_printing(capsys, progress=True)
    assert len(output.out.strip().splitlines()) == 2
    assert output.err == ""


# ---- evaluate and predict --------------------------------------------------


@pytest.mark.parametrize("start_in_training", [True, False])
def test_evaluate_uses_eval_mode_and_restores_the_previous_mode(start_in_training):
    _, val = loaders()
    model = ModeRecorder().train(start_in_training)
    nn.evaluate(model, val, nn.CrossEntropyLoss())
    assert model.calls == [(False, False)] * len(val)
    assert model.training is start_in_training


def test_evaluate_returns_mean_loss_and_accuracy():
    _, val = loaders()
    model = nn.Linear(2, 3)
    loss, acc = nn.evaluate(model, val, nn.CrossEntropyLoss())
    x, y = blobs()
    logits = linear_logits(model, x[60:])
    assert loss == pytest.approx(cross_entropy_reference(logits, y[60:]), rel=1e-5)
    assert acc == pytest.approx(np.mean(logits.argmax(axis=1) == y[60:]))
    assert nn.evaluate(model, val) == (None, pytest.approx(acc))


def test_evaluate_restores_mode_when_the_model_fails():
    class Failing(ModeRecorder):
        def forward(self, x):
            raise RuntimeError("boom")

    _, val = loaders()
    model = Failing().train()
    with pytest.raises(RuntimeError, match="boom"):
        nn.evaluate(model, val)
    assert model.training


@pytest.mark.parametrize("count, batch_size", [(10, 3), (10, 256), (1, 1), (12, 4)])
def test_predict_matches_the_model_on_all_inputs(count, batch_size):
    x, _ = blobs(count)
    model = ModeRecorder().train()
    result = nn.predict(model, ag.Tensor(x), batch_size=batch_size)
    assert isinstance(result, np.ndarray) and result.shape == (count, 3)
    np.testing.assert_allclose(result, linear_logits(model.linear, x), rtol=1e-6, atol=1e-6)
    assert len(model.calls) == -(-count // batch_size)
    assert set(model.calls) == {(False, False)} and model.training


@pytest.mark.parametrize(
    "x, batch_size, message",
    [
        (np.zeros((4, 2)), 0, "batch_size must be >= 1, got 0"),
        (np.zeros((0, 2)), 8, r"at least one sample, got shape \(0, 2\)"),
    ],
)
def test_predict_rejects_bad_arguments(x, batch_size, message):
    with pytest.raises(ValueError, match=message):
        nn.predict(nn.Linear(2, 3), x, batch_size=batch_size)


# ---- real data -------------------------------------------------------------


@pytest.mark.skipif(not os.path.isdir(FASHION_MNIST_ROOT), reason="Fashion-MNIST not installed")
def test_mlp_learns_fashion_mnist_in_one_epoch_on_10000_images():
    (x_train, y_train), (x_test, y_test) = nn.datasets.fashion_mnist()

    def standardize(images):
        return ((images.reshape(len(images), -1) / 255.0 - 0.286) / 0.353).astype(np.float32)

    np.random.seed(0)  # layers draw their initial weights from NumPy's global generator
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    )
    train = DataLoader(
        TensorDataset(standardize(x_train[:10000]), y_train[:10000]), 16, shuffle=True, seed=0
    )
    optimizer = nn.optim.Adam(model.parameters(), lr=5e-4)
    quiet_fit(model, nn.CrossEntropyLoss(), optimizer, train, 1)
    predictions = nn.predict(model, standardize(x_test))
    assert nn.metrics.accuracy(predictions, y_test) >= 0.80
