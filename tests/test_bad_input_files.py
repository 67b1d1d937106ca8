"""Damaged and crafted files (checkpoints, IDX data sets) fail with ``ValueError`` naming the
file and what is wrong, before anything large is allocated (rows: ``tests/bad_input.py``)."""

from __future__ import annotations

import pathlib
import tempfile

import numpy as np
import pytest

import nn
from tests.bad_input import row
from tests.crafted_files import (
    gzip_bomb,
    idx_bytes,
    json_header,
    nested_list,
    npy_bytes,
    structure_file,
    truncated_checkpoint,
    zip_with,
)


def reading(read, name: str, write):
    """A call that makes a file with ``write(path)`` in a fresh directory, then ``read(path)``."""
    def call():
        with tempfile.TemporaryDirectory() as directory:
            path = pathlib.Path(directory) / name
            write(path)
            read(path)
    return call


def loading(write):
    return reading(nn.load, "model.npz", write)


def mnist_directory_with(name: str, content: bytes):
    """A call loading an MNIST directory of two images per split, with file ``name`` replaced."""
    def write(root: pathlib.Path) -> None:
        root.mkdir()
        for prefix in ("train", "t10k"):
            (root / f"{prefix}-images-idx3-ubyte").write_bytes(
                idx_bytes(0x08, "B", (2, 2, 2), [7] * 8))
            (root / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(0x08, "B", (2,), [1, 2]))
        (root / name).write_bytes(content)
    return reading(nn.datasets.mnist, "mnist", write)


def checkpoint(problem: str) -> str:
    return r"^load: cannot read '.*model\.npz': " + problem


FILE_CASES = [
    row("load-text-file", loading(lambda p: p.write_text("weight = [1, 2, 3]\n")), ValueError,
        checkpoint(r"not a file written by ag.save \(neither a zip archive nor a .npy file: it "
                   r"starts with b'weight'\)")),
    row("load-empty-file", loading(lambda p: p.write_bytes(b"")), ValueError,
        checkpoint(r"not a file written by ag.save .*: it is empty\)")),
    row("load-truncated-zip", loading(truncated_checkpoint), ValueError,
        checkpoint(r"it is not a valid zip archive \(File is not a zip file\)")),
    row("load-zip-without-arrays", loading(lambda p: zip_with(p, {})), ValueError,
        checkpoint(r"the archive holds no arrays")),
    row("load-zip-with-a-text-member", loading(lambda p: zip_with(p, {"notes.txt": b"hi"})),
        ValueError, checkpoint(r"member 'notes.txt' is not a .npy array")),
    row("load-member-not-npy", loading(lambda p: zip_with(p, {"w.npy": b"plain text"})),
        ValueError, checkpoint(r"array 'w' has an unreadable .npy header")),
    row("load-npy-header-larger-than-member",
        loading(lambda p: zip_with(p, {"w.npy": npy_bytes((10**6, 10**6), data=bytes(64))})),
        ValueError, checkpoint(r"array 'w' declares shape \(1000000, 1000000\) of float64 "
                               r"\(8000000000000 data bytes\) but holds 64 data bytes")),
    row("load-npy-header-size-overflows-int64",
        loading(lambda p: zip_with(p, {"w.npy": npy_bytes((2**40, 2**40), data=bytes(8))})),
        ValueError, checkpoint(r"array 'w' declares shape \(1099511627776, 1099511627776\) of "
                               r"float64 \(9671406556917033397649408 data bytes\) but holds 8")),
    row("load-bare-npy-header-lies",
        loading(lambda p: p.write_bytes(npy_bytes((10**9,), data=bytes(16)))), ValueError,
        checkpoint(r"the .npy file declares shape \(1000000000,\) of float64 \(8000000000 data "
                   r"bytes\) but holds 16 data bytes")),
    row("load-object-array-member",
        loading(lambda p: zip_with(p, {"w.npy": npy_bytes((1,), descr="|O", data=b"x")})),
        ValueError, checkpoint(r"refusing array 'w': it holds Python objects \(dtype object\)")),
    row("load-record-missing-keys",
        loading(lambda p: structure_file(p, {"t": "tensor", "key": "w"}, w=np.ones(2))),
        ValueError, checkpoint(r"malformed 'tensor' record at <root>: expected the fields "
                               r"\{'key': str, 'requires_grad': bool\}, got \{'t': 'tensor', "
                               r"'key': 'w'\}")),
    row("load-record-wrong-field-type",
        loading(lambda p: structure_file(p, {"t": "array", "key": ["w"]})), ValueError,
        checkpoint(r"malformed 'array' record at <root>: expected the fields \{'key': str\}, "
                   r"got \{'t': 'array', 'key': \['w'\]\}")),
    row("load-record-requires_grad-not-bool",
        loading(lambda p: structure_file(p, {"t": "tensor", "key": "w", "requires_grad": 1},
                                         w=np.ones(2))),
        ValueError, checkpoint(r"malformed 'tensor' record at <root>")),
    row("load-record-unknown-tag",
        loading(lambda p: structure_file(p, {"t": "pickle", "key": "w"})), ValueError,
        checkpoint(r"unknown record at <root>: \{'t': 'pickle', 'key': 'w'\}")),
    row("load-unhashable-dict-key",
        loading(lambda p: structure_file(p, {"t": "dict", "items": [[[1], 2]]})), ValueError,
        checkpoint(r"a dict key at <root> is a list, which cannot be a key")),
    row("load-dict-item-not-a-pair",
        loading(lambda p: structure_file(p, {"t": "dict", "items": [["a"]]})), ValueError,
        checkpoint(r"malformed dict item at <root>: expected \[key, value\], got \['a'\]")),
    row("load-float-repr-not-a-float",
        loading(lambda p: structure_file(p, {"t": "float", "repr": "1e999x"})), ValueError,
        checkpoint(r"the float at <root> is '1e999x', expected one of \['-inf', 'inf', 'nan'\]")),
    row("load-names-where-a-nested-record-is",
        loading(lambda p: structure_file(p, {"t": "dict", "items": [["opt", {"t": "dict", "items": [
            ["lr", {"t": "float", "repr": "x"}]]}]]})),
        ValueError, checkpoint(r"the float at 'opt.lr' is 'x'")),
    row("load-scalar-not-0d",
        loading(lambda p: structure_file(p, {"t": "scalar", "key": "w"}, w=np.ones(3))),
        ValueError, checkpoint(r"the scalar at <root> is an array of shape \(3,\)")),
    row("load-integer-tensor-requiring-grad",
        loading(lambda p: structure_file(p, {"t": "tensor", "key": "w", "requires_grad": True},
                                         w=np.arange(3))),
        ValueError, checkpoint(r"the tensor at <root> requires grad but has dtype int64")),
    row("load-missing-array",
        loading(lambda p: structure_file(
            p, {"t": "dict", "items": [["w", {"t": "array", "key": "gone"}]]})),
        ValueError, checkpoint(r"the structure refers to a missing array 'gone'")),
    row("load-key-with-nul",
        loading(lambda p: structure_file(p, {"t": "array", "key": "w\x00.npy"}, w=np.ones(2))),
        ValueError, checkpoint(r"the record at <root> names an array with a NUL byte: "
                               r"'w\\x00.npy'")),
    row("load-deeply-nested-json",
        loading(lambda p: structure_file(p, header=json_header(b"[" * 10**5 + b"]" * 10**5))),
        ValueError, checkpoint(r"the structure record is nested too deeply")),
    row("load-deeply-nested-records", loading(lambda p: structure_file(p, nested_list(150))),
        ValueError, checkpoint(r"the structure is nested more than 100 levels deep")),
    row("load-bare-nan-in-json", loading(lambda p: structure_file(p, header=json_header(b"NaN"))),
        ValueError, checkpoint(r"the structure record is unreadable \(bare NaN is not valid")),
    row("load-huge-json-integer",
        loading(lambda p: structure_file(p, header=json_header(b"9" * 5000))), ValueError,
        checkpoint(r"the structure record is unreadable \(Exceeds the limit")),
    row("load-structure-not-utf8", loading(lambda p: structure_file(p, header=b"\xff\xfe")),
        ValueError, checkpoint(r"the structure record is unreadable \('utf-8' codec")),
    row("load-structure-not-bytes", loading(lambda p: np.savez(p, __structure__=np.ones(3))),
        ValueError, checkpoint(r"the structure record is not a 1-d uint8 array \(got float64 of "
                               r"shape \(3,\)\)")),
    row("load-other-format",
        loading(lambda p: structure_file(p, header=b'{"format": "other", "root": 1}')),
        ValueError, checkpoint(r"not a file written by ag.save \(its structure record has no "
                               r"format 'autograd-nn-npz' and root\)")),
    row("load-other-version",
        loading(lambda p: structure_file(
            p, header=b'{"format": "autograd-nn-npz", "version": 7, "root": 1}')),
        ValueError, checkpoint(r"it has format version 7, this version reads 1")),
    row("save-nested-too-deeply", lambda: nn.save(nested_list(150), "unused.npz"), TypeError,
        r"save: the value at '0(\.0)*' is nested more than 100 levels deep"),
    row("load_idx-gzip-expands-past-its-header",
        reading(nn.datasets.load_idx, "labels.gz",
                lambda p: gzip_bomb(p, idx_bytes(0x08, "B", (10,), []), zeros=1 << 20)),
        ValueError, r"load_idx: .*labels.gz: has trailing bytes: header declares shape \(10,\) of "
                    r"uint8 = 10 data bytes, the file has more than 65546"),
    row("load_idx-size-overflows-int64",
        reading(nn.datasets.load_idx, "images",
                lambda p: p.write_bytes(idx_bytes(0x08, "B", (65536,) * 4, []))),
        ValueError, r"load_idx: .*images: truncated: header declares shape \(65536, 65536, 65536, "
                    r"65536\) of uint8 = 18446744073709551616 data bytes, the file has 0"),
    row("mnist-float-images",
        mnist_directory_with("train-images-idx3-ubyte", idx_bytes(0x0D, "f", (2, 2, 2), [.5] * 8)),
        ValueError, r"mnist: .*train-images-idx3-ubyte holds float32 values; MNIST-style files "
                    r"store unsigned bytes"),
    row("mnist-float-labels",
        mnist_directory_with("t10k-labels-idx1-ubyte", idx_bytes(0x0E, "d", (2,), [1.7, 2.0])),
        ValueError, r"mnist: .*t10k-labels-idx1-ubyte holds float64 values"),
    row("mnist-label-out-of-range",
        mnist_directory_with("train-labels-idx1-ubyte", idx_bytes(0x08, "B", (2,), [3, 12])),
        ValueError, r"mnist: .*train-labels-idx1-ubyte has label 12 at index 1; expected 0..9"),
]


@pytest.mark.parametrize("call, error, message", FILE_CASES)
def test_misuse_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
