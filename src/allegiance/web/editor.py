"""The scenario editor's logic: the grid's form fields are the scenario document's own paths
(``actors.3.issues.assad-future.salience.value``), so a submitted form is applied to the document
field by field and every problem the CLI's validator finds points back at the cell it is about.

Rows are added and removed in the grid by markers beside the fields (see :func:`apply_edits`):
``add:actors.12`` appends actor 12 (its fields follow as usual), ``add:issues.4=@i0`` appends an
issue whose cells in the actors' rows use the key ``@i0`` until it has an id,
``add:coalitions.@c0`` with ``key:coalitions.@c0=<name>`` a named coalition; ``remove:actors.3``
(``issues.k``, ``sources.i``, ``coalitions.<name>``) removes a row and every reference to it. The
problems come back with the paths of the page's fields (a row's index as the page numbered it).

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
ADD_PREFIX, REMOVE_PREFIX, KEY_PREFIX = "add:", "remove:", "key:"
#: the lists rows are added to and removed from, with an empty row of each
NEW_ROWS: dict[str, dict[str, Any]] = {
    "actors": {"id": "", "name": "", "capability": {"value": ""}, "issues": {}},
    "issues": {"id": "", "name": "", "scale": [0, 100]},
    "sources": {"id": "", "title": ""},
}
#: the field a row's readable name is in
ROW_NAME = {"actors": "name", "issues": "name", "sources": "title"}
#: leaves read as numbers (an empty box: no value, except ``value`` which is required)
NUMBER_LEAVES = {"value", "low", "high", "status_quo", "credibility"}
OPTIONAL_NUMBERS = {"low", "high", "status_quo"}
#: text leaves left out of the document when empty
OPTIONAL_TEXTS = {"date"}
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
    if leaf in OPTIONAL_TEXTS and not text.strip():
        return None
    return text


def apply_form(document: dict[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with each ``f:<path>`` form field written at its path (a missing
    mapping on the way, such as an actor's cell on an issue it was not on, is created)."""
    data = copy.deepcopy(document)
    for key, raw in form.items():
        if not key.startswith(FIELD_PREFIX) or not isinstance(raw, str):
            continue
        parts = key[len(FIELD_PREFIX):].split(".")
        container: Any = data
        try:
            for part, following in zip(parts[:-1], parts[1:], strict=True):
                if isinstance(container, list):
                    container = container[int(part)]
                else:
                    if part not in container and not following.isdigit():
                        container[part] = {}
                    container = container[part]
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


class Edit:
    """A document with the grid's added and removed rows and its fields applied, and the way
    from the document's paths back to the page's fields."""

    def __init__(self, document: dict[str, Any], form: Mapping[str, Any]):
        data = copy.deepcopy(document)
        self.added: dict[str, list[int]] = {name: [] for name in NEW_ROWS}
        #: the placeholder key of each added issue's cells, and of each added coalition
        self.issue_keys: dict[int, str] = {}
        self.coalition_keys: dict[str, str] = {}
        markers = [(k, v) for k, v in form.items() if isinstance(v, str)]
        adds = [(k[len(ADD_PREFIX):].split(".", 1), v) for k, v in markers
                if k.startswith(ADD_PREFIX)]
        for key, value in sorted(adds, key=lambda a: (a[0][0], int(a[0][-1])
                                                      if a[0][-1].isdigit() else 0, a[0][-1])):
            self._add(data, key, value)
        data = apply_form(data, form)
        self.problems: list[Problem] = []
        self._drop_blank_cells(data)
        self._name_new_entries(data, form)
        removals = [k[len(REMOVE_PREFIX):].split(".", 1) for k, _ in markers
                    if k.startswith(REMOVE_PREFIX)]
        #: for each list, the page's index of every row left
        self.origin = {name: list(range(len(data.get(name) or []))) for name in NEW_ROWS}
        for removal in removals:
            if len(removal) == 2:
                self._remove(data, *removal)
        self.document = data

    # ------------------------------------------------------------------ adding
    def _add(self, data: dict[str, Any], key: list[str], value: str) -> None:
        if len(key) != 2:
            return
        name, ref = key
        if name in NEW_ROWS and ref.isdigit() and isinstance(data.get(name), list) \
                and int(ref) == len(data[name]):
            data[name].append(copy.deepcopy(NEW_ROWS[name]))
            self.added[name].append(int(ref))
            if name == "issues" and value.startswith("@"):
                self.issue_keys[int(ref)] = value
        elif name == "coalitions" and ref.startswith("@"):
            data.setdefault("coalitions", {})[ref] = {"members": []}

    def _drop_blank_cells(self, data: dict[str, Any]) -> None:
        """An actor's cell with neither position nor salience: the actor is not on the issue."""
        for actor in data.get("actors") or []:
            cells = actor.get("issues") if isinstance(actor, dict) else None
            for issue, cell in list((cells or {}).items()):
                if isinstance(cell, dict) and all(
                        (cell.get(f) or {}).get("value") in ("", None)
                        for f in ("position", "salience")) and not cell.get("capability"):
                    del cells[issue]

    def _name_new_entries(self, data: dict[str, Any], form: Mapping[str, Any]) -> None:
        for name, rows in self.added.items():
            for i in rows:
                row = data[name][i]
                for leaf in ("id", ROW_NAME[name]):
                    if not str(row.get(leaf) or "").strip():
                        self.problems.append(Problem(path=(name, i, leaf), message=(
                            f"the new {name[:-1]} needs {'an' if leaf == 'id' else 'a'} {leaf}")))
        for k, placeholder in self.issue_keys.items():
            new_id = str(data["issues"][k].get("id") or "").strip()
            for actor in data.get("actors") or []:
                cells = actor.get("issues") if isinstance(actor, dict) else None
                if isinstance(cells, dict) and placeholder in cells:
                    cell = cells.pop(placeholder)
                    if new_id and new_id not in cells:
                        cells[new_id] = cell
        coalitions = data.get("coalitions") or {}
        for placeholder in [key for key in coalitions if key.startswith("@")]:
            name = str(form.get(f"{KEY_PREFIX}coalitions.{placeholder}") or "").strip()
            if not name or name in coalitions:
                self.problems.append(Problem(path=("coalitions", placeholder), message=(
                    "the new coalition needs a name" if not name else
                    f"there is already a coalition {name!r}")))
                continue
            coalitions[name] = coalitions.pop(placeholder)
            self.coalition_keys[name] = placeholder

    # ------------------------------------------------------------------ removing
    def _remove(self, data: dict[str, Any], name: str, ref: str) -> None:
        if name == "coalitions":
            (data.get("coalitions") or {}).pop(self._coalition_name(ref), None)
            return
        rows = data.get(name)
        if name not in NEW_ROWS or not ref.isdigit() or not isinstance(rows, list) \
                or int(ref) not in self.origin[name]:
            return
        at = self.origin[name].index(int(ref))
        gone = rows.pop(at)
        self.origin[name].pop(at)
        self.problems = [p for p in self.problems if p.path[:2] != (name, int(ref))]
        gone_id = gone.get("id") if isinstance(gone, dict) else None
        if gone_id:
            forget_references(data, name, gone_id)

    def _coalition_name(self, ref: str) -> str:
        return next((n for n, p in self.coalition_keys.items() if p == ref), ref)

    # ------------------------------------------------------------------ back to the page
    def page_path(self, path: tuple) -> tuple:
        """The page's field path of a document path."""
        path = tuple(path)
        if len(path) >= 2 and path[0] in self.origin and isinstance(path[1], int) \
                and path[1] < len(self.origin[path[0]]):
            index = self.origin[path[0]][path[1]]
            path = (path[0], index, *path[2:])
        if len(path) >= 4 and path[0] == "actors" and path[2] == "issues":
            keys = {self._issue_id(k): p for k, p in self.issue_keys.items()}
            if path[3] in keys:
                path = (*path[:3], keys[path[3]], *path[4:])
        if len(path) >= 2 and path[0] == "coalitions" and path[1] in self.coalition_keys:
            path = ("coalitions", self.coalition_keys[path[1]], *path[2:])
        return path

    def _issue_id(self, k: int) -> str:
        issue = self.document["issues"][self.origin["issues"].index(k)] \
            if k in self.origin["issues"] else {}
        return str(issue.get("id") or "")

    def rows(self, problems: list[Problem]) -> list[dict[str, Any]]:
        """:func:`problem_rows` of the grid's own problems (already on the page's paths) and the
        validator's ``problems``, moved to the page's paths."""
        moved = [p.model_copy(update={"path": self.page_path(p.path)}) for p in problems]
        return problem_rows([*self.problems, *moved])


def forget_references(data: dict[str, Any], name: str, gone: str) -> None:
    """Take a removed actor, issue or source out of everything that names it: coalition
    members, variant changes, lever items, actors' cells on the issue, estimates' sources."""
    if name == "actors":
        for coalition in (data.get("coalitions") or {}).values():
            if isinstance(coalition, dict) and isinstance(coalition.get("members"), list):
                coalition["members"] = [m for m in coalition["members"] if m != gone]
    if name in ("actors", "issues"):
        field = name[:-1]
        for variant in (data.get("variants") or {}).values():
            if isinstance(variant, dict) and isinstance(variant.get("changes"), list):
                variant["changes"] = [c for c in variant["changes"]
                                      if not (isinstance(c, dict) and c.get(field) == gone)]
    if name in ("actors", "issues"):
        for lever_set in (data.get("lever_sets") or {}).values():
            if isinstance(lever_set, dict) and isinstance(lever_set.get("levers"), list):
                lever_set["levers"] = [item for item in lever_set["levers"]
                                       if not _lever_names(item, name, gone)]
    if name == "issues":
        for actor in data.get("actors") or []:
            if isinstance(actor, dict) and isinstance(actor.get("issues"), dict):
                actor["issues"].pop(gone, None)
    if name == "sources":
        _drop_source(data, gone)


def _lever_names(item: Any, name: str, gone: str) -> bool:
    """True when the lever item ``FIELD:ACTOR@ISSUE`` names the actor or issue ``gone``."""
    if not isinstance(item, str) or ":" not in item or item.startswith("set:"):
        return False
    actor, _, issue = item.split(":", 1)[1].partition("@")
    return (actor if name == "actors" else issue).strip() == gone


def _drop_source(value: Any, gone: str) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("sources"), list):
            value["sources"] = [s for s in value["sources"] if s != gone]
        for key, item in value.items():
            if key != "sources":
                _drop_source(item, gone)
    elif isinstance(value, list):
        for item in value:
            _drop_source(item, gone)


def apply_edits(document: dict[str, Any], form: Mapping[str, Any]) -> Edit:
    """The editor's form (fields, added and removed rows) applied to ``document``."""
    return Edit(document, form)


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
    return [{"path": ".".join(str(part) for part in p.path), "field": p.shown_field(),
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
