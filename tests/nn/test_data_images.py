"""nn.data image datasets: the embedded digits, IDX files, MNIST/Fashion-MNIST lookup and checked downloads
(against a server on 127.0.0.1, never the internet)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

import nn.data.images as images_module
from nn.data import DataLoader, DownloadError, load_dataset, read_idx, write_idx
from nn.data.download import download_file

FASHION = Path("/usr/share/datasets/fashion-mnist")

# --- the embedded digits --------------------------------------------------------------------------------


def test_digits_ship_inside_the_package_with_a_fixed_test_split():
    data = load_dataset()
    assert data.name == "digits" and data.classes == [str(i) for i in range(10)] and data.num_classes == 10
    assert data.input_shape == (1, 8, 8) and "digits.npz" in data.source
    assert len(data.train) + len(data.val) + len(data.test) == 1797
    assert len(data.test) == 359 and len(data.val) == round(0.1 * 1438)
    x, y = data.train.arrays
    assert x.dtype == np.float32 and x.shape == (len(data.train), 1, 8, 8) and y.dtype == np.int64
    assert abs(x.mean()) < 1e-5 and abs(x.std() - 1) < 1e-5  # standardised with the training split's statistics
    assert sorted(np.unique(y)) == list(range(10))
    counts = np.bincount(data.test.arrays[1])
    assert counts.min() >= 35 and counts.max() <= 37  # stratified: 20% of each class
    # the test split does not depend on the seed, the validation split does
    other = load_dataset(seed=1)
    raw = lambda d: d.test.arrays[0] * d.std + d.mean
    np.testing.assert_allclose(raw(other), raw(data), atol=1e-5)
    np.testing.assert_array_equal(other.test.arrays[1], data.test.arrays[1])
    assert not np.array_equal(other.val.arrays[1], data.val.arrays[1])
    again = load_dataset(seed=0)
    np.testing.assert_array_equal(again.val.arrays[0], data.val.arrays[0])
    # the raw pixels come back with mean and std, and are the integers 0..16 of the UCI data
    raw = data.test.arrays[0] * data.std + data.mean
    np.testing.assert_allclose(raw * 16, np.round(raw * 16), atol=1e-4)
    assert raw.min() == pytest.approx(0, abs=1e-6) and raw.max() == pytest.approx(1, abs=1e-6)


def test_digits_match_scikit_learns_copy():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    bunch = sklearn_datasets.load_digits()
    data = load_dataset(val_fraction=0)
    ours = np.concatenate([d.arrays[0] for d in (data.train, data.test)]) * data.std + data.mean
    labels = np.concatenate([d.arrays[1] for d in (data.train, data.test)])
    keys = lambda imgs, ys: sorted(zip(ys.tolist(), np.round(imgs.reshape(len(ys), -1) * 16).astype(int).tolist()))
    assert keys(ours, labels) == keys(bunch.images / 16, bunch.target)


def test_limit_keeps_the_first_training_images_and_the_loader_batches_them():
    full, small = load_dataset(), load_dataset(limit=100)
    assert len(small.train) == 100 and len(small.val) == len(full.val) and len(small.test) == len(full.test)
    np.testing.assert_array_equal(small.train.arrays[1], full.train.arrays[1][:100])
    raw = lambda d, split: d.__dict__[split].arrays[0] * d.std + d.mean
    np.testing.assert_allclose(raw(small, "train"), raw(full, "train")[:100], atol=1e-5)
    x, y = next(iter(DataLoader(small.train, batch_size=32, shuffle=True)))
    assert x.shape == (32, 1, 8, 8) and y.shape == (32,)
    assert len(load_dataset(limit=10**6).train) == len(full.train)


def test_bad_arguments_and_unknown_names():
    with pytest.raises(FileNotFoundError, match="unknown dataset 'mnits'.*Did you mean 'mnist'"):
        load_dataset("mnits")
    with pytest.raises(FileNotFoundError, match="Did you mean 'fashion-mnist'"):
        load_dataset("fashion-mnst")
    with pytest.raises(ValueError, match="val_fraction"):
        load_dataset(val_fraction=1)
    with pytest.raises(ValueError, match="limit must be a positive int"):
        load_dataset(limit=0)


# --- IDX files ------------------------------------------------------------------------------------------


def write_mnist_like(folder: Path, n_train=30, n_test=10, size=6, gz=True, seed=0) -> dict[str, np.ndarray]:
    """Four small IDX files the way MNIST ships them; returns their arrays."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, size, size), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, size, size), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        write_idx(folder / (name + (".gz" if gz else "")), a)
    return arrays


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path, dtype):
    a = (np.arange(24) - 5).astype(dtype).reshape(2, 3, 4)
    for name in ("a-idx3", "a-idx3.gz"):
        write_idx(tmp_path / name, a)
        b = read_idx(tmp_path / name)
        assert b.dtype == a.dtype and b.dtype.isnative
        np.testing.assert_array_equal(b, a)
    raw = (tmp_path / "a-idx3").read_bytes()
    code = {"uint8": 8, "int8": 9, "int16": 11, "int32": 12, "float32": 13, "float64": 14}[np.dtype(dtype).name]
    assert raw[:4] == bytes([0, 0, code, 3])
    assert [int.from_bytes(raw[i : i + 4], "big") for i in (4, 8, 12)] == [2, 3, 4]  # big-endian dimensions
    assert np.frombuffer(raw[16:], np.dtype(dtype).newbyteorder(">"))[-1] == 18  # big-endian values


def test_idx_header_is_the_published_format(tmp_path):
    write_idx(tmp_path / "x", np.zeros((60000, 28, 28), np.uint8)[:2])
    raw = (tmp_path / "x").read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03" and raw[4:16] == (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    assert len(raw) == 16 + 2 * 28 * 28


def test_idx_errors_name_the_file(tmp_path):
    good = tmp_path / "good-idx1-ubyte"
    write_idx(good, np.arange(100, dtype=np.uint8))
    cut = tmp_path / "cut-idx1-ubyte"
    cut.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"cut-idx1-ubyte: IDX file cut short: shape \(100,\).*100 bytes.*found 90"):
        read_idx(cut)
    long = tmp_path / "long-idx1-ubyte"
    long.write_bytes(good.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="longer than its header says"):
        read_idx(long)
    magic = tmp_path / "magic-idx1-ubyte"
    magic.write_bytes(b"PK\x03\x04" + good.read_bytes()[4:])
    with pytest.raises(ValueError, match="magic-idx1-ubyte: not an IDX file.*50 4b 03 04"):
        read_idx(magic)
    gz = tmp_path / "cut-idx1-ubyte.gz"
    gz.write_bytes(gzip.compress(good.read_bytes())[:-12])
    with pytest.raises(ValueError, match="cut-idx1-ubyte.gz: the gzip data is damaged or cut short"):
        read_idx(gz)
    with pytest.raises(TypeError, match="no type for bool"):
        write_idx(tmp_path / "b", np.zeros(3, bool))


@pytest.mark.parametrize("gz", [True, False])
def test_a_directory_of_idx_files_loads_like_mnist(tmp_path, gz):
    arrays = write_mnist_like(tmp_path / "my-digits", gz=gz)
    data = load_dataset(tmp_path / "my-digits", val_fraction=0.2, seed=3)
    assert data.name == "my-digits" and data.source == str(tmp_path / "my-digits")
    assert (len(data.train), len(data.val), len(data.test)) == (24, 6, 10)
    assert data.input_shape == (1, 6, 6) and data.train.arrays[0].shape == (24, 1, 6, 6)
    train = arrays["train-images-idx3-ubyte"]
    raw = lambda split: np.round((split.arrays[0][:, 0] * data.std + data.mean) * 255).astype(np.uint8)
    np.testing.assert_array_equal(raw(data.test), arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.test.arrays[1], arrays["t10k-labels-idx1-ubyte"])
    both = np.concatenate([raw(data.train), raw(data.val)])
    assert sorted(map(bytes, both)) == sorted(map(bytes, train))
    assert data.mean == pytest.approx(raw(data.train).mean() / 255) and data.std == pytest.approx(
        raw(data.train).std() / 255
    )  # the training split's statistics, not the validation images'
    x = data.train.arrays[0]
    assert abs(float(x.mean())) < 1e-5 and abs(float(x.std()) - 1) < 1e-5
    # the dotted file names some copies use work too
    for p in (tmp_path / "my-digits").iterdir():
        p.rename(p.with_name(p.name.replace("-idx", ".idx")))
    assert len(load_dataset(tmp_path / "my-digits").test) == 10


def test_a_directory_with_missing_or_mismatched_files(tmp_path):
    write_mnist_like(tmp_path / "d")
    (tmp_path / "d" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="lacks t10k-labels-idx1-ubyte.gz"):
        load_dataset(tmp_path / "d")
    write_idx(tmp_path / "d" / "t10k-labels-idx1-ubyte.gz", np.zeros(9, np.uint8))
    with pytest.raises(ValueError, match=r"don't match.*\(10, 6, 6\) and \(9,\)"):
        load_dataset(tmp_path / "d")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="is a file; give a directory"):
        load_dataset(tmp_path / "file.txt")


# --- MNIST / Fashion-MNIST: where they are looked for, and downloads ------------------------------------


class _Server:
    """A static file server on 127.0.0.1 in a thread; ``files`` maps a URL path to bytes, and
    ``claim_length`` can make it promise more bytes than it sends (a truncated transfer)."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.claim_length: dict[str, int] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(server.claim_length.get(self.path, len(body))))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    with _Server() as s:
        yield s


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch, server):
    """'mnist' served from the local server with correct checksums; the cache in tmp_path."""
    source = tmp_path / "source"
    arrays = write_mnist_like(source, n_train=20, n_test=5, size=4)
    md5 = {}
    for key, stem in images_module.IDX_FILES.items():
        body = (source / f"{stem}.gz").read_bytes()
        server.files[f"/mnist/{stem}.gz"] = body
        md5[key] = hashlib.md5(body).hexdigest()
    remote = images_module._Remote(
        mirrors=(server.url + "mnist/",), md5=md5, system_dirs=(str(tmp_path / "nowhere"),), classes=["a"] * 10,
        get_it="`get-mnist`",
    )  # fmt: skip
    monkeypatch.setitem(images_module.REMOTES, "mnist", remote)
    monkeypatch.setenv("GRAPHGRAD_DATA", str(tmp_path / "cache"))
    return arrays


def test_download_once_into_the_cache_then_read_from_it(tmp_path, server, fake_mnist):
    data = load_dataset("mnist")
    cache = tmp_path / "cache" / "mnist"
    assert data.source == str(cache) and sorted(p.name for p in cache.iterdir()) == sorted(
        f"{s}.gz" for s in images_module.IDX_FILES.values()
    )
    np.testing.assert_array_equal(data.test.arrays[1], fake_mnist["t10k-labels-idx1-ubyte"])
    assert len(server.requests) == 4
    load_dataset("mnist")
    assert len(server.requests) == 4  # read from the cache the second time
    # root= downloads into root/NAME
    assert load_dataset("mnist", root=tmp_path / "elsewhere").source == str(tmp_path / "elsewhere" / "mnist")


def test_a_bad_checksum_is_an_error_and_leaves_nothing_behind(tmp_path, server, fake_mnist):
    server.files["/mnist/train-labels-idx1-ubyte.gz"] = gzip.compress(b"\0\0\x08\x01" + b"\0\0\0\x02" + b"\x01\x02")
    with pytest.raises(DownloadError, match="train-labels-idx1-ubyte.gz has the wrong checksum") as e:
        load_dataset("mnist")
    assert e.value.corrupt
    leftovers = sorted(p.name for p in (tmp_path / "cache" / "mnist").iterdir())
    assert leftovers == ["train-images-idx3-ubyte.gz"]  # the file before it; no partial or temporary file


def test_a_truncated_download_is_an_error_and_leaves_nothing_behind(tmp_path, server):
    server.files["/f.gz"] = b"x" * 1000
    server.claim_length["/f.gz"] = 5000
    with pytest.raises(DownloadError, match="cut short.*1,000 bytes of 5,?000"):
        download_file(server.url + "f.gz", tmp_path / "d" / "f.gz")
    assert list((tmp_path / "d").iterdir()) == []
    with pytest.raises(DownloadError, match="could not download.*404|Not Found"):
        download_file(server.url + "missing.gz", tmp_path / "d" / "missing.gz")
    assert list((tmp_path / "d").iterdir()) == []


def test_a_good_download_checks_its_md5(tmp_path, server):
    server.files["/ok"] = b"hello"
    path = download_file(server.url + "ok", tmp_path / "ok", md5=hashlib.md5(b"hello").hexdigest())
    assert path.read_bytes() == b"hello"


def test_no_data_and_no_network_names_every_place_and_the_command(tmp_path, monkeypatch, server, fake_mnist):
    server.files.clear()  # the mirror answers 404: as good as offline
    with pytest.raises(FileNotFoundError) as e:
        load_dataset("mnist")
    message = str(e.value)
    assert str(tmp_path / "cache" / "mnist") in message and str(tmp_path / "nowhere") in message
    assert "downloading failed" in message and "`get-mnist`" in message
    assert "\n" not in message
    assert not (tmp_path / "cache" / "mnist").exists()  # no empty folder left that looks like a dataset
    with pytest.raises(FileNotFoundError, match="downloading is off"):
        load_dataset("mnist", download=False)
    with pytest.raises(DownloadError):
        load_dataset("mnist", download=True)  # asked for: its failure is the error
    # a folder holding only some of the files is named with what it lacks
    write_mnist_like(tmp_path / "nowhere")
    (tmp_path / "nowhere" / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="nowhere \\(lacks t10k-images-idx3-ubyte\\)"):
        load_dataset("mnist", download=False)


def test_the_real_fashion_mnist_messages_name_apt_get(tmp_path, monkeypatch):
    remote = images_module.REMOTES["fashion-mnist"]
    monkeypatch.setitem(
        images_module.REMOTES, "fashion-mnist", images_module._Remote(remote.mirrors, remote.md5, (), remote.classes,
                                                                      remote.get_it)
    )  # fmt: skip
    monkeypatch.setenv("GRAPHGRAD_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist", download=False)


@pytest.mark.skipif(not FASHION.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_debians_package(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHGRAD_DATA", str(tmp_path))  # an empty cache: the system folder is found next
    data = load_dataset("fashion-mnist", limit=500, download=False)
    assert data.source == str(FASHION) and data.classes[0] == "T-shirt/top" and data.classes[9] == "Ankle boot"
    assert (len(data.train), len(data.val), len(data.test)) == (500, 6000, 10000)
    assert data.input_shape == (1, 28, 28) and np.bincount(data.test.arrays[1]).tolist() == [1000] * 10
    assert data.train.arrays[0].dtype == np.float32


def test_python_m_nn_data_downloads_and_lists(tmp_path, server, fake_mnist, capsys):
    from nn.data.__main__ import main

    assert main(["download", "mnist"]) == 0
    assert str(tmp_path / "cache" / "mnist") in capsys.readouterr().out
    assert len(list((tmp_path / "cache" / "mnist").iterdir())) == 4
    server.files.clear()
    assert main(["download", "mnist", "--root", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("python -m nn.data: could not download") and err.count("\n") == 1
    assert main(["list"]) == 0
    assert "fashion-mnist" in capsys.readouterr().out


def test_a_name_means_the_dataset_and_a_path_the_folder(tmp_path, monkeypatch):
    write_mnist_like(tmp_path / "digits")
    monkeypatch.chdir(tmp_path)
    assert load_dataset("digits").input_shape == (1, 8, 8)  # the embedded one, not ./digits
    assert load_dataset(Path("digits")).input_shape == (1, 6, 6)
    assert load_dataset("./digits").input_shape == (1, 6, 6)


def test_the_embedded_data_files_are_declared_as_package_data():
    tomllib = pytest.importorskip("tomllib")
    import fnmatch

    root = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["nn.data"]
    data_files = [p.name for p in (root / "nn" / "data").iterdir() if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert {"digits.npz", "shakespeare.txt.gz"} <= set(data_files)
    for name in data_files:
        assert any(fnmatch.fnmatch(name, pat) for pat in patterns), f"{name} would not ship in the wheel"
