"""The built-in default scenario `syria-2014`: valid, sourced, dated before/after Tabqa, with the
article's two candidate coalitions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import allegiance
from allegiance.io.yaml_format import read_yaml, validate_yaml

FILE = Path(allegiance.__file__).parent / "data" / "scenarios" / "syria-2014.yaml"
BEFORE, AFTER = "2014-08-01", "2014-09-08"
ARTICLE = "itani-2014"
LOCAL_CORE = {"officers", "alawites", "rebels"}


@pytest.fixture(scope="module")
def scenario():
    return read_yaml(FILE)


def all_estimates(scenario):
    """(where, estimate-or-history-entry) for every estimate, its history and variant changes."""
    for path, estimate in scenario.estimates():
        yield path, estimate
        for h, entry in enumerate(estimate.history):
            yield (*path, "history", h), entry
    for name, variant in scenario.variants.items():
        for c, change in enumerate(variant.changes):
            yield ("variants", name, c), change.value


def test_file_validates_without_errors():
    problems = validate_yaml(FILE)
    errors = [p for p in problems if p.severity == "error"]
    assert errors == [], "\n".join(map(str, errors))


def test_required_actors_and_issues(scenario):
    required = {"assad", "officers", "alawites", "rebels", "isis", "usa"}
    assert required <= set(scenario.actor_ids)
    regional_states = {"turkey", "saudi-arabia", "gulf", "jordan"}
    assert regional_states <= set(scenario.actor_ids)
    assert {"assad-future", "isis-priority", "settlement"} <= set(scenario.issue_ids)


def test_every_estimate_has_a_note(scenario):
    missing = [path for path, est in all_estimates(scenario) if not est.note.strip()]
    assert missing == []


def test_every_estimate_has_a_source_or_says_assumption(scenario):
    bare = [
        path for path, est in all_estimates(scenario)
        if not est.sources and "assumption" not in est.note.lower()
    ]
    assert bare == []


def test_every_estimate_has_a_plausible_range(scenario):
    for path, est in all_estimates(scenario):
        assert est.low is not None and est.high is not None, path
        assert est.low <= est.value <= est.high, path
        assert est.low < est.high or est.value in (0.0, 1.0, 100.0), path


def test_dated_estimates_state_the_latest_range_at_top_level(scenario):
    """Undated use (and sampling) sees the latest state: value and range of the last entry."""
    dated = [(path, est) for path, est in scenario.estimates() if est.history]
    assert len(dated) >= 8
    for path, est in dated:
        latest = est.history[-1]
        assert (est.value, est.low, est.high) == (latest.value, latest.low, latest.high), path


def test_background_facts_are_labelled_as_assumptions(scenario):
    for path, est in all_estimates(scenario):
        if "background-2014" in est.sources:
            assert "assumption" in est.note.lower(), path


def test_issues_have_labelled_scales_and_status_quo(scenario):
    for issue in scenario.issues:
        assert issue.low_label and issue.high_label, issue.id
        assert len(issue.points) >= 3, issue.id
        values = [p.value for p in issue.points]
        assert values == sorted(values), issue.id
        assert issue.status_quo is not None
        assert issue.scale[0] <= issue.status_quo <= issue.scale[1]


def test_relayed_reports_are_graded_below_the_article(scenario):
    article = scenario.source(ARTICLE)
    relayed = [s for s in scenario.sources if s.id.startswith(("report-", "rumour-"))]
    assert len(relayed) >= 6
    for source in relayed:
        weaker_reliability = source.reliability > article.reliability  # "C" > "B"
        same_but_less_credible = (source.reliability == article.reliability
                                  and source.credibility > article.credibility)
        assert weaker_reliability or same_but_less_credible, source.id
        assert source.note, source.id


def test_named_coalitions(scenario):
    assert {"regional", "local"} <= set(scenario.coalitions)
    local = set(scenario.coalitions["local"].members)
    regional = set(scenario.coalitions["regional"].members)
    assert "assad" not in local
    assert LOCAL_CORE <= local
    assert "usa" in regional and len(regional) >= 3
    assert not local & regional
    for coalition in scenario.coalitions.values():
        assert coalition.description


def stance(scenario, actor, issue, field="position"):
    return getattr(scenario.actor(actor).issues[issue], field).value


@pytest.mark.parametrize(
    ("actor", "issue", "field", "direction"),
    [
        ("alawites", "assad-future", "position", -1),  # "considerable dissent among Alawis"
        ("officers", "assad-future", "position", -1),  # "increasingly open to such a solution"
        ("officers", "settlement", "position", +1),
        ("alawites", "settlement", "position", +1),
        ("officers", "isis-priority", "position", +1),
        ("alawites", "isis-priority", "salience", +1),
    ],
)
def test_support_erodes_after_tabqa(scenario, actor, issue, field, direction):
    before = stance(scenario.as_of(BEFORE), actor, issue, field)
    after = stance(scenario.as_of(AFTER), actor, issue, field)
    assert np.sign(after - before) == direction


def test_tabqa_costs_the_regime_and_helps_isis(scenario):
    before, after = scenario.as_of(BEFORE), scenario.as_of(AFTER)
    assert after.actor("officers").capability.value < before.actor("officers").capability.value
    assert after.actor("isis").capability.value > before.actor("isis").capability.value


def test_history_dates_are_the_two_states(scenario):
    dates = [d.isoformat() for d in scenario.history_dates()]
    assert dates == [BEFORE, AFTER]
    # the undated scenario is the latest state
    latest = scenario.as_of(AFTER).to_arrays()
    assert scenario.to_arrays().position.tolist() == latest.position.tolist()
    assert scenario.to_arrays().capability.tolist() == latest.capability.tolist()


def test_local_members_converge_after_tabqa(scenario):
    """The article's argument as data: the local coalition's members are closer after Tabqa."""

    def spread(s):
        arrays = s.to_arrays()
        members = [arrays.actor_ids.index(m) for m in scenario.coalitions["local"].members]
        position = arrays.position[members] / (arrays.scale_high - arrays.scale_low)
        return np.ptp(position, axis=0).sum()

    assert spread(scenario.as_of(AFTER)) < spread(scenario.as_of(BEFORE))


def test_variants_apply_and_change_the_scenario(scenario):
    assert {"no-tabqa-erosion", "us-backs-local"} <= set(scenario.variants)
    for name in scenario.variants:
        changed = scenario.variant(name)
        assert changed.content_hash() != scenario.content_hash(), name
    frozen = scenario.variant("no-tabqa-erosion")
    before = scenario.as_of(BEFORE)
    for actor in ("officers", "alawites"):
        for issue in ("assad-future", "settlement", "isis-priority"):
            assert stance(frozen, actor, issue) == stance(before, actor, issue)


def test_builtin_name_loads_the_same_file(scenario):
    assert allegiance.load_scenario("syria-2014").content_hash() == scenario.content_hash()
