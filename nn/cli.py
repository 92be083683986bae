"""The ``graphgrad`` command line.

graphgrad train [MODEL]            # train a model on real data (an MLP on the embedded digits by default)
graphgrad demo                     # a short tour: a graph, its gradients, a check, a tiny training run
graphgrad gradcheck                # check every built-in primitive numerically
graphgrad graph MODEL --out f.svg  # draw the training-step graph of a named model
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="graphgrad", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="a short tour of graphgrad (writes an SVG of a graph)")
    demo.add_argument("--out", default="graphgrad-demo.svg", help="where to write the drawn graph")
    demo.add_argument("--seed", type=int, default=0)
    sub.add_parser("train", help="train a model on a dataset (--list names them)", add_help=False)
    sub.add_parser("gradcheck", help="check every built-in primitive against finite differences", add_help=False)
    sub.add_parser("graph", help="draw the training-step graph of a named model", add_help=False)

    if argv and argv[0] in ("train", "gradcheck", "graph"):  # these parse their own options
        command, rest = argv[0], argv[1:]
        if command == "train":
            from .training.cli import main as train_main

            return train_main(rest)
        if command == "gradcheck":
            from autograd.gradcheck import main as gradcheck_main

            return gradcheck_main(rest)
        from .models import graph_main

        return graph_main(rest)

    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(out=args.out, seed=args.seed)
    return 2


if __name__ == "__main__":
    sys.exit(main())
