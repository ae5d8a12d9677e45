"""Results as pandas DataFrames: the one place pandas is imported (lazily, on first use).

Every result object's ``to_frame()`` builds its long table with :func:`frame` (rows or columns
with labelled names: actor, issue, round, draw...), so that importing Allegiance or running a
forecast from the command line never loads pandas.

>>> frame([("a", 1.0)], ["actor", "position"]).columns.tolist()
['actor', 'position']
>>> frame({"draw": [0, 1], "outcome": [2.0, 3.0]}).shape
(2, 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["frame", "short_repr"]


def frame(data: Iterable[Sequence[Any]] | Mapping[str, Any], columns: Sequence[str] | None = None):
    """A :class:`pandas.DataFrame` from rows and column names, or from a mapping of columns."""
    import pandas as pd

    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    return pd.DataFrame(list(data), columns=list(columns or []))


def short_repr(name: str, **facts: Any) -> str:
    """``Name(key=value, ...)`` with the facts that identify a result, never its arrays.

    >>> short_repr("MonteCarloResult", scenario="toy", model="mean", runs=500)
    "MonteCarloResult(scenario='toy', model='mean', runs=500)"
    """
    return f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in facts.items()) + ")"
