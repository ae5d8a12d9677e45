"""The ``allegiance brief`` and ``allegiance report`` commands.

Registered by :mod:`allegiance.cli` (``LAYER_COMMANDS``)::

    allegiance brief                                   # syria-2014 on one screen (make run)
    allegiance report syria-2014 -o briefing.html      # the self-contained briefing
    allegiance report syria-2014 -o briefing.pdf --model bdm --runs 500 --seed 1
"""

from __future__ import annotations

import json
import subprocess
from typing import Annotated

import typer

from allegiance.cli.common import (
    InputFormatOpt,
    OutputFormat,
    TableOrJsonOpt,
    console,
    err_console,
    fail,
    load,
    user_errors,
    write_output,
)
from allegiance.cli.recording import DbOpt, LabelOpt, print_run_id, recording
from allegiance.report.collect import DEFAULT_MODELS, REFERENCE, collect

__all__ = ["brief_command", "report_command"]

#: the briefing is laid out for this many columns (narrower terminals wrap it)
BRIEF_WIDTH = 80

ScenarioArg = Annotated[
    str | None,
    typer.Argument(help="Built-in scenario name, YAML file or peer file (default: syria-2014).",
                   show_default=False),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of every draw.")]


def _progress(enabled: bool):
    if not enabled:
        return None

    def step(name: str) -> None:
        err_console.print(f"… {name}", style="dim")

    return step


def brief_command(
    scenario: ScenarioArg = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model of the timeline, "
                                       "coalitions and sensitivity.")] = REFERENCE,
    runs: Annotated[int, typer.Option("--runs", "-n", help="Monte Carlo draws per date.")
                    ] = 2000,
    seed: SeedOpt = 1,
    output_format: TableOrJsonOpt = OutputFormat.table,
    input_format: InputFormatOpt = None,
) -> None:
    """The answer on one screen: forecast by date, coalition verdicts, the strongest driver,
    and what to run next."""
    if output_format is OutputFormat.csv:
        fail("brief writes a table or JSON (--format table|json)")
    if runs < 1:
        fail("--runs must be >= 1")
    loaded = load(scenario, input_format=input_format)
    with user_errors():
        briefing = collect(loaded, models=[], runs=runs, seed=seed, sensitivity_model=model,
                           record=False, levers=False)
    from allegiance.summary import summarize

    if output_format is OutputFormat.json:
        document = briefing.to_dict()
        write_output(json.dumps({"summary": summarize("briefing", document, loaded),
                                 **document}, indent=2, ensure_ascii=False), None)
        return
    from allegiance.report.brief import brief_renderables

    width = min(console.width, BRIEF_WIDTH)
    for part in brief_renderables(briefing):
        console.print(part, width=width)


def report_command(
    scenario: ScenarioArg = None,
    output: Annotated[str, typer.Option("--output", "-o", help="briefing.html or briefing.pdf."
                                        )] = "briefing.html",
    model: Annotated[list[str] | None, typer.Option(
        "--model", "-m", help="Models to compare (repeatable; the compromise model is always "
        f"included). Default: {', '.join(DEFAULT_MODELS)}.")] = None,
    runs: Annotated[int, typer.Option("--runs", "-n", help="Monte Carlo draws per model and "
                                      "per date (0: point forecasts only).")] = 200,
    seed: SeedOpt = 1,
    analysis_model: Annotated[str, typer.Option(
        "--analysis-model", help="Model of the coalitions, timeline and sensitivity sections.")
    ] = REFERENCE,
    backtest: Annotated[str | None, typer.Option(
        "--backtest", help="summary.csv, backtest.json or the folder `allegiance backtest` "
        "wrote (default: the record shipped with Allegiance).")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress",
                                           help="Say what is being computed.")] = True,
    input_format: InputFormatOpt = None,
    save: Annotated[bool | None, typer.Option(
        "--save/--no-save", help="Store the report as a run (see `allegiance runs`). Default: "
        "when a results store exists (--db, ALLEGIANCE_DATABASE_URL, or the default file).",
        show_default=False)] = None,
    db: DbOpt = None,
    label: LabelOpt = None,
) -> None:
    """Write a self-contained briefing (HTML; PDF or a PNG of the first page through headless
    Chromium): the question,
    the scenario, each model's forecast with intervals, coalition verdicts by date, what changed
    and why, the sensitivity ranking, caveats and figures."""
    suffix = output.rsplit(".", 1)[-1].lower() if "." in output else ""
    if suffix not in ("html", "htm", "pdf", "png"):
        fail(f"--output must end in .html or .pdf (or .png: a picture of the first page); got "
             f"{output!r}")
    if runs < 0:
        fail("--runs must be >= 0")
    loaded = load(scenario, input_format=input_format)
    from allegiance.report.stored import report_document

    models = list(model) if model else list(DEFAULT_MODELS)
    with user_errors():  # bad input is refused before a run is stored
        from allegiance.models.registry import get_model_class

        for name in [*models, analysis_model]:
            get_model_class(name)
    if backtest is not None:
        from pathlib import Path

        if not Path(backtest).exists():
            fail(f"--backtest: no such file or folder {backtest!r}")
    options = {"models": models, "runs": runs, "analysis_model": analysis_model,
               "backtest": backtest, "levers": True}
    with recording("report", save=_saving(save, db), db=db,
                   source=scenario, input_format=input_format,
                   model=",".join(dict.fromkeys([REFERENCE, *models])), params={},
                   options=options, seed=seed, as_of=None, variant=None, label=label) as run:
        with user_errors():
            briefing = collect(loaded, models=models, runs=runs, seed=seed,
                               sensitivity_model=analysis_model, record=backtest,
                               progress=_progress(progress))
        _write(briefing, output, suffix)
        run_id = run.finish(report_document(briefing, output))
    err_console.print(f"wrote {output}")
    print_run_id(run_id)


def _saving(save: bool | None, db: str | None) -> bool:
    """Whether to store the report: as asked, else when a results store exists; a store that
    exists but cannot be used is then a warning (the report was not asked to be stored)."""
    from allegiance.report.stored import store_in_use

    if save is not None:
        return save
    if not store_in_use(db):
        return False
    from allegiance.store import open_store
    from allegiance.store.schema import StoreError

    try:
        open_store(db).close()
    except StoreError as exc:
        err_console.print(f"warning: the report is not stored ({exc}); --no-save says so "
                          "quietly")
        return False
    return True


def _write(briefing, output: str, suffix: str) -> None:
    """Render the briefing into ``output`` (HTML, or PDF / PNG through Chromium)."""
    from allegiance.report.html import render_html, write_pdf, write_png

    page = render_html(briefing)
    if suffix in ("pdf", "png"):
        try:
            (write_pdf if suffix == "pdf" else write_png)(page, output)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            fail(str(exc))
    else:
        from allegiance.io.yaml_format import write_atomic

        try:
            write_atomic(output, page)
        except OSError as exc:
            fail(str(exc))
