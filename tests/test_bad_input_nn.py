"""Misuse of ``nn`` (layers, losses, optimizers, data) fails with the right error type and a
message that names the problem (rows: ``tests/bad_input.py``); bad input never corrupts a
model's or an optimizer's state."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim
from tests.bad_input import row


def randn(*shape):
    return ag.Tensor(np.random.default_rng(0).standard_normal(shape))


def ones(*shape, requires_grad=False):
    return ag.Tensor(np.ones(shape), requires_grad=requires_grad)


def params():
    return nn.Linear(2, 2).parameters()


def step_with_gradient_of_shape(shape):
    model = nn.Linear(3, 2)
    model.weight.grad = ag.zeros(2, 3)
    model.bias.grad = ag.zeros(*shape)
    optim.SGD(model.parameters(), lr=0.1).step()


LABELS = np.array([0, 1])
NN_CASES = [
    row("cross_entropy-label-out-of-range", lambda: nn.CrossEntropyLoss()(randn(2, 3), [0, 3]),
        IndexError, r"cross_entropy: label 3 at index \(1,\) is out of range \(expected 0..2\)"),
    row("cross_entropy-negative-label", lambda: nn.CrossEntropyLoss()(randn(2, 3), [0, -2]),
        IndexError, r"cross_entropy: label -2 at index \(1,\) is out of range"),
    row("cross_entropy-nan-label",
        lambda: nn.CrossEntropyLoss()(randn(2, 3), np.array([0.0, np.nan])), ValueError,
        r"cross_entropy: labels contain NaN \(first at index \(1,\)\)"),
    row("cross_entropy-fractional-label",
        lambda: nn.CrossEntropyLoss()(randn(2, 3), np.array([0.5, 1.0])), ValueError,
        r"cross_entropy: labels must be integers, got 0.5 at index \(0,\)"),
    row("cross_entropy-label-shape", lambda: nn.CrossEntropyLoss()(randn(2, 3), [0, 1, 2]),
        ValueError, r"cross_entropy: expected labels of shape \(2,\), got shape \(3,\)"),
    row("cross_entropy-weight-shape",
        lambda: nn.CrossEntropyLoss(weight=np.ones(4))(randn(2, 3), LABELS), ValueError,
        r"cross_entropy: weight must have shape \(3,\) \(one per class\), got \(4,\)"),
    row("cross_entropy-label_smoothing",
        lambda: nn.CrossEntropyLoss(label_smoothing=1.5)(randn(2, 3), LABELS), ValueError,
        r"cross_entropy: label_smoothing must be in \[0, 1\], got 1.5"),
    row("cross_entropy-integer-input",
        lambda: nn.CrossEntropyLoss()(ag.Tensor(np.ones((2, 3), dtype=int)), LABELS), TypeError,
        r"cross_entropy: input must be a floating-point tensor, got dtype int64"),
    row("nll_loss-label-out-of-range", lambda: nn.NLLLoss()(randn(2, 3), [5, 0]), IndexError,
        r"nll_loss: label 5 at index \(0,\) is out of range \(expected 0..2\)"),
    row("mse_loss-shapes", lambda: nn.MSELoss()(randn(2, 3), randn(3, 2)), ValueError,
        r"mse_loss: input shape \(2, 3\) and target shape \(3, 2\) must be equal"),
    row("loss-unknown-reduction", lambda: nn.MSELoss(reduction="avg"), ValueError,
        r"MSELoss: reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    row("huber-negative-delta", lambda: nn.HuberLoss(delta=-1.0)(randn(2), randn(2)), ValueError,
        r"huber_loss: delta must be positive, got -1.0"),
    row("bce-not-probabilities", lambda: nn.BCELoss()(ag.tensor([0.5, 1.5]), ag.tensor([0.0, 1.0])),
        ValueError, r"binary_cross_entropy: input must hold probabilities in \[0, 1\], got 1.5"),
    row("bce_with_logits-nan-target",
        lambda: nn.BCEWithLogitsLoss()(randn(2), ag.tensor([0.0, np.nan])), ValueError,
        r"binary_cross_entropy_with_logits: target contains NaN \(first at index \(1,\)\)"),
    row("linear-wrong-in_features", lambda: nn.Linear(3, 2)(randn(4, 5)), ValueError,
        r"Linear\(in_features=3, .*expected input with last dimension 3, got shape \(4, 5\)"),
    row("linear-negative-size", lambda: nn.Linear(-1, 2), ValueError,
        r"Linear: in_features must be a non-negative int, got -1"),
    row("functional-linear-shapes", lambda: nn.functional.linear(randn(2, 3), randn(4, 5)),
        ValueError, r"linear: input of shape \(2, 3\) does not match weight of shape \(4, 5\)"),
    row("sequential-names-the-failing-layer",
        lambda: nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2))(randn(2, 3)), ValueError,
        r"Linear\(in_features=5, .*last dimension 5, got shape \(2, 4\)"),
    row("mlp-unknown-activation", lambda: nn.MLP(3, [4], 2, activation="foo"), ValueError,
        r"MLP: unknown activation 'foo'"),
    row("embedding-index-out-of-range", lambda: nn.Embedding(5, 2)(np.array([1, 5])), IndexError,
        r"embedding: index 5 at index \(1,\) is out of range \(expected 0..4\)"),
    row("embedding-fractional-index", lambda: nn.Embedding(5, 2)(np.array([1.5])), ValueError,
        r"embedding: indices must be integers, got 1.5"),
    row("one_hot-label-out-of-range", lambda: nn.functional.one_hot(np.array([3]), 2), IndexError,
        r"one_hot: label 3 at index \(0,\) is out of range \(expected 0..1\)"),
    row("parameter-integer", lambda: nn.Parameter(np.arange(3)), TypeError,
        r"only floating-point tensors can require gradients, got dtype int64"),
    row("module-assign-array-to-parameter",
        lambda: setattr(nn.Linear(2, 2), "weight", np.zeros(3)), TypeError,
        r"Linear: cannot assign ndarray to parameter 'weight'"),
    row("load_state_dict-wrong-shape",
        lambda: nn.Linear(3, 2).load_state_dict({"weight": np.zeros((3, 3)),
                                                 "bias": np.zeros(2)}), RuntimeError,
        r"size mismatch for 'weight': copying a value of shape \(3, 3\), the shape in the "
        r"current model is \(2, 3\)"),
    row("load_state_dict-missing-key",
        lambda: nn.Linear(3, 2).load_state_dict({"weight": np.zeros((2, 3))}), RuntimeError,
        r"(?s)nothing was loaded.*missing key 'bias'"),
    row("load_state_dict-not-a-mapping", lambda: nn.Linear(2, 2).load_state_dict([1, 2]),
        TypeError, r"load_state_dict: .*must be a (dict|mapping).*list"),
    row("nn.save-unsupported-value", lambda: nn.save({"a": object()}, "unused.npz"), TypeError,
        r"save: cannot store a object at 'a'"),
    row("optimizer-negative-lr", lambda: optim.SGD(params(), lr=-0.1), ValueError,
        r"SGD: invalid lr -0.1"),
    row("adam-beta-out-of-range", lambda: optim.Adam(params(), betas=(1.0, 0.9)), ValueError,
        r"Adam: invalid beta parameter at index 0: 1.0"),
    row("adam-negative-eps", lambda: optim.Adam(params(), eps=-1), ValueError,
        r"Adam: invalid eps -1"),
    row("optimizer-empty-params", lambda: optim.SGD([], lr=0.1), ValueError,
        r"SGD got an empty parameter list"),
    row("optimizer-duplicate-param", lambda: optim.SGD([nn.Linear(2, 2).weight] * 2, lr=0.1),
        ValueError, r"SGD: parameter 1 \(shape \(2, 2\)\) appears more than once"),
    row("optimizer-non-tensor", lambda: optim.SGD([1.0], lr=0.1), ValueError,
        r"SGD can only optimize Tensors, but parameter 0 is a float"),
    row("sgd-nesterov-without-momentum", lambda: optim.SGD(params(), lr=0.1, nesterov=True),
        ValueError, r"SGD: Nesterov momentum requires a momentum > 0"),
    row("grad-assignment-shape", lambda: step_with_gradient_of_shape((5,)), RuntimeError,
        r"grad: assigned grad has shape \(5,\), but the tensor has shape \(2,\)"),
    row("grad-assignment-number", lambda: setattr(nn.Linear(3, 2).bias, "grad", 0.0), TypeError,
        r"grad: assigned grad must be None or a Tensor \(or array\) of shape \(2,\), got float"),
    row("optimizer-load_state_dict-keys",
        lambda: optim.SGD(params(), lr=0.1).load_state_dict({"foo": 1}), ValueError,
        r"SGD.load_state_dict: expected a dict with 'state' and 'param_groups', got keys"),
    row("steplr-zero-step", lambda: optim.lr_scheduler.StepLR(optim.SGD(params(), lr=0.1), 0),
        ValueError, r"StepLR: step_size must be a positive integer, got 0"),
    row("clip_grad_norm-negative", lambda: nn.utils.clip_grad_norm_(params(), -1.0), ValueError,
        r"clip_grad_norm_: max_norm must be >= 0, got -1.0"),
    row("dropout-negative-p", lambda: nn.Dropout(-0.1), ValueError,
        r"Dropout: dropout probability has to be between 0 and 1, but got -0.1"),
    row("conv-kernel-larger-than-input", lambda: nn.Conv2d(1, 1, 5)(randn(1, 1, 3, 3)),
        ValueError, r"conv2d: kernel size \(5, 5\) is larger than the padded input \(3, 3\)"),
    row("conv-wrong-channels", lambda: nn.Conv2d(3, 1, 3)(randn(1, 2, 5, 5)), ValueError,
        r"Conv2d\(3, 1, .*expected input of shape \(N, 3, H, W\), got \(1, 2, 5, 5\)"),
    row("conv-zero-stride", lambda: nn.Conv2d(1, 1, 3, stride=0), ValueError,
        r"Conv2d: kernel_size and stride must be positive"),
    row("max_pool-kernel-larger-than-input", lambda: nn.MaxPool2d(4)(randn(1, 1, 3, 3)),
        ValueError, r"max_pool2d: kernel size \(4, 4\) is larger than the padded input"),
    row("avg_pool-not-4d", lambda: nn.AvgPool2d(2)(randn(4, 4)), ValueError,
        r"AvgPool2d\(.*expected input of shape \(N, C, H, W\), got \(4, 4\)"),
    row("batch_norm-wrong-channels", lambda: nn.BatchNorm1d(3)(randn(4, 5)), ValueError,
        r"BatchNorm1d\(3\): expected input of shape \(N, C\) or \(N, C, L\) with C=3"),
    row("batch_norm-single-sample", lambda: nn.BatchNorm1d(3)(randn(1, 3)), ValueError,
        r"BatchNorm1d: Expected more than 1 value per channel when training"),
    row("functional-batch_norm-weight-shape",
        lambda: nn.functional.batch_norm(randn(4, 3), ag.zeros(3), ag.ones(3), ag.ones(4),
                                         training=True), ValueError,
        r"batch_norm: weight must have shape \(3,\) \(one value per channel of the input\), "
        r"got \(4,\)"),
    row("batch_norm-empty-batch", lambda: nn.BatchNorm1d(3)(randn(0, 3)), ValueError,
        r"BatchNorm1d: Expected more than 1 value per channel"),
    row("layer_norm-wrong-shape", lambda: nn.LayerNorm(4)(randn(2, 3)), ValueError,
        r"LayerNorm\(\(4,\)\): expected input of shape \(\*, 4\), got \(2, 3\)"),
    # recurrent
    row("rnn-input-ndim", lambda: nn.GRU(3, 4)(randn(2, 2, 2, 3)), ValueError,
        r"GRU: Expected input to be 2D or 3D, got 4D tensor instead \(shape \(2, 2, 2, 3\)\)"),
    row("rnn-input-size", lambda: nn.LSTM(3, 4)(randn(5, 2, 2)), ValueError,
        r"LSTM: input.size\(-1\) must be equal to input_size. Expected 3, got 2"),
    row("rnn-empty-sequence", lambda: nn.GRU(3, 4)(randn(0, 2, 3)), ValueError,
        r"GRU: Expected sequence length to be larger than 0, got input of shape \(0, 2, 3\)"),
    row("rnn-hidden-shape", lambda: nn.GRU(3, 4, num_layers=2)(randn(5, 2, 3), randn(1, 2, 4)),
        ValueError, r"GRU: Expected hidden size \(2, 2, 4\), got \(1, 2, 4\)"),
    row("lstm-cell-state-shape",
        lambda: nn.LSTM(3, 4)(randn(5, 2, 3), (randn(1, 2, 4), randn(1, 3, 4))), ValueError,
        r"LSTM: Expected hidden\[1\] size \(1, 2, 4\), got \(1, 3, 4\)"),
    row("lstm-hx-not-a-pair", lambda: nn.LSTM(3, 4)(randn(5, 2, 3), randn(1, 2, 4)), TypeError,
        r"LSTM: hx must be a tuple \(h_0, c_0\), got Tensor"),
    row("rnn-unbatched-3d-hx", lambda: nn.RNN(3, 4)(randn(5, 3), randn(1, 2, 4)), ValueError,
        r"RNN: For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    row("rnn-nonlinearity", lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError,
        r"RNN: unknown nonlinearity 'sigmoid'; choose 'tanh' or 'relu'"),
    row("rnn-dropout-range", lambda: nn.GRU(3, 4, num_layers=2, dropout=1.5), ValueError,
        r"GRU: dropout should be a number in range \[0, 1\].*got 1.5"),
    row("rnn-hidden-size", lambda: nn.LSTM(3, 0), ValueError,
        r"LSTM: hidden_size must be a positive int, got 0"),
    row("lstm-proj-size", lambda: nn.LSTM(3, 4, proj_size=2), NotImplementedError,
        r"LSTM: proj_size is not supported"),
    row("rnn-cell-input-ndim", lambda: nn.GRUCell(3, 4)(randn(2, 2, 3)), ValueError,
        r"GRUCell: Expected input to be 1D or 2D, got 3D instead \(shape \(2, 2, 3\)\)"),
    row("rnn-cell-input-size", lambda: nn.LSTMCell(3, 4)(randn(2, 5)), ValueError,
        r"LSTMCell: input has inconsistent input_size: got 5, expected 3"),
    row("rnn-cell-hidden-shape", lambda: nn.GRUCell(3, 4)(randn(2, 3), randn(3, 4)), ValueError,
        r"GRUCell: hidden state of shape \(3, 4\) does not match input of shape \(2, 3\) "
        r"\(expected \(2, 4\)\)"),
    row("lstm-cell-hx-not-a-pair", lambda: nn.LSTMCell(3, 4)(randn(2, 3), randn(2, 4)),
        TypeError, r"LSTMCell: hx must be a tuple \(h, c\), got Tensor"),
    # the conv family (issue 14)
    row("conv-groups-do-not-divide", lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
        r"Conv2d: in_channels must be divisible by groups, got in_channels=3, groups=2"),
    row("conv-same-with-stride", lambda: nn.Conv2d(1, 1, 3, stride=2, padding="same"),
        ValueError, r"Conv2d: padding='same' is not supported for strided convolutions"),
    row("conv-dilated-kernel-too-large",
        lambda: nn.Conv2d(1, 1, 3, dilation=3)(randn(1, 1, 6, 6)), ValueError,
        r"conv2d: kernel size \(3, 3\) with dilation \(3, 3\) spans \(7, 7\), which is larger "
        r"than the padded input \(6, 6\)"),
    row("conv-reflect-padding-too-large",
        lambda: nn.Conv2d(1, 1, 3, padding=2, padding_mode="reflect")(randn(1, 1, 2, 4)),
        ValueError, r"padding \(2, 2\) is too large for padding_mode='reflect' on an axis of "
                    r"size 2"),
    row("conv1d-wrong-channels", lambda: nn.Conv1d(3, 1, 3)(randn(1, 2, 5)), ValueError,
        r"Conv1d\(3, 1, .*expected input of shape \(N, 3, L\), got \(1, 2, 5\)"),
    row("conv_transpose-output-padding",
        lambda: nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)(randn(1, 1, 3, 3)),
        ValueError, r"conv_transpose2d: output_padding must be non-negative and smaller than "
                    r"either stride or dilation, got output_padding \(2, 2\), stride \(2, 2\)"),
    row("max_pool-dilated-padding", lambda: nn.MaxPool2d(2, padding=2)(randn(1, 1, 6, 6)),
        ValueError, r"max_pool2d: padding \(2, 2\) must be at most half of kernel_size"),
    row("max_pool1d-not-3d", lambda: nn.MaxPool1d(2)(randn(1, 1, 4, 4)), ValueError,
        r"MaxPool1d\(.*expected input of shape \(N, C, L\), got \(1, 1, 4, 4\)"),
    row("adaptive_avg_pool-zero-size", lambda: nn.AdaptiveAvgPool2d(0)(randn(1, 1, 4, 4)),
        ValueError, r"adaptive_avg_pool2d: output_size \(0, 0\) .*must be positive"),
    row("interpolate-both-size-and-scale",
        lambda: nn.Upsample(size=4, scale_factor=2)(randn(1, 1, 2, 2)), ValueError,
        r"interpolate: either size or scale_factor should be defined, and only one of them"),
    row("interpolate-bilinear-on-3d", lambda: nn.Upsample(size=4, mode="bilinear")(randn(1, 1, 2)),
        ValueError, r"interpolate: mode 'bilinear' expects a 4-D input, got shape \(1, 1, 2\)"),
    row("group_norm-indivisible", lambda: nn.GroupNorm(3, 4), ValueError,
        r"GroupNorm: num_channels \(4\) must be divisible by num_groups \(3\)"),
    row("dropout2d-bad-p", lambda: nn.Dropout2d(-0.5), ValueError,
        r"Dropout2d: dropout probability has to be between 0 and 1, but got -0.5"),
    # more activations and losses (issue 14)
    row("prelu-weight-2d", lambda: nn.functional.prelu(randn(2, 3), ones(1, 3)), ValueError,
        r"prelu: weight must be 0-d or 1-D \(one slope per channel\), got shape \(1, 3\)"),
    row("prelu-channels", lambda: nn.PReLU(4)(randn(2, 3, 5)), ValueError,
        r"prelu: weight has 4 slopes but the input of shape \(2, 3, 5\) has 3 channel"),
    row("prelu-channels-1d", lambda: nn.PReLU(3)(randn(3)), ValueError,
        r"prelu: weight has 3 slopes but the input of shape \(3,\) has 1 channel"),
    row("prelu-num-parameters", lambda: nn.PReLU(0), ValueError,
        r"PReLU: num_parameters must be a positive int, got 0"),
    row("celu-alpha-zero", lambda: nn.CELU(0.0), ValueError, r"CELU: alpha cannot be 0"),
    row("celu-functional-alpha-zero", lambda: nn.functional.celu(randn(3), 0.0), ValueError,
        r"celu: alpha cannot be 0"),
    row("hardtanh-bounds", lambda: nn.functional.hardtanh(randn(3), 1.0, -1.0), ValueError,
        r"hardtanh: min_val cannot be greater than max_val, got min_val=1.0, max_val=-1.0"),
    row("hardtanh-module-bounds", lambda: nn.Hardtanh(2.0, 2.0), ValueError,
        r"Hardtanh: max_val \(2.0\) must be greater than min_val \(2.0\)"),
    row("softmin-axis-and-dim", lambda: nn.functional.softmin(randn(2, 3), axis=1, dim=0),
        TypeError, r"got both axis=1 and dim=0"),
    row("inplace-activation-on-leaf", lambda: nn.functional.elu(ones(3, requires_grad=True),
                                                                inplace=True),
        RuntimeError, r"elu_: a leaf tensor that requires grad is being used in an in-place"),
    row("kl_div-reduction", lambda: nn.functional.kl_div(randn(2, 3), randn(2, 3),
                                                         reduction="batch"),
        ValueError, r"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
                    r"'batch'"),
    row("kldivloss-reduction", lambda: nn.KLDivLoss(reduction="avg"), ValueError,
        r"KLDivLoss: reduction must be 'mean', 'batchmean', 'sum' or 'none', got 'avg'"),
    row("kl_div-shapes", lambda: nn.functional.kl_div(randn(2, 3), randn(3), reduction="sum"),
        ValueError, r"kl_div: input shape \(2, 3\) and target shape \(3,\) must be equal"),
    row("smooth_l1-negative-beta", lambda: nn.functional.smooth_l1_loss(randn(3), randn(3),
                                                                        beta=-1.0),
        ValueError, r"smooth_l1_loss: beta must be non-negative, got -1.0"),
    row("smoothl1loss-negative-beta", lambda: nn.SmoothL1Loss(beta=-0.5), ValueError,
        r"SmoothL1Loss: beta must be non-negative, got -0.5"),
    row("smoothl1loss-reduction", lambda: nn.SmoothL1Loss(reduction="batchmean"), ValueError,
        r"SmoothL1Loss: reduction must be 'mean', 'sum' or 'none', got 'batchmean'"),
    row("smooth_l1-shapes", lambda: nn.SmoothL1Loss()(randn(4, 1), randn(4)), ValueError,
        r"smooth_l1_loss: input shape \(4, 1\) and target shape \(4,\) must be equal"),
    row("cosine_embedding-zero-one-labels",
        lambda: nn.CosineEmbeddingLoss()(randn(3, 2), randn(3, 2), np.array([1, 0, 1])),
        ValueError, r"cosine_embedding_loss: target must hold 1 \(similar\) or -1 "
                    r"\(dissimilar\), got 0 at index \(1,\)"),
    row("cosine_embedding-target-shape",
        lambda: nn.CosineEmbeddingLoss()(randn(3, 4), randn(3, 4), np.ones(4)), ValueError,
        r"cosine_embedding_loss: expected inputs \(N, D\) with a target \(N,\), or inputs "
        r"\(D,\) with a 0-d target; got inputs \(3, 4\) and target \(4,\)"),
    row("cosine_embedding-input-shapes",
        lambda: nn.CosineEmbeddingLoss()(randn(3, 4), randn(3, 5), np.ones(3)), ValueError,
        r"cosine_embedding_loss: input1 \(3, 4\), input2 \(3, 5\) must all have the same "
        r"shape"),
    row("cosine_embedding-margin", lambda: nn.CosineEmbeddingLoss(margin=1.5), ValueError,
        r"CosineEmbeddingLoss: margin must be a finite number in \[-1, 1\], got 1.5"),
    row("cosine_embedding-reduction", lambda: nn.CosineEmbeddingLoss(reduction="avg"),
        ValueError, r"CosineEmbeddingLoss: reduction must be 'mean', 'sum' or 'none'"),
    row("margin_ranking-shapes",
        lambda: nn.MarginRankingLoss()(randn(3), randn(3), np.ones((1, 3))), ValueError,
        r"margin_ranking_loss: input1 \(3,\), input2 \(3,\), target \(1, 3\) must all have "
        r"the same shape"),
    row("margin_ranking-margin", lambda: nn.MarginRankingLoss(margin=float("nan")), ValueError,
        r"MarginRankingLoss: margin must be a finite number, got nan"),
    row("margin_ranking-functional-margin",
        lambda: nn.functional.margin_ranking_loss(randn(2), randn(2), np.ones(2), margin="1"),
        ValueError, r"margin_ranking_loss: margin must be a finite number, got '1'"),
    row("margin_ranking-integer-input",
        lambda: nn.functional.margin_ranking_loss(np.arange(3), randn(3), np.ones(3)),
        TypeError, r"margin_ranking_loss: input must be a floating-point tensor, got dtype int64"),
    # attention
    row("sdpa-1d-inputs",
        lambda: nn.functional.scaled_dot_product_attention(randn(4), randn(4), randn(4)),
        ValueError, r"scaled_dot_product_attention: query, key and value must be at least 2-D, "
                    r"got shapes \(4,\), \(4,\) and \(4,\)"),
    row("sdpa-mixed-dtypes",
        lambda: nn.functional.scaled_dot_product_attention(randn(2, 3), randn(2, 3).float(),
                                                           randn(2, 3)),
        TypeError, r"scaled_dot_product_attention: query, key and value must have the same "
                   r"floating dtype, got float64, float32 and float64"),
    row("sdpa-feature-mismatch",
        lambda: nn.functional.scaled_dot_product_attention(randn(2, 3), randn(5, 4), randn(5, 2)),
        ValueError, r"scaled_dot_product_attention: expected query \(..., L, E\), key "
                    r"\(..., S, E\) and value \(..., S, Ev\), got \(2, 3\), \(5, 4\)"),
    row("sdpa-batch-mismatch",
        lambda: nn.functional.scaled_dot_product_attention(randn(2, 2, 3), randn(3, 5, 3),
                                                           randn(3, 5, 3)),
        ValueError, r"scaled_dot_product_attention: the batch dimensions of query \(2, 2, 3\), "
                    r"key \(3, 5, 3\) and value \(3, 5, 3\) do not broadcast"),
    row("sdpa-mask-shape",
        lambda: nn.functional.scaled_dot_product_attention(
            randn(2, 3), randn(5, 3), randn(5, 3), attn_mask=np.ones((2, 4), bool)),
        ValueError, r"scaled_dot_product_attention: attn_mask of shape \(2, 4\) does not "
                    r"broadcast to the scores' shape \(2, 5\)"),
    row("sdpa-integer-mask",
        lambda: nn.functional.scaled_dot_product_attention(
            randn(2, 3), randn(5, 3), randn(5, 3), attn_mask=np.ones((2, 5), int)),
        TypeError, r"scaled_dot_product_attention: only bool and floating masks are supported, "
                   r"got dtype int64"),
    row("sdpa-causal-and-mask",
        lambda: nn.functional.scaled_dot_product_attention(
            randn(2, 3), randn(2, 3), randn(2, 3), attn_mask=np.ones((2, 2), bool),
            is_causal=True),
        ValueError, r"scaled_dot_product_attention: an explicit attn_mask should not be set "
                    r"when is_causal=True"),
    row("sdpa-bad-dropout",
        lambda: nn.functional.scaled_dot_product_attention(randn(2, 3), randn(2, 3),
                                                           randn(2, 3), dropout_p=1.5),
        ValueError, r"scaled_dot_product_attention: dropout probability has to be between 0 "
                    r"and 1, but got 1.5"),
    row("sdpa-gqa-heads-do-not-divide",
        lambda: nn.functional.scaled_dot_product_attention(
            randn(4, 2, 3), randn(3, 2, 3), randn(3, 2, 3), enable_gqa=True),
        ValueError, r"scaled_dot_product_attention: with enable_gqa the number of heads "
                    r"\(dimension -3\) of key \(3, 2, 3\) and value \(3, 2, 3\) must be equal "
                    r"and divide the query's \(4, 2, 3\)"),
    row("mha-heads-do-not-divide", lambda: nn.MultiheadAttention(6, 4), ValueError,
        r"MultiheadAttention: embed_dim \(6\) must be divisible by num_heads \(4\)"),
    row("mha-4d-query", lambda: nn.MultiheadAttention(4, 2)(*[randn(1, 2, 3, 4)] * 3),
        ValueError, r"MultiheadAttention\(4, 2\): query should be unbatched 2-D or batched "
                    r"3-D, got shape \(1, 2, 3, 4\)"),
    row("mha-wrong-features", lambda: nn.MultiheadAttention(4, 2)(*[randn(3, 2, 5)] * 3),
        ValueError, r"MultiheadAttention\(4, 2\): expected query with 4 features \(last "
                    r"dimension\), got shape \(3, 2, 5\)"),
    row("mha-padding-mask-shape",
        lambda: nn.MultiheadAttention(4, 2)(*[randn(3, 2, 4)] * 3,
                                            key_padding_mask=np.zeros((3, 2), bool)),
        ValueError, r"MultiheadAttention\(4, 2\): expected key_padding_mask of shape "
                    r"\(2, 3\) \(N, S\), got \(3, 2\)"),
    row("mha-attn-mask-shape",
        lambda: nn.MultiheadAttention(4, 2)(*[randn(3, 2, 4)] * 3,
                                            attn_mask=np.zeros((2, 3, 3), bool)),
        ValueError, r"MultiheadAttention\(4, 2\): the 3-D attn_mask has shape \(2, 3, 3\), "
                    r"but should be \(4, 3, 3\)"),
    row("mha-key-value-lengths",
        lambda: nn.MultiheadAttention(4, 2)(randn(3, 2, 4), randn(3, 2, 4), randn(5, 2, 4)),
        ValueError, r"MultiheadAttention\(4, 2\): key \(3, 2, 4\) and value \(5, 2, 4\) have "
                    r"different sequence lengths"),
    row("encoder-layer-bad-activation",
        lambda: nn.TransformerEncoderLayer(4, 2, activation="swish"), ValueError,
        r"TransformerEncoderLayer: activation should be relu/gelu, not 'swish'"),
    row("encoder-bad-num-layers",
        lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), 0), ValueError,
        r"TransformerEncoder: num_layers must be a positive int, got 0"),
]


@pytest.mark.parametrize("call, error, message", NN_CASES)
def test_misuse_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------ bad input never corrupts state


def snapshot(model, optimizer=None) -> dict:
    """Deep copies of every parameter, gradient, buffer and the optimizer's state."""
    state = {name: np.array(value) for name, value in model.state_dict().items()}
    state.update({f"{name}.grad": None if p.grad is None else p.grad.data.copy()
                  for name, p in model.named_parameters()})
    if optimizer is not None:
        state["optimizer"] = copy.deepcopy(optimizer.state_dict())
    return state


def assert_unchanged(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for key in before:
        if key == "optimizer":
            assert before[key]["param_groups"] == after[key]["param_groups"]
            assert before[key]["state"].keys() == after[key]["state"].keys()
            for index, values in before[key]["state"].items():
                for name, value in values.items():
                    np.testing.assert_array_equal(after[key]["state"][index][name], value)
        elif before[key] is None:
            assert after[key] is None, key
        else:
            np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def trained_model(make_optimizer):
    """A two-layer model after one optimizer step (so the optimizer has state), fresh grads."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    optimizer = make_optimizer(model.parameters())
    for _ in range(2):
        optimizer.zero_grad()
        model(ag.Tensor(rng.standard_normal((5, 3)).astype(np.float32))).sum().backward()
        optimizer.step()
    model(ag.Tensor(rng.standard_normal((5, 3)).astype(np.float32))).sum().backward()
    return model, optimizer


OPTIMIZERS = [
    pytest.param(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), id="SGD-momentum"),
    pytest.param(lambda ps: optim.Adam(ps, lr=0.01), id="Adam"),
    pytest.param(lambda ps: optim.RMSprop(ps, lr=0.01, centered=True), id="RMSprop"),
]


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_optimizer_step_that_raises_changes_no_parameter_and_no_state(make_optimizer):
    model, optimizer = trained_model(make_optimizer)
    # the last parameter's gradient has the wrong shape (set past the check of ``.grad =``,
    # which refuses it, to exercise the optimizer's own all-or-nothing validation)
    model[2].bias._grad = ag.zeros(5)
    before = snapshot(model, optimizer)
    with pytest.raises(ValueError, match=r"gradient of shape \(5,\) does not match"):
        optimizer.step()
    assert_unchanged(before, snapshot(model, optimizer))


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_optimizer_step_whose_closure_raises_changes_nothing(make_optimizer):
    model, optimizer = trained_model(make_optimizer)
    before = snapshot(model, optimizer)

    def closure():
        raise KeyError("data loader failed")

    with pytest.raises(KeyError):
        optimizer.step(closure)
    assert_unchanged(before, snapshot(model, optimizer))


def test_failed_optimizer_load_state_dict_changes_nothing():
    model, optimizer = trained_model(lambda ps: optim.Adam(ps, lr=0.01))
    saved = optimizer.state_dict()
    saved["param_groups"][0]["lr"] = 0.5
    saved["state"][3]["exp_avg"] = np.zeros(7)  # the last parameter has shape (2,)
    before = snapshot(model, optimizer)
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 3 has shape \(7,\)"):
        optimizer.load_state_dict(saved)
    assert_unchanged(before, snapshot(model, optimizer))


def test_failed_model_load_state_dict_loads_nothing(tmp_path):
    model, _ = trained_model(lambda ps: optim.SGD(ps, lr=0.1))
    other = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))  # last layer differs
    nn.save(other.state_dict(), tmp_path / "other.npz")
    before = snapshot(model)
    with pytest.raises(RuntimeError, match=r"size mismatch for '2.weight'"):
        model.load_state_dict(nn.load(tmp_path / "other.npz"))
    assert_unchanged(before, snapshot(model))


def test_forward_that_raises_part_way_changes_no_parameter_or_gradient():
    model, _ = trained_model(lambda ps: optim.SGD(ps, lr=0.1))
    broken = nn.Sequential(model[0], model[1], nn.Linear(5, 2))  # 4 features reach it
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"expected input with last dimension 5"):
        broken(ag.ones(2, 3))
    assert_unchanged(before, snapshot(model))
