"""ag.save / ag.load (nn.save / nn.load are the same functions): exact round trips of nested
state, no pickle, clear refusals."""

import errno
import io
import math
import os
import pathlib
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
from tests.crafted_files import nested_list


def assert_same(a, b):
    """Equal values *and* equal types/dtypes, recursively."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray) or isinstance(a, np.generic):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, ag.Tensor):
        assert a.requires_grad == b.requires_grad
        assert_same(a.data, b.data)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def round_trip(value, tmp_path, **options):
    path = tmp_path / "state.npz"
    ag.save(value, path, **options)
    return ag.load(path)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        self.register_buffer("steps", np.array(7, dtype=np.int64))

    def forward(self, x):
        return self.body(x)


def test_model_state_round_trips_exactly_and_reloads_the_same_model(tmp_path):
    model = Tiny()
    state = model.state_dict()
    loaded = round_trip(state, tmp_path)
    assert_same(state, loaded)
    other = Tiny()
    other.load_state_dict(loaded)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(other(x).data, model(x).data)


def test_optimizer_like_nested_state_round_trips_with_all_types(tmp_path):
    state = {
        "state": {0: {"step": 3, "exp_avg": np.arange(4.0), "max": np.float32(1.5)},
                  1: {"step": 3, "momentum_buffer": None, "flag": True}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "eps": 1e-8,
                          "weight_decay": 0, "amsgrad": False, "name": "group one"}],
        "tensor": ag.Tensor(np.ones(2), requires_grad=True),
        "odd": {(1, "a"): -2**70, None: [], 2.5: float("nan"), False: (float("inf"),)},
        "count": np.int64(12),
    }
    assert_same(state, round_trip(state, tmp_path))


@pytest.mark.parametrize("array", [
    np.arange(6, dtype=np.float16).reshape(2, 3), np.array(3.25, dtype=np.float64),
    np.zeros((0, 4), dtype=np.float32), np.array([-1, 2], dtype=np.int8),
    np.array([1, 2**40], dtype=np.uint64), np.array([True, False]),
    np.array([1 + 2j]), np.array(["fc", "weight"]), np.asfortranarray(np.ones((2, 3))),
])
def test_arrays_of_every_plain_dtype_round_trip(array, tmp_path):
    assert_same({"x": array}, round_trip({"x": array}, tmp_path))


def test_top_level_values_and_ordered_dicts_keep_their_type(tmp_path):
    for value in ([1, 2.0, "x"], (None,), OrderedDict(b=1, a=2), np.ones(3), 5):
        assert_same(value, round_trip(value, tmp_path))


def test_compressed_files_round_trip(tmp_path):
    state = Tiny().state_dict()
    assert_same(state, round_trip(state, tmp_path, compress=True))


def test_colliding_names_are_kept_apart(tmp_path):
    state = {"a": {"b": np.zeros(1)}, "a.b": np.ones(1)}
    assert_same(state, round_trip(state, tmp_path))


def test_the_path_is_used_as_given_and_numpy_can_read_the_arrays(tmp_path):
    path = tmp_path / "weights.bin"
    state = Tiny().state_dict()
    nn.save(state, path)
    assert path.exists() and not (tmp_path / "weights.bin.npz").exists()
    with np.load(path, allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["body.0.weight"], state["body.0.weight"])


def test_file_objects_work(tmp_path):
    buffer = io.BytesIO()
    nn.save({"w": np.ones(2)}, buffer)
    buffer.seek(0)
    assert_same({"w": np.ones(2)}, nn.load(buffer))


def test_a_plain_npz_loads_as_a_dict_of_arrays(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w=np.arange(3), b=np.ones(2))
    assert_same({"w": np.arange(3), "b": np.ones(2)}, nn.load(path))


def _mark(path):
    with open(path, "w") as handle:
        handle.write("pickle ran")


class Payload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return _mark, (self.path,)


def test_a_pickled_object_in_an_npz_is_refused_without_running(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.npz"
    payload = np.empty(1, dtype=object)
    payload[0] = Payload(str(marker))
    np.savez(path, weight=payload)
    with pytest.raises(ValueError, match="refusing array 'weight'.*arbitrary code"):
        nn.load(path)
    assert not marker.exists()


def test_a_raw_pickle_file_is_refused_without_running(tmp_path):
    import pickle

    marker = tmp_path / "marker"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"weight": Payload(str(marker))}))
    with pytest.raises(ValueError, match="load: cannot read .*pickled data is refused"):
        nn.load(path)
    assert not marker.exists()


@pytest.mark.parametrize("value, message", [
    ({"a": {1, 2}}, r"save: cannot store a set at 'a'"),
    ({"w": np.array([object()])}, r"save: the array at 'w' has dtype object"),
    ([{"f": lambda: 0}], r"save: cannot store a function at '0.f'"),
])
def test_unsupported_values_are_refused_when_saving(value, message, tmp_path):
    with pytest.raises(TypeError, match=message):
        nn.save(value, tmp_path / "x.npz")


def test_nn_save_and_load_are_ag_save_and_load():
    assert nn.save is ag.save and nn.load is ag.load


def test_pytorch_habit_ag_save_model_state_dict_then_load_state_dict(tmp_path):
    model, fresh = Tiny(), Tiny()
    ag.save(model.state_dict(), tmp_path / "model.pth")
    fresh.load_state_dict(ag.load(tmp_path / "model.pth"))
    assert_same(fresh.state_dict(), model.state_dict())


@pytest.mark.parametrize("make", [Tiny, lambda: nn.optim.SGD(Tiny().parameters(), lr=0.1)],
                         ids=["module", "optimizer"])
def test_saving_a_module_or_optimizer_points_to_state_dict(tmp_path, make):
    with pytest.raises(TypeError, match=r"^save: got a (Tiny|SGD); save its state instead: "
                                        r"ag.save\(model.state_dict\(\), path\)"):
        ag.save(make(), tmp_path / "x.npz")


def test_a_file_for_another_model_fails_naming_the_key_and_shapes(tmp_path):
    path = tmp_path / "other.npz"
    nn.save(nn.Sequential(nn.Linear(3, 5)).state_dict(), path)
    model = nn.Sequential(nn.Linear(3, 4))
    with pytest.raises(RuntimeError, match=r"size mismatch for '0.weight': copying a value of "
                                           r"shape \(5, 3\), the shape in the current model is "
                                           r"\(4, 3\)"):
        model.load_state_dict(nn.load(path))


def test_a_damaged_structure_record_is_reported(tmp_path):
    path = tmp_path / "broken.npz"
    header = b'{"format": "autograd-nn-npz", "version": 1, "root": {"t": "array", "key": "gone"}}'
    np.savez(path, __structure__=np.frombuffer(header, dtype=np.uint8))
    with pytest.raises(ValueError, match="refers to a missing array 'gone'"):
        nn.load(path)


# ------------------------------------------------------------------ atomic saves

REPOSITORY = pathlib.Path(nn.__file__).resolve().parents[1]
OLD_STATE = {"weight": np.arange(12.0).reshape(3, 4), "bias": np.array([1.0, -2.0, 3.0])}


def run_python(code: str, *args, **options) -> subprocess.Popen:
    """Start ``python -c code args`` with this checkout importable."""
    env = dict(os.environ, PYTHONPATH=str(REPOSITORY))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options)


def assert_only_the_checkpoint_is_left(directory: pathlib.Path, name: str) -> None:
    assert sorted(path.name for path in directory.iterdir()) == [name]


def test_a_save_failing_half_way_keeps_the_previous_checkpoint_and_leaves_no_temporary_file(
        tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    nn.save(OLD_STATE, path)
    write_array = np.lib.format.write_array
    written = []

    def fails_on_the_second_array(file, array, **options):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(array)
        write_array(file, array, **options)

    monkeypatch.setattr(np.lib.format, "write_array", fails_on_the_second_array)
    with pytest.raises(OSError, match="No space left on device"):
        nn.save({"weight": np.zeros((3, 4)), "bias": np.zeros(3)}, path)
    monkeypatch.undo()
    assert len(written) == 1
    assert_same(nn.load(path), OLD_STATE)
    assert_only_the_checkpoint_is_left(tmp_path, "model.npz")


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path):
    """A real ENOSPC-like failure: the writer's file size limit is below the new checkpoint's."""
    path = tmp_path / "model.npz"
    nn.save(OLD_STATE, path)
    writer = run_python("""
        import resource, signal, sys
        import numpy as np
        import nn
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG as an OSError, not a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
        try:
            nn.save({"weight": np.ones((100, 1000))}, sys.argv[1])
        except OSError as error:
            print("OSError", error.errno)
    """, path)
    out, err = writer.communicate(timeout=60)
    assert out.decode().split() == ["OSError", str(errno.EFBIG)], err.decode()
    assert_same(nn.load(path), OLD_STATE)
    assert_only_the_checkpoint_is_left(tmp_path, "model.npz")


def test_a_writer_killed_mid_save_leaves_the_previous_checkpoint_loadable(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(OLD_STATE, path)
    before = os.stat(path)
    writer = run_python("""
        import sys
        import numpy as np
        import nn
        rng = np.random.default_rng(0)
        big = {f"layer{i}": rng.standard_normal(1_000_000) for i in range(8)}  # 64 MB
        print("saving", flush=True)
        nn.save(big, sys.argv[1], compress=True)  # deflating random data: seconds
        print("saved", flush=True)
    """, path)
    assert writer.stdout.readline() == b"saving\n"

    def writing_started() -> bool:
        now = os.stat(path)
        changed = (now.st_ino, now.st_size, now.st_mtime_ns) != (
            before.st_ino, before.st_size, before.st_mtime_ns)
        return changed or len(list(tmp_path.iterdir())) > 1

    deadline = time.monotonic() + 60
    while not writing_started() and time.monotonic() < deadline:
        time.sleep(0.001)
    assert writing_started() and writer.poll() is None, "could not catch the writer mid-save"
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate(timeout=60)
    assert writer.returncode == -signal.SIGKILL
    assert_same(nn.load(path), OLD_STATE)


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(OLD_STATE, path)
    os.chmod(path, 0o640)
    nn.save({"bias": np.zeros(3)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert_same(nn.load(path), {"bias": np.zeros(3)})


def test_save_through_a_symlink_replaces_the_file_it_points_to(tmp_path):
    target, link = tmp_path / "real.npz", tmp_path / "latest.npz"
    nn.save(OLD_STATE, target)
    link.symlink_to(target)
    nn.save({"bias": np.zeros(3)}, link)
    assert link.is_symlink()
    assert_same(nn.load(target), {"bias": np.zeros(3)})


# ------------------------------------------------------------------ damaged files


def patch_sizes(path: pathlib.Path, uncompressed: int) -> None:
    """Make every zip header claim ``uncompressed`` bytes for the (single) member."""
    content = bytearray(path.read_bytes())
    local, central = content.find(b"PK\x03\x04"), content.find(b"PK\x01\x02")
    content[local + 22:local + 26] = uncompressed.to_bytes(4, "little")
    content[central + 24:central + 28] = uncompressed.to_bytes(4, "little")
    path.write_bytes(bytes(content))


def test_a_member_claiming_more_than_deflate_can_expand_to_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    nn.save({"w": np.zeros(1000)}, path, compress=True)
    patch_sizes(path, 2**32 - 2)
    with pytest.raises(ValueError, match=r"member 'w.npy' claims 4294967294 bytes uncompressed, "
                                         r"more than its \d+ compressed bytes can hold"):
        nn.load(path)


def test_a_member_whose_data_does_not_match_its_checksum_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    nn.save({"w": np.arange(100.0)}, path)
    content = bytearray(path.read_bytes())
    start = content.find(np.arange(100.0).tobytes())
    content[start + 8] ^= 0xFF  # flip one byte of the stored data
    path.write_bytes(bytes(content))
    with pytest.raises(ValueError, match=r"array 'w' is damaged \(BadZipFile: Bad CRC-32"):
        nn.load(path)


def test_keys_with_nul_bytes_round_trip_without_colliding(tmp_path):
    state = {"w\x00a": np.ones(2), "w": np.zeros(2), "w\x00b": np.full(2, 3.0)}
    assert_same(round_trip(state, tmp_path), state)


def test_saving_a_structure_nested_too_deeply_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"save: the value at '0\.0\.0.*' is nested more than "
                                        r"100 levels deep"):
        nn.save(nested_list(150), tmp_path / "deep.npz")
    assert_same(round_trip(nested_list(99), tmp_path), nested_list(99))


def test_a_file_object_that_is_not_a_checkpoint_is_named_in_the_error():
    with pytest.raises(ValueError, match=r"load: cannot read .*BytesIO.*: not a file written"):
        nn.load(io.BytesIO(b"just text"))
