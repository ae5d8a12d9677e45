"""The native scenario format: YAML, read safely and with line numbers for every field.

Reading is hardened against hostile files: only YAML's safe types are constructed (tags that would
build Python objects are refused), nesting depth, node count (including alias expansion) and file
size are bounded, binary content is refused, and every problem is reported with its file, line and
column (1-based).
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from allegiance.io.errors import Problem, ReadError, problem, validation_message
from allegiance.scenario.model import Scenario, ScenarioInvalid, check_scenario

if TYPE_CHECKING:  # PyYAML is imported where YAML is read or written (not for other formats)
    import yaml

MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 2_000_000

Location = tuple[int, int]


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0


def _construct(
    node: yaml.Node, constructor: yaml.constructor.SafeConstructor, path: tuple,
    where: dict[tuple, Location], depth: int, budget: _Budget, file: str,
) -> Any:
    import yaml

    budget.nodes += 1
    if budget.nodes > MAX_NODES:
        raise ReadError([problem(f"the document has more than {MAX_NODES:,} nodes (after alias "
                                 "expansion); refusing to read it", file=file,
                                 line=node.start_mark.line + 1)])
    if depth > MAX_DEPTH:
        raise ReadError([problem(f"the document nests deeper than {MAX_DEPTH} levels",
                                 file=file, line=node.start_mark.line + 1,
                                 column=node.start_mark.column + 1)])
    where.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    expected = {yaml.MappingNode: "tag:yaml.org,2002:map",
                yaml.SequenceNode: "tag:yaml.org,2002:seq"}.get(type(node))
    if expected is not None and node.tag != expected:
        raise ReadError([problem(f"refused: the tag {node.tag} (only plain YAML values are "
                                 "allowed)", file=file, line=node.start_mark.line + 1,
                                 column=node.start_mark.column + 1)])
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ReadError([problem("mapping keys must be plain values", file=file,
                                         line=key_node.start_mark.line + 1,
                                         column=key_node.start_mark.column + 1)])
            key = constructor.construct_object(key_node)
            if key == "<<":
                raise ReadError([problem("YAML merge keys (<<) are not supported", file=file,
                                         line=key_node.start_mark.line + 1,
                                         column=key_node.start_mark.column + 1)])
            key = str(key) if not isinstance(key, str) else key
            where.setdefault((*path, key), (key_node.start_mark.line + 1,
                                            key_node.start_mark.column + 1))
            result[key] = _construct(value_node, constructor, (*path, key), where, depth + 1,
                                     budget, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(child, constructor, (*path, i), where, depth + 1, budget, file)
            for i, child in enumerate(node.value)
        ]
    try:
        value = constructor.construct_object(node)
    except (ValueError, OverflowError):  # e.g. an impossible date: keep the text for the checks
        value = node.value
    if isinstance(value, dt.datetime):
        value = value.date()
    return value


def parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, Location]]:
    """Parse YAML text safely; return the data and a map from field path to (line, column)."""
    import yaml

    if "\x00" in text:
        raise ReadError([problem("this is a binary file, not YAML", file=file)])
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ReadError([problem(f"not valid YAML: {message}", file=file,
                                 line=mark.line + 1 if mark else None,
                                 column=mark.column + 1 if mark else None)]) from None
    except yaml.YAMLError as exc:
        raise ReadError([problem(f"not valid YAML: {exc}", file=file)]) from None
    except RecursionError:
        raise ReadError([problem(f"the document nests too deeply (limit {MAX_DEPTH})",
                                 file=file)]) from None
    if node is None:
        raise ReadError([problem("the file is empty", file=file)])
    where: dict[tuple, Location] = {}
    constructor = yaml.constructor.SafeConstructor()
    try:
        data = _construct(node, constructor, (), where, 0, _Budget(), file)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise ReadError([problem(f"refused: {exc.problem} (only plain YAML values are allowed)",
                                 file=file, line=mark.line + 1 if mark else None,
                                 column=mark.column + 1 if mark else None)]) from None
    except RecursionError:
        raise ReadError([problem(f"the document nests too deeply (limit {MAX_DEPTH})",
                                 file=file)]) from None
    return data, where


def locate(problems: list[Problem], where: dict[tuple, Location], file: str) -> list[Problem]:
    """Fill in file, line and column of each problem from the closest known path prefix."""
    located = []
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
        located.append(p.model_copy(update={"file": file, "line": line, "column": column}))
    return located


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
    data = copy.deepcopy(data)
    for _ in range(50):
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            found = pydantic_problems(exc)
            structural += found
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


def read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError([problem(f"cannot read: {exc.strerror}", file=str(path))]) from None
    if size > MAX_BYTES:
        raise ReadError([problem(f"the file is {size / 1e6:.1f} MB; the limit is "
                                 f"{MAX_BYTES / 1e6:.0f} MB", file=str(path))])
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise ReadError([problem("this is a binary file, not a scenario", file=str(path))])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError([problem(f"not UTF-8 text (byte {exc.start})", file=str(path))]) from None


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
    return locate(check_scenario(scenario), where, str(path))


def dump_yaml(scenario: Scenario) -> str:
    """The scenario as YAML (estimates without range, sources or history written as numbers)."""
    import yaml

    data = scenario.model_dump(mode="json", exclude_defaults=True, exclude={"derived"})
    data.pop("salience_scale", None)

    def simplify(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"value"}:
                return value["value"]
            return {k: simplify(v) for k, v in value.items()}
        if isinstance(value, list):
            return [simplify(v) for v in value]
        return value

    ordered = {k: simplify(data[k]) for k in
               ("id", "title", "description", "date", "metadata", "seed", "sources", "issues",
                "actors", "coalitions", "variants", "lever_sets", "model_parameters") if k in data}
    return yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; results are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_yaml(scenario: Scenario, path: str | Path) -> None:
    write_atomic(path, dump_yaml(scenario))


# the format interface used by allegiance.io.FORMATS
def read(path: Path, text: str) -> Scenario:
    return read_yaml(path, text)


def write(scenario: Scenario) -> str:
    return dump_yaml(scenario)


def detect(path: Path, text: str) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")
