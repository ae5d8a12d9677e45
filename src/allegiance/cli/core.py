"""The core commands of the ``allegiance`` command line: forecast, models, scenarios, show,
validate, import, export and schema.

The application (:mod:`allegiance.cli`) loads this module only when one of them is looked up, so
that a process running another command group (``runs``, ``db``) does not import the scenario
layer and the models.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from allegiance.cli.common import (
    AsOfOpt,
    FormatOpt,
    InputFormatOpt,
    OutputFormat,
    OutputOpt,
    ParamOpt,
    ScenarioArg,
    VariantOpt,
    console,
    err_console,
    fail,
    load,
    model_progress,
    parse_params,
    print_problems,
    styled,
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
    to_json_text,
    with_run_id,
)
from allegiance.cli.render.core import (
    forecast_summary,
    render_builtin_scenarios,
    render_forecast,
    render_models,
    render_scenario,
)
from allegiance.io import (
    DATASET_FORMATS,
    FORMATS,
    detect_format,
    export_scenario,
    load_dataset,
    resolve,
    validate_file,
)
from allegiance.io.filesystem import read_text
from allegiance.scenario import limits
from allegiance.scenario.model import Scenario

#: the core commands; :func:`allegiance.cli.load_command` finds them here
core = typer.Typer()


# ------------------------------------------------------------------------------- forecast
@core.command("forecast")
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
    param: ParamOpt = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for every random choice.")
                    ] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Explain the last round.")] = False,
    output_format: FormatOpt = OutputFormat.table,
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


@core.command("models")
def models_command() -> None:
    """List the forecasting models."""
    render_models()


@core.command("scenarios")
def scenarios_command() -> None:
    """List the built-in scenarios."""
    render_builtin_scenarios()


@core.command("show")
def show_command(
    scenario: ScenarioArg = None,
    as_of: AsOfOpt = None,
    variant: VariantOpt = None,
    input_format: InputFormatOpt = None,
) -> None:
    """Print actors × issues with ranges and source grades."""
    loaded = load(scenario, input_format=input_format, as_of=as_of, variant=variant)
    render_scenario(loaded)


# ------------------------------------------------------------------------------- files
@core.command("validate")
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


@core.command("import")
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


@core.command("export")
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


@core.command("schema")
def schema_command(
    output: OutputOpt = None,
) -> None:
    """Print the JSON Schema of the scenario format."""
    schema = Scenario.model_json_schema()
    write_output(json.dumps(schema, indent=2), output)
