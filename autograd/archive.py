"""Reading ``.npz`` archives and ``.npy`` files without trusting them (``ag.load`` uses it).

Every size a file declares is checked against what the file can really hold
before anything is allocated: a member's ``.npy`` header must describe exactly
the bytes the member holds, and a member cannot claim more bytes than its
compressed data can expand to. Object arrays (which need pickle) are refused.
Whatever goes wrong is raised as :class:`DamagedFile`, a ``ValueError`` whose
message says what is wrong; ``load`` adds the file's name.
"""

from __future__ import annotations

import math
import os
import struct
import zipfile
import zlib
from typing import BinaryIO

import numpy as np

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member first, or an empty archive
NPY_MAGIC = b"\x93NUMPY"
PICKLE_MAGIC = b"\x80"  # pickle protocols 2 and later
# Deflate expands at most ~1032:1; a member claiming more than that is lying.
_DEFLATE_MAX_RATIO = 1032
_SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
# What zipfile, zlib and NumPy's .npy reader raise on malformed input.
_READ_ERRORS = (ValueError, EOFError, OSError, zipfile.BadZipFile, zipfile.LargeZipFile,
                NotImplementedError, RuntimeError, zlib.error, struct.error, OverflowError,
                SyntaxError, MemoryError)

# What NumPy's .npy header parser raises on a malformed header.
_HEADER_ERRORS = (ValueError, SyntaxError, OverflowError, RecursionError, MemoryError)


class DamagedFile(ValueError):
    """A file that is not what it claims to be; the message says what is wrong."""


def stream_size(stream: BinaryIO) -> int:
    """Bytes from the current position to the end (the position is kept)."""
    start = stream.tell()
    end = stream.seek(0, os.SEEK_END)
    stream.seek(start)
    return end - start


def _check_npy_header(stream: BinaryIO, available: int, what: str) -> None:
    """Read a ``.npy`` header; its shape and dtype must account for exactly ``available`` bytes."""
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            # 3.0 differs from 2.0 only in the header's text encoding (UTF-8, not
            # latin-1), which can change field names but not the sizes checked here.
            shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise DamagedFile(f"{what} has unknown .npy format version {version}")
        header = stream.tell()
    except DamagedFile:
        raise
    except _HEADER_ERRORS as error:  # a damaged stream (zip, zlib) is left to the caller
        raise DamagedFile(f"{what} has an unreadable .npy header ({error})") from None
    if dtype.hasobject:
        raise DamagedFile(f"refusing {what}: it holds Python objects (dtype object), which need "
                          "pickle, and unpickling can run arbitrary code")
    declared = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if header + declared != available:
        raise DamagedFile(f"{what} declares shape {shape} of {dtype} ({declared} data bytes) but "
                          f"holds {available - header} data bytes")


def read_npy(stream: BinaryIO, what: str = "the .npy file") -> np.ndarray:
    """Read one ``.npy`` file from a seekable binary stream, checking its header first."""
    start = stream.tell()
    _check_npy_header(stream, stream_size(stream), what)
    stream.seek(start)
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except _READ_ERRORS as error:
        raise DamagedFile(f"{what} is damaged ({type(error).__name__}: {error})") from None


class Archive:
    """The ``.npy`` members of a zip archive, each checked before it is read.

    >>> with Archive(open("model.npz", "rb")) as archive:
    ...     weight = archive.read("fc.weight")
    """

    def __init__(self, stream: BinaryIO) -> None:
        size = stream_size(stream)
        try:
            self._zip = zipfile.ZipFile(stream)
            infos = self._zip.infolist()
        except _READ_ERRORS as error:
            raise DamagedFile(f"it is not a valid zip archive ({error})") from None
        self._infos = {}
        for info in infos:
            if info.filename in self._infos:
                raise DamagedFile(f"the archive holds two members named {info.filename!r}")
            self._check_member(info, size)
            self._infos[info.filename] = info

    def _check_member(self, info: zipfile.ZipInfo, archive_size: int) -> None:
        what = f"member {info.filename!r}"
        if info.compress_type not in _SUPPORTED_COMPRESSION:
            raise DamagedFile(f"{what} uses unsupported compression method {info.compress_type}")
        if info.flag_bits & 0x1:
            raise DamagedFile(f"{what} is encrypted")
        if info.header_offset + info.compress_size > archive_size:
            raise DamagedFile(f"{what} claims {info.compress_size} bytes at offset "
                              f"{info.header_offset}, past the end of the {archive_size}-byte file")
        limit = (info.compress_size if info.compress_type == zipfile.ZIP_STORED
                 else _DEFLATE_MAX_RATIO * info.compress_size + 64)
        if info.file_size > limit:
            raise DamagedFile(f"{what} claims {info.file_size} bytes uncompressed, more than its "
                              f"{info.compress_size} compressed bytes can hold")

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info) -> None:
        self._zip.close()

    def names(self) -> list:
        """The array names (member names without ``.npy``), in archive order."""
        names = []
        for member in self._infos:
            if not member.endswith(".npy"):
                raise DamagedFile(f"member {member!r} is not a .npy array")
            names.append(member[:-len(".npy")])
        return names

    def __contains__(self, name: str) -> bool:
        return name + ".npy" in self._infos

    def read(self, name: str) -> np.ndarray:
        """The array stored as ``name + ".npy"``; its header is checked against its size."""
        info = self._infos.get(name + ".npy")
        if info is None:
            raise DamagedFile(f"the structure refers to a missing array {name!r}")
        what = f"array {name!r}"
        try:
            with self._zip.open(info) as stream:
                _check_npy_header(stream, info.file_size, what)
            with self._zip.open(info) as stream:
                return np.lib.format.read_array(stream, allow_pickle=False)
        except DamagedFile:
            raise
        except _READ_ERRORS as error:
            raise DamagedFile(f"{what} is damaged ({type(error).__name__}: {error})") from None
