"""The forecast's JSON (written by pydantic-core straight from NumPy results) is the same document
as the plain-Python ``to_dict`` serialised by the standard library."""

from __future__ import annotations

import json
import math

import pytest

import allegiance


@pytest.mark.parametrize("model", ["mean", "median", "bdm", "smp", "exchange", "nash"])
def test_json_is_the_same_document_as_to_dict(model):
    scenario = allegiance.load_scenario("syria-2014")
    result = allegiance.forecast(scenario, model, seed=7)
    written = json.loads(result.to_json())
    assert written == json.loads(json.dumps(result.to_dict()))
    assert json.loads(result.to_json(indent=None)) == written
    assert written["model"]["name"] == model
    assert written["seed"] == 7


def test_non_finite_numbers_are_written_as_null():
    scenario = allegiance.load_scenario("syria-2014")
    result = allegiance.forecast(scenario, "smp")
    # actors that make no challenge have no target probability (NaN in the arrays)
    probabilities = result.result.extra["target_probability"]
    assert any(math.isnan(p) for p in probabilities.ravel())
    text = result.to_json(indent=None)
    assert "NaN" not in text and "Infinity" not in text
    written = json.loads(text)["extra"]["target_probability"]
    assert None in [p for row in written for p in row]
