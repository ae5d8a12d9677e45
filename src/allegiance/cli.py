"""The ``allegiance`` command line (Typer + Rich).

Every command that takes a scenario accepts a built-in name, a YAML file or any importable peer
file; bad input gives a located message and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer

from allegiance.cli_common import (
    OutputFormat,
    OutputOpt,
    ScenarioArg,
    console,
    err_console,
    explain_table,
    fail,
    load,
    model_progress,
    new_table,
    parse_params,
    print_problems,
    styled,
    table_output,
    user_errors,
    write_output,
)
from allegiance.forecast import Forecast
from allegiance.io import (
    DATASET_FORMATS,
    FORMATS,
    builtin_scenarios,
    detect_format,
    export_scenario,
    load_dataset,
    resolve,
    validate_file,
)
from allegiance.io.filesystem import read_text
from allegiance.models.registry import MODELS, get_model_class
from allegiance.scenario import limits
from allegiance.scenario.model import Scenario
from allegiance.store.recording import (
    DbOpt,
    LabelOpt,
    SaveOpt,
    print_run_id,
    recording,
    to_json_text,
    with_run_id,
)
from allegiance.version import __version__

app = typer.Typer(
    name="allegiance",
    help="Forecast how a contested decision turns out: who moves where, what outcome the "
    "bargaining converges to, which coalitions can form, and how sure to be.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)

InputFormatOpt = Annotated[
    str | None, typer.Option("--input-format", help=f"One of: {', '.join(FORMATS)}.")
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Evaluate as of this date (YYYY-MM-DD).")
]
VariantOpt = Annotated[str | None, typer.Option("--variant", help="Apply a named what-if variant.")]


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"allegiance {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback,
                                          is_eager=True, help="Print the version.")] = False,
) -> None:
    """Allegiance command line."""


# ------------------------------------------------------------------------------- forecast
@app.command("forecast")
def forecast_command(
    scenario: ScenarioArg = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model name (see `models`).")
                     ] = "mean",
    as_of: AsOfOpt = None,
    variant: Annotated[str | None, typer.Option(
        "--variant", help="Scenario what-if variant, or for models with variants (bdm, exchange) "
        "the model variant when no scenario variant has that name.")] = None,
    rounds: Annotated[int | None, typer.Option("--rounds", help="Rounds/turns (iterative models).")
                      ] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="Model parameter NAME=VALUE (repeatable).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for every random choice.")
                    ] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Explain the last round.")] = False,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    output: OutputOpt = None,
    input_format: InputFormatOpt = None,
    save: SaveOpt = False,
    db: DbOpt = None,
    label: LabelOpt = None,
) -> None:
    """Forecast each issue's outcome with a model (default scenario: syria-2014)."""
    from allegiance.service import compute_forecast

    loaded = load(scenario, input_format=input_format, as_of=None)
    params = parse_params(param)
    options = {"rounds": rounds}
    with recording("forecast", save=save, db=db, source=scenario, input_format=input_format,
                   model=model, params=params, options=options, seed=seed, as_of=as_of,
                   variant=variant, label=label) as run, user_errors():
        with model_progress(model):
            analysis = compute_forecast(loaded, model=model, params=params, options=options,
                                        seed=seed, as_of=as_of, variant=variant)
        run_id = run.finish(analysis.document()) if save else None
    result = analysis.value
    if output_format is OutputFormat.json:
        # indented for a person at a terminal; compact (much faster to write) for files and pipes
        indent = 2 if output is None and sys.stdout.isatty() else None
        if run_id is None:
            write_output(result.to_json(indent=indent, summary=forecast_summary(result)), output)
        else:
            write_output(to_json_text(with_run_id(analysis.document(), run_id), indent), output)
    elif output_format is OutputFormat.csv:
        write_output(result.to_csv(), output)
    else:
        with table_output(output):
            render_forecast(result, explain=explain)
            print_run_id(run_id)


def forecast_summary(result: Forecast) -> list[str]:
    """The forecast's summary sentences (:mod:`allegiance.summary`)."""
    from allegiance.summary import summarize

    return summarize("forecast", result.to_dict(), result.scenario)


def render_forecast(result: Forecast, explain: bool = False) -> None:
    from allegiance.summary.render import print_summary

    # the warnings are printed under the model line below, once
    print_summary([line for line in forecast_summary(result) if not line.startswith("Warning")],
                  console)
    scenario = result.scenario
    res = result.result
    stamp = []
    if scenario.derived.get("as_of"):
        stamp.append(f"as of {scenario.derived['as_of']}")
    if scenario.derived.get("variant"):
        stamp.append(f"variant {scenario.derived['variant']}")
    console.print(styled((scenario.title, "bold"), f" ({', '.join(stamp)})" if stamp else ""))
    params = ", ".join(f"{k}={v}" for k, v in result.model.get_params().items())
    console.print(styled("model ", (result.model.name, "bold"), f" ({params})"
                  + (f", seed {result.seed}" if result.seed is not None else "")
                  + f"; {int(res.n_rounds)} round(s)"))
    console.print(f"forecast = {res.outcome_statistic}")
    for warning in result.warnings:
        console.print(styled(("warning:", "bold yellow"), f" {warning}"))
    if len(scenario.issues) > DETAILED_ISSUES:
        _render_compact(result)
    else:
        _render_detailed(result)
    _render_interval_note(result)
    if explain:
        if not res.explain:
            console.print("(this model has nothing to explain: it is static)")
        for table in res.explain:
            console.print(explain_table(table))


#: up to this many issues, the table output shows one table per issue with a sketch of the scale
DETAILED_ISSUES = 4


def _interval_text(interval: dict | None) -> str:
    if not interval:
        return "—"
    return "  ".join(f"{level}% {interval[level][0]:.0f}–{interval[level][1]:.0f}"
                     for level in ("50", "80") if level in interval)


def _render_interval_note(result: Forecast) -> None:
    """What the model interval is (and the model's own notes, e.g. which fitted parts apply)."""
    first = next((v for v in result.intervals.values() if v), None)
    if first:
        console.print(f"[dim]model interval: how far this model's forecasts have been from real "
                      f"outcomes — {first['note']}. For the spread from uncertain inputs run "
                      f"`allegiance montecarlo`.[/]")
    for note in result.result.extra.get("notes", []) if isinstance(result.result.extra, dict) \
            else []:
        console.print(f"[dim]{note}[/]")


def _render_compact(result: Forecast) -> None:
    """Many issues: one table of forecasts, one matrix of actors × issues (start → end)."""
    scenario, res = result.scenario, result.result
    present = scenario.to_arrays().present
    first, last = res.positions[0], res.positions[-1]
    moved = res.positions.shape[0] > 1
    cycling = result.diagnosis.cycling
    issues = new_table(title="forecast per issue", title_justify="left")
    for column in ("issue", "low end", "high end", "forecast", "model interval"):
        issues.add_column(column, justify="right" if column[0] in "fm" else "left")
    for k, issue in enumerate(scenario.issues):
        issues.add_row(issue.name, f"{issue.scale[0]:g} {issue.low_label}".strip(),
                       f"{issue.scale[1]:g} {issue.high_label}".strip(), f"{res.outcome[k]:.1f}",
                       _interval_text(result.intervals.get(issue.id)))
    console.print(issues)
    matrix = new_table(title="positions" + (" (start → end)" if moved else "")
                       + (" ↻ = cycles, see the warnings" if cycling.any() else ""),
                       title_justify="left")
    matrix.add_column("actor")
    for issue in scenario.issues:
        matrix.add_column(issue.id, justify="right")
    for a, actor in enumerate(scenario.actors):
        cells = []
        for k in range(len(scenario.issues)):
            if not present[a, k]:
                cells.append("—")
            elif cycling[a, k]:
                cells.append(f"{first[a, k]:.0f}→{last[a, k]:.0f}↻")
            elif moved and abs(last[a, k] - first[a, k]) > 1e-9:
                cells.append(f"{first[a, k]:.0f}→{last[a, k]:.0f}")
            else:
                cells.append(f"{first[a, k]:.0f}")
        matrix.add_row(actor.name, *cells)
    console.print(matrix)


def _render_detailed(result: Forecast) -> None:
    """Few issues: a table per issue, actors sorted along the scale, with a sketch of it."""
    scenario, res = result.scenario, result.result
    arrays = scenario.to_arrays()
    first, last = res.positions[0], res.positions[-1]
    cycling = result.diagnosis.cycling
    for k, issue in enumerate(scenario.issues):
        low, high = issue.scale
        value = res.outcome[k]
        interval = result.intervals.get(issue.id)
        table = new_table(title=styled(f"{issue.name}: forecast ", (f"{value:.1f}", "bold"),
                                       f" on {low:g} ({issue.low_label or 'low'}) – {high:g} "
                                       f"({issue.high_label or 'high'})"
                                       + (f"; model interval {_interval_text(interval)}"
                                          if interval else "")), title_justify="left")
        longest = max((len(w) for a in scenario.actors for w in a.name.split()), default=5)
        table.add_column("actor", min_width=min(longest, 16))
        for column in ("start", *(("end", "moved") if res.positions.shape[0] > 1 else ()),
                       "salience", "capability"):
            table.add_column(column, justify="right", min_width=len(column))
        table.add_column("where", no_wrap=True)
        bar = 21 if console.width >= 100 else 11  # the sketch narrows before any header does
        order = sorted((a for a in range(arrays.n_actors) if arrays.present[a, k]),
                       key=lambda a: last[a, k])
        for a in order:
            row = [scenario.actors[a].name, f"{first[a, k]:.1f}"]
            if res.positions.shape[0] > 1:
                moved = last[a, k] - first[a, k]
                row += [f"{last[a, k]:.1f}", "cycles" if cycling[a, k]
                        else f"{moved:+.1f}" if abs(moved) > 1e-9 else "·"]
            row += [f"{arrays.salience[a, k]:.2f}", f"{arrays.capability[a, k]:.3g}",
                    _bar(last[a, k], value, low, high, width=bar)]
            table.add_row(*row)
        console.print(table)


def _bar(position: float, outcome: float, low: float, high: float, width: int = 21) -> str:
    """A one-line sketch of the scale: ● the actor, │ the forecast."""
    cells = ["─"] * width
    span = high - low
    at = int(round((position - low) / span * (width - 1)))
    out = int(round((outcome - low) / span * (width - 1)))
    cells[out] = "│"
    cells[at] = "●"
    return "".join(cells)


# ------------------------------------------------------------------------------- listing
@app.command("models")
def models_command() -> None:
    """List the forecasting models."""
    table = new_table(title="models", title_justify="left")
    table.add_column("name")
    table.add_column("kind")
    table.add_column("what it does")
    for name in MODELS:
        try:
            cls = get_model_class(name)
        except Exception:  # a model that cannot load is listed as such, not fatal
            table.add_row(name, "", "(not available in this build)")
            continue
        kind = ("multi-issue" if cls.multi_issue else "per issue") + (
            ", stochastic" if cls.stochastic else "")
        table.add_row(name, kind, cls.summary)
    console.print(table)


@app.command("scenarios")
def scenarios_command() -> None:
    """List the built-in scenarios."""
    table = new_table(title="built-in scenarios", title_justify="left")
    for column in ("name", "title", "actors", "issues"):
        table.add_column(column)
    for name, path in sorted(builtin_scenarios().items()):
        scenario = load(str(path))
        table.add_row(name, scenario.title, str(len(scenario.actors)), str(len(scenario.issues)))
    console.print(table)


@app.command("show")
def show_command(
    scenario: ScenarioArg = None,
    as_of: AsOfOpt = None,
    variant: VariantOpt = None,
    input_format: InputFormatOpt = None,
) -> None:
    """Print actors × issues with ranges and source grades."""
    loaded = load(scenario, input_format=input_format, as_of=as_of, variant=variant)
    render_scenario(loaded)


def _grade(scenario: Scenario, source_ids: list[str]) -> str:
    grades = []
    for sid in source_ids:
        try:
            grades.append(scenario.source(sid).grade)
        except KeyError:
            grades.append("?")
    return ",".join(sorted(set(grades))) or "assumption"


def _estimate(scenario: Scenario, est, digits: int = 1) -> str:
    text = f"{est.value:.{digits}f}"
    if est.low is not None or est.high is not None:
        low = "" if est.low is None else f"{est.low:.{digits}f}"
        high = "" if est.high is None else f"{est.high:.{digits}f}"
        text += f" [{low}–{high}]"
    text += f" ({_grade(scenario, est.all_sources())})"
    if est.history:
        text += f" h{len(est.history)}"
    return text


def render_scenario(scenario: Scenario) -> None:
    console.print(styled((scenario.title, "bold"),
                         f" ({scenario.id}) {scenario.content_hash()[:19]}"))
    if scenario.description:
        console.print(scenario.description.strip())
    if scenario.derived:
        console.print(", ".join(f"{k} {v}" for k, v in scenario.derived.items()))
    issues = new_table(title="issues", title_justify="left")
    for column in ("id", "name", "scale", "low end", "high end", "status quo"):
        issues.add_column(column)
    for issue in scenario.issues:
        issues.add_row(issue.id, issue.name, f"{issue.scale[0]:g}–{issue.scale[1]:g}",
                       issue.low_label, issue.high_label,
                       "" if issue.status_quo is None else f"{issue.status_quo:g}")
    console.print(issues)
    table = new_table(title="actors: value \\[range] (source grades) hN = N dated estimates",
                  title_justify="left")
    table.add_column("actor")
    table.add_column("capability")
    for issue in scenario.issues:
        table.add_column(f"{issue.id}\nposition / salience")
    for actor in scenario.actors:
        row = [actor.name, _estimate(scenario, actor.capability)]
        for issue in scenario.issues:
            stance = actor.issues.get(issue.id)
            row.append("—" if stance is None else
                       f"{_estimate(scenario, stance.position)}\n"
                       f"{_estimate(scenario, stance.salience, 2)}")
        table.add_row(*row)
    console.print(table)
    if scenario.sources:
        sources = new_table(title="sources (Admiralty grade: reliability A–F, credibility 1–6)",
                        title_justify="left")
        for column in ("id", "grade", "title", "date"):
            sources.add_column(column)
        for source in scenario.sources:
            sources.add_row(source.id, source.grade, source.title,
                            "" if source.date is None else source.date.isoformat())
        console.print(sources)
    if scenario.coalitions:
        for name, coalition in scenario.coalitions.items():
            console.print(styled("coalition ", (name, "bold"),
                                 f": {', '.join(coalition.members)}"))
    if scenario.variants:
        for name, variant in scenario.variants.items():
            console.print(styled("variant ", (name, "bold"), f": {variant.description}"))


# ------------------------------------------------------------------------------- files
@app.command("validate")
def validate_command(
    file: Annotated[str, typer.Argument(help="Scenario file (or built-in name).")],
    input_format: InputFormatOpt = None,
) -> None:
    """Check a scenario file: every problem at once, with file:line:column. Exit 2 on errors."""
    problems = validate_file(file, input_format)
    print_problems(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if errors:
        err_console.print(styled((f"{errors} error(s)", "bold red"), f", {warnings} warning(s)"))
        raise typer.Exit(2)
    console.print(styled(("valid", "green"), f": {file} ({warnings} warning(s))"))


@app.command("import")
def import_command(
    file: Annotated[str, typer.Argument(help="A peer file (BDM CSV, KTAB CSV/XML, decide).")],
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write YAML here (a folder for a data set).")] = None,
    input_format: InputFormatOpt = None,
    capability: Annotated[str, typer.Option(
        "--capability", help="Data sets (DEU): capability option (equal, gdp, council-votes, "
        "shapley-shubik).")] = "equal",
) -> None:
    """Read any importable file and write it as Allegiance YAML.

    A data-set file (DEU) holds one scenario per issue: they are written into the folder given by
    --output, one YAML file each.
    """
    with user_errors():
        path = resolve(file)
        name = input_format or detect_format(path, read_text(path, limits.MAX_DATASET_BYTES))
        if name in DATASET_FORMATS:
            if not output:
                fail(f"{file} is a {name} data set with one scenario per issue: give a folder "
                     "with --output DIR")
            import warnings as _warnings

            from allegiance.io.deu import DeuValuesMapped, write_dataset_yaml
            from allegiance.io.filesystem import WriteError

            with _warnings.catch_warnings(record=True) as caught:
                _warnings.simplefilter("always", DeuValuesMapped)
                try:
                    written = write_dataset_yaml(
                        load_dataset(path, name, capability=capability), output)
                except WriteError as exc:
                    fail(str(exc))
            for note in dict.fromkeys(str(w.message) for w in caught):
                err_console.print(styled(("warning:", "yellow"), f" {note}"))
            console.print(f"wrote {len(written)} scenarios to {output}")
            return
    loaded = load(file, input_format=input_format)
    write_output(export_scenario(loaded, "yaml"), output)


@app.command("export")
def export_command(
    scenario: Annotated[str, typer.Argument(help="Scenario name or file.")],
    to: Annotated[str, typer.Option("--to", help=f"One of: {', '.join(FORMATS)}.")],
    output: OutputOpt = None,
    issue: Annotated[str | None, typer.Option(
        "--issue", help="The issue to write, for single-issue formats (bdm-csv).")] = None,
    input_format: InputFormatOpt = None,
) -> None:
    """Write a scenario in another format."""
    loaded = load(scenario, input_format=input_format)
    with user_errors():
        text = export_scenario(loaded, to, **({"issue": issue} if issue else {}))
    from allegiance.io.losses import export_losses

    for line in export_losses(loaded, to):
        err_console.print(styled(("warning:", "yellow"), f" {to}: {line}"))
    write_output(text, output)


@app.command("schema")
def schema_command(
    output: OutputOpt = None,
) -> None:
    """Print the JSON Schema of the scenario format."""
    schema = Scenario.model_json_schema()
    write_output(json.dumps(schema, indent=2), output)


# ------------------------------------------------------------------------------- layers
#: commands provided by the analysis layers: name -> "module:function"
LAYER_COMMANDS = {
    "coalitions": "allegiance.coalitions.cli:coalitions_command",
    "montecarlo": "allegiance.uncertainty.cli:montecarlo_command",
    "sensitivity": "allegiance.uncertainty.cli:sensitivity_command",
    "timeline": "allegiance.uncertainty.cli:timeline_command",
    "backtest": "allegiance.validation.cli:backtest_command",
    "power": "allegiance.coalitions.power_cli:power_command",
    "levers": "allegiance.levers.cli:levers_command",
    "brief": "allegiance.report.cli:brief_command",
    "report": "allegiance.report.cli:report_command",
    "plot": "allegiance.plots.cli:plot_command",
    "runs": "allegiance.store.cli:runs_app",
    "db": "allegiance.store.cli:db_app",
    "serve": "allegiance.web.cli:serve_command",
    "users": "allegiance.web.cli:users_app",
}



def _requested_layers(argv: list[str]) -> list[str]:
    """The layer commands to register for this process.

    Layers import SciPy, Dask and the models; a process that runs a core command (``forecast``,
    ``validate``...) does not need them, so only the layer named on the command line is loaded,
    and all of them when the command is not known yet (``--help``, tests, other callers).
    """
    words = [word for word in argv[1:] if not word.startswith("-")]
    if words and words[0] in LAYER_COMMANDS:
        return [words[0]]
    core = {command.name for command in app.registered_commands}
    if words and words[0] in core:
        return []
    return list(LAYER_COMMANDS)


def register_layers(names: list[str] | None = None) -> None:
    """Register the analysis layers' commands (all of them by default)."""
    registered = {command.name for command in app.registered_commands}
    registered |= {group.name for group in app.registered_groups}
    for name in LAYER_COMMANDS if names is None else names:
        if name in registered:
            continue
        module, function = LAYER_COMMANDS[name].split(":")
        target = getattr(import_module(module), function)
        if isinstance(target, typer.Typer):  # a command group (runs, db)
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)


register_layers(_requested_layers(sys.argv))


def run() -> None:
    """The console entry point: the application, with Ctrl-C as one line and exit code 130."""
    try:
        app()
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:  # Typer turns KeyboardInterrupt into exit code 130
            from allegiance.cli_common import INTERRUPT_NOTES

            notes = "".join(f"; {note}" for note in INTERRUPT_NOTES)
            sys.stderr.write(f"\nallegiance: interrupted{notes}\n")
        raise


EXIT_INTERRUPTED = 130


if __name__ == "__main__":  # pragma: no cover
    run()

__all__ = ["app", "Path"]
