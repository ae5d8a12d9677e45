"""The ``allegiance coalitions`` command: the candidate-coalition report (computed by
:func:`allegiance.coalitions.report.coalition_report`, drawn by
:mod:`allegiance.cli.render.coalitions`). Registered by :mod:`allegiance.cli`
(``LAYER_COMMANDS``)::

    allegiance coalitions syria-2014 --model bdm
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from allegiance.cli.common import (
    FormatOpt,
    InputFormatOpt,
    OutputFormat,
    OutputOpt,
    ParamOpt,
    ScenarioArg,
    VariantOpt,
    console,
    csv_text,
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
from allegiance.cli.render.coalitions import render_report, report_rows
from allegiance.coalitions.assessment import WEIGHTINGS
from allegiance.coalitions.formation import DEFAULT_CAP
from allegiance.coalitions.quota import RULES

__all__ = ["coalitions_command"]


def coalitions_command(
    scenario: ScenarioArg = None,
    model: Annotated[str, typer.Option(
        "--model", "-m", help="Model giving the forecast without the coalition.")] = "mean",
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="One date (YYYY-MM-DD); default: every dated state side by side.")
    ] = None,
    variant: VariantOpt = None,
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
    param: ParamOpt = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for stochastic models.")
                    ] = None,
    output_format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    input_format: InputFormatOpt = None,
    save: SaveOpt = False,
    db: DbOpt = None,
    label: LabelOpt = None,
) -> None:
    """Is a coalition viable? Winning or not, pivotal members, who would rather stay out,
    strongest opponents - for each named coalition and each dated state of the scenario."""
    from allegiance.service import compute_coalitions

    loaded = load(scenario, input_format=input_format, variant=variant)
    params = parse_params(param)
    options = {"coalitions": list(coalition or []), "only_given": only_given, "quota": quota,
               "weighting": weighting, "theories": theories, "top": top, "cap": cap,
               "bloc_tolerance": bloc_tolerance}
    with recording("coalitions", save=save, db=db, source=scenario, input_format=input_format,
                   model=model, params=params, options=options, seed=seed, as_of=as_of,
                   variant=variant, label=label) as run, user_errors():
        analysis = compute_coalitions(loaded, model=model, params=params, options=options,
                                      seed=seed, as_of=as_of)
        run_id = run.finish(analysis.document())
    if output_format is OutputFormat.json:
        write_output(json.dumps(with_run_id(analysis.document(), run_id), indent=2), output)
    elif output_format is OutputFormat.csv:
        write_output(csv_text(*report_rows(analysis.value.to_dict())), output)
    else:
        from allegiance.summary.render import print_summary

        with table_output(output):
            print_summary(analysis.document()["summary"], console)
            render_report(analysis.value, console)
            print_run_id(run_id)
