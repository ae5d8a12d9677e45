"""The table of a DEU data file (:mod:`allegiance.io.deu`): the actor and bookkeeping columns,
each issue row read into positions, saliences, reference point and outcome on 0–100, and every
malformed cell reported at once with its line and column."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from allegiance.io.deu_values import BASE_VALUES, accepted, base_value, is_missing
from allegiance.io.errors import Problem, ReadError, problem
from allegiance.io.tabular import split_row
from allegiance.scenario import limits

#: actor code -> name (codes as used in the DEU column names)
ACTOR_NAMES: dict[str, str] = {
    "com": "European Commission",
    "ep": "European Parliament",
    "at": "Austria",
    "be": "Belgium",
    "bu": "Bulgaria",
    "cr": "Croatia",
    "cy": "Cyprus",
    "cz": "Czech Republic",
    "dk": "Denmark",
    "ee": "Estonia",
    "fi": "Finland",
    "fr": "France",
    "de": "Germany",
    "el": "Greece",
    "hu": "Hungary",
    "ie": "Ireland",
    "it": "Italy",
    "lv": "Latvia",
    "lt": "Lithuania",
    "lu": "Luxembourg",
    "mt": "Malta",
    "nl": "Netherlands",
    "pl": "Poland",
    "pt": "Portugal",
    "ro": "Romania",
    "si": "Slovenia",
    "sk": "Slovakia",
    "es": "Spain",
    "se": "Sweden",
    "uk": "United Kingdom",
}


INSTITUTIONS = ("com", "ep")


#: identifying/bookkeeping columns (everything that is not p<actor>, s<actor>, rp, out)
REQUIRED_COLUMNS = ("prnrnmc", "isnrnmc", "prnr", "isnr", "proc", "counvte", "rp", "out")


META_COLUMNS = ("prnrnmc", "isnrnmc", "prnr", "prname", "isnr", "type", "council", "proc",
                "counvte", "proccde", "issues", "intro", "finact")


PROCEDURES = BASE_VALUES["proc"]


VOTING_RULES = BASE_VALUES["counvte"]


@dataclass
class _Cell:
    text: str
    line: int
    column: int  # 1-based character column of the field's first character


@dataclass
class DeuRow:
    """One issue row of a DEU file, parsed and checked (positions/saliences on 0–100)."""

    line: int
    meta: dict[str, str]
    position: dict[str, float]  # only actors with a position
    salience: dict[str, float | None]  # actors with a position: None where the cell is empty
    status_quo: float | None
    outcome: float | None
    extra_zero_salience: list[str] = field(default_factory=list)
    #: column -> the cell as written, for the cells read as a variant of a base value
    raw: dict[str, str] = field(default_factory=dict)


def detect(path: Path, text: str) -> bool:
    """True when ``text`` looks like a DEU file (tab-separated header with DEU's columns)."""
    first = text.split("\n", 1)[0]
    if "\t" not in first:
        return False
    names = {cell.strip().strip('"').lower() for cell in first.split("\t")}
    return {"prnrnmc", "isnrnmc", "out"} <= names and any(n.startswith("p") and n[1:] in ACTOR_NAMES
                                                          for n in names)


def _split(line_text: str, line: int) -> list[_Cell]:
    """The tab-separated cells of one line (quotes honoured, as in the other peer formats)."""
    return [_Cell(cell.text, line, cell.column) for cell in split_row(line_text, "\t")]


def _number(cell: _Cell, name: str, file: str, problems: list[Problem], *, low: float = 0,
            high: float = 100, mapped: Counter | None = None) -> float | None:
    """The cell as a number in [low, high]; None when empty or a missing-value code (counted in
    ``mapped``); a located problem when malformed."""
    if cell.text == "":
        return None
    if is_missing(cell.text):
        if mapped is not None:
            column = name if name in ("rp", "out") else f"{name[0]}<actor>"
            mapped[(column, cell.text, "missing")] += 1
        return None
    try:
        value = float(cell.text.replace(",", "."))
    except ValueError:
        problems.append(problem(f"{name}: {cell.text!r} is not a number", file=file,
                                line=cell.line, column=cell.column, path=(name,)))
        return None
    if not math.isfinite(value) or not low <= value <= high:
        problems.append(problem(f"{name}: {value:g} is outside [{low:g}, {high:g}]", file=file,
                                line=cell.line, column=cell.column, path=(name,)))
        return None
    return value


@dataclass
class DeuFile:
    """A parsed DEU file: the actor codes, the capability proxy row and the issue rows."""

    file: str
    actors: list[str]
    proxy: dict[str, float]  # the second row: one capability proxy per actor (may be empty)
    rows: list[DeuRow]
    #: (column, cell as written, value read) -> number of cells, for every variant read
    mapped: Counter = field(default_factory=Counter)

    def mapping_summary(self) -> str | None:
        """One sentence saying which variant cells were read as what, or None."""
        if not self.mapped:
            return None
        parts = [f"{column} {raw!r} as {'missing' if base == 'missing' else repr(base)} "
                 f"({count}×)" for (column, raw, base), count in sorted(self.mapped.items())]
        return (f"{Path(self.file).name}: read {sum(self.mapped.values())} cell(s) written as "
                f"variants of the DEU codebook values: {'; '.join(parts)} (a procedure or voting "
                "rule as written is kept in issue.metadata['raw_cells'])")


def parse_text(text: str, file: str = "<deu>") -> DeuFile:
    """Parse and check a DEU file; raise :class:`ReadError` with every problem found."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ReadError([problem("the file is empty", file=file)], source=file)
    header = _split(lines[0], 1)
    names = [c.text.lower() for c in header]
    problems: list[Problem] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        problems.append(problem(f"not a DEU file: missing column(s) {', '.join(missing)}",
                                file=file, line=1, column=1))
    seen: dict[str, int] = {}
    for cell, name in zip(header, names, strict=True):
        if name in seen:
            problems.append(problem(f"duplicate column {name!r} (first at column "
                                    f"{seen[name]})", file=file, line=1, column=cell.column))
        seen.setdefault(name, cell.column)
    actors = [n[1:] for n in names if n.startswith("p") and n[1:] in ACTOR_NAMES]
    for actor in actors:
        if f"s{actor}" not in names:
            problems.append(problem(f"position column p{actor} has no salience column s{actor}",
                                    file=file, line=1, column=seen[f"p{actor}"]))
    if not actors:
        problems.append(problem("no actor columns (p<actor>/s<actor>, e.g. pcom, scom, pde, sde)",
                                file=file, line=1, column=1))
    if problems:
        raise ReadError(problems, source=file)
    index = {name: i for i, name in reversed(list(enumerate(names)))}
    width = len(names)

    def cells_of(line_no: int) -> list[_Cell] | None:
        cells = _split(lines[line_no - 1], line_no)
        if len(cells) != width:
            problems.append(problem(f"this row has {len(cells)} fields; the header has {width}",
                                    file=file, line=line_no, column=1))
            return None
        return cells

    proxy: dict[str, float] = {}
    mapped: Counter = Counter()
    start = 2
    if len(lines) >= 2:
        second = _split(lines[1], 2)
        identifying = second[index["isnrnmc"]].text if len(second) == width else "x"
        if identifying == "":  # the capability proxy row (no issue number)
            start = 3
            cells = cells_of(2)
            if cells is not None:
                for actor in actors:
                    value = _number(cells[index[f"p{actor}"]], f"p{actor} (capability row)", file,
                                    problems, high=math.inf)
                    if value is not None:
                        proxy[actor] = value
    rows: list[DeuRow] = []
    seen_issue: dict[str, int] = {}
    for line_no in range(start, len(lines) + 1):
        if not lines[line_no - 1].strip():
            continue
        cells = cells_of(line_no)
        if cells is None:
            continue
        meta = {name: cells[index[name]].text for name in META_COLUMNS if name in index}
        for name in ("prnrnmc", "isnrnmc", "prnr", "isnr"):
            if not meta.get(name):
                cell = cells[index[name]]
                problems.append(problem(f"{name}: empty (every issue needs its proposal and issue "
                                        "identifiers)", file=file, line=line_no,
                                        column=cell.column, path=(name,)))
        issue_id = meta.get("isnr", "")
        if issue_id:
            if issue_id in seen_issue:
                problems.append(problem(f"isnr: issue {issue_id!r} repeats line "
                                        f"{seen_issue[issue_id]}", file=file, line=line_no,
                                        column=cells[index["isnr"]].column, path=("isnr",)))
            seen_issue.setdefault(issue_id, line_no)
        raw: dict[str, str] = {}
        for name in ("proc", "counvte"):
            cell = cells[index[name]]
            read = base_value(name, cell.text)
            if read is None:
                what = "procedure" if name == "proc" else "Council voting rule"
                problems.append(problem(f"{name}: {limits.excerpt(cell.text)} is not a {what} "
                                        f"this reader can interpret; write {accepted(name)}",
                                        file=file,
                                        line=line_no, column=cell.column, path=(name,)))
                continue
            meta[name], variant = read
            if variant:
                raw[name] = cell.text
                mapped[(name, cell.text, read[0])] += 1
        position: dict[str, float] = {}
        salience: dict[str, float | None] = {}
        orphan: list[str] = []
        for actor in actors:
            pos = _number(cells[index[f"p{actor}"]], f"p{actor}", file, problems, mapped=mapped)
            sal_cell = cells[index[f"s{actor}"]]
            sal = _number(sal_cell, f"s{actor}", file, problems, mapped=mapped)
            if pos is not None:
                position[actor] = pos
                salience[actor] = sal
            elif sal:  # a salience without a position: the actor is absent; note it
                orphan.append(actor)
        status_quo = _number(cells[index["rp"]], "rp", file, problems, mapped=mapped)
        outcome = _number(cells[index["out"]], "out", file, problems, mapped=mapped)
        if not position:
            problems.append(problem("no actor takes a position on this issue", file=file,
                                    line=line_no, column=1))
        rows.append(DeuRow(line=line_no, meta=meta, position=position, salience=salience,
                           status_quo=status_quo, outcome=outcome, extra_zero_salience=orphan,
                           raw=raw))
    if not rows and not problems:
        problems.append(problem("the file has a header but no issue rows", file=file, line=1))
    if problems:
        raise ReadError(problems, source=file)
    return DeuFile(file=file, actors=actors, proxy=proxy, rows=rows, mapped=mapped)
