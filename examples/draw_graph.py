"""Draw the computation graph of a small MLP's loss, plain and as a gradient heat map.

    python examples/draw_graph.py                  # writes docs/graph.svg, docs/graph_grad.svg
    python examples/draw_graph.py --out-dir /tmp --format png

graph.svg shows every tensor (shape, dtype, |grad| of the parameters after
backward) and every op; graph_grad.svg colours each tensor by the norm of the
loss's gradient with respect to it, on a log scale, so layers whose gradients
vanish (dark) or explode (bright) stand out. Needs Graphviz's `dot` program.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # run from a checkout without installing the package

import autograd as ag  # noqa: E402

DOCS = REPO_ROOT / "docs"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DOCS,
                        help="directory for graph.<fmt> and graph_grad.<fmt> (default: docs/)")
    parser.add_argument("--format", default="svg", choices=["svg", "png", "pdf"],
                        help="output format (default: svg)")
    parser.add_argument("--rankdir", default="TB", choices=["TB", "LR"],
                        help="layout direction: top to bottom (default; reads well in a README) "
                        "or left to right")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    return parser.parse_args()


def linear(fan_in: int, fan_out: int, rng: np.random.Generator) -> tuple:
    """Weight (fan_in, fan_out) and bias (fan_out,), PyTorch's uniform(-1/sqrt(fan_in), ...)."""
    bound = 1.0 / np.sqrt(fan_in)
    weight = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)
    bias = rng.uniform(-bound, bound, fan_out).astype(np.float32)
    return ag.tensor(weight, requires_grad=True), ag.tensor(bias, requires_grad=True)


def main() -> None:
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    sizes = [3, 8, 8, 1]
    params = {}
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        params[f"{2 * index}.weight"], params[f"{2 * index}.bias"] = linear(fan_in, fan_out, rng)

    x = ag.tensor(rng.normal(size=(4, 3)).astype(np.float32))
    target = ag.tensor(rng.normal(size=(4, 1)).astype(np.float32))
    x.name, target.name = "x", "target"  # any tensor's .name shows up in the drawing
    hidden = x
    for index in range(len(sizes) - 1):
        hidden = hidden @ params[f"{2 * index}.weight"] + params[f"{2 * index}.bias"]
        if index < len(sizes) - 2:
            hidden = hidden.tanh()
    loss = ((hidden - target) ** 2).mean()
    # retain_graph keeps the graph alive, so the heat map can show intermediates' gradients too.
    loss.backward(retain_graph=True)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    drawings = {
        "graph": ag.draw_graph(loss, params=params, rankdir=args.rankdir),
        "graph_grad": ag.draw_graph(loss, params=params, rankdir=args.rankdir,
                                    color_by="grad_norm"),
    }
    for name, drawing in drawings.items():
        path = drawing.render(args.out_dir / name, format=args.format, cleanup=True)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
