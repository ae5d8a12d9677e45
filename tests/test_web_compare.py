"""Two runs side by side: two versions or two variants, the per-issue outcome with its
difference, both runs' trajectories with the difference along them, and the CSV of all of it
(numbers checked against the stored results themselves)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from webapp import csrf_of, make_app, sign_in

import allegiance
from allegiance.service import run_analysis
from allegiance.web.library import ensure_stored

SYRIA = allegiance.load_scenario("syria-2014")
VARIANT = next(iter(SYRIA.variants))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    app, web = make_app(tmp_path_factory.mktemp("compare"), workers=None)
    version = ensure_stored(web.store, "syria-2014")
    ids = []
    for kind, variant in (("forecast", None), ("forecast", VARIANT), ("timeline", None),
                          ("timeline", VARIANT)):
        options = {"runs": 0} if kind == "timeline" else {}
        run_id = web.store.create_run(kind, scenario_hash=version.content_hash, model="bdm",
                                      params={}, seed=1, as_of=None, variant=variant,
                                      options=options, owner="analyst")
        web.store.finish_run(run_id, run_analysis(kind, SYRIA, model="bdm", seed=1,
                                                  variant=variant, options=options))
        ids.append(run_id)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    sign_in(client, "viewer")
    return client, web, ids


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_page_shows_each_issue_with_its_difference(pair):
    client, web, (a, b, *_) = pair
    page = client.get(f"/compare?a={a}&b={b}")
    assert page.status_code == 200
    first, second = (web.store.get_run(i).result["outcome"] for i in (a, b))
    table = page.text[page.text.index('id="compare-table"'):]
    for issue in SYRIA.issues:
        difference = second[issue.id] - first[issue.id]
        assert f"<td>{escape(issue.name)}</td><td>{first[issue.id]:.2f}</td>" \
               f"<td>{second[issue.id]:.2f}</td><td>{difference:+.2f}</td>" in table
    assert f"B #{b} ({VARIANT})" in page.text
    assert f'href="/compare/export.csv?a={a}&amp;b={b}"' in page.text
    assert re.search(r'<script type="application/json" id="compare-data">', page.text)


def test_the_csv_has_the_outcomes_and_every_position_by_round(pair):
    client, web, (a, b, *_) = pair
    reply = client.get(f"/compare/export.csv?a={a}&b={b}")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert f'filename="compare-{a}-{b}.csv"' in reply.headers["content-disposition"]
    rows = _rows(reply.text)
    ra, rb = (web.store.get_run(i).result for i in (a, b))
    outcome = {r["issue"]: r for r in rows if r["section"] == "outcome"}
    assert set(outcome) == set(SYRIA.issue_ids)
    for issue, row in outcome.items():
        assert float(row[f"a (run {a})"]) == ra["outcome"][issue]
        assert float(row[f"b (run {b})"]) == rb["outcome"][issue]
        assert float(row["difference (b - a)"]) == pytest.approx(
            rb["outcome"][issue] - ra["outcome"][issue])
    positions = [r for r in rows if r["section"] == "position"]
    last = max(len(ra["rounds"]), len(rb["rounds"])) - 1
    names = {x["id"]: x["name"] for x in ra["actors"]}
    for actor, issues in ra["rounds"][-1]["positions"].items():
        for issue, value in issues.items():
            final = [r for r in positions if r["issue"] == issue and r["actor"] == names[actor]
                     and r["step"] == str(last)]
            assert len(final) == 1 and float(final[0][f"a (run {a})"]) == value
            expected = rb["rounds"][-1]["positions"][actor][issue]
            assert float(final[0][f"b (run {b})"]) == expected
    # the variant moves someone somewhere: not every difference is zero
    assert any(abs(float(r["difference (b - a)"])) > 1e-9 for r in positions)


def test_two_timelines_compare_by_date(pair):
    client, web, (_, _, a, b) = pair
    rows = _rows(client.get(f"/compare/export.csv?a={a}&b={b}").text)
    dated = [r for r in rows if r["section"] == "forecast"]
    ra, rb = (web.store.get_run(i).result for i in (a, b))
    assert {r["step"] for r in dated} == {d["date"] for d in ra["dates"]} | {
        d["date"] for d in rb["dates"]}
    first = ra["dates"][0]
    issue = next(iter(first["outcome"]))
    row = next(r for r in dated if r["step"] == first["date"] and r["issue"] == issue)
    assert float(row[f"a (run {a})"]) == first["outcome"][issue]


def test_runs_not_done_are_not_exported(pair):
    client, web, (a, *_) = pair
    version = web.store.scenario_versions("syria-2014")[0]
    queued = web.store.create_run("forecast", scenario_hash=version.content_hash, model="bdm",
                                  params={}, seed=1, as_of=None, variant=None,
                                  status="queued", owner="analyst")
    reply = client.get(f"/compare/export.csv?a={a}&b={queued}")
    assert reply.status_code == 409 and "both runs must be done" in reply.text


def test_the_run_page_offers_the_same_run_with_another_variant(tmp_path):
    app, web = make_app(tmp_path, workers=None)
    version = ensure_stored(web.store, "syria-2014")
    run_id = web.store.create_run("forecast", scenario_hash=version.content_hash, model="bdm",
                                  params={}, seed=1, as_of=None, variant=None, owner="analyst")
    web.store.finish_run(run_id, run_analysis("forecast", SYRIA, model="bdm", seed=1))
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    sign_in(client, "analyst")
    page = client.get(f"/runs/{run_id}").text
    assert 'id="variant-form"' in page and f'<option value="{VARIANT}">' in page
    assert '<option value="(none)">' not in page  # the run has no variant already

    # (no job pool here: the new run stays queued, which is all this checks)
    reply = client.post(f"/runs/{run_id}/rerun", data={"csrf_token": csrf_of(client),
                                                        "variant": VARIANT},
                        follow_redirects=False)
    assert reply.status_code == 303, reply.text
    new_id = int(re.search(r"a=(\d+)", reply.headers["location"]).group(1))
    assert reply.headers["location"] == f"/compare?a={new_id}&b={run_id}"
    assert web.store.get_run(new_id).variant == VARIANT
