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

This module also holds the small text helpers every peer-format reader uses (:func:`split_row`,
:func:`slugify`, :class:`Collector`, :func:`build_scenario`).

>>> from pathlib import Path
>>> s = read(Path("toy.csv"), "Actor,Capability,Position,Salience\\nA,1,20,0.5\\nB,2,80,1\\n")
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
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allegiance.io.errors import Problem, ReadError, problem
from allegiance.io.yaml_format import scenario_from_data
from allegiance.scenario.model import Scenario

COLUMNS = ("actor", "capability", "position", "salience")
HEADER = "Actor,Capability,Position,Salience"
MAX_ROWS = 20_000  # actors; no peer tool takes more (KTAB: 250), and reading stays within seconds
MAX_PROBLEMS = 200

Location = tuple[int, int]


# ---------------------------------------------------------------------- shared text helpers
@dataclass(frozen=True)
class Cell:
    """One field of a delimited line: its text (unquoted, stripped) and 1-based column."""

    text: str
    column: int


def split_row(line: str, delimiter: str, quotes: str = '"') -> list[Cell]:
    """Split one line into cells, honouring quotes (a doubled quote inside quotes is a quote).

    Whitespace around unquoted fields is dropped; the column is where the field's text starts.

    >>> [(c.text, c.column) for c in split_row("a, 'b;c' ,3", ",", quotes="'")]
    [('a', 1), ('b;c', 4), ('3', 11)]
    """
    cells: list[Cell] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in " \t" and line[i] != delimiter:
            i += 1
        start = i
        if i < n and line[i] in quotes:
            quote = line[i]
            i += 1
            text = []
            while i < n:
                if line[i] == quote:
                    if i + 1 < n and line[i + 1] == quote:
                        text.append(quote)
                        i += 2
                        continue
                    i += 1
                    break
                text.append(line[i])
                i += 1
            # anything between the closing quote and the delimiter is kept (malformed but readable)
            tail_start = i
            while i < n and line[i] != delimiter:
                i += 1
            value = "".join(text) + line[tail_start:i].strip()
        else:
            while i < n and line[i] != delimiter:
                i += 1
            value = line[start:i].strip()
        cells.append(Cell(value, start + 1))
        if i >= n:
            return cells
        i += 1  # skip the delimiter


def text_lines(text: str) -> list[str]:
    """The file's lines (``\\n`` or ``\\r\\n``), without a byte-order mark."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def slugify(name: str, fallback: str = "actor") -> str:
    """A lower-case identifier from a name: letters, digits, ``-`` and ``_``.

    >>> slugify("EUR/JPN"), slugify("Religious Leaders"), slugify("Côte d'Ivoire")
    ('eur-jpn', 'religious-leaders', 'cote-d-ivoire')
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_name.lower()).strip("-")
    return slug or fallback


def unique_slugs(names: list[str], fallback: str = "actor") -> list[str]:
    """Slugs for ``names``; different names with the same slug get ``-2``, ``-3``... (the same
    name twice keeps the same slug, so that the duplicate is reported)."""
    slugs: list[str] = []
    taken: dict[str, str] = {}
    for number, name in enumerate(names, start=1):
        base = slugify(name, f"{fallback}-{number}")
        slug, k = base, 1
        while slug in taken and taken[slug] != name:
            k += 1
            slug = f"{base}-{k}"
        taken.setdefault(slug, name)
        slugs.append(slug)
    return slugs


def format_number(value: float) -> str:
    """The shortest text that reads back as the same float (integers without ``.0``)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


@dataclass
class Collector:
    """Collects located problems of one file; :meth:`raise_if_any` raises them all at once."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, line: int | None = None, column: int | None = None,
            path: tuple = ()) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem(message, file=self.file, line=line, column=column,
                                         path=path))
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append(problem(f"more than {MAX_PROBLEMS} problems; stopped listing",
                                         file=self.file))

    def number(self, cell: Cell, line: int, what: str, *, minimum: float | None = None,
               maximum: float | None = None, decimal_comma: bool = False,
               path: tuple = ()) -> float | None:
        """``cell`` as a finite number, or None after recording a located problem."""
        text = cell.text
        if decimal_comma and re.fullmatch(r"[+-]?\d+,\d+", text):
            text = text.replace(",", ".")
        if not text:
            self.add(f"{what}: missing (expected a number)", line, cell.column, path)
            return None
        try:
            value = float(text) if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?",
                                                text) else None
        except (ValueError, OverflowError):
            value = None
        if value is None or not math.isfinite(value):
            self.add(f"{what}: {cell.text!r} is not a number", line, cell.column, path)
            return None
        if minimum is not None and value < minimum or maximum is not None and value > maximum:
            lo = "-inf" if minimum is None else format_number(minimum)
            hi = "inf" if maximum is None else format_number(maximum)
            self.add(f"{what}: {format_number(value)} is outside [{lo}, {hi}]", line,
                     cell.column, path)
            return None
        return value

    def raise_if_any(self) -> None:
        if self.problems:
            raise ReadError(self.problems, source=self.file)


def build_scenario(data: dict[str, Any], where: dict[tuple, Location], file: str) -> Scenario:
    """Validate ``data`` as a Scenario; every problem is located with ``where`` (path -> line,
    column of the cell the field came from)."""
    return scenario_from_data(data, where, file)


def estimate_value(estimate: Any) -> float:
    return float(estimate.value)


def nice_scale(values: list[float]) -> tuple[float, float]:
    """The span of ``values`` rounded out to a multiple of the power of ten below the span.

    >>> nice_scale([4, 7, 10]), nice_scale([12.9, 14.25]), nice_scale([5, 95]), nice_scale([3, 3])
    ((4.0, 10.0), (12.0, 15.0), (0.0, 100.0), (2.0, 4.0))
    """
    low, high = min(values), max(values)
    span = high - low
    if span <= 0:
        return float(low - 1), float(high + 1)
    unit = 10.0 ** math.floor(math.log10(span))
    lo = math.floor(low / unit + 1e-9) * unit
    hi = math.ceil(high / unit - 1e-9) * unit
    return float(round(lo, 12)), float(round(hi, 12))


def detect_delimiter(line: str, candidates: str = ",;\t") -> str:
    counts = {d: line.count(d) for d in candidates}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# ---------------------------------------------------------------------- the BDM CSV format
def _header_columns(cells: list[Cell]) -> list[str]:
    names = [c.text.strip().lower() for c in cells]
    while names and not names[-1]:
        names.pop()
    return names


def detect(path: Path, text: str) -> bool:
    """A BDM CSV starts with the header ``Actor,Capability,Position,Salience`` (any order, any
    case; ``,``, ``;`` or tab)."""
    for line in text_lines(text[:4096]):
        if not line.strip():
            continue
        cells = split_row(line, detect_delimiter(line))
        names = _header_columns(cells)
        return sorted(names) == sorted(COLUMNS)
    return False


def read(path: Path, text: str) -> Scenario:
    """Read a BDM-style CSV file (see the module docstring for the mapping)."""
    return read_located(path, text)[0]


def read_located(path: Path, text: str) -> tuple[Scenario, dict[tuple, Location]]:
    """:func:`read`, also giving where each field came from: scenario path -> (line, column),
    for locating the warnings of a valid scenario with ``yaml_format.locate``."""
    file = str(path)
    errors = Collector(file)
    lines = text_lines(text)
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise ReadError([problem("the file is empty", file=file)], source=file)
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
    return build_scenario(data, where, file), where


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
