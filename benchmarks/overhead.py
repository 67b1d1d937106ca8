"""Overhead benchmark: the cost per op of a chain of tiny elementwise ops.

A chain of 1,000 ops on shape (16,) -- multiply by w, add b, tanh, repeated --
then ``sum().backward()``: the arrays are so small that the time is the
bookkeeping of automatic differentiation. Reports microseconds per op (forward
and backward together) for the library, eager and captured (``ag.capture``: the
chain and its backward recorded once, then replayed), PyTorch when it is
installed, and a hand-written NumPy forward/backward of the same chain (the
floor: the NumPy calls alone). Example: ``python benchmarks/overhead.py --ops 1000``.
"""

from __future__ import annotations

import argparse
import sys
import time

import _harness as h
import numpy as np

SIZE = 16


def chain_inputs(dtype, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x in [-1, 1], w in [0.5, 1.5], b in [-0.1, 0.1], each of shape (16,)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, SIZE)
    w = rng.uniform(0.5, 1.5, SIZE)
    b = rng.uniform(-0.1, 0.1, SIZE)
    return x.astype(dtype), w.astype(dtype), b.astype(dtype)


def build_chain(x, w, b, n_ops: int):
    """y = tanh((... (x * w) + b ...)): ``n_ops`` ops cycling multiply, add, tanh.

    Works on any tensor type with ``*``, ``+`` and ``.tanh()`` (ours, PyTorch's).
    """
    y = x
    for i in range(n_ops):
        kind = i % 3
        if kind == 0:
            y = y * w
        elif kind == 1:
            y = y + b
        else:
            y = y.tanh()
    return y


def numpy_chain_grads(x, w, b, n_ops: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference: the chain's forward, then d sum(y) / d(x, w, b) by hand."""
    saved = []
    y = x
    for i in range(n_ops):
        kind = i % 3
        if kind == 0:
            saved.append(y)
            y = y * w
        elif kind == 1:
            y = y + b
        else:
            y = np.tanh(y)
            saved.append(y)
    grad, grad_w, grad_b = np.ones_like(y), np.zeros_like(w), np.zeros_like(b)
    for i in reversed(range(n_ops)):
        kind = i % 3
        if kind == 0:
            grad_w += grad * saved.pop()  # d(y*w)/dw = y
            grad = grad * w
        elif kind == 1:
            grad_b += grad
        else:
            out = saved.pop()
            grad = grad * (1 - out * out)  # d tanh(y)/dy = 1 - tanh(y)**2
    return grad, grad_w, grad_b


def tensor_chain_grads(module, x, w, b, n_ops: int) -> list[np.ndarray]:
    """Gradients of sum(chain) for x, w, b with ``module`` (``torch`` or ``autograd``)."""
    leaves = [module.tensor(v, requires_grad=True) for v in (x, w, b)]
    build_chain(*leaves, n_ops).sum().backward()
    return [np.asarray(leaf.grad.detach().numpy()) for leaf in leaves]


def run_numpy(n_ops: int, repeats: int) -> float:
    """Seconds for ``repeats`` forward+backward passes of the NumPy reference."""
    x, w, b = chain_inputs(np.float32)
    start = time.perf_counter()
    for _ in range(repeats):
        numpy_chain_grads(x, w, b, n_ops)
    return time.perf_counter() - start


def run_tensors(module, n_ops: int, repeats: int) -> float:
    """Seconds for ``repeats`` forward+backward passes with ``module``'s tensors."""
    x, w, b = (module.tensor(v, requires_grad=True) for v in chain_inputs(np.float32))
    start = time.perf_counter()
    for _ in range(repeats):
        x.grad = w.grad = b.grad = None
        build_chain(x, w, b, n_ops).sum().backward()
    return time.perf_counter() - start


class CapturedChain:
    """The chain and its backward as one captured step (recorded on the first two calls)."""

    def __init__(self, n_ops: int, dtype=np.float32) -> None:
        import autograd as ag

        self.leaves = [ag.tensor(v, requires_grad=True) for v in chain_inputs(dtype)]

        def step(x, w, b):
            x.grad = w.grad = b.grad = None
            build_chain(x, w, b, n_ops).sum().backward()

        self.step = ag.capture(step)
        for _ in range(2):  # record, then check the recording against eager execution
            self.step(*self.leaves)

    def run(self, repeats: int) -> float:
        """Seconds for ``repeats`` replays."""
        start = time.perf_counter()
        for _ in range(repeats):
            self.step(*self.leaves)
        return time.perf_counter() - start

    def grads(self) -> list[np.ndarray]:
        self.step(*self.leaves)
        return [leaf.grad.numpy() for leaf in self.leaves]


def check_agreement(modules: dict, n_ops: int) -> dict[str, float]:
    """Largest relative difference of each library's float64 gradients from the reference."""
    inputs = chain_inputs(np.float64)
    expected = numpy_chain_grads(*inputs, n_ops)
    differences = {}
    for name, module in modules.items():
        got = tensor_chain_grads(module, *inputs, n_ops)
        differences[name] = max(float(np.max(np.abs(g - e)) / np.max(np.abs(e)))
                                for g, e in zip(got, expected))
        if differences[name] > 1e-9:
            raise AssertionError(f"{name}: chain gradients differ from the reference "
                                 f"by {differences[name]:.3g}")
    eager = tensor_chain_grads(modules["ours"], *inputs, n_ops)
    captured = CapturedChain(n_ops, np.float64).grads()
    if not all(np.array_equal(c, e) for c, e in zip(captured, eager)):
        raise AssertionError("captured: chain gradients differ from eager execution")
    differences["captured"] = differences["ours"]
    return differences


def libraries(args: argparse.Namespace) -> dict:
    """The tensor libraries to compare: ours, and PyTorch when it can be imported."""
    import autograd

    modules = {"ours": autograd}
    torch = h.import_torch(args.no_torch)
    if torch is not None:
        modules = {"torch": torch, **modules}
    return modules


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = h.make_parser(__doc__.splitlines()[0], rounds=7)
    parser.add_argument("--ops", type=int, default=1000, help="ops in the chain")
    parser.add_argument("--repeats", type=int, default=20,
                        help="chains built and differentiated per timed measurement")
    args = parser.parse_args(argv)
    if args.quick:
        args.ops, args.repeats, args.rounds, args.warmup = 300, 2, 2, 0
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    modules = libraries(args)
    agreement = check_agreement(modules, args.ops)
    per_op = 1e6 / (args.ops * args.repeats)
    runners = {"numpy": lambda: {"us_per_op": run_numpy(args.ops, args.repeats) * per_op}}
    for name, module in modules.items():
        runners[name] = lambda m=module: {"us_per_op": run_tensors(m, args.ops, args.repeats)
                                          * per_op}
    captured = CapturedChain(args.ops)
    runners["captured"] = lambda: {"us_per_op": captured.run(args.repeats) * per_op}
    summary = h.medians(h.alternate(runners, args.rounds, args.warmup))
    cost = {name: m["us_per_op"] for name, m in summary.items()}
    rows = [[name, us, h.ratio(us, cost["numpy"]), h.ratio(us, cost.get("torch"))]
            for name, us in cost.items()]
    targets = [h.target("overhead ours/torch", h.ratio(cost["ours"], cost.get("torch")), 0.7),
               h.target("overhead captured/torch",
                        h.ratio(cost["captured"], cost.get("torch")), 0.35)]
    record = {"unit": "us/op", "ops": args.ops, "shape": [SIZE], "medians": summary,
              "agreement": agreement, "targets": targets}
    title = (f"overhead: chain of {args.ops} ops on shape ({SIZE},), forward + backward, "
             f"median of {args.rounds}")
    h.report("overhead", title, ["impl", "us/op", "vs numpy", "vs torch"], rows, record,
             quick=args.quick)
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
