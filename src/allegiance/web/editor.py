"""The scenario editor's logic: the grid's form fields are the scenario document's own paths
(``actors.3.issues.assad-future.salience.value``), so a submitted form is applied to the document
field by field and every problem the CLI's validator finds points back at the cell it is about.

Example
-------
>>> doc = {"actors": [{"issues": {"tax": {"salience": {"value": 0.5}}}}]}
>>> apply_form(doc, {"f:actors.0.issues.tax.salience.value": "0.7"})["actors"][0]
{'issues': {'tax': {'salience': {'value': 0.7}}}}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from allegiance.io.yaml_format import dump_yaml, locate, parse_yaml, scenario_from_data
from allegiance.scenario.model import Problem, Scenario, ScenarioInvalid, check_scenario

FIELD_PREFIX = "f:"
#: leaves read as numbers (an empty box: no value, except ``value`` which is required)
NUMBER_LEAVES = {"value", "low", "high", "status_quo", "credibility"}
OPTIONAL_NUMBERS = {"low", "high", "status_quo"}
#: leaves holding a comma-separated list
LIST_LEAVES = {"members", "groups"}
EDITOR_FILE = "editor"


def editable_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario as the plain document the editor's fields address."""
    data = scenario.model_dump(mode="json", exclude={"derived"})
    data.pop("salience_scale", None)
    return data


def _number(text: str, leaf: str) -> Any:
    text = text.strip()
    if not text:
        return None if leaf in OPTIONAL_NUMBERS else ""
    try:
        number = float(text)
    except ValueError:
        return text  # left as text: the validator says it is not a number, on its cell
    return int(number) if leaf == "credibility" and number.is_integer() else number


def _convert(leaf: str, parent: str, text: str) -> Any:
    if leaf in NUMBER_LEAVES or parent == "scale":
        return _number(text, "value" if parent == "scale" else leaf)
    if leaf in LIST_LEAVES:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def apply_form(document: dict[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with each ``f:<path>`` form field written at its path."""
    data = copy.deepcopy(document)
    for key, raw in form.items():
        if not key.startswith(FIELD_PREFIX) or not isinstance(raw, str):
            continue
        parts = key[len(FIELD_PREFIX):].split(".")
        container: Any = data
        try:
            for part in parts[:-1]:
                container = container[int(part)] if isinstance(container, list) else \
                    container[part]
            leaf = parts[-1]
            parent = parts[-2] if len(parts) > 1 else ""
            value = _convert(leaf, parent, raw)
            if isinstance(container, list):
                container[int(leaf)] = value
            elif value is None:
                container.pop(leaf, None)
            else:
                container[leaf] = value
        except (KeyError, IndexError, ValueError, TypeError):
            continue  # a field for something that is not in this document: ignore it
    return data


def validate(document: Any) -> tuple[Scenario | None, list[Problem]]:
    """The scenario and every problem (errors and warnings), as ``allegiance validate`` finds
    them."""
    try:
        scenario = scenario_from_data(document, {}, EDITOR_FILE)
    except ScenarioInvalid as exc:
        return None, exc.problems
    return scenario, check_scenario(scenario)


def validate_yaml_text(text: str) -> tuple[Scenario | None, list[Problem]]:
    """The same for the editor's full-document (YAML) box, each problem with its line."""
    try:
        data, where = parse_yaml(text, EDITOR_FILE)
        scenario = scenario_from_data(data, where, EDITOR_FILE)
    except ScenarioInvalid as exc:
        return None, exc.problems
    return scenario, locate(check_scenario(scenario), where, EDITOR_FILE)


def problem_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems for the page: the dotted path of the field, its readable name, the message."""
    return [{"path": ".".join(str(part) for part in p.path), "field": p.field(),
             "message": p.message, "severity": p.severity, "line": p.line}
            for p in problems]


def history_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """Every dated history entry of every estimate: its field path, a label, the entry."""
    rows = []
    for path, estimate in scenario.estimates():
        actor = scenario.actors[path[1]].name
        label = actor + "".join(f" › {part}" for part in path[2:] if part != "issues")
        for h, entry in enumerate(estimate.history):
            rows.append({"path": ".".join(map(str, (*path, "history", h))), "label": label,
                         "entry": entry})
    return rows


def document_yaml(scenario: Scenario) -> str:
    return dump_yaml(scenario)


# ---------------------------------------------------------------------- diff
def _flatten(value: Any, path: tuple[str, ...], out: dict[tuple[str, ...], Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, (*path, str(key)), out)
    elif isinstance(value, list) and value and all(
            isinstance(item, dict) and "id" in item for item in value):
        for item in value:  # actors, issues, sources: by id, so reordering is no change
            _flatten({k: v for k, v in item.items() if k != "id"}, (*path, str(item["id"])), out)
    elif isinstance(value, list) and all(isinstance(item, dict) for item in value) and value:
        for i, item in enumerate(value):
            _flatten(item, (*path, str(i)), out)
    else:
        out[path] = value


def diff(old: Scenario, new: Scenario) -> list[dict[str, Any]]:
    """Every field that differs between two scenarios: where (``actors › usa › issues ›
    assad-future``), which field, from, to. Fields left at their defaults are compared too."""
    before: dict[tuple[str, ...], Any] = {}
    after: dict[tuple[str, ...], Any] = {}
    _flatten(editable_document(old), (), before)
    _flatten(editable_document(new), (), after)
    changes = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if a == b or (a in (None, "", [], {}) and b in (None, "", [], {})):
            continue
        where, field = path[:-1], path[-1]
        if field == "value" and where:
            where, field = where[:-1], where[-1]
        changes.append({"where": " › ".join(where), "field": field,
                        "from": a, "to": b})
    return changes
