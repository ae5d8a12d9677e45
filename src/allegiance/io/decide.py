"""The input format of the *decide* exchange model (Stokman & Van Oosten's exchange of voting
positions, as implemented by the ``decide-exchange-model`` package): rows tagged by their first
field.

=========  ===================================================================================
row        fields after the tag
=========  ===================================================================================
``#A``     actor key, actor name, comment
``#P``     issue key, issue name, description
``#M``     issue key, position, what that position means (a labelled point of the scale)
``#D``     actor key, issue key, position, salience (0–1), power (0–1), comment
``#/``     comment (also ``#0``; ``#O`` = a free issue description): ignored
=========  ===================================================================================

Fields are separated by tabs, ``;`` or ``,`` (decided per line, from the character after the
tag) and may be quoted with ``'`` or ``"``; with ``;`` a decimal comma (``0,5``) is accepted.
Surplus fields are joined into the last one, as decide does.

How it maps onto a :class:`~allegiance.scenario.model.Scenario`:

- ``#A`` -> an actor: ``id`` = the key as written (decide's keys are identifiers already),
  ``name`` (the key when empty), ``description`` = the comment; an actor without ``#D`` rows
  takes part in no exchange, so it is left out, with a warning (decide's own
  ``verkiezing 2012.csv`` defines such an actor);
- ``#P`` -> an issue: ``id`` = key, ``name``, ``description``;
- ``#M`` -> the scale and its labels: the scale is ``[lowest, highest]`` ``#M`` position of the
  issue (``[0, 100]`` without ``#M`` rows, as decide does); the first row at the lowest position
  gives ``low_label``, the first at the highest ``high_label``, every other row is a labelled point
  (``Issue.points``);
- ``#D`` -> the actor's stance: ``position``, ``salience`` and the power as the per-issue
  capability override. The actor's own ``capability`` is the **largest** of its per-issue powers
  (decide has no actor-level power; with the usual data, where an actor has the same power on
  every issue, this is that power and no override is stored). An override is stored only where
  the power differs from that maximum.

The scenario ``id`` is the slugified file name, the ``title`` the file name without suffix.
Every problem (unknown row tags, unknown actor or issue keys, non-numbers, saliences or powers
outside 0–1, positions outside the ``#M`` scale or, without ``#M`` rows, outside 0–100, a stance
given twice) is reported at once with file, line and column, in the file's order.

Writing (:func:`write`) gives tab-separated rows quoted with ``'`` like decide's own data files:
``#A``, then for each issue ``#P`` and its ``#M`` rows (low end, labelled points, high end), then
``#D`` rows actor by actor. It is lossless for scenarios read from this format. From other
scenarios: when a capability exceeds 1, every power is divided by the largest one (decide's powers
are on 0–1); ranges, sources, notes, history, groups, status quo, coalitions, variants and model
parameters are not written; actors without a stance on an issue simply have no ``#D`` row.

>>> from pathlib import Path
>>> text = "#A;a;Alpha;\\n#A;b;Beta;\\n#P;tax;Tax rate;\\n#M;tax;0;none\\n#M;tax;50;half\\n" \\
...        "#M;tax;100;all\\n#D;a;tax;20;0,5;0.4\\n#D;b;tax;80;1;0.8\\n"
>>> s, where = read_located(Path("toy.txt"), text)
>>> s.issues[0].low_label, [p.label for p in s.issues[0].points], s.actors[0].capability.value
('none', ['half'], 0.4)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from allegiance.io.errors import ReadError, problem
from allegiance.io.tabular import (
    Cell,
    Collector,
    Location,
    build_scenario,
    format_number,
    nonblank_lines,
    slugify,
    split_row,
    text_lines,
)
from allegiance.scenario import limits
from allegiance.scenario.model import Scenario

#: row tag -> names of its fields after the tag (the last one takes any surplus fields)
ROWS: dict[str, tuple[str, ...]] = {
    "#A": ("key", "name", "comment"),
    "#P": ("key", "name", "description"),
    "#M": ("issue", "position", "description"),
    "#D": ("actor", "issue", "position", "salience", "power", "comment"),
}
COMMENTS = ("#/", "#0", "#O")
REQUIRED = {"#A": 1, "#P": 1, "#M": 2, "#D": 5}
_TAG = re.compile(r"""\s*(['"]?)(#[A-Za-z0-9/])\1""")


def detect(path: Path, text: str) -> bool:
    """A decide file has ``#A`` or ``#D`` rows (the tag first on the line, maybe quoted)."""
    return re.search(r"""^\s*['"]?#[AD]['"]?\s*[,;\t]""", text[:65536], re.MULTILINE) is not None


def _split(line: str) -> tuple[str, str, list[Cell]] | None:
    """(tag, delimiter, fields after the tag) of a tagged line, or None."""
    match = _TAG.match(line)
    if match is None:
        return None
    rest = match.end()
    while rest < len(line) and line[rest] == " ":
        rest += 1
    if rest >= len(line):
        return match.group(2), ",", []
    delimiter = line[rest]
    if delimiter not in ",;\t":
        return None
    cells = split_row(line, delimiter, quotes="'\"")[1:]
    return match.group(2), delimiter, cells


def _squash(cells: list[Cell], width: int) -> list[Cell]:
    end = len(cells)
    while end > width and not cells[end - 1].text:
        end -= 1
    cells = cells[:end]
    if len(cells) <= width:
        return cells + [Cell("", 0)] * (width - len(cells))
    last = cells[width - 1]
    joined = " ".join(c.text for c in cells[width - 1:] if c.text)
    return [*cells[:width - 1], Cell(joined, last.column)]


#: lines of a decide file: an #A line per actor, #P and up to three #M lines per issue, a #D
#: line per stance
MAX_LINES = limits.MAX_ACTORS + 4 * limits.MAX_ISSUES + limits.MAX_STANCES


def read_located(path: Path, text: str) -> tuple[Scenario, dict[tuple, Location]]:
    """Read a decide input file (mapping above), with the
    (line, column) of each field."""
    file = str(path)
    errors = Collector(file)
    nonblank_lines(text, file)  # an empty file is an error
    lines = text_lines(text)
    if len(lines) > MAX_LINES:
        raise ReadError([problem(f"the file has {len(lines):,} lines; the limit is "
                                 f"{MAX_LINES:,}: one per actor, a few per issue and one per "
                                 "stance (limits max-actors, max-issues, max-stances)",
                                 file=file)], source=file)

    actors: dict[str, dict[str, Any]] = {}
    actor_rows: dict[str, int] = {}
    issues: dict[str, dict[str, Any]] = {}
    issue_rows: dict[str, int] = {}
    marks: list[tuple[int, str, float, str, Cell]] = []
    stances: list[tuple[int, list[Cell], float, float | None, float | None]] = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parsed = _split(line)
        if parsed is None:
            errors.add("expected a row starting with #A, #P, #M or #D followed by a tab, ';' or "
                       "','", line_no, 1)
            continue
        tag, delimiter, cells = parsed
        if tag in COMMENTS:
            continue
        if tag not in ROWS:
            errors.add(f"unknown row type {tag!r} (known: #A actor, #P issue, #M scale point, "
                       "#D actor's position on an issue, #/ comment)", line_no, 1)
            continue
        fields = _squash(cells, len(ROWS[tag]))
        empty = [k for k in range(REQUIRED[tag]) if not fields[k].text]
        if empty:
            k = empty[0]
            errors.add(f"{tag} row: {ROWS[tag][k]} is missing (a {tag} row has "
                       f"{', '.join(ROWS[tag])})", line_no, fields[k].column or 1)
            continue
        comma = delimiter == ";"
        if tag == "#A":
            key = fields[0].text
            if key in actors:
                errors.add(f"actor {key!r} is defined twice (first on line {actor_rows[key]})",
                           line_no, fields[0].column)
                continue
            actors[key] = {"id": key, "name": fields[1].text or key,
                           "description": fields[2].text, "issues": {}}
            actor_rows[key] = line_no
        elif tag == "#P":
            key = fields[0].text
            if key in issues:
                errors.add(f"issue {key!r} is defined twice (first on line {issue_rows[key]})",
                           line_no, fields[0].column)
                continue
            issues[key] = {"id": key, "name": fields[1].text or key,
                           "description": fields[2].text}
            issue_rows[key] = line_no
        elif tag == "#M":
            value = errors.number(fields[1], line_no, "#M position", decimal_comma=comma)
            if value is not None:
                marks.append((line_no, fields[0].text, value, fields[2].text, fields[0]))
        else:
            numbers = [errors.number(fields[2], line_no, "position", decimal_comma=comma),
                       errors.number(fields[3], line_no, "salience", minimum=0, maximum=1,
                                     decimal_comma=comma),
                       errors.number(fields[4], line_no, "power", minimum=0, maximum=1,
                                     decimal_comma=comma)]
            if numbers[0] is not None:  # checked against the scale even if the rest is bad
                stances.append((line_no, fields, *numbers))  # type: ignore[arg-type]

    # scales from the #M rows
    marks_of: dict[str, list[tuple[int, float, str]]] = {}
    for line_no, issue, value, label, cell in marks:
        if issue not in issues:
            errors.add(f"#M row for unknown issue {issue!r} (define it with a #P row)", line_no,
                       cell.column)
            continue
        marks_of.setdefault(issue, []).append((line_no, value, label))
    where: dict[tuple, Location] = {}
    issue_index = {key: k for k, key in enumerate(issues)}
    for key, issue in issues.items():
        k = issue_index[key]
        where[("issues", k)] = (issue_rows[key], 1)
        rows = marks_of.get(key, [])
        if not rows:
            issue["scale"] = [0.0, 100.0]
            continue
        low = min(v for _, v, _ in rows)
        high = max(v for _, v, _ in rows)
        if low == high:
            errors.add(f"issue {key!r}: its #M rows give one position only ({format_number(low)})"
                       "; the scale needs a lowest and a highest point", rows[0][0], 1)
            continue
        issue["scale"] = [low, high]
        low_row = next(r for r in rows if r[1] == low)
        high_row = next(r for r in rows if r[1] == high)
        issue["low_label"] = low_row[2]
        issue["high_label"] = high_row[2]
        points = [r for r in rows if r is not low_row and r is not high_row]
        issue["points"] = [{"value": v, "label": label} for _, v, label in points]
        for p, (line_no, _, _) in enumerate(points):
            where[("issues", k, "points", p)] = (line_no, 1)

    # stances
    actor_index = {key: a for a, key in enumerate(actors)}
    powers: dict[str, dict[str, float]] = {key: {} for key in actors}
    seen: dict[tuple[str, str], int] = {}
    for line_no, fields, position, salience, power in stances:
        actor_key, issue_key = fields[0].text, fields[1].text
        ok = True
        if actor_key not in actors:
            errors.add(f"unknown actor {actor_key!r} (define it with a #A row)", line_no,
                       fields[0].column)
            ok = False
        if issue_key not in issues:
            errors.add(f"unknown issue {issue_key!r} (define it with a #P row)", line_no,
                       fields[1].column)
            ok = False
        if not ok:
            continue
        if (actor_key, issue_key) in seen:
            errors.add(f"actor {actor_key!r} has a second #D row for issue {issue_key!r} (first "
                       f"on line {seen[actor_key, issue_key]})", line_no, 1)
            continue
        seen[actor_key, issue_key] = line_no
        scale = issues[issue_key].get("scale")
        if scale is not None and not scale[0] <= position <= scale[1]:
            bounds = f"[{format_number(scale[0])}, {format_number(scale[1])}]"
            hint = ("its #M rows" if issue_key in marks_of else
                    "decide's default without #M rows; give #M rows for its lowest and highest "
                    "positions")
            errors.add(f"position {format_number(position)} is outside the scale of issue "
                       f"{issue_key!r} {bounds} ({hint})", line_no, fields[2].column)
        if salience is None or power is None:
            continue  # reported where it was read
        actors[actor_key]["issues"][issue_key] = {"position": position, "salience": salience}
        powers[actor_key][issue_key] = power
        a = actor_index[actor_key]
        base = ("actors", a, "issues", issue_key)
        where[base] = (line_no, 1)
        for name, cell in (("position", fields[2]), ("salience", fields[3]),
                           ("capability", fields[4])):
            where[(*base, name)] = (line_no, cell.column)
    errors.raise_if_any()
    idle = [key for key, actor in actors.items() if not actor["issues"]]
    if idle and len(idle) < len(actors):
        for key in idle:
            errors.warn(f"actor {key!r} has no #D rows: left out, as decide leaves it out of "
                        "every exchange", actor_rows[key], 1)
            del actors[key]
        where = _renumbered_actors(where, actor_index, list(actors))
        actor_index = {key: a for a, key in enumerate(actors)}

    for key, actor in actors.items():
        a = actor_index[key]
        where[("actors", a)] = (actor_rows[key], 1)
        where[("actors", a, "id")] = (actor_rows[key], 1)
        own = powers[key]
        actor["capability"] = max(own.values()) if own else 0.0
        if own:  # the capability is the largest power: its #D row's power cell
            strongest = max(own, key=own.__getitem__)
            where[("actors", a, "capability")] = where[("actors", a, "issues", strongest,
                                                       "capability")]
        for issue_key, power in own.items():
            if power != actor["capability"]:
                actor["issues"][issue_key]["capability"] = power
    if not actors:
        errors.add("no actors: a decide file needs #A rows", 1, 1)
    if not issues:
        errors.add("no issues: a decide file needs #P rows", 1, 1)
    errors.raise_if_any()
    data = {
        "id": slugify(path.stem, "scenario"),
        "title": path.stem or "decide scenario",
        "issues": list(issues.values()),
        "actors": list(actors.values()),
    }
    return build_scenario(data, where, file, errors.warnings), where


def _renumbered_actors(where: dict[tuple, Location], old_index: dict[str, int],
                       kept: list[str]) -> dict[tuple, Location]:
    """``where`` with the actors' paths renumbered for the ``kept`` actors (the others' dropped)."""
    new_index = {old_index[key]: a for a, key in enumerate(kept)}
    out: dict[tuple, Location] = {}
    for path, location in where.items():
        if len(path) > 1 and path[0] == "actors":
            if path[1] not in new_index:
                continue
            path = ("actors", new_index[path[1]], *path[2:])
        out[path] = location
    return out


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''").replace("\t", " ").replace("\n", " ") + "'"


def _row(tag: str, *fields: str | float) -> str:
    parts = [_quote(tag)]
    for value in fields:
        parts.append(format_number(value) if isinstance(value, int | float) else _quote(value))
    return "\t".join(parts) + "\n"


def write(scenario: Scenario) -> str:
    """The scenario as a decide input file (see the module docstring for what is not written)."""
    def power(actor, stance) -> float:
        return (stance.capability or actor.capability).value

    largest = max((power(actor, stance) for actor in scenario.actors
                   for stance in actor.issues.values()), default=0.0)
    divisor = largest if largest > 1 else 1.0
    out = [_row("#A", actor.id, actor.name, actor.description) for actor in scenario.actors]
    for issue in scenario.issues:
        out.append(_row("#P", issue.id, issue.name, issue.description))
        out.append(_row("#M", issue.id, issue.scale[0], issue.low_label))
        out.extend(_row("#M", issue.id, point.value, point.label) for point in issue.points)
        out.append(_row("#M", issue.id, issue.scale[1], issue.high_label))
    for actor in scenario.actors:
        for issue in scenario.issues:
            stance = actor.issues.get(issue.id)
            if stance is None:
                continue
            value = power(actor, stance)
            out.append(_row("#D", actor.id, issue.id, stance.position.value,
                            stance.salience.value, value if divisor == 1 else value / divisor))
    return "".join(out)
