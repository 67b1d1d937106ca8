"""Self-check rows for the nn layers and the kernels behind them.

A layer is checked with respect to its input and every parameter (float64,
values from the trial's random generator); BatchNorm in train mode, Dropout
with its mask fixed by a seed.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
import nn
from autograd.selfcheck import sampling as s
from autograd.selfcheck.cases import Case
from autograd.selfcheck.sampling import Trial
from nn import functional as F
from nn.functional import attention, conv, recurrent, sampling
from nn.functional.normalization import normalize
from nn.functional.windows import make_window


def layer_trial(module, shape: tuple, rng, label: str, draw=s.normal) -> Trial:
    """Check ``module(x)`` with respect to ``x`` and every parameter, all made float64."""
    module.double()
    params = tuple(module.parameters())
    for param in params:
        param.data = rng.uniform(-1.0, 1.0, param.shape)
    return Trial(lambda x, *_: module(x), (s.leaf(draw(rng, shape)),) + params, label)


def _linear(nn, rng, trial):
    n_in, n_out = (int(v) for v in rng.integers(1, 5, 2))
    shape = [(int(rng.integers(1, 4)), n_in), (2, 3, n_in), (n_in,)][trial % 3]
    bias = trial % 2 == 0
    return layer_trial(nn.Linear(n_in, n_out, bias=bias), shape, rng,
                       f"Linear({n_in}, {n_out}, bias={bias}) {shape}")


CONV_SETTINGS = [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3)),
                 dict(kernel_size=3, stride=(2, 1), padding=(1, 0), bias=False)]


def _conv2d(nn, rng, trial):
    settings = CONV_SETTINGS[trial % len(CONV_SETTINGS)]
    c_in, c_out = (int(v) for v in rng.integers(1, 3, 2))
    shape = (int(rng.integers(1, 3)), c_in, int(rng.integers(3, 6)), int(rng.integers(3, 6)))
    return layer_trial(nn.Conv2d(c_in, c_out, **settings), shape, rng,
                       f"Conv2d({c_in}, {c_out}, {settings}) {shape}")


POOL_SETTINGS = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                 dict(kernel_size=(2, 3), stride=1)]


def _pool(layer_name: str):
    def build(nn, rng, trial):
        settings = dict(POOL_SETTINGS[trial % len(POOL_SETTINGS)])
        if layer_name == "AvgPool2d" and trial % 2:
            settings["count_include_pad"] = False
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3)), 4, int(rng.integers(3, 6)))
        distinct = lambda rng, shape: s.distinct(rng, [shape])[0]  # noqa: E731 - ties: no max
        return layer_trial(getattr(nn, layer_name)(**settings), shape, rng,
                           f"{layer_name}({settings}) {shape}", draw=distinct)
    return build


def _batch_norm(layer_name: str, extra_dims: list):
    def build(nn, rng, trial):
        channels = int(rng.integers(1, 4))
        shape = (int(rng.integers(2, 4)), channels) + extra_dims[trial % len(extra_dims)]
        module = getattr(nn, layer_name)(channels)
        if trial % 3 == 2:
            module.eval()  # running statistics: an affine map
        mode = "train" if module.training else "eval"
        return layer_trial(module, shape, rng, f"{layer_name}({channels}) {mode} {shape}")
    return build


def _layer_norm(nn, rng, trial):
    normalized = s.random_shape(rng, 1, 2)
    shape = (int(rng.integers(1, 3)),) + normalized
    affine = trial % 3 != 2
    module = nn.LayerNorm(normalized, elementwise_affine=affine)
    return layer_trial(module, shape, rng, f"LayerNorm({normalized}, affine={affine}) {shape}")


def _embedding(nn, rng, trial):
    count, dim = int(rng.integers(2, 6)), int(rng.integers(1, 5))  # odd and even dims
    padding_idx = [None, 0, -1][trial % 3]
    module = nn.Embedding(count, dim, padding_idx=padding_idx)
    module.double()
    module.weight.data = rng.standard_normal((count, dim))
    # repeats accumulate; the padding row (no gradient by design) is not looked up here
    # (tests/test_embedding_padding.py compares it with torch)
    indices = rng.integers(0, count - 1, s.random_shape(rng, 1, 2))
    if padding_idx == 0:
        indices += 1
    elif padding_idx is None:
        indices = rng.integers(0, count, indices.shape)
    return Trial(lambda weight: module(indices), (module.weight,),
                 f"Embedding({count}, {dim}, padding_idx={padding_idx}) indices {indices.shape}")


def _activation(layer_name: str, draw=s.normal, **settings):
    def build(nn, rng, trial):
        shape = s.unary_shape(rng, trial + 1)
        return layer_trial(getattr(nn, layer_name)(**settings), shape, rng,
                           f"{layer_name}({settings}) {shape}", draw=draw)
    return build


def _softmax_layer(layer_name: str):
    def build(nn, rng, trial):
        shape = s.random_shape(rng, 1, 3)
        axis = int(rng.integers(-len(shape), len(shape)))
        return layer_trial(getattr(nn, layer_name)(axis=axis), shape, rng,
                           f"{layer_name}(axis={axis}) {shape}")
    return build


# ------------------------------------------------------------------ more activations (issue 14)


def _away(scale: float, *points: float):
    """Draw ``scale * normal`` values at least 0.1 from each kink in ``points``."""
    return lambda rng, shape: s.away_from(scale * s.normal(rng, shape), points, gap=0.1)


def _prelu(nn, rng, trial):
    count, shape = [(1, s.unary_shape(rng, trial)), (3, (2, 3)), (2, (1, 2, 3))][trial % 3]
    return layer_trial(nn.PReLU(count), shape, rng, f"PReLU({count}) {shape}",
                       draw=s.away_from_zero)


def _flatten(nn, rng, trial):
    shape = (2,) + s.random_shape(rng, 1, 3)
    return layer_trial(nn.Flatten(), shape, rng, f"Flatten() {shape}")


def _mlp(nn, rng, trial):
    activation = ["sigmoid", "tanh", "relu"][trial % 3]
    module = nn.MLP(3, [4, 2], 2, activation=activation)
    return layer_trial(module, (2, 3), rng, f"MLP(3, [4, 2], 2, {activation}) (2, 3)")


def _dropout(nn, rng, trial):
    module = nn.Dropout(p=0.3)
    shape = s.random_shape(rng, 1, 3)
    seed = int(rng.integers(0, 2**31))

    def with_fixed_mask(x):
        np.random.seed(seed)  # the same mask on every call; run_case restores the state
        return module(x)

    return Trial(with_fixed_mask, (s.leaf(s.normal(rng, shape)),), f"Dropout(p=0.3) {shape}")


# ------------------------------------------------------------------ recurrent layers

# (num_layers, bidirectional, batch_first, bias, batched, initial states given) per trial
RECURRENT_SETTINGS = [(1, False, False, True, True, True), (2, True, False, False, True, False),
                      (1, True, True, True, True, True), (2, False, False, True, False, True),
                      (1, False, True, False, True, False), (1, True, False, True, False, False)]


def _flat_outputs(result) -> ag.Tensor:
    """(output, h_n) or (output, (h_n, c_n)) -> one tensor: all their entries, flattened."""
    def tensors(value):
        if isinstance(value, (tuple, list)):
            return [t for part in value for t in tensors(part)]
        return [value]
    return ag.concatenate([t.reshape(-1) for t in tensors(result)])


def _recurrent(layer_name: str, **options):
    """An RNN/LSTM/GRU over (T, B, I) (or unbatched), checked w.r.t. input, states, weights."""
    def build(nn, rng, trial):
        layers, bidirectional, batch_first, bias, batched, with_state = RECURRENT_SETTINGS[
            trial % len(RECURRENT_SETTINGS)]
        length = int(rng.integers(1, 4))
        batch, size, hidden = (int(v) for v in rng.integers(1, 3, 3))
        module = getattr(nn, layer_name)(size, hidden, num_layers=layers, bias=bias,
                                         batch_first=batch_first, bidirectional=bidirectional,
                                         **options).double()
        params = tuple(module.parameters())
        for param in params:
            param.data = rng.uniform(-1.0, 1.0, param.shape)
        shape = ((batch, length) if batch_first else (length, batch)) if batched else (length,)
        x = s.leaf(s.normal(rng, shape + (size,)))
        states = ()
        if with_state:
            state = (layers * (1 + bidirectional),) + ((batch,) if batched else ()) + (hidden,)
            states = s.leaves(rng, [state] * (2 if layer_name == "LSTM" else 1))

        def fn(x, *rest):
            hx = None if not states else (tuple(rest[:2]) if layer_name == "LSTM" else rest[0])
            return _flat_outputs(module(x, hx))

        label = (f"{layer_name}({size}, {hidden}, num_layers={layers}, bias={bias}, "
                 f"batch_first={batch_first}, bidirectional={bidirectional}, {options}) "
                 f"input {x.shape} states given={with_state}")
        return Trial(fn, (x,) + tuple(states) + params, label)
    return build


def _recurrent_cell(cell_name: str, **options):
    """One step of a cell over (B, I) or (I,), with or without the state(s) given."""
    def build(nn, rng, trial):
        size, hidden, batch = (int(v) for v in rng.integers(1, 4, 3))
        bias, batched, with_state = trial % 3 != 2, trial % 2 == 0, trial % 3 != 1
        module = getattr(nn, cell_name)(size, hidden, bias=bias, **options)
        trial_of_layer = layer_trial(module, (batch, size) if batched else (size,), rng, "")
        x, params = trial_of_layer.inputs[0], trial_of_layer.inputs[1:]
        states = ()
        if with_state:
            shape = (batch, hidden) if batched else (hidden,)
            states = s.leaves(rng, [shape] * (2 if cell_name == "LSTMCell" else 1))

        def fn(x, *rest):
            hx = None if not states else (tuple(rest[:2]) if cell_name == "LSTMCell"
                                          else rest[0])
            return _flat_outputs(module(x, hx))

        label = (f"{cell_name}({size}, {hidden}, bias={bias}, {options}) input {x.shape} "
                 f"states given={with_state}")
        return Trial(fn, (x,) + tuple(states) + params, label)
    return build


# ------------------------------------------------------------------ ops behind the layers

SEQUENCE_GATES = {"rnn_sequence": 1, "lstm_sequence": 4, "gru_sequence": 3}


def _sequence_kernel(name: str):
    """A recurrent kernel on its own: P (T, B, G), initial state(s), W_hh, b_hh; both
    directions, with and without bias, tanh and relu for rnn_sequence."""
    def make(rng, trial):
        length = int(rng.integers(1, 4))
        batch, hidden = (int(v) for v in rng.integers(1, 3, 2))
        reverse, bias = trial % 2 == 1, trial % 3 != 2
        gates = SEQUENCE_GATES[name] * hidden
        shapes = [(length, batch, gates)] + [(batch, hidden)] * (2 if name == "lstm_sequence"
                                                                 else 1)
        shapes += [(gates, hidden)] + ([(gates,)] if bias else [])
        options = {"reverse": reverse}
        if name == "rnn_sequence":
            options["nonlinearity"] = ("tanh", "relu")[trial // 2 % 2]
        kernel = getattr(recurrent, name)
        return Trial(lambda *args: kernel(*args, **options), s.leaves(rng, shapes),
                     f"{s.describe(*shapes)} {options}")
    return make





def _unfold_fold(name: str):
    def make(rng, trial):
        settings = dict(CONV_SETTINGS[trial % len(CONV_SETTINGS)])
        settings.pop("bias", None)
        kernel = settings.pop("kernel_size")
        image = (int(rng.integers(1, 3)), int(rng.integers(1, 3)), 4, int(rng.integers(3, 6)))
        if name == "unfold":
            return Trial(lambda x: conv.unfold(x, kernel, **settings),
                         (s.leaf(s.normal(rng, image)),), f"{image} {kernel} {settings}")
        columns = conv.unfold(s.leaf(np.zeros(image)), kernel, **settings).shape
        return Trial(lambda c: conv.fold(c, image[2:], kernel, **settings),
                     (s.leaf(s.normal(rng, columns)),), f"{columns} -> {image} {settings}")
    return make


def _normalize(rng, trial):
    shape = (2,) + s.random_shape(rng, 1, 2)
    axes = [(0,), tuple(range(1, len(shape))), tuple(range(len(shape)))][trial % 3]
    return Trial(lambda x: normalize(x, axes), (s.leaf(s.normal(rng, shape)),),
                 f"{shape} axes={axes}")


def _conv_gradient(name: str):
    """The two other ops of the conv family, checked as functions of both their inputs."""
    def make(rng, trial):
        settings = dict(CONV_SETTINGS[trial % len(CONV_SETTINGS)])
        settings.pop("bias", None)
        c_in, c_out = (int(v) for v in rng.integers(1, 3, 2))
        image = (int(rng.integers(1, 3)), c_in, 4, int(rng.integers(3, 6)))
        window = make_window(name, image, settings.pop("kernel_size"), settings.get("stride", 1),
                             settings.get("padding", 0))
        weight = (c_out, c_in) + window.kernel
        out = (image[0], c_out) + window.out_hw(*image[2:])
        label = f"image {image} weight {weight} {window}"
        if name == "conv_transpose2d":
            return Trial(lambda g, w: conv.ConvTranspose2d.apply(
                g, w, input_shape=image, window=window, groups=1),
                s.leaves(rng, (out, weight)), label)
        return Trial(lambda x, g: conv.Conv2dWeightGrad.apply(
            x, g, weight_shape=weight, window=window, groups=1),
            s.leaves(rng, (image, out)), label)
    return make


# ------------------------------------------------------------------ the conv family (issue 14)


def _distinct(rng, shape):
    return s.distinct(rng, [shape])[0]  # no ties: max pooling is differentiable


def _cycle(settings: list, build):
    """A layer row whose trials cycle through ``settings``: ``build(nn, rng, settings)``."""
    def make(nn, rng, trial):
        return build(nn, rng, dict(settings[trial % len(settings)]))
    return make


def _conv_layer(layer_name: str, spatial: tuple):
    """Conv1d/Conv2d with ``channels`` (in, out) taken from the settings."""
    def build(nn, rng, settings):
        c_in, c_out = settings.pop("channels")
        shape = (int(rng.integers(1, 3)), c_in) + spatial
        return layer_trial(getattr(nn, layer_name)(c_in, c_out, **settings), shape, rng,
                           f"{layer_name}({c_in}, {c_out}, {settings}) {shape}")
    return build


CONV1D_SETTINGS = [
    dict(channels=(1, 2), kernel_size=3, stride=2, padding=1),
    dict(channels=(2, 2), kernel_size=2, dilation=2, padding="same", padding_mode="reflect"),
    dict(channels=(2, 4), kernel_size=3, groups=2, padding=1, padding_mode="circular",
         bias=False),
]
CONV2D_MORE_SETTINGS = [
    dict(channels=(2, 4), kernel_size=3, dilation=2, padding=2, groups=2),
    dict(channels=(1, 2), kernel_size=(2, 3), padding="same", padding_mode="reflect"),
    dict(channels=(3, 3), kernel_size=3, groups=3, padding=1, padding_mode="replicate"),
    dict(channels=(2, 2), kernel_size=2, stride=2, padding=1, padding_mode="circular",
         dilation=(1, 2)),
]
CONV_TRANSPOSE_SETTINGS = [
    dict(channels=(1, 2), kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(channels=(2, 4), kernel_size=(2, 3), stride=(1, 2), groups=2, bias=False),
    dict(channels=(2, 1), kernel_size=3, dilation=2, output_padding=1),  # rows no window reaches
    dict(channels=(4, 2), kernel_size=(2, 3), groups=2, padding=(0, 1)),  # depthwise, stride 1
    dict(channels=(2, 2), kernel_size=2, stride=3, padding=(1, 0), dilation=(1, 2)),
]


def _pool_layer(layer_name: str, spatial: tuple, draw=s.normal):
    def build(nn, rng, settings):
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) + spatial
        return layer_trial(getattr(nn, layer_name)(**settings), shape, rng,
                           f"{layer_name}({settings}) {shape}", draw=draw)
    return build


MAX_POOL1D_SETTINGS = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1,
                                                 ceil_mode=True),
                       dict(kernel_size=2, dilation=2, padding=1)]
MAX_POOL2D_MORE_SETTINGS = [dict(kernel_size=2, dilation=2, padding=1, ceil_mode=True),
                            dict(kernel_size=3, stride=2, ceil_mode=True),
                            dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1))]
AVG_POOL1D_SETTINGS = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1,
                                                 ceil_mode=True),
                       dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                            count_include_pad=False)]
AVG_POOL2D_MORE_SETTINGS = [dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                            dict(kernel_size=2, ceil_mode=True, count_include_pad=False),
                            dict(kernel_size=(2, 3), divisor_override=4)]
ADAPTIVE_SETTINGS = [dict(output_size=1), dict(output_size=3), dict(output_size=2)]
ADAPTIVE2D_SETTINGS = [dict(output_size=(2, 3)), dict(output_size=1),
                       dict(output_size=(None, 2))]
UPSAMPLE_SETTINGS = [  # (input shape after (N, C), settings)
    ((3, 2), dict(scale_factor=2)),
    ((3, 4), dict(size=(5, 3), mode="bilinear")),
    ((2, 3), dict(scale_factor=(1.5, 2.0), mode="bilinear", align_corners=True)),
    ((5,), dict(size=3, mode="linear")),
    ((4, 3), dict(size=(3, 5), mode="nearest-exact")),
    ((5, 4), dict(size=(2, 3), mode="area")),
]


def _upsample(nn, rng, trial):
    spatial, settings = UPSAMPLE_SETTINGS[trial % len(UPSAMPLE_SETTINGS)]
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) + spatial
    return layer_trial(nn.Upsample(**settings), shape, rng, f"Upsample({settings}) {shape}")


def _group_norm(nn, rng, trial):
    groups, channels = [(1, 3), (2, 4), (3, 3)][trial % 3]
    shape = (int(rng.integers(1, 3)), channels) + [(2,), (2, 2), ()][trial % 3]
    settings = [dict(), dict(bias=False), dict(), dict(affine=False)][trial % 4]
    module = nn.GroupNorm(groups, channels, **settings)
    return layer_trial(module, shape, rng, f"GroupNorm({groups}, {channels}, {settings}) {shape}")


def _dropout2d(nn, rng, trial):
    module = nn.Dropout2d(p=0.4)
    shape = (2, 3) + s.random_shape(rng, 2, 2)
    seed = int(rng.integers(0, 2**31))

    def with_fixed_mask(x):
        np.random.seed(seed)  # the same channel mask on every call
        return module(x)

    return Trial(with_fixed_mask, (s.leaf(s.normal(rng, shape)),), f"Dropout2d(p=0.4) {shape}")


def _weight_grad_grouped(rng, trial):
    """conv2d_weight_grad with groups and dilation, as a function of both inputs."""
    groups = 1 + trial % 2
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    image = (int(rng.integers(1, 3)), c_in, 5, int(rng.integers(4, 6)))
    window = make_window("conv2d_weight_grad", image, (2, 2), 1 + trial % 2,
                         ((1, 0), (0, 1)), (2, 1 + trial % 3))
    weight = (c_out, c_in // groups) + window.kernel
    out = (image[0], c_out) + window.out_hw(*image[2:])
    return Trial(lambda x, g: conv.Conv2dWeightGrad.apply(
        x, g, weight_shape=weight, window=window, groups=groups),
        s.leaves(rng, (image, out)), f"image {image} weight {weight} groups {groups} {window}")


def _resample(rng, trial):
    """One table along a random axis: nearest, linear, adaptive windows, padding."""
    shape = s.random_shape(rng, 1, 3)
    axis = int(rng.integers(0, len(shape)))
    size, out = shape[axis], int(rng.integers(1, 6))
    tables = {"nearest": lambda: sampling.nearest_table(size, out),
              "linear": lambda: sampling.linear_table(size, out, align_corners=False),
              "linear aligned": lambda: sampling.linear_table(size, out, align_corners=True),
              "adaptive": lambda: sampling.adaptive_table(size, out),
              "padding": lambda: sampling.padding_table(size, size - 1, min(size, 2), "circular")}
    kind = list(tables)[trial % len(tables)]
    table = tables[kind]()
    return Trial(lambda x: sampling.Resample.apply(x, table=table, axis=axis),
                 (s.leaf(s.normal(rng, shape)),), f"{shape} axis {axis} -> {table.out} ({kind})")


def _layer(build):
    return lambda rng, trial: build(nn, rng, trial)
LAYERS = [  # (row name, nn attribute, ops exercised, builder)
    ("nn.Linear", "Linear", ("linear",), _linear),
    ("nn.Conv2d", "Conv2d", ("conv2d",), _conv2d),
    ("nn.MaxPool2d", "MaxPool2d", ("max_pool2d",), _pool("MaxPool2d")),
    ("nn.AvgPool2d", "AvgPool2d", ("avg_pool2d",), _pool("AvgPool2d")),
    ("nn.BatchNorm1d", "BatchNorm1d", ("normalize",), _batch_norm("BatchNorm1d", [(), (3,)])),
    ("nn.BatchNorm2d", "BatchNorm2d", ("normalize",), _batch_norm("BatchNorm2d", [(2, 2), (1, 3)])),
    ("nn.LayerNorm", "LayerNorm", ("normalize",), _layer_norm),
    ("nn.Embedding", "Embedding", ("embedding",), _embedding),
    ("nn.ReLU", "ReLU", (), _activation("ReLU", s.away_from_zero)),
    ("nn.LeakyReLU", "LeakyReLU", (), _activation("LeakyReLU", s.away_from_zero,
                                                  negative_slope=0.2)),
    ("nn.Sigmoid", "Sigmoid", (), _activation("Sigmoid")),
    ("nn.Tanh", "Tanh", (), _activation("Tanh")),
    ("nn.GELU", "GELU", ("gelu",), _activation("GELU")),
    ("nn.GELU(tanh)", "GELU", (), _activation("GELU", approximate="tanh")),
    ("nn.Softmax", "Softmax", (), _softmax_layer("Softmax")),
    ("nn.LogSoftmax", "LogSoftmax", (), _softmax_layer("LogSoftmax")),
    # more activations (issue 14): inputs away from the kinks
    ("nn.SiLU", "SiLU", ("silu",), _activation("SiLU", _away(3.0))),
    ("nn.Mish", "Mish", ("mish", "softplus"), _activation("Mish", _away(3.0))),
    ("nn.Softplus", "Softplus", ("softplus",),
     _activation("Softplus", _away(2.0, 1.5), beta=2.0, threshold=3.0)),
    ("nn.ELU", "ELU", ("elu",), _activation("ELU", _away(2.0, 0.0), alpha=0.5)),
    ("nn.SELU", "SELU", ("elu",), _activation("SELU", _away(2.0, 0.0))),
    ("nn.CELU", "CELU", ("elu",), _activation("CELU", _away(2.0, 0.0), alpha=1.5)),
    ("nn.Hardtanh", "Hardtanh", ("hardtanh",),
     _activation("Hardtanh", _away(1.0, -0.5, 1.0), min_val=-0.5, max_val=1.0)),
    ("nn.ReLU6", "ReLU6", ("hardtanh",), _activation("ReLU6", _away(4.0, 0.0, 6.0))),
    ("nn.Hardsigmoid", "Hardsigmoid", ("hardsigmoid",),
     _activation("Hardsigmoid", _away(3.0, -3.0, 3.0))),
    ("nn.Hardswish", "Hardswish", ("hardswish",),
     _activation("Hardswish", _away(3.0, -3.0, 3.0))),
    ("nn.Softsign", "Softsign", (), _activation("Softsign", _away(2.0, 0.0))),
    ("nn.LogSigmoid", "LogSigmoid", ("softplus",), _activation("LogSigmoid", _away(4.0))),
    ("nn.Softmin", "Softmin", (), _softmax_layer("Softmin")),
    ("nn.PReLU", "PReLU", ("prelu",), _prelu),
    ("nn.Flatten", "Flatten", (), _flatten),
    ("nn.MLP", "MLP", (), _mlp),
    ("nn.Dropout", "Dropout", (), _dropout),
    # the conv family (issue 14)
    ("nn.Conv1d", "Conv1d", ("conv2d", "resample"),
     _cycle(CONV1D_SETTINGS, _conv_layer("Conv1d", (5,)))),
    ("nn.Conv2d(dilation/groups/padding_mode)", "Conv2d", ("conv2d", "resample"),
     _cycle(CONV2D_MORE_SETTINGS, _conv_layer("Conv2d", (4, 5)))),
    ("nn.ConvTranspose2d", "ConvTranspose2d", ("conv_transpose2d",),
     _cycle(CONV_TRANSPOSE_SETTINGS, _conv_layer("ConvTranspose2d", (3, 4)))),
    ("nn.MaxPool1d", "MaxPool1d", ("max_pool2d",),
     _cycle(MAX_POOL1D_SETTINGS, _pool_layer("MaxPool1d", (5,), _distinct))),
    ("nn.MaxPool2d(dilation/ceil_mode)", "MaxPool2d", ("max_pool2d",),
     _cycle(MAX_POOL2D_MORE_SETTINGS, _pool_layer("MaxPool2d", (5, 4), _distinct))),
    ("nn.AvgPool1d", "AvgPool1d", ("avg_pool2d",),
     _cycle(AVG_POOL1D_SETTINGS, _pool_layer("AvgPool1d", (5,)))),
    ("nn.AvgPool2d(ceil_mode/divisor_override)", "AvgPool2d", ("avg_pool2d",),
     _cycle(AVG_POOL2D_MORE_SETTINGS, _pool_layer("AvgPool2d", (5, 4)))),
    ("nn.AdaptiveAvgPool1d", "AdaptiveAvgPool1d", ("resample",),
     _cycle(ADAPTIVE_SETTINGS, _pool_layer("AdaptiveAvgPool1d", (5,)))),
    ("nn.AdaptiveAvgPool2d", "AdaptiveAvgPool2d", ("resample",),
     _cycle(ADAPTIVE2D_SETTINGS, _pool_layer("AdaptiveAvgPool2d", (4, 5)))),
    ("nn.Upsample", "Upsample", ("resample",), _upsample),
    ("nn.GroupNorm", "GroupNorm", ("group_norm",), _group_norm),
    ("nn.Dropout2d", "Dropout2d", (), _dropout2d),
]

def _softplus(rng, trial):
    shape = s.unary_shape(rng, trial)
    beta, threshold = [(1.0, 20.0), (2.0, 1.0), (0.5, 0.3)][trial % 3]
    values = s.away_from(3 * s.normal(rng, shape), [threshold / beta])
    return Trial(lambda x: F.softplus(x, beta, threshold), (s.leaf(values),),
                 f"{s.describe(shape)} beta={beta} threshold={threshold}")


KERNELS = [  # (row name, op exercised, builder)
    ("softplus", "softplus", _softplus),
    ("unfold", "unfold", _unfold_fold("unfold")),
    ("fold", "fold", _unfold_fold("fold")),
    ("normalize", "normalize", _normalize),
    ("conv_transpose2d", "conv_transpose2d", _conv_gradient("conv_transpose2d")),
    ("conv2d_weight_grad", "conv2d_weight_grad", _conv_gradient("conv2d_weight_grad")),
    # the conv family (issue 14)
    ("conv2d_weight_grad(groups/dilation)", "conv2d_weight_grad", _weight_grad_grouped),
    ("resample", "resample", _resample),
]

# Recurrent layers and cells: (row name, ops exercised, builder, second order). The layers
# and cells are the kernels below plus linear, indexing, concatenate and stack, all checked
# to second order on their own rows; second derivatives through whole layers would cost
# ~20 s here (the check grows with the square of the parameter count), so the kernel rows
# check them, and tests/test_recurrent.py compares a 2-layer bidirectional layer's with torch.
RECURRENT = [
    ("nn.RNN", ("rnn_sequence",), _recurrent("RNN"), False),
    ("nn.RNN(relu)", ("rnn_sequence",), _recurrent("RNN", nonlinearity="relu"), False),
    ("nn.LSTM", ("lstm_sequence",), _recurrent("LSTM"), False),
    ("nn.GRU", ("gru_sequence",), _recurrent("GRU"), False),
    ("nn.RNNCell", ("rnn_sequence",), _recurrent_cell("RNNCell"), False),
    ("nn.RNNCell(relu)", ("rnn_sequence",), _recurrent_cell("RNNCell", nonlinearity="relu"),
     False),
    ("nn.LSTMCell", ("lstm_sequence",), _recurrent_cell("LSTMCell"), False),
    ("nn.GRUCell", ("gru_sequence",), _recurrent_cell("GRUCell"), False),
    ("rnn_sequence", ("rnn_sequence",), _sequence_kernel("rnn_sequence"), True),
    ("lstm_sequence", ("lstm_sequence",), _sequence_kernel("lstm_sequence"), True),
    ("gru_sequence", ("gru_sequence",), _sequence_kernel("gru_sequence"), True),
]

CASES = ([Case(name, ops, _layer(build)) for name, _, ops, build in LAYERS]
         + [Case(name, (op,), build) for name, op, build in KERNELS]
         + [Case(name, ops, build if name.islower() else _layer(build), second_order)
            for name, ops, build, second_order in RECURRENT])


# ------------------------------------------------------------------ attention (issue 14)


def _with_minus_inf(rng, shape: tuple) -> np.ndarray:
    """Normal values with some entries -inf and, past 1-D, the first row all -inf (a query
    that may attend to no key)."""
    values = s.normal(rng, shape)
    values[rng.random(shape) < 0.3] = -np.inf
    if len(shape) > 1:
        values[..., 0, :] = -np.inf
    return values


def _safe_softmax(rng, trial):
    """The kernel with -inf scores, then with its scale and a constant 0 / -inf bias (a mask)
    that broadcasts to the scores."""
    shape = [(3, 4), (2, 3, 1), (4,), (1, 2, 5)][trial % 4]
    if trial % 2 == 0:
        return Trial(attention.safe_softmax, (s.leaf(_with_minus_inf(rng, shape)),),
                     f"{shape} with -inf entries and rows")
    bias = np.where(_with_minus_inf(rng, shape[-2:]) == -np.inf, -np.inf, 0.0)
    return Trial(lambda x: attention.safe_softmax(x, 0.7, bias), (s.leaf(s.normal(rng, shape)),),
                 f"{shape} scale 0.7, bias {bias.shape} with -inf entries and rows")


SDPA_SETTINGS = [  # (query, key, value) shapes, mask
    (((3, 2), (4, 2), (4, 3)), "none"),
    (((2, 3, 2), (2, 4, 2), (2, 4, 1)), "bool"),
    (((2, 1, 3, 2), (1, 2, 4, 2), (1, 2, 4, 2)), "float"),
    (((4, 2), (3, 2), (3, 2)), "causal"),
    (((1, 3, 1), (1, 3, 1), (1, 3, 2)), "scale"),
    (((4, 3, 2), (2, 2, 2), (2, 2, 3)), "gqa"),
]


def _sdpa(rng, trial):
    """F.scaled_dot_product_attention over q, k, v (and a float mask with a row of -inf);
    a boolean mask leaves a query with no key."""
    shapes, mask = SDPA_SETTINGS[trial % len(SDPA_SETTINGS)]
    inputs = s.leaves(rng, shapes)
    scores_shape = (shapes[0][-2], shapes[1][-2])
    options = {"causal": {"is_causal": True}, "scale": {"scale": 0.4},
               "gqa": {"enable_gqa": True}}.get(mask, {})
    if mask == "bool":
        keep = rng.random(scores_shape) < 0.6
        keep[0] = False
        options["attn_mask"] = keep
    if mask == "float":
        inputs += (s.leaf(_with_minus_inf(rng, scores_shape)),)

    def fn(q, k, v, *float_mask):
        return F.scaled_dot_product_attention(q, k, v, *float_mask, **options)

    return Trial(fn, inputs, f"{s.describe(*shapes)} mask {mask}")


MHA_SETTINGS = [  # module options, call options, self-attention, batched, training
    dict(options=dict(), call=dict(key_padding_mask="padding")),
    dict(options=dict(batch_first=True, kdim=3, vdim=2), call=dict(attn_mask="float"),
         self_attention=False),
    dict(options=dict(add_bias_kv=True, add_zero_attn=True),
         call=dict(attn_mask="3d", average_attn_weights=False)),
    dict(options=dict(bias=False), call=dict(is_causal=True), batched=False),
    dict(options=dict(batch_first=True), self_attention=False,
         call=dict(attn_mask="bool", key_padding_mask="padding", need_weights=False)),
    dict(options=dict(dropout=0.3), call=dict(key_padding_mask="padding"), training=True),
]


def _mha_masks(rng, call: dict, batch: int, heads: int, length: int, batched: bool) -> dict:
    """The masks a setting names, drawn (True: leave out); batch 1 never sees a key."""
    padding = rng.random((batch, length)) < 0.3
    if batch > 1:
        padding[-1] = True
    made = {"padding": padding if batched else padding[0],
            "float": rng.standard_normal((length, length)),
            "3d": rng.random((batch * heads, length, length)) < 0.4,
            "bool": rng.random((length, length)) < 0.4}
    return {key: made.get(value, value) if isinstance(value, str) else value
            for key, value in call.items()}


def _multihead(nn, rng, settings, parameters: bool = True):
    """MultiheadAttention (E 4, 2 heads, L = S = 2): output and weights w.r.t. the inputs
    and every parameter (or the inputs alone); a sequence whose keys are all padded gets
    zeros."""
    options, call = settings["options"], settings["call"]
    self_attention = settings.get("self_attention", True)
    batched, training = settings.get("batched", True), settings.get("training", False)
    embed, heads, batch, length = 4, 2, 2, 2
    module = nn.MultiheadAttention(embed, heads, **options).train(training)
    layout = (batch, length) if options.get("batch_first") else (length, batch)
    shape = layout if batched else (length,)
    shapes = [shape + (embed,)] if self_attention else [
        shape + (embed,), shape + (options.get("kdim", embed),),
        shape + (options.get("vdim", embed),)]
    base = layer_trial(module, shapes[0], rng, "")
    inputs = (base.inputs[0],) + s.leaves(rng, shapes[1:])
    if parameters:
        inputs += base.inputs[1:]
    call = _mha_masks(rng, call, batch if batched else 1, heads, length, batched)
    seed = int(rng.integers(0, 2**31))
    count = len(shapes)

    def fn(query, *args):
        np.random.seed(seed)  # one dropout mask for every call
        key, value = (query, query) if count == 1 else args[:2]
        out, weights = module(query, key, value, **call)
        return out if weights is None else ag.concatenate([out.reshape(-1),
                                                           weights.reshape(-1)])

    label = (f"MultiheadAttention({embed}, {heads}, {options}) inputs {s.describe(*shapes)} "
             f"{sorted(call)} training={training}")
    return Trial(fn, inputs, label)


ENCODER_SETTINGS = [  # layer options, call options
    dict(options=dict(), call=dict(src_key_padding_mask="padding")),
    dict(options=dict(norm_first=True, activation="gelu", batch_first=True),
         call=dict(is_causal=True)),
    dict(options=dict(bias=False, layer_norm_eps=1e-3), call=dict(src_mask="float")),
]


def _encoder(layers: int, parameters: bool = True):
    """TransformerEncoderLayer (layers 0) or a TransformerEncoder of ``layers`` layers with a
    final LayerNorm: d_model 4, 2 heads, feed-forward 3, dropout off, two sequences of two;
    w.r.t. the input and the parameters outside the attention (the MultiheadAttention rows
    check those), or the input alone."""
    def build(nn, rng, settings):
        options, call = settings["options"], dict(settings["call"])
        layer = nn.TransformerEncoderLayer(4, 2, 3, dropout=0.0, **options)
        module = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(4)) if layers else layer
        if "src_key_padding_mask" in call:
            call["src_key_padding_mask"] = np.array([[False, True], [False, False]])
        if "src_mask" in call:
            call.pop("src_mask")
            call["mask" if layers else "src_mask"] = rng.standard_normal((2, 2))
        x = layer_trial(module, (2, 2, 4), rng, "").inputs[0]
        inputs = (x,)
        if parameters:
            inputs += tuple(p for name, p in module.named_parameters() if "self_attn" not in name)
        return Trial(lambda x, *_: module(x, **call), inputs,
                     f"{type(module).__name__} {options} {sorted(call)} input {x.shape}")
    return build


def _inputs_only(build):
    return lambda nn, rng, settings: build(nn, rng, settings, parameters=False)


# Second derivatives through whole layers w.r.t. every parameter would cost ~10 s per row
# (the check grows with the square of the inputs): those rows check the first order, and
# the "(inputs)" rows check both orders w.r.t. the layer's inputs; the kernel rows check
# safe_softmax and the attention itself to second order w.r.t. everything, and
# tests/test_attention.py compares MultiheadAttention's with torch w.r.t. in_proj_weight.
ATTENTION = [  # (row name, ops exercised, builder, second order)
    ("safe_softmax", ("safe_softmax",), _safe_softmax, True),
    ("F.scaled_dot_product_attention", ("safe_softmax",), _sdpa, True),
    ("nn.MultiheadAttention", ("safe_softmax", "linear"),
     _layer(_cycle(MHA_SETTINGS, _multihead)), False),
    ("nn.MultiheadAttention(inputs)", ("safe_softmax", "linear"),
     _layer(_cycle(MHA_SETTINGS, _inputs_only(_multihead))), True),
    ("nn.TransformerEncoderLayer", ("safe_softmax", "normalize"),
     _layer(_cycle(ENCODER_SETTINGS, _encoder(0))), False),
    ("nn.TransformerEncoderLayer(inputs)", ("safe_softmax", "normalize"),
     _layer(_cycle(ENCODER_SETTINGS, _encoder(0, parameters=False))), True),
    ("nn.TransformerEncoder", ("safe_softmax", "normalize"),
     _layer(_cycle(ENCODER_SETTINGS, _encoder(2, parameters=False))), False),
]

CASES += [Case(name, ops, build, second_order) for name, ops, build, second_order in ATTENTION]
