"""Sampling judgements: ranges, grade-derived widths, bounds and reproducible streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance.io import builtin_scenarios, load_scenario
from allegiance.scenario.model import Scenario
from allegiance.uncertainty.sampling import (
    BLOCK,
    DEFAULT_GRADE_WIDTHS,
    GradeWidths,
    Sampler,
    pert_mean,
)


def toy_scenario(n_actors: int = 6, dated: bool = True) -> Scenario:
    """A small synthetic scenario: two issues (0–100 and 0–10), graded sources, ranges, a
    coalition and two dated states."""
    sources = [
        {"id": "good", "title": "Good", "reliability": "A", "credibility": 1},
        {"id": "fair", "title": "Fair", "reliability": "C", "credibility": 3},
        {"id": "poor", "title": "Poor", "reliability": "E", "credibility": 5},
    ]
    actors = []
    for a in range(n_actors):
        position = 10 + 80 * a / max(n_actors - 1, 1)
        stance_x: dict = {"position": {"value": position, "sources": ["fair"]},
                          "salience": {"value": 0.3 + 0.1 * (a % 5), "low": 0.2, "high": 0.9}}
        if a == 0:
            stance_x["position"] = {"value": 5.0, "low": 0.0, "high": 20.0, "sources": ["poor"]}
        if a == 1:
            stance_x["position"] = {"value": 30.0, "sources": ["good", "poor"]}
        if a == 2:
            stance_x["position"] = {"value": 40.0}  # unsourced
        if dated and a == 3:
            stance_x["position"] = {"sources": ["fair"], "history": [
                {"date": "2020-01-01", "value": 20.0, "low": 10.0, "high": 30.0},
                {"date": "2020-06-01", "value": 85.0, "low": 75.0, "high": 95.0}]}
        stance_y = {"position": {"value": 1 + 8 * (a % 3) / 2, "sources": ["good"]},
                    "salience": {"value": 0.5, "sources": ["poor"]}}
        if a == n_actors - 1:
            stance_y["capability"] = {"value": 7.0, "low": 5.0, "high": 9.0}
        actors.append({
            "id": f"a{a}", "name": f"Actor {a}",
            "capability": {"value": 1.0 + a, "sources": ["fair"]} if a != 4 else
            {"value": 5.0, "history": [{"date": "2020-01-01", "value": 2.0},
                                       {"date": "2020-06-01", "value": 5.0}]},
            "issues": {"x": stance_x, **({"y": stance_y} if a % 2 == 0 or a == n_actors - 1
                                         else {})},
        })
    return Scenario.model_validate({
        "id": "toy", "title": "Toy scenario", "sources": sources,
        "issues": [{"id": "x", "name": "X", "scale": [0, 100], "status_quo": 50},
                   {"id": "y", "name": "Y", "scale": [0, 10]}],
        "actors": actors,
        "coalitions": {"left": {"members": ["a0", "a1", "a2"]},
                       "right": {"members": [f"a{a}" for a in range(3, n_actors)]}},
    })


def _param(sampler: Sampler, label: str):
    return next(p for p in sampler.parameters if p.label == label)


def test_every_estimate_is_a_parameter():
    scenario = toy_scenario()
    sampler = Sampler(scenario)
    assert sampler.n_parameters == sum(1 for _ in scenario.estimates())
    assert len({p.label for p in sampler.parameters}) == sampler.n_parameters


def test_given_range_is_used():
    sampler = Sampler(toy_scenario())
    p = _param(sampler, "a0.x.position")
    assert (p.low, p.value, p.high, p.origin) == (0.0, 5.0, 20.0, "range")


def test_grade_to_width_rule():
    scenario = toy_scenario()
    sampler = Sampler(scenario)
    widths = DEFAULT_GRADE_WIDTHS
    # C3 source on a 0–100 position: half-width (0.07 + 0.06) * 100 = 13
    p = _param(sampler, "a5.x.position")
    assert p.origin == "C3"
    half = (widths.reliability["C"] + widths.credibility[3]) * 100
    assert (p.value, p.low, p.high) == pytest.approx((90.0, 90.0 - half, 100.0))  # clipped
    # the best of several sources counts (A1 beats E5): ±3 on 0–100
    p = _param(sampler, "a1.x.position")
    assert p.origin == "A1" and (p.low, p.high) == pytest.approx((27.0, 33.0))
    # unsourced: widest, ±30
    p = _param(sampler, "a2.x.position")
    assert p.origin == "unsourced" and (p.low, p.high) == pytest.approx((10.0, 70.0))
    # a position on a 0–10 scale from an A1 source: ±0.3
    p = _param(sampler, "a0.y.position")
    assert p.high - p.value == pytest.approx(0.3)
    # salience from E5: ±0.27 on 0–1
    p = _param(sampler, "a0.y.salience")
    assert (p.low, p.high) == pytest.approx((0.23, 0.77))
    # capability is relative: C3 gives ± 2 * 0.13 * value
    p = _param(sampler, "a3.capability")
    assert (p.low, p.high) == pytest.approx((4 * (1 - 0.26), 4 * (1 + 0.26)))


def test_weaker_grades_are_wider_and_unsourced_widest():
    widths = DEFAULT_GRADE_WIDTHS
    for r1, r2 in zip("ABCD", "BCDE", strict=True):
        assert widths.width([(r1, 3)]) < widths.width([(r2, 3)])
    for c in range(1, 5):
        assert widths.width([("C", c)]) < widths.width([("C", c + 1)])
    every = [widths.width([(r, c)]) for r in "ABCDEF" for c in range(1, 7)]
    assert widths.width([]) > max(every)


def test_grade_widths_are_overridable():
    scenario = toy_scenario()
    sampler = Sampler(scenario, {"C": 0.2, "3": 0.0, "unsourced": 0.1})
    assert _param(sampler, "a5.x.position").low == pytest.approx(70.0)
    assert _param(sampler, "a2.x.position").low == pytest.approx(30.0)
    with pytest.raises(ValueError, match="unknown grade width"):
        DEFAULT_GRADE_WIDTHS.updated({"Z": 1})
    with pytest.raises(ValueError, match=">= 0"):
        GradeWidths(unsourced=-1)


def test_ranges_clipped_to_bounds():
    sampler = Sampler(toy_scenario())
    p = _param(sampler, "a5.x.position")  # C3 around 90: ±13, clipped at the scale's end
    assert p.high == 100.0
    p = _param(sampler, "a0.y.salience")  # E5 around 0.5: inside [0, 1]
    assert 0 < p.low < p.high < 1
    for p in sampler.parameters:
        assert p.low <= p.value <= p.high
        if p.field == "salience":
            assert 0 <= p.low and p.high <= 1
        if p.field == "capability":
            assert p.low >= 0


def test_history_range_used_for_current_value():
    sampler = Sampler(toy_scenario())
    p = _param(sampler, "a3.x.position")
    assert (p.low, p.value, p.high) == (75.0, 85.0, 95.0)
    earlier = Sampler(toy_scenario().as_of("2020-02-01"))
    p = _param(earlier, "a3.x.position")
    assert (p.low, p.value, p.high) == (10.0, 20.0, 30.0)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32), n_actors=st.integers(5, 9))
def test_draws_respect_bounds(seed, n_actors):
    scenario = toy_scenario(n_actors)
    sampler = Sampler(scenario)
    draws = sampler.sample(seed, 0, 600)
    assert (draws >= sampler.low - 1e-12).all() and (draws <= sampler.high + 1e-12).all()
    arrays = sampler.arrays(draws)
    assert ((arrays.salience >= 0) & (arrays.salience <= 1)).all()
    assert (arrays.capability >= 0).all()
    for k, issue in enumerate(scenario.issues):
        position = arrays.position[..., k]
        assert ((position >= issue.scale[0]) & (position <= issue.scale[1])).all()


def test_pert_mean_and_mode():
    sampler = Sampler(toy_scenario())
    draws = sampler.sample(3, 0, 40_000)
    expected = pert_mean(sampler.value, sampler.low, sampler.high)
    spread = np.maximum(sampler.high - sampler.low, 1e-9)
    assert np.all(np.abs(draws.mean(axis=0) - expected) / spread < 0.01)
    j = sampler.parameters.index(_param(sampler, "a0.x.position"))  # mode 5 on 0–20
    counts, edges = np.histogram(draws[:, j], bins=10, range=(0, 20))
    assert np.argmax(counts) in (1, 2)  # the mode bin [2, 6)


def test_same_draws_whatever_the_range_split():
    sampler = Sampler(toy_scenario())
    whole = sampler.sample(11, 0, 3 * BLOCK + 17)
    pieces = np.concatenate([sampler.sample(11, a, b) for a, b in
                             [(0, 5), (5, BLOCK + 1), (BLOCK + 1, 2 * BLOCK + 100),
                              (2 * BLOCK + 100, 3 * BLOCK + 17)]])
    np.testing.assert_array_equal(whole, pieces)
    np.testing.assert_array_equal(sampler.sample(11, 100, 101)[0], whole[100])
    assert not np.array_equal(sampler.sample(12, 0, 10), whole[:10])


def test_capability_draw_fills_every_issue_of_its_actor():
    scenario = toy_scenario()
    sampler = Sampler(scenario)
    arrays = sampler.arrays(sampler.sample(5, 0, 50))
    # a0 is on x and y with its base capability: the same draw on both
    np.testing.assert_array_equal(arrays.capability[:, 0, 0], arrays.capability[:, 0, 1])
    # the last actor overrides its capability on y: a different variable there
    last = len(scenario.actors) - 1
    assert not np.array_equal(arrays.capability[:, last, 0], arrays.capability[:, last, 1])
    assert ((arrays.capability[:, last, 1] >= 5) & (arrays.capability[:, last, 1] <= 9)).all()


def test_values_at_their_value_give_the_scenario():
    scenario = toy_scenario()
    sampler = Sampler(scenario)
    arrays = sampler.arrays(sampler.value)
    base = scenario.to_arrays()
    np.testing.assert_array_equal(arrays.position, base.position)
    np.testing.assert_array_equal(arrays.salience, base.salience)
    np.testing.assert_array_equal(arrays.capability, base.capability)


def test_bad_seed_or_range():
    sampler = Sampler(toy_scenario())
    with pytest.raises(ValueError):
        sampler.sample(-1, 0, 10)
    with pytest.raises(ValueError):
        sampler.sample(1, 10, 5)


@pytest.mark.skipif("eu-emissions-1994" not in builtin_scenarios(), reason="scenario absent")
def test_grade_rule_on_the_eu_example():
    """Every estimate of eu-emissions-1994 cites a B2 source and gives no range: ±7 %."""
    scenario = load_scenario("eu-emissions-1994")
    sampler = Sampler(scenario)
    issue = scenario.issues[0]
    width = issue.scale[1] - issue.scale[0]
    for p in sampler.parameters:
        assert p.origin == "B2"
        if p.field == "position":
            half = 0.07 * width
            assert p.low == pytest.approx(max(p.value - half, issue.scale[0]))
            assert p.high == pytest.approx(min(p.value + half, issue.scale[1]))
        elif p.field == "salience":
            assert p.low == pytest.approx(max(p.value - 0.07, 0))
            assert p.high == pytest.approx(min(p.value + 0.07, 1))
        else:
            assert (p.low, p.high) == pytest.approx((0.86 * p.value, 1.14 * p.value))


def test_capability_range_clipped_at_zero():
    sampler = Sampler(toy_scenario(), {"capability_factor": 10})
    lows = [p.low for p in sampler.parameters if p.field == "capability" and p.origin != "range"]
    assert lows and all(low == 0.0 for low in lows)  # C3: value ± 10 * 0.13 * value
    arrays = sampler.arrays(sampler.sample(1, 0, 2000))
    present = arrays.capability[:, arrays.present]
    assert (arrays.capability >= 0).all() and (present > 0).all()  # PERT never hits the end
