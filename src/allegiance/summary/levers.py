"""Sentences for a levers answer ("what would it take for this coalition to win and hold?"),
from the document ``allegiance levers --format json`` prints (``LeversResult.to_dict()``).

The wording is the levers layer's own (:func:`allegiance.levers.briefing.sentences`); this
module only rebuilds the result from its document so that a stored run reads the same.

>>> from allegiance.levers.analysis import levers
>>> answer = levers("syria-2014", "local", model="mean", levers="capability:rebels")
>>> levers_sentences(answer.to_dict())[0].startswith("Today local is not winning")
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["levers_sentences"]


def _solution(data: dict[str, Any] | None):
    from allegiance.levers.analysis import LeverChange, LeverSolution

    if data is None:
        return None
    return LeverSolution(**{**data, "changes": [LeverChange(**c) for c in data["changes"]]})


def levers_sentences(document: dict[str, Any], scenario: Any = None) -> list[str]:
    from allegiance.levers.analysis import LeversResult
    from allegiance.levers.briefing import sentences

    fields = set(LeversResult.__dataclass_fields__)
    data = {k: v for k, v in document.items() if k in fields}
    data.setdefault("seconds", 0.0)
    for key in ("solution", "cheapest_by_cost", "outside"):
        data[key] = _solution(data.get(key))
    for key in ("alternatives", "outside_alternatives"):
        data[key] = [_solution(s) for s in data.get(key) or []]
    return sentences(LeversResult(**data))
