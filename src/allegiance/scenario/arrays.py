"""The numeric view of a scenario that every model consumes.

A :class:`ScenarioArrays` holds the actors' positions, saliences and capabilities as NumPy arrays
of shape ``(*batch, n_actors, n_issues)``. The batch axes come first so that a model can run many
Monte Carlo draws of the same scenario in one call; a plain scenario has an empty batch shape.

Example
-------
>>> import numpy as np
>>> arrays = ScenarioArrays(
...     actor_ids=("a", "b"), issue_ids=("x",),
...     position=np.array([[0.0], [100.0]]), salience=np.array([[1.0], [0.5]]),
...     capability=np.array([[1.0], [2.0]]),
...     scale_low=np.array([0.0]), scale_high=np.array([100.0]),
... )
>>> arrays.n_actors, arrays.n_issues, arrays.batch_shape
(2, 1, ())
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class ScenarioArrays:
    """Positions, saliences and capabilities of every actor on every issue.

    Attributes
    ----------
    actor_ids, issue_ids:
        Row and column labels.
    position:
        ``(*batch, n_actors, n_issues)`` positions on each issue's own scale.
    salience:
        ``(*batch, n_actors, n_issues)`` in [0, 1]. An actor absent from an issue has salience 0.
    capability:
        ``(*batch, n_actors, n_issues)`` capability (>= 0), per-issue overrides already applied.
    scale_low, scale_high:
        ``(n_issues,)`` ends of each issue's scale.
    status_quo:
        ``(n_issues,)`` reference point of each issue, NaN where the scenario gives none.
    present:
        ``(n_actors, n_issues)`` True where the actor takes a position on the issue.
    issue_metadata:
        One mapping per issue: what the scenario records about it besides the stances (e.g. a
        DEU issue's legislative ``procedure`` and Council ``voting_rule``). Models that condition
        on what is known before the outcome read it; empty mappings when not given.
    """

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    position: np.ndarray
    salience: np.ndarray
    capability: np.ndarray
    scale_low: np.ndarray
    scale_high: np.ndarray
    status_quo: np.ndarray = field(default=None)  # type: ignore[assignment]
    present: np.ndarray = field(default=None)  # type: ignore[assignment]
    issue_metadata: tuple[dict, ...] = field(default=None, compare=False,  # type: ignore
                                             repr=False)

    def __post_init__(self) -> None:
        n_actors, n_issues = len(self.actor_ids), len(self.issue_ids)
        for name in ("position", "salience", "capability"):
            value = np.asarray(getattr(self, name), dtype=float)
            if value.ndim < 2 or value.shape[-2:] != (n_actors, n_issues):
                raise ValueError(
                    f"{name} must have shape (*batch, {n_actors}, {n_issues}), got {value.shape}"
                )
            object.__setattr__(self, name, value)
        shapes = {np.shape(self.position)[:-2], np.shape(self.salience)[:-2],
                  np.shape(self.capability)[:-2]}
        batch = np.broadcast_shapes(*shapes)
        for name in ("position", "salience", "capability"):
            object.__setattr__(
                self, name, np.broadcast_to(getattr(self, name), (*batch, n_actors, n_issues))
            )
        object.__setattr__(self, "scale_low", np.asarray(self.scale_low, dtype=float))
        object.__setattr__(self, "scale_high", np.asarray(self.scale_high, dtype=float))
        if self.status_quo is None:
            object.__setattr__(self, "status_quo", np.full(n_issues, np.nan))
        else:
            object.__setattr__(self, "status_quo", np.asarray(self.status_quo, dtype=float))
        if self.present is None:
            object.__setattr__(self, "present", np.ones((n_actors, n_issues), dtype=bool))
        else:
            object.__setattr__(self, "present", np.asarray(self.present, dtype=bool))
        if self.issue_metadata is None:
            object.__setattr__(self, "issue_metadata", tuple({} for _ in range(n_issues)))

    @property
    def n_actors(self) -> int:
        return len(self.actor_ids)

    @property
    def n_issues(self) -> int:
        return len(self.issue_ids)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return tuple(self.position.shape[:-2])

    @property
    def weight(self) -> np.ndarray:
        """Capability × salience, the effective weight of each actor on each issue."""
        return self.capability * self.salience

    def issue(self, index: int) -> ScenarioArrays:
        """The single-issue arrays of issue ``index``, keeping only the actors present on it."""
        keep = self.present[:, index]
        ids = tuple(a for a, k in zip(self.actor_ids, keep, strict=True) if k)
        take = (..., keep, slice(index, index + 1))
        return ScenarioArrays(
            actor_ids=ids,
            issue_ids=(self.issue_ids[index],),
            position=self.position[take],
            salience=self.salience[take],
            capability=self.capability[take],
            scale_low=self.scale_low[index : index + 1],
            scale_high=self.scale_high[index : index + 1],
            status_quo=self.status_quo[index : index + 1],
            present=self.present[keep][:, index : index + 1],
            issue_metadata=self.issue_metadata[index : index + 1],
        )

    def with_batch(self, position=None, salience=None, capability=None) -> ScenarioArrays:
        """A copy whose arrays are replaced (typically by batched Monte Carlo draws)."""
        return replace(
            self,
            position=self.position if position is None else position,
            salience=self.salience if salience is None else salience,
            capability=self.capability if capability is None else capability,
        )

    def take(self, index) -> ScenarioArrays:
        """Select along the batch axes (``arrays.take(3)`` is the fourth draw)."""
        return self.with_batch(
            position=self.position[index],
            salience=self.salience[index],
            capability=self.capability[index],
        )
