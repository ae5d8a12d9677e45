"""The ``allegiance levers`` command (registered lazily in :mod:`allegiance.cli`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from allegiance.cli_common import (
    OutputFormat,
    ParamOpt,
    ScenarioArg,
    console,
    load,
    parse_params,
    user_errors,
    write_output,
)

__all__ = ["levers_command"]


def levers_command(
    scenario: ScenarioArg = None,
    coalition: Annotated[str, typer.Option(
        "--coalition", "-c", help="A coalition named in the scenario, or members a,b,c.")
    ] = "local",
    model: Annotated[str, typer.Option("--model", "-m", help="Forecasting model.")] = "mean",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this date.")
                     ] = None,
    variant: Annotated[str | None, typer.Option("--variant", help="Apply a what-if variant.")
                       ] = None,
    within: Annotated[str, typer.Option(
        "--within", help="Cost unit: ranges (edge of the plausible range = 1), grades (the "
        "width the sources' Admiralty grades justify = 1) or free (no ranges; span = 1).")
    ] = "ranges",
    lever_list: Annotated[str | None, typer.Option(
        "--levers", help="Which estimates may move, comma-separated: FIELD:ACTOR@ISSUE items "
        "(FIELD position, salience, capability or *; ACTOR and @ISSUE optional) and lever set "
        "names, e.g. capability:rebels,position:officers@settlement. Default: all.")] = None,
    budget: Annotated[int, typer.Option("--budget", "-k", help="At most this many changes.")
                      ] = 3,
    tolerance: Annotated[float, typer.Option(
        "--tolerance", help="'Moves there': forecast within this share of the scale of the "
        "agreed position (default 0.1: half the 20-point step between labelled points of a "
        "0-100 scale).")] = 0.10,
    quota: Annotated[str | None, typer.Option("--quota", "-q", help="Quota rule (see "
                                               "coalitions).")] = None,
    param: ParamOpt = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the search.")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file.")
                      ] = None,
    input_format: Annotated[str | None, typer.Option(
        "--input-format", help="Scenario file format (default: from the file).")] = None,
) -> None:
    """What would it take? The fewest, cheapest changes to the estimates that make a coalition
    winning, stable and followed by the forecast - inside the plausible ranges if possible."""
    from allegiance.levers.analysis import levers
    from allegiance.levers.render import render_levers, to_csv

    loaded = load(scenario, input_format=input_format)
    params = parse_params(param)
    with user_errors():
        result = levers(loaded, coalition, model=model, as_of=as_of, variant=variant,
                        within=within, levers=lever_list, budget=budget, tolerance=tolerance,
                        quota=quota, seed=seed, params=params)
    from allegiance.summary import with_summary

    if output_format is OutputFormat.json:
        write_output(json.dumps(with_summary("levers", result.to_dict(), loaded), indent=2,
                                ensure_ascii=False), output)
    elif output_format is OutputFormat.csv:
        write_output(to_csv(result), output)
    elif output:
        import io

        from rich.console import Console

        buffer = Console(record=True, width=140, file=io.StringIO())
        render_levers(result, buffer)
        write_output(buffer.export_text(), output)
    else:
        render_levers(result, console)
