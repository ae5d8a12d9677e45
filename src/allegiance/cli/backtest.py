"""The ``allegiance backtest`` command: score the models on a DEU data set with known outcomes.

Registered by :mod:`allegiance.cli` (``LAYER_COMMANDS``) as ``backtest``::

    allegiance backtest deu3-dev.tsv --model all --capability all --runs 20 --seed 0 \\
        --output-dir backtest-results

prints a table per model and capability option and writes ``summary.csv``, ``summary.md`` (the
same table in Markdown), ``predictions.csv`` (every model's forecast of every issue) and
``backtest.json`` (settings, summaries, failures, predictions) to the output folder, each written
atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from allegiance.cli.common import (
    console,
    err_console,
    fail,
    parse_params,
    styled,
    user_errors,
)
from allegiance.cli.recording import (
    DbOpt,
    LabelOpt,
    SaveOpt,
    json_text_with_run_id,
    print_run_id,
    recording,
)
from allegiance.cli.render.backtest import failure_lines, summary_table
from allegiance.io.deu_capability import OPTIONS, check_option
from allegiance.validation.backtest import model_availability
from allegiance.validation.tables import summary_markdown


def backtest_command(
    dataset: Annotated[str, typer.Argument(help="DEU data file (tab-separated, e.g. "
                                           "deu3-dev.tsv).")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model name, or 'all' for every "
                                       "registered model that loads.")] = "all",
    capability: Annotated[str, typer.Option(
        "--capability", "-c", help=f"Capability option: {', '.join(OPTIONS)}, or 'all' (then "
        "also the option chosen per model by leave-one-proposal-out cross-validation).")
    ] = "equal",
    runs: Annotated[int, typer.Option("--runs", help="Seeded runs per issue for stochastic "
                                      "models (prediction intervals).", min=1)] = 20,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the runs and the bootstrap.")] = 0,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples for the "
                                           "comparison with the mean model.", min=100)] = 2000,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="Model parameter NAME=VALUE (with a single --model).")] = None,
    tune_param: Annotated[str | None, typer.Option(
        "--tune", help="NAME=V1,V2,...: choose this parameter of the (single) model by "
        "leave-one-proposal-out cross-validation; every value is reported too.")] = None,
    output_dir: Annotated[str, typer.Option("--output-dir", "-o", help="Folder for summary.csv, "
                                            "predictions.csv and backtest.json.")
                          ] = "backtest-results",
    fit_out: Annotated[str | None, typer.Option(
        "--fit-out", help="Instead of a backtest: fit the learned forecaster and every model's "
        "interval calibration on this data set and write learned.json and "
        "calibration/intervals.json to this folder (the package ships src/allegiance/data).")
    ] = None,
    allow_failures: Annotated[bool, typer.Option(
        "--allow-failures", help="Exit 0 even when a model failed on some issues (they are "
        "scored on the rest; the failures are listed in backtest.json).")] = False,
    save: SaveOpt = False,
    db: DbOpt = None,
    label: LabelOpt = None,
) -> None:
    """Score the models' forecasts against the recorded outcomes of a DEU data set."""
    from allegiance.io.filesystem import write_atomic
    from allegiance.service import compute_backtest

    params = parse_params(param)
    if fit_out is not None:
        from allegiance.validation.fit import write_fitted

        with user_errors():
            if capability.lower() == "all":
                fail("--fit-out fits under one capability option (the package's: --capability "
                     "gdp)")
            try:
                write_fitted(dataset, fit_out, capability=check_option(capability), seed=seed,
                             runs=runs, echo=err_console.print)
            except RuntimeError as exc:  # a candidate model failed on an issue
                fail(str(exc))
        return
    tune_option = None
    if tune_param:
        name, _, raw = tune_param.partition("=")
        values = [parse_params([f"v={v}"])["v"] for v in raw.split(",") if v.strip()]
        if not name.strip() or len(values) < 2:
            fail(f"--tune takes NAME=V1,V2,... with at least two values; got {tune_param!r}")
        tune_option = {"param": name.strip().replace("-", "_"), "values": values}
    options = {"capability": capability, "runs": runs, "bootstrap": bootstrap,
               "tune": tune_option}
    with recording("backtest", save=save, db=db, source=dataset, model=model, params=params,
                   options=options, seed=seed, as_of=None, variant=None, label=label,
                   dataset=True) as run, user_errors(), \
            Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), console=err_console.rich, transient=True) as bar:
        task = bar.add_task("backtest", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        analysis = compute_backtest(dataset, model=model, params=params, options=options,
                                    seed=seed, progress=run.progress(update))
        run_id = run.finish(analysis.document())
    for note in analysis.extra["warnings"]:
        err_console.print(styled(("warning:", "yellow"), f" {note}"))
    combined = first = analysis.value
    summaries, failures, n_issues = combined.summaries, combined.failures, \
        analysis.extra["n_issues"]
    out = Path(output_dir)
    write_atomic(out / "summary.csv", combined.summary_csv())
    write_atomic(out / "predictions.csv", combined.predictions_csv())
    from allegiance.summary import summarize
    from allegiance.summary.render import print_summary

    lines = summarize("backtest", {"settings": {**first.settings, "dataset": Path(dataset).name},
                                   "summaries": combined.summary_rows(), "failures": failures})
    write_atomic(out / "backtest.json",
                 json_text_with_run_id(combined.to_json(summary=lines), run_id))
    write_atomic(out / "summary.md", summary_markdown(summaries))
    print_summary(lines, console)
    console.print(summary_table(
        summaries, f"backtest of {Path(dataset).name}: {first.settings['scored_issues']} issues "
        f"with an outcome ({first.settings['issues']} in the file), "
        f"{first.settings['proposals']} proposals; absolute errors in points on 0–100"))
    console.print("vs mean = mean of |error| − |error of the compromise model| (negative: better), "
                  f"cluster bootstrap over proposals ({bootstrap} resamples, seed {seed}).")
    for s in summaries:
        if s.note:
            console.print(styled((f"{s.model} ({s.capability}): {s.note}", "dim")))
    _, missing = model_availability()
    if missing and model.lower() == "all":
        err_console.print(styled(("not in this build: " + ", ".join(sorted(missing)), "yellow")))
    err_console.print(f"wrote {out / 'summary.csv'}, {out / 'summary.md'}, "
                      f"{out / 'predictions.csv'}, {out / 'backtest.json'}")
    print_run_id(run_id)
    lines = failure_lines(failures, n_issues)
    style = "yellow" if allow_failures else "red"
    for line in lines:
        err_console.print(styled((line, style)))
    if lines and not allow_failures:
        err_console.print(styled((f"the backtest is incomplete: {len(lines)} model run(s) failed "
                                  f"on some issues (details: {out / 'backtest.json'}, "
                                  "'failures'); --allow-failures accepts this", "red")))
        raise typer.Exit(1)


__all__ = ["backtest_command"]
