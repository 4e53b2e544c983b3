"""Print how well and how fast messages are read: `python benchmarks/bench_triage.py [file.jsonl ...]`.

For each labelled set (default: the dev, extra and holdout sets in benchmarks/data/):
scope accuracy, category accuracy, critical recall and precision, multi-problem accuracy,
account exact-match, and messages per second of `read_message`.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from bot.triage import read_message

DATA = Path(__file__).resolve().parent / "data"
SET_NAMES = ("dev", "extra", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6")
DEFAULT_SETS = tuple(DATA / f"triage_{name}.jsonl" for name in SET_NAMES)


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.3f} ({numerator}/{denominator})" if denominator else "n/a"


def evaluate(path: Path, *, show_errors: bool) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    hits: Counter[str] = Counter()
    tp = fp = fn = 0
    for row in rows:
        got = read_message(row["text"]).as_json()
        for key in ("scope", "category", "multi_problem", "account"):
            hits[key] += got[key] == row[key]
        tp += got["critical"] and row["critical"]
        fp += got["critical"] and not row["critical"]
        fn += row["critical"] and not got["critical"]
        wrong = [key for key in ("scope", "category", "critical", "multi_problem", "account") if got[key] != row[key]]
        if show_errors and wrong:
            print(f"  miss {','.join(wrong)}: expected {[row[k] for k in wrong]} got {[got[k] for k in wrong]}")
            print(f"       {row['text'][:160]}")
    n = len(rows)
    print(f"{path.name}: {n} messages")
    print(f"  scope accuracy        {_ratio(hits['scope'], n)}")
    print(f"  category accuracy     {_ratio(hits['category'], n)}")
    print(f"  critical recall       {_ratio(tp, tp + fn)}")
    print(f"  critical precision    {_ratio(tp, tp + fp)}")
    print(f"  multi-problem acc.    {_ratio(hits['multi_problem'], n)}")
    print(f"  account exact-match   {_ratio(hits['account'], n)}")
    return [row["text"] for row in rows]


def speed(texts: list[str], *, seconds: float = 2.0) -> None:
    if not texts:
        return
    for text in texts:  # warm the caches
        read_message(text)
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for text in texts:
            read_message(text)
        count += len(texts)
    elapsed = time.perf_counter() - started
    long_text = " ".join(texts) * 3
    t0 = time.perf_counter()
    read_message(long_text)
    long_elapsed = time.perf_counter() - t0
    print(f"speed: {count / elapsed:,.0f} messages/s over {count} calls of read_message")
    print(f"       one {len(long_text):,}-character message in {long_elapsed * 1000:.1f} ms")


def main(argv: list[str]) -> int:
    show_errors = "-v" in argv
    paths = [Path(arg) for arg in argv if arg != "-v"] or [p for p in DEFAULT_SETS if p.exists()]
    if not paths:
        print("no labelled sets found in benchmarks/data/", file=sys.stderr)
        return 2
    texts: list[str] = []
    for path in paths:
        texts += evaluate(path, show_errors=show_errors)
    speed(texts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
