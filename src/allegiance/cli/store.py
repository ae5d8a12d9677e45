"""The ``allegiance runs`` and ``allegiance db`` commands (registered by
:mod:`allegiance.cli` through ``LAYER_COMMANDS``)::

    allegiance runs list [--scenario ID] [--kind K] [--status S] [--format table|json]
    allegiance runs show ID [--format table|json]
    allegiance runs export ID -o FILE
    allegiance runs rerun ID        # "identical" and exit 0, or the differences and exit 1
    allegiance runs diff A B
    allegiance runs delete ID
    allegiance db upgrade | current

Every command takes ``--db URL`` (default: ``ALLEGIANCE_DATABASE_URL``, else an SQLite file in
the user's data folder).
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Annotated, Any

import typer

from allegiance.cli.common import (
    OutputFormat,
    TableOrJsonOpt,
    console,
    err_console,
    fail,
    write_output,
)
from allegiance.cli.recording import DbOpt, open_cli_store
from allegiance.store.schema import StoreError

runs_app = typer.Typer(name="runs", help="The stored runs: list, show, export, rerun, diff, "
                       "delete.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(name="db", help="The results store's schema: upgrade, current.",
                     no_args_is_help=True, add_completion=False)

RunArg = Annotated[int, typer.Argument(help="Run id (see `allegiance runs list`).",
                                       show_default=False)]
EXIT_DIFFERENT = 1


def _clear_errors(command):
    """A store that fails mid-command is a one-line error (exit 2), never a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except StoreError as exc:
            fail(str(exc))

    return wrapper


def _record(store, run_id: int, result: bool = True):
    try:
        record = store.get_run(run_id, result=result)
    except ValueError as exc:  # a damaged result
        fail(str(exc))
    if record is None:
        fail(f"no run {run_id} in {store.where} (see `allegiance runs list`)")
    return record


def _table_format(output_format: OutputFormat) -> None:
    if output_format is OutputFormat.csv:
        fail("this command writes a table or JSON (--format table|json)")


def _when(value) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


@runs_app.command("list")
@_clear_errors
def list_command(
    scenario: Annotated[str | None, typer.Option(
        "--scenario", help="Only runs of this scenario id (or content hash).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only runs of this kind.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Only runs in this status.")
                      ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many (newest).",
                                       min=1)] = 100,
    offset: Annotated[int, typer.Option("--offset", help="Skip the newest N.", min=0)] = 0,
    output_format: TableOrJsonOpt = OutputFormat.table,
    db: DbOpt = None,
) -> None:
    """The stored runs, newest first."""
    _table_format(output_format)
    store = open_cli_store(db)
    try:
        records = store.list_runs(scenario=scenario, kind=kind, status=status, limit=limit,
                                  offset=offset)
    except ValueError as exc:
        fail(str(exc))
    if output_format is OutputFormat.json:
        write_output(json.dumps([r.to_dict(result=False) for r in records], indent=2,
                                ensure_ascii=False), None)
        return
    from allegiance.cli.common import new_table

    table = new_table(title=f"runs in {store.where}", title_justify="left")
    for column in ("id", "kind", "scenario", "content hash", "model", "seed", "status",
                   "started (UTC)", "finished (UTC)", "label"):
        table.add_column(column, justify="right" if column == "id" else "left", no_wrap=True)
    for r in records:
        table.add_row(str(r.id), r.kind, r.scenario_id, r.scenario_hash[7:19], r.model,
                      "" if r.seed is None else str(r.seed), r.status, _when(r.started_at),
                      _when(r.finished_at), r.label or "")
    console.print(table)
    if not records:
        console.print("no runs stored" + (" that match" if scenario or kind or status else ""))


@runs_app.command("show")
@_clear_errors
def show_command(run_id: RunArg, output_format: TableOrJsonOpt = OutputFormat.table,
                 db: DbOpt = None) -> None:
    """Print a stored run's result as the command that computed it would."""
    _table_format(output_format)
    store = open_cli_store(db)
    record = _record(store, run_id)
    if output_format is OutputFormat.json:
        if record.result is None:
            fail(f"run {run_id} is {record.status}: it has no result"
                 + (f" ({record.error})" if record.error else ""))
        write_output(json.dumps(record.result, indent=2, ensure_ascii=False), None)
        return
    console.print(f"run {record.id}: {record.kind} of {record.scenario_id} "
                  f"({record.scenario_hash[:19]}), {record.status}"
                  + (f", label {record.label}" if record.label else ""))
    if record.result is None:
        if record.error:
            console.print(f"error: {record.error}")
        return
    from allegiance.cli.render.stored import render_stored

    render_stored(store, record)


@runs_app.command("export")
@_clear_errors
def export_command(
    run_id: RunArg,
    output: Annotated[str, typer.Option("--output", "-o", help="The JSON file to write.")],
    db: DbOpt = None,
) -> None:
    """Write a run's scenario document, parameters and result to one JSON file."""
    from allegiance.io.filesystem import write_atomic

    store = open_cli_store(db)
    record = _record(store, run_id)
    version = store.get_scenario_version(record.scenario_hash)
    data: dict[str, Any] = {
        "run": record.to_dict(result=False),
        "scenario": None if version is None else version.to_dict(),
        "result": record.result,
    }
    write_atomic(output, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    err_console.print(f"wrote {output}")


@runs_app.command("rerun")
@_clear_errors
def rerun_command(run_id: RunArg, db: DbOpt = None) -> None:
    """Recompute a run from its stored inputs and seed: "identical" (exit 0), or the first
    values that differ (exit 1)."""
    from allegiance.cli.common import user_errors
    from allegiance.report.stored import rerun_report
    from allegiance.store.compare import rerun

    store = open_cli_store(db)
    _record(store, run_id, result=False)
    with user_errors():  # a written briefing is recomputed and rendered by the report layer
        report = rerun(store, run_id, by_kind={"report": rerun_report})
    for line in report.lines():
        console.print(line)
    if not report.identical:
        raise typer.Exit(EXIT_DIFFERENT)


@runs_app.command("diff")
@_clear_errors
def diff_command(first: RunArg, second: RunArg, db: DbOpt = None) -> None:
    """What differs between two runs: scenario estimates, inputs, outcomes."""
    from allegiance.store.compare import diff_runs

    store = open_cli_store(db)
    for run_id in (first, second):
        _record(store, run_id, result=False)
    for section, lines in diff_runs(store, first, second):
        console.print(f"[bold]{section}[/]")
        for line in lines:
            console.print(f"  {line}", markup=False)


@runs_app.command("delete")
@_clear_errors
def delete_command(run_id: RunArg, db: DbOpt = None) -> None:
    """Delete a stored run."""
    store = open_cli_store(db)
    if not store.delete_run(run_id):
        fail(f"no run {run_id} in {store.where}")
    console.print(f"deleted run {run_id}")


@db_app.command("upgrade")
@_clear_errors
def upgrade_command(db: DbOpt = None) -> None:
    """Create the results store or upgrade its schema to this version's."""
    from allegiance.store.database import Database, current_revision, ensure_schema
    from allegiance.store.schema import StoreError

    try:
        database = Database(db)
        before = current_revision(database)
        ensure_schema(database)
        after = current_revision(database)
    except StoreError as exc:
        fail(str(exc))
    console.print(f"{database.where}: schema revision {before or '(empty)'} → {after}"
                  if before != after else f"{database.where}: schema revision {after} "
                  "(up to date)")


@db_app.command("current")
@_clear_errors
def current_command(db: DbOpt = None) -> None:
    """Print the results store's schema revision."""
    from allegiance.store.database import Database, current_revision
    from allegiance.store.schema import HEAD_REVISION, KNOWN_REVISIONS, StoreError

    try:
        database = Database(db)
        revision = current_revision(database)
    except StoreError as exc:
        fail(str(exc))
    if revision == HEAD_REVISION:
        state = "up to date"
    elif revision is not None and revision not in KNOWN_REVISIONS:
        state = f"newer than this Allegiance's {HEAD_REVISION}: upgrade Allegiance"
    else:
        state = f"this Allegiance's is {HEAD_REVISION}: run `allegiance db upgrade`"
    console.print(f"{database.where}: schema revision {revision or '(empty)'} ({state})")
    sys.stdout.flush()


__all__ = ["db_app", "runs_app"]
