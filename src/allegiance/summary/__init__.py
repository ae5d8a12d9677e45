"""The answer in words: a few plain sentences, generated from the numbers, for every result.

``summarize(kind, document, scenario=None)`` takes the JSON document a command prints (or a
stored run's result) and returns its sentences. Kinds: ``forecast``, ``montecarlo``,
``coalitions``, ``power``, ``sensitivity``, ``timeline``, ``backtest``, ``briefing``,
``levers``. With the
scenario the sentences also say how well the judgements they name are sourced. Nothing is
written by hand: change a number and the sentence changes with it.

Every table the command line prints opens with these sentences, and every JSON document it
prints carries them as ``"summary"``.

Example
-------
>>> import allegiance
>>> from allegiance.summary import summarize
>>> result = allegiance.forecast("syria-2014", model="mean")
>>> summarize("forecast", result.to_dict())[0][:38]
'The compromise model (mean) forecasts:'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allegiance.summary.backtest import backtest_sentences
from allegiance.summary.briefing import briefing_sentences
from allegiance.summary.coalitions import coalition_sentences, power_sentences
from allegiance.summary.drivers import sensitivity_sentences, strongest_driver, timeline_sentences
from allegiance.summary.forecast import forecast_sentences, montecarlo_sentences
from allegiance.summary.levers import levers_sentences

__all__ = [
    "KINDS",
    "detect_kind",
    "strongest_driver",
    "summarize",
    "with_summary",
]

#: kind -> sentence function ``(document, scenario) -> list[str]``
KINDS: dict[str, Callable[[dict[str, Any], Any], list[str]]] = {
    "forecast": forecast_sentences,
    "montecarlo": montecarlo_sentences,
    "coalitions": coalition_sentences,
    "power": power_sentences,
    "sensitivity": sensitivity_sentences,
    "timeline": timeline_sentences,
    "backtest": backtest_sentences,
    "briefing": briefing_sentences,
    "levers": levers_sentences,
}


def detect_kind(document: dict[str, Any]) -> str:
    """The kind of a result document, from its ``kind`` key or its shape.

    >>> detect_kind({"rounds": [], "outcome": {}})
    'forecast'
    """
    kind = document.get("kind")
    if kind in KINDS:
        return kind
    if "rounds" in document and "outcome" in document:
        return "forecast"
    if "summaries" in document and "settings" in document:
        return "backtest"
    if "changes" in document and "coalitions" in document:
        return "coalitions"
    if "moves" in document and "dates" in document:
        return "timeline"
    if "coalition" in document and "proof" in document and "before" in document:
        return "levers"
    if ("labels" in document or "by_issue" in document) and (
            "shapley_shubik" in document or "banzhaf" in document):
        return "power"
    raise ValueError("cannot tell what kind of result this is; give the kind: "
                     + ", ".join(KINDS))


def summarize(kind: str | None, document: dict[str, Any], scenario: Any = None) -> list[str]:
    """The plain sentences for a result ``document`` of ``kind`` (None: detect it).

    ``scenario`` (a :class:`~allegiance.scenario.model.Scenario`, optional) adds the sources and
    grades of the judgements the sentences name, and labelled scale points.
    """
    kind = detect_kind(document) if kind is None else kind
    try:
        function = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown result kind {kind!r}; one of {', '.join(KINDS)}") from None
    return function(document, scenario)


def with_summary(kind: str, document: dict[str, Any], scenario: Any = None) -> dict[str, Any]:
    """``document`` with its sentences under ``"summary"`` (first key), as JSON output has it."""
    lines = summarize(kind, document, scenario)
    return {"summary": lines, **{k: v for k, v in document.items() if k != "summary"}}
