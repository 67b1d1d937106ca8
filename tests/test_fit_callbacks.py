"""nn.fit(callbacks=...), the 80-column progress line, and nn.plot_history."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from tests.test_training import loaders

ROOT = Path(__file__).resolve().parent.parent


def fit(epochs=5, lr=0.1, **kwargs):
    train, val = loaders()
    np.random.seed(0)
    model = nn.Linear(2, 3)
    optimizer = nn.optim.SGD(model.parameters(), lr=lr)
    kwargs.setdefault("progress", False)
    kwargs.setdefault("verbose", False)
    return nn.fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs, val_loader=val,
                  **kwargs)


def test_callbacks_see_the_history_after_every_epoch():
    seen = []
    history = fit(epochs=4, callbacks=[lambda h: seen.append(len(h["train_loss"]))])
    assert seen == [1, 2, 3, 4] and len(history["train_loss"]) == 4


def test_a_callback_returning_true_stops_after_that_epoch():
    calls = []

    def stop_at_three(history):
        calls.append("stop")
        return len(history["val_loss"]) == 3

    def watch(history):
        calls.append("watch")

    history = fit(epochs=10, callbacks=[stop_at_three, watch])
    assert len(history["val_loss"]) == 3
    assert calls == ["stop", "watch"] * 3  # every callback still sees the last epoch


def test_early_stopping_as_in_the_docstring():
    def early_stopping(history, patience=3):
        best = history["val_loss"].index(min(history["val_loss"]))
        return len(history["val_loss"]) - 1 - best >= patience

    # lr=0: the validation loss never improves after epoch 1, so training stops at epoch 4.
    history = fit(epochs=20, lr=0.0, callbacks=early_stopping)
    assert len(history["val_loss"]) == 4
    assert len(set(history["val_loss"])) == 1


def test_truthy_but_not_true_does_not_stop():
    history = fit(epochs=3, callbacks=[lambda h: 1])
    assert len(history["train_loss"]) == 3


def test_callbacks_must_be_callable():
    with pytest.raises(TypeError, match="fit: callbacks must be callables"):
        fit(callbacks=[3])


@pytest.mark.parametrize("columns", ["80", "200"])
def test_progress_lines_fit_80_columns_and_keep_every_score(capsys, monkeypatch, columns):
    pytest.importorskip("tqdm")
    monkeypatch.setenv("COLUMNS", columns)
    history = fit(epochs=10, progress=True, verbose=True)
    err = capsys.readouterr().err
    lines = [line.rstrip() for line in err.replace("\r", "\n").splitlines() if line.strip()]
    assert max(len(line) for line in lines) <= 80
    last = lines[-1]
    assert last.startswith("epoch 10/10, ")
    for key in ("train_loss", "val_loss"):
        assert f"{key.replace('train_', '')} {history[key][-1]:.3g}" in last
    for key in ("train_acc", "val_acc"):
        assert f"{key.replace('train_', '')} {100 * history[key][-1]:.1f}%" in last


def test_plot_history_draws_the_curves_it_was_given(tmp_path):
    pytest.importorskip("matplotlib")
    history = {"train_loss": [1.0, 0.5, 0.25], "val_loss": [1.2, None, 0.4],
               "train_acc": [0.5, 0.75, 0.875], "val_acc": [0.4, None, 0.8]}
    figure = nn.plot_history(history, tmp_path / "curves.png", title="demo")
    loss_axis, acc_axis = figure.axes
    lines = {(axis.get_ylabel(), line.get_label()): (list(line.get_xdata()),
                                                     list(line.get_ydata()))
             for axis in (loss_axis, acc_axis) for line in axis.get_lines()}
    assert lines == {
        ("loss", "train"): ([1, 2, 3], [1.0, 0.5, 0.25]),
        ("loss", "validation"): ([1, 3], [1.2, 0.4]),  # the None epoch is skipped
        ("accuracy (%)", "train"): ([1, 2, 3], [50.0, 75.0, 87.5]),
        ("accuracy (%)", "validation"): ([1, 3], [40.0, 80.0]),
    }
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_history_leaves_out_accuracy_when_there_is_none():
    pytest.importorskip("matplotlib")
    figure = nn.plot_history({"train_loss": [3.0, 2.0], "train_acc": [None, None]})
    assert [axis.get_ylabel() for axis in figure.axes] == ["loss"]


def test_plot_history_of_an_empty_history_raises():
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="plot_history: the history holds no loss"):
        nn.plot_history({"lr": [0.1]})


def test_import_nn_does_not_import_matplotlib_or_graphviz():
    code = "import sys, nn; print('matplotlib' in sys.modules, 'graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
