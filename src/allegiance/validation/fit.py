"""Fitting the learned forecaster and every model's interval calibration on a DEU data set.

``python -m allegiance.validation.fit deu3-dev.tsv --out-dir src/allegiance/data`` (also
``allegiance backtest deu3-dev.tsv --fit-out src/allegiance/data``) writes the two small data
files the package ships:

- ``learned.json`` — the learned forecaster (:mod:`allegiance.models.learned`): its candidates,
  the hyper-parameters chosen by grouped cross-validation over whole proposals, and the stacking
  weights fitted on all the scored issues;
- ``calibration/intervals.json`` — every registered model's conformal quantiles
  (:mod:`allegiance.models.intervals`) from its residuals on the scored issues; for the learned
  forecaster, from its leave-one-proposal-out residuals (the weights used for a proposal's
  issues were fitted without that proposal).

:func:`learned_predictions` is the out-of-sample check of the learned forecaster that the
backtest reports: for each proposal, the hyper-parameters are chosen by cross-validation on the
*other* proposals, the weights fitted on them, and the proposal's issues forecast (nested
leave-one-proposal-out cross-validation).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from allegiance.models.learned import anchor_forecast, issue_group
from allegiance.scenario.model import Scenario
from allegiance.validation import stacking
from allegiance.validation.predicting import blank_prediction, predict, scored
from allegiance.validation.scores import IssuePrediction, error_metrics, paired_bootstrap

#: the learned forecaster's candidates (what ``learned.json`` lists)
CANDIDATES: list[dict[str, Any]] = [
    {"name": "mean", "model": "mean", "params": {}},
    {"name": "median", "model": "median", "params": {}},
    {"name": "nash-worst", "model": "nash", "params": {"disagreement": "worst"}},
    {"name": "smp", "model": "smp", "params": {}},
    {"name": "bdm", "model": "bdm", "params": {}},
    {"name": "status-quo", "anchor": "status-quo"},
    {"name": "nearest-end", "anchor": "nearest-end"},
]
N_MODELS = 5  # the first five candidates are models, the rest anchors
#: the hyper-parameter grid searched by nested cross-validation
HYPERS = [stacking.Hyper(tuple(columns), kappa)
          for columns in (tuple(range(N_MODELS)), tuple(range(len(CANDIDATES))))
          for kappa in (20.0, math.inf)]
INNER_FOLDS = 4


def candidate_matrix(issues: Sequence[Scenario], *, capability: str = "", seed: int = 0,
                     candidates: Sequence[dict[str, Any]] = CANDIDATES,
                     on_issue: Callable[[], None] | None = None) -> np.ndarray:
    """Each candidate's forecast of each scored issue: ``(n_issues, n_candidates)``.

    Model candidates run as the backtest runs them (multi-issue models on a proposal's issues
    together); anchors come from each issue's own arrays.
    """
    columns: dict[str, np.ndarray] = {}
    compromise = None
    for spec in candidates:
        if "anchor" in spec:
            continue
        preds, _, note = predict(spec["model"], issues, capability=capability, runs=1,
                                 seed=seed, params=spec.get("params"), on_issue=on_issue)
        failed = [p for p in preds if not p.ok]
        if failed:
            raise RuntimeError(f"candidate {spec['name']} failed on {len(failed)} issue(s), e.g. "
                               f"{failed[0].issue}: {failed[0].error or note}")
        columns[spec["name"]] = np.array([p.forecast for p in preds])
        if spec["model"] == "mean" and not spec.get("params"):
            compromise = columns[spec["name"]]
    if compromise is None:
        compromise = np.array([p.forecast for p in predict("mean", issues,
                                                             capability=capability)[0]])
    for spec in candidates:
        if "anchor" in spec:
            columns[spec["name"]] = np.array([
                float(anchor_forecast(spec["anchor"], s.to_arrays(), compromise[[i]])[0])
                for i, s in enumerate(issues)])
    return np.column_stack([columns[s["name"]] for s in candidates])


def _context(issues: Sequence[Scenario]) -> tuple[np.ndarray, list[str | None], list[str]]:
    outcome = np.array([float(s.issues[0].metadata["outcome"]) for s in issues])
    groups = [issue_group(s.issues[0].metadata) for s in issues]
    clusters = [str(s.issues[0].metadata.get("proposal", s.id)) for s in issues]
    return outcome, groups, clusters


def learned_predictions(
    issues: Sequence[Scenario], *, capability: str = "", seed: int = 0,
    hypers: Sequence[stacking.Hyper] = HYPERS, n_folds: int = INNER_FOLDS,
    X: np.ndarray | None = None, on_issue: Callable[[], None] | None = None,
) -> tuple[list[IssuePrediction], str]:
    """The learned forecaster's nested leave-one-proposal-out forecasts of the scored issues.

    Returns the predictions (model ``learned``) and a note counting the hyper-parameters chosen.
    """
    issues = scored(issues)
    if X is None:
        X = candidate_matrix(issues, capability=capability, seed=seed)
    outcome, groups, clusters = _context(issues)
    forecast, chosen = stacking.cross_validate(X, outcome, groups, clusters, hypers,
                                               n_folds=n_folds)
    rows = []
    for i, scenario in enumerate(issues):
        row = blank_prediction("learned", capability, scenario)
        low, high = scenario.issues[0].scale
        row.forecast = float(np.clip(forecast[i], low, high))
        row.abs_error = abs(row.forecast - row.outcome)
        rows.append(row)
        if on_issue:
            on_issue()
    names = [c["name"] for c in CANDIDATES]
    counts: dict[str, int] = {}
    for hyper in chosen:
        label = hyper.label(names)
        counts[label] = counts.get(label, 0) + 1
    note = ("nested leave-one-proposal-out CV; chosen per held-out issue: "
            + ", ".join(f"({k}) {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])))
    return rows, note


def openings(issues: Sequence[Scenario], X: np.ndarray, *, n_boot: int = 2000, seed: int = 0
             ) -> list[dict[str, Any]]:
    """Each opening of the literature alone, scored by leave-one-proposal-out CV.

    Rows: every candidate on its own (nothing fitted), the compromise model with capabilities
    estimated from outcomes (:mod:`allegiance.validation.estimated_capability`), then the stack
    restricted to the models (Breiman stacking), with procedure-specific weights (κ = 20, 0),
    with the status-quo and nearest-end anchors (boundary outcomes), and the nested choice among
    them (the learned forecaster). ``vs_mean`` is the paired cluster-bootstrap difference with
    the compromise model.
    """
    issues = scored(issues)
    outcome, groups, clusters = _context(issues)
    names = [c["name"] for c in CANDIDATES]
    base = np.abs(X[:, 0] - outcome)
    rows: list[dict[str, Any]] = []

    def add(label: str, forecast: np.ndarray) -> None:
        errors = np.abs(forecast - outcome)
        diff, low, high = paired_bootstrap(np.round(errors - base, 9), clusters, n_boot=n_boot,
                                           seed=seed)
        rows.append({"variant": label, "mae": float(errors.mean()), "vs_mean": diff,
                     "low": low, "high": high})

    for k, name in enumerate(names):
        add(f"{name} alone (nothing fitted)", X[:, k])
    from allegiance.validation.estimated_capability import cross_validated_forecasts

    add("compromise with capabilities estimated from outcomes (after Golub 2020; LOPO CV)",
        cross_validated_forecasts(issues))
    models = tuple(range(N_MODELS))
    everything = tuple(range(len(CANDIDATES)))
    for label, hyper in [
        ("stack of the models, pooled weights", stacking.Hyper(models, math.inf)),
        ("stack of the models, by procedure × voting rule (κ = 20)", stacking.Hyper(models, 20.0)),
        ("stack of the models, by procedure × voting rule (κ = 0)", stacking.Hyper(models, 0.0)),
        ("stack with status-quo and nearest-end anchors, pooled",
         stacking.Hyper(everything, math.inf)),
        ("stack with anchors, by procedure × voting rule (κ = 20)",
         stacking.Hyper(everything, 20.0)),
    ]:
        add(label + " (LOPO CV)", stacking.cross_validate(X, outcome, groups, clusters,
                                                          [hyper])[0])
    add("learned: nested choice among the four grid settings (LOPO CV)",
        stacking.cross_validate(X, outcome, groups, clusters, HYPERS, n_folds=INNER_FOLDS)[0])
    return rows


def openings_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The openings as a Markdown table (docs/validation.md)."""
    lines = ["| variant | MAE | vs mean [95% CI] |", "| --- | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['mae']:.2f} | {r['vs_mean']:.2f} "
                     f"[{r['low']:.2f}, {r['high']:.2f}] |")
    return "\n".join(lines) + "\n"


def fit_learned(issues: Sequence[Scenario], X: np.ndarray, *, capability: str,
                hypers: Sequence[stacking.Hyper] = HYPERS, n_folds: int = INNER_FOLDS
                ) -> dict[str, Any]:
    """The shipped fit: hyper-parameters by grouped CV over all proposals, weights on all."""
    outcome, groups, clusters = _context(issues)
    hyper, scores = stacking.choose(X, outcome, groups, clusters, hypers, n_folds=n_folds)
    fitted = stacking.fit(X, outcome, groups, hyper)
    names = [c["name"] for c in CANDIDATES]

    def table(w: np.ndarray) -> dict[str, float]:
        return {n: round(float(v), 6) for n, v in zip(names, w, strict=True)}

    sizes: dict[str, int] = {}
    for g in groups:
        if g:
            sizes[g] = sizes.get(g, 0) + 1
    return {
        "candidates": CANDIDATES,
        "hyper": {"candidates": [names[c] for c in hyper.columns],
                  "kappa": None if math.isinf(hyper.kappa) else hyper.kappa,
                  "grid": {h.label(names): round(s, 4) for h, s in zip(hypers, scores,
                                                                       strict=True)},
                  "inner_cv": f"{n_folds} folds of whole proposals"},
        "weights": {"all": table(fitted["all"]),
                    "groups": {g: table(w) for g, w in fitted["groups"].items()}},
        "group_sizes": sizes,
        "capability": capability,
    }


def write_fitted(dataset: str, out_dir: str | Path, *, capability: str = "gdp", seed: int = 0,
                 runs: int = 20, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Fit on ``dataset`` and write ``learned.json`` and ``calibration/intervals.json``."""
    from allegiance.io.deu import read_dataset
    from allegiance.io.yaml_format import write_atomic
    from allegiance.models.registry import MODELS
    from allegiance.validation.conformal import METHOD, calibrate, issue_info

    issues = scored(read_dataset(dataset, capability=capability))
    digest = hashlib.sha256(Path(dataset).read_bytes()).hexdigest()
    provenance = {"source": "DEU", "dataset": Path(dataset).name, "dataset_sha256": digest,
                  "issues": len(issues), "seed": seed,
                  "command": f"python -m allegiance.validation.fit {Path(dataset).name} "
                             f"--capability {capability} --runs {runs} --seed {seed}"}
    echo(f"candidates on {len(issues)} issues ({capability}) ...")
    X = candidate_matrix(issues, capability=capability, seed=seed)
    fitted = {**provenance, **fit_learned(issues, X, capability=capability)}
    echo("nested leave-one-proposal-out CV of the learned forecaster ...")
    learned, note = learned_predictions(issues, capability=capability, seed=seed, X=X)
    info = issue_info(issues)
    spread = np.array([info[s.issues[0].id][0] for s in issues])
    lows = np.array([info[s.issues[0].id][1] for s in issues])
    highs = np.array([info[s.issues[0].id][2] for s in issues])
    outcome = np.array([p.outcome for p in learned])
    models: dict[str, Any] = {}
    for name in MODELS:
        if name == "learned":
            preds = learned
        else:
            preds = predict(name, issues, capability=capability, runs=runs, seed=seed)[0]
        forecast = np.array([p.forecast if p.ok else np.nan for p in preds])
        entry = calibrate(forecast, outcome, spread, lows, highs)
        entry["mae"] = round(error_metrics(forecast, outcome)["mae"], 4)
        models[name] = {k: round(v, 6) if isinstance(v, float) else v for k, v in entry.items()}
        echo(f"  {name:10s} MAE {entry['mae']:6.2f}  q50 {entry['50']:.3f}  q80 "
             f"{entry['80']:.3f}")
    fitted["cross_validated_mae"] = round(float(np.mean([p.abs_error for p in learned])), 4)
    fitted["cross_validation"] = note
    calibration = {**provenance, "capability": capability, "method": METHOD,
                   "floor": 0.05, "levels": ["50", "80"],
                   "median_spread": round(float(np.median(spread)), 6), "models": models,
                   "residuals": "leave-one-proposal-out for learned; the models' own forecasts "
                                "(nothing fitted) for the others"}
    out = Path(out_dir)
    write_atomic(out / "learned.json", json.dumps(fitted, indent=1) + "\n")
    write_atomic(out / "calibration" / "intervals.json", json.dumps(calibration, indent=1) + "\n")
    echo(f"wrote {out / 'learned.json'} and {out / 'calibration' / 'intervals.json'}")
    return fitted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m allegiance.validation.fit",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="DEU data file (the development split)")
    parser.add_argument("--out-dir", default="src/allegiance/data")
    parser.add_argument("--capability", default="gdp")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--openings", action="store_true",
                        help="print the openings table (each variant by LOPO CV) instead")
    args = parser.parse_args(argv)
    try:
        if args.openings:
            from allegiance.io.deu import read_dataset

            issues = scored(read_dataset(args.dataset, capability=args.capability))
            X = candidate_matrix(issues, capability=args.capability, seed=args.seed)
            print(openings_markdown(openings(issues, X, seed=args.seed)), end="")
            return 0
        write_fitted(args.dataset, args.out_dir, capability=args.capability, seed=args.seed,
                     runs=args.runs)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
