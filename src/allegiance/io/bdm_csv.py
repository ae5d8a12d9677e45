"""BDM-style CSV: one issue, one row per actor, columns ``Actor,Capability,Position,Salience``.

This is the input of the expected utility model of Bueno de Mesquita (1994) as published with
Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group decision model",
Proceedings of ICAART 2011 (SciTePress). Example::

    Actor,Capability,Position,Salience
    Netherlands,0.08,4,0.8
    Belgium,0.08,7,0.4

How it maps onto a :class:`~allegiance.scenario.model.Scenario`:

- one issue, id ``issue``; the file carries no scale, so the scale is taken from the data: the
  span of the positions rounded out to a whole multiple of the power of ten below that span
  (positions 4…10 give ``[4, 10]``, 12.9…14.25 give ``[12, 15]``, 5…95 give ``[0, 100]``). BDM's
  method measures distances relative to the span of the positions, so the span is the natural
  scale. All positions equal: ``[v - 1, v + 1]``.
- actors: ``id`` = the slugified name (lower case, runs of other characters replaced by ``-``:
  ``EUR/JPN`` -> ``eur-jpn``), ``name`` = the name as written; ``capability`` as written (>= 0).
- salience: 0–1 as in the published files; when any salience exceeds 1 the column is read as
  0–100 and divided by 100 (recorded in ``scenario.metadata["bdm_csv"]["salience_scale"]`` so that
  the writer gives the column back as it was).
- scenario ``id`` = the slugified file name, ``title`` = the file name without its suffix.

The delimiter may be ``,``, ``;`` or a tab (taken from the header line); fields may be quoted with
``"``. Every problem is reported at once with its file, line and column.

Writing (:func:`write`) gives one row per actor present on the issue. A BDM CSV holds a single
issue and plain numbers only: ranges, sources, notes, history, descriptions, coalitions and
variants are not written, nor the scale. A scenario with several issues needs ``issue=`` to say
which one to write (a :class:`ValueError` names the issues otherwise).

>>> from pathlib import Path
>>> text = "Actor,Capability,Position,Salience\\nA,1,20,0.5\\nB,2,80,1\\n"
>>> s, where = read_located(Path("toy.csv"), text)
>>> [a.id for a in s.actors], s.issues[0].scale
(['a', 'b'], (20.0, 80.0))
>>> print(write(s), end="")
Actor,Capability,Position,Salience
A,1,20,0.5
B,2,80,1
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from allegiance.io.tabular import (
    MAX_ROWS,
    Cell,
    Collector,
    Location,
    build_scenario,
    detect_delimiter,
    format_number,
    head_lines,
    nice_scale,
    nonblank_lines,
    slugify,
    split_row,
    unique_slugs,
)
from allegiance.scenario.model import Scenario

COLUMNS = ("actor", "capability", "position", "salience")
HEADER = "Actor,Capability,Position,Salience"


def _header_columns(cells: list[Cell]) -> list[str]:
    names = [c.text.strip().lower() for c in cells]
    while names and not names[-1]:
        names.pop()
    return names


def detect(path: Path, text: str) -> bool:
    """A BDM CSV starts with the header ``Actor,Capability,Position,Salience`` (any order, any
    case; ``,``, ``;`` or tab)."""
    for line in head_lines(text, 1):
        if len(line) > 4096:  # a header of four names is short
            return False
        cells = split_row(line, detect_delimiter(line))
        return sorted(_header_columns(cells)) == sorted(COLUMNS)
    return False


def read_located(path: Path, text: str) -> tuple[Scenario, dict[tuple, Location]]:
    """Read a BDM-style CSV file (mapping above), with the
    (line, column) of each field."""
    file = str(path)
    errors = Collector(file)
    numbered = nonblank_lines(text, file)
    header_line, header = numbered[0]
    delimiter = detect_delimiter(header)
    header_cells = split_row(header, delimiter)
    names = _header_columns(header_cells)
    index: dict[str, int] = {}
    for k, name in enumerate(names):
        if name in COLUMNS and name not in index:
            index[name] = k
        else:
            what = "duplicate column" if name in COLUMNS else "unknown column"
            errors.add(f"{what} {header_cells[k].text!r}; a BDM CSV has the columns {HEADER}",
                       header_line, header_cells[k].column)
    missing = [c for c in COLUMNS if c not in index]
    if missing:
        errors.add(f"missing column(s) {', '.join(missing)}; a BDM CSV starts with the header "
                   f"{HEADER}", header_line, 1)
    errors.raise_if_any()
    rows = numbered[1:]
    if not rows:
        errors.add("no actors: the file has a header but no rows", header_line, 1)
    if len(rows) > MAX_ROWS:
        errors.add(f"the file has {len(rows):,} rows; the limit is {MAX_ROWS:,} actors",
                   rows[MAX_ROWS][0], 1)
    errors.raise_if_any()

    records = []
    width = max(index.values()) + 1
    for line_no, line in rows:
        cells = split_row(line, delimiter)
        if len(cells) < width or any(c.text for c in cells[len(names):]):
            errors.add(f"expected {len(names)} fields ({HEADER}), found {len(cells)}", line_no,
                       1)
            continue
        name_cell = cells[index["actor"]]
        if not name_cell.text:
            errors.add("actor: the name is empty", line_no, name_cell.column,
                       ("actors", len(records), "name"))
        a = len(records)
        capability = errors.number(cells[index["capability"]], line_no, "capability",
                                   minimum=0, path=("actors", a, "capability"))
        position = errors.number(cells[index["position"]], line_no, "position",
                                 path=("actors", a, "issues", "issue", "position"))
        salience = errors.number(cells[index["salience"]], line_no, "salience", minimum=0,
                                 maximum=100, path=("actors", a, "issues", "issue", "salience"))
        records.append((line_no, name_cell, capability, position, salience, cells))
    errors.raise_if_any()

    salience_scale = 100 if any(r[4] > 1 for r in records) else 1
    if salience_scale == 100:
        small = [(r[0], r[4]) for r in records if 0 < r[4] <= 1]
        if small:
            rows = ", ".join(f"line {line} ({format_number(v)})" for line, v in small[:10])
            more = f" and {len(small) - 10} more" if len(small) > 10 else ""
            errors.warn(f"saliences are read on 0–100 because some exceed 1, so {rows}{more} "
                        "become tiny (0.8 → 0.008): if those were meant on 0–1, write every "
                        "salience on one scale", small[0][0], 1)
    positions = [r[3] for r in records]
    scale = nice_scale(positions)
    ids = unique_slugs([r[1].text for r in records])
    actors = []
    where: dict[tuple, Location] = {("issues", 0): (header_line, 1)}
    for a, (line_no, name_cell, capability, position, salience, cells) in enumerate(records):
        if salience_scale == 100:
            salience = round(salience / 100, 12)
        actors.append({
            "id": ids[a], "name": name_cell.text, "capability": capability,
            "issues": {"issue": {"position": position, "salience": salience}},
        })
        where[("actors", a)] = (line_no, 1)
        where[("actors", a, "id")] = (line_no, name_cell.column)
        where[("actors", a, "name")] = (line_no, name_cell.column)
        where[("actors", a, "capability")] = (line_no, cells[index["capability"]].column)
        for column in ("position", "salience"):
            where[("actors", a, "issues", "issue", column)] = (line_no, cells[index[column]].column)
    data: dict[str, Any] = {
        "id": slugify(path.stem, "scenario"),
        "title": path.stem or "BDM scenario",
        "issues": [{"id": "issue", "name": "Issue", "scale": list(scale)}],
        "actors": actors,
    }
    if salience_scale == 100:
        data["metadata"] = {"bdm_csv": {"salience_scale": 100}}
    return build_scenario(data, where, file, errors.warnings), where


def write(scenario: Scenario, issue: str | None = None) -> str:
    """The scenario as a BDM-style CSV (one issue: ``issue``, or the only one)."""
    if issue is None:
        if len(scenario.issues) != 1:
            ids = ", ".join(scenario.issue_ids)
            raise ValueError(
                f"a BDM CSV holds one issue; scenario {scenario.id!r} has {len(scenario.issues)} "
                f"({ids}): name the issue to write, write(scenario, issue=ID)")
        issue = scenario.issues[0].id
    elif issue not in scenario.issue_ids:
        raise ValueError(f"no issue {issue!r} in scenario {scenario.id!r} "
                         f"(issues: {', '.join(scenario.issue_ids)})")
    salience_scale = scenario.metadata.get("bdm_csv", {}).get("salience_scale", 1) \
        if isinstance(scenario.metadata.get("bdm_csv"), dict) else 1
    salience_scale = 100 if salience_scale == 100 else 1
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Actor", "Capability", "Position", "Salience"])
    for actor in scenario.actors:
        stance = actor.issues.get(issue)
        if stance is None:
            continue
        capability = stance.capability if stance.capability is not None else actor.capability
        writer.writerow([
            actor.name,
            format_number(capability.value),
            format_number(stance.position.value),
            format_number(stance.salience.value if salience_scale == 1
                          else round(stance.salience.value * salience_scale, 12)),
        ])
    return out.getvalue()
