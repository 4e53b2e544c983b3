"""A linear model over sparse features, loaded from plain files: a JSON vocabulary and numpy arrays.

Nothing here is pickled: `weights/triage.json` holds the feature names (their position is their
row in every weight matrix), the class names of each head and the thresholds chosen when it was
trained; `weights/triage.npz` holds one weight matrix and one bias vector per head. Both are built
by `python -m bot.reading train` from the labelled sets in `benchmarks/data/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class Head:
    classes: tuple[str, ...]
    weights: np.ndarray  # features x classes (one column for a binary head: the positive class)
    bias: np.ndarray

    def probabilities(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        scores = values @ self.weights[rows].astype(np.float64) + self.bias if len(rows) else self.bias.copy()
        return self._normalised(scores)

    def summed(self, rows: np.ndarray, value: float) -> np.ndarray:
        scores = self.weights[rows].sum(axis=0, dtype=np.float64) * value + self.bias
        return self._normalised(scores)

    def _normalised(self, scores: np.ndarray) -> np.ndarray:
        if len(self.classes) == 2:  # logistic: the one column is the second class
            positive = 1.0 / (1.0 + np.exp(-scores[0]))
            return np.array([1.0 - positive, positive])
        scores = scores - scores.max()
        exp = np.exp(scores)
        return np.asarray(exp / exp.sum())


class LinearModel:
    def __init__(self, vocabulary: list[str], heads: dict[str, Head], meta: dict[str, object]) -> None:
        self.index = {name: row for row, name in enumerate(vocabulary)}
        self.vocabulary = vocabulary
        self.heads = heads
        self.meta = meta

    def rows(self, features: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        index = self.index
        rows: list[int] = []
        values: list[float] = []
        for name, value in features.items():
            row = index.get(name)
            if row is not None:
                rows.append(row)
                values.append(value)
        return np.asarray(rows, dtype=np.int64), np.asarray(values, dtype=np.float64)

    def predict(self, features: dict[str, float]) -> dict[str, dict[str, float]]:
        rows, values = self.rows(features)
        return {name: dict(zip(head.classes, head.probabilities(rows, values).tolist(), strict=True))
                for name, head in self.heads.items()}

    def predict_present(self, present: set[str]) -> dict[str, dict[str, float]]:
        """The same as `predict` for features that all have one value, 1/sqrt(how many there are): the
        reading's fast path (no dictionary of values, one sum per head)."""
        index = self.index
        rows = np.fromiter((row for row in map(index.get, present) if row is not None), dtype=np.int64)
        value = 1.0 / np.sqrt(len(present)) if present else 0.0
        return {name: dict(zip(head.classes, head.summed(rows, value).tolist(), strict=True))
                for name, head in self.heads.items()}

    def save(self, name: str, folder: Path = WEIGHTS) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        description = {"vocabulary": self.vocabulary, "meta": self.meta,
                       "heads": {key: list(head.classes) for key, head in self.heads.items()}}
        (folder / f"{name}.json").write_text(json.dumps(description, ensure_ascii=False, separators=(",", ":")),
                                             encoding="utf-8")
        arrays: dict[str, np.ndarray] = {}
        for key, head in self.heads.items():
            arrays[f"{key}.weights"] = head.weights.astype(np.float16)
            arrays[f"{key}.bias"] = head.bias.astype(np.float64)
        np.savez_compressed(folder / f"{name}.npz", **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, name: str, folder: Path = WEIGHTS) -> LinearModel:
        description = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        with np.load(folder / f"{name}.npz", allow_pickle=False) as arrays:
            heads = {key: Head(tuple(classes), arrays[f"{key}.weights"], arrays[f"{key}.bias"])
                     for key, classes in description["heads"].items()}
        return cls(description["vocabulary"], heads, description["meta"])
