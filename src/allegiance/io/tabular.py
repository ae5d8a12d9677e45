"""Small text helpers shared by the peer-format readers (BDM CSV, KTAB CSV/XML, decide).

Rows split into located cells, slugs for ids, number formatting for writers, and a
:class:`Collector` that gathers every problem of a file with its line and column.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from allegiance.io.errors import Problem, ReadError, problem
from allegiance.io.yaml_format import scenario_from_data
from allegiance.scenario import limits
from allegiance.scenario.model import Scenario

MAX_ROWS = limits.MAX_ACTORS  # actors; no peer tool takes more (KTAB: 250)
#: a decimal number: unambiguous, so matching is linear in the length of the text
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
MAX_PROBLEMS = 200

#: where a field of a scenario came from: (line, column) in its file, both counted from 1; a
#: reader's ``read_located`` maps each scenario path (a tuple of keys) to one, for locating the
#: warnings of a valid scenario (``yaml_format.locate``)
Location = tuple[int, int]


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
    if not any(quote in line for quote in quotes):  # no quotes: the same cells, found faster
        cells = []
        column = 1
        for raw in line.split(delimiter):
            cells.append(Cell(raw.strip(), column + len(raw) - len(raw.lstrip(" \t"))))
            column += len(raw) + 1
        return cells
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


def nonblank_lines(text: str, file: str) -> list[tuple[int, str]]:
    """The file's non-blank lines with their numbers (from 1); a located error, naming ``file``,
    when there is none.

    >>> nonblank_lines("a\\n\\n b", "f.csv")
    [(1, 'a'), (3, ' b')]
    """
    numbered = [(n, line) for n, line in enumerate(text_lines(text), start=1) if line.strip()]
    if not numbered:
        raise ReadError([problem("the file is empty", file=file)], source=file)
    return numbered


def head_lines(text: str, count: int) -> list[str]:
    """The first ``count`` non-blank lines of ``text`` (fewer if it has fewer), each whole
    however long, reading no further than they reach (for detecting a format by its header).

    >>> head_lines("\\n\\na,b\\r\\n" + "c" * 10_000 + "\\nd", 2) == ["a,b", "c" * 10_000]
    True
    """
    lines: list[str] = []
    start = 1 if text.startswith("\ufeff") else 0
    while len(lines) < count and start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        line = line[:-1] if line.endswith("\r") else line
        if line.strip():
            lines.append(line)
        start = end + 1
    return lines


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
    warnings: list[Problem] = field(default_factory=list)

    def warn(self, message: str, line: int | None = None, column: int | None = None) -> None:
        """Record a warning: the file is read, but the reader had to interpret something."""
        if len(self.warnings) < MAX_PROBLEMS:
            self.warnings.append(problem(message, file=self.file, line=line, column=column,
                                         severity="warning"))

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
        if not text:
            self.add(f"{what}: missing (expected a number)", line, cell.column, path)
            return None
        if len(text) > limits.MAX_NUMBER_CHARS:
            self.add(f"{what}: {limits.excerpt(text)} is not a number: numbers are limited to "
                     f"{limits.MAX_NUMBER_CHARS} characters (limit max-number-chars)", line,
                     cell.column, path)
            return None
        if decimal_comma and _DECIMAL_COMMA.fullmatch(text):
            text = text.replace(",", ".")
        value = float(text) if _NUMBER.fullmatch(text) else None
        if value is None or not math.isfinite(value):
            self.add(f"{what}: {limits.excerpt(cell.text)} is not a number", line, cell.column,
                     path)
            return None
        if abs(value) > limits.MAX_MAGNITUDE:
            self.add(f"{what}: {format_number(value)} is too large: numbers are limited to "
                     f"magnitude {limits.MAX_MAGNITUDE:g} (limit max-magnitude)", line,
                     cell.column, path)
            return None
        if minimum is not None and value < minimum or maximum is not None and value > maximum:
            lo = "-inf" if minimum is None else format_number(minimum)
            hi = "inf" if maximum is None else format_number(maximum)
            self.add(f"{what}: {format_number(value)} is outside [{lo}, {hi}]", line,
                     cell.column, path)
            return None
        return value

    def raise_if_any(self) -> None:
        """Raise every problem found, in the order of the file (unlocated ones last)."""
        if self.problems:
            ordered = sorted(self.problems, key=lambda p: (p.line is None, p.line or 0,
                                                           p.column or 0))
            raise ReadError(ordered, source=self.file)


def build_scenario(data: dict[str, Any], where: dict[tuple, Location], file: str,
                   warnings: list[Problem] | None = None) -> Scenario:
    """Validate ``data`` as a Scenario; every problem is located with ``where`` (path -> line,
    column of the cell the field came from). The reader's ``warnings`` travel with the scenario
    (``scenario.derived["read_warnings"]``, not part of its substance) for ``validate`` to show."""
    scenario = scenario_from_data(data, where, file)
    if warnings:
        scenario.derived["read_warnings"] = list(warnings)
    return scenario


def estimate_value(estimate: Any) -> float:
    return float(estimate.value)


def nice_scale(values: list[float]) -> tuple[float, float]:
    """The span of ``values`` rounded out to a multiple of the power of ten below the span.

    >>> nice_scale([4, 7, 10]), nice_scale([12.9, 14.25]), nice_scale([5, 95]), nice_scale([3, 3])
    ((4.0, 10.0), (12.0, 15.0), (0.0, 100.0), (2.0, 4.0))
    """
    low, high = min(values), max(values)
    span = high - low
    # a span too small to tell from rounding (e.g. 0 and 5e-324) counts as no span
    if not span > 1e-9 * max(abs(low), abs(high), 1e-300) or span < 1e-300:
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
