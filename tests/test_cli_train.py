"""``graphgrad train``: every error exit (one line on stderr, no traceback), and whole runs at tiny sizes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nn import cli
from nn.models import REGISTRY
from nn.training import cli as train_cli
from nn.training import load_checkpoint

REPO = Path(__file__).resolve().parents[1]
FASHION = Path("/usr/share/datasets/fashion-mnist")
TEXT = "It was the best of times, it was the worst of times, it was the age of wisdom.\n" * 40


def _train(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["train", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def text_file(tmp_path) -> Path:
    path = tmp_path / "dickens.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


# =============================================================== errors
def _errors(tmp_path: Path, text_file: Path) -> list[tuple[list[str], str]]:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    return [
        (["lenett"], "unknown model 'lenett'; did you mean 'lenet'"),
        (["--data", "fashion-mnst"], "unknown dataset 'fashion-mnst'; did you mean 'fashion-mnist'"),
        (["--data", str(tmp_path / "missing.txt")], "no such file or directory"),
        (["gru", "--data", "digits"], "gru is a language model"),
        (["mlp", "--data", str(text_file)], "mlp classifies images"),
        (["--epochs", "0"], "--epochs must be a positive integer, got 0"),
        (["--epochs", "-3"], "--epochs must be a positive integer"),
        (["--lr", "0"], "--lr must be positive, got 0.0"),
        (["--lr", "-0.1"], "--lr must be positive"),
        (["--lr", "nan"], "--lr must be positive"),
        (["--batch-size", "0"], "--batch-size must be a positive integer"),
        (["--epochs", "two"], "argument --epochs: invalid int value: 'two'"),
        (["--optimizer", "adom"], "unknown optimizer 'adom'; did you mean 'adam'"),
        (["--out", str(blocker / "run")], "can't write to the output directory"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["gru", "--data", str(text_file), "--limit", "20"], "too short for one batch"),
    ]


def test_every_error_is_one_line_on_stderr_with_a_nonzero_exit(tmp_path, text_file, capsys):
    for args, message in _errors(tmp_path, text_file):
        code, out, err = (
            _train(capsys, *args, "--out", str(tmp_path / "run")) if "--out" not in args else _train(capsys, *args)
        )
        assert code == 2, (args, code, err)
        assert err.count("\n") == 1 and err.startswith("graphgrad train: error: "), (args, err)
        assert message in err, (args, err)
        assert "Traceback" not in err + out


def test_a_missing_idx_directory_names_what_it_lacks(tmp_path, capsys):
    folder = tmp_path / "idx"
    folder.mkdir()
    code, out, err = _train(capsys, "mlp", "--data", str(folder), "--out", str(tmp_path / "run"))
    assert code == 2 and err.count("\n") == 1 and "lacks train-images-idx3-ubyte.gz" in err


def test_errors_from_a_separate_process_have_no_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "nn.cli", "train", "resnett", "--out", str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "graphgrad train: error: unknown model 'resnett'; did you mean 'resnet'? (models: "
        + ", ".join(train_cli.MODELS)
        + "; graphgrad train --list describes them)"
    ]


# =============================================================== listing
def test_list_names_every_registered_model_and_the_datasets(capsys):
    code, out, _ = _train(capsys, "--list")
    assert code == 0
    for name in REGISTRY:
        assert train_cli.ALIASES.get(name, name) in out, name
    for data in ("digits", "mnist", "fashion-mnist", "shakespeare"):
        assert data in out


def test_every_registered_model_has_a_training_recipe():
    names = {train_cli.ALIASES.get(name, name) for name in REGISTRY}
    assert names <= set(train_cli.MODELS)


def test_resize_keeps_a_constant_image_constant_and_the_pixel_order():
    x = np.full((2, 1, 8, 8), 3.0, np.float32)
    assert np.allclose(train_cli.resize(x, 28), 3.0) and train_cli.resize(x, 28).shape == (2, 1, 28, 28)
    ramp = np.arange(8, dtype=np.float32)[None, None, None, :].repeat(8, axis=2)
    row = train_cli.resize(ramp, 28)[0, 0, 5]
    assert np.all(np.diff(row) >= 0) and row[0] == 0 and row[-1] == 7


# =============================================================== whole runs, tiny
def test_mlp_on_digits_end_to_end(tmp_path, capsys):
    out_dir = tmp_path / "run"
    code, out, err = _train(capsys, "--limit", "300", "--epochs", "2", "--out", str(out_dir))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("mlp on digits: 300 training, 144 validation, 359 test images of 1x8x8")
    assert [line.split("  ")[0] for line in lines if line.startswith("epoch")] == ["epoch 1/2", "epoch 2/2"]
    test_line = next(line for line in lines if line.startswith("test accuracy: "))
    assert float(test_line.split()[2].rstrip("%")) > 70
    for name in ("curves.png", "curves.svg", "confusion_matrix.png", "confusion_matrix.svg", "confusion_matrix.csv",
                 "best.npz", "last.npz"):  # fmt: skip
        assert (out_dir / name).exists(), name
    assert str(out_dir) in out
    cm = np.loadtxt(out_dir / "confusion_matrix.csv", delimiter=",")
    assert cm.shape == (10, 10) and cm.sum() == 359
    assert load_checkpoint(out_dir / "last.npz")["epoch"] == 2


def test_same_seed_same_run_and_resume_continues(tmp_path, capsys):
    def epochs(out: str) -> list[str]:  # the epoch lines' numbers, without the epoch count and wall-clock columns
        return [line.split("  ", 1)[1].split("  lr")[0] for line in out.splitlines() if line.startswith("epoch")]

    _, a, _ = _train(capsys, "--limit", "200", "--epochs", "3", "--seed", "5", "--out", str(tmp_path / "a"))
    _, b, _ = _train(capsys, "--limit", "200", "--epochs", "2", "--seed", "5", "--out", str(tmp_path / "b"))
    code, c, err = _train(capsys, "--limit", "200", "--epochs", "3", "--seed", "5", "--resume", "--out",
                          str(tmp_path / "b"))  # fmt: skip
    assert code == 0, err
    assert epochs(a)[:2] == epochs(b) and epochs(c) == epochs(a)[2:]
    assert "resuming after epoch 2" in c


def test_lenet_trains_on_digits_resized_to_28(tmp_path, capsys):
    code, out, err = _train(capsys, "lenet", "--limit", "64", "--epochs", "1", "--out", str(tmp_path))
    assert code == 0, err
    assert "images of 1x28x28" in out and "test accuracy: " in out


def test_language_model_on_a_text_file_end_to_end(tmp_path, text_file, capsys):
    out_dir = tmp_path / "lm"
    code, out, err = _train(capsys, "gru", "--data", str(text_file), "--epochs", "2", "--batch-size", "4",
                            "--num-steps", "10", "--out", str(out_dir))  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("gru on dickens: ") and "chars, vocabulary of" in lines[0]
    epoch_lines = [line for line in lines if line.startswith("epoch")]
    assert len(epoch_lines) == 2 and all("val_perplexity" in line for line in epoch_lines)
    assert any(line.startswith("test perplexity: ") for line in lines)
    sample = out.split("sample (temperature 0.7):\n", 1)[1]
    assert sample.startswith("I")  # the text's first character starts the sample
    assert (out_dir / "sample.txt").exists() and (out_dir / "curves.svg").exists()


@pytest.mark.parametrize("name", ["rnn", "lstm"])
def test_the_other_recurrent_models_train_on_the_embedded_corpus(tmp_path, capsys, name):
    code, out, err = _train(capsys, name, "--limit", "3000", "--epochs", "1", "--batch-size", "8", "--num-steps",
                            "10", "--out", str(tmp_path))  # fmt: skip
    assert code == 0, err
    assert f"{name} on shakespeare: 2,550 training" in out and "val_perplexity" in out and "sample" in out


@pytest.mark.skipif(not FASHION.is_dir(), reason="no Fashion-MNIST files (Debian: apt install dataset-fashion-mnist)")
def test_fashion_mnist_from_the_system_folder(tmp_path, capsys):
    code, out, err = _train(capsys, "mlp", "--data", "fashion-mnist", "--limit", "2000", "--epochs", "1", "--out",
                            str(tmp_path))  # fmt: skip
    assert code == 0, err
    assert "mlp on fashion-mnist: 2,000 training, 6,000 validation, 10,000 test images of 1x28x28" in out
    assert float(out.split("test accuracy: ")[1].split("%")[0]) > 60


def test_ctrl_c_stops_cleanly_and_keeps_the_last_checkpoint(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "nn.cli", "train", "--epochs", "1000", "--out", str(tmp_path)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "last.npz").exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert (tmp_path / "last.npz").exists(), "no epoch finished in time"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("graphgrad train: interrupted: the last checkpoint is ")
    assert load_checkpoint(tmp_path / "last.npz")["epoch"] >= 1
