"""Stored runs of the kinds whose output is more than one JSON document: ``levers`` (its table
output names the run and ``runs show`` prints it again), ``backtest`` (the ``backtest.json`` it
writes names the run) and ``report`` (a written briefing is a stored run; ``runs rerun``
re-renders it and compares the numbers).

These run on an SQLite file in the test's folder (tests/test_store.py runs the kinds' common
checks on PostgreSQL too).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from allegiance.cli import app
from allegiance.store import open_store

runner = CliRunner()


def cli(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


LEVERS = ["levers", "syria-2014", "--budget", "2", "--seed", "4"]
#: the one line of the levers table that depends on the clock
TIMING = re.compile(r"evaluated in \d+\.\d\d s")


def test_levers_save_prints_the_run_id_and_runs_show_prints_the_same_tables(tmp_path):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    table = cli(*LEVERS, "--save", "--db", db).stdout
    run_id = open_store(db).list_runs(limit=1)[0].id
    assert table.rstrip().endswith(f"saved as run {run_id}")
    body = table.rstrip().rsplit("\n", 1)[0]
    assert "beyond-ranges" in body and "verdicts" in body  # the tables, not only a line
    shown = cli("runs", "show", str(run_id), "--db", db).stdout
    head, rest = shown.split("\n", 1)
    assert head.startswith(f"run {run_id}: levers of syria-2014 ")
    assert TIMING.sub("", rest.rstrip()) == TIMING.sub("", body)

    document = json.loads(cli(*LEVERS, "--save", "--db", db, "-f", "json").stdout)
    assert document["run_id"] == run_id + 1
    record = open_store(db).get_run(run_id + 1)
    assert record.kind == "levers" and record.options["budget"] == 2 and record.seed == 4
    assert {k: v for k, v in document.items() if k != "run_id"} == record.result
    assert cli("runs", "rerun", str(run_id + 1), "--db", db).stdout.strip() == "identical"


def test_levers_without_save_stores_nothing_and_prints_no_id(tmp_path):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    out = cli(*LEVERS, "--db", db).stdout
    assert "saved as run" not in out
    assert "run_id" not in json.loads(cli(*LEVERS, "-f", "json").stdout)
    assert not (tmp_path / "store.db").exists()


def test_backtest_json_names_the_stored_run(tmp_path):
    from test_backtest import TINY_TSV

    db = f"sqlite:///{tmp_path / 'store.db'}"
    data = tmp_path / "tiny.tsv"
    data.write_text(TINY_TSV)
    plain, saved = tmp_path / "plain", tmp_path / "saved"
    cli("backtest", str(data), "-m", "median", "--bootstrap", "200", "-o", str(plain))
    out = cli("backtest", str(data), "-m", "median", "--bootstrap", "200", "-o", str(saved),
              "--save", "--db", db).stdout
    run_id = open_store(db).list_runs(limit=1)[0].id
    assert out.rstrip().endswith(f"saved as run {run_id}")
    written = json.loads((saved / "backtest.json").read_text())
    assert written.pop("run_id") == run_id
    assert "run_id" not in json.loads((plain / "backtest.json").read_text())
    assert written == json.loads((plain / "backtest.json").read_text())
    shown = json.loads(cli("runs", "show", str(run_id), "--db", db, "-f", "json").stdout)
    assert shown == written
    table = cli("runs", "show", str(run_id), "--db", db).stdout
    assert table.startswith(f"run {run_id}: backtest of ") and "median" in table
    assert cli("runs", "rerun", str(run_id), "--db", db).stdout.strip() == "identical"


REPORT = ["report", "eu-emissions-1994", "--model", "median", "--runs", "20", "--seed", "3",
          "--no-progress"]


def _runs(db: str) -> list:
    store = open_store(db)
    try:
        return store.list_runs()
    finally:
        store.close()


def test_a_written_report_is_a_stored_run_that_reruns_identical(tmp_path):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    page = tmp_path / "briefing.html"
    out = cli(*REPORT, "-o", str(page), "--db", db, "--label", "weekly").stdout
    [listed] = _runs(db)
    assert out.strip() == f"saved as run {listed.id}"
    record = open_store(db).get_run(listed.id)
    assert (record.kind, record.model, record.seed, record.label) == (
        "report", "mean,median", 3, "weekly")
    assert record.options == {"models": ["median"], "runs": 20, "analysis_model": "mean",
                              "backtest": None, "levers": True}
    written = record.result["output"]
    assert written["file"] == str(page) and written["format"] == "html"
    assert written["sha256"] == hashlib.sha256(page.read_bytes()).hexdigest()
    settings = record.result["settings"]
    assert settings["content_hash"] == record.scenario_hash and settings["seed"] == 3
    assert set(settings["models"]) == {"mean", "median"} and settings["allegiance_version"]
    assert record.result["summary"] and record.result["forecasts"]["median"]["outcome"]

    shown = cli("runs", "show", str(listed.id), "--db", db).stdout
    assert shown.startswith(f"run {listed.id}: report of eu-emissions-1994 ")
    assert record.result["summary"][0][:40] in shown.replace("\n", " ")
    assert f"written to {page}" in shown and "still there, unchanged" in shown
    page.write_text("edited")
    assert "changed since" in cli("runs", "show", str(listed.id), "--db", db).stdout

    rerun = cli("runs", "rerun", str(listed.id), "--db", db).stdout.splitlines()
    assert rerun == ["identical", f"the page renders again: the same bytes as the stored {page}"]


def test_a_report_rerun_detects_a_changed_number(tmp_path):
    from sqlalchemy import text

    from allegiance.store.engine import make_engine
    from allegiance.store.records import encode_result

    db = f"sqlite:///{tmp_path / 'store.db'}"
    cli(*REPORT, "-o", str(tmp_path / "b.html"), "--db", db)
    [listed] = _runs(db)
    document = open_store(db).get_run(listed.id).result
    document["forecasts"]["median"]["outcome"]["emission-standards-date"] = 1234.5
    data, encoding, digest = encode_result(document)
    engine = make_engine(db)
    with engine.begin() as connection:
        connection.execute(text("UPDATE runs SET result = :r, result_encoding = :e, "
                                "result_sha256 = :d WHERE id = :i"),
                           {"r": data, "e": encoding, "d": digest, "i": listed.id})
    engine.dispose()
    result = cli("runs", "rerun", str(listed.id), "--db", db, ok=False)
    assert result.exit_code == 1, result.output
    assert "forecasts.median.outcome.emission-standards-date: stored 1234.5" in result.stdout


def test_a_report_is_stored_when_a_store_exists_unless_no_save(tmp_path, monkeypatch):
    configured = f"sqlite:///{tmp_path / 'configured.db'}"
    monkeypatch.setenv("ALLEGIANCE_DATABASE_URL", configured)
    cli(*REPORT, "-o", str(tmp_path / "a.html"))
    assert [r.kind for r in _runs(configured)] == ["report"]
    cli(*REPORT, "-o", str(tmp_path / "b.html"), "--no-save")
    assert len(_runs(configured)) == 1

    # no store named and none in the user's data folder: the report creates none ...
    monkeypatch.delenv("ALLEGIANCE_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    from allegiance.store.location import default_url

    default = default_url()
    assert default.startswith(f"sqlite:///{tmp_path}")
    out = cli(*REPORT, "-o", str(tmp_path / "c.html")).stdout
    assert "saved as run" not in out and (tmp_path / "c.html").is_file()
    assert not list(tmp_path.joinpath("data").rglob("*.db"))
    # ... unless asked to; then the next report is stored by default
    cli(*REPORT, "-o", str(tmp_path / "d.html"), "--save")
    cli(*REPORT, "-o", str(tmp_path / "e.html"))
    assert [Path(r.result["output"]["file"]).name for r in
            (open_store(default).get_run(r.id) for r in _runs(default))] == ["e.html", "d.html"]


def test_the_web_api_runs_levers_as_the_command_line_does(tmp_path):
    from fastapi.testclient import TestClient
    from test_web_api import wait_for
    from webapp import bearer, make_app, sign_in

    app, web = make_app(tmp_path, workers=1)
    try:
        client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
        created = client.post("/api/runs", headers=bearer("analyst"), json={
            "scenario": "syria-2014", "model": "mean", "kind": "levers", "seed": 4,
            "params": {}, "options": {"budget": 2}})
        assert created.status_code == 201, created.text
        run = wait_for(client, created.json()["id"])
        assert run["status"] == "done", run
        sign_in(client, "viewer")
        page = client.get(f"/runs/{run['id']}")
        assert page.status_code == 200 and run["result"]["summary"][0][:30] in page.text
        # a report stored from the command line shows in the web app too
        cli(*REPORT, "-o", str(tmp_path / "b.html"), "--db", web.db_url)
        report = _runs(web.db_url)[0]
        assert report.kind == "report"
        page = client.get(f"/runs/{report.id}")
        assert page.status_code == 200, page.text[:300]
        assert client.get("/runs").status_code == 200
    finally:
        web.pool.shutdown()
    assert run["result"] == json.loads(cli(*LEVERS, "-f", "json").stdout)


def test_an_unusable_store_does_not_stop_a_report_it_was_not_asked_to_store(tmp_path,
                                                                            monkeypatch):
    foreign = tmp_path / "foreign.db"
    import sqlite3

    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE accounts (id INTEGER)")
    monkeypatch.setenv("ALLEGIANCE_DATABASE_URL", f"sqlite:///{foreign}")
    result = cli(*REPORT, "-o", str(tmp_path / "a.html"))
    assert (tmp_path / "a.html").is_file() and "saved as run" not in result.stdout
    assert "the report is not stored" in result.stderr and str(foreign) in result.stderr
    asked = cli(*REPORT, "-o", str(tmp_path / "b.html"), "--save", ok=False)
    assert asked.exit_code == 2 and str(foreign) in asked.stderr


def test_runs_diff_names_the_report_numbers_that_differ(tmp_path):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    cli(*REPORT, "-o", str(tmp_path / "a.html"), "--db", db)
    cli(*[a if a != "median" else "bdm" for a in REPORT], "-o", str(tmp_path / "b.html"),
        "--db", db)
    first, second = sorted(r.id for r in _runs(db))
    out = cli("runs", "diff", str(first), str(second), "--db", db).stdout
    assert "model: mean,median → mean,bdm" in out
    assert "options.models[0]: median → bdm" in out
    assert "mean emission-standards-date" not in out.split("outcomes", 1)[1]  # the same


def test_a_report_with_bad_input_stores_no_run(tmp_path):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    bad = cli("report", "eu-emissions-1994", "-o", str(tmp_path / "a.html"), "--model", "bmd",
              "--db", db, "--save", ok=False)
    assert bad.exit_code == 2 and "bmd" in bad.stderr
    missing = cli(*REPORT, "-o", str(tmp_path / "a.html"), "--backtest",
                  str(tmp_path / "none.csv"), "--db", db, "--save", ok=False)
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    assert not (tmp_path / "store.db").exists() or _runs(db) == []
