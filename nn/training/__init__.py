"""nn.training: the training loop and what goes around it.

| file | what it holds |
|---|---|
| `loop.py` | `fit`, `Trainer`, `evaluate`, `Callback`: the epochs, validation, early stopping, clipping |
| `metrics.py` | `accuracy`, `confusion_matrix`, `perplexity` |
| `history.py` | `History` (per-epoch numbers, `plot` to PNG/SVG), live plots in notebooks |
| `progress.py` | the tqdm bar (terminal, notebook) or one line per epoch (logs) |
| `checkpoint.py` | `save_checkpoint`, `load_checkpoint`, `restore_checkpoint`: resumable runs |
| `language.py` | `generate`: text sampled from a language model |
| `cli.py` | `graphgrad train` |
"""

from .checkpoint import load_checkpoint, restore_checkpoint, save_checkpoint
from .history import History
from .language import generate
from .loop import Callback, Trainer, evaluate, fit
from .metrics import accuracy, confusion_matrix, perplexity

__all__ = [
    "fit", "evaluate", "Trainer", "Callback", "History", "accuracy", "confusion_matrix", "perplexity",
    "generate", "save_checkpoint", "load_checkpoint", "restore_checkpoint",
]  # fmt: skip
