"""The scenario editor's grid adds and removes actors, issues, sources and coalitions: every
problem the CLI's validator finds (and a new row without its id or name) comes back on the
page's own field, a removed row's references go with it, and saving makes a new version."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from webapp import csrf_of, make_app, sign_in

import allegiance
from allegiance.io.yaml_format import parse_yaml, scenario_from_data

SYRIA = allegiance.load_scenario("syria-2014")
N_ACTORS, N_ISSUES, N_SOURCES = len(SYRIA.actors), len(SYRIA.issues), len(SYRIA.sources)


@pytest.fixture
def editor(tmp_path):
    app, web = make_app(tmp_path, workers=None)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    sign_in(client, "analyst")
    token = csrf_of(client)

    def post(action: str, fields: dict[str, str], **kwargs):
        return client.post(f"/scenarios/syria-2014/{action}",
                           data={"csrf_token": token, **fields}, **kwargs)

    def errors(fields: dict[str, str]) -> dict[str, str]:
        problems = post("check", fields).json()["problems"]
        return {p["path"]: p["message"] for p in problems if p["severity"] == "error"}

    def saved(fields: dict[str, str]):
        reply = post("save", fields, follow_redirects=False)
        assert reply.status_code == 303, reply.text
        version = web.store.scenario_versions("syria-2014")[0]
        data, where = parse_yaml(version.document, "saved.yaml")
        return scenario_from_data(data, where, "saved.yaml")

    return client, post, errors, saved


def new_actor(a: int, **cells: tuple[str, str]) -> dict[str, str]:
    fields = {f"add:actors.{a}": "", f"f:actors.{a}.id": "egypt", f"f:actors.{a}.name": "Egypt",
              f"f:actors.{a}.capability.value": "12", f"f:actors.{a}.capability.low": "",
              f"f:actors.{a}.capability.high": ""}
    for issue in SYRIA.issue_ids:  # the page sends every cell of the row, most left empty
        position, salience = cells.get(issue.replace("-", "_"), ("", ""))
        fields[f"f:actors.{a}.issues.{issue}.position.value"] = position
        fields[f"f:actors.{a}.issues.{issue}.salience.value"] = salience
    return fields


def test_the_page_has_the_buttons_and_the_templates_of_new_rows(editor):
    client = editor[0]
    page = client.get("/scenarios/syria-2014/edit").text
    for button in ("add-actor", "add-issue", "add-source", "add-coalition"):
        assert f'id="{button}"' in page
    for template in ("new-actor", "new-cell", "new-issue", "new-source", "new-coalition"):
        assert f'<template id="{template}">' in page
    assert len(re.findall(r'data-remove="actors\.\d+"', page)) == N_ACTORS
    assert len(re.findall(r'data-remove="issues\.\d+"', page)) == N_ISSUES
    assert "<script>" not in page and "onclick" not in page  # no inline script (CSP)
    # every actor × issue cell has its boxes, also where the actor is not on the issue yet
    missing = [(a.id, k) for a in SYRIA.actors for k in SYRIA.issue_ids if k not in a.issues]
    assert missing
    a = SYRIA.actor_ids.index(missing[0][0])
    assert f'name="f:actors.{a}.issues.{missing[0][1]}.position.value" ' in page


def test_a_new_actor_is_checked_on_its_cells_then_saved(editor):
    _, _, errors, saved = editor
    fields = new_actor(N_ACTORS, assad_future=("40", "1.5"))
    fields[f"f:actors.{N_ACTORS}.name"] = ""
    fields[f"f:actors.{N_ACTORS}.capability.value"] = "lots"
    found = errors(fields)
    a = f"actors.{N_ACTORS}"
    assert found[f"{a}.name"] == "the new actor needs a name"
    assert "'lots' is not a number" in found[f"{a}.capability.value"]
    assert "outside the salience range" in found[f"{a}.issues.assad-future.salience.value"]
    assert len(found) == 3
    scenario = saved(new_actor(N_ACTORS, assad_future=("40", "0.5")))
    egypt = scenario.actors[-1]
    assert (egypt.id, egypt.name, egypt.capability.value) == ("egypt", "Egypt", 12)
    assert list(egypt.issues) == ["assad-future"]  # the empty cells: not on those issues
    assert egypt.issues["assad-future"].position.value == 40
    assert scenario.actor_ids[:-1] == SYRIA.actor_ids


def test_a_duplicate_id_is_shown_on_the_new_row(editor):
    fields = new_actor(N_ACTORS, settlement=("50", "0.5"))
    fields[f"f:actors.{N_ACTORS}.id"] = "usa"
    found = editor[2](fields)
    assert "duplicate actor id 'usa'" in found[f"actors.{N_ACTORS}.id"]


def test_removing_an_actor_takes_it_out_of_coalitions_variants_and_levers(editor):
    _, _, errors, saved = editor
    gone = "usa"
    u = SYRIA.actor_ids.index(gone)
    assert any(gone in c.members for c in SYRIA.coalitions.values())
    last = N_ACTORS - 1
    # a problem on a row after the removed one comes back on the page's (unshifted) index
    bad = {f"remove:actors.{u}": "", f"f:actors.{last}.capability.value": "x"}
    assert list(errors(bad)) == [f"actors.{last}.capability.value"]
    scenario = saved({f"remove:actors.{u}": ""})
    assert gone not in scenario.actor_ids and len(scenario.actors) == N_ACTORS - 1
    assert all(gone not in c.members for c in scenario.coalitions.values())
    assert all(ch.actor != gone for v in scenario.variants.values() for ch in v.changes)
    assert all(f":{gone}" not in item for s in scenario.lever_sets.values()
               for item in s.levers)


def test_an_added_actor_removed_again_leaves_the_scenario_as_it_was(editor):
    fields = {**new_actor(N_ACTORS), f"f:actors.{N_ACTORS}.id": "", f"remove:actors.{N_ACTORS}": ""}
    assert editor[2](fields) == {}  # its missing id does not count once it is removed
    assert editor[3](fields).actor_ids == SYRIA.actor_ids


def test_a_new_issue_with_its_column_then_removing_an_issue(editor):
    _, _, errors, saved = editor
    k = N_ISSUES
    issue = {f"add:issues.{k}": "@i0", f"f:issues.{k}.id": "oil", f"f:issues.{k}.name": "",
             f"f:issues.{k}.scale.0": "0", f"f:issues.{k}.scale.1": "10",
             "f:actors.0.issues.@i0.position.value": "20",
             "f:actors.0.issues.@i0.salience.value": "0.4",
             "f:actors.1.issues.@i0.position.value": "",
             "f:actors.1.issues.@i0.salience.value": ""}
    found = errors(issue)
    # the new column's cell is named by its placeholder on the page
    assert found == {f"issues.{k}.name": "the new issue needs a name",
                     "actors.0.issues.@i0.position.value": found.get(
                         "actors.0.issues.@i0.position.value")}
    assert "outside the scale" in found["actors.0.issues.@i0.position.value"]
    issue.update({f"f:issues.{k}.name": "Oil revenue",
                  "f:actors.0.issues.@i0.position.value": "7"})
    assert errors(issue) == {}
    scenario = saved(issue)
    assert scenario.issue_ids[-1] == "oil" and scenario.issues[-1].scale == (0, 10)
    assert scenario.actors[0].issues["oil"].position.value == 7
    assert "oil" not in scenario.actors[1].issues
    dropped = SYRIA.issue_ids[0]
    after = saved({"remove:issues.0": ""})
    assert dropped not in after.issue_ids and "oil" in after.issue_ids
    assert all(dropped not in a.issues for a in after.actors)


def test_sources_are_added_and_removed_with_their_references(editor):
    _, _, errors, saved = editor
    s = N_SOURCES
    fields = {f"add:sources.{s}": "", f"f:sources.{s}.id": "new-report",
              f"f:sources.{s}.title": "", f"f:sources.{s}.date": "2014-13-40",
              f"f:sources.{s}.reliability": "B", f"f:sources.{s}.credibility": "2"}
    found = errors(fields)
    assert found[f"sources.{s}.title"] == "the new source needs a title"
    assert f"sources.{s}.date" in found
    fields.update({f"f:sources.{s}.title": "A new report", f"f:sources.{s}.date": ""})
    scenario = saved(fields)
    added = scenario.sources[-1]
    assert (added.id, added.title, added.reliability, added.credibility, added.date) == (
        "new-report", "A new report", "B", 2, None)
    cited = next(src.id for src in SYRIA.sources if any(
        src.id in estimate.all_sources() for _, estimate in SYRIA.estimates()))
    i = [src.id for src in SYRIA.sources].index(cited)
    after = saved({f"remove:sources.{i}": ""})
    assert cited not in [src.id for src in after.sources]
    assert all(cited not in estimate.all_sources() for _, estimate in after.estimates())


def test_named_coalitions_are_added_and_removed(editor):
    _, _, errors, saved = editor
    fields = {"add:coalitions.@c0": "", "key:coalitions.@c0": "",
              "f:coalitions.@c0.members": "assad, nobody"}
    found = errors(fields)
    assert found["coalitions.@c0"] == "the new coalition needs a name"
    fields["key:coalitions.@c0"] = "regional"
    assert errors(fields)["coalitions.@c0"] == "there is already a coalition 'regional'"
    fields["key:coalitions.@c0"] = "axis"
    assert "unknown actor 'nobody'" in errors(fields)["coalitions.@c0.members.1"]
    fields["f:coalitions.@c0.members"] = "assad, iran"
    scenario = saved({**fields, "remove:coalitions.local": ""})
    assert scenario.coalitions["axis"].members == ["assad", "iran"]
    assert "local" not in scenario.coalitions and "regional" in scenario.coalitions
