"""A written briefing as a stored run (kind ``report``): what ``allegiance report -o FILE`` keeps
in the results store, what ``runs show`` prints of it and how ``runs rerun`` checks it.

The run records the scenario version (by its content hash), the models, the analysis model,
the draws, the seed, the backtest record read and the Allegiance version; its result document
is the briefing's (:meth:`Briefing.to_dict`, every number the page shows) with its summary
sentences, and under ``"output"`` the written file's path, format, size and SHA-256.

A rerun computes the briefing again from the stored scenario document and settings (the
backtest record is the stored one: the file it came from may be gone), renders the page again,
and compares the numbers; the page's own bytes are not compared (a PDF carries its creation
time), only reported.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from allegiance.report.collect import DEFAULT_MODELS, REFERENCE, Briefing, collect

__all__ = ["DEFAULT_OPTIONS", "file_stamp", "render_stored_report", "report_document",
           "rerun_report", "store_in_use"]

#: a report run's options and their defaults (those of ``allegiance report``)
DEFAULT_OPTIONS: dict[str, Any] = {"models": list(DEFAULT_MODELS), "runs": 200,
                                   "analysis_model": REFERENCE, "backtest": None,
                                   "levers": True}
#: result keys that describe the written file or where the run was computed, not its numbers
NOT_COMPARED = ("output", "run_id")


def store_in_use(db: str | None) -> bool:
    """Whether a results store exists for this command: ``--db`` given, the environment names
    one (``ALLEGIANCE_DATABASE_URL``), or the default SQLite file was already created (by an
    earlier ``--save`` or ``allegiance db upgrade``). A report creates no store of its own."""
    from allegiance.store.location import default_url
    from allegiance.store.schema import ENV_VAR

    if db or os.environ.get(ENV_VAR):
        return True
    return Path(default_url().removeprefix("sqlite:///")).is_file()


def file_stamp(path: str | Path) -> dict[str, Any]:
    """The written file: path as given and absolute, format, size and SHA-256."""
    path = Path(path)
    data = path.read_bytes()
    return {"file": str(path), "path": str(path.resolve()),
            "format": path.suffix.lstrip(".").lower(), "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def report_document(briefing: Briefing, output: str | Path | None = None) -> dict[str, Any]:
    """The stored result: the briefing's documents with its summary sentences first, and the
    written file's stamp under ``"output"`` (when ``output`` is given)."""
    from allegiance.summary import with_summary

    document = with_summary("briefing", briefing.to_dict(), briefing.scenario)
    if output is not None:
        document["output"] = file_stamp(output)
    return document


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    found = {k: v for k, v in document.items() if k not in NOT_COMPARED}
    settings = dict(found.get("settings") or {})
    settings.pop("allegiance_version", None)  # a changed version is named as the likely cause
    found["settings"] = settings
    return found


def recompute(store, record) -> tuple[Briefing, str]:
    """The briefing of stored run ``record`` computed again, and its page (HTML)."""
    from allegiance.report.html import render_html

    version = store.get_scenario_version(record.scenario_hash)
    if version is None:
        raise ValueError(f"{store.where}: run {record.id} refers to scenario version "
                         f"{record.scenario_hash}, which is not stored")
    options = {**DEFAULT_OPTIONS, **(record.options or {})}
    stored = record.result or {}
    briefing = collect(version.scenario(), models=list(options["models"]),
                       runs=int(options["runs"]), seed=int(record.seed or 0),
                       sensitivity_model=options["analysis_model"], record=False,
                       levers=bool(options["levers"]))
    briefing.record = stored.get("record")
    briefing.settings["record"] = (stored.get("settings") or {}).get("record")
    return briefing, render_html(briefing)


def rerun_report(store, record, limit: int = 10):
    """:class:`~allegiance.store.compare.RerunReport` of a stored report: the numbers compared,
    the page's SHA-256 reported beside the written file's."""
    from allegiance.store.compare import RerunReport, differences

    briefing, page = recompute(store, record)
    fresh = report_document(briefing)
    import json

    fresh = json.loads(json.dumps(fresh))
    found = differences(_comparable(record.result), _comparable(fresh), limit=limit)
    report = RerunReport(record.id, not found, found, record.allegiance_version)
    written = (record.result or {}).get("output") or {}
    digest = hashlib.sha256(page.encode("utf-8")).hexdigest()
    if written.get("format") in ("html", "htm"):
        same = "the same bytes as" if digest == written.get("sha256") else "other bytes than"
        report.notes.append(f"the page renders again: {same} the stored {written.get('file')}")
    else:
        report.notes.append(f"the page renders again (as HTML; {written.get('file')} was "
                            f"{written.get('format', '?').upper()}, not compared byte for byte)")
    return report


def render_stored_report(document: dict[str, Any], record, version, console) -> None:
    """``runs show`` of a report: its summary, what reproduces it, and the written file (and
    whether it is still there, unchanged)."""
    from allegiance.summary.render import print_summary
    from allegiance.textstyle import styled

    print_summary(document.get("summary") or [], console)
    settings = document.get("settings") or {}
    models = ", ".join(settings.get("models") or {})
    console.print(styled(("briefing ", "bold"), f"{settings.get('title')} "
                         f"({settings.get('content_hash', '')[:19]}); models {models}; "
                         f"analysis model {settings.get('analysis_model')}; "
                         f"{settings.get('runs')} draws; seed {settings.get('seed')}; "
                         f"Allegiance {settings.get('allegiance_version')}"))
    written = document.get("output")
    if not written:
        return
    path = Path(written["path"])
    if not path.is_file():
        state = "no longer there"
    elif hashlib.sha256(path.read_bytes()).hexdigest() == written["sha256"]:
        state = "still there, unchanged"
    else:
        state = "there, but changed since"
    console.print(f"written to {written['file']} ({written['format']}, {written['bytes']:,} "
                  f"bytes, sha256 {written['sha256'][:16]}…): {state}", markup=False)
