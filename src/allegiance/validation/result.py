"""A backtest's result: its settings, each model's scores and each issue's predictions, as
tables (pandas), ``backtest.json`` and CSV."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from allegiance.validation.scores import IssuePrediction, ModelSummary


@dataclass
class BacktestResult:
    settings: dict[str, Any]
    summaries: list[ModelSummary]
    predictions: list[IssuePrediction]
    failures: list[dict[str, Any]] = field(default_factory=list)
    #: the compromise model's predictions (run even when not reported: every model is paired
    #: with them)
    baseline: list[IssuePrediction] = field(default_factory=list)

    def __repr__(self) -> str:
        models = sorted({s.model for s in self.summaries})
        return (f"BacktestResult(models={models!r}, issues={self.settings.get('scored_issues')}, "
                f"predictions={len(self.predictions)}, failures={len(self.failures)})")

    def to_frame(self, what: str = "summaries"):
        """A table (pandas): ``what="summaries"`` — one row per model and capability option;
        ``"predictions"`` — one row per model and issue (``model, capability, issue, outcome,
        forecast, abs_error``...)."""
        from allegiance.frames import frame

        if what == "summaries":
            return frame(self.summary_rows(), list(ModelSummary.__dataclass_fields__))
        if what == "predictions":
            return frame([asdict(p) for p in self.predictions],
                         list(IssuePrediction.__dataclass_fields__))
        raise ValueError(f"what must be summaries or predictions; got {what!r}")

    def summary_rows(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.summaries]

    def breakdown(self) -> list[dict[str, Any]]:
        """MAE per model, capability option, procedure and Council voting rule."""
        cells: dict[tuple[str, str, str, str], list[float]] = {}
        for p in self.predictions:
            if p.ok:
                cells.setdefault((p.model, p.capability, p.procedure, p.voting_rule),
                                 []).append(p.abs_error)
        return [
            {"model": m, "capability": c, "procedure": proc, "voting_rule": rule,
             "n": len(errors), "mae": float(np.mean(errors))}
            for (m, c, proc, rule), errors in cells.items()
        ]

    def to_json(self, summary: list[str] | None = None) -> str:
        """``backtest.json``: settings, summaries, breakdown, failures, predictions (and the
        ``summary`` sentences first when given)."""
        data = {
            **({"summary": summary} if summary is not None else {}),
            "settings": self.settings,
            "summaries": self.summary_rows(),
            "breakdown": self.breakdown(),
            "failures": self.failures,
            "predictions": [asdict(p) for p in self.predictions],
        }
        return json.dumps(_jsonable(data), indent=2) + "\n"

    def summary_csv(self) -> str:
        return _csv(self.summary_rows(), list(ModelSummary.__dataclass_fields__))

    def predictions_csv(self) -> str:
        return _csv([asdict(p) for p in self.predictions],
                    list(IssuePrediction.__dataclass_fields__))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if not math.isfinite(value) else f"{value:.6g}"
    return value
