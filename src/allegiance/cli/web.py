"""The ``serve`` and ``users`` commands (registered lazily by :mod:`allegiance.cli`, so that
FastAPI and uvicorn load only for them)::

    allegiance serve [--host 127.0.0.1] [--port 8000] [--db URL] [--workers N]
    allegiance users add NAME --role viewer|analyst|admin [--password-file F]
    allegiance users token NAME        # prints a new API token (only its hash is stored)
    allegiance users list
    allegiance users remove NAME
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from allegiance.cli.common import console, err_console, fail

DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Database URL (default: ALLEGIANCE_DATABASE_URL, else the user's data folder).")]

users_app = typer.Typer(name="users", help="Manage the web app's users and API tokens.",
                        no_args_is_help=True, add_completion=False)


def _store(db: str | None):
    from allegiance.store import StoreError, open_store

    try:
        return open_store(db)
    except StoreError as exc:
        fail(str(exc))


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to bind (localhost by default).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    db: DbOpt = None,
    workers: Annotated[int, typer.Option(
        "--workers", help="Worker processes computing the analyses.")] = 2,
    jobs_per_user: Annotated[int, typer.Option(
        "--jobs-per-user", help="Runs one user may have queued or running at once.")] = 3,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address for Monte Carlo and sensitivity runs.")
                         ] = None,
) -> None:
    """Serve the web app (FastAPI on uvicorn). On a store without users, print a one-time
    sign-in link that creates the first administrator."""
    import uvicorn

    from allegiance.store.engine import resolve_url
    from allegiance.web.app import create_app
    from allegiance.web.auth import FirstAdminLink
    from allegiance.web.context import Limits, WebContext
    from allegiance.web.jobs import JobPool

    if not 1 <= port <= 65535:
        fail(f"--port must be 1-65535; got {port}")
    if workers < 1:
        fail(f"--workers must be at least 1; got {workers}")
    url = resolve_url(db)
    store = _store(url)
    for run in store.list_runs(status="queued", limit=10_000):  # left by a previous server
        store.mark_interrupted(run.id)
    web = WebContext(store=store, db_url=url, workers=workers,
                     limits=Limits(jobs_per_user=jobs_per_user), scheduler=scheduler)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    if store.count_users() == 0:
        web.first_admin = FirstAdminLink()
        console.print("No users yet. Open this link once to create the first administrator:")
        console.print(f"    http://{shown}:{port}/login?setup={web.first_admin.token}",
                      soft_wrap=True)
    web.pool = JobPool(url, workers=workers, per_user=jobs_per_user)
    app = create_app(web)
    console.print(f"Allegiance web app on http://{shown}:{port} (store {store.where}); "
                  "Ctrl-C stops it.")
    try:
        uvicorn.run(app, host=host, port=port, log_level=os.environ.get(
            "ALLEGIANCE_LOG_LEVEL", "warning"), server_header=False)
    finally:
        web.pool.shutdown()


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option("--role", help="viewer, analyst or admin.")],
    password_file: Annotated[Path | None, typer.Option(
        "--password-file", help="Read the password from the first line of this file.")] = None,
    db: DbOpt = None,
) -> None:
    """Add a user (the password is asked for unless --password-file is given)."""
    from allegiance.web.auth import ROLES, hash_password
    from allegiance.web.pages import MIN_PASSWORD

    if role not in ROLES:
        fail(f"--role must be one of {', '.join(ROLES)}; got {role!r}")
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            fail(f"{password_file}: cannot read ({exc.strerror})")
        password = lines[0] if lines else ""
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        fail(f"a password has at least {MIN_PASSWORD} characters")
    store = _store(db)
    try:
        store.add_user(name, role, hash_password(password))
    except ValueError as exc:
        fail(str(exc))
    console.print(f"added {name} ({role})")


@users_app.command("token")
def users_token(name: Annotated[str, typer.Argument(help="User name.")], db: DbOpt = None
                ) -> None:
    """Print a new API token for NAME (shown once; only its hash is stored)."""
    from allegiance.web.auth import hash_token, new_token

    store = _store(db)
    if store.get_user(name) is None:
        fail(f"no user {name!r} (add one with `allegiance users add`)")
    token = new_token()
    store.add_token(name, hash_token(token))
    print(token)
    err_console.print("send it as `Authorization: Bearer <token>`; it is not shown again")


@users_app.command("list")
def users_list(db: DbOpt = None) -> None:
    """List the users and their roles."""
    from allegiance.cli.common import new_table

    table = new_table(title="users", title_justify="left")
    for column in ("name", "role", "since"):
        table.add_column(column)
    for user in _store(db).list_users():
        table.add_row(user.name, user.role, user.created_at.isoformat()[:10])
    console.print(table)


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="User name.")], db: DbOpt = None
                 ) -> None:
    """Remove a user and their API tokens."""
    if not _store(db).remove_user(name):
        fail(f"no user {name!r}")
    console.print(f"removed {name}")
