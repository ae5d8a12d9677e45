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

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from allegiance.cli_common import console, err_console, fail, parse_params, user_errors
from allegiance.validation.backtest import (
    BacktestResult,
    ModelSummary,
    cross_validated_summaries,
    model_availability,
    resolve_models,
    run_backtest,
    scored,
    tune,
)
from allegiance.validation.capability import OPTIONS, check_option


def _fmt(value: float | None, digits: int = 1, percent: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if percent:
        return f"{100 * value:.0f}%"
    text = f"{value:.{digits}f}"
    return "0.0" if text in ("-0.0", "-0.00") else text


def summary_table(summaries: list[ModelSummary], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("model", no_wrap=True)
    table.add_column("capability", no_wrap=True)
    for column in ("issues", "MAE", "med AE", "≤10", "vs mean [95% CI]", "PI50 cov", "PI80 cov",
                   "runs cov50", "runs cov80"):
        table.add_column(column, justify="right")
    for s in summaries:
        issues = f"{s.n_ok}" + (f" ({s.n_failed} failed)" if s.n_failed else "")
        if s.model == "mean" or not s.vs_mean_n:
            versus = "—" if s.model != "mean" else "(baseline)"
        else:
            versus = (f"{_fmt(s.vs_mean, 2)} [{_fmt(s.vs_mean_low, 2)}, "
                      f"{_fmt(s.vs_mean_high, 2)}]")
        table.add_row(s.model, s.capability, issues, _fmt(s.mae), _fmt(s.median_ae),
                      _fmt(s.within_10, percent=True), versus,
                      _fmt(s.interval_coverage_50, percent=True),
                      _fmt(s.interval_coverage_80, percent=True),
                      _fmt(s.coverage_50, percent=True), _fmt(s.coverage_80, percent=True))
    return table


def summary_markdown(summaries: list[ModelSummary]) -> str:
    """The summary as a Markdown table (what docs/validation.md shows)."""
    lines = ["| model | capability | issues (failed) | MAE | median AE | within 10 | "
             "vs mean [95% CI] | PI 50% cover | PI 80% cover | runs 50% cover | runs 80% cover |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in summaries:
        versus = ("(baseline)" if s.model == "mean" else "—" if not s.vs_mean_n else
                  f"{_fmt(s.vs_mean, 2)} [{_fmt(s.vs_mean_low, 2)}, {_fmt(s.vs_mean_high, 2)}]")
        lines.append(f"| {s.model} | {s.capability} | {s.n_ok} ({s.n_failed}) | {_fmt(s.mae)} | "
                     f"{_fmt(s.median_ae)} | {_fmt(s.within_10, percent=True)} | {versus} | "
                     f"{_fmt(s.interval_coverage_50, percent=True)} | "
                     f"{_fmt(s.interval_coverage_80, percent=True)} | "
                     f"{_fmt(s.coverage_50, percent=True)} | "
                     f"{_fmt(s.coverage_80, percent=True)} |")
    return "\n".join(lines) + "\n"


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
) -> None:
    """Score the models' forecasts against the recorded outcomes of a DEU data set."""
    from allegiance.io.deu import read_dataset
    from allegiance.io.yaml_format import write_atomic

    params = parse_params(param)
    if fit_out is not None:
        from allegiance.validation.fit import write_fitted

        with user_errors():
            if capability.lower() == "all":
                fail("--fit-out fits under one capability option (the package's: --capability "
                     "gdp)")
            write_fitted(dataset, fit_out, capability=check_option(capability), seed=seed,
                         runs=runs, echo=err_console.print)
        return
    with user_errors():
        names = resolve_models(model)
        options = list(OPTIONS) if capability.lower() == "all" else [check_option(capability)]
        if params and len(names) != 1:
            fail("--param needs a single --model")
        per_model = {names[0]: params} if params else {}
        if params:
            from allegiance.models.registry import make_model

            make_model(names[0], **params)  # a bad parameter is the user's error: say so now
        tuned: tuple[str, list] | None = None
        if tune_param:
            if len(names) != 1:
                fail("--tune needs a single --model")
            name, _, raw = tune_param.partition("=")
            values = [parse_params([f"v={v}"])["v"] for v in raw.split(",") if v.strip()]
            if not name.strip() or len(values) < 2:
                fail(f"--tune takes NAME=V1,V2,... with at least two values; got {tune_param!r}")
            from allegiance.models.registry import make_model

            for value in values:
                make_model(names[0], **{**params, name.strip(): value})
            tuned = (name.strip().replace("-", "_"), values)
        datasets = {option: read_dataset(dataset, capability=option) for option in options}
    n_issues = len(scored(next(iter(datasets.values()))))
    n_runs = (len(names) + (0 if "mean" in names else 1)) if tuned is None else 1 + len(tuned[1])
    results: dict[str, BacktestResult] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console.rich, transient=True) as progress:
        task = progress.add_task("backtest", total=len(options) * n_runs * n_issues)
        for option in options:
            progress.update(task, description=f"backtest ({option})")
            with user_errors():
                if tuned is not None:
                    results[option] = tune(
                        datasets[option], names[0], tuned[0], tuned[1], capability=option,
                        runs=runs, seed=seed, n_boot=bootstrap, params=params,
                        on_issue=lambda: progress.advance(task))
                else:
                    results[option] = run_backtest(
                        datasets[option], models=names, capability=option, runs=runs,
                        seed=seed, n_boot=bootstrap, params=per_model,
                        on_issue=lambda: progress.advance(task))
    summaries = [s for r in results.values() for s in r.summaries]
    predictions = [p for r in results.values() for p in r.predictions]
    failures = [f for r in results.values() for f in r.failures]
    if len(options) > 1 and tuned is None:
        cv_summaries, cv_predictions = cross_validated_summaries(results, n_boot=bootstrap,
                                                                 seed=seed)
        summaries += cv_summaries
        predictions += cv_predictions
    first = next(iter(results.values()))
    settings = {**first.settings, "capability": options, "dataset": Path(dataset).name}
    combined = BacktestResult(settings=settings, summaries=summaries, predictions=predictions,
                              failures=failures)
    out = Path(output_dir)
    write_atomic(out / "summary.csv", combined.summary_csv())
    write_atomic(out / "predictions.csv", combined.predictions_csv())
    write_atomic(out / "backtest.json", combined.to_json())
    write_atomic(out / "summary.md", summary_markdown(summaries))
    console.print(summary_table(
        summaries, f"backtest of {Path(dataset).name}: {first.settings['scored_issues']} issues "
        f"with an outcome ({first.settings['issues']} in the file), "
        f"{first.settings['proposals']} proposals; absolute errors in points on 0–100"))
    console.print("vs mean = mean of |error| − |error of the compromise model| (negative: better), "
                  f"cluster bootstrap over proposals ({bootstrap} resamples, seed {seed}).")
    for s in summaries:
        if s.note:
            console.print(f"[dim]{s.model} ({s.capability}): {s.note}[/]")
    failed: dict[str, int] = {}
    for f in failures:
        failed[f["model"]] = failed.get(f["model"], 0) + 1
    for name, count in failed.items():
        example = next(f["error"] for f in failures if f["model"] == name)
        err_console.print(f"[yellow]{name}: failed on {count} issue-run(s), e.g. {example}[/]")
    _, missing = model_availability()
    if missing and model.lower() == "all":
        err_console.print("[yellow]not in this build: " + ", ".join(sorted(missing)) + "[/]")
    err_console.print(f"wrote {out / 'summary.csv'}, {out / 'summary.md'}, "
                      f"{out / 'predictions.csv'}, {out / 'backtest.json'}")


__all__ = ["backtest_command", "summary_markdown", "summary_table"]
