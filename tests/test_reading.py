"""The learned reading's parts: features, the model's files, training, and the decisions on its output."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.reading import learned
from bot.reading import train as training
from bot.reading.features import features
from bot.reading.model import WEIGHTS, LinearModel
from bot.reading.normalise import prepare
from bot.triage import read_message


def test_features_are_unit_length_presence_of_char_and_word_ngrams() -> None:
    found = features(prepare("Не открывается аккаунт, не открывается!")[1])
    assert "w открывается" in found and "b не открывается" in found and " не " in found
    assert len(set(found.values())) == 1  # presence, not counts
    assert abs(sum(value * value for value in found.values()) - 1.0) < 1e-9
    assert features("") == {} and features("👍 !!!") == {}


def test_a_huge_message_costs_no_more_than_its_start() -> None:
    assert features("слово " * 100_000) == features("слово " * 1000)


def _rows() -> list[dict[str, object]]:
    sets = training.load_sets()
    return [row for name in sorted(sets) for row in sets[name]][::15]


def test_training_gives_the_same_weights_from_the_same_data(tmp_path) -> None:
    rows = _rows()
    samples = training.featurise(str(row["text"]) for row in rows)
    first, second = training.fit(samples, rows), training.fit(samples, rows)
    assert first.vocabulary == second.vocabulary
    for name in first.heads:
        assert np.array_equal(first.heads[name].weights, second.heads[name].weights)
    first.save("probe", tmp_path)
    loaded = LinearModel.load("probe", tmp_path)
    sample = samples[0]
    for name, probabilities in first.predict(sample).items():
        for label, value in probabilities.items():
            assert loaded.predict(sample)[name][label] == pytest.approx(value, abs=1e-3)  # stored as float16


def test_the_model_files_are_plain_json_and_arrays() -> None:
    description = json.loads((WEIGHTS / "triage.json").read_text(encoding="utf-8"))
    assert set(description) == {"vocabulary", "meta", "heads"}
    with np.load(WEIGHTS / "triage.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype.kind == "f" for name in arrays.files)


def test_the_shipped_model_was_trained_on_the_labelled_sets_in_the_repository() -> None:
    """`python -m bot.reading train` after a labelled set changes; this fails until it is run."""
    sets = training.load_sets()
    assert learned.model().meta["sets"] == {name: len(rows) for name, rows in sorted(sets.items())}


def _probabilities(**given: float) -> dict[str, float]:
    rest = (1.0 - sum(given.values())) / (len(training.CATEGORIES) - len(given))
    return {name: given.get(name, rest) for name in training.CATEGORIES}


def test_every_outage_is_critical_and_only_three_categories_can_be() -> None:
    assert learned.decide(_probabilities(outage=0.6), 0.2, 0.0).critical  # SLA 2.1
    setup = learned.decide(_probabilities(setup_consultation=0.7), 0.9, 0.0)
    assert (setup.category, setup.critical) == ("setup_consultation", False)
    locked = learned.decide(_probabilities(setup_consultation=0.5, security_question=0.3), 0.9, 0.0)
    assert (locked.category, locked.critical) == ("security_question", True)
    bug = learned.decide(_probabilities(bug_report=0.8), 0.7, 0.0)
    assert (bug.category, bug.critical) == ("bug_report", True)


def test_an_outage_read_without_confidence_is_unsure() -> None:
    assert learned.decide(_probabilities(outage=0.45, bug_report=0.4), 0.5, 0.0).outage_unsure
    assert not learned.decide(_probabilities(outage=0.95), 0.97, 0.0).outage_unsure
    assert not learned.decide(_probabilities(setup_consultation=0.9), 0.02, 0.0).outage_unsure


def test_nothing_to_read_is_told_apart() -> None:
    for text in ("", "👍", "...", "\u3164", "\u2800\u2800", "🔥🔥 !!!", "👍 romashka.aspro.cloud"):
        assert not read_message(text).readable, repr(text)
    for text in ("ok", "2", "не работает", "API?"):
        assert read_message(text).readable, repr(text)


def test_numbered_steps_of_one_problem_are_not_cut() -> None:
    text = "Не сохраняется сделка: 1) открываю сделку 2) меняю сумму 3) жму «Сохранить» — всё пропадает"
    reading = read_message(text)
    assert not reading.multi_problem and len(reading.problems) == 1
    assert reading.problems[0].text == text
