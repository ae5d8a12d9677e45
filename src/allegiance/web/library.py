"""The scenario library as the web app sees it: the built-ins and every stored scenario with its
versions, looked up by id or content hash; uploads read by the CLI's own safe readers; the size
limit on scenarios.

A built-in scenario is stored as its first version the first time it is edited or run, so that
every run refers to a stored document and an edited built-in has a history that starts at the
original.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

from allegiance.io import DATASET_FORMATS, FORMATS, builtin_scenarios, detect_format, load_scenario
from allegiance.io.errors import ReadError, problem
from allegiance.scenario.model import Scenario

BUILTIN_AUTHOR = "built-in"


def as_dict(record: Any, **options: Any) -> dict[str, Any]:
    """A store record (dataclass with ``to_dict``) or a row mapping, as a plain dict."""
    if record is None:
        return {}
    if isinstance(record, dict):
        return dict(record)
    return record.to_dict(**options)


@functools.cache
def _builtin_rows() -> tuple[tuple[str, str], ...]:
    """``(name, title)`` of the built-in scenarios (package files: read once per process)."""
    return tuple((name, load_scenario(path).title)
                 for name, path in sorted(builtin_scenarios().items()))


@functools.cache
def _builtin_hashes() -> dict[str, str]:
    """Content hash -> name of every built-in scenario."""
    return {load_scenario(path).content_hash(): name
            for name, path in builtin_scenarios().items()}


def library(store: Any) -> list[dict[str, Any]]:
    """One row per scenario id: title, whether it is built in, its versions (newest first)."""
    rows: dict[str, dict[str, Any]] = {}
    for name, title in _builtin_rows():
        rows[name] = {"id": name, "title": title, "builtin": True, "versions": []}
    for entry in store.list_scenarios():
        item = as_dict(entry)
        sid = item.get("scenario_id") or item.get("id")
        row = rows.setdefault(sid, {"id": sid, "title": item.get("title", sid),
                                    "builtin": False, "versions": []})
        row["title"] = item.get("title", row["title"])
        row["versions"] = versions(store, sid)
    return sorted(rows.values(), key=lambda r: (not r["builtin"], r["id"]))


def versions(store: Any, scenario_id: str) -> list[dict[str, Any]]:
    """The stored versions of ``scenario_id``, newest first, without their documents."""
    found = [as_dict(v, document=False) for v in store.scenario_versions(scenario_id)]
    return sorted(found, key=lambda v: str(v.get("saved_at")), reverse=True)


def is_hash(ref: str) -> bool:
    return ref.startswith("sha256:")


def find_version(store: Any, ref: str) -> Any | None:
    """The stored version ``ref`` names: a content hash, or a scenario id (its newest)."""
    if is_hash(ref):
        return store.get_scenario_version(ref)
    stored = versions(store, ref)
    return store.get_scenario_version(stored[0]["content_hash"]) if stored else None


def open_scenario(store: Any, ref: str) -> tuple[Scenario, Any | None]:
    """``(scenario, stored version or None)`` for an id, a content hash or a built-in name;
    KeyError when none."""
    version = find_version(store, ref)
    if version is not None:
        return scenario_of(version), version
    builtins = builtin_scenarios()
    if ref in builtins:
        return load_scenario(ref), None
    if is_hash(ref) and ref in _builtin_hashes():  # a built-in's own version, not stored yet
        return load_scenario(_builtin_hashes()[ref]), None
    raise KeyError(f"no scenario {ref!r} (neither stored nor built in)")


def ensure_stored(store: Any, ref: str) -> Any:
    """The stored version for ``ref``, storing a built-in's file as its first version."""
    version = find_version(store, ref)
    if version is not None:
        return version
    builtins = builtin_scenarios()
    if ref not in builtins:
        scenario, _ = open_scenario(store, ref)  # a built-in's hash, or KeyError
        ref = scenario.id
    text = builtins[ref].read_text(encoding="utf-8")
    return store.save_scenario(text, fmt="yaml", saved_by=BUILTIN_AUTHOR)


_PARSED: dict[str, Scenario] = {}


def scenario_of(version: Any) -> Scenario:
    """The scenario a stored version holds (versions are immutable: parsed once per process).
    The object is shared: callers read it or derive copies (``variant``, ``as_of``,
    ``model_copy``), never change it in place."""
    found = _PARSED.get(version.content_hash)
    if found is None:
        found = version.scenario()
        if len(_PARSED) > 256:
            _PARSED.clear()
        _PARSED[version.content_hash] = found
    return found


def check_limits(scenario: Scenario, limits: Any) -> None:
    """ReadError when the scenario is larger than the server accepts."""
    actors, issues = len(scenario.actors), len(scenario.issues)
    problems = []
    if actors > limits.max_actors:
        problems.append(problem(f"{actors} actors; this server accepts at most "
                                f"{limits.max_actors}", path=("actors",)))
    if issues > limits.max_issues:
        problems.append(problem(f"{issues} issues; this server accepts at most "
                                f"{limits.max_issues}", path=("issues",)))
    if actors * issues > limits.max_cells:
        problems.append(problem(f"{actors} actors × {issues} issues; this server accepts at most "
                                f"{limits.max_cells} cells", path=("actors",)))
    if problems:
        raise ReadError(problems)


def read_upload(filename: str, data: bytes, input_format: str | None = None
                ) -> tuple[Scenario, str, str]:
    """``(scenario, document text, format)`` of an uploaded file, read by the CLI's readers.

    The file is written to a private temporary folder under a sanitised name (readers look at
    the suffix), then read exactly as ``allegiance import`` reads it.
    """
    name = Path(filename or "upload.yaml").name
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[-100:] or "upload"
    if input_format and input_format not in FORMATS:
        raise ReadError([problem(f"unknown input format {input_format!r} (known: "
                                 f"{', '.join(FORMATS)})", file=safe)])
    if input_format in DATASET_FORMATS:
        raise ReadError([problem("a DEU data set holds one scenario per issue: upload it in "
                                 "a backtest run instead", file=safe)])
    with tempfile.TemporaryDirectory(prefix="allegiance-upload-") as folder:
        path = Path(folder) / safe
        path.write_bytes(data)
        from allegiance.io.yaml_format import read_text

        text = read_text(path)
        fmt = input_format or detect_format(path, text)
        if fmt in DATASET_FORMATS:
            raise ReadError([problem("this is a DEU data set (one scenario per issue): upload it "
                                     "in a backtest run instead", file=safe)])
        scenario = load_scenario(path, fmt)
    return scenario, text, fmt


def problems_json(exc: Any) -> list[dict[str, Any]]:
    """Every problem of a ScenarioInvalid as JSON: message, location, field path, severity."""
    return [{"path": list(p.path), "field": p.shown_field(), "message": p.message,
             "severity": p.severity, "line": p.line, "column": p.column}
            for p in exc.problems]
