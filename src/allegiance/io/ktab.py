"""KTAB SMP CSV: the input of the Spatial Model of Politics of KAPSARC's KTAB (``smpc --csv``).

Layout (comma-separated; KTAB trims whitespace and double quotes)::

    DummyData_3Dim ,"Dummy scenario to test reading format",7,3,
    Actor,Description,Power,Pstn1,Sal1,Pstn2,Sal2,Pstn3,Sal3,
    SActor-00, Random Spatial Actor, 102.543, 75.79, 49.53,  6.37,  5.91, 70.45, 28.15,

Row 1 = scenario name, description, number of actors, number of dimensions (further fields are
ignored); row 2 = header (``Actor, Description, Power`` — or ``Influence`` — then one
position/salience column pair per dimension); then one row per actor.

How it maps onto a :class:`~allegiance.scenario.model.Scenario`:

- scenario ``id`` = slugified name, ``title`` = name, ``description`` = description;
- one issue per dimension, scale ``[0, 100]`` (KTAB's positions are on 0–100); the issue name is
  the position column's header without a trailing ``Position`` (``XYZ Position`` -> ``XYZ``), the
  id its slug. When the two headers are not ``<name> Position`` / ``<name> Salience`` they are kept
  in ``issue.metadata["ktab_columns"]`` so that the writer gives them back;
- actors: ``id`` = slugified name, ``name``, ``description``, ``capability`` = power;
  per dimension ``position`` (0–100) and ``salience`` (KTAB's 0–100 divided by 100).

Every problem (wrong counts, non-numbers, positions or saliences outside 0–100) is reported at
once with file, line and column.

Writing (:func:`write`) is lossless for scenarios read from this format. From other scenarios:
positions on another scale are mapped linearly onto 0–100; an actor without a stance on an issue
gets position 50 with salience 0; commas and double quotes in names and descriptions become
``;`` and ``'`` (KTAB's reader cannot take them, even quoted); per-issue capability overrides,
ranges, sources, notes, history, coalitions, variants and model parameters are not written (KTAB
XML keeps model parameters).
KTAB itself requires each actor's saliences to sum to at most 100 and 3 to 250 actors; the writer
does not change the data to satisfy KTAB.

>>> from pathlib import Path
>>> text = "Toy,A toy,3,1\\nActor,Description,Power,Tax Position,Tax Salience\\n" \\
...        "a,,1,20,50\\nb,,2,80,100\\nc,,1,50,10\\n"
>>> s, where = read_located(Path("toy.csv"), text)
>>> s.issues[0].name, s.actors[1].issues["tax"].salience.value
('Tax', 1.0)
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from allegiance.io.errors import ReadError, problem
from allegiance.io.tabular import (
    MAX_ROWS,
    Cell,
    Collector,
    Location,
    build_scenario,
    format_number,
    head_lines,
    nonblank_lines,
    slugify,
    split_row,
    unique_slugs,
)
from allegiance.scenario.model import Issue, Scenario


def _trimmed(cells: list[Cell]) -> list[Cell]:
    cells = list(cells)
    while cells and not cells[-1].text:
        cells.pop()
    return cells


def _count(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d{1,9}", text.strip()) else None


def detect(path: Path, text: str) -> bool:
    """Row 1 has a name, a description and two whole numbers (actors, dimensions); row 2 starts
    with ``Actor`` and has ``3 + 2 × dimensions`` columns."""
    lines = head_lines(text, 2)
    if len(lines) < 2:
        return False
    first, second = (_trimmed(split_row(line, ",")) for line in lines)
    if len(first) < 4 or _count(first[2].text) is None or _count(first[3].text) is None:
        return False
    dims = _count(first[3].text) or 0
    return (bool(second) and second[0].text.lower() == "actor"
            and len(second) >= 3 + 2 * dims)


def issue_name(position_header: str) -> str:
    """The issue's name from its position column's header (``"Tax Position"`` -> ``"Tax"``);
    string operations only, so the time is linear in the header's length.

    >>> issue_name("Tax Position "), issue_name("position"), issue_name("Superposition")
    ('Tax', 'position', 'Superposition')
    """
    header = position_header.strip()
    if header.lower().endswith("position"):
        name = header[: -len("position")]
        if not name or not (name[-1].isalnum() or name[-1] == "_"):  # a word boundary
            name = name.rstrip()
            return name or header
    return header


def read_located(path: Path, text: str) -> tuple[Scenario, dict[tuple, Location]]:
    """Read a KTAB SMP CSV file (mapping above), with the
    (line, column) of each field."""
    file = str(path)
    errors = Collector(file)
    numbered = nonblank_lines(text, file)
    if len(numbered) < 2:
        raise ReadError([problem("a KTAB CSV needs a first row (name, description, actors, "
                                 "dimensions) and a header row", file=file, line=numbered[0][0])],
                        source=file)
    first_line, first_text = numbered[0]
    first = split_row(first_text, ",")
    while len(first) < 4:
        first.append(Cell("", len(first_text) + 1))
    n_actors = _count(first[2].text)
    n_dims = _count(first[3].text)
    if n_actors is None:
        errors.add(f"number of actors: {first[2].text!r} is not a whole number (row 1 is: name, "
                   "description, number of actors, number of dimensions)", first_line,
                   first[2].column)
    if n_dims is None or n_dims == 0:
        errors.add(f"number of dimensions: {first[3].text!r} is not a whole number >= 1 (row 1 "
                   "is: name, description, number of actors, number of dimensions)",
                   first_line, first[3].column)
    errors.raise_if_any()
    assert n_actors is not None and n_dims is not None
    if n_actors > MAX_ROWS:
        errors.add(f"{n_actors:,} actors; the limit is {MAX_ROWS:,}", first_line, first[2].column)
    errors.raise_if_any()

    header_line, header_text = numbered[1]
    header = _trimmed(split_row(header_text, ","))
    width = 3 + 2 * n_dims
    if len(header) != width or not header or header[0].text.lower() != "actor":
        errors.add(f"the header row should have {width} columns (Actor, Description, Power, then "
                   f"a position and a salience column for each of the {n_dims} dimensions); "
                   f"found {len(header)}", header_line, 1)
    errors.raise_if_any()

    rows = numbered[2:]
    if len(rows) != n_actors:
        where_line = rows[-1][0] if rows else header_line
        errors.add(f"row 1 announces {n_actors} actors but {len(rows)} actor rows follow",
                   where_line if len(rows) > n_actors else first_line,
                   1 if len(rows) > n_actors else first[2].column)

    dim_headers = [(header[3 + 2 * d].text, header[4 + 2 * d].text) for d in range(n_dims)]
    names = [issue_name(p) for p, _ in dim_headers]
    issue_ids = unique_slugs(names, fallback="dimension")
    issues = []
    for d, (pos_header, sal_header) in enumerate(dim_headers):
        item: dict[str, Any] = {"id": issue_ids[d], "name": names[d], "scale": [0.0, 100.0]}
        if (pos_header, sal_header) != (f"{names[d]} Position", f"{names[d]} Salience"):
            item["metadata"] = {"ktab_columns": [pos_header, sal_header]}
        issues.append(item)

    actors = []
    where: dict[tuple, Location] = {}
    for d in range(n_dims):
        where[("issues", d)] = (header_line, header[3 + 2 * d].column)
    actor_names = []
    for line_no, line in rows[:MAX_ROWS]:
        cells = _trimmed(split_row(line, ","))
        if len(cells) != width:
            errors.add(f"expected {width} fields (Actor, Description, Power and {n_dims} "
                       f"position/salience pairs), found {len(cells)}", line_no, 1)
            continue
        if not cells[0].text:
            errors.add("actor: the name is empty", line_no, cells[0].column,
                       ("actors", len(actors), "name"))
        a = len(actors)
        power = errors.number(cells[2], line_no, "power", minimum=0,
                              path=("actors", a, "capability"))
        stances: dict[str, Any] = {}
        for d in range(n_dims):
            pos_cell, sal_cell = cells[3 + 2 * d], cells[4 + 2 * d]
            stance_path = ("actors", a, "issues", issue_ids[d])
            position = errors.number(pos_cell, line_no, f"{names[d]} position", minimum=0,
                                     maximum=100, path=(*stance_path, "position"))
            salience = errors.number(sal_cell, line_no, f"{names[d]} salience", minimum=0,
                                     maximum=100, path=(*stance_path, "salience"))
            if position is not None and salience is not None:
                stances[issue_ids[d]] = {"position": position,
                                         "salience": round(salience / 100, 12)}
                where[("actors", a, "issues", issue_ids[d], "position")] = (line_no,
                                                                            pos_cell.column)
                where[("actors", a, "issues", issue_ids[d], "salience")] = (line_no,
                                                                            sal_cell.column)
        where[("actors", a)] = (line_no, 1)
        where[("actors", a, "id")] = (line_no, cells[0].column)
        where[("actors", a, "name")] = (line_no, cells[0].column)
        where[("actors", a, "capability")] = (line_no, cells[2].column)
        actor_names.append(cells[0].text)
        actors.append({"name": cells[0].text, "description": cells[1].text,
                       "capability": power, "issues": stances})
    errors.raise_if_any()
    for actor, ident in zip(actors, unique_slugs(actor_names), strict=True):
        actor["id"] = ident
    name = first[0].text
    data = {
        "id": slugify(name or path.stem, "scenario"),
        "title": name or path.stem or "KTAB scenario",
        "description": first[1].text,
        "issues": issues,
        "actors": actors,
    }
    return build_scenario(data, where, file), where


# ---------------------------------------------------------------------- writing (shared with XML)
def to_percent_position(value: float, issue: Issue) -> float:
    """A position on KTAB's 0–100 scale (linear map from the issue's scale)."""
    low, high = issue.scale
    if (low, high) == (0.0, 100.0):
        return float(value)
    return round(100.0 * (value - low) / (high - low), 10)


def ktab_matrix(scenario: Scenario) -> list[tuple[Any, list[tuple[float, float]]]]:
    """Each actor with its (position 0–100, salience 0–100) per issue; absent = (50, 0)."""
    result = []
    for actor in scenario.actors:
        pairs = []
        for issue in scenario.issues:
            stance = actor.issues.get(issue.id)
            if stance is None:
                pairs.append((50.0, 0.0))
            else:
                pairs.append((to_percent_position(stance.position.value, issue),
                               round(stance.salience.value * 100, 10)))
        result.append((actor, pairs))
    return result


def column_names(issue: Issue) -> tuple[str, str]:
    columns = issue.metadata.get("ktab_columns")
    if isinstance(columns, list | tuple) and len(columns) == 2 and all(
            isinstance(c, str) for c in columns):
        return columns[0], columns[1]
    return f"{issue.name} Position", f"{issue.name} Salience"


def plain(text: str) -> str:
    """Text KTAB's CSV reader can take: it splits on every comma, even inside quotes, and trims
    double quotes, so commas become ``;``, double quotes ``'`` and line breaks spaces."""
    return " ".join(text.replace(",", ";").replace('"', "'").split())


def write(scenario: Scenario) -> str:
    """The scenario as a KTAB SMP CSV (see the module docstring for what is not written)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar=None)
    writer.writerow([plain(scenario.title), plain(scenario.description), len(scenario.actors),
                     len(scenario.issues)])
    header = ["Actor", "Description", "Power"]
    for issue in scenario.issues:
        header.extend(plain(name) for name in column_names(issue))
    writer.writerow(header)
    for actor, pairs in ktab_matrix(scenario):
        row = [plain(actor.name), plain(actor.description),
               format_number(actor.capability.value)]
        for position, salience in pairs:
            row += [format_number(position), format_number(salience)]
        writer.writerow(row)
    return out.getvalue()
