"""The learned reading of one message: category, criticality and several problems, with their
probabilities, from the shipped model (`weights/triage.*`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.reading.features import names
from bot.reading.model import LinearModel

CRITICAL_CATEGORIES = frozenset({"outage", "bug_report", "security_question"})  # SLA 2.1
THRESHOLD = 0.45  # critical: chosen by leave-one-set-out for recall (a missed outage waits in the queue)
MULTI_THRESHOLD = 0.5
UNSURE = (0.3, 0.7)  # an outage read with a probability in this band is asked about, not assumed


@dataclass(frozen=True, slots=True)
class Guess:
    category: str
    category_probability: float
    critical: bool
    critical_probability: float
    multi_probability: float
    probabilities: dict[str, float]

    @property
    def outage_unsure(self) -> bool:
        """Whether the message may well be an outage, or may well not be: worth asking who is affected."""
        outage = max(self.probabilities.get("outage", 0.0), self.critical_probability)
        return UNSURE[0] <= outage < UNSURE[1] or (self.category == "outage" and self.category_probability < UNSURE[1])


@lru_cache(maxsize=1)
def model() -> LinearModel:
    return LinearModel.load("triage")


def decide(probabilities: dict[str, float], critical_probability: float, multi_probability: float,
           threshold: float = THRESHOLD) -> Guess:
    category = max(probabilities, key=lambda name: probabilities[name])
    critical = category == "outage" or (critical_probability >= threshold and category in CRITICAL_CATEGORIES)
    if critical_probability >= threshold and category not in CRITICAL_CATEGORIES:
        # The critical head is sure where the category head is not: an outage, a mass loss or a lock-out
        # worded like something else. The likeliest category that can be critical is taken.
        capable = max(CRITICAL_CATEGORIES, key=lambda name: probabilities.get(name, 0.0))
        if probabilities.get(capable, 0.0) >= 0.15:
            category, critical = capable, True
    return Guess(category, probabilities[category], critical, critical_probability, multi_probability, probabilities)


def guess(normalised: str, reader: LinearModel | None = None) -> Guess:
    reader = reader or model()
    heads = reader.predict_present(names(normalised))
    return decide(heads["category"], heads["critical"]["true"], heads["multi_problem"]["true"])
