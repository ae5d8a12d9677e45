"""Connecting to the results store: the database URL, the engine, the schema migrations.

The URL comes from ``--db URL``, else ``ALLEGIANCE_DATABASE_URL``, else an SQLite file in the
user's data folder (platformdirs). A plain path is taken as an SQLite file. SQLite runs in WAL
mode with a busy timeout, and every write transaction starts with ``BEGIN IMMEDIATE`` so that
several processes writing at once wait for each other instead of failing with "database is
locked". The schema is created or upgraded on first use by the Alembic migrations shipped in the
package (``allegiance db upgrade`` does the same on request).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from allegiance.store.tables import HEAD_REVISION

ENV_VAR = "ALLEGIANCE_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
#: how long an SQLite writer waits for another one (milliseconds)
BUSY_TIMEOUT_MS = 30_000
#: tables the migrations create (a database holding other tables is someone else's)
OUR_TABLES = {"scenario_versions", "runs", "users", "api_tokens", "web_sessions",
              "alembic_version"}


class StoreError(Exception):
    """A store that cannot be used: unreachable, corrupt, foreign or from a newer version."""


def default_url() -> str:
    """``sqlite:///<user data folder>/allegiance.db``."""
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('allegiance', appauthor=False)) / 'allegiance.db'}"


def resolve_url(url: str | None = None) -> str:
    """The database URL to use: ``url``, else the environment variable, else the default."""
    url = url or os.environ.get(ENV_VAR) or default_url()
    if "://" not in url:  # a plain path: an SQLite file
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def describe(engine: Engine) -> str:
    """The database for messages: the SQLite file, or the URL without its password."""
    if engine.dialect.name == "sqlite":
        return engine.url.database or ":memory:"
    return engine.url.render_as_string(hide_password=True)


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (see :func:`resolve_url`), SQLite set up for concurrent writers."""
    url = resolve_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"{url}: not a database URL (write sqlite:///FILE or "
                         "postgresql+psycopg://USER@HOST/DB)") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{database}: cannot create its folder ({exc.strerror})"
                                 ) from None
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
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


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None: empty database); StoreError when the
    database is corrupt or foreign."""
    where = describe(engine)
    try:
        with engine.connect() as connection:
            try:
                row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
                return None if row is None else str(row[0])
            except (OperationalError, DBAPIError):
                connection.rollback()
            tables = set(inspect(connection).get_table_names())
    except DBAPIError as exc:
        raise StoreError(f"{where}: cannot open the results store: {_reason(exc)}") from None
    if not tables:
        return None
    foreign = sorted(tables - OUR_TABLES)
    raise StoreError(f"{where}: not an Allegiance results store (it holds other tables: "
                     f"{', '.join(foreign or sorted(tables))}); give another database with "
                     f"--db or {ENV_VAR}")


def _reason(exc: DBAPIError) -> str:
    message = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if "file is not a database" in message or "malformed" in message:
        return f"the file is corrupt or not an SQLite database ({message})"
    return message


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
        raise StoreError(f"{where}: cannot upgrade the results store: {_reason(exc)}") from None


def ensure_schema(engine: Engine) -> None:
    """Create or upgrade the schema when it is not at :data:`HEAD_REVISION`."""
    revision = current_revision(engine)
    if revision == HEAD_REVISION:
        return
    known = {path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("0*.py")}
    if revision is not None and revision not in known:
        raise StoreError(f"{describe(engine)}: the results store is at schema revision "
                         f"{revision}, which this Allegiance does not know (newest known: "
                         f"{HEAD_REVISION}); upgrade Allegiance")
    upgrade(engine)


__all__ = ["ENV_VAR", "StoreError", "current_revision", "default_url", "describe",
           "ensure_schema", "make_engine", "resolve_url", "upgrade", "writer"]
