"""What would it take: the fewest, cheapest changes to a scenario's estimates that make a coalition
win on every issue, hold together (every member gains by joining) and draw the forecast to its
agreed position.

- :mod:`~allegiance.levers.space`: which estimates may move, their bounds and the cost of a move
  (``ranges``, ``grades`` or ``free``);
- :mod:`~allegiance.levers.conditions`: the coalition layer's conditions on batches of candidates;
- :mod:`~allegiance.levers.exact`: the mixed-integer programme for winning (capabilities);
- :mod:`~allegiance.levers.search`: the seeded batched search for the full question;
- :mod:`~allegiance.levers.analysis`: :func:`levers`, the answer and its re-check;
- :mod:`~allegiance.levers.briefing`: the answer as a JSON-able dict and plain sentences.

The method is described in ``docs/levers.md``. This package module stays light (SciPy's
optimisers load on the first call), because ``import allegiance`` imports it.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "LeverChange": "analysis", "LeverSolution": "analysis", "LeversResult": "analysis",
    "apply_changes": "analysis", "levers_briefing": "briefing",
}

__all__ = ["LeverChange", "LeverSolution", "LeversResult", "apply_changes", "levers",
           "levers_briefing"]


def levers(scenario, coalition, **options: Any):
    """What would it take for ``coalition`` to win, hold and draw the forecast?

    See :func:`allegiance.levers.analysis.levers` for the parameters and ``docs/levers.md``.
    """
    from allegiance.levers.analysis import levers as run

    return run(scenario, coalition, **options)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"allegiance.levers.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'allegiance.levers' has no attribute {name!r}")
