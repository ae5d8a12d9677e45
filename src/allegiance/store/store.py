"""The :class:`Store`: scenario versions and runs in one SQL database (SQLite or PostgreSQL).

Every method is one short transaction. A run is written ``running`` (or ``queued``) first and
finished in the same row, so a process killed mid-run leaves the database consistent; such a run
is shown as ``interrupted`` once its process is gone.

>>> import tempfile
>>> from allegiance.store import open_store
>>> store = open_store(tempfile.mkdtemp() + "/store.db")  # a path: an SQLite file
>>> version = store.save_scenario(open(builtin_path("eu-emissions-1994")).read())
>>> run_id = store.create_run("forecast", scenario_hash=version.content_hash, model="mean",
...                           params={}, seed=None, as_of=None, variant=None)
>>> store.finish_run(run_id, {"outcome": {"standards-date": 5.0}})
True
>>> store.get_run(run_id).status
'done'
"""

from __future__ import annotations

import hashlib
import os
import socket
from typing import Any

from allegiance.store.accounts import Accounts
from allegiance.store.database import Database, ensure_schema, json_value, time_value
from allegiance.store.records import (
    RunRecord,
    ScenarioVersion,
    check_size,
    decode_result,
    encode_result,
    parse_scenario,
    utcnow,
)
from allegiance.store.schema import RUN_KINDS, RUN_STATUSES, StoreError
from allegiance.version import __version__

_VERSION_COLUMNS = ("content_hash, scenario_id, title, kind, format, source_name, document, "
                    "saved_by, saved_at")
_RUN_FIELDS = ("id", "kind", "scenario_hash", "scenario_id", "model", "params", "options",
               "parameters", "seed", "as_of", "variant", "allegiance_version", "status",
               "created_at", "started_at", "finished_at", "error", "label", "note", "progress",
               "pid", "host", "owner")
_RUN_COLUMNS = ", ".join(_RUN_FIELDS)
HOST = socket.gethostname()
_ACTIVE = ("queued", "running")


def open_store(url: str | None = None) -> Store:
    """The store at ``url`` (default: ``ALLEGIANCE_DATABASE_URL``, else an SQLite file in the
    user's data folder), its schema created or upgraded on first use."""
    return Store(Database(url))


def _version(row: dict[str, Any]) -> ScenarioVersion:
    return ScenarioVersion(**{**row, "saved_at": time_value(row["saved_at"])})


def _record(row: dict[str, Any], result: dict[str, Any] | None = None) -> RunRecord:
    data = {key: row[key] for key in _RUN_FIELDS}
    for key in ("params", "options", "parameters"):
        data[key] = json_value(data[key])
    for key in ("created_at", "started_at", "finished_at"):
        data[key] = time_value(data[key])
    data["seed"] = None if data["seed"] is None else int(data["seed"])
    return RunRecord(**data, result=result)


class Store(Accounts):
    """Scenario versions, runs, users and tokens (see docs/store.md)."""

    def __init__(self, database: Database, migrate: bool = True) -> None:
        self.database = database
        self.where = database.where
        if migrate:
            ensure_schema(database)

    def close(self) -> None:
        self.database.close()

    # ------------------------------------------------------------------ scenarios
    def save_scenario(self, document: str, *, fmt: str = "yaml", saved_by: str | None = None,
                      source_name: str | None = None) -> ScenarioVersion:
        """Validate ``document`` (a scenario in format ``fmt``) and store it as a version of its
        scenario; the same content hash again returns the stored version unchanged (and shows it
        again if it was deleted). Raises ScenarioInvalid listing every problem. The same
        document from the same file name is recognised without reading it again."""
        source_name = source_name or f"scenario.{'yaml' if fmt == 'yaml' else fmt}"
        check_size(document, source_name)
        digest = _document_digest(document, fmt, source_name)
        with self.database.read() as tx:
            found = tx.row(f"SELECT {_VERSION_COLUMNS} FROM scenario_versions "
                           "WHERE document_sha256 = :d AND kind = 'scenario'", {"d": digest})
        if found is not None:
            return self._save_version(found)  # shown again if it was deleted
        scenario = parse_scenario(document, fmt, source_name)
        return self._save_version(dict(
            content_hash=scenario.content_hash(), scenario_id=scenario.id,
            title=scenario.title, kind="scenario", format=fmt, source_name=source_name,
            document=document, saved_by=saved_by), digest)

    def save_dataset(self, document: str, *, name: str, fmt: str = "deu",
                     saved_by: str | None = None) -> ScenarioVersion:
        """Store a data-set file (DEU) a backtest reads, addressed by the hash of its text."""
        check_size(document, name)
        digest = "sha256:" + hashlib.sha256(document.encode("utf-8")).hexdigest()
        found = self.get_scenario_version(digest)
        if found is not None:
            return found
        from allegiance.io.deu import read_dataset_text

        scenarios = read_dataset_text(document, name)  # validates
        return self._save_version(dict(
            content_hash=digest, scenario_id=f"dataset:{name}",
            title=f"{name} ({len(scenarios)} issues)", kind="dataset", format=fmt,
            source_name=name, document=document, saved_by=saved_by), None)

    def _save_version(self, row: dict[str, Any], digest: str | None = None) -> ScenarioVersion:
        try:
            return self._insert_version(row, digest)
        except StoreError as exc:  # another process saved the same version a moment ago
            if not getattr(exc, "integrity", False):
                raise
            return self._insert_version(row, digest)

    def _insert_version(self, row: dict[str, Any], digest: str | None) -> ScenarioVersion:
        with self.database.write() as tx:
            found = tx.row(f"SELECT {_VERSION_COLUMNS} FROM scenario_versions "
                           "WHERE content_hash = :content_hash", row)
            if found is not None:
                tx.execute("UPDATE scenario_versions SET deleted_at = NULL "
                           "WHERE content_hash = :content_hash", row)
                return _version(found)
            row = {**row, "saved_at": utcnow()}
            tx.execute(f"INSERT INTO scenario_versions ({_VERSION_COLUMNS}, document_sha256) "
                       "VALUES (:content_hash, :scenario_id, :title, :kind, :format, "
                       ":source_name, :document, :saved_by, :saved_at, :digest)",
                       {**row, "digest": digest})
        return ScenarioVersion(**row)

    def get_scenario_version(self, content_hash: str) -> ScenarioVersion | None:
        with self.database.read() as tx:
            found = tx.row(f"SELECT {_VERSION_COLUMNS} FROM scenario_versions "
                           "WHERE content_hash = :h", {"h": content_hash})
        return None if found is None else _version(found)

    def scenario_versions(self, scenario_id: str) -> list[ScenarioVersion]:
        """Every version of ``scenario_id``, newest first."""
        with self.database.read() as tx:
            rows = tx.rows(f"SELECT {_VERSION_COLUMNS} FROM scenario_versions "
                           "WHERE scenario_id = :s AND deleted_at IS NULL "
                           "ORDER BY saved_at DESC", {"s": scenario_id})
        return [_version(row) for row in rows]

    def list_scenarios(self) -> list[ScenarioVersion]:
        """The newest version of every stored scenario (not data sets), by scenario id."""
        columns = ", ".join(f"v.{c.strip()}" for c in _VERSION_COLUMNS.split(","))
        with self.database.read() as tx:
            rows = tx.rows(
                f"SELECT {columns} FROM scenario_versions v JOIN ("
                "SELECT scenario_id, MAX(saved_at) AS newest FROM scenario_versions "
                "WHERE kind = 'scenario' AND deleted_at IS NULL GROUP BY scenario_id) n "
                "ON v.scenario_id = n.scenario_id AND v.saved_at = n.newest "
                "WHERE v.kind = 'scenario' AND v.deleted_at IS NULL ORDER BY v.scenario_id")
        seen: dict[str, ScenarioVersion] = {}
        for row in rows:  # two versions saved in the same instant: either one
            seen.setdefault(row["scenario_id"], _version(row))
        return list(seen.values())

    def delete_scenario(self, scenario_id: str) -> int:
        """Delete the versions of ``scenario_id``; versions that runs refer to are hidden instead
        (the runs stay reproducible). Returns how many versions went."""
        used = "SELECT scenario_hash FROM runs WHERE scenario_id = :s"
        with self.database.write() as tx:
            hidden = tx.count("UPDATE scenario_versions SET deleted_at = :now "
                              f"WHERE scenario_id = :s AND content_hash IN ({used}) "
                              "AND deleted_at IS NULL", {"s": scenario_id, "now": utcnow()})
            gone = tx.count("DELETE FROM scenario_versions WHERE scenario_id = :s "
                            f"AND content_hash NOT IN ({used})", {"s": scenario_id})
        return hidden + gone

    # ------------------------------------------------------------------ runs
    def create_run(self, kind: str, *, scenario_hash: str, model: str,
                   params: dict[str, Any] | None, seed: int | None, as_of: str | None,
                   variant: str | None, label: str | None = None, status: str = "running",
                   owner: str | None = None, options: dict[str, Any] | None = None,
                   note: str | None = None) -> int:
        """A new run row (``running``, owned by this process, or ``queued``); its id."""
        if kind not in RUN_KINDS:
            raise ValueError(f"unknown run kind {kind!r} (known: {', '.join(RUN_KINDS)})")
        if status not in _ACTIVE:
            raise ValueError(f"a new run is queued or running, not {status!r}")
        now = utcnow()
        running = status == "running"
        values = dict(
            kind=kind, scenario_hash=scenario_hash, model=model, params=dict(params or {}),
            options=dict(options or {}), seed=None if seed is None else str(int(seed)),
            as_of=as_of, variant=variant, allegiance_version=__version__, status=status,
            created_at=now, started_at=now if running else None, label=label, note=note,
            progress=0.0, pid=os.getpid() if running else None, host=HOST if running else None,
            owner=owner)
        with self.database.write() as tx:
            found = tx.row("SELECT scenario_id FROM scenario_versions WHERE content_hash = :h",
                           {"h": scenario_hash})
            if found is None:
                raise KeyError(f"no stored scenario version {scenario_hash} (save it first)")
            values["scenario_id"] = found["scenario_id"]
            names = ", ".join(values)
            row = tx.row(f"INSERT INTO runs ({names}) VALUES "
                         f"({', '.join(':' + name for name in values)}) RETURNING id", values)
        return int(row["id"])

    def start_run(self, run_id: int) -> bool:
        """A queued run is taken by this process: ``running`` with this pid and host. False
        when the run is no longer queued (cancelled or deleted meanwhile)."""
        return self._set(run_id, ("queued",), status="running", started_at=utcnow(),
                         pid=os.getpid(), host=HOST)

    def set_progress(self, run_id: int, fraction: float) -> bool:
        """Record the fraction done of a running run (False: it is not running)."""
        return self._set(run_id, ("running",), progress=min(1.0, max(0.0, float(fraction))))

    def finish_run(self, run_id: int, result: dict[str, Any]) -> bool:
        """Store the result document and mark the run ``done`` (one transaction). The model's
        full parameters and the seed actually used are taken from the document. A run that was
        cancelled (``interrupted``) meanwhile stays so: False."""
        data, encoding, digest = encode_result(result)
        values: dict[str, Any] = dict(status="done", finished_at=utcnow(), progress=1.0,
                                      result=data, result_encoding=encoding,
                                      result_sha256=digest, error=None)
        model = result.get("model")
        if isinstance(model, dict) and isinstance(model.get("parameters"), dict):
            values["parameters"] = model["parameters"]
        with self.database.write() as tx:
            found = tx.row("SELECT seed, status FROM runs WHERE id = :id", {"id": run_id})
            if found is None:
                raise KeyError(f"no run {run_id}")
            if found["status"] not in _ACTIVE:
                return False
            if found["seed"] is None and isinstance(result.get("seed"), int):
                values["seed"] = str(result["seed"])
            assignments = ", ".join(f"{name} = :{name}" for name in values)
            tx.execute(f"UPDATE runs SET {assignments} WHERE id = :id",
                       {**values, "id": run_id})
        return True

    def fail_run(self, run_id: int, error: str) -> bool:
        """Mark a queued or running run ``failed`` with its error (False: it was not active)."""
        return self._set(run_id, _ACTIVE, status="failed", finished_at=utcnow(),
                         error=str(error))

    def mark_interrupted(self, run_id: int) -> bool:
        """Interrupt (cancel) a queued or running run (False: it was not active)."""
        return self._set(run_id, _ACTIVE, status="interrupted", finished_at=utcnow())

    def set_label(self, run_id: int, label: str | None = None, note: str | None = None) -> None:
        self._set(run_id, None, label=label, note=note)

    def _set(self, run_id: int, statuses: tuple[str, ...] | None, **values: Any) -> bool:
        """Update run ``run_id`` if its status is one of ``statuses``; KeyError: no such run."""
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        query = f"UPDATE runs SET {assignments} WHERE id = :id"
        params = {**values, "id": run_id}
        if statuses is not None:
            query += f" AND status IN ({', '.join(repr(s) for s in statuses)})"
        with self.database.write() as tx:
            if tx.count(query, params):
                return True
            if tx.row("SELECT id FROM runs WHERE id = :id", {"id": run_id}) is None:
                raise KeyError(f"no run {run_id}")
            return False

    def get_run(self, run_id: int, result: bool = True) -> RunRecord | None:
        """The run with its result document (None: no such run)."""
        self.reap_interrupted()
        columns = _RUN_COLUMNS + (", result, result_encoding, result_sha256" if result else "")
        with self.database.read() as tx:
            row = tx.row(f"SELECT {columns} FROM runs WHERE id = :id", {"id": run_id})
        if row is None:
            return None
        document = None
        if result and row["result"] is not None:
            document = decode_result(row["result"], row["result_encoding"],
                                     row["result_sha256"], f"{self.where}: run {run_id}")
        return _record(row, document)

    def list_runs(self, scenario: str | None = None, kind: str | None = None,
                  status: str | None = None, owner: str | None = None, limit: int = 100,
                  offset: int = 0) -> list[RunRecord]:
        """Runs newest first (without their results), filtered by scenario id (or content
        hash), kind, status and owner."""
        self.reap_interrupted()
        where, params = self._filters(scenario, kind, status, owner)
        with self.database.read() as tx:
            rows = tx.rows(f"SELECT {_RUN_COLUMNS} FROM runs{where} ORDER BY id DESC "
                           "LIMIT :limit OFFSET :offset",
                           {**params, "limit": int(limit), "offset": int(offset)})
        return [_record(row) for row in rows]

    def count_runs(self, scenario: str | None = None, kind: str | None = None,
                   status: str | None = None, owner: str | None = None) -> int:
        where, params = self._filters(scenario, kind, status, owner)
        with self.database.read() as tx:
            return int(tx.row(f"SELECT COUNT(*) AS n FROM runs{where}", params)["n"])

    @staticmethod
    def _filters(scenario, kind, status, owner) -> tuple[str, dict[str, Any]]:
        if kind is not None and kind not in RUN_KINDS:
            raise ValueError(f"unknown run kind {kind!r} (known: {', '.join(RUN_KINDS)})")
        if status is not None and status not in RUN_STATUSES:
            raise ValueError(f"unknown status {status!r} (known: {', '.join(RUN_STATUSES)})")
        params: dict[str, Any] = {}
        if scenario is not None:
            column = "scenario_hash" if scenario.startswith("sha256:") else "scenario_id"
            params[column] = scenario
        for column, value in (("kind", kind), ("status", status), ("owner", owner)):
            if value is not None:
                params[column] = value
        where = " AND ".join(f"{column} = :{column}" for column in params)
        return (f" WHERE {where}" if where else ""), params

    def delete_run(self, run_id: int) -> bool:
        with self.database.write() as tx:
            return tx.count("DELETE FROM runs WHERE id = :id", {"id": run_id}) > 0

    def reap_interrupted(self) -> list[int]:
        """Mark ``interrupted`` the running runs of this host whose process is gone."""
        with self.database.read() as tx:
            running = tx.rows("SELECT id, pid FROM runs WHERE status = 'running' "
                              "AND host = :host", {"host": HOST})
        dead = [r["id"] for r in running if r["pid"] is not None and not _alive(r["pid"])]
        for run_id in dead:
            self._set(run_id, ("running",), status="interrupted", finished_at=utcnow())
        return dead


def _document_digest(document: str, fmt: str, source_name: str) -> str:
    return hashlib.sha256(f"{fmt}\0{source_name}\0{document}".encode()).hexdigest()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie does not)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


def builtin_path(name: str) -> str:
    """The file of a built-in scenario (for examples)."""
    from allegiance.io import builtin_scenarios

    return str(builtin_scenarios()[name])
