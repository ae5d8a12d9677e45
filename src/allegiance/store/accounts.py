"""Users, API tokens, web sessions and failed sign-ins of the web app, in the results store.

The store keeps only hashes: hashing passwords, tokens and session ids is the web app's job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from allegiance.store.database import json_value, time_value
from allegiance.store.records import utcnow
from allegiance.store.schema import ROLES


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str | None
    created_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


_USER = "SELECT u.name, u.role, u.password_hash, u.created_at FROM users u"


def _user(row: dict[str, Any]) -> User:
    return User(row["name"], row["role"], row["password_hash"], time_value(row["created_at"]))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (known: {', '.join(ROLES)})")


class Accounts:
    """The accounts half of :class:`~allegiance.store.store.Store`."""

    database: Any

    def add_user(self, name: str, role: str, password_hash: str | None) -> User:
        """A new user; ValueError when the name is taken or the role unknown."""
        _check_role(role)
        if not name or len(name) > 100:
            raise ValueError("a user name has 1 to 100 characters")
        user = User(name=name, role=role, password_hash=password_hash, created_at=utcnow())
        with self.database.write() as tx:
            if tx.row("SELECT name FROM users WHERE name = :name", {"name": name}):
                raise ValueError(f"there is already a user {name!r}")
            tx.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES "
                       "(:name, :role, :password_hash, :created_at)", asdict(user))
        return user

    def get_user(self, name: str) -> User | None:
        with self.database.read() as tx:
            row = tx.row(f"{_USER} WHERE u.name = :name", {"name": name})
        return None if row is None else _user(row)

    def list_users(self) -> list[User]:
        with self.database.read() as tx:
            return [_user(row) for row in tx.rows(f"{_USER} ORDER BY u.name")]

    def count_users(self) -> int:
        with self.database.read() as tx:
            return int(tx.row("SELECT COUNT(*) AS n FROM users")["n"])

    def set_user(self, name: str, *, role: str | None = None,
                 password_hash: str | None = None) -> None:
        values: dict[str, Any] = {}
        if role is not None:
            _check_role(role)
            values["role"] = role
        if password_hash is not None:
            values["password_hash"] = password_hash
        if not values:
            return
        assignments = ", ".join(f"{key} = :{key}" for key in values)
        with self.database.write() as tx:
            if not tx.count(f"UPDATE users SET {assignments} WHERE name = :name",
                            {**values, "name": name}):
                raise KeyError(f"no user {name!r}")

    def remove_user(self, name: str) -> bool:
        """Remove the user with their tokens and sessions."""
        with self.database.write() as tx:
            for table in ("api_tokens", "web_sessions"):
                tx.execute(f"DELETE FROM {table} WHERE user_name = :name", {"name": name})
            return tx.count("DELETE FROM users WHERE name = :name", {"name": name}) > 0

    # ------------------------------------------------------------------ tokens
    def add_token(self, name: str, token_hash: str) -> None:
        with self.database.write() as tx:
            if not tx.row("SELECT name FROM users WHERE name = :name", {"name": name}):
                raise KeyError(f"no user {name!r}")
            tx.execute("INSERT INTO api_tokens (user_name, token_hash, created_at) VALUES "
                       "(:name, :hash, :now)", {"name": name, "hash": token_hash,
                                                "now": utcnow()})

    def user_for_token_hash(self, token_hash: str) -> User | None:
        with self.database.read() as tx:
            row = tx.row(f"{_USER} JOIN api_tokens t ON t.user_name = u.name "
                         "WHERE t.token_hash = :hash", {"hash": token_hash})
        return None if row is None else _user(row)

    def remove_tokens(self, name: str) -> int:
        with self.database.write() as tx:
            return tx.count("DELETE FROM api_tokens WHERE user_name = :name", {"name": name})

    # ------------------------------------------------------------------ web sessions
    def add_session(self, session_hash: str, name: str, expires_at: dt.datetime,
                    data: dict[str, Any] | None = None) -> None:
        with self.database.write() as tx:
            tx.execute("INSERT INTO web_sessions (session_hash, user_name, created_at, "
                       "expires_at, data) VALUES (:hash, :name, :now, :expires, :data)",
                       {"hash": session_hash, "name": name, "now": utcnow(),
                        "expires": expires_at, "data": dict(data or {})})

    def session(self, session_hash: str) -> tuple[User, dict[str, Any]] | None:
        """The user of an unexpired session and the data kept with it."""
        with self.database.read() as tx:
            row = tx.row("SELECT u.name, u.role, u.password_hash, u.created_at, s.expires_at, "
                         "s.data FROM users u JOIN web_sessions s ON s.user_name = u.name "
                         "WHERE s.session_hash = :hash", {"hash": session_hash})
        if row is None:
            return None
        if time_value(row["expires_at"]) <= utcnow():
            self.remove_session(session_hash)
            return None
        return _user(row), dict(json_value(row["data"]) or {})

    def remove_session(self, session_hash: str) -> None:
        with self.database.write() as tx:
            tx.execute("DELETE FROM web_sessions WHERE session_hash = :hash",
                       {"hash": session_hash})

    # ------------------------------------------------------------------ failed sign-ins
    def login_failures(self, keys: tuple[str, ...] | list[str],
                       since: dt.datetime) -> dict[str, list[dt.datetime]]:
        """The times of the failed sign-ins under each of ``keys`` after ``since``, oldest
        first (a key with none is absent)."""
        found: dict[str, list[dt.datetime]] = {}
        with self.database.read() as tx:
            for key in keys:
                rows = tx.rows("SELECT failed_at FROM login_failures WHERE key = :key AND "
                               "failed_at > :since ORDER BY failed_at",
                               {"key": key[:300], "since": since})
                if rows:
                    found[key] = [time_value(row["failed_at"]) for row in rows]
        return found

    def add_login_failure(self, keys: tuple[str, ...] | list[str],
                          forget_before: dt.datetime) -> None:
        """Record one failed sign-in under each of ``keys``; failures older than
        ``forget_before`` (under any key) are deleted in the same transaction."""
        now = utcnow()
        with self.database.write() as tx:
            tx.execute("DELETE FROM login_failures WHERE failed_at <= :before",
                       {"before": forget_before})
            for key in keys:
                tx.execute("INSERT INTO login_failures (key, failed_at) VALUES (:key, :now)",
                           {"key": key[:300], "now": now})

    def clear_login_failures(self, keys: tuple[str, ...] | list[str]) -> None:
        with self.database.write() as tx:
            for key in keys:
                tx.execute("DELETE FROM login_failures WHERE key = :key", {"key": key[:300]})
