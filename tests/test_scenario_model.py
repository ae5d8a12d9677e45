"""The scenario data structure: arrays, as-of dates, variants, content hash, semantic checks."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest

from allegiance.scenario import Scenario, ScenarioInvalid

BASE = {
    "id": "toy",
    "title": "Toy scenario",
    "sources": [{"id": "paper", "title": "A paper", "reliability": "b", "credibility": 2}],
    "issues": [
        {"id": "tax", "name": "Tax rate", "scale": [0, 50], "status_quo": 10},
        {"id": "war", "name": "War", "low_label": "peace", "high_label": "war"},
    ],
    "actors": [
        {
            "id": "a", "name": "A", "capability": {"value": 10, "low": 5, "high": 20,
                                                   "sources": ["paper"]},
            "issues": {
                "tax": {"position": 20, "salience": {
                    "value": 0.5,
                    "history": [
                        {"date": "2014-07-01", "value": 0.8, "sources": ["paper"]},
                        {"date": "2014-09-01", "value": 0.5},
                    ]}},
                "war": {"position": 90, "salience": 0.3, "capability": 40},
            },
        },
        {"id": "b", "name": "B", "capability": 30,
         "issues": {"tax": {"position": 40, "salience": 1.0}}},
    ],
    "coalitions": {"ab": {"members": ["a", "b"]}},
    "variants": {"b-softens": {"changes": [
        {"actor": "b", "issue": "tax", "field": "position", "value": 30}]}},
}


def make(**changes):
    data = copy.deepcopy(BASE)
    data.update(changes)
    return Scenario.model_validate(data)


def test_to_arrays_applies_overrides_and_marks_absent_actors():
    arrays = make().to_arrays()
    assert arrays.actor_ids == ("a", "b")
    assert arrays.position.tolist() == [[20, 90], [40, 50]]
    assert arrays.capability.tolist() == [[10, 40], [30, 0]]
    assert arrays.present.tolist() == [[True, True], [True, False]]
    assert arrays.salience[1, 1] == 0
    assert arrays.scale_high.tolist() == [50, 100]
    assert arrays.status_quo[0] == 10 and np.isnan(arrays.status_quo[1])
    single = arrays.issue(1)
    assert single.actor_ids == ("a",) and single.position.shape == (1, 1)


def test_as_of_takes_latest_estimate_on_or_before_the_date():
    scenario = make()
    assert scenario.as_of("2014-08-15").actor("a").issues["tax"].salience.value == 0.8
    assert scenario.as_of(dt.date(2014, 9, 1)).actor("a").issues["tax"].salience.value == 0.5
    # before the first dated estimate the first one is carried back
    assert scenario.as_of("2000-01-01").actor("a").issues["tax"].salience.value == 0.8
    assert scenario.history_dates() == [dt.date(2014, 7, 1), dt.date(2014, 9, 1)]
    assert scenario.as_of("2014-08-15").derived["as_of"] == "2014-08-15"


def test_variant_changes_estimates_and_unknown_variant_is_a_clear_error():
    varied = make().variant("b-softens")
    assert varied.actor("b").issues["tax"].position.value == 30
    assert make().actor("b").issues["tax"].position.value == 40
    with pytest.raises(KeyError, match="no variant 'nope'"):
        make().variant("nope")


def test_content_hash_ignores_key_order_and_salience_scale():
    one = make()
    reordered = Scenario.model_validate(dict(reversed(list(copy.deepcopy(BASE).items()))))
    assert one.content_hash() == reordered.content_hash()
    data = copy.deepcopy(BASE)
    data["salience_scale"] = 100
    data["actors"][1]["issues"]["tax"]["salience"] = 100
    data["actors"][0]["issues"]["war"]["salience"] = 30
    tax = data["actors"][0]["issues"]["tax"]["salience"]
    tax["value"] = 50
    tax["history"][0]["value"] = 80
    tax["history"][1]["value"] = 50
    assert Scenario.model_validate(data).content_hash() == one.content_hash()
    changed = copy.deepcopy(BASE)
    changed["actors"][1]["capability"] = 31
    assert Scenario.model_validate(changed).content_hash() != one.content_hash()


def test_semantic_errors_are_collected_all_at_once():
    data = copy.deepcopy(BASE)
    data["actors"][0]["capability"] = -1
    data["actors"][1]["issues"]["tax"]["position"] = 60  # scale is 0..50
    data["actors"][1]["issues"]["tax"]["salience"] = 1.5
    data["actors"][1]["issues"]["nope"] = {"position": 1, "salience": 0.1}
    data["coalitions"]["ab"]["members"].append("zed")
    with pytest.raises(ScenarioInvalid) as info:
        Scenario.model_validate(data)
    messages = [p.message for p in info.value.errors]
    assert len(messages) == 5, messages
    assert any("outside the capability range" in m for m in messages)
    assert any("outside the scale of 'tax'" in m for m in messages)
    assert any("salience_scale: 100" in m for m in messages)
    assert any("unknown issue 'nope'" in m for m in messages)
    assert any("unknown actor 'zed'" in m for m in messages)


def test_number_or_mapping_estimates_and_value_from_history():
    data = copy.deepcopy(BASE)
    data["actors"][1]["capability"] = {"history": [{"date": "2014-01-01", "value": 3},
                                                   {"date": "2014-02-01", "value": 4}]}
    scenario = Scenario.model_validate(data)
    assert scenario.actor("b").capability.value == 4
    assert scenario.as_of("2014-01-15").actor("b").capability.value == 3
