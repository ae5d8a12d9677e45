"""The ``allegiance plot KIND [SCENARIO]`` command: one figure to a PNG, an SVG (Matplotlib) or
an interactive HTML page (Plotly, its JavaScript inline).

Registered by :mod:`allegiance.cli` (``LAYER_COMMANDS``)::

    allegiance plot positions syria-2014 --model bdm -o positions.png
    allegiance plot outcomes syria-2014 --model bdm --model smp --runs 500 -o outcomes.svg
    allegiance plot coalitions syria-2014 -o coalitions.html
    allegiance plot tornado syria-2014 --top 6
    allegiance plot backtest backtest-results -o record.svg   # what `allegiance backtest` wrote
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from allegiance.cli.common import InputFormatOpt, err_console, fail, load, user_errors
from allegiance.plots import KINDS

__all__ = ["plot_command"]


def _documents(kind: str, scenario, models: list[str], runs: int, seed: int
               ) -> tuple[list[Any], dict[str, Any]]:
    """The result documents a figure of ``kind`` is built from (positional args, options)."""
    if kind == "positions":
        from allegiance.forecast import forecast

        model = models[0] if models else "bdm"
        reference = forecast(scenario, "mean").to_dict() if model != "mean" else None
        return [forecast(scenario, model, seed=seed).to_dict(), reference], {}
    if kind == "outcomes":
        from allegiance.uncertainty import run_montecarlo

        return [{m: run_montecarlo(scenario, m, runs=runs, seed=seed).to_dict()
                 for m in (models or ["mean"])}], {}
    if kind == "coalitions":
        model = models[0] if models else "mean"
        if scenario.history_dates():
            from allegiance.uncertainty import run_timeline

            return [run_timeline(scenario, model, runs=runs, seed=seed).to_dict()], {}
        from allegiance.coalitions.report import coalition_report

        return [coalition_report(scenario, model=model, seed=seed, theories=False).to_dict()], {}
    from allegiance.uncertainty import run_sensitivity

    return [run_sensitivity(scenario, models[0] if models else "mean", runs=runs,
                            seed=seed).to_dict()], {}


def _backtest(source: str | None, output: str | None) -> None:
    """The record figure from what ``allegiance backtest`` wrote (default: the shipped record)."""
    from pathlib import Path

    from allegiance.report.collect import read_record

    if source is not None and not Path(source).exists():
        fail(f"backtest: give the folder, summary.csv or backtest.json that `allegiance "
             f"backtest` wrote; no such file or folder {source!r}")
    output = output or "backtest.png"
    _write(output, "backtest_figure", [read_record(source)], {})


def _write(output: str, builder: str, args: list[Any], options: dict[str, Any]) -> None:
    suffix = output.rsplit(".", 1)[-1].lower() if "." in output else ""
    if suffix not in ("png", "svg", "html"):
        fail(f"--output must end in .png, .svg or .html; got {output!r}")
    try:
        if suffix == "html":
            from allegiance.io.yaml_format import write_atomic
            from allegiance.plots import interactive

            write_atomic(output, interactive.to_html(getattr(interactive, builder)(*args,
                                                                                     **options)))
        else:
            from allegiance.plots import static

            static.save(getattr(static, builder)(*args, **options), output)
    except OSError as exc:
        fail(str(exc))
    err_console.print(f"wrote {output}")


def plot_command(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    scenario: Annotated[str | None, typer.Argument(
        help="Built-in scenario name, YAML file or peer file (default: syria-2014); for "
        "backtest, the folder or file `allegiance backtest` wrote (default: the shipped "
        "record).", show_default=False)] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="FILE.png, FILE.svg or FILE.html (default: KIND-SCENARIO.png).")
    ] = None,
    model: Annotated[list[str] | None, typer.Option(
        "--model", "-m", help="Model (repeatable for outcomes; default bdm for positions, "
        "mean otherwise).")] = None,
    runs: Annotated[int, typer.Option("--runs", "-n", help="Monte Carlo draws.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws.")] = 1,
    top: Annotated[int, typer.Option("--top", help="Tornado: estimates per issue.")] = 8,
    input_format: InputFormatOpt = None,
) -> None:
    """Draw one figure of a scenario's results."""
    kind = kind.lower()
    if kind not in KINDS:
        fail(f"unknown figure {kind!r}; one of: {', '.join(KINDS)}")
    if kind == "backtest":
        _backtest(scenario, output)
        return
    loaded = load(scenario, input_format=input_format)
    output = output or f"{kind}-{loaded.id}.png"
    suffix = output.rsplit(".", 1)[-1].lower() if "." in output else ""
    if suffix not in ("png", "svg", "html"):
        fail(f"--output must end in .png, .svg or .html; got {output!r}")
    if runs < 1:
        fail("--runs must be >= 1")
    if kind == "coalitions" and not loaded.coalitions:
        fail(f"scenario {loaded.id!r} names no coalitions")
    with user_errors():
        from allegiance.models.registry import get_model_class

        for name in model or []:
            get_model_class(name)
        args, options = _documents(kind, loaded, list(model or []), runs, seed)
    if kind == "tornado":
        options["top"] = top
    _write(output, f"{kind}_figure", args, options)
