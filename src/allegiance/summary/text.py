"""Small helpers that turn numbers and names into words, shared by every summary module.

Everything here works on plain JSON values (the documents the command line prints), so that a
stored run can be summarised without the objects that produced it.

>>> percent(0.153), percent(0.0004), percent(1.0)
('15%', '0.04%', '100%')
>>> listing(["a", "b", "c"])
'a, b and c'
>>> number(62.34), number(3.14159), number(1250.0), number(50.0)
('62.3', '3.14', '1,250', '50')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "Names",
    "grade_words",
    "listing",
    "number",
    "percent",
    "probability",
    "signed",
]


def number(value: float | None, digits: int | None = None) -> str:
    """A number as a person writes it: 62.3, 3.14, 1,250 (``digits`` forces the decimals)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    auto = digits is None
    if digits is None:
        if float(value).is_integer():
            return f"{value:,.0f}"
        size = abs(value)
        digits = 0 if size >= 1000 else 1 if size >= 10 else 2
    text = f"{value:,.{digits}f}"
    if auto and "." in text:  # 56.99 reads as 57, not 57.0
        text = text.rstrip("0").rstrip(".")
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    return text


def signed(value: float, digits: int = 1) -> str:
    """A change with its sign: +8.0, −2.5 (a true minus sign), ±0 when it rounds to zero."""
    text = f"{value:+.{digits}f}"
    if float(text) == 0:
        return "±0"
    return text.replace("-", "−")


def percent(p: float | None) -> str:
    """A probability or share in per cent: 15%, 2.3%, 0.04%, 100%."""
    if p is None or not math.isfinite(p):
        return "n/a"
    value = 100 * p
    if value == 0 or value == 100:
        return f"{value:.0f}%"
    if abs(value) < 1:
        return f"{value:.2g}%"
    if abs(value) < 10:
        text = f"{value:.1f}"
        return (text[:-2] if text.endswith(".0") else text) + "%"
    return f"{value:.0f}%"


def probability(p: float, runs: int | None) -> str:
    """A Monte Carlo probability; at 0 or 1 with the rule-of-three 95% bound ``3 / runs``."""
    if runs and p == 0:
        return f"0% (at most {percent(3 / runs)} at 95% confidence)"
    if runs and p == 1:
        return f"100% (at least {percent(1 - 3 / runs)} at 95% confidence)"
    return percent(p)


def listing(items: Iterable[str], conjunction: str = "and") -> str:
    """``a, b and c``; ``"none"`` when empty."""
    items = [str(i) for i in items]
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


RELIABILITY_WORDS = {
    "A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
    "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged",
}
CREDIBILITY_WORDS = {
    "1": "confirmed", "2": "probably true", "3": "possibly true", "4": "doubtful",
    "5": "improbable", "6": "truth cannot be judged",
}


def grade_words(grade: str) -> str:
    """``"F3"`` -> ``"F3: reliability cannot be judged, possibly true"``."""
    grade = str(grade)
    if len(grade) == 2 and grade[0] in RELIABILITY_WORDS and grade[1] in CREDIBILITY_WORDS:
        return f"{grade}: {RELIABILITY_WORDS[grade[0]]}, {CREDIBILITY_WORDS[grade[1]]}"
    return grade


class Names:
    """Issue names, scales and labelled points, and the sources of each estimate, from a result
    document and (when given) the scenario it was run on."""

    def __init__(self, document: Mapping[str, Any] | None = None, scenario: Any = None) -> None:
        self.scenario = scenario
        self.issues: dict[str, dict[str, Any]] = {}
        if scenario is not None:
            for issue in scenario.issues:
                self.issues[issue.id] = {
                    "name": issue.name, "scale": list(issue.scale), "low_label": issue.low_label,
                    "high_label": issue.high_label,
                    "points": [(p.value, p.label) for p in issue.points]}
        for issue in (document or {}).get("issues", []) if isinstance(
                (document or {}).get("issues"), list) else []:
            self.issues.setdefault(issue["id"], {
                "name": issue.get("name", issue["id"]), "scale": issue.get("scale", [0, 100]),
                "low_label": issue.get("low_label", ""), "high_label": issue.get("high_label", ""),
                "points": []})

    def issue(self, issue_id: str) -> str:
        return self.issues.get(issue_id, {}).get("name", issue_id)

    def width(self, issue_id: str, default: float = 100.0) -> float:
        scale = self.issues.get(issue_id, {}).get("scale")
        if not scale:
            return default
        width = float(scale[1]) - float(scale[0])
        return width if width > 0 else default

    def where(self, issue_id: str, value: float) -> str:
        """Words for a value on an issue's scale: the nearest labelled point when it is close
        (within a tenth of the scale), "about midway" within a twentieth of the middle, else the
        nearer end's label."""
        info = self.issues.get(issue_id)
        if not info or value is None or not math.isfinite(value):
            return ""
        width = self.width(issue_id)
        points = info.get("points") or []
        if points:
            at, label = min(points, key=lambda p: abs(p[0] - value))
            if abs(at - value) <= 0.1 * width:
                return f"near {number(at)}: {label}" if at != value else label
        low, high = info["scale"]
        if abs(value - (low + high) / 2) <= 0.05 * width:
            return "about midway"
        nearer = info["low_label"] if value - low < high - value else info["high_label"]
        end = "low" if value - low < high - value else "high"
        return f"nearer the {end} end ({nearer})" if nearer else f"nearer the {end} end"

    # ---------------------------------------------------------------- sources of estimates
    def sources(self, parameter: str) -> list[tuple[str, str]]:
        """``[(source id, grade)]`` of the estimate named ``actor.issue.field`` or
        ``actor.capability`` (its own and its history's sources); empty without a scenario."""
        estimate = self._estimate(parameter)
        if estimate is None:
            return []
        found = []
        for sid in dict.fromkeys(estimate.all_sources()):
            try:
                found.append((sid, self.scenario.source(sid).grade))
            except KeyError:
                found.append((sid, "?"))
        return found

    def _estimate(self, parameter: str):
        if self.scenario is None:
            return None
        parts = parameter.split(".")
        try:
            actor = self.scenario.actor(parts[0])
        except KeyError:
            return None
        if len(parts) == 2 and parts[1] == "capability":
            return actor.capability
        if len(parts) == 3 and parts[1] in actor.issues:
            return getattr(actor.issues[parts[1]], parts[2], None)
        return None

    def grading(self, parameter: str) -> str:
        """How well the estimate is sourced, in words; F-graded reports are named as such.

        ``""`` without a scenario to look in.
        """
        if self.scenario is None or self._estimate(parameter) is None:
            return ""
        sources = self.sources(parameter)
        if not sources:
            return "it is an analyst's assumption (no source cited)"
        unjudged = [sid for sid, grade in sources if grade.startswith("F")]
        grades = listing(f"{sid} ({grade})" for sid, grade in sources)
        if unjudged and len(unjudged) == len(sources):
            return (f"it rests only on F-graded reports, whose reliability cannot be judged: "
                    f"{grades}")
        if unjudged:
            return (f"it rests in part on F-graded reports ({listing(unjudged)}, reliability "
                    f"cannot be judged); its sources: {grades}")
        best = min(grade for _, grade in sources)
        return f"its sources: {grades}; best grade {grade_words(best)}"
