"""Draw the computation graph of a small MLP's loss, plain and as a gradient heat map.

    python examples/draw_graph.py                  # writes docs/graph.svg, docs/graph_grad.svg
    python examples/draw_graph.py --out-dir /tmp --format png --rankdir LR

graph.svg shows every tensor (shape, dtype, |grad| of the parameters after
backward) and every op; graph_grad.svg colours each tensor by the norm of the
loss's gradient with respect to it, on a log scale, so layers whose gradients
vanish (dark) or explode (bright) stand out. Needs Graphviz's `dot` program.
"""

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # run from a checkout without installing the package

import autograd as ag  # noqa: E402
import nn  # noqa: E402

DOCS = REPO_ROOT / "docs"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DOCS,
        help="directory for graph.<fmt> and graph_grad.<fmt> (default: docs/)",
    )
    parser.add_argument(
        "--format",
        default="svg",
        choices=["svg", "png", "pdf"],
        help="output format (default: svg)",
    )
    parser.add_argument(
        "--rankdir",
        default="TB",
        choices=["TB", "LR"],
        help="layout direction: top to bottom (default; reads well in a README) or left to right",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    ag.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
    x, target = ag.randn(4, 3), ag.randn(4, 1)
    x.name, target.name = "x", "target"  # any tensor's .name shows up in the drawing
    loss = nn.MSELoss()(model(x), target)
    # retain_graph keeps the graph alive, so the heat map can show intermediates' gradients too.
    loss.backward(retain_graph=True)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    drawings = {
        "graph": ag.draw_graph(loss, params=model, rankdir=args.rankdir),
        "graph_grad": ag.draw_graph(loss, params=model, rankdir=args.rankdir, color_by="grad_norm"),
    }
    for name, drawing in drawings.items():
        path = drawing.render(args.out_dir / name, format=args.format, cleanup=True)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
