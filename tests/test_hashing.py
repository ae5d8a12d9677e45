"""The content hash (scenario/hashing.py) is the SHA-256 of a canonical JSON text whose
definition is fixed (keys sorted, integral floats below 2**53 as ints): hashes recorded with past
results must stay valid, so the fast way of writing the text is compared with the definition."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance.io import builtin_scenarios, load_scenario
from allegiance.scenario import hashing
from allegiance.scenario.model import Scenario

DATA = Path(__file__).resolve().parent / "data"


def _definition(scenario: Scenario) -> str:
    """The canonical text as defined: every dumped value walked."""
    def walk(value):
        if isinstance(value, float):
            if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
                return int(value)
            return value
        if isinstance(value, dict):
            return {str(k): walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value
    exclude = {"derived"} | ({"lever_sets"} if not scenario.lever_sets else set())
    return json.dumps(walk(scenario.model_dump(mode="json", exclude=exclude)), sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)


def _files():
    for path in sorted(DATA.rglob("*")):
        if path.suffix in {".yaml", ".csv", ".xml", ".txt"} and "hostile" not in path.parts:
            try:
                yield load_scenario(path)
            except Exception:  # noqa: BLE001 - data files that are not scenarios
                continue


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_built_in_scenarios(name):
    scenario = load_scenario(name)
    assert hashing.canonical_json(scenario) == _definition(scenario)


def test_scenarios_in_test_data():
    scenarios = list(_files())
    assert len(scenarios) >= 5
    for scenario in scenarios:
        assert hashing.canonical_json(scenario) == _definition(scenario), scenario.id


FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e14, max_value=1e14),
    st.sampled_from([0.0, -0.0, 1e14, 9.5, 5e-324, 1e-300, 0.1 + 0.2]))
META = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.text(max_size=8),
              st.floats(allow_nan=False, allow_infinity=False),
              st.sampled_from([2.0**53, 2.0**53 - 1, 2.0**60, -(2.0**53), 1e16])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(position=FLOATS, capability=FLOATS.map(abs), low=FLOATS, metadata=META)
def test_generated_scenarios(position, capability, low, metadata):
    scale = sorted([low, position]) if low != position else [position - 1, position + 1]
    scenario = Scenario.model_validate({
        "id": "h", "title": "H", "metadata": {"m": metadata},
        "issues": [{"id": "x", "name": "X", "scale": [scale[0] - 1, scale[1] + 1]}],
        "actors": [{"id": "a", "name": "A", "capability": capability,
                    "issues": {"x": {"position": position, "salience": 0.5}}}]})
    assert hashing.canonical_json(scenario) == _definition(scenario)
