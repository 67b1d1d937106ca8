"""Hand-made damaged and crafted files for the tests of nn.load and nn.datasets.load_idx."""

from __future__ import annotations

import gzip
import io
import json
import pathlib
import struct
import zipfile

import numpy as np


def idx_bytes(type_code: int, value_format: str, shape: tuple, values) -> bytes:
    """An IDX file written by hand with struct: magic, sizes, big-endian values."""
    header = bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
    return header + struct.pack(f">{len(values)}{value_format}", *values)


def gzip_bomb(path: pathlib.Path, header: bytes, zeros: int) -> None:
    """``header`` then ``zeros`` zero bytes, gzipped at level 9 chunk by chunk (never in memory)."""
    chunk = bytes(1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as file:
        file.write(header)
        for _ in range(zeros // len(chunk)):
            file.write(chunk)
        file.write(bytes(zeros % len(chunk)))


def structure_file(path: pathlib.Path, root=None, header: bytes | None = None, **arrays) -> None:
    """An nn.save-style archive with a hand-written structure record (``root``, or raw bytes)."""
    if header is None:
        header = json.dumps({"format": "autograd-nn-npz", "version": 1, "root": root}).encode()
    np.savez(path, __structure__=np.frombuffer(header, dtype=np.uint8), **arrays)


def npy_bytes(shape: tuple, descr: str = "<f8", data: bytes = b"") -> bytes:
    """A .npy header declaring ``shape`` followed by ``data`` (which need not match it)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def zip_with(path: pathlib.Path, members: dict) -> None:
    """A zip archive holding ``members`` (name -> bytes), stored uncompressed."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def nested_list(depth: int) -> list:
    """``[[...[0]...]]`` with ``depth`` levels of lists."""
    value = 0
    for _ in range(depth):
        value = [value]
    return value


def json_header(root: bytes) -> bytes:
    """A structure record whose root is the raw JSON ``root``."""
    return b'{"format": "autograd-nn-npz", "version": 1, "root": ' + root + b"}"


def truncated_checkpoint(path: pathlib.Path) -> None:
    """A real checkpoint cut after 200 bytes (what a non-atomic save could leave)."""
    np.savez(path, weight=np.arange(100.0))
    path.write_bytes(path.read_bytes()[:200])
