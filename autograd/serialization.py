"""``ag.save`` / ``ag.load``: nested state (model or optimizer state dicts) in a ``.npz`` file.

PyTorch's ``torch.save(model.state_dict(), path)`` habit; ``nn.save`` and
``nn.load`` are the same two functions. Never pickle. Arrays go into the archive
as ordinary ``.npy`` members named after their place in the structure
(``fc1.weight``, ``state.0.exp_avg``), so ``np.load`` can read a saved model
too. Everything else (dicts with any hashable keys, lists, tuples, ints, floats,
bools, None, strings) is described by a small JSON record stored as a uint8 array
under ``__structure__``.

Saving is atomic (a temporary file renamed over the target).  Loading trusts nothing
in the file: pickled data is refused before anything in it can run, every array's
declared size is checked against the bytes really there before it is allocated
(``autograd/archive.py``), and every record of the structure is checked for its type
and fields, with nesting limited to 100 levels.  A bad file raises ``ValueError``
naming the file and what is wrong.
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

from autograd.archive import NPY_MAGIC, PICKLE_MAGIC, ZIP_MAGIC, Archive, DamagedFile, read_npy
from autograd.tensor import Tensor

__all__ = ["save", "load"]

PathLike = Union[str, "os.PathLike[str]", BinaryIO]

_STRUCTURE_KEY = "__structure__"
_FORMAT = "autograd-nn-npz"
_VERSION = 1
# Deeper nesting is refused when saving and when loading (JSON parsing is recursive).
_MAX_DEPTH = 100


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
    if callable(getattr(obj, "state_dict", None)):  # a Module or an optimizer, not its state
        raise TypeError(f"save: got a {type(obj).__name__}; save its state instead: "
                        "ag.save(model.state_dict(), path)")
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
    file as its array.  Anything else, or a damaged or crafted file (not a zip archive,
    pickled data, sizes that do not add up, a malformed structure record), raises
    ``ValueError`` naming the file and what is wrong, before anything large is allocated.
    """
    with contextlib.ExitStack() as stack:
        if hasattr(path, "read"):
            stream, name = path, getattr(path, "name", repr(path))
        else:
            stream, name = stack.enter_context(open(path, "rb")), os.fspath(path)
        try:
            return _load_stream(stream)
        except DamagedFile as error:
            raise ValueError(f"load: cannot read {name!r}: {error}") from None


def _load_stream(stream: BinaryIO) -> Any:
    start = stream.tell()
    magic = stream.read(len(NPY_MAGIC))
    stream.seek(start)
    if magic.startswith(NPY_MAGIC):
        return read_npy(stream)
    if magic.startswith(PICKLE_MAGIC):
        raise DamagedFile("pickled data is refused (unpickling can run arbitrary code)")
    if not magic.startswith(ZIP_MAGIC):
        kind = "it is empty" if not magic else f"it starts with {magic!r}"
        raise DamagedFile(f"not a file written by ag.save (neither a zip archive nor a .npy "
                          f"file: {kind})")
    with Archive(stream) as archive:
        if _STRUCTURE_KEY not in archive:
            names = archive.names()
            if not names:
                raise DamagedFile("the archive holds no arrays")
            return {name: archive.read(name) for name in names}
        header = _parse_header(archive.read(_STRUCTURE_KEY))
        return _Decoder(archive).decode(header["root"], "", 0)


# ---------------------------------------------------------------- encoding


def _encode(value: Any, path: str, arrays: dict, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise TypeError(f"save: the value at '{path}' is nested more than {_MAX_DEPTH} "
                        "levels deep")
    depth += 1
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
        return [_encode(item, _join(path, index), arrays, depth)
                for index, item in enumerate(value)]
    if isinstance(value, tuple):
        return {"t": "tuple", "items": [_encode(item, _join(path, i), arrays, depth)
                                        for i, item in enumerate(value)]}
    if isinstance(value, dict):
        items = [[_encode(key, _join(path, "key"), arrays, depth),
                  _encode(item, _join(path, key), arrays, depth)] for key, item in value.items()]
        return {"t": "odict" if isinstance(value, OrderedDict) else "dict", "items": items}
    raise TypeError(f"save: cannot store a {type(value).__name__} at '{path or '<root>'}' "
                    "(supported: dict, list, tuple, ndarray, Tensor, NumPy scalar, int, float, "
                    "bool, str, None)")


def _join(path: str, part: Any) -> str:
    return f"{path}.{part}" if path else str(part)


def _store(arrays: dict, path: str, array: np.ndarray) -> str:
    if array.dtype.hasobject:
        raise TypeError(f"save: the array at '{path or '<root>'}' has dtype object; only "
                        "numeric, bool and string arrays can be saved without pickle")
    # A zip member name ends at a NUL byte: spell it out (the key itself is kept in the record).
    name = (path or "value").replace("\x00", "\\0")
    if name == _STRUCTURE_KEY or name in arrays:
        suffix = 1
        while f"{name}#{suffix}" in arrays:
            suffix += 1
        name = f"{name}#{suffix}"
    arrays[name] = array
    return name


# ---------------------------------------------------------------- decoding


def _refuse_constant(name: str) -> None:
    raise ValueError(f"bare {name} is not valid in a structure record")


def _parse_header(raw: np.ndarray) -> dict:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise DamagedFile(f"the structure record is not a 1-d uint8 array (got {raw.dtype} of "
                          f"shape {raw.shape})")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise DamagedFile("the structure record is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, over-long integers
        raise DamagedFile(f"the structure record is unreadable ({error})") from None
    if not isinstance(header, dict) or header.get("format") != _FORMAT or "root" not in header:
        raise DamagedFile("not a file written by ag.save (its structure record has no format "
                          f"{_FORMAT!r} and root)")
    if header.get("version") != _VERSION:
        raise DamagedFile(f"it has format version {header.get('version')!r}, this version "
                          f"reads {_VERSION}")
    return header


# tag -> the fields its record must have, with their types (besides "t")
_RECORD_FIELDS = {
    "array": {"key": str},
    "scalar": {"key": str},
    "tensor": {"key": str, "requires_grad": bool},
    "float": {"repr": str},
    "tuple": {"items": list},
    "dict": {"items": list},
    "odict": {"items": list},
}
_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class _Decoder:
    """Turns a structure record back into values, checking every record it reads."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def decode(self, record: Any, where: str, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise DamagedFile(f"the structure is nested more than {_MAX_DEPTH} levels deep")
        if isinstance(record, list):
            return [self.decode(item, _join(where, i), depth + 1) for i, item in enumerate(record)]
        if not isinstance(record, dict):
            return record  # JSON null, bool, number or string
        tag = record.get("t")
        fields = _RECORD_FIELDS.get(tag) if isinstance(tag, str) else None
        if fields is None:
            raise DamagedFile(f"unknown record at {_at(where)}: {_preview(record)}")
        if set(record) != {"t", *fields} or not all(
                type(record[field]) is kind for field, kind in fields.items()):
            expected = ", ".join(f"{field!r}: {kind.__name__}" for field, kind in fields.items())
            raise DamagedFile(f"malformed {tag!r} record at {_at(where)}: expected the fields "
                              f"{{{expected}}}, got {_preview(record)}")
        return getattr(self, f"_{tag}")(record, where, depth + 1)

    def _array_at(self, record: dict, where: str) -> np.ndarray:
        if "\x00" in record["key"]:
            raise DamagedFile(f"the record at {_at(where)} names an array with a NUL byte: "
                              f"{record['key']!r}")
        return self.archive.read(record["key"])

    def _array(self, record: dict, where: str, depth: int) -> np.ndarray:
        return self._array_at(record, where)

    def _scalar(self, record: dict, where: str, depth: int) -> np.generic:
        array = self._array_at(record, where)
        if array.ndim != 0:
            raise DamagedFile(f"the scalar at {_at(where)} is an array of shape {array.shape}")
        return array[()]

    def _tensor(self, record: dict, where: str, depth: int) -> Tensor:
        array = self._array_at(record, where)
        if record["requires_grad"] and not np.issubdtype(array.dtype, np.floating):
            raise DamagedFile(f"the tensor at {_at(where)} requires grad but has dtype "
                              f"{array.dtype}")
        return Tensor(array, requires_grad=record["requires_grad"])

    def _float(self, record: dict, where: str, depth: int) -> float:
        if record["repr"] not in _NON_FINITE:
            raise DamagedFile(f"the float at {_at(where)} is {record['repr']!r}, expected one of "
                              f"{sorted(_NON_FINITE)}")
        return _NON_FINITE[record["repr"]]

    def _tuple(self, record: dict, where: str, depth: int) -> tuple:
        return tuple(self.decode(item, _join(where, i), depth)
                     for i, item in enumerate(record["items"]))

    def _dict(self, record: dict, where: str, depth: int) -> dict:
        return dict(self._pairs(record, where, depth))

    def _odict(self, record: dict, where: str, depth: int) -> OrderedDict:
        return OrderedDict(self._pairs(record, where, depth))

    def _pairs(self, record: dict, where: str, depth: int) -> list:
        pairs = []
        for pair in record["items"]:
            if not isinstance(pair, list) or len(pair) != 2:
                raise DamagedFile(f"malformed dict item at {_at(where)}: expected [key, value], "
                                  f"got {_preview(pair)}")
            key = self.decode(pair[0], _join(where, "key"), depth)
            try:
                hash(key)
            except TypeError:
                raise DamagedFile(f"a dict key at {_at(where)} is a {type(key).__name__}, which "
                                  "cannot be a key") from None
            pairs.append((key, self.decode(pair[1], _join(where, key), depth)))
        return pairs


def _at(where: str) -> str:
    return f"'{where}'" if where else "<root>"


def _preview(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
