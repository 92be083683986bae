"""Image classification datasets: the embedded UCI digits, and MNIST / Fashion-MNIST from IDX files.

``load_dataset`` returns train / validation / test ``TensorDataset``\\ s of ``(images, labels)``: images
float32 of shape ``(N, 1, H, W)``, scaled to [0, 1] and then standardised with the mean and standard
deviation of the training split's pixels (kept as ``.mean`` and ``.std``); labels int64.

>>> data = load_dataset("digits")
>>> len(data.train), len(data.val), len(data.test), data.input_shape, data.num_classes
(1294, 144, 359, (1, 8, 8), 10)
>>> images, labels = data.train[:2]
>>> images.shape, images.dtype, labels.tolist()
((2, 1, 8, 8), dtype('float32'), [1, 2])

Where MNIST and Fashion-MNIST are looked for, in order: ``root`` (if given: ``root/NAME`` and ``root``
itself), else graphgrad's cache (``$GRAPHGRAD_DATA/NAME``, by default ``~/.cache/graphgrad/NAME``); then the
system's data folder (Debian's ``dataset-fashion-mnist`` package installs ``/usr/share/datasets/fashion-mnist``).
If none has the four files they are downloaded into ``root/NAME`` or the cache, checksums verified
(``download=False`` forbids it, ``download=True`` requires it to work; the default tries it).
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .dataloader import TensorDataset
from .download import DownloadError, cache_dir, download_file
from .idx import read_idx

__all__ = ["DATASETS", "DatasetSplits", "load_dataset"]

DIGIT_CLASSES = [str(i) for i in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]  # fmt: skip

# The four IDX files of an MNIST-style dataset; the published ``.gz`` names, each also found uncompressed and
# with the dot some copies use ("train-images.idx3-ubyte").
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class _Remote:
    """Where an IDX dataset lives: its mirrors (tried in order), published MD5s, and system folders."""

    mirrors: tuple[str, ...]
    md5: dict[str, str]
    system_dirs: tuple[str, ...]
    classes: list[str]
    get_it: str  # the command that gets the data when nothing else worked


REMOTES = {
    "mnist": _Remote(
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        md5={
            "train_images": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train_labels": "d53e105ee54ea40749a09fcbcd1e9432",
            "test_images": "9fb629c4189551a2d022fa330f9573f3",
            "test_labels": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        system_dirs=("/usr/share/datasets/mnist",),
        classes=DIGIT_CLASSES,
        get_it="`python -m nn.data download mnist` (online)",
    ),
    "fashion-mnist": _Remote(
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        md5={
            "train_images": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train_labels": "25c81989df183df01b3e8a0aad5dffbe",
            "test_images": "bef4ecab320f06d8554ea6380940ec79",
            "test_labels": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        system_dirs=("/usr/share/datasets/fashion-mnist",),
        classes=FASHION_CLASSES,
        get_it="`sudo apt-get install dataset-fashion-mnist` (Debian, Ubuntu) or, online, "
        "`python -m nn.data download fashion-mnist`",
    ),
}
DATASETS = ("digits", *REMOTES)
_ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist", "uci-digits": "digits"}


@dataclass
class DatasetSplits:
    """A classification dataset split three ways: ``train``, ``val`` and ``test`` are ``TensorDataset``\\ s
    of ``(images, labels)``; ``classes`` names the labels; ``input_shape`` is ``(1, H, W)``; ``mean`` and
    ``std`` are the statistics the images were standardised with (``x * std + mean`` undoes it);
    ``source`` says where the data was read from."""

    train: TensorDataset
    val: TensorDataset
    test: TensorDataset
    classes: list[str]
    input_shape: tuple[int, ...]
    name: str
    source: str
    mean: float = 0.0
    std: float = 1.0
    num_classes: int = field(init=False)

    def __post_init__(self) -> None:
        self.num_classes = len(self.classes)

    def __repr__(self) -> str:
        return (
            f"DatasetSplits({self.name}: train {len(self.train):,}, val {len(self.val):,}, test {len(self.test):,} "
            f"images of {self.input_shape}, {self.num_classes} classes; from {self.source})"
        )


def load_dataset(
    name_or_path: str | Path = "digits",
    *,
    root: str | Path | None = None,
    val_fraction: float = 0.1,
    seed: int = 0,
    limit: int | None = None,
    download: bool | None = None,
) -> DatasetSplits:
    """Load ``"digits"`` (embedded, the default), ``"mnist"``, ``"fashion-mnist"``, or a directory holding
    the four IDX files of an MNIST-style dataset (a ``Path``, or a str that is not one of those names),
    split into train / validation / test.

    The validation split is ``val_fraction`` of the training images, drawn with ``seed``; the test split
    is the dataset's own. ``limit=N`` keeps the first ``N`` images of the training split (the validation
    and test splits stay whole). The images are standardised with the training split's statistics.
    See the module docstring for where files are looked for and ``download``.
    """
    if not 0 <= val_fraction < 1:
        raise ValueError(f"load_dataset: val_fraction must be in [0, 1), got {val_fraction}")
    if limit is not None and (not isinstance(limit, (int, np.integer)) or isinstance(limit, bool) or limit < 1):
        raise ValueError(f"load_dataset: limit must be a positive int, got {limit!r}")
    # a str that names a dataset means that dataset (write "./mnist" for a folder called mnist); else a path
    key = str(name_or_path).lower() if isinstance(name_or_path, str) else None
    key = _ALIASES.get(key, key)
    if key == "digits":
        arrays, source, classes, scale = _digits(), "embedded UCI digits (nn/data/digits.npz)", DIGIT_CLASSES, 16.0
    elif key in REMOTES:
        folder = _find_or_download(key, root, download)
        arrays, source, classes, scale = _read_idx_dir(folder), str(folder), REMOTES[key].classes, 255.0
    else:
        folder = Path(name_or_path).expanduser()
        _check_folder(folder)
        arrays, source, scale = _read_idx_dir(folder), str(folder), 255.0
        key = folder.resolve().name or str(folder)
        n = int(max(arrays["train_labels"].max(), arrays["test_labels"].max())) + 1
        classes = FASHION_CLASSES if "fashion" in key.lower() and n == 10 else [str(i) for i in range(n)]
    return _split(arrays, key, source, classes, scale, val_fraction, seed, limit)


def _digits() -> dict[str, np.ndarray]:
    data = (resources.files(__package__) / "digits.npz").read_bytes()
    with np.load(io.BytesIO(data)) as f:
        return {k: f[k] for k in IDX_FILES}


def _split(arrays, name, source, classes, scale, val_fraction, seed, limit) -> DatasetSplits:
    """Hold out the validation images, apply ``limit``, standardise, and wrap in datasets."""
    images, labels = arrays["train_images"], arrays["train_labels"]
    n = len(images)
    is_val = np.zeros(n, dtype=bool)
    is_val[np.random.default_rng(seed).permutation(n)[: round(val_fraction * n)]] = True
    train_idx, val_idx = np.flatnonzero(~is_val)[:limit], np.flatnonzero(is_val)  # both in file order
    mean, std = _pixel_stats(images[train_idx], scale)

    def dataset(x: np.ndarray, y: np.ndarray) -> TensorDataset:
        out = x.astype(np.float32)[:, None]  # (x / scale - mean) / std, in place in float32
        out *= np.float32(1 / (scale * std))
        out -= np.float32(mean / std)
        return TensorDataset(out, y.astype(np.int64))

    return DatasetSplits(
        train=dataset(images[train_idx], labels[train_idx]),
        val=dataset(images[val_idx], labels[val_idx]),
        test=dataset(arrays["test_images"], arrays["test_labels"]),
        classes=list(classes),
        input_shape=(1, *images.shape[1:]),
        name=name,
        source=source,
        mean=mean,
        std=std,
    )


def _pixel_stats(images: np.ndarray, scale: float) -> tuple[float, float]:
    """Mean and standard deviation of ``images / scale``, exactly (from a histogram) for 8-bit pixels."""
    if images.size == 0:
        return 0.0, 1.0
    if images.dtype == np.uint8:
        counts = np.bincount(images.reshape(-1), minlength=256)
        values = np.arange(256) / scale
        mean = float(counts @ values / images.size)
        var = float(counts @ (values - mean) ** 2 / images.size)
    else:
        x = images.astype(np.float64) / scale
        mean, var = float(x.mean()), float(x.var())
    return mean, (var**0.5 if var > 0 else 1.0)


def _idx_files(folder: Path) -> dict[str, Path | None]:
    """The path of each of the four IDX files in ``folder`` (``None`` where missing)."""
    found: dict[str, Path | None] = {}
    for key, stem in IDX_FILES.items():
        dotted = stem.replace("-idx", ".idx")
        candidates = [folder / f"{s}{ext}" for s in (stem, dotted) for ext in (".gz", "")]
        found[key] = next((p for p in candidates if p.is_file()), None)
    return found


def _check_folder(folder: Path) -> None:
    if folder.is_dir():
        return
    if folder.exists():
        raise ValueError(
            f"load_dataset: {str(folder)!r} is a file; give a directory holding the four IDX files "
            f"({', '.join(v + '.gz' for v in IDX_FILES.values())}) or one of: {', '.join(DATASETS)}"
        )
    close = difflib.get_close_matches(str(folder).lower(), [*DATASETS, *_ALIASES], n=1)
    hint = f" Did you mean {_ALIASES.get(close[0], close[0])!r}?" if close else ""
    raise FileNotFoundError(
        f"load_dataset: unknown dataset {str(folder)!r}: not one of {', '.join(DATASETS)}, nor a directory.{hint}"
    )


def _read_idx_dir(folder: Path) -> dict[str, np.ndarray]:
    files = _idx_files(folder)
    missing = [IDX_FILES[k] + ".gz" for k, p in files.items() if p is None]
    if missing:
        raise FileNotFoundError(f"load_dataset: {folder} lacks {', '.join(missing)} (or the same without .gz)")
    arrays = {k: read_idx(p) for k, p in files.items()}
    for part in ("train", "test"):
        x, y = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(
                f"load_dataset: {files[f'{part}_images']} and {files[f'{part}_labels']} don't match: images must "
                f"be (N, H, W) and labels (N,), got {x.shape} and {y.shape}"
            )
    if arrays["train_images"].shape[1:] != arrays["test_images"].shape[1:]:
        raise ValueError(
            f"load_dataset: {folder}: training images are {arrays['train_images'].shape[1:]} but test "
            f"images {arrays['test_images'].shape[1:]}"
        )
    return arrays


def _find_or_download(name: str, root: str | Path | None, download: bool | None) -> Path:
    """The first folder holding all four files of dataset ``name``, downloading them if none does."""
    remote = REMOTES[name]
    home = Path(root).expanduser() / name if root is not None else cache_dir() / name
    places = [home, *([Path(root).expanduser()] if root is not None else []), *map(Path, remote.system_dirs)]
    looked = []
    for place in places:
        files = _idx_files(place) if place.is_dir() else None
        if files and all(files.values()):
            return place
        if files and any(files.values()):
            looked.append(f"{place} (lacks {', '.join(IDX_FILES[k] for k, p in files.items() if p is None)})")
        else:
            looked.append(str(place))
    why = "downloading is off (download=False)"
    if download is not False:
        try:
            return download_idx(name, home)
        except DownloadError as e:
            if download or e.corrupt:
                raise
            why = f"downloading failed ({e})"
    raise FileNotFoundError(
        f"load_dataset: {name} not found: looked in {', '.join(looked)}; {why}. Get it with {remote.get_it}, or "
        f"put its four IDX files (from {remote.mirrors[0]}) in one of those folders"
    )


def download_idx(name: str, folder: str | Path) -> Path:
    """Download the four files of ``"mnist"`` or ``"fashion-mnist"`` into ``folder`` (skipping any already
    there), each verified against its published MD5, trying each mirror in turn. Returns ``folder``."""
    remote, folder = REMOTES[name], Path(folder)
    created = not folder.exists()
    try:
        for key, stem in IDX_FILES.items():
            dest = folder / f"{stem}.gz"
            if not dest.is_file():
                _download_from_mirrors(remote, key, dest)
    except DownloadError:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # no empty folder left behind to look like a dataset
        raise
    return folder


def _download_from_mirrors(remote: _Remote, key: str, dest: Path) -> None:
    errors = []
    for mirror in remote.mirrors:
        try:
            download_file(mirror + dest.name, dest, md5=remote.md5[key])
            return
        except DownloadError as e:
            errors.append(e)
    if len(errors) == 1:
        raise errors[0]
    raise DownloadError("; ".join(map(str, errors)), corrupt=any(e.corrupt for e in errors))
