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
import os
import zlib
from typing import Union

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


def _read_bytes(path: PathLike) -> bytes:
    with open(path, "rb") as file:
        raw = file.read()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"load_idx: {os.fspath(path)}: corrupt gzip data ({error})") from error


def load_idx(path: PathLike) -> np.ndarray:
    """Read one IDX file (raw or gzipped) into an array of native byte order.

    Returns an array of shape given by the file's header (e.g. (60000, 28, 28)
    uint8 for MNIST images, (60000,) uint8 for labels) and dtype uint8, int8,
    int16, int32, float32 or float64. Raises ``ValueError`` naming the file
    when the magic number, type code or sizes do not match the file's length.
    """
    name = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"load_idx: {name}: file too short for an IDX header ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"load_idx: {name}: not an IDX file (magic number starts with "
            f"0x{raw[0]:02x} 0x{raw[1]:02x}, expected 0x00 0x00)"
        )
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_DTYPES:
        known = ", ".join(f"0x{code:02x}" for code in _IDX_DTYPES)
        raise ValueError(f"load_idx: {name}: unknown IDX type code 0x{type_code:02x} ({known})")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(
            f"load_idx: {name}: truncated header: {ndim} dimensions need {header_size} bytes, "
            f"the file has {len(raw)}"
        )
    shape = tuple(int(size) for size in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        raise ValueError(
            f"load_idx: {name}: {problem}: header declares shape {shape} of {dtype.name} "
            f"= {expected} data bytes, the file has {found}"
        )
    values = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    # astype copies: the result is writable and in native byte order.
    return values.astype(dtype.newbyteorder("="))


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
    images = load_idx(_find(root, image_stem, dataset, help_text))
    labels = load_idx(_find(root, label_stem, dataset, help_text))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{dataset}: {split} images {images.shape} and labels {labels.shape} in {root} "
            f"are not (N, H, W) images with N labels"
        )
    return images.astype(np.uint8, copy=False), labels.astype(np.int64)


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
    ``dataset-fashion-mnist`` package); files may be gzipped or raw.
    """
    return _load(FASHION_MNIST_ROOT if root is None else root, "fashion_mnist", _FASHION_HELP)


def mnist(root: PathLike) -> tuple[tuple[np.ndarray, ...], ...]:
    """Load MNIST digits from ``root``: ``(x_train, y_train), (x_test, y_test)``.

    ``root`` holds the standard files ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``). Images are uint8
    (N, 28, 28), labels int64 in 0..9.
    """
    return _load(root, "mnist", _MNIST_HELP)
