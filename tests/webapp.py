"""Helpers of the web app's tests: a store with one user of each role (and their API tokens),
the app on it, and a real server on 127.0.0.1 (uvicorn in a thread, a worker process for runs).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

PASSWORD = "correct horse battery"
ROLES = ("viewer", "analyst", "admin")


def make_store(folder: Path):
    from allegiance.store import open_store
    from allegiance.web.auth import hash_password, hash_token

    url = f"sqlite:///{folder / 'web.db'}"
    store = open_store(url)
    for role in ROLES:
        store.add_user(role, role, hash_password(PASSWORD))
        store.add_token(role, hash_token(f"token-{role}"))
    return store, url


def make_app(folder: Path, workers: int | None = 1, **limits):
    from allegiance.web.app import create_app
    from allegiance.web.context import Limits, WebContext
    from allegiance.web.jobs import JobPool

    store, url = make_store(folder)
    web = WebContext(store=store, db_url=url, limits=Limits(**limits))
    if workers:
        web.pool = JobPool(url, workers=workers, per_user=web.limits.jobs_per_user)
    return create_app(web), web


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer token-{role}"}


def sign_in(client, role: str) -> None:
    """Sign ``client`` (a TestClient on https://testserver) in through the login form."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": role, "password": PASSWORD,
                                           "csrf_token": token, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def csrf_of(client) -> str:
    page = client.get("/")
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(folder: Path, workers: int = 1, **limits):
    """``(base_url, web)`` of a real server on 127.0.0.1, stopped on exit."""
    import uvicorn

    app, web = make_app(folder, workers=workers, **limits)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", web
    finally:
        server.should_exit = True
        thread.join(10)
        if web.pool is not None:
            web.pool.shutdown()
