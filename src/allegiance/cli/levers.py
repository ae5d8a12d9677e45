"""The ``allegiance levers`` command (registered lazily in :mod:`allegiance.cli`)."""

from __future__ import annotations

import json
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
    load,
    parse_params,
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

__all__ = ["levers_command"]


def levers_command(
    scenario: ScenarioArg = None,
    coalition: Annotated[str, typer.Option(
        "--coalition", "-c", help="A coalition named in the scenario, or members a,b,c.")
    ] = "local",
    model: Annotated[str, typer.Option("--model", "-m", help="Forecasting model.")] = "mean",
    as_of: AsOfOpt = None,
    variant: VariantOpt = None,
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
    output_format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    input_format: InputFormatOpt = None,
    save: SaveOpt = False,
    db: DbOpt = None,
    label: LabelOpt = None,
) -> None:
    """What would it take? The fewest, cheapest changes to the estimates that make a coalition
    winning, stable and followed by the forecast - inside the plausible ranges if possible."""
    from allegiance.cli.render.levers import render_levers, to_csv
    from allegiance.service import compute_levers

    loaded = load(scenario, input_format=input_format)
    params = parse_params(param)
    options = {"coalition": coalition, "within": within, "levers": lever_list,
               "budget": budget, "tolerance": tolerance, "quota": quota}
    with recording("levers", save=save, db=db, source=scenario, input_format=input_format,
                   model=model, params=params, options=options, seed=seed, as_of=as_of,
                   variant=variant, label=label) as run, user_errors():
        analysis = compute_levers(loaded, model=model, params=params, options=options,
                                  seed=seed, as_of=as_of, variant=variant)
        run_id = run.finish(analysis.document())
    result = analysis.value
    if output_format is OutputFormat.json:
        write_output(json.dumps(with_run_id(analysis.document(), run_id), indent=2,
                                ensure_ascii=False), output)
    elif output_format is OutputFormat.csv:
        write_output(to_csv(result), output)
    elif output:
        import io

        from rich.console import Console

        buffer = Console(record=True, width=140, file=io.StringIO())
        render_levers(result, buffer)
        if run_id is not None:
            buffer.print(f"saved as run {run_id}")
        write_output(buffer.export_text(), output)
    else:
        render_levers(result, console)
        print_run_id(run_id)
