"""Run every analysis a briefing needs and keep each result as its JSON document.

:func:`collect` runs, on one scenario: each model's forecast (latest state) and Monte Carlo over
the judgements, the candidate-coalition report for every dated state, the timeline (forecast and
coalition verdicts by date, with draws, and what moved them), the sensitivity ranking, and reads
the models' backtest record. The :class:`Briefing` it returns holds only documents (what the
command line prints as JSON), so a briefing can be rendered again from stored runs.

The backtest record is the ``summary.csv`` that ``allegiance backtest`` writes; by default the
one shipped in ``allegiance/data/record/`` (its README names the command that produced it).

Example
-------
>>> briefing = collect("eu-emissions-1994", models=["mean"], runs=50, seed=1)
>>> sorted(briefing.forecasts), briefing.settings["runs"]
(['mean'], 50)
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from allegiance.scenario.model import Scenario
from allegiance.version import __version__

__all__ = ["Briefing", "DEFAULT_MODELS", "collect", "read_record"]

#: the models a briefing compares by default: the compromise model first (the reference)
DEFAULT_MODELS = ("mean", "median", "bdm", "smp", "exchange", "nash")
REFERENCE = "mean"
RECORD = "deu3-dev-summary.csv"


@dataclass
class Briefing:
    """The documents of a briefing and the settings that reproduce them."""

    scenario: Scenario
    settings: dict[str, Any]
    forecasts: dict[str, dict[str, Any]]
    montecarlo: dict[str, dict[str, Any]]
    coalitions: dict[str, Any] | None
    timeline: dict[str, Any] | None
    sensitivity: dict[str, Any] | None
    record: dict[str, Any] | None
    #: coalition -> the levers answer (``LeversResult.to_dict()``) for each named coalition
    #: that is not winning in the latest state
    levers: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"Briefing(scenario={self.scenario.id!r}, models={list(self.forecasts)!r}, "
                f"runs={self.settings.get('runs')}, seed={self.settings.get('seed')})")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "briefing", "settings": self.settings, "forecasts": self.forecasts,
                "montecarlo": self.montecarlo, "coalitions": self.coalitions,
                "timeline": self.timeline, "sensitivity": self.sensitivity,
                "record": self.record, "levers": self.levers, "problems": self.problems}


def read_record(path: str | Path | None = None) -> dict[str, Any] | None:
    """The backtest record as a backtest document (``settings`` and ``summaries``), from a
    ``summary.csv`` or ``backtest.json`` written by ``allegiance backtest``, or a folder holding
    one; None: the record shipped with Allegiance."""
    if path is None:
        text = (resources.files("allegiance") / "data" / "record" / RECORD).read_text("utf-8")
        name = "deu3-dev.tsv"
    else:
        path = Path(path)
        if path.is_dir():
            path = path / ("summary.csv" if (path / "summary.csv").exists()
                           else "backtest.json")
        if path.suffix == ".json":
            return json.loads(path.read_text(encoding="utf-8"))
        text = path.read_text(encoding="utf-8")
        name = path.name
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append({k: _value(v) for k, v in row.items()})
    scored = max((r.get("n_issues") or 0 for r in rows), default=0)
    return {"settings": {"dataset": name, "scored_issues": scored}, "summaries": rows,
            "failures": []}


def _value(text: str) -> Any:
    if text in ("", "None"):
        return None
    if text in ("True", "False"):
        return text == "True"
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def collect(
    scenario: Scenario | str,
    *,
    models: list[str] | tuple[str, ...] = DEFAULT_MODELS,
    runs: int = 200,
    seed: int = 1,
    sensitivity_model: str = REFERENCE,
    record: str | Path | bool | None = None,
    levers: bool = True,
    progress=None,
) -> Briefing:
    """Run the briefing's analyses on ``scenario`` (see the module notes).

    ``runs`` draws per model for the Monte Carlo, per date for the timeline and for the
    sensitivity's first-order indices; ``seed`` seeds all of them. The coalition report, the
    timeline and the sensitivity use ``sensitivity_model`` (default the compromise model, fast
    and the best on the backtest). ``record``: the backtest record to read (see
    :func:`read_record`; False: none). ``levers``: also ask, for each named coalition that is
    not winning in the latest state, what it would take (:func:`allegiance.levers.levers`,
    default settings). ``progress(step)`` is called with each step's name.
    """
    from allegiance.coalitions.report import coalition_report
    from allegiance.forecast import forecast
    from allegiance.uncertainty import run_montecarlo, run_sensitivity, run_timeline

    if not isinstance(scenario, Scenario):
        from allegiance.io import load_scenario

        scenario = load_scenario(scenario)
    models = list(dict.fromkeys([REFERENCE, *models]))

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    forecasts, montecarlo, problems = {}, {}, []
    for name in models:
        step(f"forecast {name}")
        forecasts[name] = forecast(scenario, name, seed=seed).to_dict()
        if runs:
            step(f"montecarlo {name}")
            try:
                montecarlo[name] = run_montecarlo(scenario, name, runs=runs, seed=seed).to_dict()
            except ValueError as exc:  # a model failing on some draws is reported, not fatal
                problems.append(f"montecarlo {name}: {exc}")
    coalitions = timeline = sensitivity = None
    if scenario.coalitions:
        step("coalitions")
        coalitions = coalition_report(scenario, model=sensitivity_model, seed=seed,
                                      theories=False).to_dict()
    if scenario.history_dates():
        step("timeline")
        timeline = run_timeline(scenario, sensitivity_model, runs=runs, seed=seed).to_dict()
    answers: dict[str, dict[str, Any]] = {}
    if levers and coalitions:
        from allegiance.levers.analysis import levers as what_it_takes

        for name, items in coalitions["coalitions"].items():
            if items and not items[-1]["winning"]:
                step(f"levers {name}")
                try:
                    answers[name] = what_it_takes(scenario, name, model=sensitivity_model,
                                                  seed=seed).to_dict()
                except ValueError as exc:
                    problems.append(f"levers {name}: {exc}")
    if runs:
        step("sensitivity")
        sensitivity = run_sensitivity(scenario, sensitivity_model, runs=max(runs, 100),
                                      seed=seed).to_dict(8)
    settings = {
        "scenario": scenario.id, "title": scenario.title,
        "content_hash": scenario.content_hash(), "allegiance_version": __version__,
        "models": {name: doc["model"]["parameters"] for name, doc in forecasts.items()},
        "reference_model": REFERENCE, "analysis_model": sensitivity_model,
        "runs": runs, "seed": seed,
        "seeds": {name: doc.get("seed") for name, doc in forecasts.items()},
        "record": str(record) if record else f"allegiance/data/record/{RECORD}",
    }
    return Briefing(scenario=scenario, settings=settings, forecasts=forecasts,
                    montecarlo=montecarlo, coalitions=coalitions, timeline=timeline,
                    sensitivity=sensitivity,
                    record=None if record is False else read_record(record or None),
                    levers=answers, problems=problems)
