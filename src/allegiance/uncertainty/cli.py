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
from rich.table import Table

from allegiance.cli_common import (
    OutputFormat,
    OutputOpt,
    console,
    csv_text,
    err_console,
    fail,
    load,
    parse_params,
    styled,
    table_output,
    user_errors,
    write_output,
)
from allegiance.store.recording import (
    DbOpt,
    LabelOpt,
    SaveOpt,
    print_run_id,
    recording,
    with_run_id,
)
from allegiance.uncertainty.executors import EXECUTORS
from allegiance.uncertainty.montecarlo import MonteCarloResult
from allegiance.uncertainty.sensitivity import SensitivityResult
from allegiance.uncertainty.tidy import montecarlo_rows, sensitivity_rows, timeline_rows
from allegiance.uncertainty.timeline import TimelineResult, parse_date

ScenarioArg = Annotated[
    str | None,
    typer.Argument(help="Built-in scenario name, YAML file or peer file (default: syria-2014).",
                   show_default=False),
]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Model name (see `models`).")]
RunsOpt = Annotated[int, typer.Option("--runs", "-n", help="Monte Carlo draws (the ceiling with "
                                      "--until-se).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed (default: the scenario's, else "
                                             "drawn once and printed).")]
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="Model parameter NAME=VALUE (repeatable).")]
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
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this date.")]
VariantOpt = Annotated[str | None, typer.Option("--variant", help="Apply a what-if variant.")]
InputFormatOpt = Annotated[str | None, typer.Option("--input-format", help="Input file format.")]

SPARK = " ▁▂▃▄▅▆▇█"


# ---------------------------------------------------------------------- helpers
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


def _spark(counts: list[int]) -> str:
    top = max(counts) or 1
    return "".join(SPARK[int(round(c / top * (len(SPARK) - 1)))] for c in counts)


def _f(value: float, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _signed(value: float, digits: int = 1) -> str:
    """A signed change; "·" when it rounds to zero."""
    text = f"{value:+.{digits}f}"
    return "·" if float(text) == 0 else text


def _pct(p: float, se: float | None = None) -> str:
    small = 0 < p < 0.01
    text = f"{100 * p:.2g}%" if small else f"{100 * p:.1f}%"
    if se is None:
        return text
    return text + (f" ±{100 * se:.2g}" if small else f" ±{100 * se:.1f}")


def _prob(p: float, se: float, n: int) -> str:
    """A probability with its standard error; at 0 or 1 the rule-of-three 95% bound instead."""
    if n and p == 0:
        return f"0% (≤{100 * 3 / n:.2g}%)"
    if n and p == 1:
        return f"100% (≥{100 - 100 * 3 / n:.4g}%)"
    return _pct(p, se)


def _json(kind: str, document: dict[str, Any], scenario) -> str:
    """The JSON output: the document with its summary sentences first."""
    from allegiance.summary import with_summary

    return json.dumps(with_summary(kind, document, scenario), indent=2, ensure_ascii=False)


def _summary(kind: str, document: dict[str, Any], scenario) -> None:
    """The summary sentences at the top of a table output (a stored document's own, or made
    from the numbers)."""
    from allegiance.summary import summarize
    from allegiance.summary.render import print_summary

    lines = document.get("summary") or summarize(kind, document, scenario)
    print_summary(lines, console)


def _header(provenance: dict[str, Any]) -> None:
    s = provenance["scenario"]
    stamp = [f"as of {s['as_of']}"] if s.get("as_of") else []
    if s.get("variant"):
        stamp.append(f"variant {s['variant']}")
    console.print(styled((s["title"], "bold"), (f" ({', '.join(stamp)})" if stamp else "")
                         + f"  {s['content_hash'][:19]}"))
    params = ", ".join(f"{k}={v}" for k, v in provenance["model"]["parameters"].items())
    console.print(styled("model ", (provenance["model"]["name"], "bold"),
                         f" ({params}); seed {provenance['seed']}; allegiance "
                         f"{provenance['allegiance_version']}"))


# ---------------------------------------------------------------------- montecarlo
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
    progress: Annotated[bool, typer.Option("--progress/--no-progress",
                                           help="Show a progress bar.")] = True,
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


def render_montecarlo(result: MonteCarloResult) -> None:
    _summary("montecarlo", result.to_dict(), result.scenario)
    provenance = result.provenance()
    _header(provenance)
    stop = ""
    if result.until_se is not None:
        reached = result.runs < result.requested_runs or max(
            result.headline_se().values(), default=0.0) <= result.until_se
        stop = (f"; --until-se {result.until_se:g} "
                + ("reached" if reached else "NOT reached within --runs"))
    console.print(f"{result.runs} draws (chunks of {result.chunk_size}, executor "
                  f"{result.executor.get('name')} × {result.executor.get('workers')}){stop}")
    wide = console.width >= 110  # narrower: no quartiles, no histogram
    issues = Table(title="outcome per issue (forecast of each draw)", title_justify="left")
    levels = ("0.05", "0.25", "0.5", "0.75", "0.95") if wide else ("0.05", "0.5", "0.95")
    names = {"0.05": "5%", "0.25": "25%", "0.5": "median", "0.75": "75%", "0.95": "95%"}
    for column in ("issue", "at values", "mean ± se", *(names[q] for q in levels),
                   *(("histogram",) if wide else ()), "model 80%"):
        issues.add_column(column, justify="left" if column[0] in "ih" else "right",
                          no_wrap=column in ("issue", "histogram"))
    for issue, s in result.issue_summary().items():
        q = s["quantiles"]
        low, high = s["scale"]
        issues.add_row(issue, _f(s["baseline"]), f"{_f(s['mean'], 2)} ± {s['se']:.2g}",
                       *(_f(q[k]) for k in levels),
                       *((f"{low:g} {_spark(s['histogram']['counts'])} {high:g}",) if wide
                         else ()),
                       "—" if not s.get("model_interval") else
                       "{:.0f}–{:.0f}".format(*s["model_interval"]["80"]))
    console.print(issues)
    console.print("[dim]5%–95%: spread of the forecast over the draws (how unsure the inputs "
                  "are); model 80%: the model's calibrated interval around the forecast at the "
                  "values (how far its forecasts have been from real outcomes) — two different "
                  "uncertainties, not to be added.[/]")
    actors = Table(title="final positions per actor: median [5%–95%]", title_justify="left")
    actors.add_column("actor")
    for issue in result.scenario.issue_ids:
        actors.add_column(issue, justify="right")
    for actor, stances in result.actor_summary().items():
        row = [actor]
        for issue in result.scenario.issue_ids:
            s = stances.get(issue)
            row.append("—" if s is None else f"{_f(s['quantiles']['0.5'])} "
                       f"[{_f(s['quantiles']['0.05'])}–{_f(s['quantiles']['0.95'])}]")
        actors.add_row(*row)
    console.print(actors)
    if result.coalitions:
        table = Table(title=f"coalitions: P(winning) under {result.quota.description} on every "
                      "issue; P(member gains by joining)", title_justify="left")
        for column in ("coalition", "share", "P(winning)", "members: P(gains)"):
            table.add_column(column)
        for name, s in result.coalition_summary().items():
            gains = ", ".join(f"{m} {_pct(p)}" for m, p in s["p_gains"].items())
            table.add_row(name, f"{100 * s['share_mean']:.1f}%",
                          _prob(s["p_winning"], s["se_winning"], result.runs), gains)
        console.print(table)
    figures = result.headline_se()
    if figures:
        worst = max(figures, key=figures.get)
        console.print(f"largest headline standard error: {figures[worst]:.4f} ({worst}; issue "
                      "means as a fraction of the scale)")


# ---------------------------------------------------------------------- sensitivity
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
    progress: Annotated[bool, typer.Option("--progress/--no-progress",
                                           help="Show a progress bar.")] = True,
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


def render_sensitivity(result: SensitivityResult, top: int) -> None:
    _summary("sensitivity", result.to_dict(top), result.tornado.scenario)
    _header(result.montecarlo.provenance())
    console.print(f"one at a time: each estimate to its low and high end; Sobol S1 from "
                  f"{result.montecarlo.runs} draws ({result.bins} bins)")
    for k, issue in enumerate(result.tornado.scenario.issues):
        table = Table(title=f"{issue.name} ({issue.id}): forecast "
                      f"{result.tornado.baseline[k]:.1f}; top drivers", title_justify="left")
        for column in ("estimate", "value [low–high]", "range from", "outcome at low",
                       "at high", "impact", "Sobol S1"):
            table.add_column(column, justify="left" if column == "estimate" else "right",
                             no_wrap=column == "estimate" and console.width >= 110,
                             overflow="fold" if column == "estimate" else "ellipsis")
        for row in result.drivers(issue.id, top):
            table.add_row(row["parameter"], f"{row['value']:.3g} [{row['low']:.3g}–"
                          f"{row['high']:.3g}]", row["origin"], _f(row["outcome_at_low"]),
                          _f(row["outcome_at_high"]), _f(row["impact"]),
                          f"{row['sobol']:.2f}")
        table.caption = (f"top {top} by impact, then any of the top {top} by Sobol index not "
                         f"listed; sum of first-order indices {result.sobol[:, k].sum():.2f} "
                         "(the rest is interaction)")
        console.print(table)
    for name, rows in result.coalition_drivers(top).items():
        if rows:
            console.print(styled("coalition ", (name, "bold"), " winning depends most on: "
                                 + ", ".join(f"{r['parameter']} ({r['sobol']:.2f})"
                                             for r in rows)))


# ---------------------------------------------------------------------- timeline
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


def render_timeline(result: TimelineResult, top: int) -> None:
    _summary("timeline", result.to_dict(), result.scenario)
    scenario = result.scenario
    params = ", ".join(f"{k}={v}" for k, v in result.model.get_params().items())
    console.print(styled((scenario.title, "bold"), f"  {scenario.content_hash()[:19]}"))
    console.print(styled("model ", (result.model.name, "bold"),
                         f" ({params}); seed {result.seed}"))
    table = Table(title="forecast by date" + (" (Monte Carlo 5%–95% below)" if result.runs
                                              else ""), title_justify="left")
    table.add_column("date", no_wrap=True)
    for issue in scenario.issue_ids:
        table.add_column(issue, justify="right")
    for point in result.points:
        row = [point.date.isoformat()]
        for k, issue in enumerate(scenario.issue_ids):
            text = _f(point.outcome[k])
            if point.montecarlo:
                s = point.montecarlo["issues"][issue]
                text += f"\n[{_f(s['quantiles']['0.05'])}–{_f(s['quantiles']['0.95'])}]"
            row.append(text)
        table.add_row(*row)
    console.print(table)
    if result.points[0].coalitions:
        verdicts = Table(title=f"coalition verdicts by date ({result.quota.description} on every "
                         "issue)", title_justify="left")
        for column in ("coalition", "date", "share", "winning", "P(winning)",
                       "would rather stay out"):
            verdicts.add_column(column, no_wrap=column in ("coalition", "date"))
        for name in result.points[0].coalitions:
            for i, point in enumerate(result.points):
                verdict = point.coalitions[name]
                out = [m for m, g in verdict["gains"].items() if not g]
                p_win = (_prob(point.montecarlo["coalitions"][name]["p_winning"],
                               point.montecarlo["coalitions"][name]["se_winning"],
                               point.montecarlo["runs"])
                         if point.montecarlo else "")
                verdicts.add_row(name if i == 0 else "", point.date.isoformat(),
                                 f"{100 * verdict['share']:.1f}%",
                                 styled(("yes", "green") if verdict["winning"] else ("no", "red")),
                                 p_win,
                                 ", ".join(out) or "none",
                                 end_section=i == len(result.points) - 1)
        console.print(verdicts)
    for move in result.moves:
        changes = ", ".join(f"{issue} {_signed(move.change[k])}"
                            for k, issue in enumerate(scenario.issue_ids))
        console.print(styled("\n", (f"{move.start} → {move.end}", "bold"), f": {changes}"))
        if not move.drivers:
            console.print("  no estimate changed")
            continue
        drivers = Table(title=f"estimate changes, largest effect first ({len(move.drivers)} "
                        "changed)", title_justify="left")
        drivers.add_column("estimate", no_wrap=True)
        drivers.add_column("from → to", justify="right")
        for issue in scenario.issue_ids:
            drivers.add_column(f"effect on {issue}", justify="right")
        for d in move.drivers[:top]:
            drivers.add_row(d["parameter"], f"{d['from']:.3g} → {d['to']:.3g}",
                            *(_signed(d["effect"][issue]) for issue in scenario.issue_ids))
        drivers.add_row("(interaction)", "", *(_signed(x) for x in move.interaction))
        console.print(drivers)
        for verdict in move.verdicts:
            line = (f"  {verdict['coalition']}: share {100 * verdict['share_from']:.0f}% → "
                    f"{100 * verdict['share_to']:.0f}%")
            for flip in verdict["flips"]:
                by = ", ".join(flip["flipped_alone_by"]) or "no single change (joint effect)"
                line += f"; {flip['what']}: {flip['from']} → {flip['to']} (alone: {by})"
            console.print(line)
