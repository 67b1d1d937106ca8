"""Vanishing gradients: an 8-layer sigmoid network against the same network with ReLU.

Backpropagation multiplies, layer by layer, by the derivative of the activation.
The sigmoid's derivative is at most 1/4, so in a deep sigmoid network the gradient
shrinks by a factor of several at every layer on its way back: the first layers
get gradients millions of times smaller than the last and barely learn. ReLU's
derivative is 1 wherever the unit is active, and the gradient keeps its size.

Builds ``nn.MLP(16, [32] * 7, 10)`` (8 Linear layers, PyTorch's default
initialisation) with each activation, runs one batch of 64 random inputs through
a cross-entropy loss and ``backward()``, and prints the per-element RMS of each
layer's weight gradient. ``--plot`` draws both graphs coloured by gradient size
on the same fixed log scale (needs Graphviz's ``dot``):
vanishing_gradients_sigmoid.png and vanishing_gradients_relu.png.

    python examples/vanishing_gradients.py [--plot] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import os
import sys

# Run from a checkout without installing: the repository root holds autograd/ and nn/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402
import nn  # noqa: E402

ACTIVATIONS = ("sigmoid", "relu")


def deep_network(activation: str, seed: int):
    """The 8-layer MLP, its loss on one random batch (graph kept, modules recorded)."""
    ag.manual_seed(seed)
    model = nn.MLP(16, [32] * 7, 10, activation=activation)
    x = ag.randn(64, 16)
    x.name = "x"
    labels = ag.tensor(np.arange(64) % 10)
    with ag.viz.record_modules(model):  # so the drawing boxes every layer, activations too
        loss = nn.CrossEntropyLoss()(model(x), labels)
    loss.backward(retain_graph=True)  # keep the graph: the drawing shows every gradient
    return model, loss


def rms(array: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(array, dtype=np.float64))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and the batch")
    parser.add_argument("--plot", action="store_true", help="draw the two graphs as PNG")
    parser.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)),
                        help="where --plot writes the pictures")
    args = parser.parse_args()

    results = {activation: deep_network(activation, args.seed) for activation in ACTIVATIONS}
    print("per-element RMS of each layer's weight gradient, first layer first")
    print(f"{'layer':>5}  " + "  ".join(f"{a:>9}" for a in ACTIVATIONS))
    layers = {a: [m for m in model if isinstance(m, nn.Linear)] for a, (model, _) in
              results.items()}
    sizes = {a: [rms(layer.weight.grad.data) for layer in layers[a]] for a in ACTIVATIONS}
    for k in range(len(layers[ACTIVATIONS[0]])):
        print(f"{k + 1:>5}  " + "  ".join(f"{sizes[a][k]:>9.1e}" for a in ACTIVATIONS))
    for activation in ACTIVATIONS:
        decades = math.log10(sizes[activation][-1] / sizes[activation][0])
        print(f"{activation}: the last layer's gradient is {decades:.1f} decades above the first")

    if args.plot:
        for activation, (model, loss) in results.items():
            drawing = ag.draw_graph(loss, params=model, rankdir="TB", color_by="grad_norm")
            stem = os.path.join(args.out_dir, f"vanishing_gradients_{activation}")
            print(f"plot: {drawing.render(stem, format='png', cleanup=True)}")


if __name__ == "__main__":
    main()
