"""Blocs: groups of actors whose final forecast positions lie close together.

**Blocs** are groups of actors whose (final) positions lie within a tolerance of each other: on
one issue, consecutive positions at most ``tolerance × scale width`` apart chain into one bloc
(single linkage); across issues, two actors are linked when they are within the tolerance on
every issue where both are present. Each bloc reports its diameter, so chaining is visible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components

from allegiance.models.base import ParameterError


@dataclass
class Bloc:
    """Actors whose positions lie within the tolerance of each other (single linkage)."""

    members: tuple[int, ...]
    labels: tuple[str, ...]
    issue: str | None  # None: across all issues
    center: dict[str, float] = field(default_factory=dict)  # mean position per issue
    diameter: dict[str, float] = field(default_factory=dict)  # max - min per issue

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["members"] = list(self.members)
        data["labels"] = list(self.labels)
        return data


def _final_positions(result, arrays, hint: str = "") -> np.ndarray:
    """Final positions ``(n_actors, n_issues)`` of a ModelResult, Forecast or array, checked
    against the shape of ``arrays`` (``hint`` ends the message when they do not match)."""
    if hasattr(result, "positions"):
        positions = result.positions
        positions = positions() if callable(positions) else positions
        positions = np.asarray(positions, dtype=float)
        if positions.ndim >= 3:
            positions = positions[..., -1, :, :]
    else:
        positions = np.asarray(result, dtype=float)
    if positions.shape != (arrays.n_actors, arrays.n_issues):
        raise ParameterError(
            f"final positions must be (n_actors, n_issues) = {(arrays.n_actors, arrays.n_issues)};"
            f" got {positions.shape}{hint}"
        )
    return positions


def _check_tolerance(tolerance: float) -> float:
    try:
        value = float(tolerance)
    except (TypeError, ValueError):
        raise ParameterError(f"tolerance must be a number; got {tolerance!r}") from None
    if not 0 <= value <= 1:
        raise ParameterError(f"tolerance is a share of the scale width in [0, 1]; got {value!r}")
    return value


def _bloc_from(members, labels, issue, positions, issue_ids, present) -> Bloc:
    center, diameter = {}, {}
    for k, issue_id in enumerate(issue_ids):
        here = [i for i in members if present[i, k]]
        if here:
            values = positions[here, k]
            center[issue_id] = float(values.mean())
            diameter[issue_id] = float(values.max() - values.min())
    return Bloc(tuple(members), tuple(labels[i] for i in members), issue, center, diameter)


def blocs(
    result, arrays, *, tolerance: float = 0.05, min_size: int = 2,
) -> dict[str, list[Bloc]]:
    """Per issue, the blocs of actors whose final positions chain within ``tolerance``.

    ``result`` is a :class:`~allegiance.models.base.ModelResult` (its last round is used), a
    Forecast, or a ``(n_actors, n_issues)`` array of positions; ``arrays`` the
    :class:`~allegiance.scenario.arrays.ScenarioArrays` it came from (labels, scales, presence).
    ``tolerance`` is a share of each issue's scale width. Blocs smaller than ``min_size`` (lone
    actors) are omitted. Largest blocs first.
    """
    tolerance = _check_tolerance(tolerance)
    positions = _final_positions(result, arrays, " (select one batch item first)")
    width = arrays.scale_high - arrays.scale_low
    out: dict[str, list[Bloc]] = {}
    for k, issue_id in enumerate(arrays.issue_ids):
        present = np.flatnonzero(arrays.present[:, k])
        order = present[np.argsort(positions[present, k], kind="stable")]
        gaps = np.diff(positions[order, k]) > tolerance * width[k] + 1e-12 * width[k]
        labels_of_group = np.concatenate([[0], np.cumsum(gaps)]) if order.size else np.array([])
        found = []
        for g in np.unique(labels_of_group):
            members = sorted(int(i) for i in order[labels_of_group == g])
            if len(members) >= min_size:
                found.append(_bloc_from(members, arrays.actor_ids, issue_id, positions,
                                        arrays.issue_ids, arrays.present))
        found.sort(key=lambda b: (-len(b.members), b.members))
        out[issue_id] = found
    return out


def blocs_across_issues(
    result, arrays, *, tolerance: float = 0.05, min_size: int = 2,
) -> list[Bloc]:
    """Blocs across all issues: actors linked when within ``tolerance`` on every shared issue.

    Two actors are linked when, on every issue where both are present, their final positions are
    at most ``tolerance × scale width`` apart (and they share at least one issue); blocs are the
    connected components of that graph. Largest first.
    """
    tolerance = _check_tolerance(tolerance)
    positions = _final_positions(result, arrays)
    width = np.where(arrays.scale_high > arrays.scale_low, arrays.scale_high - arrays.scale_low,
                     1.0)
    scaled = positions / width
    both = arrays.present[:, None, :] & arrays.present[None, :, :]
    distance = np.abs(scaled[:, None, :] - scaled[None, :, :])
    close = np.where(both, distance <= tolerance + 1e-12, True).all(axis=-1) & both.any(axis=-1)
    _, component = connected_components(close, directed=False)
    found = []
    for g in np.unique(component):
        members = [int(i) for i in np.flatnonzero(component == g)]
        if len(members) >= min_size:
            found.append(_bloc_from(members, arrays.actor_ids, None, positions,
                                    arrays.issue_ids, arrays.present))
    found.sort(key=lambda b: (-len(b.members), b.members))
    return found
