"""The results store's tables, as SQLAlchemy 2 declarative models.

The schema itself is created and changed only by the Alembic migrations in
``allegiance/store/migrations`` (the models here describe the newest revision; a test checks the
two agree). See docs/store.md for what every column holds.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from allegiance.store.schema import HEAD_REVISION, ROLES, RUN_KINDS, RUN_STATUSES

__all__ = ["Base", "HEAD_REVISION", "ROLES", "RUN_KINDS", "RUN_STATUSES", "ApiTokenRow",
           "LoginFailureRow", "RunRow", "ScenarioVersionRow", "UserRow", "WebSessionRow"]


class UTCDateTime(TypeDecorator):
    """A timestamp with time zone, always handed back aware and in UTC (SQLite stores it
    without the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime}


class ScenarioVersionRow(Base):
    """One version of a scenario (or of a data set a backtest read), by its content hash."""

    __tablename__ = "scenario_versions"

    content_hash: Mapped[str] = mapped_column(String(80), primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(500))
    #: "scenario", or "dataset" for a data set file (DEU) read by a backtest
    kind: Mapped[str] = mapped_column(String(20), default="scenario")
    #: the input format of ``document`` (a name in allegiance.io.FORMATS)
    format: Mapped[str] = mapped_column(String(20))
    #: the file name it came from (peer readers may use it), or "<name>.yaml"
    source_name: Mapped[str] = mapped_column(String(500))
    document: Mapped[str] = mapped_column(Text)
    #: SHA-256 of format, file name and document: the same file saved again is found without
    #: reading it again
    document_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    saved_by: Mapped[str | None] = mapped_column(String(200))
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: set by delete_scenario on versions that runs still refer to (hidden from listings)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RunRow(Base):
    """One analysis run: its inputs, its status and its result document."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_scenario_id_id", "scenario_id", "id"),
        Index("ix_runs_kind_id", "kind", "id"),
        Index("ix_runs_status_id", "status", "id"),
        Index("ix_runs_owner_id", "owner", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    scenario_hash: Mapped[str] = mapped_column(
        String(80), ForeignKey("scenario_versions.content_hash"), index=True)
    scenario_id: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    #: model parameters as given; ``parameters`` the model's full parameters once done
    params: Mapped[dict] = mapped_column(JSON)
    #: the kind's own settings (runs, quota, coalitions, ...)
    options: Mapped[dict] = mapped_column(JSON)
    parameters: Mapped[dict | None] = mapped_column(JSON)
    #: text: seeds may exceed 64 bits
    seed: Mapped[str | None] = mapped_column(String(80))
    as_of: Mapped[str | None] = mapped_column(String(10))
    variant: Mapped[str | None] = mapped_column(String(200))
    allegiance_version: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    #: the result document: UTF-8 JSON, zlib-compressed when large (``result_encoding``)
    result: Mapped[bytes | None] = mapped_column(LargeBinary)
    result_encoding: Mapped[str | None] = mapped_column(String(10))
    #: SHA-256 of the JSON text, checked when the result is read back
    result_sha256: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[float | None] = mapped_column(Float)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    owner: Mapped[str | None] = mapped_column(String(200))


class UserRow(Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(
        String(100), ForeignKey("users.name", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    session_hash: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_name: Mapped[str] = mapped_column(
        String(100), ForeignKey("users.name", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: anything the web app keeps with the session (CSRF secret, ...)
    data: Mapped[dict] = mapped_column(JSON)


class LoginFailureRow(Base):
    """One failed sign-in, under each key it counts against (``ip:…``, ``user:…``): the web
    app's rate limit counts these, so it holds for every worker process on the store."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_key_failed_at", "key", "failed_at"),
        Index("ix_login_failures_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300))
    failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
