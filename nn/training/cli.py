"""``graphgrad train``: train a model from ``nn.models`` on a dataset from ``nn.data``, by name.

    graphgrad train                              # an MLP on the embedded digits
    graphgrad train lenet --data fashion-mnist   # LeNet on Fashion-MNIST (IDX files)
    graphgrad train gru                          # a character GRU language model on the embedded plays
    graphgrad train lstm --data notes.txt        # ... on your own UTF-8 text
    graphgrad train --list                       # every model and dataset

It prints one line (or bar) per epoch, then ``test accuracy: NN.N%`` for classifiers, or
the test perplexity and a generated sample for language models, and writes the curves
(PNG and SVG), the confusion matrix and the checkpoints (``best.npz``, ``last.npz``) into the
output directory (``./graphgrad-runs/MODEL-DATA`` unless ``--out``). Ctrl-C stops cleanly;
``--resume`` continues from ``last.npz``. Bad input gives one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "MODELS", "OPTIMIZERS"]

PROG = "graphgrad train"


class UsageError(Exception):
    """Bad input: reported as one line on stderr, exit status 2."""


@dataclass
class ModelSpec:
    """How ``graphgrad train`` builds and trains one model: its kind, factory and default hyperparameters."""

    kind: str  # "image" or "text"
    build: Callable[..., Any]  # image: (input_shape, num_classes); text: (vocab_size)
    about: str
    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 64
    optimizer: str = "adam"
    min_size: int = 0  # images smaller than this are resized up (bilinear)
    exact_size: int = 0  # images are resized to exactly this (LeNet's dense layer expects 28x28)
    grad_norms: bool = False
    schedule: str | None = None  # "cosine": the rate falls along a half cosine over the run (CosineAnnealingLR)
    xavier: bool = False  # re-initialise weights with Xavier's uniform rule (as D2L trains AlexNet and NiN)
    one_blas_thread: bool = False  # products too small to gain from a second BLAS thread (see _one_blas_thread)
    per_data: dict[str, dict[str, Any]] = field(default_factory=dict)  # defaults that differ per dataset
    loss: Callable[[int], Any] | None = None  # (num_classes) -> loss function; None: cross-entropy


def _flat(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape))


def _vision(name: str, **options: Any) -> Callable[..., Any]:
    def build(shape: tuple[int, ...], classes: int) -> Any:
        from .. import models

        return getattr(models, name)(in_channels=shape[0], num_classes=classes, **options)

    return build


def _mlp(shape: tuple[int, ...], classes: int) -> Any:
    from ..models import mlp

    return mlp((_flat(shape), 256, classes)) if _flat(shape) <= 256 else mlp((_flat(shape), 256, 128, classes))


def _deep_sigmoid(shape: tuple[int, ...], classes: int) -> Any:
    from ..models import deep_sigmoid_mlp

    return deep_sigmoid_mlp(in_features=_flat(shape), num_classes=classes)


def _lm(cell: str) -> Callable[..., Any]:
    def build(vocab_size: int) -> Any:
        from ..models import CharLM

        return CharLM(vocab_size, hidden_size=256, cell=cell)

    return build


def _flat_model(name: str) -> Callable[..., Any]:
    def build(shape: tuple[int, ...], classes: int) -> Any:
        from .. import models

        return getattr(models, name)(_flat(shape), classes)

    return build


def _perceptron_loss(num_classes: int) -> Any:
    from ..models import perceptron_criterion

    return perceptron_criterion


def _one_vs_rest_loss(num_classes: int) -> Any:
    """Binary cross-entropy of each class's logit against "is it this class" (one-vs-rest)."""
    from autograd import Tensor

    from ..functional import binary_cross_entropy_with_logits

    def loss(logits: Any, target: Any) -> Any:
        labels = np.asarray(target.numpy() if isinstance(target, Tensor) else target, dtype=np.int64)
        return binary_cross_entropy_with_logits(logits, Tensor(np.eye(num_classes, dtype=logits.dtype)[labels]))

    return loss


def _transformer(vocab_size: int) -> Any:
    from ..models import CharTransformer

    return CharTransformer(vocab_size, d_model=64, nhead=4, num_layers=2, max_len=128, dropout=0.1)


_LM = dict(epochs=5, lr=3e-3, batch_size=32, optimizer="adam", schedule="cosine")
MODELS: dict[str, ModelSpec] = {
    "perceptron": ModelSpec("image", _flat_model("perceptron"), "Rosenblatt's perceptron, one unit per class; "
                            "the perceptron criterion (one SGD step = the perceptron rule)",
                            epochs=20, lr=0.01, batch_size=32, optimizer="sgd", loss=_perceptron_loss,
                            one_blas_thread=True, per_data={"mnist": dict(epochs=5), "fashion-mnist": dict(epochs=5)}),
    "logistic_regression": ModelSpec("image", _flat_model("logistic_regression"),
                                     "logistic regression, one per class (one-vs-rest, binary cross-entropy)",
                                     epochs=20, lr=5e-3, batch_size=32, loss=_one_vs_rest_loss, one_blas_thread=True,
                                     per_data={"mnist": dict(epochs=5), "fashion-mnist": dict(epochs=5)}),
    "softmax_regression": ModelSpec("image", _flat_model("softmax_regression"),
                                    "softmax regression (one linear layer, cross-entropy)", epochs=20, lr=5e-3,
                                    batch_size=32, one_blas_thread=True,
                                    per_data={"mnist": dict(epochs=5), "fashion-mnist": dict(epochs=5)}),
    "mlp": ModelSpec("image", _mlp, "multilayer perceptron, ReLU (one hidden layer of 256 on 8x8 digits)",
                     epochs=30, lr=2e-3, batch_size=32, grad_norms=True, one_blas_thread=True,
                     per_data={"mnist": dict(epochs=10), "fashion-mnist": dict(epochs=10)}),
    "deep_sigmoid": ModelSpec("image", _deep_sigmoid, "6 sigmoid layers of 30: vanishing gradients (Nielsen ch. 5)",
                              epochs=30, lr=1e-3, batch_size=32, grad_norms=True, one_blas_thread=True,
                              per_data={"mnist": dict(epochs=10), "fashion-mnist": dict(epochs=10)}),
    "lenet": ModelSpec("image", _vision("lenet", activation="relu", pool="max"),
                       "LeNet-5 with ReLU and max pooling (lenet(activation='relu', pool='max')), 28x28 inputs",
                       epochs=5, lr=2e-3, exact_size=28, schedule="cosine",
                       per_data={"digits": dict(epochs=30, batch_size=32)}),
    "alexnet": ModelSpec("image", _vision("alexnet"), "AlexNet's layout, narrowed for CPU", epochs=5, min_size=28,
                         xavier=True,
                         per_data={"digits": dict(epochs=20)}),
    "vgg": ModelSpec("image", _vision("vgg"), "VGG blocks (3x3 convolutions)", epochs=5, min_size=28,
                     per_data={"digits": dict(epochs=20)}),
    "nin": ModelSpec("image", _vision("nin"), "Network in Network", epochs=5, min_size=28, xavier=True,
                     per_data={"digits": dict(epochs=20)}),
    "googlenet": ModelSpec("image", _vision("googlenet"), "a short GoogLeNet (Inception blocks)", epochs=5,
                           min_size=28, per_data={"digits": dict(epochs=20)}),
    "resnet": ModelSpec("image", _vision("resnet"), "ResNet-18-style residual network", epochs=5, min_size=28,
                        per_data={"digits": dict(epochs=20)}),
    "densenet": ModelSpec("image", _vision("densenet"), "a small DenseNet", epochs=5, min_size=28,
                          per_data={"digits": dict(epochs=20)}),
    "rnn": ModelSpec("text", _lm("rnn"), "character language model: embedding, RNN (tanh) of 256, linear", **_LM),
    "gru": ModelSpec("text", _lm("gru"), "character language model: embedding, GRU of 256, linear", **_LM),
    "lstm": ModelSpec("text", _lm("lstm"), "character language model: embedding, LSTM of 256, linear", **_LM),
    "transformer": ModelSpec("text", _transformer, "decoder-only character transformer: 2 causal self-attention "
                             "blocks of width 64, 4 heads", **_LM),
}  # fmt: skip
# nn.models.REGISTRY's names for the language models
ALIASES = {"rnn_lm": "rnn", "gru_lm": "gru", "lstm_lm": "lstm", "deep_sigmoid_mlp": "deep_sigmoid"}

OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
              "adagrad": "Adagrad", "adadelta": "Adadelta"}  # fmt: skip

NUM_STEPS = 35  # language models: tokens per row of a batch (truncated backpropagation through time)


# ---------------------------------------------------------------------------- arguments
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise UsageError(f"{message} (see {PROG} --help)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "model", nargs="?", default="mlp", metavar="MODEL", help="a model name (default mlp; --list names them)"
    )
    data_help = ("a dataset name (digits, mnist, fashion-mnist, shakespeare), an IDX directory or a UTF-8 text "
                 "file (default: digits, or shakespeare for language models)")  # fmt: skip
    p.add_argument("--data", metavar="NAME|PATH", help=data_help)
    p.add_argument("--epochs", metavar="N", type=int, help="number of epochs (default: per model)")
    p.add_argument("--batch-size", metavar="N", type=int, help="examples (language models: rows of tokens) per batch")
    p.add_argument("--lr", metavar="X", type=float, help="learning rate (default: per model)")
    p.add_argument("--optimizer", metavar="NAME", help=f"one of {', '.join(OPTIMIZERS)} (default: per model)")
    p.add_argument("--seed", metavar="N", type=int, default=0, help="random seed: same seed, same numbers (default 0)")
    p.add_argument(
        "--limit", metavar="N", type=int, help="train on the first N examples (language models: N tokens of text)"
    )
    p.add_argument("--patience", metavar="N", type=int, help="stop after N epochs without a better validation score")
    p.add_argument(
        "--num-steps", metavar="N", type=int, default=NUM_STEPS, help="language models: tokens per row of a batch"
    )
    p.add_argument("--out", metavar="DIR", help="output directory (default ./graphgrad-runs/MODEL-DATA)")
    p.add_argument("--resume", action="store_true", help="continue from the output directory's last.npz")
    p.add_argument("--list", action="store_true", help="list the models and datasets, then exit")
    return p


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def _model_name(name: str) -> str:
    key = ALIASES.get(name.lower(), name.lower()).replace("-", "_")
    if key not in MODELS:
        raise UsageError(
            f"unknown model {name!r}{_suggest(name, [*MODELS, *ALIASES])} (models: {', '.join(MODELS)}; "
            f"{PROG} --list describes them)"
        )
    return key


def _image_sets() -> list[str]:
    from .. import data

    names = getattr(data, "DATASETS", ("digits", "mnist", "fashion-mnist"))
    return list(names)


def _corpora() -> list[str]:
    try:
        from ..data.text import CORPORA
    except ImportError:  # pragma: no cover
        return ["shakespeare"]
    return list(CORPORA)


def _data_kind(data: str) -> str:
    """``'image'`` or ``'text'`` for a dataset name or path; a one-line error for anything else."""
    key = data.lower()
    path = Path(data).expanduser()
    if key in ("digits", "uci-digits", "mnist", "fashion-mnist", "fashion_mnist", "fashionmnist", *_image_sets()):
        return "image"  # a name means the built-in dataset, as in nn.data
    if key in _corpora():
        return "text"
    if path.is_dir():
        return "image"
    if path.is_file():
        return "text"
    names = [*_image_sets(), *_corpora()]
    looks_like_path = os.sep in data or "." in Path(data).name
    if looks_like_path:
        raise UsageError(f"no such file or directory: {data!r} (give a UTF-8 text file, an IDX directory, or one of: "
                         f"{', '.join(names)})")  # fmt: skip
    raise UsageError(f"unknown dataset {data!r}{_suggest(data, names)} (datasets: {', '.join(names)}, a directory "
                     "of IDX files, or a text file)")  # fmt: skip


def _positive(name: str, value: Any) -> None:
    if value is not None and not (value > 0 and math.isfinite(value)):
        raise UsageError(f"{name} must be positive, got {value}")


def _list() -> str:
    lines = ["models (graphgrad train MODEL):"]
    for name, spec in MODELS.items():
        lines.append(f"  {name:<13} {spec.kind:<6} {spec.about}")
    lines.append("datasets (--data):")
    lines.append("  digits         image  UCI handwritten digits, 8x8, 1,797 images (embedded; CC BY 4.0)")
    lines.append("  mnist          image  MNIST, 28x28 (IDX files; downloaded once when online)")
    lines.append("  fashion-mnist  image  Fashion-MNIST, 28x28 (IDX files; Debian: apt install dataset-fashion-mnist)")
    lines.append("  shakespeare    text   six plays of Shakespeare (embedded; public domain)")
    lines.append("  DIR            image  a directory with the four IDX files of an MNIST-style dataset")
    lines.append("  FILE.txt       text   any UTF-8 text file (language models)")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- images
def resize(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of ``(N, C, H, W)`` images to ``(N, C, size, size)`` (pixel centres aligned)."""

    def weights(n_in: int) -> np.ndarray:
        centres = (np.arange(size) + 0.5) * n_in / size - 0.5
        centres = np.clip(centres, 0, n_in - 1)
        lo = np.floor(centres).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = centres - lo
        w = np.zeros((size, n_in))
        w[np.arange(size), lo] += 1 - frac
        w[np.arange(size), hi] += frac
        return w

    rows, cols = weights(images.shape[2]), weights(images.shape[3])
    out = np.einsum("ih,nchw,jw->ncij", rows, images.astype(np.float64), cols, optimize=True)
    return out.astype(images.dtype)


def _fit_images(dataset: Any, spec: ModelSpec) -> tuple[Any, tuple[int, ...]]:
    """The dataset with images resized for the architecture, and its new input shape."""
    from ..data import TensorDataset

    x, y = dataset.arrays
    size = x.shape[-1]
    target = spec.exact_size or (spec.min_size if size < spec.min_size else 0)
    if target and (x.shape[-1] != target or x.shape[-2] != target):
        x = resize(x, target)
    return TensorDataset(x, y), tuple(x.shape[1:])


# ---------------------------------------------------------------------------- the run
def _output_dir(args: argparse.Namespace, model: str, data_name: str) -> Path:
    out = Path(args.out).expanduser() if args.out else Path("graphgrad-runs") / f"{model}-{data_name}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".graphgrad-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        reason = e.strerror or str(e)
        raise UsageError(
            f"can't write to the output directory {str(out)!r}: {reason} (choose another with --out DIR)"
        ) from None
    return out


def _optimizer(name: str, params: Any, lr: float) -> Any:
    from .. import optim

    key = name.lower()
    if key not in OPTIMIZERS:
        raise UsageError(f"unknown optimizer {name!r}{_suggest(name, list(OPTIMIZERS))} (optimizers: "
                         f"{', '.join(OPTIMIZERS)})")  # fmt: skip
    cls = getattr(optim, OPTIMIZERS[key])
    return cls(params, lr=lr, momentum=0.9) if key == "momentum" else cls(params, lr=lr)


def _say(text: str) -> None:
    print(text, flush=True)


def _run(args: argparse.Namespace) -> int:
    name = _model_name(args.model)
    spec = MODELS[name]
    data = args.data or ("digits" if spec.kind == "image" else "shakespeare")
    kind = _data_kind(data)
    if kind != spec.kind:
        if spec.kind == "text":
            raise UsageError(f"{name} is a language model: it trains on text (--data shakespeare or a UTF-8 file), "
                             f"not on the image dataset {data!r}")  # fmt: skip
        raise UsageError(f"{name} classifies images (--data digits, mnist, fashion-mnist or an IDX directory); "
                         f"{data!r} is text: train a language model on it (rnn, gru, lstm)")  # fmt: skip
    for flag in ("epochs", "batch_size", "limit", "patience", "num_steps"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be a positive integer, got {value}")
    _positive("--lr", args.lr)
    data_key = data.lower().replace("_", "-")
    defaults = {**spec.__dict__, **spec.per_data.get(data_key, {})}
    epochs = args.epochs or defaults["epochs"]
    lr = args.lr or defaults["lr"]
    batch_size = args.batch_size or defaults["batch_size"]
    opt_name = args.optimizer or defaults["optimizer"]
    if opt_name.lower() not in OPTIMIZERS:
        _optimizer(opt_name, [], lr)  # raises the error with suggestions

    started = time.perf_counter()
    import autograd as ag

    if spec.one_blas_thread:
        restore = _one_blas_thread()
        if restore is not None:
            args.restore.append(restore)

    from .. import CrossEntropyLoss
    from .loop import fit

    ag.manual_seed(args.seed)
    if spec.kind == "image":
        from ..data import DataLoader, load_dataset

        try:
            splits = load_dataset(data, seed=args.seed, limit=args.limit)
        except (ValueError, OSError) as e:  # a missing, unreadable or malformed dataset
            raise UsageError(_one_line(e)) from None
        train, shape = _fit_images(splits.train, spec)
        val, _ = _fit_images(splits.val, spec)
        test, _ = _fit_images(splits.test, spec)
        data_name = splits.name
        out = _output_dir(args, name, data_name)
        model = spec.build(shape, splits.num_classes)
        _say(f"{name} on {data_name}: {len(train):,} training, {len(val):,} validation, {len(test):,} test images "
             f"of {'x'.join(map(str, shape))} ({splits.source})")  # fmt: skip
        train_loader = DataLoader(train, batch_size=batch_size, shuffle=True)
        val_loader = DataLoader(val, batch_size=512) if len(val) else None
        test_loader = DataLoader(test, batch_size=512)
        metrics: tuple[str, ...] = ("accuracy", "confusion_matrix")
        clip = None
    else:
        from ..data import SeqDataLoader, load_language_data

        try:
            corpus = load_language_data(data, limit=args.limit)
        except (ValueError, OSError) as e:  # a missing, unreadable or non-UTF-8 text
            raise UsageError(_one_line(e)) from None
        data_name = Path(data).stem if Path(data).expanduser().is_file() else data.lower()
        out = _output_dir(args, name, data_name)
        model = spec.build(len(corpus.vocab))
        steps = args.num_steps
        try:
            train_loader = SeqDataLoader(corpus.train, batch_size, steps, random=False, seed=args.seed)
            val_loader = SeqDataLoader(corpus.val, batch_size, steps) if len(corpus.val) > batch_size * steps else None
            test_loader = (
                SeqDataLoader(corpus.test, batch_size, steps) if len(corpus.test) > batch_size * steps else None
            )
        except ValueError as e:
            raise UsageError(f"{e}; use more text (--limit), or a smaller --batch-size or --num-steps") from None
        sizes = f"{len(corpus.train):,} training, {len(corpus.val):,} validation, {len(corpus.test):,} test"
        _say(f"{name} on {data_name}: {sizes} {corpus.token}s, vocabulary of {len(corpus.vocab)} ({corpus.source})")
        metrics = ("perplexity",)
        clip = 1.0
    loss_fn = spec.loss(splits.num_classes) if spec.kind == "image" and spec.loss else CrossEntropyLoss()
    if spec.xavier:
        from .. import Conv2d, Linear, init

        for module in model.modules():
            if isinstance(module, (Linear, Conv2d)):
                init.xavier_uniform_(module.weight)
    params = sum(p.size for p in model.parameters())
    optimizer = _optimizer(opt_name, model.parameters(), lr)
    scheduler = None
    if defaults["schedule"] == "cosine":
        from ..optim.lr_scheduler import CosineAnnealingLR

        scheduler = CosineAnnealingLR(optimizer, T_max=epochs)
    schedule = f" ({defaults['schedule']} schedule)" if scheduler is not None else ""
    _say(f"{params:,} parameters; {opt_name} lr {lr:g}{schedule}, batch {batch_size}, {epochs} epochs; "
         f"writing to {out}")  # fmt: skip
    history = fit(
        model, train_loader, loss_fn=loss_fn, optimizer=optimizer, epochs=epochs, val_loader=val_loader,
        metrics=metrics, scheduler=scheduler, clip_grad_norm=clip, patience=args.patience, checkpoint_dir=out,
        resume=args.resume, progress=True, grad_norms=spec.grad_norms,
    )  # fmt: skip
    written = []
    if len(history):
        written += history.plot(out / "curves", title=f"{name} on {data_name}")
    if history.interrupted:
        last = out / "last.npz"
        where = f"the last checkpoint is {last}; continue with --resume" if last.exists() else "no epoch finished"
        print(f"{PROG}: interrupted: {where}", file=sys.stderr)
        return 130
    if spec.kind == "image":
        from .history import plot_confusion_matrix
        from .loop import evaluate

        result = evaluate(model, test_loader, loss_fn, metrics=("accuracy", "confusion_matrix"))
        written += plot_confusion_matrix(result["confusion_matrix"], out / "confusion_matrix", splits.classes)
        np.savetxt(out / "confusion_matrix.csv", result["confusion_matrix"], fmt="%d", delimiter=",")
        _say(f"test accuracy: {100 * result['accuracy']:.1f}% (test loss {result['loss']:.4f}, weights of epoch "
             f"{history.best_epoch})")  # fmt: skip
    else:
        from .language import generate
        from .loop import evaluate

        if test_loader is not None:
            result = evaluate(model, test_loader, CrossEntropyLoss(), metrics=("perplexity",), carry_state=True)
            _say(f"test perplexity: {result['perplexity']:.2f} (weights of epoch {history.best_epoch})")
        prefix = "ROMEO:\n" if data_name == "shakespeare" else corpus.vocab.to_tokens(corpus.train[:1])[0]
        sample = generate(model, corpus.vocab, prefix, 300, temperature=0.7, seed=args.seed, token=corpus.token)
        (out / "sample.txt").write_text(sample + "\n", encoding="utf-8")
        written.append(out / "sample.txt")
        _say(f"sample (temperature 0.7):\n{sample}")
    written += [p for p in (out / "best.npz", out / "last.npz") if p.exists()]
    _say(f"wrote {', '.join(p.name for p in written)} to {out}/ in {time.perf_counter() - started:.1f}s")
    return 0


def _one_blas_thread() -> Callable[[], None] | None:
    """Run OpenBLAS on one thread (unless the user set ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``).

    The MLPs' products (a batch of 32 by 64 inputs, times 64 by 256) take microseconds: a second
    thread can't pay for its start and its waits, and when the cores are busy with other work the
    waiting threads cost far more (the default run took 25 s instead of 4 on a loaded 2-core VM).
    Returns what puts the previous number back (``main`` calls it, for callers in the same process).
    """
    if os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        return None
    from threadpoolctl import threadpool_limits  # the supported way to set a loaded BLAS's threads

    limits = threadpool_limits(limits=1, user_api="blas")
    return limits.restore_original_limits


def _keep_freed_memory() -> None:
    """This command owns its process: let glibc keep freed memory for the next step (see autograd.allocator)."""
    from autograd import allocator

    keep = getattr(allocator, "keep_freed_memory", None)
    if keep is not None and os.environ.get("GRAPHGRAD_MALLOC", "").strip().lower() != "system":
        keep()


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def main(argv: list[str] | None = None) -> int:
    """Run ``graphgrad train``; returns the exit status (0, 1 on a failed run, 2 on bad input, 130 on Ctrl-C).

    ``GRAPHGRAD_DEBUG=1`` lets errors other than bad input raise with their traceback.
    """
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
        if args.list:
            print(_list())
            return 0
        _keep_freed_memory()
        args.restore = []
        try:
            return _run(args)
        finally:
            for restore in args.restore:
                restore()
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if os.environ.get("GRAPHGRAD_DEBUG"):
            raise
        known = isinstance(e, (ValueError, TypeError, OSError, FloatingPointError, KeyError))
        kind = "" if known else f"internal error ({type(e).__name__}, GRAPHGRAD_DEBUG=1 shows where): "
        print(f"{PROG}: error: {kind}{_one_line(e)}", file=sys.stderr)
        return 1
