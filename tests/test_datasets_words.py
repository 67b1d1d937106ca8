"""nn.datasets.words: reading a word list, its split, vocabulary and the training pairs."""

import os
import re

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from nn import datasets

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def word_file(tmp_path, text, name="words.txt", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def lecture_contexts(words, block_size):
    """The makemore lecture's build_dataset, written plainly: the reference."""
    X, Y = [], []
    for word in words:
        context = [0] * block_size
        for char in word + ".":
            index = 0 if char == "." else LETTERS.index(char) + 1
            X.append(context)
            Y.append(index)
            context = context[1:] + [index]
    return np.array(X).reshape(-1, block_size), np.array(Y)


def test_only_distinct_lower_case_a_z_words_are_kept(tmp_path):
    text = "emma Olivia don't café emma x1 well-known\nava\tzoë  noah\n\nava ÉCOLE mia"
    data = datasets.words(word_file(tmp_path, text), split=(1.0, 0.0, 0.0))
    assert sorted(data.train) == ["ava", "emma", "mia", "noah"]
    assert data.val == data.test == ()
    assert data.tokens == 13 and data.kept == 4 and data.max_length == 4


def test_the_vocabulary_is_the_end_token_then_a_to_z():
    assert datasets.Words.itos == tuple("." + LETTERS) and datasets.Words.vocab_size == 27
    assert datasets.Words.stoi["."] == 0 and datasets.Words.stoi["z"] == 26


def test_split_is_80_10_10_disjoint_and_covers_every_word(tmp_path):
    words = [a + b for a in LETTERS[:10] for b in LETTERS[:10]]
    data = datasets.words(word_file(tmp_path, "\n".join(words)))
    assert (len(data.train), len(data.val), len(data.test)) == (80, 10, 10)
    assert sorted(data.train + data.val + data.test) == sorted(words)


def test_split_follows_the_seed_and_not_the_order_of_the_file(tmp_path):
    words = [a + b for a in LETTERS for b in LETTERS[:4]]
    forward = datasets.words(word_file(tmp_path, "\n".join(words), "a.txt"), seed=3)
    backward = datasets.words(word_file(tmp_path, "\n".join(reversed(words)), "b.txt"), seed=3)
    other = datasets.words(word_file(tmp_path, "\n".join(words), "a.txt"), seed=4)
    assert (forward.train, forward.val, forward.test) == \
        (backward.train, backward.val, backward.test)
    assert forward.train != other.train


def test_encode_and_decode(tmp_path):
    data = datasets.words(word_file(tmp_path, "emma"), split=(1.0, 0.0, 0.0))
    assert data.encode("emma").tolist() == [5, 13, 13, 1] and data.encode("emma").dtype == np.int64
    assert data.decode([5, 13, 13, 1]) == "emma"
    assert data.decode(np.array([[1, 2, 0, 3]])) == "ab"  # stops at the end token
    with pytest.raises(ValueError, match="Words.encode: 'Emma' is not a lower-case"):
        data.encode("Emma")
    with pytest.raises(ValueError, match=r"Words.decode: ids must be integers in \[0, 27\)"):
        data.decode([1, 27])


def test_contexts_are_the_lectures_pairs(tmp_path):
    data = datasets.words(word_file(tmp_path, "emma ava sophia a"), split=(1.0, 0.0, 0.0))
    X, Y = data.contexts("train", 3)
    assert X.dtype == Y.dtype == np.int64
    expected_X, expected_Y = lecture_contexts(data.train, 3)
    np.testing.assert_array_equal(X, expected_X)
    np.testing.assert_array_equal(Y, expected_Y)
    emma = data.train.index("emma")
    start = sum(len(word) + 1 for word in data.train[:emma])
    assert X[start:start + 5].tolist() == [[0, 0, 0], [0, 0, 5], [0, 5, 13], [5, 13, 13],
                                           [13, 13, 1]]
    assert Y[start:start + 5].tolist() == [5, 13, 13, 1, 0]


@pytest.mark.parametrize("block_size", [1, 2, 5, 8])
def test_contexts_of_any_block_size(tmp_path, block_size):
    data = datasets.words(word_file(tmp_path, "emma ava sophia a zz"), split=(0.6, 0.2, 0.2))
    for split in ("train", "val", "test"):
        X, Y = data.contexts(split, block_size)
        expected_X, expected_Y = lecture_contexts(data.split(split), block_size)
        np.testing.assert_array_equal(X, expected_X)
        np.testing.assert_array_equal(Y, expected_Y)


def test_sequences_pad_inputs_with_zeros_and_targets_with_ignore_index(tmp_path):
    data = datasets.words(word_file(tmp_path, "emma ab"), split=(1.0, 0.0, 0.0))
    X, Y = data.sequences("train")
    rows = {data.train[i]: (X[i].tolist(), Y[i].tolist()) for i in range(2)}
    assert rows["emma"] == ([0, 5, 13, 13, 1], [5, 13, 13, 1, 0])
    assert rows["ab"] == ([0, 1, 2, 0, 0], [1, 2, 0, -100, -100])
    X, Y = data.sequences("train", length=7)
    assert X.shape == Y.shape == (2, 7) and X.dtype == Y.dtype == np.int64


def test_sequences_hold_the_same_pairs_as_contexts(tmp_path):
    """Y[i, t] follows X[i, :t + 1]: the targets, and the last input of each prefix, match
    the context pairs read in the same order."""
    data = datasets.words(word_file(tmp_path, "emma ava sophia a zz olivia"),
                          split=(1.0, 0.0, 0.0))
    X, Y = data.sequences("train")
    contexts, targets = data.contexts("train", data.max_length + 1)
    kept = Y != -100
    np.testing.assert_array_equal(Y[kept], targets)
    np.testing.assert_array_equal(X[kept], contexts[:, -1])
    for (i, t), context in zip(np.argwhere(kept), contexts):
        np.testing.assert_array_equal(X[i, :t + 1], context[-(t + 1):])


def test_cross_entropy_of_sequences_averages_over_real_characters(tmp_path):
    data = datasets.words(word_file(tmp_path, "emma ab"), split=(1.0, 0.0, 0.0))
    X, Y = data.sequences("train")
    logits = np.random.default_rng(0).standard_normal(X.shape + (27,))
    loss = F.cross_entropy(ag.tensor(logits).view(-1, 27), ag.tensor(Y).view(-1))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    kept = np.argwhere(Y != -100)
    expected = -np.mean([log_probs[i, t, Y[i, t]] for i, t in kept])  # 5 + 3 characters
    assert len(kept) == 8 and np.isclose(loss.item(), expected, rtol=1e-12)


@pytest.mark.skipif(not os.path.isfile(datasets.WORDS_PATH), reason="needs wamerican")
def test_the_default_word_list():
    data = datasets.words()
    assert data.path == datasets.WORDS_PATH and data.kept > 50_000
    everything = data.train + data.val + data.test
    assert len(set(everything)) == len(everything) == data.kept
    assert all(re.fullmatch("[a-z]+", word) for word in everything)
    assert abs(len(data.val) - 0.1 * data.kept) <= 1 and abs(len(data.test) - 0.1 * data.kept) <= 1
    X, Y = data.sequences("val")
    assert X.shape == (len(data.val), data.max_length + 1)


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("  \n\n ", "is empty"),
    ("Hello World don't 42", "none of the 4 tokens .* is a lower-case a-z word"),
])
def test_files_without_words_are_refused(tmp_path, text, message):
    with pytest.raises(ValueError, match=f"words: .*{message}"):
        datasets.words(word_file(tmp_path, text))


def test_a_missing_file_says_how_to_get_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt not found.*apt-get install wamerican"):
        datasets.words(tmp_path / "missing.txt")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = word_file(tmp_path, "caf\xe9 abc", encoding="latin-1")
    with pytest.raises(ValueError, match="is not UTF-8 text .*0xe9 at offset 3"):
        datasets.words(path)


@pytest.mark.parametrize("split", [(0.8, 0.1), (0.8, 0.3, 0.1), (0.0, 0.5, 0.5),
                                   (1.2, -0.1, -0.1), "80/10/10"])
def test_bad_split_fractions_are_refused(tmp_path, split):
    with pytest.raises(ValueError, match="words: split must be three fractions"):
        datasets.words(word_file(tmp_path, "abc"), split=split)


def test_too_few_words_for_the_split_are_refused(tmp_path):
    with pytest.raises(ValueError, match="3 distinct words .* too few .* val would be empty"):
        datasets.words(word_file(tmp_path, "ab cd ef ab"))


def test_bad_arguments_of_the_helpers(tmp_path):
    data = datasets.words(word_file(tmp_path, "emma ab"), split=(1.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="unknown split 'validation'"):
        data.contexts("validation", 3)
    with pytest.raises(ValueError, match="block_size must be a positive int, got 0"):
        data.contexts("train", 0)
    with pytest.raises(ValueError, match="length must be an int >= 5 .* got 4"):
        data.sequences("train", length=4)
