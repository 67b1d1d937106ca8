"""The PyTorch twin of examples/makemore.py: the same models trained the same way.

Same architectures, sizes, initialisation distributions (PyTorch's defaults, which the
library's layers share; N(0, 1) for the MLP's table ``C``), AdamW settings, warm-up +
cosine schedule, seed, word split, batches (drawn from the same NumPy generator) and
number of steps as ``examples/makemore.py``, so the two validation losses can be compared
(they are not bitwise equal: the initial weights come from each library's own generator).
Needs PyTorch. Example::

    python benchmarks/makemore_torch.py --model transformer --threads 1

Prints the validation loss every --eval-every steps and last a JSON line with the model,
its parameter count, the steps, the final validation loss and the wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import _harness as h
import numpy as np

import nn  # the word list and its split only

# The example's per-model defaults (tests/test_makemore.py checks that both files agree).
DEFAULTS = {
    "mlp": dict(n_embd=24, n_hidden=256, steps=6000, batch_size=256, lr=1e-2),
    "rnn": dict(n_embd=32, n_hidden=128, steps=3000, batch_size=32, lr=1e-2),
    "gru": dict(n_embd=32, n_hidden=128, steps=3000, batch_size=32, lr=1e-2),
    "lstm": dict(n_embd=32, n_hidden=128, steps=3000, batch_size=32, lr=1e-2),
    "transformer": dict(n_embd=64, n_hidden=256, steps=3000, batch_size=32, lr=6e-3),
}
CONTEXT = 3


def define_models(torch):
    """The example's model classes, written with ``torch.nn``."""
    tnn, F = torch.nn, torch.nn.functional

    class MLP(tnn.Module):
        def __init__(self, vocab_size, n_embd, n_hidden, context=CONTEXT):
            super().__init__()
            self.context = context
            self.C = tnn.Parameter(torch.randn(vocab_size, n_embd))
            self.hidden = tnn.Linear(context * n_embd, n_hidden)
            self.lm_head = tnn.Linear(n_hidden, vocab_size)

        def forward(self, idx):
            emb = self.C[idx]
            return self.lm_head(torch.tanh(self.hidden(emb.view(emb.shape[0], -1))))

    class Recurrent(tnn.Module):
        LAYERS = {"rnn": tnn.RNN, "gru": tnn.GRU, "lstm": tnn.LSTM}

        def __init__(self, kind, vocab_size, n_embd, n_hidden):
            super().__init__()
            self.wte = tnn.Embedding(vocab_size, n_embd)
            self.rnn = self.LAYERS[kind](n_embd, n_hidden, batch_first=True)
            self.lm_head = tnn.Linear(n_hidden, vocab_size)

        def forward(self, idx):
            out, _ = self.rnn(self.wte(idx))
            return self.lm_head(out)

    class CausalSelfAttention(tnn.Module):
        def __init__(self, n_embd, n_head, block_size):
            super().__init__()
            self.n_head = n_head
            self.c_attn = tnn.Linear(n_embd, 3 * n_embd)
            self.c_proj = tnn.Linear(n_embd, n_embd)
            mask = torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size,
                                                                        block_size)
            self.register_buffer("mask", mask, persistent=False)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(C, dim=2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class Block(tnn.Module):
        def __init__(self, n_embd, n_head, block_size, n_hidden):
            super().__init__()
            self.ln_1 = tnn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention(n_embd, n_head, block_size)
            self.ln_2 = tnn.LayerNorm(n_embd)
            self.mlp = tnn.Sequential(tnn.Linear(n_embd, n_hidden), tnn.GELU(approximate="tanh"),
                                      tnn.Linear(n_hidden, n_embd))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class Transformer(tnn.Module):
        def __init__(self, vocab_size, block_size, n_embd, n_hidden, n_layer=2, n_head=4):
            super().__init__()
            self.wte = tnn.Embedding(vocab_size, n_embd)
            self.wpe = tnn.Embedding(block_size, n_embd)
            self.blocks = tnn.Sequential(*[Block(n_embd, n_head, block_size, n_hidden)
                                           for _ in range(n_layer)])
            self.ln_f = tnn.LayerNorm(n_embd)
            self.lm_head = tnn.Linear(n_embd, vocab_size)

        def forward(self, idx):
            B, T = idx.size()
            pos = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
            x = self.wte(idx) + self.wpe(pos)
            return self.lm_head(self.ln_f(self.blocks(x)))

    def build_model(name, vocab_size, block_size, n_embd, n_hidden):
        if name == "mlp":
            return MLP(vocab_size, n_embd, n_hidden)
        if name == "transformer":
            return Transformer(vocab_size, block_size, n_embd, n_hidden)
        return Recurrent(name, vocab_size, n_embd, n_hidden)

    return build_model


def make_optimizer(torch, model, lr: float, steps: int) -> tuple:
    """As the example: AdamW, a linear warm-up over 5% of the steps, then a cosine to lr/10."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=0.01)
    warmup = max(1, steps // 20)
    schedulers = torch.optim.lr_scheduler
    warm = schedulers.LinearLR(optimizer, start_factor=0.01, total_iters=warmup)
    decay = schedulers.CosineAnnealingLR(optimizer, T_max=max(1, steps - warmup), eta_min=lr / 10)
    return optimizer, schedulers.SequentialLR(optimizer, [warm, decay], milestones=[warmup])


def crop(X: np.ndarray, Y: np.ndarray) -> tuple:
    """As the example: sequences cut after the batch's longest word."""
    if Y.ndim == 1:
        return X, Y
    length = int((Y != -100).sum(axis=1).max())
    return X[:, :length], Y[:, :length]


def loss_of(torch, model, X: np.ndarray, Y: np.ndarray, reduction: str = "mean"):
    """As the example: cross-entropy of the next-character logits, padding ignored."""
    logits = model(torch.tensor(X))
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits.view(-1, V), torch.tensor(Y).view(-1),
                                             reduction=reduction)


def evaluate(torch, model, X: np.ndarray, Y: np.ndarray, batch_size: int = 1000) -> float:
    """As the example: the mean loss per character, shortest words first."""
    if Y.ndim == 2:
        order = np.argsort((Y != -100).sum(axis=1), kind="stable")
        X, Y = X[order], Y[order]
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            inputs, targets = crop(X[start:start + batch_size], Y[start:start + batch_size])
            total += float(loss_of(torch, model, inputs, targets, "sum").item())
            count += int((targets != -100).sum())
    model.train()
    return total / count


def train_and_evaluate(torch, args: argparse.Namespace) -> dict:
    """Train as the example does; the validation loss every --eval-every steps."""
    data = nn.datasets.words(args.data, seed=args.seed)
    sets = {split: data.contexts(split, CONTEXT) if args.model == "mlp" else
            data.sequences(split) for split in ("train", "val")}
    torch.manual_seed(args.seed)
    model = define_models(torch)(args.model, data.vocab_size, data.max_length + 1,
                                 args.n_embd, args.n_hidden)
    optimizer, scheduler = make_optimizer(torch, model, args.lr, args.steps)
    rng = np.random.default_rng(args.seed)
    X, Y = sets["train"]
    start, recent, val_loss = time.perf_counter(), [], evaluate(torch, model, *sets["val"])
    print(f"step     0  val loss {val_loss:.4f}", file=sys.stderr, flush=True)
    for step in range(1, args.steps + 1):
        rows = rng.integers(0, len(X), args.batch_size)
        loss = loss_of(torch, model, *crop(X[rows], Y[rows]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        recent.append(loss.item())
        if step % args.eval_every == 0 or step == args.steps:
            val_loss = evaluate(torch, model, *sets["val"])
            print(f"step {step:5d}  train loss {np.mean(recent):.4f}  val loss {val_loss:.4f}",
                  file=sys.stderr, flush=True)
            recent = []
    return {"benchmark": "makemore_torch", "model": args.model,
            "parameters": sum(p.numel() for p in model.parameters()), "steps": args.steps,
            "val_loss": val_loss, "seconds": time.perf_counter() - start,
            "torch": torch.__version__, "threads": torch.get_num_threads()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=list(DEFAULTS), default="transformer")
    parser.add_argument("--data", default=None, help="a text file of words (default: wamerican)")
    for flag in ("steps", "batch-size", "n-embd", "n-hidden", "eval-every"):
        parser.add_argument(f"--{flag}", type=int, help="as in examples/makemore.py")
    parser.add_argument("--lr", type=float, help="as in examples/makemore.py")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights, batches, split")
    h.add_threads_option(parser)
    args = parser.parse_args(argv)
    for key, value in DEFAULTS[args.model].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.eval_every = args.eval_every or max(1, args.steps // 10)
    torch = h.import_torch()
    if torch is None:
        sys.exit("makemore_torch: PyTorch is not installed (pip install torch)")
    print(json.dumps(train_and_evaluate(torch, args)))


if __name__ == "__main__":
    main()
