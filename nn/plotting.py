"""``nn.plot_history(history)``: the loss and accuracy curves of ``nn.fit``, with matplotlib.

matplotlib is imported when a plot is made, so ``import nn`` does not need it.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["plot_history"]

CURVES = (("loss", "train_loss", "val_loss"), ("accuracy (%)", "train_acc", "val_acc"))


def plot_history(history: dict, path: str | os.PathLike | None = None, title: str = "") -> Any:
    """Draw the per-epoch curves of an ``nn.fit`` history and return the matplotlib Figure.

    >>> history = nn.fit(model, loss_fn, optimizer, train_loader, 10, val_loader=test_loader)
    >>> nn.plot_history(history, "curves.png")        # or display the Figure in Jupyter

    Left: ``train_loss`` and ``val_loss``; right: ``train_acc`` and ``val_acc`` in
    percent (the panel is left out when no accuracy was computed). Epochs whose
    value is None are skipped. With ``path``, the figure is also saved there
    (the format follows the extension).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_history needs matplotlib: pip install matplotlib") from None
    panels = [(ylabel, keys) for ylabel, *keys in CURVES
              if any(value is not None for key in keys for value in history.get(key, []))]
    if not panels:
        raise ValueError("plot_history: the history holds no loss or accuracy values "
                         f"(keys: {sorted(history)})")
    figure = Figure(figsize=(5.5 * len(panels), 4), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for axis, (ylabel, keys) in zip(axes, panels):
        for key in keys:
            points = [(epoch, value) for epoch, value in enumerate(history.get(key, []), start=1)
                      if value is not None]
            if points:
                epochs, values = zip(*points)
                scale = 100 if key.endswith("acc") else 1
                axis.plot(epochs, [scale * v for v in values], "o-", markersize=3,
                          label=key.split("_")[0].replace("val", "validation"))
        axis.set(xlabel="epoch", ylabel=ylabel, title=f"{title}: {ylabel}" if title else ylabel)
        axis.grid(alpha=0.3)
        axis.legend()
    if path is not None:
        figure.savefig(path, dpi=100)
    return figure
