"""The Forecast: one model run on one scenario, with everything needed to reproduce it.

A :class:`Forecast` wraps a model's :class:`~allegiance.models.base.ModelResult` with the scenario's
labels and provenance (package version, scenario content hash, as-of date, variant, model
parameters, seed). Its JSON form is the same for every model; see docs/forecast-format.md.

Example
-------
>>> import allegiance
>>> result = allegiance.forecast("eu-emissions-1994", model="median")
>>> sorted(result.outcome) == ["standards-date"] or len(result.outcome) == 1
True
"""

from __future__ import annotations

import csv
import io
import math
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pydantic_core

from allegiance.models.base import ExplainTable, Model, ModelResult
from allegiance.models.registry import make_model
from allegiance.scenario.model import Scenario
from allegiance.version import __version__

SCHEMA_VERSION = 1


def jsonable(value: Any) -> Any:
    """Plain JSON-able Python values from NumPy scalars/arrays and nested containers; non-finite
    floats become None (JSON has no NaN)."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {str(k): jsonable(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    return value


def _json_fallback(value: Any) -> Any:
    """What pydantic-core cannot serialise itself: NumPy arrays and scalars."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


@dataclass
class Forecast:
    """A model's forecast for a scenario, with its provenance."""

    scenario: Scenario
    model: Model
    result: ModelResult
    seed: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    # -------------------------------------------------------------- convenient views
    @property
    def outcome(self) -> dict[str, float]:
        return {i: float(v) for i, v in zip(self.scenario.issue_ids, self.result.outcome,
                                            strict=True)}

    @property
    def positions(self) -> np.ndarray:
        """``(n_rounds + 1, n_actors, n_issues)`` positions per round."""
        return self.result.positions

    @property
    def intervals(self) -> dict[str, dict[str, Any] | None]:
        """The model's calibrated 50% and 80% prediction interval per issue ("how wrong this
        model has been" on decided cases; :mod:`allegiance.models.intervals`). ``None`` for an
        issue when the model has no calibration."""
        if "intervals" not in self.meta:
            from allegiance.models.intervals import model_intervals

            rows = model_intervals(self.model.name, self.result.outcome,
                                   self.scenario.to_arrays(),
                                   from_dataset=calibrated_on(self.scenario),
                                   default_parameters=_has_default_parameters(self.model))
            self.meta["intervals"] = dict(zip(self.scenario.issue_ids, rows, strict=True))
        return self.meta["intervals"]

    @property
    def final_positions(self) -> dict[str, dict[str, float]]:
        last = self.result.positions[-1]
        return self._position_map(last)

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.result.events

    @property
    def explain(self) -> list[ExplainTable]:
        return self.result.explain

    def _position_map(self, matrix: np.ndarray) -> dict[str, dict[str, float]]:
        present = self._present()
        return {
            actor: {
                issue: float(matrix[a, k])
                for k, issue in enumerate(self.scenario.issue_ids)
                if present[a, k]
            }
            for a, actor in enumerate(self.scenario.actor_ids)
        }

    @property
    def diagnosis(self):
        """Warnings about this result and which positions cycle
        (:func:`allegiance.models.diagnostics.diagnose`)."""
        if "diagnosis" not in self.meta:
            from allegiance.models.diagnostics import diagnose

            arrays = self.scenario.to_arrays()
            self.meta["diagnosis"] = diagnose(
                self.result, scale=[i.scale for i in self.scenario.issues],
                issue_names=[i.name for i in self.scenario.issues],
                actor_names=[a.name for a in self.scenario.actors],
                present=arrays.present, salience=arrays.salience)
        return self.meta["diagnosis"]

    @property
    def warnings(self) -> list[str]:
        """Plain-language warnings: a cycle, no convergence, no solution, no salience."""
        return self.diagnosis.warnings

    def __repr__(self) -> str:
        outcome = ", ".join(f"{k}={v:.4g}" for k, v in self.outcome.items())
        if len(outcome) > 200:
            outcome = outcome[:197] + "..."
        warned = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        return (f"Forecast(scenario={self.scenario.id!r}, model={self.model.name!r}, "
                f"seed={self.seed}, rounds={int(np.max(self.result.n_rounds))}, "
                f"outcome={{{outcome}}}{warned})")

    def _present(self) -> np.ndarray:
        if "present" not in self.meta:
            self.meta["present"] = self.scenario.to_arrays().present
        return self.meta["present"]

    # -------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """The forecast as plain JSON-able Python values (the JSON schema's document)."""
        return jsonable(self._document())

    def _document(self) -> dict[str, Any]:
        scenario = self.scenario
        return {
            "schema_version": SCHEMA_VERSION,
            "allegiance_version": __version__,
            "scenario": {
                "id": scenario.id,
                "title": scenario.title,
                "content_hash": scenario.content_hash(),
                "as_of": scenario.derived.get("as_of"),
                "variant": scenario.derived.get("variant"),
            },
            "model": {
                "name": self.model.name,
                "parameters": self.model.get_params(),
                "outcome_statistic": self.result.outcome_statistic,
            },
            "seed": self.seed,
            "issues": [
                {"id": i.id, "name": i.name, "scale": list(i.scale), "low_label": i.low_label,
                 "high_label": i.high_label, "interval": self.intervals[i.id]}
                for i in scenario.issues
            ],
            "actors": [{"id": a.id, "name": a.name} for a in scenario.actors],
            "rounds": [
                {"round": r, "positions": self._position_map(self.result.positions[r])}
                for r in range(self.result.positions.shape[0])
            ],
            "outcome": self.outcome,
            "warnings": self.warnings,
            "events": self.result.events,
            "extra": self.result.extra,
        }

    def to_json(self, indent: int | None = 2, summary: list[str] | None = None) -> str:
        """The forecast as JSON (``indent=None``: compact). Written by pydantic-core's serializer
        straight from the NumPy results: the same document as ``json.dumps(self.to_dict())``,
        about ten times faster. ``summary``: sentences to carry first, under ``"summary"``."""
        document = self._document()
        if summary is not None:
            document = {"summary": summary, **document}
        text = pydantic_core.to_json(document, indent=indent, inf_nan_mode="null",
                                     fallback=_json_fallback)
        return text.decode("utf-8")

    def to_frame(self):
        """Long table (pandas): ``round, actor, issue, position``, one row per actor present on
        an issue in each round."""
        import numpy as np

        from allegiance.frames import frame

        positions = self.result.positions
        present = self._present()
        rounds, actors, issues = np.nonzero(np.broadcast_to(present, positions.shape))
        return frame({"round": rounds,
                      "actor": np.asarray(self.scenario.actor_ids, dtype=object)[actors],
                      "issue": np.asarray(self.scenario.issue_ids, dtype=object)[issues],
                      "position": positions[rounds, actors, issues]})

    def to_csv(self) -> str:
        """Long table: round, actor, issue, position; outcome rows have actor ``OUTCOME``."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["round", "actor", "issue", "position"])
        for r in range(self.result.positions.shape[0]):
            for actor, stances in self._position_map(self.result.positions[r]).items():
                for issue, value in stances.items():
                    writer.writerow([r, actor, issue, repr(value)])
        last = self.result.positions.shape[0] - 1
        for issue, value in self.outcome.items():
            writer.writerow([last, "OUTCOME", issue, repr(value)])
        return buffer.getvalue()


def calibrated_on(scenario: Scenario) -> bool:
    """True when the scenario comes from the data set the intervals were calibrated on (DEU)."""
    from allegiance.models.intervals import load_calibration

    source = load_calibration().get("source", "DEU")
    return str(scenario.metadata.get("dataset", "")) == source


def _has_default_parameters(model: Model) -> bool:
    try:
        return type(model)().get_params() == model.get_params()
    except Exception:  # a model whose parameters have no defaults
        return False


def forecast(
    scenario: Scenario | str,
    model: str | Model = "mean",
    *,
    as_of: str | None = None,
    scenario_variant: str | None = None,
    seed: int | None = None,
    **params: Any,
) -> Forecast:
    """Run ``model`` on ``scenario`` and return a :class:`Forecast`.

    ``scenario`` is a Scenario, a built-in name or a file path. ``scenario_variant`` applies one of
    the scenario's what-if variants, then ``as_of`` evaluates it as of a date. ``params`` go to the
    model's constructor (validated there; e.g. ``variant="paper"`` for bdm). ``seed`` seeds every
    random choice; when it is None and the scenario file carries a seed, that one is used.
    """
    if not isinstance(scenario, Scenario):
        from allegiance.io import load_scenario

        scenario = load_scenario(scenario)
    if scenario_variant:
        scenario = scenario.variant(scenario_variant)
    if as_of:
        scenario = scenario.as_of(as_of)
    if isinstance(model, str):
        defaults = dict(scenario.model_parameters.get(model.lower(), {}))
        defaults.update(params)
        model = make_model(model, **defaults)
    if seed is None:
        seed = scenario.seed
    if seed is None and model.stochastic:
        seed = secrets.randbits(63)  # drawn once and recorded, so the run can be repeated
    arrays = scenario.to_arrays()
    result = on_scale(model.run(arrays, random_state=seed), arrays, scenario, model.name)
    return Forecast(scenario=scenario, model=model, result=result, seed=seed)


class ForecastError(ValueError):
    """A model gave no finite forecast; the message says on which issue and what to check."""


def on_scale(result: ModelResult, arrays, scenario: Scenario, model_name: str) -> ModelResult:
    """``result`` with positions and outcome held on each issue's scale.

    Models compute in floating point, so a forecast can land a rounding error outside the scale
    (``100.00000000000001`` on [0, 100]); it is put back on the scale. A forecast that is not a
    finite number is an error, never a NaN in the output.
    """
    bad = ~np.isfinite(result.outcome)
    if bad.any():
        index = np.argwhere(bad)[0][-1]
        raise ForecastError(
            f"model {model_name!r} gave no finite forecast on issue "
            f"{scenario.issue_ids[index]!r}: check that capabilities and saliences are not all "
            "zero and that no number is extreme")
    result.outcome = np.clip(result.outcome, arrays.scale_low, arrays.scale_high)
    result.positions = np.clip(result.positions, arrays.scale_low, arrays.scale_high)
    return result
