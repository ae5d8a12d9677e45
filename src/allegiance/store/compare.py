"""Re-running a stored run and comparing runs: what ``runs rerun`` and ``runs diff`` report.

:func:`rerun` recomputes a run from its stored scenario document, parameters, options and seed
(with :func:`allegiance.service.run_analysis`, where the CLI computes too) and lists the values
that differ from the stored result. :func:`diff_runs` says what differs between two runs: the
scenario's estimates (actor, issue, field, from → to), the inputs, and the outcomes.

>>> differences({"a": 1.0, "b": [1, 2]}, {"a": 1.0, "b": [1, 3]})
[('b[1]', 2, 3)]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from allegiance.version import __version__

#: result keys that describe where or with what a run was computed, not what it computed
ENVIRONMENT_KEYS = ("allegiance_version", "executor", "run_id")
_MISSING = "(absent)"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b or (
        isinstance(a, int | float) and isinstance(b, int | float)
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def differences(a: Any, b: Any, path: str = "", limit: int | None = None,
                ignore: tuple[str, ...] = ()) -> list[tuple[str, Any, Any]]:
    """``(path, value in a, value in b)`` of every leaf that differs, in document order."""
    found: list[tuple[str, Any, Any]] = []

    def walk(x: Any, y: Any, where: str) -> None:
        if limit is not None and len(found) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for key in list(x) + [k for k in y if k not in x]:
                if not where and key in ignore:
                    continue
                walk(x.get(key, _MISSING), y.get(key, _MISSING),
                     f"{where}.{key}" if where else str(key))
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (u, v) in enumerate(zip(x, y, strict=True)):
                walk(u, v, f"{where}[{i}]")
        elif not _same(x, y):
            found.append((where or "(document)", x, y))

    walk(a, b, path)
    return found


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class RerunReport:
    run_id: int
    identical: bool
    differing: list[tuple[str, Any, Any]] = field(default_factory=list)
    stored_version: str = ""
    current_version: str = __version__
    #: what else the rerun found (a report: whether its page renders to the same bytes)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if self.identical:
            return ["identical", *self.notes]
        lines = [f"run {self.run_id} differs from its stored result:"]
        lines += [f"  {path}: stored {_short(a)}, now {_short(b)}"
                  for path, a, b in self.differing]
        if self.stored_version != self.current_version:
            lines.append(f"likely cause: the run was stored by Allegiance {self.stored_version}"
                         f"; this is Allegiance {self.current_version}")
        return lines + self.notes


def run_inputs(store, record) -> tuple[Any, dict[str, Any]]:
    """``(scenario or data set, keyword arguments of run_analysis)`` of a stored run."""
    from allegiance.service import PLACEMENT_OPTIONS, Dataset

    version = store.get_scenario_version(record.scenario_hash)
    if version is None:
        raise ValueError(f"{store.where}: run {record.id} refers to scenario version "
                         f"{record.scenario_hash}, which is not stored")
    source = (Dataset(version.document, version.source_name) if version.kind == "dataset"
              else version.scenario())
    options = dict(record.options)
    for key in PLACEMENT_OPTIONS:  # a rerun computes here, in this process
        if key in options:
            options[key] = "local" if key == "executor" else None
    return source, dict(model=record.model, params=record.params, options=options,
                        seed=record.seed, as_of=record.as_of, variant=record.variant)


def rerun(store, run_id: int, progress=None, limit: int = 10,
          by_kind: dict[str, Any] | None = None) -> RerunReport:
    """Recompute run ``run_id`` and compare with its stored result (the first ``limit``
    differing values). ``by_kind`` maps a run kind that the service does not compute (a written
    briefing, ``"report"``) to its own ``rerun(store, record, limit=...)``, given by the layer
    that makes such runs."""
    from allegiance.service import run_analysis

    record = store.get_run(run_id)
    if record is None:
        raise KeyError(f"no run {run_id} in {store.where}")
    if record.status != "done" or record.result is None:
        raise ValueError(f"run {run_id} is {record.status}: it has no result to compare with")
    if by_kind and record.kind in by_kind:
        return by_kind[record.kind](store, record, limit=limit)
    source, inputs = run_inputs(store, record)
    fresh = json.loads(json.dumps(run_analysis(record.kind, source, progress=progress,
                                               **inputs)))
    found = differences(record.result, fresh, limit=limit, ignore=ENVIRONMENT_KEYS)
    return RerunReport(run_id, not found, found, record.allegiance_version)


# ---------------------------------------------------------------------- diff of two runs
def scenario_changes(a, b) -> list[str]:
    """The estimates that differ between scenarios ``a`` and ``b``: actor, issue, field,
    from → to (and actors or issues only one of them has)."""
    lines: list[str] = []
    for what, ids_a, ids_b in (("issue", a.issue_ids, b.issue_ids),
                               ("actor", a.actor_ids, b.actor_ids)):
        lines += [f"{what} {i}: only in the first" for i in ids_a if i not in ids_b]
        lines += [f"{what} {i}: only in the second" for i in ids_b if i not in ids_a]
    actors_b = {actor.id: actor for actor in b.actors}
    for actor in a.actors:
        other = actors_b.get(actor.id)
        if other is None:
            continue
        lines += _estimate_changes(f"{actor.id} capability", actor.capability, other.capability)
        for issue, stance in actor.issues.items():
            theirs = other.issues.get(issue)
            if theirs is None:
                if issue in b.issue_ids:
                    lines.append(f"{actor.id} / {issue}: only in the first")
                continue
            for name in ("position", "salience"):
                lines += _estimate_changes(f"{actor.id} / {issue} {name}",
                                           getattr(stance, name), getattr(theirs, name))
        lines += [f"{actor.id} / {issue}: only in the second" for issue in other.issues
                  if issue not in actor.issues and issue in a.issue_ids]
    return lines


def _estimate_changes(label: str, x, y) -> list[str]:
    lines = []
    for part in ("value", "low", "high"):
        u, v = getattr(x, part, None), getattr(y, part, None)
        if not _same(u, v):
            name = "" if part == "value" else f" ({part} end)"
            lines.append(f"{label}{name}: {_num(u)} → {_num(v)}")
    return lines


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def outcomes(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of a result document, by name."""
    found: dict[str, Any] = {}
    if kind == "forecast":
        found = {f"outcome {k}": v for k, v in document.get("outcome", {}).items()}
    elif kind in ("montecarlo", "sensitivity"):
        if kind == "sensitivity":
            found = {f"baseline {k}": v for k, v in document.get("baseline", {}).items()}
        for issue, summary in (document.get("issues") or {}).items():
            if isinstance(summary, dict):
                found[f"mean {issue}"] = summary.get("mean")
        for name, summary in (document.get("coalitions") or {}).items():
            if isinstance(summary, dict) and "p_winning" in summary:
                found[f"P(winning) {name}"] = summary["p_winning"]
    elif kind == "timeline":
        for point in document.get("dates", []):
            for issue, value in point.get("outcome", {}).items():
                found[f"{point['date']} {issue}"] = value
    elif kind == "coalitions":
        for name, states in document.get("coalitions", {}).items():
            for state in states:
                found[f"{name} {state['state']} winning"] = state["winning"]
                found[f"{name} {state['state']} share"] = state["share"]
    elif kind == "backtest":
        for row in document.get("summaries", []):
            found[f"MAE {row['model']} ({row['capability']})"] = row.get("mae")
    elif kind == "report":
        for model, forecast in (document.get("forecasts") or {}).items():
            for issue, value in (forecast.get("outcome") or {}).items():
                found[f"{model} {issue}"] = value
    else:  # a kind without a summary here: every top-level number
        found = {k: v for k, v in document.items() if isinstance(v, int | float)}
    return found


def diff_runs(store, first: int, second: int) -> list[tuple[str, list[str]]]:
    """``[(section, lines)]``: scenario, inputs and outcomes that differ between two runs."""
    records = [store.get_run(first), store.get_run(second)]
    for run_id, record in zip((first, second), records, strict=True):
        if record is None:
            raise KeyError(f"no run {run_id} in {store.where}")
    a, b = records
    sections: list[tuple[str, list[str]]] = []
    if a.scenario_hash == b.scenario_hash:
        scenario_lines = [f"same scenario version ({a.scenario_id} {a.scenario_hash[:19]})"]
    else:
        scenario_lines = [f"{a.scenario_id} {a.scenario_hash[:19]} → "
                          f"{b.scenario_id} {b.scenario_hash[:19]}"]
        versions = [store.get_scenario_version(r.scenario_hash) for r in records]
        if all(v is not None and v.kind == "scenario" for v in versions):
            scenario_lines += scenario_changes(versions[0].scenario(), versions[1].scenario())
    sections.append(("scenario", scenario_lines))
    inputs = []
    for name in ("kind", "model", "seed", "as_of", "variant", "allegiance_version"):
        if not _same(getattr(a, name), getattr(b, name)):
            inputs.append(f"{name}: {_short(getattr(a, name))} → {_short(getattr(b, name))}")
    for name in ("params", "options"):
        for path, u, v in differences(getattr(a, name), getattr(b, name), path=name):
            inputs.append(f"{path}: {_short(u)} → {_short(v)}")
    sections.append(("inputs", inputs or ["the same"]))
    if a.result is None or b.result is None:
        sections.append(("outcomes", ["(a run has no result)"]))
    else:
        found = differences(outcomes(a.kind, a.result), outcomes(b.kind, b.result))
        sections.append(("outcomes", [f"{path}: {_short(u)} → {_short(v)}"
                                      for path, u, v in found] or ["the same"]))
    return sections
