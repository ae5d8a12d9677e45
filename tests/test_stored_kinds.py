"""Stored runs of the kinds whose output is more than one JSON document: ``levers`` (its table
output names the run and ``runs show`` prints it again), ``backtest`` (the ``backtest.json`` it
writes names the run) and ``report`` (a written briefing is a stored run; ``runs rerun``
re-renders it and compares the numbers).

These run on an SQLite file in the test's folder (tests/test_store.py runs the kinds' common
checks on PostgreSQL too).
"""

from __future__ import annotations

import json
import re

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
