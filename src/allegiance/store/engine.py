"""The SQLAlchemy engine the migrations run on (the store's own queries go through
:mod:`allegiance.store.database`, without SQLAlchemy).

SQLite gets the store's settings (WAL, busy timeout) and its write transactions take the lock at
once (``BEGIN IMMEDIATE``), so that processes starting together on a new file migrate one after
the other; on PostgreSQL an advisory lock does the same.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from allegiance.store.location import reason, resolve_url
from allegiance.store.schema import BUSY_TIMEOUT_MS, StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def describe(engine: Engine) -> str:
    """The database for messages: the SQLite file, or the URL without its password."""
    if engine.dialect.name == "sqlite":
        return engine.url.database or ":memory:"
    return engine.url.render_as_string(hide_password=True)


def make_engine(url: str | None = None) -> Engine:
    """A SQLAlchemy engine for ``url`` (see :func:`~allegiance.store.location.resolve_url`)."""
    url = resolve_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"{url}: not a database URL (write sqlite:///FILE or "
                         "postgresql+psycopg://USER@HOST/DB)") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except Exception as exc:  # unknown dialect, missing driver
        raise StoreError(f"{parsed.render_as_string(hide_password=True)}: {exc}") from None


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
    # transactions are begun by _sqlite_begin (pysqlite's own handling defers them badly)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(connection) -> None:
    write = connection.get_execution_options().get("write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine, its transactions taking the write lock at once (SQLite)."""
    return engine.execution_options(write=True)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` in one transaction (PostgreSQL: under an advisory
    lock, so that processes starting together migrate once)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    where = describe(engine)
    try:
        with writer(engine).begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(710113)"))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except DBAPIError as exc:
        raise StoreError(f"{where}: cannot upgrade the results store: "
                         f"{reason(exc.orig or exc)}") from None


__all__ = ["MIGRATIONS", "describe", "make_engine", "upgrade", "writer"]
