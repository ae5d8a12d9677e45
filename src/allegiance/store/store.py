"""The :class:`Store`: scenario versions and runs in one SQL database (SQLite or PostgreSQL).

Every method is one short transaction. A run is written ``running`` (or ``queued``) first and
finished in the same row, so a process killed mid-run leaves the database consistent; such a run
is shown as ``interrupted`` once its process is gone.

>>> from allegiance.store import open_store
>>> store = open_store("sqlite://")  # an in-memory database
>>> version = store.save_scenario(open(builtin_path("eu-emissions-1994")).read())
>>> run_id = store.create_run("forecast", scenario_hash=version.content_hash, model="mean",
...                           params={}, seed=None, as_of=None, variant=None)
>>> store.finish_run(run_id, {"outcome": {"standards-date": 5.0}})
>>> store.get_run(run_id).status
'done'
"""

from __future__ import annotations

import hashlib
import os
import socket
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from allegiance.store.accounts import Accounts
from allegiance.store.engine import describe, ensure_schema, make_engine, writer
from allegiance.store.records import (
    RunRecord,
    ScenarioVersion,
    check_size,
    decode_result,
    encode_result,
    parse_scenario,
    utcnow,
)
from allegiance.store.tables import RUN_KINDS, RUN_STATUSES, RunRow, ScenarioVersionRow
from allegiance.version import __version__

_VERSION_COLUMNS = (ScenarioVersionRow.content_hash, ScenarioVersionRow.scenario_id,
                    ScenarioVersionRow.title, ScenarioVersionRow.kind, ScenarioVersionRow.format,
                    ScenarioVersionRow.source_name, ScenarioVersionRow.document,
                    ScenarioVersionRow.saved_by, ScenarioVersionRow.saved_at)
_RUN_COLUMNS = tuple(getattr(RunRow, name) for name in (
    "id", "kind", "scenario_hash", "scenario_id", "model", "params", "options", "parameters",
    "seed", "as_of", "variant", "allegiance_version", "status", "created_at", "started_at",
    "finished_at", "error", "label", "note", "progress", "pid", "host", "owner"))
HOST = socket.gethostname()
_ACTIVE = ("queued", "running")


def open_store(url: str | None = None) -> Store:
    """The store at ``url`` (default: ``ALLEGIANCE_DATABASE_URL``, else an SQLite file in the
    user's data folder), its schema created or upgraded on first use."""
    return Store(make_engine(url))


class Store(Accounts):
    """Scenario versions, runs, users and tokens (see docs/store.md)."""

    def __init__(self, engine: Engine, migrate: bool = True) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self.where = describe(engine)
        if migrate:
            ensure_schema(engine)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ scenarios
    def save_scenario(self, document: str, *, fmt: str = "yaml", saved_by: str | None = None,
                      source_name: str | None = None) -> ScenarioVersion:
        """Validate ``document`` (a scenario in format ``fmt``) and store it as a version of its
        scenario; the same content hash again returns the stored version unchanged (and shows it
        again if it was deleted). Raises ScenarioInvalid listing every problem."""
        source_name = source_name or f"scenario.{'yaml' if fmt == 'yaml' else fmt}"
        check_size(document, source_name)
        scenario = parse_scenario(document, fmt, source_name)
        return self._save_version(scenario.content_hash(), scenario.id, scenario.title,
                                  "scenario", fmt, source_name, document, saved_by)

    def save_dataset(self, document: str, *, name: str, fmt: str = "deu",
                     saved_by: str | None = None) -> ScenarioVersion:
        """Store a data-set file (DEU) a backtest reads, addressed by the hash of its text."""
        from allegiance.io.deu import read_dataset_text

        check_size(document, name)
        scenarios = read_dataset_text(document, name)  # validates
        digest = "sha256:" + hashlib.sha256(document.encode("utf-8")).hexdigest()
        return self._save_version(digest, f"dataset:{name}",
                                  f"{name} ({len(scenarios)} issues)", "dataset", fmt, name,
                                  document, saved_by)

    def _save_version(self, content_hash, scenario_id, title, kind, fmt, source_name, document,
                      saved_by) -> ScenarioVersion:
        try:
            return self._insert_version(content_hash, scenario_id, title, kind, fmt,
                                        source_name, document, saved_by)
        except IntegrityError:  # another process saved the same version a moment ago
            return self._insert_version(content_hash, scenario_id, title, kind, fmt,
                                        source_name, document, saved_by)

    def _insert_version(self, content_hash, scenario_id, title, kind, fmt, source_name,
                        document, saved_by) -> ScenarioVersion:
        with self._writer.begin() as connection:
            found = connection.execute(select(*_VERSION_COLUMNS).where(
                ScenarioVersionRow.content_hash == content_hash)).first()
            if found is not None:
                connection.execute(update(ScenarioVersionRow).where(
                    ScenarioVersionRow.content_hash == content_hash).values(deleted_at=None))
                return ScenarioVersion(*found)
            row = dict(content_hash=content_hash, scenario_id=scenario_id, title=title,
                       kind=kind, format=fmt, source_name=source_name, document=document,
                       saved_by=saved_by, saved_at=utcnow())
            connection.execute(insert(ScenarioVersionRow).values(**row))
        return ScenarioVersion(**row)

    def get_scenario_version(self, content_hash: str) -> ScenarioVersion | None:
        with self.engine.connect() as connection:
            found = connection.execute(select(*_VERSION_COLUMNS).where(
                ScenarioVersionRow.content_hash == content_hash)).first()
        return None if found is None else ScenarioVersion(*found)

    def scenario_versions(self, scenario_id: str) -> list[ScenarioVersion]:
        """Every version of ``scenario_id``, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(*_VERSION_COLUMNS).where(
                ScenarioVersionRow.scenario_id == scenario_id,
                ScenarioVersionRow.deleted_at.is_(None)).order_by(
                ScenarioVersionRow.saved_at.desc())).all()
        return [ScenarioVersion(*row) for row in rows]

    def list_scenarios(self) -> list[ScenarioVersion]:
        """The newest version of every stored scenario (not data sets), by scenario id."""
        newest = (select(ScenarioVersionRow.scenario_id,
                         func.max(ScenarioVersionRow.saved_at).label("saved_at"))
                  .where(ScenarioVersionRow.kind == "scenario",
                         ScenarioVersionRow.deleted_at.is_(None))
                  .group_by(ScenarioVersionRow.scenario_id).subquery())
        with self.engine.connect() as connection:
            rows = connection.execute(select(*_VERSION_COLUMNS).join(
                newest, (ScenarioVersionRow.scenario_id == newest.c.scenario_id)
                & (ScenarioVersionRow.saved_at == newest.c.saved_at)).where(
                ScenarioVersionRow.kind == "scenario", ScenarioVersionRow.deleted_at.is_(None)
            ).order_by(ScenarioVersionRow.scenario_id)).all()
        seen: dict[str, ScenarioVersion] = {}
        for row in rows:  # two versions saved in the same instant: either one
            seen.setdefault(row.scenario_id, ScenarioVersion(*row))
        return list(seen.values())

    def delete_scenario(self, scenario_id: str) -> int:
        """Delete the versions of ``scenario_id``; versions that runs refer to are hidden instead
        (the runs stay reproducible). Returns how many versions went."""
        with self._writer.begin() as connection:
            used = select(RunRow.scenario_hash).where(RunRow.scenario_id == scenario_id)
            hidden = connection.execute(update(ScenarioVersionRow).where(
                ScenarioVersionRow.scenario_id == scenario_id,
                ScenarioVersionRow.content_hash.in_(used),
                ScenarioVersionRow.deleted_at.is_(None)).values(deleted_at=utcnow())).rowcount
            gone = connection.execute(delete(ScenarioVersionRow).where(
                ScenarioVersionRow.scenario_id == scenario_id,
                ScenarioVersionRow.content_hash.not_in(used))).rowcount
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
        if status not in ("queued", "running"):
            raise ValueError(f"a new run is queued or running, not {status!r}")
        now = utcnow()
        with self._writer.begin() as connection:
            found = connection.execute(select(ScenarioVersionRow.scenario_id).where(
                ScenarioVersionRow.content_hash == scenario_hash)).first()
            if found is None:
                raise KeyError(f"no stored scenario version {scenario_hash} (save it first)")
            values = dict(
                kind=kind, scenario_hash=scenario_hash, scenario_id=found[0], model=model,
                params=dict(params or {}), options=dict(options or {}),
                seed=None if seed is None else str(int(seed)), as_of=as_of, variant=variant,
                allegiance_version=__version__, status=status, created_at=now, label=label,
                note=note, owner=owner, progress=0.0)
            if status == "running":
                values.update(started_at=now, pid=os.getpid(), host=HOST)
            return int(connection.execute(insert(RunRow).values(**values)
                                          .returning(RunRow.id)).scalar_one())

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
        with self._writer.begin() as connection:
            found = connection.execute(select(RunRow.seed, RunRow.status).where(
                RunRow.id == run_id)).first()
            if found is None:
                raise KeyError(f"no run {run_id}")
            if found.status not in _ACTIVE:
                return False
            if found.seed is None and isinstance(result.get("seed"), int):
                values["seed"] = str(result["seed"])
            connection.execute(update(RunRow).where(RunRow.id == run_id).values(**values))
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
        with self._writer.begin() as connection:
            query = update(RunRow).where(RunRow.id == run_id)
            if statuses is not None:
                query = query.where(RunRow.status.in_(statuses))
            if connection.execute(query.values(**values)).rowcount:
                return True
            if connection.execute(select(RunRow.id).where(RunRow.id == run_id)).first() is None:
                raise KeyError(f"no run {run_id}")
            return False

    def get_run(self, run_id: int, result: bool = True) -> RunRecord | None:
        """The run with its result document (None: no such run)."""
        self.reap_interrupted()
        columns = _RUN_COLUMNS + ((RunRow.result, RunRow.result_encoding, RunRow.result_sha256)
                                  if result else ())
        with self.engine.connect() as connection:
            row = connection.execute(select(*columns).where(RunRow.id == run_id)).first()
        if row is None:
            return None
        document = None
        if result and row.result is not None:
            document = decode_result(row.result, row.result_encoding, row.result_sha256,
                                     f"{self.where}: run {run_id}")
        return _record(row, document)

    def list_runs(self, scenario: str | None = None, kind: str | None = None,
                  status: str | None = None, owner: str | None = None, limit: int = 100,
                  offset: int = 0) -> list[RunRecord]:
        """Runs newest first (without their results), filtered by scenario id (or content
        hash), kind, status and owner."""
        self.reap_interrupted()
        query = select(*_RUN_COLUMNS).where(*self._filters(scenario, kind, status, owner))
        query = query.order_by(RunRow.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as connection:
            return [_record(row) for row in connection.execute(query)]

    def count_runs(self, scenario: str | None = None, kind: str | None = None,
                   status: str | None = None, owner: str | None = None) -> int:
        query = select(func.count()).select_from(RunRow).where(
            *self._filters(scenario, kind, status, owner))
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    @staticmethod
    def _filters(scenario, kind, status, owner) -> list:
        if kind is not None and kind not in RUN_KINDS:
            raise ValueError(f"unknown run kind {kind!r} (known: {', '.join(RUN_KINDS)})")
        if status is not None and status not in RUN_STATUSES:
            raise ValueError(f"unknown status {status!r} (known: {', '.join(RUN_STATUSES)})")
        filters = []
        if scenario is not None:
            filters.append(RunRow.scenario_hash == scenario if scenario.startswith("sha256:")
                           else RunRow.scenario_id == scenario)
        for column, value in ((RunRow.kind, kind), (RunRow.status, status),
                              (RunRow.owner, owner)):
            if value is not None:
                filters.append(column == value)
        return filters

    def delete_run(self, run_id: int) -> bool:
        with self._writer.begin() as connection:
            return connection.execute(delete(RunRow).where(RunRow.id == run_id)).rowcount > 0

    def reap_interrupted(self) -> list[int]:
        """Mark ``interrupted`` the running runs of this host whose process is gone."""
        with self.engine.connect() as connection:
            running = connection.execute(select(RunRow.id, RunRow.pid).where(
                RunRow.status == "running", RunRow.host == HOST)).all()
        dead = [run_id for run_id, pid in running if pid is not None and not _alive(pid)]
        if dead:
            with self._writer.begin() as connection:
                connection.execute(update(RunRow).where(
                    RunRow.id.in_(dead), RunRow.status == "running").values(
                    status="interrupted", finished_at=utcnow()))
        return dead


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


def _record(row, result: dict[str, Any] | None = None) -> RunRecord:
    data = {key: value for key, value in row._mapping.items() if not key.startswith("result")}
    data["seed"] = None if data["seed"] is None else int(data["seed"])
    return RunRecord(**data, result=result)


def builtin_path(name: str) -> str:
    """The file of a built-in scenario (for examples)."""
    from allegiance.io import builtin_scenarios

    return str(builtin_scenarios()[name])
