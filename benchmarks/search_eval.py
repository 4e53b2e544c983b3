"""Shared helpers of the search benchmarks: the dev set, the metrics, the calibration fit."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "tests") not in list(getattr(sys.modules.get("tests"), "__path__", [])):
    # the repository's tests/ is a namespace package: a `tests` package some library installs into
    # site-packages would shadow it
    _tests = types.ModuleType("tests")
    _tests.__path__ = [str(ROOT / "tests")]
    sys.modules["tests"] = _tests

from tests.helpcenter import url_path  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
DEV = DATA / "search_dev.jsonl"
EXTRA = ROOT / "benchmarks" / "data" / "search_extra.jsonl"  # written apart from the dev set
FRESH = ROOT / "benchmarks" / "data" / "search_fresh.jsonl"  # written after tuning: never fitted on
FRESH2 = ROOT / "benchmarks" / "data" / "search_fresh2.jsonl"  # a second one, written before the next round
FRESH3 = ROOT / "benchmarks" / "data" / "search_fresh3.jsonl"  # a third: never fitted on, the check of a refit


@dataclass(frozen=True)
class Query:
    q: str
    expected: frozenset[str]  # paths
    kind: str


def load_dev(path: Path = DEV) -> list[Query]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Query(r["q"], frozenset(url_path(u) for u in r["expected"]), r["kind"]) for r in rows]


# Sets written after the method is frozen, for its first run only: never read here.
FIRST_RUN_MARKS = ("first_run", "_r7")
_ORDER = ("dev", "extra", "fresh", "fresh2", "fresh3")


def labelled_sets(data: Path = DATA) -> dict[str, list[Query]]:
    """Every labelled search set (search_*.jsonl) by name, the first-run sets excepted."""
    paths = [p for p in data.glob("search_*.jsonl") if not any(m in p.name for m in FIRST_RUN_MARKS)]
    names = {p.stem.removeprefix("search_"): p for p in paths}
    order = sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    return {name: load_dev(names[name]) for name in order}


@dataclass
class Figures:
    n_answerable: int = 0
    hit1: float = 0.0
    hit3: float = 0.0
    mrr: float = 0.0
    n_no_answer: int = 0
    no_answer_precision: float = 0.0

    def row(self) -> str:
        na = f"{self.no_answer_precision:.3f} (n={self.n_no_answer})" if self.n_no_answer else "   -"
        if not self.n_answerable:
            return f"hit@1    -    hit@3    -    MRR    -    no-answer precision {na}"
        return (
            f"hit@1 {self.hit1:.3f}  hit@3 {self.hit3:.3f}  MRR {self.mrr:.3f} (n={self.n_answerable})  "
            f"no-answer precision {na}"
        )


def evaluate(search: Callable[[str], list[str]], queries: Sequence[Query]) -> Figures:
    """`search` returns result paths best first (at most 3)."""
    fig = Figures()
    for query in queries:
        got = search(query.q)[:3]
        if not query.expected:
            fig.n_no_answer += 1
            fig.no_answer_precision += not got
            continue
        fig.n_answerable += 1
        rank = next((i + 1 for i, p in enumerate(got) if p in query.expected), 0)
        fig.hit1 += rank == 1
        fig.hit3 += 0 < rank <= 3
        fig.mrr += 1.0 / rank if rank else 0.0
    if fig.n_answerable:
        fig.hit1 /= fig.n_answerable
        fig.hit3 /= fig.n_answerable
        fig.mrr /= fig.n_answerable
    if fig.n_no_answer:
        fig.no_answer_precision /= fig.n_no_answer
    return fig


def by_kind(search: Callable[[str], list[str]], queries: Sequence[Query]) -> dict[str, Figures]:
    kinds = sorted({q.kind for q in queries})
    return {k: evaluate(search, [q for q in queries if q.kind == k]) for k in kinds}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.05, steps: int = 3000) -> tuple[float, np.ndarray]:
    """Plain L2-regularised logistic regression (gradient descent on standardised features, so
    the penalty treats every feature alike): (bias, weights) for the raw features."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    x = (x - mean) / scale
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    pos = max(float(y.sum()), 1.0)
    neg = max(float(len(y) - y.sum()), 1.0)
    sample_w = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * neg))  # balance the classes
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ ((p - y) * sample_w) / len(y)
        grad[1:] += l2 * w[1:]
        w -= 1.0 * grad
    weights = w[1:] / scale
    return float(w[0] - weights @ mean), weights


def stratified_folds(queries: Sequence[Query], k: int, seed: int) -> list[int]:
    """A fold number per query: each kind dealt round-robin over k folds after a seeded shuffle."""
    rng = np.random.default_rng(seed)
    fold = [0] * len(queries)
    for kind in sorted({q.kind for q in queries}):
        members = [i for i, q in enumerate(queries) if q.kind == kind]
        for j, i in enumerate(rng.permutation(members)):
            fold[int(i)] = j % k
    return fold
