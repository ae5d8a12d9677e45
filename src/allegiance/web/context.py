"""What every request of the web app shares — the store, the job pool, the sessions, the
limits — and the dependencies that say who is asking: :func:`page_user` for pages (a session
cookie; signed out goes to ``/login``), :func:`api_user` for the API (a Bearer token or a
session cookie; signed out is 401) and :func:`requires` for a role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from allegiance.web.auth import (
    SESSION_COOKIE,
    FirstAdminLink,
    LoginLimiter,
    Sessions,
    hash_token,
    role_at_least,
    same_token,
)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: declares the Bearer scheme in the OpenAPI document (the check itself is api_user's)
BEARER = HTTPBearer(auto_error=False, description="A token from `allegiance users token NAME`")


@dataclass
class Limits:
    """Size and fairness limits (``serve`` uses the defaults)."""

    #: largest request body (uploads included), bytes
    max_body: int = 2 * 1024 * 1024
    #: largest scenario: actors, issues, and actors × issues
    max_actors: int = 400
    max_issues: int = 100
    max_cells: int = 10_000
    #: runs one user may have queued or running at once
    jobs_per_user: int = 3
    #: largest Monte Carlo draws a web run may ask for
    max_runs: int = 100_000


@dataclass
class WebContext:
    store: Any
    db_url: str | None
    limits: Limits = field(default_factory=Limits)
    workers: int = 2
    #: False only for tests driving plain-HTTP servers whose client will not send Secure cookies
    secure_cookies: bool = True
    pool: Any = None
    first_admin: FirstAdminLink | None = None
    #: a Dask scheduler address for Monte Carlo and sensitivity runs (None: local)
    scheduler: str | None = None

    def __post_init__(self) -> None:
        self.sessions = Sessions(self.store)
        self.limiter = LoginLimiter(self.store)


class User(dict):
    """The signed-in user: ``name``, ``role``, and ``csrf`` (its session's token, pages only)."""

    @property
    def name(self) -> str:
        return self["name"]

    @property
    def role(self) -> str:
        return self["role"]


class SignedOut(Exception):
    """A page asked for by someone not signed in (the handler redirects to /login)."""


def context(request: Request) -> WebContext:
    return request.app.state.web


def _field(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name, None)


def session_user(request: Request) -> User | None:
    session = context(request).sessions.read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    return User(name=session["user"], role=session["role"], csrf=session["csrf"],
                session=session)


def token_user(request: Request) -> User | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = context(request).store.user_for_token_hash(hash_token(token.strip()))
    if row is None:
        return None
    return User(name=_field(row, "name"), role=_field(row, "role"), csrf=None, session=None)


def api_user(request: Request,
             _credentials: HTTPAuthorizationCredentials | None = Depends(BEARER)) -> User:
    """The API's caller: a Bearer token, else a session cookie (then unsafe methods need the
    session's CSRF token in ``X-CSRF-Token``)."""
    if request.headers.get("authorization"):
        user = token_user(request)
        if user is None:
            raise HTTPException(401, "invalid API token", headers={"WWW-Authenticate": "Bearer"})
        return user
    user = session_user(request)
    if user is None:
        raise HTTPException(401, "sign in first: send Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    if request.method in UNSAFE_METHODS and not same_token(
            user["csrf"], request.headers.get("x-csrf-token")):
        raise HTTPException(403, "missing or wrong CSRF token (X-CSRF-Token header)")
    return user


def page_user(request: Request) -> User:
    user = session_user(request)
    if user is None:
        raise SignedOut()
    return user


def requires(role: str, who=api_user):
    """A dependency: the caller, who must have at least ``role`` (else 403)."""

    def check(user: User = Depends(who)) -> User:
        if not role_at_least(user.role, role):
            raise HTTPException(403, f"this needs the {role} role; you are {user.role}")
        return user

    return check


async def check_form_csrf(request: Request, user: User) -> dict[str, Any]:
    """The submitted form, after checking its CSRF token against the session's."""
    form = await request.form()
    if not same_token(user["csrf"], form.get("csrf_token")):
        raise HTTPException(403, "this form has expired or did not come from this site; "
                            "reload the page and try again")
    return form
