"""The training loop: ``fit``, ``evaluate`` and ``predict``.

::

    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader,
                     epochs=5, val_loader=test_loader)
    loss, acc = nn.evaluate(model, test_loader, nn.CrossEntropyLoss())
    logits = nn.predict(model, x_test)                  # ndarray (N, C)

Batches are pairs ``(inputs, targets)`` as a ``DataLoader`` over a
``TensorDataset(x, y)`` yields them. Losses are averaged over samples, so the
loss function must use ``reduction="mean"`` (the default). Accuracy is
computed when the model outputs (N, C) class scores and the targets are
integer labels (N,).
"""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from collections.abc import Iterator
from typing import Any, Callable

import numpy as np

import autograd as ag
from autograd import Tensor
from nn.parallel import comm

__all__ = ["fit", "evaluate", "predict"]

HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")


class _Running:
    """Sample-weighted running mean of the loss and count of correct predictions."""

    def __init__(self) -> None:
        self.loss_sum = 0.0
        self.losses = 0  # samples for which a loss was given
        self.correct = 0
        self.scored = 0  # samples for which accuracy was computable

    def add(self, loss: float | None, output: Tensor, target: Tensor) -> None:
        count = output.shape[0]
        if loss is not None:
            self.loss_sum += loss * count
            self.losses += count
        correct = _correct(output, target)
        if correct is not None:
            self.correct += correct
            self.scored += count

    def over_all_processes(self) -> _Running:
        """The sums of every process's running values (under nn.parallel; collective)."""
        total = _Running()
        sums = comm.sum_over_processes([self.loss_sum, self.losses, self.correct, self.scored])
        total.loss_sum = sums[0]
        total.losses, total.correct, total.scored = (int(value) for value in sums[1:])
        return total

    @property
    def loss(self) -> float | None:
        return self.loss_sum / self.losses if self.losses else None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.scored if self.scored else None


def _correct(output: Tensor, target: Tensor) -> int | None:
    """Number of right predictions, or None when the task is not classification."""
    scores = output.data
    labels = target.data if isinstance(target, Tensor) else np.asarray(target)
    classification = (
        scores.ndim == 2
        and scores.shape[1] >= 2
        and labels.shape == scores.shape[:1]
        and np.issubdtype(labels.dtype, np.integer)
    )
    if not classification:
        return None
    return int(np.count_nonzero(scores.argmax(axis=1) == labels))


def _pairs(loader: Any, function: str) -> Iterator[tuple[Any, Any]]:
    for batch in loader:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise ValueError(
                f"{function}: each batch must be a pair (inputs, targets), got "
                f"{type(batch).__name__}"
                + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
            )
        yield batch[0], batch[1]


@contextlib.contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    """Eval mode and no graph inside; the model's previous mode is restored after."""
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with ag.no_grad():
            yield
    finally:
        if was_training:
            model.train()


def evaluate(
    model: Any, loader: Any, loss_fn: Callable[[Tensor, Any], Tensor] | None = None
) -> tuple[float | None, float | None]:
    """Mean loss and accuracy of ``model`` over every batch of ``loader``.

    Runs in eval mode (dropout off, batch-norm running statistics) without
    recording a graph, then restores the model's previous mode. Returns
    ``(loss, accuracy)``; ``loss`` is None without ``loss_fn`` and
    ``accuracy`` is None unless outputs are (N, C) scores with integer labels.
    Under ``nn.parallel`` with several processes, both are over the batches of all
    processes (call it on every process, each with its own shard of the data).
    """
    running = _Running()
    with _eval_mode(model):
        for inputs, targets in _pairs(loader, "evaluate"):
            output = model(inputs)
            loss = float(loss_fn(output, targets).item()) if loss_fn is not None else None
            running.add(loss, output, targets)
    running = running.over_all_processes()
    return running.loss, running.accuracy


def predict(model: Any, x: Any, batch_size: int = 256) -> np.ndarray:
    """Model outputs for inputs ``x`` (array or Tensor, samples along axis 0).

    Runs ``model`` on batches of ``batch_size`` samples in eval mode without
    a graph (restoring the previous mode after) and returns the outputs
    concatenated along axis 0 as an ndarray, e.g. (N, C) logits.
    """
    if batch_size < 1:
        raise ValueError(f"predict: batch_size must be >= 1, got {batch_size}")
    inputs = x.data if isinstance(x, Tensor) else np.asarray(x)
    if inputs.ndim == 0 or inputs.shape[0] == 0:
        raise ValueError(f"predict: x must hold at least one sample, got shape {inputs.shape}")
    outputs = []
    with _eval_mode(model):
        for start in range(0, inputs.shape[0], batch_size):
            outputs.append(model(Tensor(inputs[start : start + batch_size])).data)
    return np.concatenate(outputs, axis=0)


def _format(values: dict[str, float | None]) -> str:
    """``loss 0.512  acc 81.2%``: 3 significant digits, accuracies in percent, so that a
    whole epoch line fits 80 columns."""
    return "  ".join(
        f"{key} {100 * value:.1f}%" if key.endswith("acc") else f"{key} {value:.3g}"
        for key, value in values.items() if value is not None
    )


def _captured_step(model: Any, loss_fn: Callable, optimizer: Any) -> Callable:
    """One training step as a function of the batch, recorded once and replayed."""

    def step(inputs: Any, targets: Any) -> tuple[Tensor, Tensor]:
        output = model(inputs)
        loss = loss_fn(output, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss, output

    return ag.capture(step)


def _train_epoch(
    model: Any, loss_fn: Callable, optimizer: Any, loader: Any, bar: Any, epoch: int,
    captured: Callable | None = None,
) -> _Running:
    model.train()
    running = _Running()
    for step, (inputs, targets) in enumerate(_pairs(loader, "fit")):
        if captured is not None:
            loss, output = captured(inputs, targets)  # the loss is read after the update
        else:
            output = model(inputs)
            loss = loss_fn(output, targets)
        value = float(loss.item())
        if not math.isfinite(value):
            raise FloatingPointError(
                f"fit: the loss became {value} at epoch {epoch}, batch {step + 1}; "
                f"try a smaller learning rate"
            )
        if captured is None:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        running.add(value, output, targets)
        if bar is not None:
            bar.set_postfix_str(_format({"loss": running.loss, "acc": running.accuracy}), False)
            bar.update()
    return running


# tqdm writes the postfix (the running scores) as ", loss 0.512  acc 81.2%".
BAR_FORMAT = "{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]"
DONE_FORMAT = "{desc}{postfix}  [{elapsed}]"  # the epoch's last line: scores, no bar


def _progress_bar(enabled: bool, total: int, description: str) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    columns = min(80, shutil.get_terminal_size((80, 24)).columns)
    return tqdm(total=total, desc=description, unit="batch", leave=True, ncols=columns,
                bar_format=BAR_FORMAT)


def fit(
    model: Any,
    loss_fn: Callable[[Tensor, Any], Tensor],
    optimizer: Any,
    train_loader: Any,
    epochs: int,
    val_loader: Any = None,
    scheduler: Any = None,
    progress: bool = True,
    verbose: bool = True,
    callbacks: Any = None,
    capture: bool = False,
) -> dict[str, list]:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Each step: ``loss = loss_fn(model(x), y)``, ``optimizer.zero_grad()``,
    ``loss.backward()``, ``optimizer.step()``. After each epoch the model is
    evaluated on ``val_loader`` (if given) and ``scheduler.step()`` is called
    (if given). With ``progress=True`` and tqdm installed, a progress bar per
    epoch shows the running loss and accuracy; otherwise (or with
    ``progress=False``) one line per epoch is printed. ``verbose=False``
    prints nothing. A non-finite loss stops training with FloatingPointError.

    ``callbacks``: callables (or one) called as ``callback(history)`` after each
    epoch, with the history so far; if one returns True, training stops after
    that epoch. Early stopping, for example::

        def early_stopping(history, patience=3):
            best = history["val_loss"].index(min(history["val_loss"]))
            return len(history["val_loss"]) - 1 - best >= patience

    ``capture=True`` records the training step (forward, backward, update) once per
    batch shape with ``ag.capture`` and replays it: the same results, faster. The
    loss is then checked after the step, so a non-finite loss stops training one
    update later than without capture.

    Returns the history: a dict of per-epoch lists ``train_loss``,
    ``train_acc``, ``val_loss``, ``val_acc``, ``lr`` (of the first parameter
    group, as used during the epoch) and ``seconds`` (wall time of the
    epoch, validation included). Entries that were not computed (no
    ``val_loader``, or a task without class scores) are None.

    Under ``nn.parallel`` with several processes: call it on every process; the
    history holds the loss and accuracy over all processes' batches, only rank 0
    prints, and a ``train_loader`` sampler with ``set_epoch`` (``DistributedSampler``)
    is told the epoch (0, 1, ...) before each pass.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
    callbacks = _callbacks(callbacks)
    captured = _captured_step(model, loss_fn, optimizer) if capture else None
    history: dict[str, list] = {key: [] for key in HISTORY_KEYS}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        description = f"epoch {epoch}/{epochs}"
        verbose_here = verbose and comm.is_main_process()
        sampler = getattr(train_loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch - 1)
        bar = _progress_bar(progress and verbose_here, len(train_loader), description)
        try:
            running = _train_epoch(model, loss_fn, optimizer, train_loader, bar, epoch,
                                   captured)
            running = running.over_all_processes()
            val_loss, val_acc = (
                evaluate(model, val_loader, loss_fn) if val_loader is not None else (None, None)
            )
            if scheduler is not None:
                scheduler.step()
            seconds = time.perf_counter() - start
            scores = {"loss": running.loss, "acc": running.accuracy}
            summary = _format({**scores, "val_loss": val_loss, "val_acc": val_acc})
            if bar is not None:
                bar.bar_format = DONE_FORMAT
                bar.set_postfix_str(summary)
            elif verbose_here:
                print(f"{description}  {summary}  lr {lr:.3g}  {seconds:.1f}s")
        finally:
            if bar is not None:
                bar.close()
        for key, value in zip(
            HISTORY_KEYS, (running.loss, running.accuracy, val_loss, val_acc, lr, seconds)
        ):
            history[key].append(value)
        if any([callback(history) is True for callback in callbacks]):
            break  # every callback saw the epoch; one of them asked to stop
    return history


def _callbacks(callbacks: Any) -> list[Callable[[dict], Any]]:
    if callbacks is None:
        return []
    callbacks = [callbacks] if callable(callbacks) else list(callbacks)
    for callback in callbacks:
        if not callable(callback):
            raise TypeError(f"fit: callbacks must be callables cb(history), got "
                            f"{type(callback).__name__}")
    return callbacks
