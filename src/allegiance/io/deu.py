"""Importer for the DEU data sets ("Decision-making in the European Union").

The DEU data sets record, for each controversial issue raised by an EU legislative proposal, the
policy positions (0–100) and saliences (0–100) that experts attributed to the Commission
(``com``), the European Parliament (``ep``) and each member state, the reference point (``rp``,
the status quo) and the decision outcome (``out``). They are the field's standard test for models
of collective decisions:

- Thomson, Stokman, Achen & König (eds., 2006), *The European Union Decides*, Cambridge UP (DEU I);
- Thomson, Arregui, Leuffen, Costello, Cross, Hertz & Jensen (2012), "A new dataset on decision-
  making in the European Union before and after the 2004 and 2007 enlargements (DEUII)",
  *Journal of European Public Policy* 19(4);
- Arregui & Perarnaud (2021), "A new dataset on legislative decision-making in the European
  Union: the DEU III dataset", *Journal of European Public Policy* 29(1), doi:10.34810/data53.

File layout read here (tab-separated, fields optionally in double quotes): a header row; a second
row holding one capability proxy per actor column (a GDP-based proxy added by a third party, used
by the ``gdp`` capability option); then one row per issue with the columns ``prnrnmc`` (proposal
number), ``isnrnmc`` (issue number), ``prnr`` (proposal id), ``prname`` (proposal short name),
``isnr`` (issue id), ``type``, ``council``, ``proc`` (procedure: COD or CNS), ``counvte`` (Council
voting rule: QMV or Unan), ``proccde``, ``issues``, ``intro``, ``finact``, ``p<actor>`` (position),
``s<actor>`` (salience), ``rp`` and ``out``.

Each issue becomes one :class:`~allegiance.scenario.model.Scenario` with one issue on the scale
0–100: actors without a position are absent from it; saliences are stored on 0–1; the reference
point becomes the issue's ``status_quo``; the outcome and the DEU bookkeeping (proposal, procedure,
voting rule...) are kept in ``issue.metadata``. Capabilities come from one of the options of
:mod:`allegiance.validation.capability`.

Every malformed cell is reported at once, with file, line and column, as a
:class:`~allegiance.io.errors.ReadError`.

Example
-------
>>> from pathlib import Path
>>> text = ("prnrnmc\\tisnrnmc\\tprnr\\tprname\\tisnr\\tproc\\tcounvte\\tpcom\\tpde\\tpfr\\t"
...         "scom\\tsde\\tsfr\\trp\\tout\\n"
...         "\\t\\t\\t\\t\\t\\t\\t1\\t4.1\\t2.8\\t\\t\\t\\t\\t\\n"
...         "1\\t1\\tp1\\ttoy\\tp1i1\\tCNS\\tQMV\\t100\\t0\\t\\t50\\t80\\t0\\t0\\t40\\n")
>>> [scenario] = read_dataset_text(text, "toy.tsv")
>>> [a.id for a in scenario.actors], scenario.issues[0].metadata["outcome"]
(['com', 'de'], 40.0)
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from allegiance.io.deu_values import BASE_VALUES, accepted, base_value, is_missing
from allegiance.io.errors import Problem, ReadError, problem, validation_message
from allegiance.scenario.model import Scenario, ScenarioInvalid

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


class DeuValuesMapped(UserWarning):
    """Some cells of a DEU file were written as variants and read as their base value (or as
    missing); the message says which, how often."""

CITATION = (
    "DEU data set: Arregui & Perarnaud (2021), 'A new dataset on legislative decision-making in "
    "the European Union: the DEU III dataset', doi:10.34810/data53; Thomson et al. (2006), The "
    "European Union Decides; Thomson et al. (2012), DEU II."
)


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
    cells = []
    column = 1
    for raw in line_text.split("\t"):
        stripped = raw.strip()
        if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
            stripped = stripped[1:-1]
        cells.append(_Cell(stripped, line, column))
        column += len(raw) + 1
    return cells


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
                problems.append(problem(f"{name}: {cell.text!r} is not a {what} this reader can "
                                        f"interpret; write {accepted(name)}", file=file,
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


def _fill_salience(row: DeuRow) -> tuple[dict[str, float], list[str]]:
    """Saliences on 0–100 for every actor with a position; an empty salience cell (a position
    without a salience) gets the mean salience of the other actors on the issue."""
    given = [s for s in row.salience.values() if s is not None]
    fill = sum(given) / len(given) if given else 50.0
    filled = {a: (fill if s is None else s) for a, s in row.salience.items()}
    imputed = [a for a, s in row.salience.items() if s is None]
    return filled, imputed


def scenarios_from(parsed: DeuFile, capability: str = "equal") -> list[Scenario]:
    """One scenario per issue row of a parsed DEU file, with capabilities from ``capability``."""
    from allegiance.validation.capability import capabilities, check_option, membership

    option = check_option(capability)
    if option == "gdp" and not parsed.proxy:
        raise ReadError([problem("--capability gdp needs the capability row (the second row, "
                                 "one number per actor column), which this file lacks",
                                 file=parsed.file, line=2)], source=parsed.file)
    members = membership(parsed)
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for row in parsed.rows:
        meta = row.meta
        salience, imputed = _fill_salience(row)
        council = members[meta["prnrnmc"]]
        try:
            weights = capabilities(option, present=list(row.position), procedure=meta["proc"],
                                   voting_rule=meta["counvte"], council=council,
                                   proxy=parsed.proxy)
        except ValueError as exc:
            problems.append(problem(str(exc), file=parsed.file, line=row.line, column=1))
            continue
        issue_id = meta["isnr"]
        issue_meta: dict[str, Any] = {
            "outcome": row.outcome,
            "proposal": meta["prnr"],
            "proposal_number": _int_or_text(meta["prnrnmc"]),
            "issue_number": _int_or_text(meta["isnrnmc"]),
            "procedure": meta["proc"],
            "voting_rule": meta["counvte"],
            "capability": option,
            "council_members": council,
            "source_line": row.line,
        }
        for key in ("prname", "type", "council", "proccde", "issues", "intro", "finact"):
            if meta.get(key):
                issue_meta[{"prname": "proposal_name", "council": "council_configuration",
                            "issues": "issues_in_proposal"}.get(key, key)] = meta[key]
        if imputed:
            issue_meta["imputed_salience"] = imputed
        if row.raw:
            issue_meta["raw_cells"] = dict(row.raw)
        if row.extra_zero_salience:
            issue_meta["salience_without_position"] = row.extra_zero_salience
        data = {
            "id": issue_id,
            "title": f"{meta.get('prname') or meta['prnr']}: issue {meta['isnrnmc']} "
                     f"({meta['prnr']})",
            "description": f"DEU issue {issue_id} of proposal {meta['prnr']} ({meta['proc']}, "
                           f"Council {meta['counvte']}). {CITATION}",
            "metadata": {"dataset": "DEU", "file": Path(parsed.file).name, "capability": option},
            "sources": [DEU_SOURCE, *([CAPABILITY_SOURCES[option]]
                                      if option in CAPABILITY_SOURCES else [])],
            "issues": [{
                "id": issue_id,
                "name": f"{meta.get('prname') or meta['prnr']} issue {meta['isnrnmc']}",
                "scale": (0.0, 100.0),
                "status_quo": row.status_quo,
                "metadata": issue_meta,
            }],
            "actors": [
                {
                    "id": actor,
                    "name": ACTOR_NAMES[actor],
                    "groups": ["institution" if actor in INSTITUTIONS else "member-state"],
                    "capability": _sourced(weights[actor], CAPABILITY_SOURCES.get(option)),
                    "issues": {issue_id: {
                        "position": _sourced(row.position[actor], DEU_SOURCE),
                        "salience": _sourced(salience[actor] / 100.0, DEU_SOURCE,
                                             "imputed: mean salience of the other actors"
                                             if actor in imputed else ""),
                    }},
                }
                for actor in parsed.actors if actor in row.position
            ],
        }
        try:
            scenarios.append(Scenario.model_validate(data))
        except ScenarioInvalid as exc:
            problems.extend(p.model_copy(update={"file": parsed.file, "line": row.line})
                            for p in exc.problems)
        except ValidationError as exc:
            problems.extend(problem(f"{'.'.join(map(str, e['loc']))}: {validation_message(e)}",
                                    file=parsed.file, line=row.line) for e in exc.errors())
    if problems:
        raise ReadError(problems, source=parsed.file)
    summary = parsed.mapping_summary()
    if summary:
        warnings.warn(summary, DeuValuesMapped, stacklevel=2)
    return scenarios


#: the source of every position and salience (expert interviews of the DEU project)
DEU_SOURCE: dict[str, Any] = {
    "id": "deu",
    "title": "DEU data set: positions, saliences and outcomes from expert interviews",
    "author": "Arregui & Perarnaud (2021); Thomson, Stokman, Achen & König (2006); Thomson et "
              "al. (2012)",
    "url": "https://doi.org/10.34810/data53",
    "reliability": "B",
    "credibility": 2,
    "note": "Structured interviews with participants in the negotiations; one estimate per actor.",
}
#: the source of the capabilities, per capability option (``equal`` is an analyst assumption)
CAPABILITY_SOURCES: dict[str, dict[str, Any]] = {
    "gdp": {"id": "gdp-proxy", "title": "GDP-based capability proxy row of the DEU file",
            "author": "third party (GitHub blksv/predictioneers_game)", "reliability": "C",
            "credibility": 3, "note": "A proxy added to the data set by a third party."},
    "council-votes": {"id": "treaty", "title": "Council voting weights under the Treaty of Nice",
                      "reliability": "A", "credibility": 1,
                      "note": "Commission and Parliament weights by procedure: see "
                              "allegiance.validation.capability."},
    "shapley-shubik": {"id": "treaty", "title": "Council voting weights of the treaties "
                       "(Amsterdam, Nice) and the legislative procedures", "reliability": "A",
                       "credibility": 1,
                       "note": "Shapley–Shubik power in the procedure's voting game (Thomson et "
                               "al. 2006; Achen 2006)."},
}


def _sourced(value: float, source: dict[str, Any] | None, note: str = "") -> Any:
    if source is None:
        return value
    estimate: dict[str, Any] = {"value": value, "sources": [source["id"]]}
    if note:
        estimate["note"] = note
    return estimate


def _int_or_text(text: str) -> int | str:
    try:
        return int(float(text))
    except ValueError:
        return text


def read_dataset_text(text: str, file: str = "<deu>", capability: str = "equal"
                      ) -> list[Scenario]:
    """Like :func:`read_dataset` on ``text`` (reported as coming from ``file``)."""
    return scenarios_from(parse_text(text, file), capability)


def read_dataset(path: str | Path, capability: str = "equal") -> list[Scenario]:
    """Read a DEU file: one :class:`Scenario` per issue.

    ``capability`` is one of :data:`allegiance.validation.capability.OPTIONS` (``equal``, ``gdp``,
    ``council-votes``, ``shapley-shubik``). Raises :class:`ReadError` listing every malformed cell
    with its file, line and column.
    """
    from allegiance.io.yaml_format import read_text

    path = Path(path)
    if not path.is_file():
        raise ReadError([problem("no such file", file=str(path))], source=str(path))
    return read_dataset_text(read_text(path), str(path), capability)


def write_dataset_yaml(scenarios: list[Scenario], out_dir: str | Path) -> list[Path]:
    """Write each scenario as ``<out_dir>/<scenario id>.yaml`` (atomically); return the paths."""
    from allegiance.io.yaml_format import write_yaml

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for scenario in scenarios:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in scenario.id)
        target = out / f"{safe}.yaml"
        write_yaml(scenario, target)
        written.append(target)
    return written


# the single-scenario format interface (allegiance.io.FORMATS): the first issue only is not
# useful, so reading a DEU file as *one* scenario points the user to the dataset functions.
def read(path: Path, text: str) -> Scenario:
    scenarios = read_dataset_text(text, str(path))
    if len(scenarios) == 1:
        return scenarios[0]
    raise ReadError([problem(f"this DEU file holds {len(scenarios)} issues, one scenario each; "
                             "import it with `allegiance import FILE -o DIR` or run "
                             "`allegiance backtest FILE`", file=str(path))], source=str(path))


def write(scenario: Scenario) -> str:
    """Writing the DEU format is not supported (it is a data set, not a scenario format)."""
    raise ValueError("exporting to the DEU format is not supported; export to yaml instead")


__all__ = [
    "ACTOR_NAMES",
    "CITATION",
    "DeuFile",
    "DeuValuesMapped",
    "DeuRow",
    "detect",
    "parse_text",
    "read",
    "read_dataset",
    "read_dataset_text",
    "scenarios_from",
    "write",
    "write_dataset_yaml",
]
