"""Monte Carlo: run a model on many draws of a scenario's judgements and summarise the spread.

Draws (see :mod:`allegiance.uncertainty.sampling`) are cut into chunks of ``chunk_size`` and each
chunk goes through the model's batch axis in one call, on any executor
(:mod:`allegiance.uncertainty.executors`). The result holds, for ``runs`` draws:

- per issue, the forecast outcome of every draw: quantiles, histogram, mean and its Monte Carlo
  standard error ``sd / √n``;
- per actor and issue, the distribution of the final (last-round) positions;
- per named coalition: the probability that it is *winning* and, for each member, the probability
  that the member *gains by joining* (see :func:`coalition_verdicts`), each with its standard
  error ``√(p (1 - p) / n)``.

Convergence: the *headline figures* are each issue's mean outcome (its standard error taken as a
fraction of the issue's scale width) and every coalition probability; ``until_se`` stops at the
first chunk after which every headline standard error is at most ``until_se`` (and at least
``min_runs`` draws are in), ``runs`` being then a ceiling. Chunks are consumed in order, so the
stopping point, like every number, depends only on the seed — not on the executor or its workers.

The random stream of a stochastic model is seeded per chunk from the seed and the chunk's first
draw index, so for stochastic models the result also depends on ``chunk_size`` (recorded).

Example
-------
>>> from allegiance.scenario.model import Scenario
>>> scenario = Scenario.model_validate({
...     "id": "toy", "title": "Toy", "issues": [{"id": "x", "name": "X"}],
...     "actors": [
...         {"id": "a", "name": "A", "capability": 1, "issues": {"x": {"position": 20,
...          "salience": 0.5}}},
...         {"id": "b", "name": "B", "capability": 2, "issues": {"x": {"position": 80,
...          "salience": 1}}}],
...     "coalitions": {"ab": {"members": ["a", "b"]}}})
>>> result = run_montecarlo(scenario, "mean", runs=500, seed=1)
>>> result.runs, result.outcomes.shape
(500, (500, 1))
>>> float(result.coalition_summary()["ab"]["p_winning"])
1.0
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allegiance.models.base import Model, ParameterError, as_generator
from allegiance.models.registry import make_model
from allegiance.scenario.model import Scenario
from allegiance.uncertainty.chunks import ChunkResult, ChunkTask, DrawError, run_chunk
from allegiance.uncertainty.executors import Executor, LocalExecutor
from allegiance.uncertainty.sampling import GradeWidths, Sampler
from allegiance.uncertainty.verdicts import (
    COALITION_RULE,
    DEFAULT_QUOTA,
    Quota,
    coalition_verdicts,
    parse_quota,
)
from allegiance.version import __version__

__all__ = [
    "DEFAULT_QUOTA", "DrawError", "MonteCarloResult", "Quota", "coalition_verdicts",
    "headline_se", "named_coalitions", "parse_quota", "resolve_model", "resolve_seed",
    "run_montecarlo",
]


QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


HISTOGRAM_BINS = 20


def _prob_se(p: np.ndarray, n: int) -> np.ndarray:
    return np.sqrt(np.clip(p * (1 - p), 0, None) / max(n, 1))


@dataclass
class MonteCarloResult:
    """The draws' outcomes with their provenance; summaries are computed on demand."""

    scenario: Scenario
    model: Model
    seed: int
    chunk_size: int
    quota: Quota
    grade_widths: GradeWidths
    outcomes: np.ndarray  # (runs, n_issues)
    final_positions: np.ndarray  # (runs, n_actors, n_issues)
    coalitions: dict[str, list[str]]
    winning: np.ndarray  # (runs, n_coalitions)
    share: np.ndarray  # (runs, n_coalitions)
    gains: list[np.ndarray]
    baseline: np.ndarray  # (n_issues,) the model's forecast with every estimate at its value
    until_se: float | None = None
    requested_runs: int = 0
    executor: dict[str, Any] = field(default_factory=dict)
    quantile_levels: tuple[float, ...] = QUANTILES

    def __repr__(self) -> str:
        return (f"MonteCarloResult(scenario={self.scenario.id!r}, model={self.model.name!r}, "
                f"runs={self.outcomes.shape[0]}, seed={self.seed}, "
                f"coalitions={list(self.coalitions)})")

    @property
    def runs(self) -> int:
        return int(self.outcomes.shape[0])

    def to_frame(self, what: str = "outcomes"):
        """Long table (pandas) of every draw: ``what="outcomes"`` — ``draw, issue, outcome``;
        ``"positions"`` — ``draw, actor, issue, position`` (final positions, actors present);
        ``"coalitions"`` — ``draw, coalition, share, winning``."""
        from allegiance.frames import frame

        issues = np.asarray(self.scenario.issue_ids, dtype=object)
        if what == "outcomes":
            draw, k = np.indices(self.outcomes.shape).reshape(2, -1)
            return frame({"draw": draw, "issue": issues[k], "outcome": self.outcomes.ravel()})
        if what == "positions":
            present = self.scenario.to_arrays().present
            draw, a, k = np.nonzero(np.broadcast_to(present, self.final_positions.shape))
            actors = np.asarray(self.scenario.actor_ids, dtype=object)
            return frame({"draw": draw, "actor": actors[a], "issue": issues[k],
                          "position": self.final_positions[draw, a, k]})
        if what == "coalitions":
            draw, c = np.indices(self.winning.shape).reshape(2, -1)
            names = np.asarray(list(self.coalitions), dtype=object)
            return frame({"draw": draw, "coalition": names[c], "share": self.share.ravel(),
                          "winning": self.winning.ravel()})
        raise ValueError(f"what must be outcomes, positions or coalitions; got {what!r}")

    # ------------------------------------------------------------------ summaries
    def model_intervals(self) -> list[dict[str, Any] | None]:
        """The model's calibrated interval around the forecast at the estimates' values ("how
        wrong this model has been"), kept apart from the draws' spread ("how unsure the inputs
        are"); see :mod:`allegiance.models.intervals`."""
        from allegiance.forecast import _has_default_parameters, calibrated_on
        from allegiance.models.intervals import model_intervals

        return model_intervals(self.model.name, self.baseline, self.scenario.to_arrays(),
                               from_dataset=calibrated_on(self.scenario),
                               default_parameters=_has_default_parameters(self.model))

    def issue_summary(self) -> dict[str, dict[str, Any]]:
        n = self.runs
        summary = {}
        intervals = self.model_intervals()
        for k, issue in enumerate(self.scenario.issues):
            values = self.outcomes[:, k]
            sd = float(values.std(ddof=1)) if n > 1 else 0.0
            low, high = issue.scale
            counts, edges = np.histogram(values, bins=HISTOGRAM_BINS, range=(low, high))
            summary[issue.id] = {
                "name": issue.name, "scale": [low, high],
                "baseline": float(self.baseline[k]),
                "mean": float(values.mean()), "sd": sd, "se": sd / np.sqrt(max(n, 1)),
                "quantiles": {f"{q:g}": float(v) for q, v in
                              zip(self.quantile_levels, np.quantile(values, self.quantile_levels),
                                  strict=True)},
                "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
                "model_interval": intervals[k],
            }
        return summary

    def actor_summary(self) -> dict[str, dict[str, dict[str, Any]]]:
        present = self.scenario.to_arrays().present
        summary: dict[str, dict[str, dict[str, Any]]] = {}
        quantiles = np.quantile(self.final_positions, self.quantile_levels, axis=0)
        means = self.final_positions.mean(axis=0)
        for a, actor in enumerate(self.scenario.actor_ids):
            summary[actor] = {
                issue: {"mean": float(means[a, k]),
                        "quantiles": {f"{q:g}": float(quantiles[i, a, k])
                                      for i, q in enumerate(self.quantile_levels)}}
                for k, issue in enumerate(self.scenario.issue_ids) if present[a, k]
            }
        return summary

    def coalition_summary(self) -> dict[str, dict[str, Any]]:
        n = self.runs
        summary = {}
        for c, (name, members) in enumerate(self.coalitions.items()):
            p_win = float(self.winning[:, c].mean()) if n else float("nan")
            p_gain = self.gains[c].mean(axis=0) if n else np.full(len(members), np.nan)
            summary[name] = {
                "members": members,
                "share_mean": float(self.share[:, c].mean()) if n else float("nan"),
                "p_winning": p_win, "se_winning": float(_prob_se(np.array(p_win), n)),
                "p_gains": {m: float(p) for m, p in zip(members, p_gain, strict=True)},
                "se_gains": {m: float(s) for m, s in
                             zip(members, _prob_se(p_gain, n), strict=True)},
            }
        return summary

    def headline_se(self) -> dict[str, float]:
        """Standard error of each headline figure (issue means as a fraction of the scale)."""
        return headline_se(self.scenario, self.outcomes, self.winning, self.gains,
                           self.coalitions)

    # ------------------------------------------------------------------ serialisation
    def provenance(self) -> dict[str, Any]:
        scenario = self.scenario
        return {
            "allegiance_version": __version__,
            "scenario": {"id": scenario.id, "title": scenario.title,
                         "content_hash": scenario.content_hash(),
                         "as_of": scenario.derived.get("as_of"),
                         "variant": scenario.derived.get("variant")},
            "model": {"name": self.model.name, "parameters": self.model.get_params()},
            "seed": self.seed, "runs": self.runs, "requested_runs": self.requested_runs,
            "until_se": self.until_se, "chunk_size": self.chunk_size,
            "grade_widths": self.grade_widths.to_dict(), "quota": self.quota.description,
            "coalition_rule": COALITION_RULE, "executor": self.executor,
        }

    def to_dict(self) -> dict[str, Any]:
        from allegiance.forecast import jsonable

        return jsonable({
            "kind": "montecarlo", **self.provenance(),
            "issues": self.issue_summary(),
            "actors": self.actor_summary(),
            "coalitions": self.coalition_summary(),
            "headline_se": self.headline_se(),
        })


def headline_se(scenario: Scenario, outcomes: np.ndarray, winning: np.ndarray,
                gains: list[np.ndarray], coalitions: Mapping[str, Sequence[str]]
                ) -> dict[str, float]:
    """Standard error of each headline figure after ``n`` draws (see the module docstring)."""
    n = outcomes.shape[0]
    figures: dict[str, float] = {}
    if n < 2:
        return figures
    span = np.array([i.scale[1] - i.scale[0] for i in scenario.issues])
    se = outcomes.std(axis=0, ddof=1) / np.sqrt(n) / span
    for k, issue in enumerate(scenario.issue_ids):
        figures[f"mean {issue}"] = float(se[k])
    for c, (name, members) in enumerate(coalitions.items()):
        figures[f"P(winning) {name}"] = float(_prob_se(winning[:, c].mean(), n))
        for member, p in zip(members, gains[c].mean(axis=0), strict=True):
            figures[f"P(gains) {name}: {member}"] = float(_prob_se(p, n))
    return figures


def resolve_model(scenario: Scenario, model: str | Model, params: Mapping[str, Any]) -> Model:
    """A model instance: the scenario's stored parameters for it, overridden by ``params``."""
    if isinstance(model, Model):
        if params:
            raise ParameterError("give parameters to the model instance, not here")
        return model
    defaults = dict(scenario.model_parameters.get(model.lower(), {}))
    defaults.update(params)
    return make_model(model, **defaults)


def resolve_seed(scenario: Scenario, seed: int | None) -> int:
    if seed is None:
        seed = scenario.seed
    if seed is None:
        seed = secrets.randbits(63)  # drawn once and recorded, so the run can be repeated
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"seed must be >= 0; got {seed}")
    return seed


def named_coalitions(
    scenario: Scenario, extra: Mapping[str, Sequence[str]] | None = None
) -> tuple[dict[str, list[str]], dict[str, list[int]]]:
    """The scenario's named coalitions plus ``extra`` ones: members by id and by actor index.

    Raises KeyError naming any unknown member.
    """
    named = {name: list(c.members) for name, c in scenario.coalitions.items()}
    for name, members in (extra or {}).items():
        named[name] = list(members)
    index = {actor: a for a, actor in enumerate(scenario.actor_ids)}
    for name, members in named.items():
        unknown = [m for m in members if m not in index]
        if unknown:
            raise KeyError(f"coalition {name!r}: unknown actor(s) {', '.join(unknown)}")
    return named, {name: [index[m] for m in members] for name, members in named.items()}


def run_montecarlo(
    scenario: Scenario,
    model: str | Model = "mean",
    *,
    runs: int = 1000,
    seed: int | None = None,
    until_se: float | None = None,
    min_runs: int = 200,
    chunk_size: int = 1024,
    executor: Executor | None = None,
    grade_widths: GradeWidths | Mapping[str, Any] | None = None,
    quota: str | float | Quota | None = DEFAULT_QUOTA,
    coalitions: Mapping[str, Sequence[str]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    **params: Any,
) -> MonteCarloResult:
    """Run ``model`` on ``runs`` draws of ``scenario`` and return a :class:`MonteCarloResult`.

    ``coalitions`` adds (or replaces) coalitions by name, besides the scenario's named ones.
    ``progress(done, total)`` is called after each chunk. ``params`` go to the model.
    """
    runs = int(runs)
    if runs < 1:
        raise ValueError(f"runs must be >= 1; got {runs}")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk size must be >= 1; got {chunk_size}")
    if until_se is not None and not until_se > 0:
        raise ValueError(f"--until-se must be > 0; got {until_se}")
    quota = parse_quota(quota)
    chunk_size = int(chunk_size)
    model_obj = resolve_model(scenario, model, params)
    seed = resolve_seed(scenario, seed)
    sampler = Sampler(scenario, grade_widths)
    named, member_index = named_coalitions(scenario, coalitions)
    task = ChunkTask(sampler=sampler, model=model_obj, seed=seed, quota=quota,
                     coalitions=member_index)
    ranges = [(start, min(start + chunk_size, runs)) for start in range(0, runs, chunk_size)]
    own = executor is None
    executor = executor or LocalExecutor()
    pieces: list[ChunkResult] = []
    done = 0
    try:
        for piece in executor.imap(run_chunk, task, ranges):
            pieces.append(piece)
            done = piece.stop
            if progress is not None:
                progress(done, runs)
            if until_se is not None and done >= min(min_runs, runs) and done < runs:
                figures = headline_se(
                    scenario, np.concatenate([p.outcome for p in pieces]),
                    np.concatenate([p.winning for p in pieces]),
                    [np.concatenate([p.gains[c] for p in pieces]) for c in range(len(named))],
                    named)
                if figures and max(figures.values()) <= until_se:
                    break
        described = executor.describe()
    finally:
        if own:
            executor.close()
    baseline = model_obj.run(scenario.to_arrays(), random_state=as_generator(
        np.random.SeedSequence(seed, spawn_key=(2,)))).outcome
    n_coalitions = len(named)
    return MonteCarloResult(
        scenario=scenario, model=model_obj, seed=seed, chunk_size=chunk_size,
        quota=quota, grade_widths=sampler.grade_widths,
        outcomes=np.concatenate([p.outcome for p in pieces]),
        final_positions=np.concatenate([p.final for p in pieces]),
        coalitions={name: list(members) for name, members in named.items()},
        winning=(np.concatenate([p.winning for p in pieces]) if n_coalitions
                 else np.zeros((done, 0), dtype=bool)),
        share=(np.concatenate([p.share for p in pieces]) if n_coalitions
               else np.zeros((done, 0))),
        gains=[np.concatenate([p.gains[c] for p in pieces]) for c in range(n_coalitions)],
        baseline=np.asarray(baseline, dtype=float),
        until_se=until_se, requested_runs=runs, executor=described,
    )
