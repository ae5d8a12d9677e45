"""The store's connection to its database: SQLite through the standard library, PostgreSQL
through psycopg, with one SQL dialect for both.

The schema is defined by the SQLAlchemy models (:mod:`allegiance.store.tables`) and built by the
Alembic migrations, which are imported only when a database must be created or upgraded; the
queries themselves are plain SQL with ``:name`` parameters, so that a process saving one run or
listing runs does not pay for importing SQLAlchemy (about three times Python's own start-up).

SQLite runs in WAL mode with a busy timeout; a write transaction begins with ``BEGIN
IMMEDIATE``, so that writers queue instead of failing with "database is locked". PostgreSQL's
transactions are psycopg's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from allegiance.store.location import reason, resolve_url
from allegiance.store.schema import (
    BUSY_TIMEOUT_MS,
    ENV_VAR,
    HEAD_REVISION,
    KNOWN_REVISIONS,
    OUR_TABLES,
    StoreError,
)

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class Database:
    """A connection per thread to one database; :meth:`read` and :meth:`write` transactions."""

    def __init__(self, url: str | None = None) -> None:
        self.url = resolve_url(url)
        scheme = self.url.split("://", 1)[0].lower()
        self._local = threading.local()
        if scheme == "sqlite":
            self.dialect = "sqlite"
            path = self.url.split("://", 1)[1]
            self.path = path[1:] if path.startswith("/") else path
            self.path = self.path or ":memory:"
            self.where = self.path
            if self.path != ":memory:":
                try:
                    Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"{self.path}: cannot create its folder ({exc.strerror})"
                                     ) from None
        elif scheme in ("postgresql", "postgresql+psycopg", "postgres"):
            self.dialect = "postgresql"
            parts = urlsplit(self.url)
            user = f"{unquote(parts.username)}@" if parts.username else ""
            port = f":{parts.port}" if parts.port else ""
            self.where = f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"
            self._conninfo = "postgresql://" + self.url.split("://", 1)[1]
        else:
            raise StoreError(f"{self.url}: not a database URL this store knows (write "
                             "sqlite:///FILE or postgresql+psycopg://USER@HOST/DB)")

    # ------------------------------------------------------------------ connections
    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            connection = self._connect()
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def _connect(self):
        try:
            if self.dialect == "sqlite":
                connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                             isolation_level=None, check_same_thread=False)
                connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                connection.execute("PRAGMA foreign_keys = ON")
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
                return connection
            import psycopg

            return psycopg.connect(self._conninfo, autocommit=True)
        except Exception as exc:
            raise StoreError(f"{self.where}: cannot open the results store: {reason(exc)}"
                             ) from None

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
            self._local.connection = None

    @contextlib.contextmanager
    def read(self) -> Iterator[Transaction]:
        with self._transaction(write=False) as transaction:
            yield transaction

    @contextlib.contextmanager
    def write(self) -> Iterator[Transaction]:
        with self._transaction(write=True) as transaction:
            yield transaction

    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[Transaction]:
        """One transaction; a driver error becomes a StoreError naming the database (its
        ``integrity`` attribute says whether a constraint refused the write)."""
        connection = self._connection()
        try:
            if self.dialect == "postgresql":
                with connection.transaction():
                    yield Transaction(self, connection)
                return
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Transaction(self, connection)
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        except database_errors() as exc:
            if self.dialect == "postgresql" and connection.closed:
                self._local.connection = None  # reconnect next time
            error = StoreError(f"{self.where}: {reason(exc)}")
            error.integrity = any(c.__name__ == "IntegrityError" for c in type(exc).__mro__)
            raise error from exc

    # ------------------------------------------------------------------ values
    def sql(self, text: str) -> str:
        return text if self.dialect == "sqlite" else _PARAM.sub(r"%(\1)s", text)

    def to_db(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC)
            return value.replace(tzinfo=None).isoformat(" ", "microseconds") \
                if self.dialect == "sqlite" \
                else value
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return value


class Transaction:
    """Runs statements inside one transaction; rows come back as dicts."""

    def __init__(self, database: Database, connection) -> None:
        self.database = database
        self.connection = connection

    def execute(self, text: str, params: dict[str, Any] | None = None):
        values = {k: self.database.to_db(v) for k, v in (params or {}).items()}
        return self.connection.execute(self.database.sql(text), values)

    def rows(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.execute(text, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def row(self, text: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        found = self.rows(text, params)
        return found[0] if found else None

    def count(self, text: str, params: dict[str, Any] | None = None) -> int:
        """The number of rows a statement changed."""
        return self.execute(text, params).rowcount


def json_value(value: Any) -> Any:
    """A JSON column's value (SQLite hands back text, PostgreSQL the parsed value)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def time_value(value: Any) -> dt.datetime | None:
    """A timestamp column's value, aware and in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def current_revision(database: Database) -> str | None:
    """The schema revision of the database (None: an empty database); StoreError when it is
    corrupt or someone else's."""
    with database.read() as transaction:
        tables = {row["name"] for row in transaction.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            if database.dialect == "sqlite" else
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")}
        if "alembic_version" in tables:
            row = transaction.row("SELECT version_num FROM alembic_version")
            if row is not None:
                return str(row["version_num"])
    tables.discard("alembic_version")
    if not tables:
        return None
    foreign = sorted(tables - OUR_TABLES)
    raise StoreError(f"{database.where}: not an Allegiance results store (it holds other "
                     f"tables: {', '.join(foreign or sorted(tables))}); give another database "
                     f"with --db or {ENV_VAR}")


def ensure_schema(database: Database) -> None:
    """Create or upgrade the schema when it is not at :data:`HEAD_REVISION` (the migrations,
    and SQLAlchemy with them, are imported only then)."""
    revision = current_revision(database)
    if revision == HEAD_REVISION:
        return
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise StoreError(f"{database.where}: the results store is at schema revision "
                         f"{revision}, which this Allegiance does not know (newest known: "
                         f"{HEAD_REVISION}); upgrade Allegiance")
    from allegiance.store.engine import make_engine, upgrade

    engine = make_engine(database.url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def database_errors() -> tuple[type[BaseException], ...]:
    """The driver errors of the installed drivers (for turning them into StoreError)."""
    errors: list[type[BaseException]] = [sqlite3.Error]
    import sys

    if "psycopg" in sys.modules:
        errors.append(sys.modules["psycopg"].Error)
    return tuple(errors)
