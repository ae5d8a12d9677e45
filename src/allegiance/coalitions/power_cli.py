"""The ``allegiance power`` command: Shapley–Shubik and Banzhaf indices of the weighted game whose
weights are the actors' capabilities (computed by
:func:`allegiance.coalitions.scenario_power.scenario_power`, drawn by
:mod:`allegiance.coalitions.render`).

    allegiance power syria-2014 --quota two-thirds
    allegiance power council.yaml --quota 12 --format json
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
    table_output,
    user_errors,
    write_output,
)
from allegiance.coalitions.power import RULES

__all__ = ["power_command"]


def power_command(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Built-in scenario name, YAML file or peer file "
                            "(default: syria-2014).", show_default=False),
    ] = None,
    quota: Annotated[str | None, typer.Option(
        "--quota", "-q",
        help=f"Quota: a rule ({', '.join(RULES)}), a share (60%, 2/3, 0.6, >50%) or an absolute "
             "weight (a number greater than 1, e.g. 12). Default: simple (more than half).")
    ] = None,
    issue: Annotated[str | None, typer.Option("--issue", help="Only this issue (its id).")
                     ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Capabilities as of this date.")
                     ] = None,
    variant: Annotated[str | None, typer.Option("--variant", help="Apply a what-if variant.")
                       ] = None,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="table, json or csv.")] = OutputFormat.table,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file.")
                      ] = None,
    input_format: Annotated[str | None, typer.Option(
        "--input-format", help="Scenario file format (default: from the file).")] = None,
) -> None:
    """Power indices (Shapley-Shubik, Banzhaf) of the actors, weighted by capability; one game
    per issue where the capabilities differ. Needs no named coalitions."""
    from allegiance.coalitions.render import power_rows, power_tables
    from allegiance.coalitions.scenario_power import scenario_power

    loaded = load(scenario, input_format=input_format, as_of=as_of, variant=variant)
    with user_errors():
        power = scenario_power(loaded, quota, issue=issue)
    if output_format is OutputFormat.json:
        write_output(json.dumps(power.to_dict(), indent=2, ensure_ascii=False), output)
    elif output_format is OutputFormat.csv:
        write_output(csv_text(*power_rows(power)), output)
    else:
        with table_output(output):
            console.print(power_tables(power))
