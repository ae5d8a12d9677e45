"""Lever lists: which of a scenario's estimates an analysis may move.

A lever list is a comma-separated list (or a YAML list) of items ``FIELD[:ACTOR[@ISSUE]]``:

- ``FIELD`` is ``position``, ``salience``, ``capability`` or ``*`` (all three);
- ``ACTOR`` is an actor id or ``*`` (every actor; the default when omitted);
- ``ISSUE`` is an issue id or ``*`` (every issue the actor takes a position on; the default for
  positions and saliences). ``capability:rebels`` is the actor's capability; ``capability:a@k``
  names a per-issue capability override, which must exist;
- ``set:NAME`` (on the command line also a bare ``NAME``) stands for the scenario's lever set
  ``NAME`` (``lever_sets:`` in the scenario file).

Every item must name at least one estimate; :func:`lever_problems` reports every item that does
not, with the accepted names, so a scenario file is validated like the rest of it.

Example
-------
>>> import allegiance
>>> s = allegiance.Scenario.model_validate({
...     "id": "toy", "title": "Toy", "issues": [{"id": "x", "name": "X"}],
...     "actors": [{"id": "a", "name": "A", "capability": 1,
...                 "issues": {"x": {"position": 20, "salience": 0.5}}}]})
>>> sorted(expand_levers("capability:a,position:a@x", s))
[('capability', 'a', None), ('position', 'a', 'x')]
>>> [p.message for p in lever_problems(["position:b"], s)]
["unknown actor 'b' (actors: a)"]
"""

from __future__ import annotations

from difflib import get_close_matches

from allegiance.scenario.parts import ScenarioParts
from allegiance.scenario.problems import Problem

FIELDS = ("position", "salience", "capability")
SYNTAX = "FIELD[:ACTOR[@ISSUE]] with FIELD one of position, salience, capability, * (or set:NAME)"

#: A concrete estimate: (field, actor id, issue id or None for the actor's capability).
EstimateKey = tuple[str, str, str | None]


def split_items(spec) -> list[str]:
    """``"a,b"`` or ``["a", "b,c"]`` -> ``["a", "b", "c"]`` (blank items dropped)."""
    if spec is None:
        return []
    parts = [spec] if isinstance(spec, str) else [str(s) for s in spec]
    return [item.strip() for part in parts for item in part.split(",") if item.strip()]


def _closest(word: str, names) -> str:
    close = get_close_matches(word, list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _estimates(scenario: ScenarioParts) -> list[EstimateKey]:
    keys: list[EstimateKey] = []
    for actor in scenario.actors:
        keys.append(("capability", actor.id, None))
        for issue_id, stance in actor.issues.items():
            keys.append(("position", actor.id, issue_id))
            keys.append(("salience", actor.id, issue_id))
            if stance.capability is not None:
                keys.append(("capability", actor.id, issue_id))
    return keys


def _match(item: str, scenario: ScenarioParts, allow_sets: bool
           ) -> tuple[list[EstimateKey], str | None]:
    """The estimates ``item`` names, or an error message."""
    text = item.strip()
    sets = getattr(scenario, "lever_sets", {}) or {}
    name = text[4:].strip() if text.startswith("set:") else (text if text in sets else None)
    if name is not None:
        if not allow_sets:
            return [], f"{text!r}: a lever set cannot refer to another lever set"
        if name not in sets:
            known = ", ".join(sets) or "none"
            return [], f"unknown lever set {name!r}{_closest(name, sets)} (lever sets: {known})"
        found: list[EstimateKey] = []
        for sub in sets[name].levers:
            keys, error = _match(sub, scenario, allow_sets=False)
            if error:
                return [], f"lever set {name!r}: {error}"
            found.extend(keys)
        return found, None
    field, _, rest = text.partition(":")
    field = field.strip().lower()
    actor, _, issue = rest.partition("@")
    actor, issue = actor.strip() or "*", issue.strip() or None
    if field not in (*FIELDS, "*"):
        return [], (f"{text!r}: unknown field {field!r}{_closest(field, FIELDS)}; "
                    f"write {SYNTAX}")
    actors = scenario.actor_ids
    if actor != "*" and actor not in actors:
        return [], f"unknown actor {actor!r}{_closest(actor, actors)} (actors: {', '.join(actors)})"
    issues = scenario.issue_ids
    if issue is not None and issue != "*" and issue not in issues:
        return [], f"unknown issue {issue!r}{_closest(issue, issues)} (issues: {', '.join(issues)})"
    fields = FIELDS if field == "*" else (field,)
    keys = []
    for key_field, key_actor, key_issue in _estimates(scenario):
        if key_field not in fields or actor not in ("*", key_actor):
            continue
        if key_field == "capability" and issue is None:
            # capability:a is the actor's capability (*:a also takes its overrides)
            ok = key_issue is None or field == "*"
        else:  # @* every issue; @k the stance (or capability override) on k
            ok = issue in (None, "*") or key_issue == issue
        if not ok:
            continue
        keys.append((key_field, key_actor, key_issue))
    if not keys:
        if field == "capability" and issue not in (None, "*"):
            return [], (f"{text!r}: {actor} has no capability override on {issue!r}; write "
                        f"capability:{actor} for its capability")
        where = f" on {issue!r}" if issue not in (None, "*") else ""
        return [], f"{text!r}: {actor} takes no position{where}, so there is nothing to move"
    return keys, None


def lever_problems(items, scenario: ScenarioParts, path: tuple = ("levers",)) -> list[Problem]:
    """Every item of ``items`` that names no estimate, as a :class:`Problem` at ``path``."""
    problems = []
    allow_sets = path[:1] != ("lever_sets",)
    for index, item in enumerate(split_items(items)):
        _, error = _match(item, scenario, allow_sets)
        if error:
            problems.append(Problem(path=(*path, index), message=error))
    if not split_items(items):
        problems.append(Problem(path=path, message=f"no levers given; write {SYNTAX}"))
    return problems


def expand_levers(items, scenario: ScenarioParts) -> list[EstimateKey]:
    """The estimates ``items`` name, in scenario order, without repeats.

    Raises ``ValueError`` listing every bad item at once.
    """
    problems = lever_problems(items, scenario)
    if problems:
        raise ValueError("bad --levers: " + "; ".join(p.message for p in problems)
                         + f" (syntax: {SYNTAX})")
    found: dict[EstimateKey, None] = {}
    for item in split_items(items):
        keys, _ = _match(item, scenario, allow_sets=True)
        found.update(dict.fromkeys(keys))
    order = {key: i for i, key in enumerate(_estimates(scenario))}
    return sorted(found, key=order.__getitem__)
