"""How well and how fast messages are read: `python benchmarks/bench_triage.py [--first-run FILE ...] [-v]`.

Without arguments: leave-one-set-out over every `triage_*.jsonl` in benchmarks/data/ — for each set, the
model is trained on all the other sets and reads this one — then the pooled figures, then the latency of
`read_message` (moderation included) with the shipped model.
`--first-run FILE`: the shipped model, trained on everything in benchmarks/data/, reads a set it never saw.
Figures: scope accuracy, category accuracy, critical recall and precision, multi-problem accuracy,
account exact match.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.reading import train as training
from bot.reading.model import LinearModel
from bot.triage import read_message

KEYS = ("scope", "category", "critical", "multi_problem", "account")


class Tally:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.n = self.tp = self.fp = self.fn = 0
        self.outage = Counter()  # the outage category: tp, fp, fn
        self.asked = 0  # messages the dialogue asks whether everyone is affected
        self.answered = Counter()  # critical tp, fp, fn once those are answered truthfully

    def add(self, got: dict[str, object], row: dict[str, object], unsure: bool = False) -> list[str]:
        self.n += 1
        self.asked += unsure
        critical = bool(row["critical"]) if unsure else bool(got["critical"])
        self.answered["tp"] += critical and bool(row["critical"])
        self.answered["fp"] += critical and not row["critical"]
        self.answered["fn"] += bool(row["critical"]) and not critical
        for key in ("scope", "category", "multi_problem", "account"):
            self.hits[key] += got[key] == row[key]
        self.tp += bool(got["critical"] and row["critical"])
        self.fp += bool(got["critical"] and not row["critical"])
        self.fn += bool(row["critical"] and not got["critical"])
        said, meant = got["category"] == "outage", row["category"] == "outage"
        self.outage["tp"] += said and meant
        self.outage["fp"] += said and not meant
        self.outage["fn"] += meant and not said
        return [key for key in KEYS if got[key] != row[key]]

    def merge(self, other: Tally) -> None:
        self.hits.update(other.hits)
        self.n += other.n
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.outage.update(other.outage)
        self.asked += other.asked
        self.answered.update(other.answered)

    def line(self) -> str:
        n = max(self.n, 1)
        recall = self.tp / max(self.tp + self.fn, 1)
        precision = self.tp / max(self.tp + self.fp, 1)
        o = self.outage
        outage_recall = o["tp"] / max(o["tp"] + o["fn"], 1)
        outage_precision = o["tp"] / max(o["tp"] + o["fp"], 1)
        return (f"scope {self.hits['scope'] / n:.3f}  category {self.hits['category'] / n:.3f}  "
                f"critical R {recall:.3f} P {precision:.3f}  outage R {outage_recall:.3f} P {outage_precision:.3f}  "
                f"multi {self.hits['multi_problem'] / n:.3f}  account {self.hits['account'] / n:.3f}")

    def asked_line(self) -> str:
        a = self.answered
        return (f"asked «у всех или у вас одного?» {self.asked / max(self.n, 1):.3f} of messages; with the answer, "
                f"critical R {a['tp'] / max(a['tp'] + a['fn'], 1):.3f} P {a['tp'] / max(a['tp'] + a['fp'], 1):.3f}")


def read_set(rows: list[dict[str, object]], model: LinearModel | None, verbose: bool) -> Tally:
    tally = Tally()
    for row in rows:
        reading = read_message(str(row["text"]), model)
        got = reading.as_json()
        wrong = tally.add(got, row, reading.outage_unsure)
        if verbose and wrong:
            print(f"    miss {','.join(wrong)}: expected {[row[k] for k in wrong]} got {[got[k] for k in wrong]}")
            print(f"         {str(row['text'])[:160]}")
    return tally


def leave_one_set_out(verbose: bool) -> list[str]:
    sets = training.load_sets()
    samples = {name: training.featurise(str(row["text"]) for row in rows) for name, rows in sets.items()}
    pooled = Tally()
    print(f"leave-one-set-out over {len(sets)} sets ({sum(map(len, sets.values()))} messages):")
    for held in sets:
        train_samples = [s for name in sets if name != held for s in samples[name]]
        train_rows = [r for name in sets if name != held for r in sets[name]]
        model = training.fit(train_samples, train_rows)
        tally = read_set(sets[held], model, verbose)
        pooled.merge(tally)
        print(f"  {held:12s} {tally.n:5d}  {tally.line()}")
    print(f"  {'pooled':12s} {pooled.n:5d}  {pooled.line()}")
    print(f"  {'':12s}        {pooled.asked_line()}")
    return [str(row["text"]) for rows in sets.values() for row in rows]


def first_run(paths: list[Path], verbose: bool) -> list[str]:
    texts: list[str] = []
    for path in paths:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        tally = read_set(rows, None, verbose)
        print(f"first run, shipped model: {path.name} {tally.n} messages\n  {tally.line()}\n  {tally.asked_line()}")
        texts += [str(row["text"]) for row in rows]
    return texts


def _percentiles(timings: list[float]) -> str:
    timings = sorted(timings)
    return (f"p50 {statistics.median(timings):.2f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:.2f} ms, "
            f"max {timings[-1]:.2f} ms")


def latency(texts: list[str]) -> None:
    """Wall time, and the thread's CPU time, which holds on a machine shared with other work."""
    for text in texts[:200]:
        read_message(text)  # load the model, warm the caches
    wall, cpu = [], []
    for text in texts:
        started, started_cpu = time.perf_counter(), time.thread_time()
        read_message(text)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    print(f"read_message over {len(texts)} messages: wall {_percentiles(wall)}; CPU {_percentiles(cpu)}")
    long_text = " ".join(texts[:300])
    started = time.perf_counter()
    read_message(long_text)
    print(f"one {len(long_text):,}-character message: {(time.perf_counter() - started) * 1000:.1f} ms")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--first-run", type=Path, nargs="+", help="sets the shipped model never saw")
    parser.add_argument("--grammar", action="store_true", help="the probe of generated sentences (triage_grammar.py)")
    parser.add_argument("-v", action="store_true", help="list the misses")
    args = parser.parse_args(argv)
    if args.grammar:
        from benchmarks.triage_grammar import run_probes

        for family, result in run_probes(args.v):
            print(f"{family:90s} {result}" if family else result)
        return 0
    texts = first_run(args.first_run, args.v) if args.first_run else leave_one_set_out(args.v)
    latency(texts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
