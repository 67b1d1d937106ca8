"""``nn.save`` / ``nn.load``: nested state (model or optimizer state dicts) in a ``.npz`` file.

Never pickle.  Arrays go into the archive as ordinary ``.npy`` members named after
their place in the structure (``fc1.weight``, ``state.0.exp_avg``), so ``np.load``
can read a saved model too.  Everything else (dicts with any hashable keys, lists,
tuples, ints, floats, bools, None, strings) is described by a small JSON record
stored as a uint8 array under ``__structure__``.  Loading uses
``allow_pickle=False``: a file holding pickled objects is refused before anything
in it can run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
import zipfile
from collections import OrderedDict
from typing import Any, BinaryIO, Callable, Union

import numpy as np

from autograd.tensor import Tensor

__all__ = ["save", "load"]

PathLike = Union[str, "os.PathLike[str]", BinaryIO]

_STRUCTURE_KEY = "__structure__"
_FORMAT = "autograd-nn-npz"
_VERSION = 1


def save(obj: Any, path: PathLike, compress: bool = False) -> None:
    """Write ``obj`` (typically ``model.state_dict()`` or ``optimizer.state_dict()``) to ``path``.

    The file name is used exactly as given (no ``.npz`` is appended).  The save is atomic:
    the archive is written to a temporary file in the same directory, flushed to disk and
    renamed over ``path``, so an error, a full disk or a killed process leaves the previous
    file intact (a file object is written directly; its atomicity is the caller's).
    Supported values:
    ndarrays, NumPy scalars and Tensors (dtypes kept), dicts/OrderedDicts with keys of the
    simple types, lists, tuples, int, float, bool, None and str.  Object arrays are refused.
    """
    from nn.module import Module

    if isinstance(obj, Module):
        raise TypeError("nn.save: got a Module; save its state instead: "
                        "nn.save(model.state_dict(), path)")
    arrays: dict[str, np.ndarray] = {}
    record = _encode(obj, "", arrays)
    header = json.dumps({"format": _FORMAT, "version": _VERSION, "root": record},
                        allow_nan=False)
    arrays[_STRUCTURE_KEY] = np.frombuffer(header.encode("utf-8"), dtype=np.uint8)
    compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    if hasattr(path, "write"):
        _write_archive(path, arrays, compression)
    else:
        _replace_atomically(os.fspath(path), lambda file: _write_archive(file, arrays, compression))


def _write_archive(file: BinaryIO, arrays: dict, compression: int) -> None:
    with zipfile.ZipFile(file, "w", compression=compression, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _replace_atomically(path: str, write: Callable[[BinaryIO], None]) -> None:
    """Write a temporary file beside ``path``, flush it to disk, then rename it over ``path``.

    ``os.replace`` is atomic: ``path`` is at every moment either the old file or the
    complete new one, even if the writer raises, the disk fills up or the process is
    killed (a killed writer can leave its temporary ``.<name>.<random>.tmp`` behind).
    The new file gets the old file's permissions, or the umask's for a new file.
    """
    target = os.path.realpath(path)  # through a symlink, as open(path, "w") would
    directory, name = os.path.split(target)
    temporary = os.path.join(directory, f".{name[:200]}.{secrets.token_hex(6)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def load(path: PathLike) -> Any:
    """Read what :func:`save` wrote (the same nested structure, dtypes exact).

    A plain ``.npz`` without a structure record loads as a dict of its arrays; a ``.npy``
    file as its array.  Files holding pickled objects raise ``ValueError``.
    """
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"nn.load: cannot read {path!r}: {error} (pickled data is refused: "
                         "unpickling can run arbitrary code)") from None
    if isinstance(archive, np.ndarray):
        return archive
    with archive:
        reader = _Reader(archive, path)
        if _STRUCTURE_KEY not in archive.files:
            return {name: reader.array(name) for name in archive.files}
        header = _parse_header(reader.array(_STRUCTURE_KEY), path)
        return _decode(header["root"], reader)


# ---------------------------------------------------------------- encoding


def _encode(value: Any, path: str, arrays: dict) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else {"t": "float", "repr": repr(value)}
    if isinstance(value, Tensor):
        key = _store(arrays, path, value.data)
        return {"t": "tensor", "key": key, "requires_grad": bool(value.requires_grad)}
    if isinstance(value, np.ndarray):
        return {"t": "array", "key": _store(arrays, path, value)}
    if isinstance(value, np.generic):
        return {"t": "scalar", "key": _store(arrays, path, np.asarray(value))}
    if isinstance(value, list):
        return [_encode(item, _join(path, index), arrays) for index, item in enumerate(value)]
    if isinstance(value, tuple):
        return {"t": "tuple",
                "items": [_encode(item, _join(path, i), arrays) for i, item in enumerate(value)]}
    if isinstance(value, dict):
        items = [[_encode(key, _join(path, "key"), arrays), _encode(item, _join(path, key), arrays)]
                 for key, item in value.items()]
        return {"t": "odict" if isinstance(value, OrderedDict) else "dict", "items": items}
    raise TypeError(f"nn.save: cannot store a {type(value).__name__} at '{path or '<root>'}' "
                    "(supported: dict, list, tuple, ndarray, Tensor, NumPy scalar, int, float, "
                    "bool, str, None)")


def _join(path: str, part: Any) -> str:
    return f"{path}.{part}" if path else str(part)


def _store(arrays: dict, path: str, array: np.ndarray) -> str:
    if array.dtype.hasobject:
        raise TypeError(f"nn.save: the array at '{path or '<root>'}' has dtype object; only "
                        "numeric, bool and string arrays can be saved without pickle")
    name = path or "value"
    if name == _STRUCTURE_KEY or name in arrays:
        suffix = 1
        while f"{name}#{suffix}" in arrays:
            suffix += 1
        name = f"{name}#{suffix}"
    arrays[name] = array
    return name


# ---------------------------------------------------------------- decoding


class _Reader:
    """Reads archive members, naming the member when one is refused."""

    def __init__(self, archive: Any, path: Any) -> None:
        self.archive = archive
        self.path = path

    def array(self, name: str) -> np.ndarray:
        if name not in self.archive.files:
            raise ValueError(f"nn.load: {self.path!r} is damaged: the structure refers to a "
                             f"missing array '{name}'")
        try:
            return self.archive[name]
        except ValueError as error:
            raise ValueError(f"nn.load: refusing array '{name}' in {self.path!r}: {error} "
                             "(object arrays need pickle, which can run arbitrary code)") from None


def _parse_header(raw: np.ndarray, path: Any) -> dict:
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"nn.load: {path!r} has an unreadable structure record: {error}") from None
    if not isinstance(header, dict) or header.get("format") != _FORMAT or "root" not in header:
        raise ValueError(f"nn.load: {path!r} is not a file written by nn.save")
    if header.get("version") != _VERSION:
        raise ValueError(f"nn.load: {path!r} has format version {header.get('version')}, "
                         f"this version reads {_VERSION}")
    return header


def _decode(record: Any, reader: _Reader) -> Any:
    if isinstance(record, list):
        return [_decode(item, reader) for item in record]
    if not isinstance(record, dict):
        return record
    tag = record.get("t")
    if tag == "array":
        return reader.array(record["key"])
    if tag == "scalar":
        return reader.array(record["key"])[()]
    if tag == "tensor":
        return Tensor(reader.array(record["key"]), requires_grad=record["requires_grad"])
    if tag == "float":
        return float(record["repr"])
    if tag == "tuple":
        return tuple(_decode(item, reader) for item in record["items"])
    if tag in ("dict", "odict"):
        pairs = [(_decode(key, reader), _decode(value, reader)) for key, value in record["items"]]
        return OrderedDict(pairs) if tag == "odict" else dict(pairs)
    raise ValueError(f"nn.load: {reader.path!r} has an unknown entry {record!r}")
