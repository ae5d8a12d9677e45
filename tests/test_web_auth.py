"""Every route of the web app × (signed out, viewer, analyst, admin): signed out reaches only
/api/health, /login and static files (401 for the API, a redirect to /login for pages); a viewer
reads; an analyst also edits and runs; an admin also manages users and deletes scenarios."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from webapp import bearer, csrf_of, make_app, sign_in

from allegiance.web.library import ensure_stored

#: (method, path template, who may: "public", "viewer", "analyst" or "admin")
ROUTES = [
    ("GET", "/api/health", "public"),
    ("GET", "/openapi.json", "viewer"),
    ("GET", "/api/scenarios", "viewer"),
    ("GET", "/api/scenarios/{scenario_id}", "viewer"),
    ("POST", "/api/scenarios", "analyst"),
    ("PUT", "/api/scenarios/{scenario_id}", "analyst"),
    ("DELETE", "/api/scenarios/{scenario_id}", "admin"),
    ("POST", "/api/runs", "analyst"),
    ("GET", "/api/runs", "viewer"),
    ("GET", "/api/runs/{run_id}", "viewer"),
    ("DELETE", "/api/runs/{run_id}", "analyst"),
    ("GET", "/login", "public"),
    ("POST", "/login", "public"),
    ("POST", "/login/setup", "public"),
    ("POST", "/logout", "viewer"),
    ("GET", "/users", "admin"),
    ("POST", "/users", "admin"),
    ("POST", "/users/{name}/remove", "admin"),
    ("POST", "/users/{name}/token", "admin"),
    ("GET", "/", "viewer"),
    ("POST", "/scenarios/import", "analyst"),
    ("GET", "/scenarios/{scenario_id}", "viewer"),
    ("GET", "/scenarios/{scenario_id}/export", "viewer"),
    ("POST", "/scenarios/{scenario_id}/duplicate", "analyst"),
    ("POST", "/scenarios/{scenario_id}/delete", "admin"),
    ("GET", "/scenarios/{scenario_id}/edit", "analyst"),
    ("POST", "/scenarios/{scenario_id}/check", "analyst"),
    ("POST", "/scenarios/{scenario_id}/save", "analyst"),
    ("GET", "/scenarios/{scenario_id}/diff", "viewer"),
    ("POST", "/runs", "analyst"),
    ("POST", "/backtest", "analyst"),
    ("GET", "/runs", "viewer"),
    ("GET", "/runs/{run_id}", "viewer"),
    ("POST", "/runs/{run_id}/rerun", "analyst"),
    ("POST", "/runs/{run_id}/delete", "analyst"),
    ("GET", "/compare", "viewer"),
    ("GET", "/compare/export.csv", "viewer"),
    ("GET", "/static/plotly.min.js", "public"),
    ("GET", "/static/app.js", "public"),
]
LEVEL = {"public": -1, "viewer": 0, "analyst": 1, "admin": 2}
WHO = ("signed-out", "viewer", "analyst", "admin")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, web = make_app(tmp_path_factory.mktemp("auth"), workers=None)
    version = ensure_stored(web.store, "syria-2014")
    run_id = web.store.create_run("forecast", scenario_hash=version.content_hash, model="mean",
                                  params={}, seed=1, as_of=None, variant=None, status="queued",
                                  owner="analyst")
    clients = {}
    for who in WHO:
        client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
        if who != "signed-out":
            sign_in(client, who)
            client.csrf = csrf_of(client)
        clients[who] = client
    return {"app": app, "clients": clients, "run": run_id, "hash": version.content_hash}


def test_the_table_covers_every_route(site):
    from fastapi.routing import APIRoute

    app = site["app"]
    found = set()
    for route in app.router.routes:
        if isinstance(route, APIRoute):
            found |= {(method, route.path) for method in route.methods - {"HEAD"}}
    listed = {(method, path) for method, path, _ in ROUTES}
    assert found - listed == set(), "routes missing from the auth table"


def _url(path: str, site) -> str:
    # reads address things that exist; destructive routes things that do not (no side effects)
    destructive = any(word in path for word in ("remove", "delete", "token")) or \
        path in ("/api/scenarios/{scenario_id}",)
    url = path.format(scenario_id="syria-2014", run_id=site["run"] if not destructive
                      else 999999, name="nobody")
    if path.endswith("/diff"):
        url += f"?a={site['hash']}&b={site['hash']}"
    if path.startswith("/compare"):
        url += f"?a={site['run']}&b={site['run']}"
    return url


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(("method", "path", "needs"), ROUTES)
def test_route_access(site, method, path, needs, who):
    client = site["clients"][who]
    if path == "/logout" and who != "signed-out":  # signing out ends the session: a new one
        client = TestClient(site["app"], base_url="https://testserver")
        sign_in(client, who)
        client.csrf = csrf_of(client)
    url = _url(path, site)
    is_api = path.startswith("/api/") or path == "/openapi.json"
    headers = {}
    kwargs = {}
    if who != "signed-out":
        if is_api:
            headers = bearer(who)
        elif method == "POST":
            kwargs["data"] = {"csrf_token": client.csrf}
    if method == "DELETE" and path == "/api/scenarios/{scenario_id}":
        url = "/api/scenarios/no-such-scenario"
    response = client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
    assert response.status_code < 500, response.text
    level = -1 if who == "signed-out" else LEVEL[who]
    allowed = level >= LEVEL[needs]
    if allowed:
        assert response.status_code not in (401, 403) or path.startswith("/login"), \
            response.text
        if not is_api and response.status_code == 303 and path != "/logout":
            assert not response.headers["location"].startswith("/login")
        return
    if who == "signed-out":
        if is_api:
            assert response.status_code == 401
            assert response.headers.get("www-authenticate") == "Bearer"
        else:
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=")
    else:
        assert response.status_code == 403, response.text
