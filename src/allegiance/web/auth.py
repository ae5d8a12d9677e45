"""Who is signed in, and what they may do: password and token hashing, signed session cookies,
CSRF tokens, the sign-in rate limit and the role checks used by every route.

- Passwords are hashed with Argon2id (argon2-cffi); API tokens are random 256-bit strings stored
  as their SHA-256 (a token is as strong as a key, so a fast hash suffices and allows look-up).
- A session is a cookie holding ``{user, expiry, nonce, csrf}`` signed with HMAC-SHA256 (standard
  library); signing out revokes its nonce. Cookies are ``HttpOnly``, ``Secure``, ``SameSite=Lax``.
- Every form and every cookie-authenticated API call that changes something carries the session's
  CSRF token (a hidden field, or the ``X-CSRF-Token`` header sent by the page's script).
- Roles are ordered: viewer (reads) < analyst (also edits and runs) < admin (also manages users).

Example
-------
>>> signer = SessionSigner(b"k" * 32)
>>> cookie = signer.issue("ada")
>>> signer.read(cookie)["user"]
'ada'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

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
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Issues and reads signed session cookies; remembers revoked sessions (signed out)."""

    def __init__(self, secret: bytes, lifetime: int = SESSION_SECONDS):
        self._secret = secret
        self.lifetime = lifetime
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, user: str) -> str:
        body = {"user": user, "exp": int(time.time()) + self.lifetime,
                "nonce": secrets.token_urlsafe(12), "csrf": secrets.token_urlsafe(24)}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{self._sign(payload)}"

    def read(self, cookie: str | None) -> dict | None:
        """The session's contents, or None when missing, forged, expired or signed out."""
        if not cookie or cookie.count(".") != 1 or len(cookie) > 4096:
            return None
        payload, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            body = json.loads(_unb64(payload))
        except ValueError:
            return None
        if not isinstance(body, dict) or body.get("exp", 0) < time.time():
            return None
        with self._lock:
            if body.get("nonce") in self._revoked:
                return None
        return body

    def revoke(self, session: dict) -> None:
        now = time.time()
        with self._lock:
            self._revoked = {n: exp for n, exp in self._revoked.items() if exp > now}
            self._revoked[session["nonce"]] = session["exp"]


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens (False when either is missing)."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


# ---------------------------------------------------------------------- rate limit
@dataclass
class LoginLimiter:
    """At most ``attempts`` failed sign-ins per ``window`` seconds per client and per user name."""

    attempts: int = 5
    window: float = 300.0

    def __post_init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, *keys: str) -> int:
        """Seconds until another attempt is allowed for these keys (0: allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.attempts:
                    wait = max(wait, times[0] + self.window - now)
        return int(wait) + (1 if wait else 0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
            if len(self._failures) > 10_000:  # forget idle keys
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


class FirstAdminLink:
    """The one-time sign-in link printed by ``serve`` on a store without users."""

    def __init__(self) -> None:
        self.token: str | None = secrets.token_urlsafe(24)

    def check(self, given: str | None) -> bool:
        return self.token is not None and same_token(self.token, given)

    def consume(self) -> None:
        self.token = None
