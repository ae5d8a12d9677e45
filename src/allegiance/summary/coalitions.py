"""Sentences for the candidate-coalition report and for power indices: which named coalitions
win, who is pivotal, who would rather stay out, who could tip them, and who holds the power.

They work on ``CoalitionReport.to_dict()`` (what ``allegiance coalitions --format json`` prints)
and on power-index documents (``PowerIndices.to_dict()``, one per game, or a mapping of them).

>>> doc = {"states": ["current"], "rule": {"description": "more than half"},
...        "coalitions": {"ab": [{"members": ["a", "b"], "state": "current", "share": 0.7,
...                               "winning": True, "issues_won": 1, "n_issues": 1,
...                               "pivotal": ["a"], "stay_out": [], "joiners": []}]},
...        "changes": {"ab": []}}
>>> print(coalition_sentences(doc)[0])  # doctest: +NORMALIZE_WHITESPACE
Coalition ab (a and b) is winning: 70% of the capability, winning on 1 of 1 issues
(more than half).
"""

from __future__ import annotations

from typing import Any

from allegiance.summary.text import listing, number, percent

__all__ = ["coalition_sentences", "power_sentences", "verdict"]


def verdict(a: dict[str, Any], rule: str = "") -> str:
    """One coalition in one state, in one sentence (winning or not, share, issues won)."""
    state = "" if a.get("state") in (None, "current") else f" as of {a['state']}"
    words = "is winning" if a.get("winning") else "is not winning"
    text = (f"Coalition {a.get('name') or ''}".rstrip() + f" ({listing(a.get('members', []))}) "
            f"{words}{state}: {percent(a.get('share'))} of the capability, winning on "
            f"{a.get('issues_won', 0)} of {a.get('n_issues', 0)} issues"
            + (f" ({rule})" if rule else "") + ".")
    return text


def coalition_sentences(document: dict[str, Any], scenario: Any = None) -> list[str]:
    """Per named coalition: the verdict in the latest state, its pivotal members, the members
    who would rather stay out, the actors whose joining alone would make it win, and what
    changed from the first dated state to the last."""
    rule = (document.get("rule") or {}).get("description", "")
    lines = [f"The scenario with {note}." for note in document.get("notes") or []
             if note.startswith("variant ")]
    for name, assessments in (document.get("coalitions") or {}).items():
        if not assessments:
            continue
        last = dict(assessments[-1], name=name)
        lines.append(verdict(last, "" if any(x.startswith("Coalition") for x in lines) else rule))
        details = []
        if last.get("winning") and last.get("pivotal"):
            details.append(f"pivotal (its exit loses an issue): {listing(last['pivotal'])}")
        if last.get("stay_out"):
            details.append(f"would rather stay out: {listing(last['stay_out'])}")
        if not last.get("winning"):
            joiners = last.get("joiners") or []
            details.append(f"{listing(joiners, 'or')} joining alone would make it win" if joiners
                           else "no single actor joining would make it win")
        if details:
            lines.append(f"{name}: " + "; ".join(details) + ".")
        if len(assessments) > 1:
            first = assessments[0]
            changed = []
            if first.get("winning") != last.get("winning"):
                changed.append("now winning" if last.get("winning") else "no longer winning")
            if abs((last.get("share") or 0) - (first.get("share") or 0)) >= 0.0005:
                changed.append(f"share {percent(first.get('share'))} → "
                               f"{percent(last.get('share'))}")
            left = [m for m in last.get("stay_out", []) if m not in first.get("stay_out", [])]
            back = [m for m in first.get("stay_out", []) if m not in last.get("stay_out", [])]
            if left:
                changed.append(f"{listing(left)} now would rather stay out")
            if back:
                changed.append(f"{listing(back)} now gain by joining")
            if changed:
                lines.append(f"From {first.get('state')} to {last.get('state')}, {name}: "
                             + "; ".join(changed) + ".")
    winners = [n for n, a in (document.get("coalitions") or {}).items() if a and a[-1]["winning"]]
    if document.get("coalitions") and not winners:
        lines.append("None of the named coalitions is winning.")
    return lines


def _listed(game: dict[str, Any]) -> dict[str, Any]:
    """A game whose indices are given by actor (``{actor: value}``) in the list form of
    ``PowerIndices.to_dict()`` (``labels`` and lists)."""
    if "labels" in game or not isinstance(game.get("shapley_shubik") or game.get("banzhaf"),
                                          dict):
        return game
    index = game.get("shapley_shubik") or game.get("banzhaf")
    labels = list(index)
    out = dict(game, labels=labels)
    for key in ("weights", "shapley_shubik", "banzhaf", "banzhaf_absolute"):
        if isinstance(game.get(key), dict):
            out[key] = [game[key].get(a, 0.0) for a in labels]
    return out


def _games(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The games of a power document: one ``PowerIndices.to_dict()``, the scenario document of
    ``allegiance power`` (``by_issue``: issues with the same game are named together), or a
    mapping of games (under ``issues`` / ``games``, or at the top level)."""
    if "labels" in document:
        return {"the game": document}
    if isinstance(document.get("by_issue"), dict):
        grouped: dict[str, tuple[list[str], dict[str, Any]]] = {}
        for issue, game in document["by_issue"].items():
            key = repr(sorted(game.items()))
            grouped.setdefault(key, ([], game))[0].append(issue)
        return {listing(issues): _listed(game) for issues, game in grouped.values()}
    for key in ("issues", "games"):
        if isinstance(document.get(key), dict):
            return {k: v for k, v in document[key].items() if isinstance(v, dict) and "labels" in v}
        if isinstance(document.get(key), list):
            return {str(g.get("issue") or g.get("name") or n): g
                    for n, g in enumerate(document[key]) if isinstance(g, dict) and "labels" in g}
    return {k: v for k, v in document.items() if isinstance(v, dict) and "labels" in v}


def power_sentences(document: dict[str, Any], scenario: Any = None) -> list[str]:
    """Per game: the most powerful actors, where power and weight part company, the dummies."""
    lines = []
    for where, game in _games(document).items():
        labels = game["labels"]
        index = game.get("shapley_shubik") or game.get("banzhaf")
        if not index:
            continue
        measure = "Shapley–Shubik" if game.get("shapley_shubik") else "Banzhaf"
        weights = game.get("weights") or [0.0] * len(labels)
        total = sum(w for w in weights if w) or 1.0
        order = sorted(range(len(labels)), key=lambda i: -index[i])
        top = [f"{labels[i]} {number(index[i], 2)}" for i in order[:3] if index[i] > 0]
        text = f"On {where}, the most powerful ({measure} index): {listing(top)}"
        gaps = [(index[i] - weights[i] / total, i) for i in range(len(labels))]
        big, i = max(gaps)
        if big >= 0.05:
            text += (f"; {labels[i]} has {percent(index[i])} of the power with "
                     f"{percent(weights[i] / total)} of the weight")
        dummies = [labels[i] for i in range(len(labels)) if weights[i] > 0 and index[i] <= 1e-12]
        if dummies:
            text += f"; never decisive despite their weight: {listing(dummies)}"
        lines.append(text + ".")
        if game.get("exact") is False:
            worst = max(game.get("shapley_shubik_error") or game.get("banzhaf_error") or [0.0])
            lines.append(f"On {where} the weights were rounded: indices are within "
                         f"{number(worst, 4)} of the exact game's.")
    return lines
