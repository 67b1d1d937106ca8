"""Datasets from files: IDX readers for (Fashion-)MNIST, and word lists for language models.

``words(path)`` reads a word list (by default Debian's ``wamerican``) into train, val and
test splits of lower-case words with a character vocabulary; see :class:`Words`.

IDX layout (all integers big-endian)::

    0x00 0x00 <type code> <ndim>   magic number
    ndim x uint32                  size of each dimension
    data                           prod(sizes) values of the type, row-major

Files may be gzip-compressed; compression is recognised by the gzip magic
bytes, not by the file name. Nothing is unpickled.
"""

from __future__ import annotations

import gzip
import math
import os
import re
import string
import struct
import zlib
from collections.abc import Sequence
from typing import BinaryIO, Union

import numpy as np

__all__ = ["load_idx", "fashion_mnist", "mnist", "FASHION_MNIST_ROOT", "FASHION_MNIST_CLASSES",
           "words", "Words", "WORDS_PATH"]

PathLike = Union[str, "os.PathLike[str]"]

WORDS_PATH = "/usr/share/dict/american-english"

FASHION_MNIST_ROOT = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

_GZIP_MAGIC = b"\x1f\x8b"
# IDX type code -> big-endian dtype of the stored values
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_MNIST_HELP = (
    "Download the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) from "
    "https://yann.lecun.com/exdb/mnist/ or the mirror "
    "https://ossci-datasets.s3.amazonaws.com/mnist/ into that directory "
    "(gzipped or not)."
)
_FASHION_HELP = (
    "On Debian/Ubuntu install it with `sudo apt-get install dataset-fashion-mnist`, or download "
    "the four files from https://github.com/zalandoresearch/fashion-mnist (data/fashion/) into "
    "a directory and pass it as root=."
)


_CHUNK = 1 << 20  # bytes read at a time, so memory follows the data really there
_SLACK = 1 << 16  # how far past the declared size a gzip stream is read to report its excess


def _read_up_to(stream: BinaryIO, count: int) -> bytearray:
    """Up to ``count`` bytes (fewer only at the end of the stream), read in chunks."""
    data = bytearray()
    while len(data) < count:
        chunk = stream.read(min(count - len(data), _CHUNK))
        if not chunk:
            break
        data += chunk
    return data


def _read_idx(stream: BinaryIO, name: str, file_size: int | None) -> np.ndarray:
    """Parse the header, then read exactly the data it declares (``file_size``: raw files)."""
    magic = _read_up_to(stream, 4)
    if len(magic) < 4:
        raise ValueError(f"load_idx: {name}: file too short for an IDX header ({len(magic)} bytes)")
    if magic[0] != 0 or magic[1] != 0:
        raise ValueError(
            f"load_idx: {name}: not an IDX file (magic number starts with "
            f"0x{magic[0]:02x} 0x{magic[1]:02x}, expected 0x00 0x00)"
        )
    type_code, ndim = magic[2], magic[3]
    if type_code not in _IDX_DTYPES:
        known = ", ".join(f"0x{code:02x}" for code in _IDX_DTYPES)
        raise ValueError(f"load_idx: {name}: unknown IDX type code 0x{type_code:02x} ({known})")
    header_size = 4 + 4 * ndim
    sizes = _read_up_to(stream, 4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(
            f"load_idx: {name}: truncated header: {ndim} dimensions need {header_size} bytes, "
            f"the file has {4 + len(sizes)}"
        )
    shape = struct.unpack(f">{ndim}I", sizes)
    dtype = _IDX_DTYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize  # a Python int: no overflow
    if file_size is not None:  # raw file: its size is known before reading any data
        found = file_size - header_size
        data = _read_up_to(stream, expected) if found == expected else bytearray()
        has = str(found)
    else:  # gzip: never decompress more than the header promises, plus a little
        data = _read_up_to(stream, expected + _SLACK)
        found = len(data)
        has = f"more than {found}" if found == expected + _SLACK else str(found)
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        raise ValueError(
            f"load_idx: {name}: {problem}: header declares shape {shape} of {dtype.name} "
            f"= {expected} data bytes, the file has {has}"
        )
    values = np.frombuffer(data, dtype=dtype).reshape(shape)  # writable: data is a bytearray
    return values if dtype.isnative else values.astype(dtype.newbyteorder("="))


def load_idx(path: PathLike) -> np.ndarray:
    """Read one IDX file (raw or gzipped) into an array of native byte order.

    Returns an array of shape given by the file's header (e.g. (60000, 28, 28)
    uint8 for MNIST images, (60000,) uint8 for labels) and dtype uint8, int8,
    int16, int32, float32 or float64. Raises ``ValueError`` naming the file
    when the magic number, type code or sizes do not match the file's length.
    The header is checked first and only the data it declares is read: a
    gzipped file that expands past its declared size is refused after
    decompressing at most 64 KiB more than that size.
    """
    name = os.fspath(path)
    with open(path, "rb") as file:
        compressed = file.read(len(_GZIP_MAGIC)) == _GZIP_MAGIC
        file.seek(0)
        if not compressed:
            return _read_idx(file, name, os.fstat(file.fileno()).st_size)
        try:
            with gzip.GzipFile(fileobj=file, mode="rb") as stream:
                return _read_idx(stream, name, None)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"load_idx: {name}: corrupt gzip data ({error})") from error


def _find(root: str, stem: str, dataset: str, help_text: str) -> str:
    # Names seen in the wild: "train-images-idx3-ubyte" and "train-images.idx3-ubyte".
    candidates = [stem, stem.replace("-idx", ".idx")]
    for candidate in candidates:
        for suffix in (".gz", ""):
            path = os.path.join(root, candidate + suffix)
            if os.path.isfile(path):
                return path
    raise FileNotFoundError(f"{dataset}: {stem}[.gz] not found in {root}. {help_text}")


def _load_split(root: str, split: str, dataset: str, help_text: str) -> tuple[np.ndarray, ...]:
    image_stem, label_stem = _SPLITS[split]
    image_path = _find(root, image_stem, dataset, help_text)
    label_path = _find(root, label_stem, dataset, help_text)
    images, labels = load_idx(image_path), load_idx(label_path)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{dataset}: {split} images {images.shape} and labels {labels.shape} in {root} "
            f"are not (N, H, W) images with N labels"
        )
    # Both are unsigned bytes in the MNIST format; converting other types would
    # silently truncate (floats) or wrap (negative integers) the values.
    for path, array in ((image_path, images), (label_path, labels)):
        if array.dtype != np.uint8:
            raise ValueError(f"{dataset}: {path} holds {array.dtype} values; MNIST-style files "
                             "store unsigned bytes (IDX type 0x08)")
    if labels.size and labels.max() >= len(FASHION_MNIST_CLASSES):
        index = int(np.argmax(labels >= len(FASHION_MNIST_CLASSES)))
        raise ValueError(f"{dataset}: {label_path} has label {labels[index]} at index {index}; "
                         "expected 0..9")
    return images, labels.astype(np.int64)


def _load(root: PathLike, dataset: str, help_text: str) -> tuple[tuple[np.ndarray, ...], ...]:
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"{dataset}: directory {root} not found. {help_text}")
    return (
        _load_split(root, "train", dataset, help_text),
        _load_split(root, "test", dataset, help_text),
    )


def fashion_mnist(root: PathLike | None = None) -> tuple[tuple[np.ndarray, ...], ...]:
    """Load Fashion-MNIST: ``(x_train, y_train), (x_test, y_test)``.

    Images are uint8 arrays of shape (60000, 28, 28) and (10000, 28, 28),
    labels int64 arrays in 0..9 (names in ``FASHION_MNIST_CLASSES``). ``root``
    defaults to ``/usr/share/datasets/fashion-mnist`` (Debian's
    ``dataset-fashion-mnist`` package); files may be gzipped or raw. Files whose
    values are not unsigned bytes, or labels outside 0..9, raise ``ValueError``
    (never converted: that would truncate floats); read them with ``load_idx``.
    """
    return _load(FASHION_MNIST_ROOT if root is None else root, "fashion_mnist", _FASHION_HELP)


def mnist(root: PathLike) -> tuple[tuple[np.ndarray, ...], ...]:
    """Load MNIST digits from ``root``: ``(x_train, y_train), (x_test, y_test)``.

    ``root`` holds the standard files ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``). Images are uint8
    (N, 28, 28), labels int64 in 0..9; other value types raise ``ValueError`` as in
    :func:`fashion_mnist`.
    """
    return _load(root, "mnist", _MNIST_HELP)


_WORDS_HELP = (
    "On Debian/Ubuntu install the word list with `sudo apt-get install wamerican`, or pass any "
    "UTF-8 text file of words as path= (e.g. one name per line)."
)
_LOWER_WORD = re.compile("[a-z]+")
IGNORE_INDEX = -100  # cross_entropy's default ignore_index: the padding of sequence targets


class Words:
    """A word list split for character-level language models, as in Karpathy's makemore.

    ``train``, ``val``, ``test``: tuples of distinct lower-case words. The vocabulary is
    fixed, ``itos = (".", "a", ..., "z")`` (``vocab_size`` 27, ``stoi`` the inverse): token 0,
    ``"."``, marks both the start and the end of a word. ``max_length`` is the longest word
    of any split; ``path`` the file read, ``tokens`` how many whitespace-separated tokens it
    held and ``kept`` how many distinct words survived the filter. Built by :func:`words`.
    """

    itos = tuple("." + string.ascii_lowercase)
    stoi = {char: index for index, char in enumerate(itos)}
    vocab_size = len(itos)
    SPLITS = ("train", "val", "test")

    def __init__(self, train: Sequence[str], val: Sequence[str], test: Sequence[str],
                 path: str = "", tokens: int = 0) -> None:
        self.train, self.val, self.test = tuple(train), tuple(val), tuple(test)
        everything = self.train + self.val + self.test
        for word in everything:
            if not _LOWER_WORD.fullmatch(word):
                raise ValueError(f"Words: {word!r} is not a lower-case a-z word")
        self.path, self.tokens, self.kept = path, tokens, len(everything)
        self.max_length = max(map(len, everything), default=0)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(self.split(name))}" for name in self.SPLITS)
        return f"Words({self.path!r}, {sizes}, vocab_size={self.vocab_size}, " \
               f"max_length={self.max_length})"

    def split(self, name: str) -> tuple[str, ...]:
        """The words of split ``name``: ``"train"``, ``"val"`` or ``"test"``."""
        if name not in self.SPLITS:
            raise ValueError(f"Words: unknown split {name!r}; choose one of {self.SPLITS}")
        return getattr(self, name)

    def encode(self, word: str) -> np.ndarray:
        """The token ids of ``word``'s letters, int64 (no start or end token)."""
        if not isinstance(word, str) or not (word == "" or _LOWER_WORD.fullmatch(word)):
            raise ValueError(f"Words.encode: {word!r} is not a lower-case a-z word")
        return _letter_ids(word)

    def decode(self, ids: Sequence[int]) -> str:
        """The letters of ``ids`` up to the first end token ``0`` (left out)."""
        values = np.asarray(ids).ravel()
        if values.dtype.kind not in "iu" or (values.size and (values.min() < 0 or
                                                              values.max() >= self.vocab_size)):
            raise ValueError(f"Words.decode: ids must be integers in [0, {self.vocab_size}), "
                             f"got {values.tolist()}")
        ends = np.flatnonzero(values == 0)
        letters = values[:ends[0]] if ends.size else values
        return "".join(self.itos[i] for i in letters)

    def contexts(self, split: str, block_size: int) -> tuple[np.ndarray, np.ndarray]:
        """(context -> next character) pairs of every word of ``split``, for an MLP.

        Each word ``w`` gives ``len(w) + 1`` pairs: the ``block_size`` tokens before each
        letter and before the end (left-padded with ``0``), and that letter or ``0``.
        ``"emma"`` with block 3 gives ``...->e``, ``..e->m``, ``.em->m``, ``emm->a``,
        ``mma->.``. Returns ``X`` (N, block_size) and ``Y`` (N,), int64.
        """
        if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) \
                or block_size < 1:
            raise ValueError(f"Words.contexts: block_size must be a positive int, "
                             f"got {block_size!r}")
        words = self.split(split)
        lengths = np.array([len(word) for word in words], dtype=np.int64)
        # Each word is laid out as block_size zeros, its letters and the end token 0;
        # every position after the leading zeros is a target, its window the context.
        segment = lengths + block_size + 1
        starts = np.cumsum(segment) - segment
        flat = np.zeros(int(segment.sum()), dtype=np.int64)
        flat[_positions(starts + block_size, lengths)] = _letter_ids("".join(words))
        targets = _positions(starts + block_size, lengths + 1)
        windows = np.lib.stride_tricks.sliding_window_view(flat, block_size)
        return windows[targets - block_size].copy(), flat[targets]

    def sequences(self, split: str, length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Whole words of ``split`` as padded sequences, for RNNs and transformers.

        Row ``i`` of ``X`` is ``0`` (start), the letters of word ``i``, then ``0``s; row ``i``
        of ``Y`` is the letters, ``0`` (end), then ``-100``: ``Y[:, t]`` is the character that
        follows ``X[:, :t + 1]``. ``-100`` is ``cross_entropy``'s default ``ignore_index``, so
        ``F.cross_entropy(logits.view(-1, V), Y.view(-1))`` averages over real characters.
        ``length`` defaults to ``max_length + 1``. Returns ``X`` and ``Y`` (n, length), int64.
        """
        words = self.split(split)
        length = self.max_length + 1 if length is None else length
        lengths = np.array([len(word) for word in words], dtype=np.int64)
        longest = int(lengths.max(initial=0))
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) \
                or length < longest + 1:
            raise ValueError(f"Words.sequences: length must be an int >= {longest + 1} (the "
                             f"longest {split} word and its end token), got {length!r}")
        ids = _letter_ids("".join(words))
        columns = np.arange(length)
        X = np.zeros((len(words), length), dtype=np.int64)
        Y = np.full((len(words), length), IGNORE_INDEX, dtype=np.int64)
        Y[columns < lengths[:, None]] = ids
        Y[np.arange(len(words)), lengths] = 0
        X[:, 1:][columns[:-1] < lengths[:, None]] = ids
        return X, Y


def _letter_ids(text: str) -> np.ndarray:
    """Token ids of lower-case ASCII letters: a -> 1, ..., z -> 26."""
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64) - (ord("a") - 1)


def _positions(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``starts[i] + 0 .. counts[i] - 1`` for every ``i``, concatenated."""
    offsets = np.cumsum(counts) - counts
    return np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()))


def _check_split(split: Sequence[float]) -> tuple[float, float, float]:
    fractions = tuple(split) if isinstance(split, (tuple, list)) else ()
    if len(fractions) != 3 or not all(isinstance(f, (int, float)) and not isinstance(f, bool)
                                      and 0 <= f <= 1 for f in fractions) \
            or not math.isclose(sum(fractions), 1.0) or fractions[0] == 0:
        raise ValueError(f"words: split must be three fractions (train, val, test) in [0, 1] "
                         f"summing to 1 with train > 0, got {split!r}")
    return fractions


def words(path: PathLike | None = None, split: Sequence[float] = (0.8, 0.1, 0.1),
          seed: int = 0) -> Words:
    """Read a word list into train, val and test splits of lower-case words.

    ``path``: any UTF-8 text file; its whitespace-separated tokens made only of the letters
    a-z are kept (words with capitals, apostrophes, accents, digits or hyphens are dropped),
    each once. Defaults to ``/usr/share/dict/american-english`` (Debian's ``wamerican``:
    63,875 such words). The distinct words, sorted, are shuffled by ``seed`` and cut into
    ``split`` fractions (the same file, split and seed always give the same splits).

    >>> data = nn.datasets.words()
    >>> X, Y = data.contexts("train", block_size=3)     # for an MLP
    >>> X, Y = data.sequences("train")                  # for an RNN or a transformer

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that is
    not UTF-8, holds no such word, or too few for every split with a fraction above 0.
    """
    fractions = _check_split(split)
    name = os.fspath(WORDS_PATH if path is None else path)
    if not os.path.isfile(name):
        raise FileNotFoundError(f"words: word list {name} not found. {_WORDS_HELP}")
    try:
        with open(name, encoding="utf-8") as file:
            tokens = file.read().split()
    except UnicodeDecodeError as error:
        raise ValueError(f"words: {name} is not UTF-8 text (byte 0x{error.object[error.start]:02x}"
                         f" at offset {error.start})") from None
    distinct = sorted({token for token in tokens if _LOWER_WORD.fullmatch(token)})
    if not tokens:
        raise ValueError(f"words: {name} is empty (no word to read)")
    if not distinct:
        raise ValueError(f"words: none of the {len(tokens)} tokens in {name} is a lower-case "
                         "a-z word (capitals, apostrophes, accents and digits are dropped)")
    count = len(distinct)
    sizes = [round(fraction * count) for fraction in fractions[1:]]
    sizes.insert(0, count - sum(sizes))
    for split_name, fraction, size in zip(Words.SPLITS, fractions, sizes):
        if fraction > 0 and size < 1:
            raise ValueError(f"words: {count} distinct words in {name} are too few for the "
                             f"split {tuple(fractions)}: {split_name} would be empty")
    order = np.random.default_rng(seed).permutation(count)
    shuffled = [distinct[i] for i in order]
    ends = np.cumsum(sizes)
    return Words(shuffled[:ends[0]], shuffled[ends[0]:ends[1]], shuffled[ends[1]:],
                 path=name, tokens=len(tokens))
