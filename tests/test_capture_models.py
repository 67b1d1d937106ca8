"""ag.capture on the library's recurrent and attention models: 100 training steps, eager
and captured from the same seed, bitwise equal (losses, parameters and buffers).

``nn.GRU`` and ``nn.LSTM`` run their time loops inside single ops; the transformer
draws dropout masks in attention and in its blocks, and takes a key-padding mask that
changes from batch to batch (computed from the data: each replay must use its own).
"""

import numpy as np

import autograd as ag
import nn


def _train(make_model, make_optimizer, batches, loss_of, captured: bool):
    """Train from seed 0; the model, the losses and the captured step (or None)."""
    np.random.seed(0)
    model = make_model()
    optimizer = make_optimizer(model.parameters())

    def step(*args):
        optimizer.zero_grad()
        loss = loss_of(model, *args)
        loss.backward()
        optimizer.step()
        return loss

    run = ag.capture(step) if captured else step
    losses = [np.array(run(*(ag.Tensor(a) for a in batch)).data) for batch in batches]
    return model, losses, run if captured else None


def _assert_same_training(make_model, make_optimizer, batches, loss_of, recordings: int):
    eager, eager_losses, _ = _train(make_model, make_optimizer, batches, loss_of, False)
    captured, captured_losses, run = _train(make_model, make_optimizer, batches, loss_of, True)
    assert run.recordings == recordings
    assert all(np.array_equal(a, b) for a, b in zip(eager_losses, captured_losses))
    eager_state, captured_state = eager.state_dict(), captured.state_dict()
    assert eager_state.keys() == captured_state.keys()
    for name in eager_state:
        a, b = np.array(eager_state[name]), np.array(captured_state[name])
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    np.random.seed(0)
    initial = make_model().state_dict()
    assert any(not np.array_equal(np.array(initial[k]), np.array(eager_state[k]))
               for k in initial)  # the training moved the parameters


def _sequences(steps: int, batch: int, length: int, features: int, classes: int,
               small_every: int, seed: int = 1) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(steps):
        n = batch - 2 if i % small_every == small_every - 1 else batch
        out.append((rng.standard_normal((n, length, features)).astype(np.float32),
                    rng.integers(0, classes, n)))
    return out


class _Recurrent(nn.Module):
    """A two-layer recurrent network (dropout between the layers), read out at the last step
    and, through the final hidden state, from the top layer."""

    def __init__(self, kind, features: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.rnn = kind(features, hidden, num_layers=2, dropout=0.2, batch_first=True)
        self.out = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        output, state = self.rnn(x)
        last = (state[0] if isinstance(state, tuple) else state)[-1]
        return self.out(ag.concatenate([output[:, -1], last], axis=1))


def _classify(model, x, y):
    return nn.functional.cross_entropy(model(x), y)


def test_gru_two_layers_with_dropout_100_steps_bitwise_equal():
    _assert_same_training(lambda: _Recurrent(nn.GRU, 5, 12, 4),
                          lambda params: nn.optim.Adam(params, lr=0.01),
                          _sequences(100, 8, 7, 5, 4, small_every=20), _classify,
                          recordings=2)


def test_lstm_two_layers_with_dropout_100_steps_bitwise_equal():
    _assert_same_training(lambda: _Recurrent(nn.LSTM, 5, 12, 4),
                          lambda params: nn.optim.SGD(params, lr=0.1, momentum=0.9),
                          _sequences(100, 8, 7, 5, 4, small_every=20), _classify,
                          recordings=2)


class _Encoder(nn.Module):
    """Token embeddings, a two-layer transformer encoder with dropout, a per-token head."""

    def __init__(self, vocab: int, d_model: int, norm_first: bool) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        layer = nn.TransformerEncoderLayer(d_model, 2, 24, dropout=0.2, batch_first=True,
                                           norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, vocab)

    def forward(self, tokens, padding=None, causal=False):
        length = tokens.shape[1]
        mask = np.triu(np.full((length, length), -np.inf, np.float32), 1) if causal else None
        return self.head(self.encoder(self.embed(tokens), mask=mask,
                                      src_key_padding_mask=padding, is_causal=causal))


def _tokens(steps: int, batch: int, length: int, vocab: int, small_every: int,
            seed: int = 2) -> list:
    """Token batches, their next-token targets and a key-padding mask (True: padding at the
    end of each sequence, a different length for every row and batch)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(steps):
        n = batch - 2 if i % small_every == small_every - 1 else batch
        tokens = rng.integers(0, vocab, (n, length + 1))
        kept = rng.integers(2, length + 1, n)
        padding = np.arange(length)[None, :] >= kept[:, None]
        out.append((tokens[:, :-1], tokens[:, 1:], padding))
    return out


def _language_model(model, tokens, targets, padding):
    logits = model(tokens, padding)
    return nn.functional.cross_entropy(logits.reshape((-1, logits.shape[-1])),
                                       targets.reshape(-1))


def test_transformer_encoder_with_dropout_and_padding_masks_bitwise_equal():
    _assert_same_training(lambda: _Encoder(11, 16, norm_first=False),
                          lambda params: nn.optim.AdamW(params, lr=0.01),
                          _tokens(100, 6, 9, 11, small_every=25), _language_model,
                          recordings=2)


def test_causal_transformer_with_dropout_bitwise_equal():
    def causal_lm(model, tokens, targets):
        logits = model(tokens, causal=True)
        return nn.functional.cross_entropy(logits.reshape((-1, logits.shape[-1])),
                                           targets.reshape(-1))

    batches = [(tokens, targets) for tokens, targets, _ in _tokens(100, 6, 9, 11, 25)]
    _assert_same_training(lambda: _Encoder(11, 16, norm_first=True),
                          lambda params: nn.optim.SGD(params, lr=0.1, momentum=0.9),
                          batches, causal_lm, recordings=2)


def test_multihead_attention_padding_mask_is_read_in_every_replay():
    """The same queries with a different padding mask in each call: each replay's output
    must be the one the eager layer gives for that mask, not the recorded mask's."""
    np.random.seed(0)
    attention = nn.MultiheadAttention(8, 2, batch_first=True)
    run = ag.capture(lambda x, padding: attention(x, x, x, key_padding_mask=padding)[0])
    x = ag.Tensor(np.random.default_rng(0).standard_normal((3, 5, 8)).astype(np.float32))
    for kept in ([5, 5, 5], [5, 5, 5], [1, 3, 4], [2, 5, 1], [4, 4, 2]):
        padding = ag.Tensor(np.arange(5)[None, :] >= np.array(kept)[:, None])
        captured = run(x, padding).data
        with ag.no_grad():
            eager = attention(x, x, x, key_padding_mask=padding)[0].data
        assert np.array_equal(captured, eager)
    assert run.recordings == 1


def test_bidirectional_lstm_with_initial_states_from_the_data_bitwise_equal():
    """Initial hidden and cell states are step arguments: each replay starts from its own."""
    def make():
        return nn.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True)

    def regress(model, x, h0, c0, target):
        output, _ = model(x, (h0, c0))
        return nn.functional.mse_loss(output, target)

    rng = np.random.default_rng(3)
    batches = [(rng.standard_normal((4, 6, 3)).astype(np.float32),
                rng.standard_normal((4, 4, 5)).astype(np.float32),
                rng.standard_normal((4, 4, 5)).astype(np.float32),
                rng.standard_normal((4, 6, 10)).astype(np.float32)) for _ in range(100)]
    _assert_same_training(make, lambda params: nn.optim.Adam(params, lr=0.01), batches,
                          regress, recordings=1)
