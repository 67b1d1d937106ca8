"""A PyTorch training script, ported by changing its imports: an MLP on Fashion-MNIST.

Everything below the import block is PyTorch code as the tutorials write it
(``torch`` spelled ``ag``): seeding, a device, a ``Dataset`` and ``DataLoader``,
an ``nn.Module``, ``model.train()`` / ``model.eval()``, the ``zero_grad`` /
``backward`` / ``step`` loop, evaluation under ``no_grad``, ``.item()``, saving
and loading a ``state_dict``. Only the import block differs; under PyTorch it reads

    import torch as ag
    import torch.nn.functional as F
    from torch import nn, optim
    from torch.utils.data import DataLoader, TensorDataset

and tests/test_port_from_pytorch.py runs this same body under both. Two notes:
``ag.save``/``ag.load`` write an ``.npz`` file here (never pickle), and
the images come from ``nn.datasets.fashion_mnist`` in both runs (torchvision is
not needed).

    python examples/port_from_pytorch.py [--steps 300] [--save model.npz] [--plot]
"""

import argparse
import os
import sys

# Run from a checkout without installing: the repository root holds autograd/ and nn/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nn.datasets import fashion_mnist  # noqa: E402, I001  (the data: torchvision is not needed)


def plot_losses(losses, path):
    """The loss of every step and its running mean over 20 steps, as a PNG (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    window = min(20, len(losses))
    smooth = [sum(losses[max(0, i - window + 1):i + 1]) / len(losses[max(0, i - window + 1):i + 1])
              for i in range(len(losses))]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.plot(losses, color="0.75", linewidth=0.8, label="loss per step")
    axes.plot(smooth, color="tab:blue", label=f"mean of {window} steps")
    axes.set_xlabel("step")
    axes.set_ylabel("cross-entropy")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"wrote {path}")

# ---- the imports: the only lines that differ from the PyTorch script ----
import autograd as ag  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from nn import optim  # noqa: E402
from nn.data import DataLoader, TensorDataset  # noqa: E402

# ---- end of the imports ----


class Net(nn.Module):
    """28x28 image -> 128 hidden units (ReLU, dropout) -> 10 class logits."""

    def __init__(self, hidden=128):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, hidden)
        self.fc2 = nn.Linear(hidden, 10)
        self.dropout = nn.Dropout(0.2)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


def evaluate(model, loader, device):
    """Fraction of correctly classified samples."""
    model.eval()
    correct = 0
    with ag.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            _, predicted = model(images).max(dim=1)
            correct += (predicted == labels).sum().item()
    return correct / len(loader.dataset)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train an MLP on Fashion-MNIST with PyTorch's "
                                                 "idioms, ported by changing the imports.")
    parser.add_argument("--steps", type=int, default=300, help="SGD steps, default 300")
    parser.add_argument("--batch-size", type=int, default=64, help="default 64")
    parser.add_argument("--lr", type=float, default=0.05, help="SGD learning rate, default 0.05")
    parser.add_argument("--train-size", type=int, default=60000, help="training images used")
    parser.add_argument("--test-size", type=int, default=10000, help="test images used")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and dropout")
    parser.add_argument("--save", default=None, help="save the state_dict there and reload it")
    parser.add_argument("--plot", action="store_true",
                        help="write the training loss curve to port_from_pytorch_loss.png")
    args = parser.parse_args(argv)

    ag.manual_seed(args.seed)
    device = "cuda" if ag.cuda.is_available() else "cpu"

    (x_train, y_train), (x_test, y_test) = fashion_mnist()
    train_set = TensorDataset(ag.tensor(x_train[:args.train_size], dtype=ag.float32) / 255,
                              ag.tensor(y_train[:args.train_size]))
    test_set = TensorDataset(ag.tensor(x_test[:args.test_size], dtype=ag.float32) / 255,
                             ag.tensor(y_test[:args.test_size]))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)

    model = Net().to(device)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    print(model)

    losses = []
    while len(losses) < args.steps:
        model.train()
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if len(losses) % 100 == 0:
                print(f"step {len(losses):4d}  loss {sum(losses[-100:]) / 100:.3f}")
            if len(losses) == args.steps:
                break

    accuracy = evaluate(model, test_loader, device)
    window = min(20, len(losses))
    first, last = sum(losses[:window]) / window, sum(losses[-window:]) / window
    print(f"loss {first:.3f} -> {last:.3f} (mean of the first and last {window} steps), "
          f"test accuracy {accuracy:.3f}")

    if args.plot:
        plot_losses(losses, "port_from_pytorch_loss.png")

    if args.save:
        ag.save(model.state_dict(), args.save)
        restored = Net().to(device)
        restored.load_state_dict(ag.load(args.save))
        print(f"saved to {args.save}; the reloaded model scores "
              f"{evaluate(restored, test_loader, device):.3f}")


if __name__ == "__main__":
    main()
