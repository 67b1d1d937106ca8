import gzip
import os
import struct
import tracemalloc

import numpy as np
import pytest

from nn import datasets
from tests.crafted_files import gzip_bomb, idx_bytes

# type code, big-endian struct format of one value, expected native dtype
IDX_TYPES = [
    (0x08, "B", np.uint8),
    (0x09, "b", np.int8),
    (0x0B, "h", np.int16),
    (0x0C, "i", np.int32),
    (0x0D, "f", np.float32),
    (0x0E, "d", np.float64),
]


def write(path, content, compress):
    with open(path, "wb") as file:
        file.write(gzip.compress(content) if compress else content)
    return path


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("type_code, value_format, dtype", IDX_TYPES)
def test_load_idx_reads_values_in_row_major_order(
    tmp_path, compress, type_code, value_format, dtype
):
    values = [1, -2, 3, 100, -5, 6] if value_format != "B" else [1, 2, 3, 200, 5, 255]
    content = idx_bytes(type_code, value_format, (2, 3), values)
    array = datasets.load_idx(write(tmp_path / "file", content, compress))
    assert array.dtype == np.dtype(dtype) and array.dtype.isnative
    assert array.shape == (2, 3)
    assert array.tolist() == [values[:3], values[3:]]
    array[0, 0] = 7  # writable, not a view of the file's bytes


def test_load_idx_detects_gzip_by_content_not_name(tmp_path):
    content = idx_bytes(0x08, "B", (3,), [4, 5, 6])
    raw_named_gz = write(tmp_path / "labels.gz", content, compress=False)
    gzip_named_raw = write(tmp_path / "labels-idx1-ubyte", content, compress=True)
    assert datasets.load_idx(raw_named_gz).tolist() == [4, 5, 6]
    assert datasets.load_idx(str(gzip_named_raw)).tolist() == [4, 5, 6]


def test_load_idx_three_dimensional_images(tmp_path):
    pixels = list(range(2 * 4 * 5))
    content = idx_bytes(0x08, "B", (2, 4, 5), pixels)
    images = datasets.load_idx(write(tmp_path / "images", content, compress=True))
    assert images.shape == (2, 4, 5)
    assert images[1, 2, 3] == 1 * 20 + 2 * 5 + 3


def test_load_idx_zero_dimensional_sizes(tmp_path):
    content = idx_bytes(0x08, "B", (0, 28, 28), [])
    assert datasets.load_idx(write(tmp_path / "empty", content, False)).shape == (0, 28, 28)


GOOD = idx_bytes(0x08, "B", (2, 3), [1, 2, 3, 4, 5, 6])


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x00", "too short for an IDX header"),
        (b"\x08\x03" + GOOD[2:], "not an IDX file.*0x08 0x03"),
        (b"\x00\x00\x07\x02" + GOOD[4:], "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x03" + GOOD[4:10], "truncated header: 3 dimensions need 16 bytes"),
        (GOOD[:-1], r"truncated: header declares shape \(2, 3\) of uint8 = 6 data bytes.* 5"),
        (GOOD + b"\x00\x00", "trailing bytes.* 8"),
        (idx_bytes(0x08, "B", (2, 4), [1, 2, 3, 4, 5, 6]), r"truncated.*\(2, 4\)"),
        (b"\x00\x00\x0c\x01" + struct.pack(">Ii", 2, 1), r"truncated.*int32 = 8 data bytes"),
    ],
    ids=["short", "magic", "type", "header", "data", "trailing", "dims", "int32"],
)
def test_load_idx_rejects_malformed_files_naming_the_file(tmp_path, compress, content, message):
    path = write(tmp_path / "broken-idx", content, compress)
    with pytest.raises(ValueError, match=message) as info:
        datasets.load_idx(path)
    assert str(path) in str(info.value)


def test_load_idx_rejects_truncated_gzip_stream(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(GOOD)[:-6])
    with pytest.raises(ValueError, match="cut.gz: corrupt gzip data"):
        datasets.load_idx(path)


def peak_memory_of(call) -> int:
    """Peak bytes allocated (tracemalloc: Python objects and NumPy buffers) while ``call`` runs."""
    tracemalloc.start()
    try:
        call()
    except ValueError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_gzip_bomb_is_refused_before_it_is_decompressed(tmp_path):
    path = tmp_path / "labels-idx1-ubyte.gz"
    gzip_bomb(path, idx_bytes(0x08, "B", (10,), []), zeros=256 << 20)  # 10 labels declared
    assert path.stat().st_size < 300 << 10  # ~254 KiB that would expand to 256 MiB
    with pytest.raises(ValueError, match=r"has trailing bytes: header declares shape \(10,\) of "
                                         r"uint8 = 10 data bytes, the file has more than 65546"):
        datasets.load_idx(path)
    assert peak_memory_of(lambda: datasets.load_idx(path)) < 2 << 20


def test_a_gzip_file_declaring_more_than_it_holds_costs_only_what_it_holds(tmp_path):
    path = tmp_path / "images-idx3-ubyte.gz"
    gzip_bomb(path, idx_bytes(0x08, "B", (60000, 1000, 1000), []), zeros=1 << 20)
    with pytest.raises(ValueError, match=r"truncated: header declares shape \(60000, 1000, "
                                         r"1000\) of uint8 = 60000000000 data bytes, the file "
                                         r"has 1048576"):
        datasets.load_idx(path)
    assert peak_memory_of(lambda: datasets.load_idx(path)) < 8 << 20


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_a_header_whose_size_overflows_int64_is_refused(tmp_path, compress):
    # 65536**4 = 2**64 bytes: 0 in int64 arithmetic, which would match an empty data section
    path = write(tmp_path / "overflow", idx_bytes(0x08, "B", (65536,) * 4, []), compress)
    with pytest.raises(ValueError, match=r"truncated: header declares shape \(65536, 65536, 65536, "
                                         r"65536\) of uint8 = 18446744073709551616 data bytes, the "
                                         r"file has 0"):
        datasets.load_idx(path)


def test_load_idx_missing_file():
    with pytest.raises(FileNotFoundError):
        datasets.load_idx("/nonexistent/file-idx1-ubyte")


# ---- MNIST-style directories -----------------------------------------------


def write_mnist_dir(root, sizes, compress, dotted=False):
    """Four tiny (N, 2, 2) image / label files under their standard names."""
    rng = np.random.default_rng(0)
    expected = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        count = sizes[split]
        pixels = rng.integers(0, 256, size=count * 4).tolist()
        labels = rng.integers(0, 10, size=count).tolist()
        separator = "." if dotted else "-"
        suffix = ".gz" if compress else ""
        images_name = f"{prefix}-images{separator}idx3-ubyte{suffix}"
        labels_name = f"{prefix}-labels{separator}idx1-ubyte{suffix}"
        write(root / images_name, idx_bytes(0x08, "B", (count, 2, 2), pixels), compress)
        write(root / labels_name, idx_bytes(0x08, "B", (count,), labels), compress)
        expected[split] = (np.array(pixels).reshape(count, 2, 2), np.array(labels))
    return expected


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dotted", [False, True])
@pytest.mark.parametrize("loader", [datasets.mnist, datasets.fashion_mnist])
def test_mnist_style_directory(tmp_path, loader, compress, dotted):
    expected = write_mnist_dir(tmp_path, {"train": 5, "test": 3}, compress, dotted)
    (x_train, y_train), (x_test, y_test) = loader(tmp_path)
    for (images, labels), split in (((x_train, y_train), "train"), ((x_test, y_test), "test")):
        assert images.dtype == np.uint8 and labels.dtype == np.int64
        np.testing.assert_array_equal(images, expected[split][0])
        np.testing.assert_array_equal(labels, expected[split][1])


@pytest.mark.parametrize(
    "loader, hint",
    [
        (datasets.mnist, "ossci-datasets"),
        (datasets.fashion_mnist, "apt-get install dataset-fashion-mnist"),
    ],
)
def test_missing_directory_says_how_to_get_the_data(tmp_path, loader, hint):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere") as info:
        loader(missing)
    assert hint in str(info.value)


def test_missing_file_is_named(tmp_path):
    write_mnist_dir(tmp_path, {"train": 2, "test": 2}, compress=True)
    os.remove(tmp_path / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.*yann.lecun"):
        datasets.mnist(tmp_path)


def test_images_and_labels_of_different_lengths(tmp_path):
    write_mnist_dir(tmp_path, {"train": 4, "test": 2}, compress=False)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(0x08, "B", (3,), [1, 2, 3]), False)
    with pytest.raises(ValueError, match=r"train images \(4, 2, 2\) and labels \(3,\)"):
        datasets.mnist(tmp_path)


@pytest.mark.parametrize("file, content, message", [
    ("train-images-idx3-ubyte", idx_bytes(0x0D, "f", (4, 2, 2), [0.5] * 16),
     r"train-images-idx3-ubyte holds float32 values; MNIST-style files store unsigned bytes"),
    ("train-labels-idx1-ubyte", idx_bytes(0x0E, "d", (4,), [1.7, 2.0, 3.0, 0.2]),
     r"train-labels-idx1-ubyte holds float64 values"),
    ("t10k-images-idx3-ubyte", idx_bytes(0x09, "b", (2, 2, 2), [-1] * 8),
     r"t10k-images-idx3-ubyte holds int8 values"),
    ("t10k-labels-idx1-ubyte", idx_bytes(0x08, "B", (2,), [3, 12]),
     r"t10k-labels-idx1-ubyte has label 12 at index 1; expected 0..9"),
], ids=["float-images", "float-labels", "int8-images", "label-out-of-range"])
@pytest.mark.parametrize("loader", [datasets.mnist, datasets.fashion_mnist])
def test_mnist_refuses_values_it_would_have_to_truncate(tmp_path, loader, file, content, message):
    write_mnist_dir(tmp_path, {"train": 4, "test": 2}, compress=False)
    write(tmp_path / file, content, False)
    with pytest.raises(ValueError, match=message):
        loader(tmp_path)


@pytest.mark.skipif(
    not os.path.isdir(datasets.FASHION_MNIST_ROOT), reason="dataset-fashion-mnist not installed"
)
def test_real_fashion_mnist():
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert y_train.dtype == np.int64
    # Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert x_train.min() == 0 and x_train.max() == 255
    assert len(datasets.FASHION_MNIST_CLASSES) == 10
