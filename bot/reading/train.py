"""Training the reading's models from the labelled sets (`python -m bot.reading train`).

Every `triage_*.jsonl` in `benchmarks/data/` is training data. The three heads share one
vocabulary: the features seen in at least `MIN_COUNT` messages. Logistic regression (scikit-learn,
needed only here) is fitted per head; the result is written as plain arrays (see `model.py`), so
the bot reads it without scikit-learn and nothing is unpickled. The same data gives the same files.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from bot.reading.features import features
from bot.reading.model import Head, LinearModel
from bot.reading.normalise import prepare

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
MIN_COUNT = 2
STRENGTH = 30.0  # inverse regularisation (scikit-learn's C), chosen by leave-one-set-out among 4, 10 and 30
# SAGA converges on these sparse features in a few seconds where L-BFGS takes a minute; a fixed seed keeps
# its passes over the data in one order, so the same data gives the same weights.
SOLVER: dict[str, object] = {"solver": "saga", "max_iter": 300, "tol": 1e-3, "random_state": 0}
CATEGORIES = (
    "setup_consultation", "functionality_question", "bug_report", "outage", "api_question", "security_question",
    "feature_request", "general_programming", "custom_development", "payment_integration_script",
    "business_case_implementation", "other_channel_or_offtopic",
)  # fmt: skip


def load_sets(folder: Path = DATA, prefix: str = "triage_") -> dict[str, list[dict[str, object]]]:
    sets: dict[str, list[dict[str, object]]] = {}
    for path in sorted(folder.glob(f"{prefix}*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        sets[path.stem.removeprefix(prefix)] = rows
    return sets


def featurise(texts: Iterable[str]) -> list[dict[str, float]]:
    return [features(prepare(text)[1]) for text in texts]


def _matrix(rows: Sequence[dict[str, float]], index: dict[str, int]):  # noqa: ANN202 - a scipy sparse matrix
    from scipy.sparse import csr_matrix

    data: list[float] = []
    columns: list[int] = []
    pointers = [0]
    for row in rows:
        for name, value in row.items():
            column = index.get(name)
            if column is not None:
                columns.append(column)
                data.append(value)
        pointers.append(len(columns))
    return csr_matrix((data, columns, pointers), shape=(len(rows), len(index)), dtype=np.float64)


def fit(samples: Sequence[dict[str, float]], labels: Sequence[dict[str, object]],
        strength: float = STRENGTH) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    seen: Counter[str] = Counter()
    for sample in samples:
        seen.update(sample.keys())
    vocabulary = sorted(name for name, count in seen.items() if count >= MIN_COUNT)
    index = {name: row for row, name in enumerate(vocabulary)}
    matrix = _matrix(samples, index)
    heads: dict[str, Head] = {}

    categories = [str(label["category"]) for label in labels]
    model = LogisticRegression(C=strength, **SOLVER)
    model.fit(matrix, categories)
    weights = np.zeros((len(vocabulary), len(CATEGORIES)))
    bias = np.full(len(CATEGORIES), -30.0)  # a category with no example is never predicted
    for column, name in enumerate(model.classes_):
        target = CATEGORIES.index(str(name))
        weights[:, target] = model.coef_[column] if len(model.classes_) > 2 else 0.0
        bias[target] = model.intercept_[column] if len(model.classes_) > 2 else 0.0
    heads["category"] = Head(CATEGORIES, weights, bias)

    for key, label_key in (("critical", "critical"), ("multi_problem", "multi_problem")):
        binary = LogisticRegression(C=strength, class_weight="balanced", **SOLVER)
        binary.fit(matrix, [bool(label[label_key]) for label in labels])
        heads[key] = Head(("false", "true"), binary.coef_[0].reshape(-1, 1), binary.intercept_.copy())
    meta: dict[str, object] = {"messages": len(samples), "features": len(vocabulary), "strength": strength,
                               "min_count": MIN_COUNT}
    return LinearModel(vocabulary, heads, meta)


def train(folder: Path = DATA, out: Path | None = None) -> LinearModel:
    sets = load_sets(folder)
    rows = [row for name in sorted(sets) for row in sets[name]]
    model = fit(featurise(str(row["text"]) for row in rows), rows)
    model.meta["sets"] = {name: len(sets[name]) for name in sorted(sets)}
    if out is not None:
        model.save("triage", out)
    return model
