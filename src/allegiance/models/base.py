"""The interface every forecasting model implements.

A model is a small class in the scikit-learn mould: parameters go to the constructor, where they
are validated; one method, :meth:`Model.run`, turns
:class:`~allegiance.scenario.arrays.ScenarioArrays`
into a :class:`ModelResult`; results are plain arrays. Models never read files, print, or touch the
CLI; everything a model needs arrives as arrays, and randomness arrives as ``random_state``.

Batching: ``arrays.position`` has shape ``(*batch, n_actors, n_issues)``. ``run`` accepts any batch
shape (including none) and returns ``positions`` of shape
``(*batch, n_rounds + 1, n_actors, n_issues)``
and ``outcome`` of shape ``(*batch, n_issues)``. Events and explanations are only produced for an
unbatched run (they describe one trajectory).
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from allegiance.scenario.arrays import ScenarioArrays


class ParameterError(ValueError):
    """A model parameter has an invalid value; the message says which and why."""


@dataclass
class ExplainTable:
    """A table that explains a result to an analyst (rendered by the CLI and reports)."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class ModelResult:
    """What a model returns.

    Attributes
    ----------
    positions:
        ``(*batch, n_rounds + 1, n_actors, n_issues)``; index 0 is the input. Runs in a batch that
        stop early repeat their last positions to the common length.
    outcome:
        ``(*batch, n_issues)`` the forecast of each issue.
    outcome_statistic:
        Plain words on which statistic ``outcome`` is (e.g. "weighted median of final positions").
    n_rounds:
        ``(*batch,)`` integer array, the rounds each run actually took.
    events:
        One dict per event (unbatched runs): keys ``round, issue, actor, counterpart, kind, from,
        to, detail``; ``issue`` and ``actor``/``counterpart`` are ids; ``from``/``to`` may be
        numbers or, for multi-issue moves, ``{issue_id: value}`` mappings.
    explain:
        Tables explaining the last round (unbatched runs).
    extra:
        Model-specific arrays (e.g. per-round median and mean), keyed by name.
    degenerate:
        ``(*batch, n_issues)`` True where the model found no solution and ``outcome`` is its
        fallback (None: the model never falls back); ``degenerate_reason`` says why, in plain
        words. :mod:`allegiance.models.diagnostics` turns this into warnings.
    """

    positions: np.ndarray
    outcome: np.ndarray
    outcome_statistic: str
    n_rounds: np.ndarray
    events: list[dict[str, Any]] = field(default_factory=list)
    explain: list[ExplainTable] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    degenerate: np.ndarray | None = None
    degenerate_reason: str = ""

    def __repr__(self) -> str:
        shape = "x".join(str(n) for n in self.positions.shape)
        return (f"ModelResult(positions: {shape} array, n_rounds={np.max(self.n_rounds)}, "
                f"outcome={np.array2string(np.asarray(self.outcome), precision=4, threshold=12)}"
                f", {len(self.events)} event(s))")


class Model(ABC):
    """Base class: subclasses set ``name``, ``summary`` and implement ``__init__`` and ``run``.

    ``__init__`` takes keyword parameters only, stores each under its own name and validates it
    (raise :class:`ParameterError`). :meth:`get_params` returns them, which is what a forecast
    records.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    #: True when the model draws random numbers (then ``random_state`` matters).
    stochastic: ClassVar[bool] = False
    #: True when the model treats issues jointly (otherwise it runs each issue on its own).
    multi_issue: ClassVar[bool] = False

    @classmethod
    def param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            p.name
            for p in signature.parameters.values()
            if p.name != "self" and p.kind is p.KEYWORD_ONLY
        ]

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.param_names()}

    @abstractmethod
    def run(
        self,
        arrays: ScenarioArrays,
        random_state: int | np.random.Generator | None = None,
    ) -> ModelResult:
        """Compute the forecast for ``arrays`` (any batch shape)."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def check_choice(name: str, value: Any, choices: tuple[Any, ...] | list[Any]) -> Any:
    """Validate that ``value`` is one of ``choices`` (case-insensitive for strings)."""
    if isinstance(value, str):
        for choice in choices:
            if isinstance(choice, str) and choice.lower() == value.lower():
                return choice
    elif value in choices:
        return value
    raise ParameterError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
) -> Any:
    """Validate a numeric parameter against optional inclusive bounds."""
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        kind = "an integer" if integer else "a number"
        raise ParameterError(f"{name} must be {kind}; got {value!r}") from None
    if integer and float(value) != number:
        raise ParameterError(f"{name} must be an integer; got {value!r}")
    if low is not None and number < low:
        raise ParameterError(f"{name} must be >= {low}; got {value!r}")
    if high is not None and number > high:
        raise ParameterError(f"{name} must be <= {high}; got {value!r}")
    return number


def as_generator(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """A NumPy Generator from a seed, a Generator (passed through) or None (fresh entropy)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def per_issue(model: Model, arrays: ScenarioArrays, random_state=None) -> ModelResult:
    """Run a single-issue model on every issue independently and stack the results.

    Each issue is run with only the actors present on it; absent actors keep their input position
    in ``positions``. Rounds are padded to the longest issue by repeating the last positions.
    """
    rng = as_generator(random_state)
    batch = arrays.batch_shape
    results = []
    for k in range(arrays.n_issues):
        results.append(model.run_issue(arrays.issue(k), rng))  # type: ignore[attr-defined]
    length = max(r.positions.shape[-3] for r in results)
    positions = np.repeat(arrays.position[..., None, :, :], length, axis=-3).copy()
    outcome = np.empty((*batch, arrays.n_issues))
    n_rounds = np.zeros(batch, dtype=int)
    events: list[dict[str, Any]] = []
    explain: list[ExplainTable] = []
    extra: dict[str, Any] = {}
    for k, result in enumerate(results):
        keep = arrays.present[:, k]
        traj = result.positions[..., 0]  # (*batch, rounds, n_present)
        pad = length - traj.shape[-2]
        if pad:
            traj = np.concatenate([traj, np.repeat(traj[..., -1:, :], pad, axis=-2)], axis=-2)
        positions[..., :, keep, k] = traj
        outcome[..., k] = result.outcome[..., 0]
        n_rounds = np.maximum(n_rounds, result.n_rounds)
        events.extend(result.events)
        explain.extend(result.explain)
        for key, value in result.extra.items():
            extra.setdefault(key, {})[arrays.issue_ids[k]] = value
    return ModelResult(
        positions=positions,
        outcome=outcome,
        outcome_statistic=results[0].outcome_statistic if results else "",
        n_rounds=n_rounds,
        events=events,
        explain=explain,
        extra=extra,
    )
