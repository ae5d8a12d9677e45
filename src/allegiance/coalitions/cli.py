"""The ``allegiance coalitions`` command.

Registered on the application in :mod:`allegiance.cli` with one line::

    app.command("coalitions")(coalitions_command)
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from allegiance.cli_common import (
    OutputFormat,
    console,
    csv_text,
    load,
    parse_params,
    table_output,
    user_errors,
    write_output,
)
from allegiance.coalitions.formation import DEFAULT_CAP
from allegiance.coalitions.power import RULES
from allegiance.coalitions.render import render_report, report_rows
from allegiance.coalitions.report import WEIGHTINGS, coalition_report

__all__ = ["coalitions_command"]


def coalitions_command(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Built-in scenario name, YAML file or peer file "
                            "(default: syria-2014).", show_default=False),
    ] = None,
    model: Annotated[str, typer.Option(
        "--model", "-m", help="Model giving the forecast without the coalition.")] = "mean",
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="One date (YYYY-MM-DD); default: every dated state side by side.")
    ] = None,
    variant: Annotated[str | None, typer.Option(
        "--variant", help="Apply one of the scenario's what-if variants first.")] = None,
    coalition: Annotated[list[str] | None, typer.Option(
        "--coalition", "-c",
        help="A coalition to assess: a,b,c or name=a,b,c (repeatable).")] = None,
    only_given: Annotated[bool, typer.Option(
        "--only-given", help="Assess only the --coalition sets, not the scenario's named ones.")
    ] = False,
    quota: Annotated[str | None, typer.Option(
        "--quota", "-q",
        help=f"Quota rule: {', '.join(RULES)}, or a share such as 0.6, 60%, 2/3, >50%. "
             "Default: simple (more than half the capability).")] = None,
    weighting: Annotated[str, typer.Option(
        "--weighting", help=f"Game weights: {' or '.join(WEIGHTINGS)}.")] = "capability",
    theories: Annotated[bool, typer.Option(
        "--theories/--no-theories",
        help="List the best minimal winning, connected and minimal-range coalitions per issue.")
    ] = True,
    top: Annotated[int, typer.Option("--top", help="How many candidates per theory to keep.")
                   ] = 5,
    cap: Annotated[int, typer.Option(
        "--cap", help="Most minimal winning coalitions to enumerate per issue.")] = DEFAULT_CAP,
    bloc_tolerance: Annotated[float, typer.Option(
        "--bloc-tolerance",
        help="Blocs: final positions within this share of the scale width.")] = 0.05,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="Model parameter NAME=VALUE (repeatable).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for stochastic models.")
                    ] = None,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="table, json or csv.")] = OutputFormat.table,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file.")
                      ] = None,
    input_format: Annotated[str | None, typer.Option(
        "--input-format", help="Scenario file format (default: from the file).")] = None,
) -> None:
    """Is a coalition viable? Winning or not, pivotal members, who would rather stay out,
    strongest opponents - for each named coalition and each dated state of the scenario."""
    loaded = load(scenario, input_format=input_format, variant=variant)
    params = parse_params(param)
    with user_errors():
        report = coalition_report(
            loaded, model=model, coalitions=coalition, include_named=not only_given,
            as_of=as_of, quota=quota, weighting=weighting, seed=seed, params=params,
            theories=theories, top=top, cap=cap, bloc_tolerance=bloc_tolerance,
        )
    if output_format is OutputFormat.json:
        write_output(json.dumps(report.to_dict(), indent=2), output)
    elif output_format is OutputFormat.csv:
        write_output(csv_text(*report_rows(report.to_dict())), output)
    else:
        with table_output(output):
            render_report(report, console)
