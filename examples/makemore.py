"""Character-level language models on real words, after Karpathy's makemore.

Trains one model to predict the next letter of English words (Debian's word list,
/usr/share/dict/american-english from `apt-get install wamerican`, or --data FILE), then
reports its validation loss, samples 20 new words, saves it with ``nn.save``, reloads it
into a fresh model and checks that it scores the same:

- ``mlp``: Bengio et al. (2003): the embeddings of the last 3 characters, one tanh hidden layer;
- ``rnn``, ``gru``, ``lstm``: an embedding, ``nn.RNN``/``nn.GRU``/``nn.LSTM``, a linear read-out;
- ``transformer``: 2 blocks of causal self-attention (4 heads) and an MLP, GPT style.

Each trains with AdamW (betas 0.9/0.99, weight decay 0.01) and a learning rate that warms
up linearly, then decays along a cosine. The defaults are smaller than makemore's (steps,
widths) so that each model trains in under 5 minutes on a 2-core CPU; the loss is the mean
negative log-likelihood (nats) per character, the end of a word counting as one.
``benchmarks/makemore_torch.py`` trains the same models with PyTorch.

    python examples/makemore.py --model transformer [--steps 4000] [--plot]

Writes makemore_MODEL.npz and, with ``--plot`` (matplotlib), makemore_MODEL.png (the
training and validation loss per step) next to this file (or to --out-dir).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

# Run from a checkout without installing: the repository root holds autograd/ and nn/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Per model: its size and how it trains. steps and batch_size are chosen so that a default
# run takes under 5 minutes on a shared 2-core machine (see the README's table).
DEFAULTS = {
    "mlp": dict(n_embd=24, n_hidden=256, steps=6000, batch_size=256, lr=1e-2),
    "rnn": dict(n_embd=32, n_hidden=128, steps=3000, batch_size=32, lr=1e-2),
    "gru": dict(n_embd=32, n_hidden=128, steps=3000, batch_size=32, lr=1e-2),
    "lstm": dict(n_embd=32, n_hidden=128, steps=3000, batch_size=32, lr=1e-2),
    "transformer": dict(n_embd=64, n_hidden=256, steps=3000, batch_size=32, lr=6e-3),
}
CONTEXT = 3  # the MLP reads the last 3 characters


class MLP(nn.Module):
    """Bengio et al. (2003): logits = W2 tanh(W1 [C[x1], C[x2], C[x3]] + b1) + b2.

    ``C`` is a (vocab_size, n_embd) table of learned character vectors, looked up with an
    integer tensor as in the makemore lectures. (B, 3) contexts -> (B, vocab_size) logits.
    """

    def __init__(self, vocab_size: int, n_embd: int, n_hidden: int, context: int = CONTEXT):
        super().__init__()
        self.context = context
        self.C = nn.Parameter(ag.randn(vocab_size, n_embd))
        self.hidden = nn.Linear(context * n_embd, n_hidden)
        self.lm_head = nn.Linear(n_hidden, vocab_size)

    def forward(self, idx: ag.Tensor) -> ag.Tensor:
        emb = self.C[idx]  # (B, context, n_embd)
        h = ag.tanh(self.hidden(emb.view(emb.shape[0], -1)))
        return self.lm_head(h)


class Recurrent(nn.Module):
    """An embedding, one recurrent layer and a read-out: (B, T) ids -> (B, T, vocab) logits."""

    LAYERS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}

    def __init__(self, kind: str, vocab_size: int, n_embd: int, n_hidden: int):
        super().__init__()
        self.context = None  # reads the whole word so far
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.rnn = self.LAYERS[kind](n_embd, n_hidden, batch_first=True)
        self.lm_head = nn.Linear(n_hidden, vocab_size)

    def forward(self, idx: ag.Tensor) -> ag.Tensor:
        out, _ = self.rnn(self.wte(idx))
        return self.lm_head(out)


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t sees positions 0..t only."""

    def __init__(self, n_embd: int, n_head: int, block_size: int):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)  # queries, keys and values in one matmul
        self.c_proj = nn.Linear(n_embd, n_embd)
        mask = ag.tril(ag.ones(block_size, block_size)).view(1, 1, block_size, block_size)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))  # (B, nh, T, T)
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    """x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x)) (pre-norm, as GPT-2)."""

    def __init__(self, n_embd: int, n_head: int, block_size: int, n_hidden: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, n_hidden), nn.GELU(approximate="tanh"),
                                 nn.Linear(n_hidden, n_embd))

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    """Token and position embeddings, ``n_layer`` blocks, a final LayerNorm and read-out."""

    def __init__(self, vocab_size: int, block_size: int, n_embd: int, n_hidden: int,
                 n_layer: int = 2, n_head: int = 4):
        super().__init__()
        self.context = None
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head, block_size, n_hidden)
                                      for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx: ag.Tensor) -> ag.Tensor:
        B, T = idx.size()
        pos = ag.arange(0, T, dtype=ag.long).unsqueeze(0)  # (1, T)
        x = self.wte(idx) + self.wpe(pos)
        return self.lm_head(self.ln_f(self.blocks(x)))


def build_model(name: str, vocab_size: int, block_size: int, n_embd: int,
                n_hidden: int) -> nn.Module:
    """The model ``name`` with the given sizes (block_size: the longest word + 1)."""
    if name == "mlp":
        return MLP(vocab_size, n_embd, n_hidden)
    if name == "transformer":
        return Transformer(vocab_size, block_size, n_embd, n_hidden)
    return Recurrent(name, vocab_size, n_embd, n_hidden)


def dataset(data: nn.datasets.Words, split: str, model_name: str) -> tuple:
    """(inputs, targets) arrays: contexts of 3 for the MLP, whole padded words otherwise."""
    if model_name == "mlp":
        return data.contexts(split, CONTEXT)
    return data.sequences(split)


def crop(X: np.ndarray, Y: np.ndarray) -> tuple:
    """Sequences cut after the batch's longest word: what follows is ignored anyway, and
    a causal model's outputs before it do not depend on it."""
    if Y.ndim == 1:
        return X, Y
    length = int((Y != -100).sum(axis=1).max())
    return X[:, :length], Y[:, :length]


def loss_of(model: nn.Module, X: np.ndarray, Y: np.ndarray, reduction: str = "mean"):
    """Cross-entropy of the model's next-character logits; padding (-100) is ignored."""
    logits = model(ag.tensor(X))
    V = logits.shape[-1]
    return F.cross_entropy(logits.view(-1, V), ag.tensor(Y).view(-1), reduction=reduction)


def evaluate(model: nn.Module, X: np.ndarray, Y: np.ndarray, batch_size: int = 1000) -> float:
    """The mean loss per character over all of (X, Y), in eval mode and without a graph."""
    if Y.ndim == 2:  # shortest words first, so that cropping each batch saves the most
        order = np.argsort((Y != -100).sum(axis=1), kind="stable")
        X, Y = X[order], Y[order]
    model.eval()
    total, count = 0.0, 0
    with ag.no_grad():
        for start in range(0, len(X), batch_size):
            inputs, targets = crop(X[start:start + batch_size], Y[start:start + batch_size])
            total += float(loss_of(model, inputs, targets, reduction="sum").item())
            count += int((targets != -100).sum())
    model.train()
    return total / count


def generate(model: nn.Module, count: int, max_length: int) -> np.ndarray:
    """``count`` words drawn one character at a time from the model's softmax: (count, steps)
    ids, each word ending at its first 0. The MLP starts from 3 start tokens and reads the
    last 3, the others start from one and read everything so far."""
    start = model.context or 1
    idx = ag.zeros((count, start), dtype=ag.long)
    model.eval()
    with ag.no_grad():
        for _ in range(max_length + 1):
            logits = model(idx[:, -start:] if model.context else idx)
            if logits.ndim == 3:
                logits = logits[:, -1, :]
            probs = F.softmax(logits, dim=-1)
            idx = ag.cat([idx, ag.multinomial(probs, num_samples=1)], dim=1)
    model.train()
    return idx.numpy()[:, start:]


def make_optimizer(model: nn.Module, lr: float, steps: int) -> tuple:
    """AdamW (betas 0.9/0.99, weight decay 0.01) and its schedule, stepped once per step:
    a linear warm-up from lr/100 over the first 5% of the steps, then a cosine to lr/10."""
    optimizer = nn.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=0.01)
    warmup = max(1, steps // 20)
    schedulers = nn.optim.lr_scheduler
    warm = schedulers.LinearLR(optimizer, start_factor=0.01, total_iters=warmup)
    decay = schedulers.CosineAnnealingLR(optimizer, T_max=max(1, steps - warmup), eta_min=lr / 10)
    return optimizer, schedulers.SequentialLR(optimizer, [warm, decay], milestones=[warmup])


class Progress:
    """A tqdm bar over the steps (the running loss as its postfix) or, without tqdm or with
    ``enabled=False``, one printed line per evaluation."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc="train", unit="step", ncols=80)

    def step(self, loss: float) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"loss {loss:.3f}", refresh=False)
            self.bar.update()

    def report(self, text: str) -> None:
        (self.bar.write if self.bar is not None else print)(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def train(model: nn.Module, train_set: tuple, val_set: tuple, args) -> dict:
    """AdamW on random batches of ``train_set`` for ``args.steps`` steps; returns the curves:
    ``step`` (0 first: the untrained model), ``train_loss`` (the mean over the steps since
    the previous point; None at 0) and ``val_loss``."""
    optimizer, scheduler = make_optimizer(model, args.lr, args.steps)
    rng = np.random.default_rng(args.seed)  # the batches: the same in makemore_torch.py
    X, Y = train_set
    history = {"step": [0], "train_loss": [None], "val_loss": [evaluate(model, *val_set)]}
    progress = Progress(args.steps, not args.no_progress)
    progress.report(f"step     0  val loss {history['val_loss'][0]:.4f}")
    recent = []
    for step in range(1, args.steps + 1):
        rows = rng.integers(0, len(X), args.batch_size)
        loss = loss_of(model, *crop(X[rows], Y[rows]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        recent.append(loss.item())
        progress.step(recent[-1])
        if step % args.eval_every == 0 or step == args.steps:
            history["step"].append(step)
            history["train_loss"].append(float(np.mean(recent)))
            history["val_loss"].append(evaluate(model, *val_set))
            recent = []
            progress.report(f"step {step:5d}  train loss {history['train_loss'][-1]:.4f}  "
                            f"val loss {history['val_loss'][-1]:.4f}")
    progress.close()
    return history


def plot(history: dict, title: str, path: str) -> None:
    """The training and validation loss against the step, as a PNG."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4), layout="constrained")
    axis = figure.subplots()
    axis.plot(history["step"][1:], history["train_loss"][1:], "o-", markersize=3, label="train")
    axis.plot(history["step"], history["val_loss"], "o-", markersize=3, label="validation")
    axis.set(xlabel="step", ylabel="loss (nats per character)", title=title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.savefig(path, dpi=100)


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=list(DEFAULTS), default="transformer")
    parser.add_argument("--data", default=None,
                        help="a text file of words (default /usr/share/dict/american-english)")
    parser.add_argument("--steps", type=int, help="training steps (default: per model)")
    parser.add_argument("--batch-size", type=int, help="default: per model")
    parser.add_argument("--lr", type=float, help="peak AdamW learning rate (default: per model)")
    parser.add_argument("--n-embd", type=int, help="embedding width (default: per model)")
    parser.add_argument("--n-hidden", type=int,
                        help="hidden width: MLP layer, RNN state, transformer MLP (per model)")
    parser.add_argument("--eval-every", type=int, help="steps between evaluations (steps / 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights, batches, split")
    parser.add_argument("--out-dir", default=HERE, help="where to write the model and plot")
    parser.add_argument("--no-progress", action="store_true", help="no bar: a line per eval")
    parser.add_argument("--plot", action="store_true", help="write the loss curves as PNG")
    args = parser.parse_args(argv)
    for key, value in DEFAULTS[args.model].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.eval_every is None:
        args.eval_every = max(1, args.steps // 10)
    for key in ("steps", "batch_size", "n_embd", "n_hidden", "eval_every"):
        if getattr(args, key) < 1:
            parser.error(f"--{key.replace('_', '-')} must be at least 1")
    return args


def main(argv=None) -> None:
    args = parse_arguments(argv)
    start = time.perf_counter()
    try:
        data = nn.datasets.words(args.data, seed=args.seed)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")
    print(f"{data.kept} distinct lower-case words of {data.tokens} read from {data.path}: "
          f"{len(data.train)} train, {len(data.val)} val, {len(data.test)} test; "
          f"longest {data.max_length} letters")
    ag.manual_seed(args.seed)
    sizes = dict(vocab_size=data.vocab_size, block_size=data.max_length + 1,
                 n_embd=args.n_embd, n_hidden=args.n_hidden)
    model = build_model(args.model, **sizes)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"{args.model}: {parameters} parameters; {args.steps} steps of batch "
          f"{args.batch_size}, AdamW lr {args.lr:g}")
    val_set = dataset(data, "val", args.model)
    history = train(model, dataset(data, "train", args.model), val_set, args)
    val_loss = history["val_loss"][-1]

    words = [data.decode(row) for row in generate(model, 20, data.max_length)]
    seen, unseen = set(data.train), set(data.val + data.test)
    print("20 samples (* a training word, + a real word it never saw): "
          + " ".join((word or "(empty)") + ("*" if word in seen else "+" if word in unseen else "")
                     for word in words))

    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, f"makemore_{args.model}.npz")
    nn.save(model.state_dict(), path)
    reloaded = build_model(args.model, **sizes)
    reloaded.load_state_dict(nn.load(path))
    reloaded_loss = evaluate(reloaded, *val_set)
    if reloaded_loss != val_loss:
        sys.exit(f"error: the reloaded model scores {reloaded_loss}, not {val_loss}")
    if args.plot:
        picture = os.path.join(args.out_dir, f"makemore_{args.model}.png")
        plot(history, f"makemore {args.model} ({parameters} parameters)", picture)
        print(f"loss curves: {picture}")
    print(f"{args.model}: val loss {val_loss:.4f} after {args.steps} steps in "
          f"{time.perf_counter() - start:.0f}s; reloaded from {path}: {reloaded_loss:.4f}")


if __name__ == "__main__":
    main()
