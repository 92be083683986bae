"""``python -m nn.data download NAME [--root DIR]``: fetch MNIST or Fashion-MNIST into graphgrad's cache
(or ``DIR/NAME``), checksums verified; ``python -m nn.data list``: what can be loaded."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .download import DownloadError, cache_dir
from .images import DATASETS, REMOTES, download_idx
from .text import CORPORA


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nn.data", description="graphgrad's datasets")
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("download", help="download a dataset's IDX files once")
    get.add_argument("name", choices=sorted(REMOTES))
    get.add_argument("--root", help=f"download into ROOT/NAME instead of {cache_dir()}/NAME")
    sub.add_parser("list", help="name the datasets and corpora")
    args = parser.parse_args(argv)
    if args.command == "list":
        print("image datasets:", ", ".join(DATASETS), "(or a directory of IDX files)")
        print("text corpora:", ", ".join(CORPORA), "(or a UTF-8 text file)")
        return 0
    folder = (Path(args.root).expanduser() if args.root else cache_dir()) / args.name
    try:
        download_idx(args.name, folder)
    except (DownloadError, OSError) as e:
        print(f"python -m nn.data: {e}", file=sys.stderr)
        return 1
    print(f"{args.name}: the four IDX files are in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
