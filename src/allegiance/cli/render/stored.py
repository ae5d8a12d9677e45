"""``runs show --format table``: a stored result document rendered by the renderer of the
command that computed it, without computing anything.

Each kind's renderer reads its result object; here that object is rebuilt from the stored
document (a forecast's :class:`~allegiance.forecast.Forecast`, a coalition report's dataclasses)
or stood in for by a view answering the renderer's questions from the document.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import types
import typing
from types import SimpleNamespace
from typing import Any

import numpy as np


def render_stored(store, record) -> None:
    """Print run ``record``'s stored result as its command printed it."""
    version = store.get_scenario_version(record.scenario_hash)
    document = record.result
    RENDERERS.get(record.kind, _render_generic)(document, record, version)


def _scenario(version, document: dict[str, Any]):
    scenario = version.scenario()
    stamp = document.get("scenario", {})
    if stamp.get("variant"):
        scenario = scenario.variant(stamp["variant"])
    if stamp.get("as_of"):
        scenario = scenario.as_of(stamp["as_of"])
    return scenario


def _render_forecast(document, record, version) -> None:
    from allegiance.cli.render.core import render_forecast
    from allegiance.forecast import Forecast
    from allegiance.models.base import ModelResult
    from allegiance.models.registry import make_model

    scenario = _scenario(version, document)
    actors, issues = scenario.actor_ids, scenario.issue_ids
    rounds = document["rounds"]
    positions = np.full((len(rounds), len(actors), len(issues)), np.nan)
    for r, entry in enumerate(rounds):
        for a, actor in enumerate(actors):
            for k, issue in enumerate(issues):
                value = entry["positions"].get(actor, {}).get(issue)
                if value is not None:
                    positions[r, a, k] = value
    model = make_model(document["model"]["name"], **document["model"]["parameters"])
    result = ModelResult(
        positions=positions,
        outcome=np.array([document["outcome"][issue] for issue in issues], dtype=float),
        outcome_statistic=document["model"]["outcome_statistic"],
        n_rounds=np.array(len(rounds) - 1), events=document.get("events", []),
        extra=document.get("extra", {}))
    render_forecast(Forecast(scenario=scenario, model=model, result=result,
                             seed=document.get("seed")))


class _MonteCarloView:
    """What :func:`render_montecarlo` asks of a MonteCarloResult, from its document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        for key in ("runs", "requested_runs", "until_se", "chunk_size", "executor"):
            setattr(self, key, document.get(key))
        self.coalitions = document.get("coalitions") or {}
        self.quota = SimpleNamespace(description=document.get("quota"))
        self.scenario = SimpleNamespace(issue_ids=list(document.get("issues", {})))

    def provenance(self) -> dict[str, Any]:
        return self.document

    def to_dict(self) -> dict[str, Any]:
        return self.document

    def headline_se(self) -> dict[str, float]:
        return self.document.get("headline_se") or {}

    def issue_summary(self) -> dict[str, Any]:
        return self.document["issues"]

    def actor_summary(self) -> dict[str, Any]:
        return self.document["actors"]

    def coalition_summary(self) -> dict[str, Any]:
        return self.coalitions


def _render_montecarlo(document, record, version) -> None:
    from allegiance.cli.render.uncertainty import render_montecarlo

    render_montecarlo(_MonteCarloView(document))


class _SensitivityView:
    def __init__(self, document: dict[str, Any], scenario) -> None:
        self.document = document
        self.montecarlo = _MonteCarloView(document)
        found = re.search(r"(\d+) bins", document.get("sobol_estimator", ""))
        self.bins = int(found.group(1)) if found else 0
        self.tornado = SimpleNamespace(
            scenario=scenario,
            baseline=[document["baseline"][issue] for issue in scenario.issue_ids])
        self.sobol = np.array([[document["sobol_sum"][issue] for issue in scenario.issue_ids]])

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        return self.document

    def drivers(self, issue: str, top: int) -> list[dict[str, Any]]:
        return self.document["issues"][issue]

    def coalition_drivers(self, top: int) -> dict[str, Any]:
        return self.document.get("coalitions") or {}


def _render_sensitivity(document, record, version) -> None:
    from allegiance.cli.render.uncertainty import render_sensitivity

    render_sensitivity(_SensitivityView(document, version.scenario()),
                       int(record.options.get("top", 8)))


def _render_timeline(document, record, version) -> None:
    from allegiance.cli.render.uncertainty import render_timeline

    scenario = version.scenario()
    issues = scenario.issue_ids
    stamp = document["scenario"]
    view = SimpleNamespace(
        to_dict=lambda: document,
        scenario=SimpleNamespace(title=stamp["title"], issue_ids=issues,
                                 content_hash=lambda: stamp["content_hash"]),
        model=SimpleNamespace(name=document["model"]["name"],
                              get_params=lambda: document["model"]["parameters"]),
        seed=document.get("seed"), runs=document.get("runs_per_date"),
        quota=SimpleNamespace(description=document.get("quota")),
        points=[SimpleNamespace(date=dt.date.fromisoformat(p["date"]),
                                outcome=[p["outcome"][i] for i in issues],
                                montecarlo=p.get("montecarlo"), coalitions=p.get("coalitions"))
                for p in document["dates"]],
        moves=[SimpleNamespace(start=m["from"], end=m["to"],
                               change=[m["change"][i] for i in issues], drivers=m["drivers"],
                               interaction=[m["interaction"][i] for i in issues],
                               verdicts=m.get("verdicts", []))
               for m in document["moves"]])
    render_timeline(view, int(record.options.get("top", 6)))


def from_dict(cls, data: Any):
    """An instance of dataclass ``cls`` (nested dataclasses too) from its ``asdict`` form."""
    hints = typing.get_type_hints(cls)
    values = {}
    for item in dataclasses.fields(cls):
        if item.name in data:
            values[item.name] = _convert(hints[item.name], data[item.name])
    return cls(**values)


def _convert(hint: Any, value: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and value is not None:
        kinds = [a for a in args if a is not type(None)]
        return _convert(kinds[0], value) if len(kinds) == 1 else value
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return from_dict(hint, value)
    if origin is list and args and isinstance(value, list):
        return [_convert(args[0], v) for v in value]
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        return {k: _convert(args[1], v) for k, v in value.items()}
    return value


def _render_coalitions(document, record, version) -> None:
    from allegiance.cli.common import console
    from allegiance.cli.render.coalitions import render_report
    from allegiance.coalitions.report import CoalitionReport

    render_report(from_dict(CoalitionReport, document), console)


def _render_backtest(document, record, version) -> None:
    from allegiance.cli.common import console, styled
    from allegiance.cli.render.backtest import summary_table
    from allegiance.validation.scores import ModelSummary

    settings = document["settings"]
    summaries = [from_dict(ModelSummary, row) for row in document["summaries"]]
    console.print(summary_table(
        summaries, f"backtest of {settings.get('dataset')}: {settings.get('scored_issues')} "
        f"issues with an outcome ({settings.get('issues')} in the file), "
        f"{settings.get('proposals')} proposals; absolute errors in points on 0–100"))
    bootstrap = record.options.get("bootstrap")
    console.print("vs mean = mean of |error| − |error of the compromise model| (negative: better), "
                  f"cluster bootstrap over proposals ({bootstrap} resamples, seed {record.seed}).")
    for s in summaries:
        if s.note:
            console.print(styled((f"{s.model} ({s.capability}): {s.note}", "dim")))


def _render_levers(document, record, version) -> None:
    from allegiance.cli.common import console
    from allegiance.cli.render.levers import render_levers
    from allegiance.levers.analysis import LeversResult

    seconds = 0.0
    if record.started_at is not None and record.finished_at is not None:
        seconds = (record.finished_at - record.started_at).total_seconds()
    render_levers(from_dict(LeversResult, {**document, "seconds": seconds}), console)


def _render_power(document, record, version) -> None:
    """Power indices are exact and quick: recomputed from the stored inputs and drawn when they
    equal the stored document (which is printed as JSON otherwise)."""
    from allegiance.cli.common import console
    from allegiance.cli.render.coalitions import power_tables
    from allegiance.service import compute_power
    from allegiance.store.compare import ENVIRONMENT_KEYS, differences

    analysis = compute_power(version.scenario(), options=record.options, as_of=record.as_of,
                             variant=record.variant)
    if differences(document, analysis.document(), ignore=ENVIRONMENT_KEYS):
        console.print("(the stored indices differ from this version's; the stored document:)")
        _render_generic(document, record, version)
        return
    console.print(power_tables(analysis.value))


def _render_report(document, record, version) -> None:
    from allegiance.cli.common import console
    from allegiance.report.stored import render_stored_report

    render_stored_report(document, record, version, console)


def _render_generic(document, record, version) -> None:
    import json

    from allegiance.cli.common import console

    console.print_json(json.dumps(document))


RENDERERS = {
    "forecast": _render_forecast,
    "montecarlo": _render_montecarlo,
    "sensitivity": _render_sensitivity,
    "timeline": _render_timeline,
    "coalitions": _render_coalitions,
    "backtest": _render_backtest,
    "power": _render_power,
    "levers": _render_levers,
    "report": _render_report,
}
