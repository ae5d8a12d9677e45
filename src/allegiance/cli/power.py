"""The ``allegiance power`` command: Shapley–Shubik and Banzhaf indices of the weighted game whose
weights are the actors' capabilities (computed by
:func:`allegiance.coalitions.scenario_power.scenario_power`, drawn by
:mod:`allegiance.cli.render.coalitions`).

    allegiance power syria-2014 --quota two-thirds
    allegiance power council.yaml --quota 12 --format json
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
    ScenarioArg,
    VariantOpt,
    console,
    csv_text,
    load,
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
from allegiance.coalitions.quota import RULES

__all__ = ["power_command"]


def power_command(
    scenario: ScenarioArg = None,
    quota: Annotated[str | None, typer.Option(
        "--quota", "-q",
        help=f"Quota: a rule ({', '.join(RULES)}), a share (60%, 2/3, 0.6, >50%) or an absolute "
             "weight (a number greater than 1, e.g. 12). Default: simple (more than half).")
    ] = None,
    issue: Annotated[str | None, typer.Option("--issue", help="Only this issue (its id).")
                     ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Capabilities as of this date.")
                     ] = None,
    variant: VariantOpt = None,
    output_format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    input_format: InputFormatOpt = None,
    save: SaveOpt = False,
    db: DbOpt = None,
    label: LabelOpt = None,
) -> None:
    """Power indices (Shapley-Shubik, Banzhaf) of the actors, weighted by capability; one game
    per issue where the capabilities differ. Needs no named coalitions."""
    from allegiance.cli.render.coalitions import power_rows, power_tables
    from allegiance.service import compute_power

    loaded = load(scenario, input_format=input_format, as_of=as_of, variant=variant)
    options = {"quota": quota, "issue": issue}
    with recording("power", save=save, db=db, source=scenario, input_format=input_format,
                   model="-", params={}, options=options, seed=None, as_of=as_of,
                   variant=variant, label=label) as run, user_errors():
        analysis = compute_power(loaded, options=options)
        run_id = run.finish(analysis.document())
    power = analysis.value
    if output_format is OutputFormat.json:
        write_output(json.dumps(with_run_id(analysis.document(), run_id), indent=2,
                                ensure_ascii=False), output)
    elif output_format is OutputFormat.csv:
        write_output(csv_text(*power_rows(power)), output)
    else:
        from allegiance.summary.render import print_summary

        with table_output(output):
            print_summary(analysis.document()["summary"], console)
            console.print(power_tables(power))
            print_run_id(run_id)
