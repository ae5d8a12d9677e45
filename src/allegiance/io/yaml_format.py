"""The native scenario format: YAML, read safely and with line numbers for every field.

Reading is hardened against hostile files: only YAML's safe types are constructed (tags that would
build Python objects are refused), nesting depth, node count (including alias expansion) and file
size are bounded, binary content is refused, and every problem is reported with its file, line and
column (1-based).
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from allegiance.io.errors import Problem, ReadError, problem, validation_message
from allegiance.io.filesystem import read_text, write_atomic
from allegiance.scenario import limits
from allegiance.scenario.model import Scenario, ScenarioInvalid, check_scenario

if TYPE_CHECKING:  # PyYAML is imported where YAML is read or written (not for other formats)
    import yaml

MAX_DEPTH = limits.MAX_DEPTH
MAX_NODES = limits.MAX_NODES

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
        raise ReadError([problem(f"the document has more than {MAX_NODES:,} values (counting "
                                 "each use of an alias); refusing to read it (limit max-nodes)",
                                 file=file, line=node.start_mark.line + 1)])
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
            key = _scalar(key_node, constructor, file)
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
    return _scalar(node, constructor, file)


def _scalar(node: yaml.Node, constructor: yaml.constructor.SafeConstructor, file: str) -> Any:
    """A plain scalar's value; an impossible one (a date such as 2014-02-30) stays text, for the
    scenario's checks to report where it is."""
    if node.tag not in _PLAIN_TAGS:
        raise ReadError([problem(f"refused: the tag {limits.excerpt(node.tag)} (only plain YAML "
                                 "values are allowed)", file=file,
                                 line=node.start_mark.line + 1,
                                 column=node.start_mark.column + 1)])
    if node.tag == _STR_TAG:  # most values: the text as written, nothing to construct
        return node.value
    try:
        value = constructor.construct_object(node)
    except Exception:  # noqa: BLE001 - PyYAML raises ValueError, OverflowError, TypeError...
        value = node.value
    if isinstance(value, dt.datetime):
        value = value.date()
    return value


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once every alias is expanded, counted over its distinct
    nodes only (an alias bomb is measured in microseconds, before anything is built); a document
    that contains itself (``&a [*a]``) has no finite size and counts as too large."""
    import yaml

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        children = ([n for pair in node.value for n in pair]
                    if isinstance(node, yaml.MappingNode) else list(node.value))
        if children_done:
            open_nodes.discard(key)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_NODES + 1)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return MAX_NODES + 1  # recursive
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                return MAX_NODES + 1
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in
                        ("null", "bool", "int", "float", "str", "timestamp"))


def _loader_class():
    """libyaml's safe composer where PyYAML was built with it (several times faster), else the
    pure-Python one; both give the same nodes with the same line marks."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, Location]]:
    """Parse YAML text safely; return the data and a map from field path to (line, column)."""
    import yaml

    if "\x00" in text:
        raise ReadError([problem("this is a binary file, not YAML", file=file)])
    try:
        loader = _loader_class()(text)
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
    if "&" in text and _expanded_size(node) > MAX_NODES:  # aliases need an anchor (&)
        raise ReadError([problem(f"the document has more than {MAX_NODES:,} values (counting "
                                 "each use of an alias); refusing to read it (limit max-nodes)",
                                 file=file, line=1)])
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
        # the fields are already valid: construct, not copy and re-validate (tens of thousands
        # of warnings on a large file)
        located.append(type(p).model_construct(**{**p.__dict__, "file": file, "line": line,
                                                   "column": column}))
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
    copied = False
    for _ in range(50):
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            if not copied:  # set problems aside on a copy; the caller's data stays as it was
                data, copied = copy.deepcopy(data), True
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
