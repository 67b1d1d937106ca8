"""Conv-family benchmark: one forward and backward pass of each new layer, ours vs PyTorch.

Every case builds the same layer in both libraries (PyTorch's weights copied, float32),
checks that outputs and gradients agree, then times ``out = layer(x);
out.backward(g)`` alternately, round by round, and reports the medians and the
ratio ours/PyTorch (target: at most 2), of wall time and of CPU time. Example:
``python benchmarks/conv_family.py --rounds 5 --only conv2d_depthwise,upsample_bilinear``.
"""

from __future__ import annotations

import argparse
import sys
import time

import _harness as h
import numpy as np

# (name, layer class, constructor arguments, input shape after the batch size, batch size)
CASES = [
    ("conv2d_dilated", "Conv2d", dict(in_channels=32, out_channels=32, kernel_size=3,
                                      padding=2, dilation=2), (32, 32, 32), 16),
    ("conv2d_grouped", "Conv2d", dict(in_channels=64, out_channels=64, kernel_size=3,
                                      padding=1, groups=4), (64, 16, 16), 16),
    ("conv2d_depthwise", "Conv2d", dict(in_channels=64, out_channels=64, kernel_size=3,
                                        padding=1, groups=64), (64, 32, 32), 16),
    ("conv2d_same_reflect", "Conv2d", dict(in_channels=16, out_channels=32, kernel_size=3,
                                           padding="same", padding_mode="reflect"),
     (16, 32, 32), 16),
    ("conv1d", "Conv1d", dict(in_channels=64, out_channels=64, kernel_size=5, padding=2),
     (64, 256), 16),
    ("conv_transpose2d", "ConvTranspose2d", dict(in_channels=64, out_channels=32,
                                                 kernel_size=4, stride=2, padding=1),
     (64, 16, 16), 16),
    ("max_pool2d_ceil", "MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
     (64, 32, 32), 32),
    ("max_pool1d", "MaxPool1d", dict(kernel_size=3, stride=2), (64, 256), 32),
    ("avg_pool1d", "AvgPool1d", dict(kernel_size=4, stride=2, padding=1, ceil_mode=True,
                                     count_include_pad=False), (64, 256), 32),
    ("adaptive_avg_pool2d", "AdaptiveAvgPool2d", dict(output_size=(5, 7)), (64, 16, 16), 32),
    ("upsample_nearest", "Upsample", dict(scale_factor=2), (32, 32, 32), 16),
    ("upsample_bilinear", "Upsample", dict(scale_factor=2, mode="bilinear"), (32, 32, 32), 16),
    ("group_norm", "GroupNorm", dict(num_groups=8, num_channels=64), (64, 32, 32), 16),
    ("dropout2d", "Dropout2d", dict(p=0.5), (64, 32, 32), 16),
    ("embedding_padding", "Embedding", dict(num_embeddings=10000, embedding_dim=64,
                                            padding_idx=0), (128,), 64),
    # makemore's sizes: C[X] with a (32, 3) batch of contexts, and 4096 tokens of a (27, 64) table
    ("embedding_makemore", "Embedding", dict(num_embeddings=27, embedding_dim=10), (3,), 32),
    ("embedding_tokens", "Embedding", dict(num_embeddings=27, embedding_dim=64), (), 4096),
]


class Case:
    """One layer in both libraries, its input and the gradient fed to backward."""

    def __init__(self, layer: str, arguments: dict, shape: tuple, torch, seed: int) -> None:
        import autograd as ag
        import nn

        self.ag, self.torch = ag, torch
        self.random = layer == "Dropout2d"
        rng = np.random.default_rng(seed)
        self.ours = getattr(nn, layer)(**arguments)
        if layer == "Embedding":
            self.x = rng.integers(0, arguments["num_embeddings"], shape)
        else:
            self.x = rng.standard_normal(shape).astype(np.float32)
        self.theirs = None
        if torch is not None:
            self.theirs = getattr(torch.nn, layer)(**arguments)
            self.ours.load_state_dict({k: v.detach().numpy().copy()
                                       for k, v in self.theirs.state_dict().items()})
        self.grad = rng.standard_normal(self.ours(self._input_ours()).shape).astype(np.float32)

    def _input_ours(self):
        if self.x.dtype.kind == "i":
            return self.x
        return self.ag.Tensor(self.x.copy(), requires_grad=True)

    def _input_theirs(self):
        if self.x.dtype.kind == "i":
            return self.torch.from_numpy(self.x)
        return self.torch.from_numpy(self.x.copy()).requires_grad_()

    def step_ours(self):
        """Forward and backward; the output and the gradients (input first)."""
        x = self._input_ours()
        self.ours.zero_grad()
        out = self.ours(x)
        out.backward(self.ag.Tensor(self.grad))
        grads = [] if isinstance(x, np.ndarray) else [x.grad.data]
        return out.data, grads + [p.grad.data for p in self.ours.parameters()]

    def step_theirs(self):
        x = self._input_theirs()
        self.theirs.zero_grad()
        out = self.theirs(x)
        out.backward(self.torch.from_numpy(self.grad))
        grads = [] if x.grad is None else [x.grad.numpy()]
        return out.detach().numpy(), grads + [p.grad.numpy() for p in self.theirs.parameters()]

    def agreement(self) -> float | None:
        """The largest difference of outputs and gradients, relative to each one's largest
        entry (None for dropout: the libraries draw different masks)."""
        ours, theirs = self.step_ours(), self.step_theirs()
        if self.random:
            return None
        arrays = [(ours[0], theirs[0])] + list(zip(ours[1], theirs[1]))
        return max(float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))
                   for a, b in arrays)


def timed(step, repeats: int) -> h.Measurement:
    """Wall time and this process's CPU time per pass (on a shared machine, CPU time is the
    steadier figure when both libraries run one thread: ``--threads 1``)."""
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        step()
    return {"seconds": (time.perf_counter() - start) / repeats,
            "cpu_seconds": (time.process_time() - cpu) / repeats}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = h.make_parser(__doc__.splitlines()[0], rounds=5)
    parser.add_argument("--repeats", type=int, default=3, help="passes per timed measurement")
    parser.add_argument("--only", default=None,
                        help="comma-separated cases, of " + ", ".join(c[0] for c in CASES))
    parser.add_argument("--limit", type=float, default=2.0, help="target ratio ours/torch")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.warmup, args.repeats = 1, 0, 1
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch = h.import_torch(args.no_torch)
    names = [c[0] for c in CASES] if args.only is None else args.only.split(",")
    unknown = sorted(set(names) - {c[0] for c in CASES})
    if unknown:
        raise SystemExit(f"--only: unknown {unknown}; choose from {[c[0] for c in CASES]}")
    medians: dict[str, dict] = {"ours": {}, "torch": {}} if torch else {"ours": {}}
    rows, targets, agreement = [], [], {}
    for name, layer, arguments, shape, batch in CASES:
        if name not in names:
            continue
        batch = 2 if args.quick else batch
        case = Case(layer, arguments, (batch,) + shape, torch, args.seed)
        runners = {"ours": lambda step=case.step_ours: timed(step, args.repeats)}
        if torch is not None:
            agreement[name] = case.agreement()
            if agreement[name] is not None and agreement[name] > 1e-3:
                raise AssertionError(f"{name}: ours and torch disagree by {agreement[name]:.3g}")
            runners["torch"] = lambda step=case.step_theirs: timed(step, args.repeats)
        print(f"{name}:", file=sys.stderr)
        summary = h.medians(h.alternate(runners, args.rounds, args.warmup))
        for impl, measured in summary.items():
            medians[impl][name] = measured
        ours, theirs = medians["ours"][name], medians.get("torch", {}).get(name, {})
        ratio = h.ratio(ours["seconds"], theirs.get("seconds"))
        cpu_ratio = h.ratio(ours["cpu_seconds"], theirs.get("cpu_seconds"))
        rows.append([name, f"{(batch,) + shape}", ours["seconds"] * 1e3,
                     theirs["seconds"] * 1e3 if theirs else None, ratio, cpu_ratio])
        targets.append(h.target(f"conv_family {name} ours/torch", ratio, args.limit))
    record = {"unit": "s/pass", "medians": medians, "agreement": agreement, "targets": targets,
              "machine": h.machine()}
    title = (f"conv_family: one forward+backward per layer, float32, median of {args.rounds} "
             f"rounds of {args.repeats}")
    columns = ["case", "input", "ours ms", "torch ms", "ours/torch", "cpu ours/torch"]
    h.report("conv_family", title, columns, rows, record, quick=args.quick)
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
