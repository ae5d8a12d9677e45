"""Who is signed in, and what they may do: password and token hashing, signed session cookies,
CSRF tokens, the sign-in rate limit (counted in the store) and the role checks used by every route.

- Passwords are hashed with Argon2id (argon2-cffi); API tokens are random 256-bit strings stored
  as their SHA-256 (a token is as strong as a key, so a fast hash suffices and allows look-up).
- A session is a random id in a cookie; the store keeps its SHA-256 with the user, the expiry and
  the CSRF token, and signing out deletes it. Cookies are ``HttpOnly``, ``Secure``,
  ``SameSite=Lax``.
- Every form and every cookie-authenticated API call that changes something carries the session's
  CSRF token (a hidden field, or the ``X-CSRF-Token`` header sent by the page's script).
- Roles are ordered: viewer (reads) < analyst (also edits and runs) < admin (also manages users).

Example
-------
>>> role_at_least("admin", "analyst"), role_at_least("viewer", "analyst")
(True, False)
>>> len(hash_token(new_token()))
64
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

ROLES = ("viewer", "analyst", "admin")
SESSION_COOKIE = "allegiance_session"
LOGIN_CSRF_COOKIE = "allegiance_login_csrf"
SESSION_SECONDS = 8 * 3600
TOKEN_PREFIX = "alg_"


def role_at_least(role: str, needed: str) -> bool:
    """True when ``role`` may do what ``needed`` may (viewer < analyst < admin)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


# ---------------------------------------------------------------------- passwords and tokens
_hasher = None


def _argon2():
    global _hasher
    if _hasher is None:
        from argon2 import PasswordHasher

        _hasher = PasswordHasher()
    return _hasher


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (with its own random salt)."""
    return _argon2().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; never raises on a mismatch."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _argon2().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A new API token (shown once; only its hash is stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of an API token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


#: a password hash that matches nothing, verified against when a user does not exist, so that the
#: time taken does not tell whether a name is known
_DUMMY_HASH: str | None = None


def dummy_verify(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    verify_password(_DUMMY_HASH, password)


# ---------------------------------------------------------------------- sessions
class Sessions:
    """Web sessions kept in the store: the cookie holds a random 256-bit id, the store only its
    SHA-256 with the user, the expiry and the session's CSRF token. Signing out (or removing
    the user) deletes the row, so a copied cookie stops working everywhere at once."""

    def __init__(self, store, lifetime: int = SESSION_SECONDS):
        self.store = store
        self.lifetime = lifetime

    def issue(self, user: str) -> str:
        """A new session for ``user``; the cookie's value."""
        token = secrets.token_urlsafe(32)
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.lifetime)
        self.store.add_session(hash_token(token), user, expires,
                               {"csrf": secrets.token_urlsafe(24)})
        return token

    def read(self, cookie: str | None) -> dict | None:
        """``{user, role, csrf, hash}`` of a live session, or None (missing, unknown, expired,
        signed out)."""
        if not cookie or len(cookie) > 200:
            return None
        digest = hash_token(cookie)
        found = self.store.session(digest)
        if found is None:
            return None
        user, data = found
        return {"user": user.name, "role": user.role, "csrf": data.get("csrf"), "hash": digest}

    def revoke(self, session: dict) -> None:
        self.store.remove_session(session["hash"])


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens (False when either is missing)."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


# ---------------------------------------------------------------------- rate limit
@dataclass
class LoginLimiter:
    """At most ``attempts`` failed sign-ins per ``window`` seconds per client and per user name.

    The failures are kept in the store (its ``login_failures`` table), so every worker process
    serving the same database counts the same attempts."""

    store: Any
    attempts: int = 5
    window: float = 300.0

    def _since(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.window)

    def retry_after(self, *keys: str) -> int:
        """Seconds until another attempt is allowed for these keys (0: allowed now)."""
        now = dt.datetime.now(dt.UTC)
        wait = 0.0
        for times in self.store.login_failures(keys, self._since()).values():
            if len(times) >= self.attempts:
                unlock = times[-self.attempts] + dt.timedelta(seconds=self.window)
                wait = max(wait, (unlock - now).total_seconds())
        return int(wait) + (1 if wait > int(wait) else 0) if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        self.store.add_login_failure(keys, forget_before=self._since())

    def succeeded(self, *keys: str) -> None:
        self.store.clear_login_failures(keys)


class FirstAdminLink:
    """The one-time sign-in link printed by ``serve`` on a store without users."""

    def __init__(self) -> None:
        self.token: str | None = secrets.token_urlsafe(24)

    def check(self, given: str | None) -> bool:
        return self.token is not None and same_token(self.token, given)

    def consume(self) -> None:
        self.token = None
