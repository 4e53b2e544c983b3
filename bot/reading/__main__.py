"""`python -m bot.reading train` builds the shipped model from `benchmarks/data/`;
`python -m bot.reading loso` prints how it reads each labelled set when trained on the others."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.reading import train as training
from bot.reading.model import WEIGHTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.reading", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser("train", help="train the triage model and write bot/reading/weights/")
    fit.add_argument("--data", type=Path, default=training.DATA, help="folder of triage_*.jsonl sets")
    fit.add_argument("--out", type=Path, default=WEIGHTS, help="where the model's files go")
    args = parser.parse_args(argv)
    if args.command == "train":
        model = training.train(args.data, args.out)
        print(f"trained on {model.meta['messages']} messages ({len(model.meta['sets'])} sets), "  # type: ignore[arg-type]
              f"{model.meta['features']} features; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
