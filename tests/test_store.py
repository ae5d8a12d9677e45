"""The results store on real databases: an SQLite file and a throwaway PostgreSQL server (every
test runs on both). Scenario versions, runs, accounts, migrations, SIGKILL and Ctrl-C mid-run,
concurrent writers, ``runs rerun`` for every model and kind, ``runs diff``, damaged and foreign
databases.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
import zlib
from pathlib import Path

import pytest
from postgres_server import new_database, postgres_server
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from allegiance.cli import app
from allegiance.io import builtin_scenarios
from allegiance.models.registry import available_models, get_model_class
from allegiance.scenario.model import ScenarioInvalid
from allegiance.store import StoreError, open_store
from allegiance.store.engine import make_engine, upgrade
from allegiance.store.records import encode_result

SYRIA = builtin_scenarios()["syria-2014"].read_text(encoding="utf-8")
EU = builtin_scenarios()["eu-emissions-1994"].read_text(encoding="utf-8")
runner = CliRunner()


@pytest.fixture(scope="session")
def postgres():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server = request.getfixturevalue("postgres")
    return new_database(server, f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def store(db_url):
    opened = open_store(db_url)
    yield opened
    opened.close()


def cli(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


# ---------------------------------------------------------------------- scenario versions
def test_scenario_versions_have_a_history_and_saving_is_idempotent(store):
    first = store.save_scenario(EU, saved_by="ann")
    assert first.scenario_id == "eu-emissions-1994" and first.content_hash.startswith("sha256:")
    assert store.save_scenario(EU, saved_by="bob") == first  # same content: same version
    edited = EU.replace("salience: {value: 0.8, sources: [bdm-1994, scholz-2011]}",
                        "salience: {value: 0.5, sources: [bdm-1994, scholz-2011]}", 1)
    second = store.save_scenario(edited, saved_by="bob")
    assert second.content_hash != first.content_hash
    assert [v.content_hash for v in store.scenario_versions("eu-emissions-1994")] == [
        second.content_hash, first.content_hash]
    assert store.get_scenario_version(first.content_hash).document == EU
    assert store.get_scenario_version(first.content_hash).scenario().content_hash() == \
        first.content_hash
    store.save_scenario(SYRIA)
    listed = {v.scenario_id: v.content_hash for v in store.list_scenarios()}
    assert listed == {"eu-emissions-1994": second.content_hash,
                      "syria-2014": store.save_scenario(SYRIA).content_hash}


def test_an_invalid_scenario_is_refused_with_every_problem(store):
    bad = EU.replace("capability: {value: 0.08,", "capability: {value: -3,", 2)
    with pytest.raises(ScenarioInvalid) as caught:
        store.save_scenario(bad)
    assert len(caught.value.errors) >= 1 and store.list_scenarios() == []


def test_deleting_a_scenario_keeps_the_versions_runs_use(store):
    used = store.save_scenario(EU)
    run_id = store.create_run("forecast", scenario_hash=used.content_hash, model="mean",
                              params={}, seed=None, as_of=None, variant=None)
    assert store.delete_scenario("eu-emissions-1994") == 1
    assert store.list_scenarios() == [] and store.scenario_versions("eu-emissions-1994") == []
    assert store.get_scenario_version(used.content_hash) is not None  # the run still has it
    assert store.get_run(run_id).scenario_hash == used.content_hash
    store.delete_run(run_id)
    assert store.delete_scenario("eu-emissions-1994") == 1
    assert store.get_scenario_version(used.content_hash) is None


# ---------------------------------------------------------------------- runs
def test_a_run_is_written_running_then_finished_in_the_same_row(store):
    version = store.save_scenario(EU)
    run_id = store.create_run("montecarlo", scenario_hash=version.content_hash, model="bdm",
                              params={"variant": "paper"}, seed=None, as_of="1994-01-01",
                              variant=None, label="first", options={"runs": 10})
    running = store.get_run(run_id)
    assert (running.status, running.progress, running.result) == ("running", 0.0, None)
    assert store.set_progress(run_id, 0.5) and store.get_run(run_id).progress == 0.5
    big = {"seed": 12345678901234567, "model": {"name": "bdm", "parameters": {"a": 1}},
           "values": [i / 7 for i in range(5000)]}
    assert store.finish_run(run_id, big)
    done = store.get_run(run_id)
    assert done.status == "done" and done.result == big and done.progress == 1.0
    assert done.seed == 12345678901234567 and done.parameters == {"a": 1}
    assert done.finished_at >= done.started_at and done.label == "first"
    assert not store.finish_run(run_id, {"other": 1})  # a finished run stays as it is
    assert store.get_run(run_id).result == big


def test_a_cancelled_run_stays_interrupted(store):
    version = store.save_scenario(EU)
    run_id = store.create_run("forecast", scenario_hash=version.content_hash, model="mean",
                              params={}, seed=None, as_of=None, variant=None, status="queued",
                              owner="ann")
    assert store.get_run(run_id).status == "queued"
    assert store.start_run(run_id) and not store.start_run(run_id)
    assert store.mark_interrupted(run_id)
    assert not store.finish_run(run_id, {"a": 1}) and not store.set_progress(run_id, 0.9)
    assert not store.fail_run(run_id, "late")
    assert store.get_run(run_id).status == "interrupted"
    with pytest.raises(KeyError):
        store.mark_interrupted(run_id + 100)
    assert store.get_run(run_id + 100) is None


def test_runs_are_listed_newest_first_and_filtered(store):
    eu, syria = store.save_scenario(EU), store.save_scenario(SYRIA)
    ids = []
    for n in range(6):
        version = eu if n % 2 else syria
        ids.append(store.create_run("forecast" if n < 4 else "timeline",
                                    scenario_hash=version.content_hash, model="mean",
                                    params={}, seed=n, as_of=None, variant=None,
                                    owner="ann" if n < 3 else "bob"))
    store.fail_run(ids[0], "boom")
    assert [r.id for r in store.list_runs()] == ids[::-1]
    assert [r.id for r in store.list_runs(scenario="eu-emissions-1994")] == [ids[5], ids[3],
                                                                              ids[1]]
    assert [r.id for r in store.list_runs(scenario=eu.content_hash)] == [ids[5], ids[3], ids[1]]
    assert [r.id for r in store.list_runs(kind="timeline")] == [ids[5], ids[4]]
    assert [r.id for r in store.list_runs(status="failed")] == [ids[0]]
    assert [r.id for r in store.list_runs(owner="ann", limit=2, offset=1)] == [ids[1], ids[0]]
    assert store.count_runs(kind="forecast") == 4
    assert store.get_run(ids[0]).error == "boom"
    assert store.delete_run(ids[0]) and not store.delete_run(ids[0])
    with pytest.raises(ValueError, match="unknown run kind"):
        store.list_runs(kind="nonsense")


def test_users_tokens_and_sessions(store):
    import datetime as dt

    store.add_user("ann", "admin", "argon2-hash")
    store.add_user("bob", "viewer", None)
    with pytest.raises(ValueError, match="already"):
        store.add_user("ann", "viewer", None)
    with pytest.raises(ValueError, match="unknown role"):
        store.add_user("cid", "emperor", None)
    assert [(u.name, u.role) for u in store.list_users()] == [("ann", "admin"), ("bob", "viewer")]
    store.add_token("bob", "token-hash")
    assert store.user_for_token_hash("token-hash").name == "bob"
    assert store.user_for_token_hash("other") is None
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    store.add_session("s1", "bob", soon, {"csrf": "x"})
    store.add_session("s0", "bob", soon - dt.timedelta(hours=2))
    assert store.session("s1")[1] == {"csrf": "x"} and store.session("s0") is None
    store.set_user("bob", role="analyst")
    assert store.get_user("bob").role == "analyst"
    assert store.remove_user("bob") and store.get_user("bob") is None
    assert store.user_for_token_hash("token-hash") is None and store.session("s1") is None


def test_failed_sign_ins_are_counted_per_key_and_forgotten(store):
    import datetime as dt

    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    store.add_login_failure(("ip:1.2.3.4", "user:ann"), forget_before=long_ago)
    store.add_login_failure(("ip:1.2.3.4", "user:bob"), forget_before=long_ago)
    found = store.login_failures(("ip:1.2.3.4", "user:ann", "user:eve"), since=long_ago)
    assert sorted(found) == ["ip:1.2.3.4", "user:ann"] and len(found["ip:1.2.3.4"]) == 2
    assert found["ip:1.2.3.4"][0] <= found["ip:1.2.3.4"][1]
    assert store.login_failures(("user:ann",), since=dt.datetime.now(dt.UTC)) == {}
    store.clear_login_failures(("user:ann",))
    assert "user:ann" not in store.login_failures(("user:ann",), since=long_ago)
    # a new failure deletes every failure older than the window
    store.add_login_failure(("user:eve",), forget_before=dt.datetime.now(dt.UTC))
    assert sorted(store.login_failures(("ip:1.2.3.4", "user:bob", "user:eve"),
                                       since=long_ago)) == ["user:eve"]


# ---------------------------------------------------------------------- migrations
def test_the_migrations_build_exactly_the_models_schema(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from allegiance.store.tables import Base

    open_store(db_url).close()  # from an empty database
    engine = make_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == "0003"
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_upgrade_from_the_first_revision_keeps_the_data(db_url):
    engine = make_engine(db_url)
    upgrade(engine, "0001")
    document = {"outcome": {"x": 1.5}}
    data, encoding, digest = encode_result(document)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO scenario_versions (content_hash, scenario_id, title, kind, format, "
            "source_name, document, saved_at) VALUES ('sha256:ab', 'toy', 'Toy', 'scenario', "
            "'yaml', 'toy.yaml', 'id: toy', :now)"), {"now": "2026-01-01 00:00:00"})
        connection.execute(text(
            "INSERT INTO runs (kind, scenario_hash, scenario_id, model, params, options, seed, "
            "allegiance_version, status, created_at, result, result_encoding, result_sha256) "
            "VALUES ('forecast', 'sha256:ab', 'toy', 'mean', '{}', '{}', '7', '0.1.0', 'done', "
            ":now, :result, :encoding, :digest)"),
            {"now": "2026-01-01 00:00:00", "result": data, "encoding": encoding,
             "digest": digest})
    engine.dispose()
    store = open_store(db_url)  # upgrades on first use
    record = store.get_run(1)
    assert record.result == document and record.seed == 7 and record.progress == 1.0
    assert record.owner is None and store.get_scenario_version("sha256:ab").title == "Toy"
    store.add_user("ann", "admin", None)  # the new tables exist
    assert cli("db", "current", "--db", db_url).stdout.strip().endswith(
        "schema revision 0003 (up to date)")
    store.close()


# ---------------------------------------------------------------------- the command line
def test_save_adds_the_run_id_and_show_prints_the_stored_result(db_url, tmp_path):
    result = cli("forecast", "eu-emissions-1994", "-m", "bdm", "--save", "--db", db_url,
                 "-f", "json")
    document = json.loads(result.stdout)
    run_id = document.pop("run_id")
    plain = json.loads(cli("forecast", "eu-emissions-1994", "-m", "bdm", "-f", "json").stdout)
    assert document == plain
    shown = cli("runs", "show", str(run_id), "--db", db_url, "-f", "json").stdout
    assert json.loads(shown) == plain
    table = cli("forecast", "eu-emissions-1994", "-m", "bdm", "--save", "--db", db_url).stdout
    assert table.rstrip().endswith(f"saved as run {run_id + 1}")
    shown_table = cli("runs", "show", str(run_id + 1), "--db", db_url).stdout
    assert shown_table.split("\n", 1)[1] == table.rsplit("saved as run", 1)[0]
    listed = json.loads(cli("runs", "list", "--db", db_url, "-f", "json").stdout)
    assert [r["id"] for r in listed] == [run_id + 1, run_id]
    assert listed[0]["scenario_hash"] == plain["scenario"]["content_hash"]
    out = tmp_path / "export.json"
    cli("runs", "export", str(run_id), "-o", str(out), "--db", db_url)
    exported = json.loads(out.read_text())
    assert exported["scenario"]["document"] == EU and exported["result"] == plain
    assert exported["run"]["model"] == "bdm"
    assert cli("runs", "delete", str(run_id), "--db", db_url).exit_code == 0
    missing = cli("runs", "show", str(run_id), "--db", db_url, ok=False)
    assert missing.exit_code == 2 and f"no run {run_id}" in missing.output


STOCHASTIC_SEED = ["--seed", "5"]


@pytest.mark.parametrize("model", available_models())
def test_rerun_is_identical_for_every_model(db_url, model):
    seed = STOCHASTIC_SEED if get_model_class(model).stochastic else []
    saved = json.loads(cli("forecast", "syria-2014", "-m", model, *seed, "--save", "--db",
                           db_url, "-f", "json").stdout)
    result = cli("runs", "rerun", str(saved["run_id"]), "--db", db_url)
    assert result.stdout.strip() == "identical"


KIND_COMMANDS = {
    "montecarlo": ["montecarlo", "syria-2014", "-m", "bdm", "--runs", "300", "--seed", "3",
                   "--coalition", "x=assad,russia", "--no-progress"],
    "sensitivity": ["sensitivity", "eu-emissions-1994", "-m", "median", "--runs", "300",
                    "--seed", "3", "--no-progress"],
    "timeline": ["timeline", "syria-2014", "-m", "mean", "--runs", "50", "--seed", "1"],
    "coalitions": ["coalitions", "syria-2014", "-m", "bdm", "--as-of", "2014-06-01"],
    "power": ["power", "syria-2014", "--quota", "two-thirds", "--as-of", "2014-06-01"],
    "levers": ["levers", "syria-2014", "--budget", "2", "--seed", "4"],
}


@pytest.mark.parametrize("kind", sorted(KIND_COMMANDS) + ["backtest"])
def test_rerun_is_identical_for_every_kind_and_detects_a_changed_result(db_url, kind,
                                                                       tmp_path):
    if kind == "backtest":
        from test_backtest import TINY_TSV

        data = tmp_path / "tiny.tsv"
        data.write_text(TINY_TSV)
        cli("backtest", str(data), "-m", "median", "--capability", "all", "--bootstrap", "200",
            "-o", str(tmp_path / "out"), "--save", "--db", db_url)
        run_id = open_store(db_url).list_runs(limit=1)[0].id
    else:
        saved = json.loads(cli(*KIND_COMMANDS[kind], "--save", "--db", db_url, "-f",
                               "json").stdout)
        run_id = saved.pop("run_id")
        plain = json.loads(cli(*KIND_COMMANDS[kind], "-f", "json").stdout)
        assert saved == plain
    assert cli("runs", "rerun", str(run_id), "--db", db_url).stdout.strip() == "identical"
    shown = cli("runs", "show", str(run_id), "--db", db_url).stdout
    assert shown.startswith(f"run {run_id}: {kind} of ")

    # change one stored number (keeping the checksum right) and the version that stored it
    store = open_store(db_url)
    document = store.get_run(run_id).result
    path = _tamper(document)
    data, encoding, digest = encode_result(document)
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE runs SET result = :r, result_encoding = :e, "
                                "result_sha256 = :d, allegiance_version = '0.0.1' "
                                "WHERE id = :i"),
                           {"r": data, "e": encoding, "d": digest, "i": run_id})
    engine.dispose()
    store.close()
    result = cli("runs", "rerun", str(run_id), "--db", db_url, ok=False)
    assert result.exit_code == 1, result.output
    assert path in result.stdout and "stored 1234.5" in result.stdout
    assert "likely cause: the run was stored by Allegiance 0.0.1" in result.stdout


def _tamper(document, path=""):
    """Set the first float found (depth first) to 1234.5; its path as rerun names it."""
    items = document.items() if isinstance(document, dict) else enumerate(document)
    for key, value in items:
        where = (f"{path}.{key}" if path else str(key)) if isinstance(document, dict) \
            else f"{path}[{key}]"
        if isinstance(value, float):
            document[key] = 1234.5
            return where
        if isinstance(value, dict | list) and key not in ("allegiance_version", "executor"):
            found = _tamper(value, where)
            if found:
                return found
    return None


def test_diff_names_the_changed_estimates_inputs_and_outcomes(db_url, tmp_path):
    edited = tmp_path / "eu.yaml"
    edited.write_text(EU.replace("salience: {value: 0.9, sources: [bdm-1994, scholz-2011]}",
                                 "salience: {value: 0.3, sources: [bdm-1994, scholz-2011]}"))
    a = json.loads(cli("forecast", "eu-emissions-1994", "-m", "bdm", "--save", "--db", db_url,
                       "-f", "json").stdout)["run_id"]
    b = json.loads(cli("forecast", str(edited), "-m", "bdm", "-p", "rounds=3", "--save",
                       "--db", db_url, "-f", "json").stdout)["run_id"]
    out = cli("runs", "diff", str(a), str(b), "--db", db_url).stdout
    assert "uk / emission-standards-date salience: 0.9 → 0.3" in out
    assert "params.rounds: (absent) → 3" in out
    assert "outcome emission-standards-date:" in out
    same = cli("runs", "diff", str(a), str(a), "--db", db_url).stdout
    assert "same scenario version" in same and "the same" in same


# ---------------------------------------------------------------------- reliability
LONG_RUN = ["montecarlo", "syria-2014", "-m", "bdm", "--runs", "100000000", "--seed", "1",
            "--chunk-size", "256", "--no-progress", "--save"]


def _start_long_run(db_url: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-m", "allegiance.cli", *LONG_RUN, "--db", db_url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    store = open_store(db_url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = store.list_runs(status="running")
        if runs and (runs[0].progress or 0) > 0:  # computing, and has written its progress
            store.close()
            return proc, runs[0].id
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the run did not start")


def test_sigkill_mid_run_leaves_a_consistent_store_and_the_run_interrupted(db_url):
    before = json.loads(cli("forecast", "syria-2014", "--save", "--db", db_url, "-f",
                            "json").stdout)["run_id"]
    proc, run_id = _start_long_run(db_url)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    store = open_store(db_url)
    record = store.get_run(run_id)
    assert record.status == "interrupted" and record.result is None
    assert store.get_run(before).status == "done" and store.get_run(before).result
    if db_url.startswith("sqlite"):
        path = db_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    listed = cli("runs", "list", "--db", db_url, "-f", "json").stdout
    assert json.loads(listed)[0]["status"] == "interrupted"
    store.close()


def test_ctrl_c_marks_the_run_interrupted_and_exits_130_with_one_line(db_url):
    proc, run_id = _start_long_run(db_url)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr.strip().splitlines() == [
        f"allegiance: interrupted; run {run_id} marked interrupted"]
    assert open_store(db_url).get_run(run_id).status == "interrupted"


WRITER = """
import sys
from allegiance.store import open_store
store = open_store(sys.argv[1])
document = open(sys.argv[2], encoding="utf-8").read()
for n in range(int(sys.argv[3])):
    version = store.save_scenario(document, saved_by=sys.argv[4])
    run_id = store.create_run("forecast", scenario_hash=version.content_hash, model="mean",
                              params={}, seed=n, as_of=None, variant=None, owner=sys.argv[4])
    store.set_progress(run_id, 0.5)
    store.finish_run(run_id, {"n": n, "writer": sys.argv[4]})
    store.list_runs(limit=5)
print("ok")
"""


def test_concurrent_writers_do_not_fail(db_url):
    open_store(db_url).close()  # schema in place (processes racing to create it is tested below)
    scenario = builtin_scenarios()["eu-emissions-1994"]
    writers = [python(WRITER, db_url, str(scenario), "25", f"w{i}") for i in range(4)]
    writers.append(subprocess.Popen(
        [sys.executable, "-m", "allegiance.cli", "forecast", "syria-2014", "--save", "--db",
         db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for proc in writers:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    store = open_store(db_url)
    assert store.count_runs(status="done") == 101
    assert {r.owner for r in store.list_runs(limit=200)} == {"w0", "w1", "w2", "w3", None}
    assert len(store.scenario_versions("eu-emissions-1994")) == 1


def test_processes_starting_together_create_the_schema_once(db_url):
    code = "import sys\nfrom allegiance.store import open_store\nopen_store(sys.argv[1])\n"
    procs = [python(code, db_url) for _ in range(3)]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.communicate()[1]
    assert cli("db", "current", "--db", db_url).stdout.strip().endswith("(up to date)")


# ---------------------------------------------------------------------- bad databases
def test_a_corrupt_or_foreign_database_is_a_clear_error(tmp_path, db_url):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="garbage.db.*corrupt or not an SQLite database"):
        open_store(str(garbage))
    result = cli("runs", "list", "--db", f"sqlite:///{garbage}", ok=False)
    assert result.exit_code == 2 and "garbage.db" in result.output
    assert "Traceback" not in result.output

    foreign = create_engine(db_url)
    with foreign.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    foreign.dispose()
    with pytest.raises(StoreError, match="not an Allegiance results store.*invoices"):
        open_store(db_url)


def test_a_damaged_result_is_a_clear_error(store, db_url):
    version = store.save_scenario(EU)
    run_id = store.create_run("forecast", scenario_hash=version.content_hash, model="mean",
                              params={}, seed=None, as_of=None, variant=None)
    store.finish_run(run_id, {"values": list(range(3000))})
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE runs SET result = :r WHERE id = :i"),
                           {"r": zlib.compress(b'{"values": [1]}'), "i": run_id})
    engine.dispose()
    with pytest.raises(ValueError, match=f"run {run_id}: the stored result does not match"):
        store.get_run(run_id)
    result = cli("runs", "show", str(run_id), "--db", db_url, ok=False)
    assert result.exit_code == 2 and "does not match its checksum" in result.output


def test_a_newer_schema_is_refused(db_url):
    open_store(db_url).close()
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StoreError, match="revision 0099.*upgrade Allegiance"):
        open_store(db_url)


def test_forecast_without_save_does_not_load_sqlalchemy():
    code = ("import sys, runpy\nsys.argv = ['allegiance', 'forecast', 'eu-emissions-1994', "
            "'-f', 'json']\ntry:\n    runpy.run_module('allegiance.cli', run_name='__main__')\n"
            "except SystemExit:\n    pass\nprint('sqlalchemy' in sys.modules, file=sys.stderr)\n")
    proc = python(code)
    stdout, stderr = proc.communicate(timeout=120)
    assert json.loads(stdout)["model"]["name"] == "mean"
    assert stderr.strip().splitlines()[-1] == "False"


def test_the_default_database_is_a_file_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ALLEGIANCE_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = cli("forecast", "eu-emissions-1994", "--save")
    assert "saved as run 1" in result.stdout
    assert (tmp_path / "data" / "allegiance" / "allegiance.db").is_file()
    monkeypatch.setenv("ALLEGIANCE_DATABASE_URL", str(tmp_path / "other.db"))
    cli("forecast", "eu-emissions-1994", "--save")
    assert Path(tmp_path / "other.db").is_file()
