"""The ``montecarlo``, ``sensitivity`` and ``timeline`` commands.

Registered by :mod:`allegiance.cli` (``LAYER_COMMANDS``)::

    allegiance montecarlo syria-2014 --model bdm --runs 20000 --seed 1 --until-se 0.005
    allegiance montecarlo eu-emissions-1994 --model bdm --runs 100000 --executor dask --workers 2
    allegiance sensitivity syria-2014 --model bdm --runs 4000 --top 8
    allegiance timeline syria-2014 --model bdm --runs 2000

Progress goes to standard error (a Rich bar with the time left); tables or JSON to standard output.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from allegiance.cli.common import (
    AsOfOpt,
    FormatOpt,
    InputFormatOpt,
    OutputFormat,
    OutputOpt,
    ParamOpt,
    ProgressOpt,
    ScenarioArg,
    VariantOpt,
    csv_text,
    err_console,
    fail,
    load,
    parse_params,
    table_output,
    user_errors,
    write_output,
)
from allegiance.cli.recording import (
    DbOpt,
    LabelOpt,
    SaveOpt,
    print_run_id,
    recording,
    with_run_id,
)
from allegiance.cli.render.uncertainty import render_montecarlo, render_sensitivity, render_timeline
from allegiance.uncertainty.executors import EXECUTORS
from allegiance.uncertainty.tidy import montecarlo_rows, sensitivity_rows, timeline_rows
from allegiance.uncertainty.timeline import parse_date

ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Model name (see `models`).")]
RunsOpt = Annotated[int, typer.Option("--runs", "-n", help="Monte Carlo draws (the ceiling with "
                                      "--until-se).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed (default: the scenario's, else "
                                             "drawn once and printed).")]
WidthOpt = Annotated[list[str] | None, typer.Option(
    "--grade-width", help="Override the grade-to-width table: A..F, 1..6, unsourced or "
    "capability_factor = half-width fraction (repeatable), e.g. --grade-width unsourced=0.4.")]
ExecutorOpt = Annotated[str, typer.Option("--executor", help=f"One of: {', '.join(EXECUTORS)}.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", help="Worker processes (processes) or LocalCluster workers (dask).")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 (with --executor dask).")]
QuotaOpt = Annotated[str, typer.Option(
    "--quota", help="Quota rule a coalition must meet on every issue: simple (> 50%), "
    "two-thirds, 0.6, 60%, >3/5 ...")]
CoalitionOpt = Annotated[list[str] | None, typer.Option(
    "--coalition", help="Extra coalition as a,b,c or NAME=a,b,c (repeatable).")]


def _widths(items: list[str] | None) -> dict[str, Any] | None:
    if not items:
        return None
    return parse_params(items)


def _coalitions(items: list[str] | None) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in items or []:
        name, _, members = item.rpartition("=")
        members_list = [m.strip() for m in members.split(",") if m.strip()]
        if not members_list:
            fail(f"--coalition needs actor ids, e.g. a,b,c; got {item!r}")
        found[name.strip() or "+".join(members_list)] = members_list
    return found


@contextmanager
def _progress(enabled: bool, label: str):
    """A Rich progress bar with the time left, on standard error; yields a callback."""
    if not enabled:
        yield None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("draws"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=err_console.rich, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def montecarlo_command(
    scenario: ScenarioArg = None,
    model: ModelOpt = "mean",
    runs: RunsOpt = 5000,
    seed: SeedOpt = None,
    until_se: Annotated[float | None, typer.Option(
        "--until-se", help="Stop once every headline standard error is at most this (issue "
        "means as a fraction of the scale, probabilities as fractions).")] = None,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Draws per model call.")
                          ] = 1024,
    param: ParamOpt = None,
    grade_width: WidthOpt = None,
    quota: QuotaOpt = "simple",
    coalition: CoalitionOpt = None,
    as_of: AsOfOpt = None,
    variant: VariantOpt = None,
    output_format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    input_format: InputFormatOpt = None,
    progress: ProgressOpt = True,
    save: SaveOpt = False,
    db: DbOpt = None,
    label: LabelOpt = None,
) -> None:
    """Monte Carlo over the scenario's judgements: outcome distributions, coalition odds."""
    from allegiance.service import compute_montecarlo

    loaded = load(scenario, input_format=input_format, as_of=as_of, variant=variant)
    params = parse_params(param)
    options = {"runs": runs, "until_se": until_se, "chunk_size": chunk_size,
               "grade_widths": _widths(grade_width), "quota": quota,
               "coalitions": _coalitions(coalition), "executor": executor, "workers": workers,
               "scheduler": scheduler}
    with recording("montecarlo", save=save, db=db, source=scenario, input_format=input_format,
                   model=model, params=params, options=options, seed=seed, as_of=as_of,
                   variant=variant, label=label) as run, user_errors(), \
            _progress(progress, "montecarlo") as update:
        analysis = compute_montecarlo(loaded, model=model, params=params, options=options,
                                      seed=seed, progress=run.progress(update))
        run_id = run.finish(analysis.document())
    _write(analysis, run_id, output_format, output, render_montecarlo, montecarlo_rows)


def sensitivity_command(
    scenario: ScenarioArg = None,
    model: ModelOpt = "mean",
    runs: RunsOpt = 2000,
    seed: SeedOpt = None,
    top: Annotated[int, typer.Option("--top", help="Drivers shown per issue.")] = 8,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    param: ParamOpt = None,
    grade_width: WidthOpt = None,
    quota: QuotaOpt = "simple",
    as_of: AsOfOpt = None,
    variant: VariantOpt = None,
    output_format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    input_format: InputFormatOpt = None,
    progress: ProgressOpt = True,
    save: SaveOpt = False,
    db: DbOpt = None,
    label: LabelOpt = None,
) -> None:
    """Which judgements move each issue's forecast most (tornado and Sobol indices)."""
    from allegiance.service import compute_sensitivity

    if top < 1:
        fail("--top must be >= 1")
    loaded = load(scenario, input_format=input_format, as_of=as_of, variant=variant)
    params = parse_params(param)
    options = {"runs": runs, "top": top, "grade_widths": _widths(grade_width), "quota": quota,
               "executor": executor, "workers": workers, "scheduler": scheduler}
    with recording("sensitivity", save=save, db=db, source=scenario, input_format=input_format,
                   model=model, params=params, options=options, seed=seed, as_of=as_of,
                   variant=variant, label=label) as run, user_errors(), \
            _progress(progress, "sensitivity") as update:
        analysis = compute_sensitivity(loaded, model=model, params=params, options=options,
                                       seed=seed, progress=run.progress(update))
        run_id = run.finish(analysis.document())
    _write(analysis, run_id, output_format, output, lambda result: render_sensitivity(result, top),
           sensitivity_rows)


def timeline_command(
    scenario: ScenarioArg = None,
    model: ModelOpt = "mean",
    dates: Annotated[str | None, typer.Option(
        "--dates", help="Extra dates d1,d2 (YYYY-MM-DD) besides the history dates.")] = None,
    runs: Annotated[int, typer.Option("--runs", "-n", help="Monte Carlo draws per date "
                                      "(0: point forecasts only).")] = 0,
    seed: SeedOpt = None,
    top: Annotated[int, typer.Option("--top", help="Drivers shown per move.")] = 6,
    param: ParamOpt = None,
    quota: QuotaOpt = "simple",
    coalition: CoalitionOpt = None,
    variant: VariantOpt = None,
    output_format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    input_format: InputFormatOpt = None,
    save: SaveOpt = False,
    db: DbOpt = None,
    label: LabelOpt = None,
) -> None:
    """How the forecast and coalition verdicts moved between the dated states, and why."""
    from allegiance.service import compute_timeline

    loaded = load(scenario, input_format=input_format, variant=variant)
    params = parse_params(param)
    with user_errors():
        extra = [parse_date(d).isoformat() for d in dates.split(",") if d.strip()] if dates else []
    options = {"dates": extra, "runs": runs, "top": top, "quota": quota,
               "coalitions": _coalitions(coalition)}
    with recording("timeline", save=save, db=db, source=scenario, input_format=input_format,
                   model=model, params=params, options=options, seed=seed, as_of=None,
                   variant=variant, label=label) as run, user_errors():
        analysis = compute_timeline(loaded, model=model, params=params, options=options,
                                    seed=seed)
        run_id = run.finish(analysis.document())
    _write(analysis, run_id, output_format, output, lambda result: render_timeline(result, top),
           timeline_rows)


def _write(analysis, run_id: int | None, output_format: OutputFormat, output: str | None,
           render, rows) -> None:
    """JSON (with the run id when stored), CSV, or the command's tables."""
    if output_format is OutputFormat.json:
        write_output(json.dumps(with_run_id(analysis.document(), run_id), indent=2,
                                ensure_ascii=False), output)
    elif output_format is OutputFormat.csv:
        write_output(csv_text(*rows(analysis.document())), output)
    else:
        with table_output(output):
            render(analysis.value)
            print_run_id(run_id)
