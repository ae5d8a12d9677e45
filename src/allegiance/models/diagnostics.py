"""Plain-language warnings about a model result that should not be read at face value.

One place checks every model's result the same way, from what every result has (positions by
round) and what a model reports about itself (``ModelResult.degenerate``):

- **cycles**: the last rounds repeat with a period of 2 to 4 rounds instead of settling, so the
  forecast depends on when the run is stopped (an odd or an even ``--rounds``);
- **still moving**: positions moved by more than 5% of the scale in the last round;
- **degenerate**: the model found no solution and returned its fallback (e.g. Nash bargaining
  where no outcome beats the status quo for every actor: the status quo);
- **nobody cares**: no actor attaches any salience to an issue, so no model has anything to
  weigh and the forecast is the fallback every model uses, the unweighted average of positions.

Example
-------
>>> import numpy as np
>>> from allegiance.models.base import ModelResult
>>> path = np.array([0.0, 10.0, 0.0, 10.0, 0.0]).reshape(5, 1, 1)
>>> result = ModelResult(positions=path, outcome=np.array([0.0]), outcome_statistic="",
...                      n_rounds=np.array(4))
>>> [text] = diagnose(result, scale=[(0, 100)], issue_names=["tax"], actor_names=["A"]).warnings
>>> text.split(";")[0]
'positions on "tax" cycle every 2 rounds instead of settling (A: 10 ↔ 0)'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allegiance.models.base import ModelResult

__all__ = ["Diagnosis", "diagnose"]

#: periods (in rounds) of the cycles looked for
PERIODS = (2, 3, 4)
#: a position "still moves" when its last change exceeds this share of the scale
MOVING = 0.05
#: positions closer than this share of the scale are the same
SAME = 1e-6


@dataclass
class Diagnosis:
    """``warnings``: sentences for a person; ``cycling``: ``(n_actors, n_issues)`` True where the
    actor's position takes part in a cycle."""

    warnings: list[str]
    cycling: np.ndarray


def _number(value: float) -> str:
    return f"{value:.4g}"


def diagnose(result: ModelResult, *, scale, issue_names, actor_names, present=None,
             salience=None) -> Diagnosis:
    """Warnings about an unbatched ``result``.

    ``scale``: ``(low, high)`` per issue; ``present`` and ``salience``: ``(n_actors, n_issues)``
    (optional; with them, issues no present actor cares about are reported).
    """
    positions = np.asarray(result.positions, dtype=float)
    n_states, n_actors, n_issues = positions.shape
    span = np.array([high - low for low, high in scale], dtype=float)
    same = SAME * span
    cycling = np.zeros((n_actors, n_issues), dtype=bool)
    warnings: list[str] = []
    for k, issue in enumerate(issue_names):
        members = (np.arange(n_actors) if present is None
                   else np.flatnonzero(np.asarray(present)[:, k]))
        track = positions[:, members, k]  # actors without a stance on the issue are not checked
        if n_states >= 3 and members.size:
            settled = np.all(np.abs(track[-1] - track[-2]) <= same[k])
            period = next((p for p in PERIODS if n_states >= 2 * p and np.all(
                np.abs(track[-p:] - track[-2 * p:-p]) <= same[k])), None)
            if period is not None and not settled:
                tail = track[-period:]
                moving = np.flatnonzero(tail.max(axis=0) - tail.min(axis=0) > same[k])
                cycling[members[moving], k] = True
                who = "; ".join(f"{actor_names[members[a]]}: "
                                + " ↔ ".join(_number(v) for v in tail[:, a])
                                for a in moving[:3])
                more = f"; and {len(moving) - 3} more" if len(moving) > 3 else ""
                warnings.append(
                    f'positions on "{issue}" cycle every {period} rounds instead of settling '
                    f"({who}{more}); the forecast depends on the number of rounds")
            elif not settled:
                step = float(np.max(np.abs(track[-1] - track[-2])))
                if step > MOVING * span[k]:
                    warnings.append(
                        f'positions on "{issue}" were still moving after {n_states - 1} rounds '
                        f"(by up to {_number(step)} in the last one): more rounds may change "
                        "the forecast")
        if result.degenerate is not None and bool(np.asarray(result.degenerate)[k]):
            warnings.append(f'no solution on "{issue}": {result.degenerate_reason}')
        if salience is not None:
            cares = np.asarray(salience)[:, k] * (1 if present is None else present[:, k])
            if not np.any(cares > 0):
                warnings.append(
                    f'no actor attaches any salience to "{issue}": the forecast is the '
                    "fallback (the unweighted average of the positions), not a result of the "
                    "model")
    return Diagnosis(warnings, cycling)
