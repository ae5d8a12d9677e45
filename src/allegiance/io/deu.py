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
:mod:`allegiance.io.deu_capability`.

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

import warnings
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from allegiance.io.deu_table import (
    ACTOR_NAMES,
    INSTITUTIONS,
    DeuFile,
    DeuRow,
    detect,
    parse_text,
)
from allegiance.io.errors import Problem, ReadError, problem, validation_message
from allegiance.scenario import limits
from allegiance.scenario.model import Scenario, ScenarioInvalid


class DeuValuesMapped(UserWarning):
    """Some cells of a DEU file were written as variants and read as their base value (or as
    missing); the message says which, how often."""


CITATION = (
    "DEU data set: Arregui & Perarnaud (2021), 'A new dataset on legislative decision-making in "
    "the European Union: the DEU III dataset', doi:10.34810/data53; Thomson et al. (2006), The "
    "European Union Decides; Thomson et al. (2012), DEU II."
)


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
                              "allegiance.io.deu_capability."},
    "shapley-shubik": {"id": "treaty", "title": "Council voting weights of the treaties "
                       "(Amsterdam, Nice) and the legislative procedures", "reliability": "A",
                       "credibility": 1,
                       "note": "Shapley–Shubik power in the procedure's voting game (Thomson et "
                               "al. 2006; Achen 2006)."},
}


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
    from allegiance.io.deu_capability import capabilities, check_option, membership

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
    except (ValueError, OverflowError):  # not a number, or inf / 1e999
        return text


def read_dataset_text(text: str, file: str = "<deu>", capability: str = "equal"
                      ) -> list[Scenario]:
    """Like :func:`read_dataset` on ``text`` (reported as coming from ``file``)."""
    return scenarios_from(parse_text(text, file), capability)


def read_dataset(path: str | Path, capability: str = "equal") -> list[Scenario]:
    """Read a DEU file: one :class:`Scenario` per issue.

    ``capability`` is one of :data:`allegiance.io.deu_capability.OPTIONS` (``equal``, ``gdp``,
    ``council-votes``, ``shapley-shubik``). Raises :class:`ReadError` listing every malformed cell
    with its file, line and column.
    """
    from allegiance.io.filesystem import read_text

    path = Path(path)
    if not path.is_file():
        raise ReadError([problem("no such file", file=str(path))], source=str(path))
    return read_dataset_text(read_text(path, limits.MAX_DATASET_BYTES), str(path), capability)


def write_dataset_yaml(scenarios: list[Scenario], out_dir: str | Path) -> list[Path]:
    """Write each scenario as ``<out_dir>/<scenario id>.yaml``; return the paths.

    The files are written into a temporary folder beside ``out_dir`` first and moved into place
    only when all of them are written, so an interrupted import leaves no partial folder (a new
    ``out_dir`` appears whole, by one rename; into an existing one each file is moved atomically).
    """
    import shutil
    import tempfile

    from allegiance.io.filesystem import WriteError
    from allegiance.io.yaml_format import dump_yaml

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise WriteError(f"{out} is a file; give a folder for the data set's scenarios")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name[:100]}.partial-", dir=out.parent))
    except OSError as exc:
        raise WriteError(f"cannot write into {out}: {exc.strerror}") from None
    names = []
    try:
        for scenario in scenarios:
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in scenario.id)
            name = f"{safe[:200]}.yaml"
            (staging / name).write_text(dump_yaml(scenario), encoding="utf-8")
            names.append(name)
        if not out.exists():
            staging.rename(out)
        else:
            for name in names:
                (staging / name).replace(out / name)
            staging.rmdir()
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise WriteError(f"cannot write into {out}: {exc.strerror}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / name for name in names]


# the single-scenario format interface (allegiance.io.FORMATS): the first issue only is not
# useful, so reading a DEU file as *one* scenario points the user to the dataset functions.
def read(path: Path, text: str) -> Scenario:
    parsed = parse_text(text, str(path))  # rows only: a data set is refused before it is built
    if len(parsed.rows) == 1:
        return scenarios_from(parsed)[0]
    raise ReadError([problem(f"this DEU file holds {len(parsed.rows)} issues, one scenario each; "
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
