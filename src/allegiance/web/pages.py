"""Server-rendered pages: signing in and out, the first-admin link, user management, and the
``render`` helper every page uses. The scenario and run pages live in
:mod:`allegiance.web.scenario_pages` and :mod:`allegiance.web.run_pages`.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from allegiance.web.auth import (
    LOGIN_CSRF_COOKIE,
    ROLES,
    SESSION_COOKIE,
    dummy_verify,
    hash_password,
    hash_token,
    new_token,
    same_token,
    verify_password,
)
from allegiance.web.context import User, check_form_csrf, context, page_user, requires

router = APIRouter(include_in_schema=False)
MIN_PASSWORD = 8


def render(request: Request, template: str, user: User | None, status: int = 200,
           **values: Any) -> Response:
    """A page from ``templates/``, with the user and their CSRF token."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, template, {
        "user": user, "csrf": user["csrf"] if user else None, **values}, status_code=status)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never another host) to go to after signing in."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/"
    return target


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True,
                        secure=context(request).secure_cookies, samesite="lax", path="/")


def _login_page(request: Request, status: int = 200, error: str | None = None,
                setup: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, status=status, error=error,
                      login_csrf=token, next=_safe_next(request.query_params.get("next")),
                      setup=setup)
    _cookie(response, request, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@router.get("/login")
def login_form(request: Request, setup: str | None = None) -> Response:
    web = context(request)
    if setup is not None:
        if web.first_admin is None or not web.first_admin.check(setup) \
                or web.store.count_users() > 0:
            return _login_page(request, 403, "this sign-in link has already been used or is "
                               "wrong; ask an administrator for an account")
        return _login_page(request, setup=setup)
    return _login_page(request)


def _client(request: Request) -> str:
    return f"ip:{request.client.host if request.client else '?'}"


@router.post("/login")
async def login(request: Request) -> Response:
    web = context(request)
    form = await request.form()
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf_token")):
        return _login_page(request, 403, "the sign-in form expired; please try again")
    name = str(form.get("username", "")).strip()[:100]
    password = str(form.get("password", ""))[:1000]
    keys = (_client(request), f"user:{name}")
    wait = web.limiter.retry_after(*keys)
    if wait:
        response = _login_page(request, 429, f"too many failed sign-ins; try again in {wait} s")
        response.headers["Retry-After"] = str(wait)
        return response
    user = web.store.get_user(name) if name else None
    if user is None or not user.password_hash:
        dummy_verify(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    if not ok:
        web.limiter.failed(*keys)
        return _login_page(request, 401, "wrong user name or password")
    web.limiter.succeeded(*keys)
    return _signed_in(request, name, _safe_next(str(form.get("next", "/"))))


def _signed_in(request: Request, name: str, target: str) -> Response:
    web = context(request)
    response = RedirectResponse(target, status_code=303)
    _cookie(response, request, SESSION_COOKIE, web.sessions.issue(name), web.sessions.lifetime)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/login/setup")
async def first_admin(request: Request) -> Response:
    """Create the first admin from the one-time link ``serve`` printed."""
    web = context(request)
    form = await request.form()
    setup = str(form.get("setup", ""))
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf_token")):
        return _login_page(request, 403, "the form expired; open the link again", setup=setup)
    if web.first_admin is None or not web.first_admin.check(setup) \
            or web.store.count_users() > 0:
        return _login_page(request, 403, "this sign-in link has already been used")
    name = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    problem = _account_problem(name, password)
    if problem:
        return _login_page(request, 422, problem, setup=setup)
    web.store.add_user(name, "admin", hash_password(password))
    web.first_admin.consume()
    return _signed_in(request, name, "/")


def _account_problem(name: str, password: str) -> str | None:
    if not name or len(name) > 100 or not all(c.isalnum() or c in "._-@" for c in name):
        return "a user name has 1 to 100 letters, digits or . _ - @"
    if len(password) < MIN_PASSWORD:
        return f"a password has at least {MIN_PASSWORD} characters"
    return None


@router.post("/logout")
async def logout(request: Request, user: User = Depends(page_user)) -> Response:
    await check_form_csrf(request, user)
    context(request).sessions.revoke(user["session"])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------------- users (admin)
admin_page = requires("admin", page_user)


@router.get("/users")
def users_page(request: Request, user: User = Depends(admin_page)) -> Response:
    return render(request, "users.html", user, users=context(request).store.list_users(),
                  roles=ROLES)


@router.post("/users")
async def add_user(request: Request, user: User = Depends(admin_page)) -> Response:
    form = await check_form_csrf(request, user)
    web = context(request)
    name = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    role = str(form.get("role", "viewer"))
    error = _account_problem(name, password) or (
        None if role in ROLES else f"unknown role {role!r}")
    if error is None and web.store.get_user(name) is not None:
        error = f"there is already a user {name!r}"
    if error:
        return render(request, "users.html", user, status=422, error=error,
                      users=web.store.list_users(), roles=ROLES)
    web.store.add_user(name, role, hash_password(password))
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/remove")
async def remove_user(name: str, request: Request, user: User = Depends(admin_page)) -> Response:
    await check_form_csrf(request, user)
    if name == user.name:
        raise HTTPException(409, "you cannot remove yourself")
    if not context(request).store.remove_user(name):
        raise HTTPException(404, f"no user {name!r}")
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/token")
async def user_token(name: str, request: Request, user: User = Depends(admin_page)) -> Response:
    await check_form_csrf(request, user)
    web = context(request)
    if web.store.get_user(name) is None:
        raise HTTPException(404, f"no user {name!r}")
    token = new_token()
    web.store.add_token(name, hash_token(token))
    return render(request, "users.html", user, users=web.store.list_users(), roles=ROLES,
                  token=token, token_user=name)
