"""Users, API tokens and web sessions of the web app, in the results store.

The store keeps only hashes: hashing passwords, tokens and session ids is the web app's job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update

from allegiance.store.records import utcnow
from allegiance.store.tables import ROLES, ApiTokenRow, UserRow, WebSessionRow


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str | None
    created_at: dt.datetime


_USER_COLUMNS = (UserRow.name, UserRow.role, UserRow.password_hash, UserRow.created_at)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (known: {', '.join(ROLES)})")


class Accounts:
    """The accounts half of :class:`~allegiance.store.store.Store`."""

    engine: Any
    _writer: Any

    def add_user(self, name: str, role: str, password_hash: str | None) -> User:
        """A new user; ValueError when the name is taken or the role unknown."""
        _check_role(role)
        if not name or len(name) > 100:
            raise ValueError("a user name has 1 to 100 characters")
        user = User(name=name, role=role, password_hash=password_hash, created_at=utcnow())
        with self._writer.begin() as connection:
            if connection.execute(select(UserRow.name).where(UserRow.name == name)).first():
                raise ValueError(f"there is already a user {name!r}")
            connection.execute(insert(UserRow).values(**user.__dict__))
        return user

    def get_user(self, name: str) -> User | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(*_USER_COLUMNS).where(UserRow.name == name)).first()
        return None if row is None else User(*row)

    def list_users(self) -> list[User]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(*_USER_COLUMNS).order_by(UserRow.name)).all()
        return [User(*row) for row in rows]

    def count_users(self) -> int:
        return len(self.list_users())

    def set_user(self, name: str, *, role: str | None = None,
                 password_hash: str | None = None) -> None:
        values: dict[str, Any] = {}
        if role is not None:
            _check_role(role)
            values["role"] = role
        if password_hash is not None:
            values["password_hash"] = password_hash
        with self._writer.begin() as connection:
            if values and connection.execute(update(UserRow).where(UserRow.name == name)
                                             .values(**values)).rowcount == 0:
                raise KeyError(f"no user {name!r}")

    def remove_user(self, name: str) -> bool:
        """Remove the user with their tokens and sessions."""
        with self._writer.begin() as connection:
            for table in (ApiTokenRow, WebSessionRow):
                connection.execute(delete(table).where(table.user_name == name))
            return connection.execute(delete(UserRow).where(UserRow.name == name)).rowcount > 0

    # ------------------------------------------------------------------ tokens
    def add_token(self, name: str, token_hash: str) -> None:
        with self._writer.begin() as connection:
            if not connection.execute(select(UserRow.name).where(UserRow.name == name)).first():
                raise KeyError(f"no user {name!r}")
            connection.execute(insert(ApiTokenRow).values(
                user_name=name, token_hash=token_hash, created_at=utcnow()))

    def user_for_token_hash(self, token_hash: str) -> User | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(*_USER_COLUMNS).join(
                ApiTokenRow, ApiTokenRow.user_name == UserRow.name).where(
                ApiTokenRow.token_hash == token_hash)).first()
        return None if row is None else User(*row)

    def remove_tokens(self, name: str) -> int:
        with self._writer.begin() as connection:
            return connection.execute(delete(ApiTokenRow).where(
                ApiTokenRow.user_name == name)).rowcount

    # ------------------------------------------------------------------ web sessions
    def add_session(self, session_hash: str, name: str, expires_at: dt.datetime,
                    data: dict[str, Any] | None = None) -> None:
        with self._writer.begin() as connection:
            connection.execute(insert(WebSessionRow).values(
                session_hash=session_hash, user_name=name, created_at=utcnow(),
                expires_at=expires_at, data=dict(data or {})))

    def session(self, session_hash: str) -> tuple[User, dict[str, Any]] | None:
        """The user of an unexpired session and the data kept with it."""
        with self.engine.connect() as connection:
            row = connection.execute(select(*_USER_COLUMNS, WebSessionRow.expires_at,
                                            WebSessionRow.data).join(
                WebSessionRow, WebSessionRow.user_name == UserRow.name).where(
                WebSessionRow.session_hash == session_hash)).first()
        if row is None:
            return None
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(
            tzinfo=dt.UTC)
        if expires <= utcnow():
            self.remove_session(session_hash)
            return None
        return User(*row[:4]), dict(row.data or {})

    def remove_session(self, session_hash: str) -> None:
        with self._writer.begin() as connection:
            connection.execute(delete(WebSessionRow).where(
                WebSessionRow.session_hash == session_hash))
