"""Readers for IDX files and the (Fashion-)MNIST datasets stored in that format.

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
import struct
import zlib
from typing import BinaryIO, Union

import numpy as np

__all__ = ["load_idx", "fashion_mnist", "mnist", "FASHION_MNIST_ROOT", "FASHION_MNIST_CLASSES"]

PathLike = Union[str, "os.PathLike[str]"]

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
