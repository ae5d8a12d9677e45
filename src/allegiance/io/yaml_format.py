"""The native scenario format: YAML, read safely and with line numbers for every field.

Reading is hardened against hostile files (``safe_yaml``): only YAML's plain types are built,
nesting depth, value count (including alias expansion) and file size are bounded, binary content
is refused, and every problem is reported with its file, line and column (1-based).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from allegiance.io.errors import Problem, ReadError, problem, validation_message
from allegiance.io.filesystem import read_text, write_atomic
from allegiance.io.safe_yaml import parse_yaml
from allegiance.scenario.checks import unsourced_warnings
from allegiance.scenario.model import Scenario, ScenarioInvalid

Location = tuple[int, int]


def locate(problems: list[Problem], where: dict[tuple, Location], file: str) -> list[Problem]:
    """Fill in file, line and column of each problem from the closest known path prefix.

    The problems are updated in place (every caller passes the fresh list a check returned: a
    file at the limits has tens of thousands of warnings, and copying them was a tenth of the
    time ``validate`` took) and returned.
    """
    for p in problems:
        path = tuple(p.path)
        line = column = None
        while True:
            if path in where:
                line, column = where[path]
                break
            if not path:
                break
            path = path[:-1]
        p.__dict__.update(file=file, line=line, column=column)
    return problems


def pydantic_problems(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"]
                    if not (isinstance(part, str) and part.startswith("function-")))
        # drop pydantic's union/type tags (e.g. "float", "Estimate")
        loc = tuple(part for part in loc if part not in {"float", "int", "Estimate", "str"})
        problems.append(Problem(path=loc, message=validation_message({**error, "loc": loc})))
    return problems


def scenario_from_data(data: Any, where: dict[tuple, Location], file: str) -> Scenario:
    """Validate parsed data as a Scenario, reporting every problem with its location."""
    if not isinstance(data, dict):
        raise ReadError([problem("a scenario file must be a mapping (id, title, issues, actors, "
                                 "...) at the top level", file=file, line=1, column=1)])
    structural: list[Problem] = []
    pruned: list[tuple] = []
    copied = False
    for _ in range(50):
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            found = pydantic_problems(exc)
            structural += found
            if any(not p.path for p in found):
                break  # an error of the whole scenario (a limit): nothing to set aside
            if not copied:  # set problems aside on a copy; the caller's data stays as it was
                data, copied = copy.deepcopy(data), True
            # later list items first, so that removing one does not shift the others
            paths = sorted((p.path for p in found), key=lambda q: [str(x) for x in q],
                           reverse=True)
            done = [_prune(data, path) for path in paths]
            if not all(done):
                break  # an error we cannot set aside: report what we have
            pruned += [d for d in done if isinstance(d, tuple)]
            continue
        except ScenarioInvalid as exc:
            structural += [p for p in exc.problems
                           if not any(tuple(p.path) == q[: len(p.path)] for q in pruned)]
            break
        if not structural:
            return scenario
        break
    raise ReadError(locate(structural, where, file), source=file)


def _prune(data: Any, path: tuple) -> tuple | bool:
    """Set aside the part of ``data`` that holds a structural error (a dated history entry, an
    actor's stance on an issue, or its capability) so that the rest of the file can still be
    checked and every problem reported at once. Returns the pruned path, or False."""
    try:
        if "history" in path:
            at = path.index("history")
            if len(path) > at + 1 and isinstance(path[at + 1], int):
                container = data
                for part in path[:at + 1]:
                    container = container[part]
                del container[path[at + 1]]
                return tuple(path[: at + 2])
        if len(path) >= 4 and path[0] == "actors" and path[2] == "issues":
            data["actors"][path[1]]["issues"].pop(path[3], None)
            return tuple(path[:4])
        if len(path) >= 3 and path[0] == "actors" and path[2] == "capability":
            data["actors"][path[1]]["capability"] = 0.0
            return tuple(path[:3])
    except (KeyError, IndexError, TypeError):
        return False
    return False


def read_yaml(path: str | Path, text: str | None = None) -> Scenario:
    """Read a scenario from a YAML file (or from ``text``, reported as coming from ``path``)."""
    path = Path(path)
    if text is None:
        text = read_text(path)
    data, where = parse_yaml(text, str(path))
    return scenario_from_data(data, where, str(path))


def validate_yaml(path: str | Path) -> list[Problem]:
    """Every problem (errors and warnings) of a YAML scenario file, located."""
    path = Path(path)
    try:
        text = read_text(path)
        data, where = parse_yaml(text, str(path))
        scenario = scenario_from_data(data, where, str(path))
    except ScenarioInvalid as exc:
        return exc.problems
    return locate(unsourced_warnings(scenario), where, str(path))


_ESTIMATE_FIELDS = frozenset({"position", "salience", "capability", "value"})
_FREE_FORM = frozenset({"metadata", "model_parameters"})


def dump_yaml(scenario: Scenario) -> str:
    """The scenario as YAML (estimates without range, sources or history written as numbers)."""
    import yaml

    data = scenario.model_dump(mode="json", exclude_defaults=True, exclude={"derived"})
    data.pop("salience_scale", None)

    def simplify(value: Any, key: Any = None) -> Any:
        """Estimates with nothing but a value become plain numbers; free-form mappings
        (``metadata``, ``model_parameters``) are kept exactly as they are."""
        if isinstance(value, dict):
            if key in _ESTIMATE_FIELDS and set(value) == {"value"}:
                return value["value"]
            if key in _FREE_FORM:
                return value
            return {k: simplify(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [simplify(v) for v in value]
        return value

    ordered = {k: simplify(data[k], k) for k in
               ("id", "title", "description", "date", "metadata", "seed", "sources", "issues",
                "actors", "coalitions", "variants", "lever_sets", "model_parameters") if k in data}
    return yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)


def write_yaml(scenario: Scenario, path: str | Path) -> None:
    write_atomic(path, dump_yaml(scenario))


# the format interface used by allegiance.io.FORMATS
def read(path: Path, text: str) -> Scenario:
    return read_yaml(path, text)


def write(scenario: Scenario) -> str:
    return dump_yaml(scenario)


def detect(path: Path, text: str) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")
