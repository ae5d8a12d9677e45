"""The web app's JSON API and its security promises, against a real store and worker process:
scenarios in and out (every problem with its location on invalid input), runs whose result is
exactly the CLI's JSON, cancelling, the per-user job limit, size limits, CSRF, cookies, headers,
the sign-in rate limit, the first-admin link and error pages without stack traces."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient
from webapp import PASSWORD, bearer, csrf_of, make_app, sign_in

import allegiance
from allegiance.io.yaml_format import dump_yaml


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, web = make_app(tmp_path_factory.mktemp("api"), workers=1, jobs_per_user=2)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    yield app, web, client
    web.pool.shutdown()


def wait_for(client, run_id, role="analyst", timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}", headers=bearer(role)).json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish")


def test_health_needs_no_sign_in(site):
    _, _, client = site
    assert client.get("/api/health").json() == {"status": "ok"}


def test_run_result_is_exactly_the_cli_json(site):
    _, _, client = site
    created = client.post("/api/runs", headers=bearer("analyst"), json={
        "scenario": "syria-2014", "model": "bdm", "kind": "forecast", "seed": 1, "params": {},
        "as_of": None, "variant": None})
    assert created.status_code == 201, created.text
    run = wait_for(client, created.json()["id"])
    assert run["status"] == "done" and run["progress"] == 1.0
    cli = subprocess.run([sys.executable, "-m", "allegiance.cli", "forecast", "syria-2014",
                          "--model", "bdm", "--seed", "1", "--format", "json"],
                         capture_output=True, text=True, check=True)
    assert run["result"] == json.loads(cli.stdout)
    listed = client.get("/api/runs", headers=bearer("viewer")).json()
    assert run["id"] in [r["id"] for r in listed]


def test_viewer_cannot_run(site):
    _, _, client = site
    response = client.post("/api/runs", headers=bearer("viewer"), json={"scenario": "syria-2014"})
    assert response.status_code == 403


def test_bad_run_inputs_are_422_with_the_reason(site):
    _, _, client = site
    bad = client.post("/api/runs", headers=bearer("analyst"),
                      json={"scenario": "syria-2014", "model": "bdm", "params": {"rounds": -1}})
    assert bad.status_code == 422 and "rounds" in bad.json()["detail"]
    unknown = client.post("/api/runs", headers=bearer("analyst"),
                          json={"scenario": "no-such", "model": "mean"})
    assert unknown.status_code == 422 and "no-such" in unknown.json()["detail"]
    model = client.post("/api/runs", headers=bearer("analyst"),
                        json={"scenario": "syria-2014", "model": "bmd"})
    assert model.status_code == 422 and "unknown model" in model.json()["detail"]


def test_cancel_and_per_user_limit(site):
    _, _, client = site
    body = {"scenario": "syria-2014", "model": "bdm", "kind": "montecarlo", "seed": 2,
            "options": {"runs": 60000}}
    first = client.post("/api/runs", headers=bearer("admin"), json=body).json()["id"]
    second = client.post("/api/runs", headers=bearer("admin"), json=body).json()["id"]
    third = client.post("/api/runs", headers=bearer("admin"), json=body)
    assert third.status_code == 429 and "already have 2" in third.json()["detail"]
    for run_id in (second, first):
        gone = client.delete(f"/api/runs/{run_id}", headers=bearer("admin"))
        assert gone.json() == {"id": run_id, "status": "interrupted"}
    assert wait_for(client, first, "admin")["status"] == "interrupted"
    time.sleep(1.5)  # a cancelled run stays cancelled
    assert client.get(f"/api/runs/{first}", headers=bearer("admin")).json()["status"] == \
        "interrupted"
    deleted = client.delete(f"/api/runs/{first}", headers=bearer("admin")).json()
    assert deleted["status"] == "deleted"
    assert client.get(f"/api/runs/{first}", headers=bearer("admin")).status_code == 404


def test_scenario_in_and_out(site):
    _, _, client = site
    scenario = allegiance.load_scenario("eu-emissions-1994")
    text = dump_yaml(scenario.model_copy(update={"id": "emissions-copy"}))
    created = client.post("/api/scenarios", headers={**bearer("analyst"),
                          "content-type": "application/yaml"}, content=text)
    assert created.status_code == 201, created.text
    got = client.get("/api/scenarios/emissions-copy", headers=bearer("viewer")).json()
    assert got["document"] == text and got["content_hash"] == created.json()["content_hash"]
    as_json = json.dumps({**got["scenario"], "title": "Changed"})
    put = client.put("/api/scenarios/emissions-copy", headers={
        **bearer("analyst"), "content-type": "application/json"}, content=as_json)
    assert put.status_code == 200, put.text
    versions = client.get("/api/scenarios/emissions-copy", headers=bearer("viewer")).json()
    assert len(versions["versions"]) == 2 and versions["title"] == "Changed"
    wrong = client.put("/api/scenarios/other-id", headers={
        **bearer("analyst"), "content-type": "application/json"}, content=as_json)
    assert wrong.status_code == 422 and wrong.json()["problems"][0]["path"] == ["id"]
    assert client.delete("/api/scenarios/emissions-copy",
                         headers=bearer("analyst")).status_code == 403
    assert client.delete("/api/scenarios/emissions-copy",
                         headers=bearer("admin")).status_code == 204
    assert client.get("/api/scenarios/emissions-copy",
                      headers=bearer("viewer")).status_code == 404


def test_invalid_scenario_lists_every_problem_with_its_line(site):
    _, _, client = site
    text = dump_yaml(allegiance.load_scenario("syria-2014"))
    text = text.replace("salience:\n        value: 1.0", "salience:\n        value: 1.5", 1)
    text = text.replace("position:\n        value: 100.0", "position:\n        value: 130.0", 1)
    response = client.post("/api/scenarios", headers={**bearer("analyst"),
                           "content-type": "application/yaml"}, content=text)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert len(problems) >= 2 and all(p["line"] for p in problems)
    messages = " ".join(p["message"] for p in problems)
    assert "outside the salience range" in messages and "130 is outside the scale" in messages


def test_body_size_limit(site):
    _, web, client = site
    big = "x" * (web.limits.max_body + 10)
    response = client.post("/api/scenarios", headers=bearer("analyst"), content=big)
    assert response.status_code == 413


def test_hostile_yaml_is_refused_cleanly(site):
    _, _, client = site
    response = client.post("/api/scenarios", headers={**bearer("analyst"),
                           "content-type": "application/yaml"},
                           content="!!python/object/apply:os.system ['true']\n")
    assert response.status_code == 422 and "refused" in response.json()["problems"][0]["message"]


def test_security_headers_and_cookie_flags(tmp_path):
    app, _ = make_app(tmp_path, workers=None)
    client = TestClient(app, base_url="https://testserver")
    page = client.get("/login")
    csp = page.headers["content-security-policy"]
    script = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text  # no inline script anywhere
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed = client.post("/login", data={"username": "viewer", "password": PASSWORD,
                                         "csrf_token": token}, follow_redirects=False)
    cookie = [c for c in signed.headers.get_list("set-cookie")
              if c.startswith("allegiance_session=")][0].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


def test_forms_need_their_csrf_token(tmp_path):
    app, _ = make_app(tmp_path, workers=None)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    sign_in(client, "analyst")
    response = client.post("/scenarios/syria-2014/duplicate", data={"new_id": "x"})
    assert response.status_code == 403
    api = client.post("/api/runs", json={"scenario": "syria-2014"})  # cookie, no header
    assert api.status_code == 403 and "CSRF" in api.json()["detail"]
    token = csrf_of(client)
    ok = client.post("/scenarios/syria-2014/duplicate", data={"new_id": "x", "csrf_token": token},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/scenarios/x"


def test_sign_in_rate_limit(tmp_path):
    app, _ = make_app(tmp_path, workers=None)
    client = TestClient(app, base_url="https://testserver")
    statuses = []
    for _ in range(7):
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        statuses.append(client.post("/login", data={"username": "admin", "password": "wrong",
                                                    "csrf_token": token}).status_code)
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]


def _failed_sign_in(client, name: str, password: str = "wrong"):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": name, "password": password,
                                       "csrf_token": token}, follow_redirects=False)


def test_sign_in_rate_limit_holds_across_app_instances_on_one_database(tmp_path):
    """Two app instances (as two ``--workers`` processes) on the same database, each with its
    own store connection: failures on either count towards one limit, and a success on one
    clears it for both."""
    from allegiance.store import open_store
    from allegiance.web.app import create_app
    from allegiance.web.context import WebContext

    app_a, web_a = make_app(tmp_path, workers=None)
    store_b = open_store(web_a.db_url)
    web_b = WebContext(store=store_b, db_url=web_a.db_url)
    app_b = create_app(web_b)
    a = TestClient(app_a, base_url="https://testserver")
    b = TestClient(app_b, base_url="https://testserver")
    statuses = [_failed_sign_in(client, "analyst").status_code
                for client in (a, b, a, b, a, b, a)]
    assert statuses == [401] * 5 + [429, 429]
    refused = _failed_sign_in(b, "analyst", PASSWORD)  # even the right password waits
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 300
    # another user from the same client is refused too (the client's own count is full) ...
    assert _failed_sign_in(a, "viewer").status_code == 429
    # ... until the failures are older than the window
    web_a.limiter.window = web_b.limiter.window = 0.5
    time.sleep(0.6)
    assert _failed_sign_in(b, "analyst", PASSWORD).status_code == 303
    store_b.close()


def test_a_successful_sign_in_clears_the_count_for_every_instance(tmp_path):
    from allegiance.store import open_store
    from allegiance.web.app import create_app
    from allegiance.web.context import WebContext

    app_a, web_a = make_app(tmp_path, workers=None)
    store_b = open_store(web_a.db_url)
    b = TestClient(create_app(WebContext(store=store_b, db_url=web_a.db_url)),
                   base_url="https://testserver")
    a = TestClient(app_a, base_url="https://testserver")
    assert [_failed_sign_in(a, "admin").status_code for _ in range(4)] == [401] * 4
    assert _failed_sign_in(b, "admin", PASSWORD).status_code == 303
    assert [_failed_sign_in(b, "admin").status_code for _ in range(5)] == [401] * 5
    assert _failed_sign_in(a, "admin").status_code == 429
    store_b.close()


def test_first_admin_link_works_once(tmp_path):
    from allegiance.store import open_store
    from allegiance.web.app import create_app
    from allegiance.web.auth import FirstAdminLink
    from allegiance.web.context import WebContext

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    web = WebContext(store=open_store(url), db_url=url, first_admin=FirstAdminLink())
    client = TestClient(create_app(web), base_url="https://testserver")
    link = f"/login?setup={web.first_admin.token}"
    page = client.get(link)
    assert "Create the first administrator" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post("/login/setup", data={"setup": web.first_admin.token, "username": "ada",
                                             "password": "long enough", "csrf_token": token},
                       follow_redirects=False)
    assert done.status_code == 303 and web.store.get_user("ada").role == "admin"
    assert client.get("/").status_code == 200  # signed in
    assert client.get(link).status_code == 403  # used


def test_no_stack_trace_reaches_a_page(tmp_path):
    app, web = make_app(tmp_path, workers=None)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    sign_in(client, "viewer")

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    web.store.list_runs = broken
    for path, headers in (("/runs", {}), ("/api/runs", bearer("viewer"))):
        response = client.get(path, headers=headers)
        assert response.status_code == 500
        assert "Traceback" not in response.text and "secret internals" not in response.text


def test_upload_import_and_export(tmp_path, reference):
    app, _ = make_app(tmp_path, workers=None)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    sign_in(client, "analyst")
    token = csrf_of(client)
    source = reference / "bdm" / "ExampleActors.csv"
    response = client.post("/scenarios/import", data={"csrf_token": token, "format": ""},
                           files={"file": (source.name, source.read_bytes(), "text/csv")},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    target = response.headers["location"]
    expected = allegiance.load_scenario(source)
    page = client.get(target)
    assert expected.title in page.text
    for fmt in ("yaml", "bdm-csv", "ktab-csv", "ktab-xml", "decide"):
        out = client.get(f"{target}/export?to={fmt}&issue={expected.issues[0].id}")
        assert out.status_code == 200 and out.text.strip(), fmt
    bad = client.post("/scenarios/import", data={"csrf_token": token},
                      files={"file": ("x.yaml", b"id: [unclosed\n", "text/yaml")})
    assert bad.status_code == 422 and "not valid YAML" in bad.text


def test_backtest_of_an_uploaded_deu_file(site, reference):
    _, web, client = site
    sign_in(client, "analyst")
    token = csrf_of(client)
    source = reference / "deu" / "deu3-dev.tsv"
    response = client.post("/backtest", data={"csrf_token": token, "model": "median",
                                              "capability": "equal", "runs": "2"},
                           files={"file": (source.name, source.read_bytes(), "text/plain")},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    run = wait_for(client, run_id, timeout=240)
    assert run["status"] == "done", run["error"]
    assert run["kind"] == "backtest" and run["result"]["summaries"]
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200 and 'data-kind="backtest"' in page.text


def test_editor_checks_saves_and_diffs(tmp_path):
    app, web = make_app(tmp_path, workers=None)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    sign_in(client, "analyst")
    token = csrf_of(client)
    usa = allegiance.load_scenario("syria-2014").actor_ids.index("usa")
    field = f"f:actors.{usa}.issues.settlement.position.value"
    checked = client.post("/scenarios/syria-2014/check", data={"csrf_token": token,
                                                                field: "250"}).json()
    errors = [p for p in checked["problems"] if p["severity"] == "error"]
    assert errors[0]["path"] == f"actors.{usa}.issues.settlement.position.value"
    assert "outside the scale" in errors[0]["message"]
    refused = client.post("/scenarios/syria-2014/save", data={"csrf_token": token,
                                                              field: "abc"})
    assert refused.status_code == 422 and "is not a number" in refused.text
    assert web.store.scenario_versions("syria-2014") == []  # nothing saved
    saved = client.post("/scenarios/syria-2014/save", data={"csrf_token": token, field: "80"},
                        follow_redirects=False)
    assert saved.status_code == 303
    new, old = web.store.scenario_versions("syria-2014")
    assert old.saved_by == "built-in" and new.saved_by == "analyst"
    diff = client.get(f"/scenarios/syria-2014/diff?a={old.content_hash}&b={new.content_hash}")
    assert "usa › issues › settlement" in diff.text and "80.0" in diff.text
    rows = diff.text.count("<tr>") - 1
    assert rows == 1  # only what changed


def test_sessions_live_in_the_store(tmp_path):
    from allegiance.web.app import create_app
    from allegiance.web.auth import SESSION_COOKIE
    from allegiance.web.context import WebContext

    app, web = make_app(tmp_path, workers=None)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    sign_in(client, "analyst")
    cookie = client.cookies.get(SESSION_COOKIE)
    restarted = create_app(WebContext(store=web.store, db_url=web.db_url))  # a new server
    other = TestClient(restarted, base_url="https://testserver", cookies={SESSION_COOKIE: cookie})
    assert other.get("/", follow_redirects=False).status_code == 200
    token = csrf_of(client)
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    copied = TestClient(app, base_url="https://testserver", cookies={SESSION_COOKIE: cookie})
    assert copied.get("/", follow_redirects=False).status_code == 303  # signed out everywhere
    sign_in(client, "viewer")
    web.store.remove_user("viewer")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_problem_located_by_line_is_shown_without_a_field():
    from pathlib import Path

    from allegiance.io import decide
    from allegiance.io.errors import ReadError
    from allegiance.scenario.problems import Problem
    from allegiance.web.library import problems_json

    with pytest.raises(ReadError) as caught:
        decide.read_located(Path("up.csv"), "#A;a;A\n#P;x;X\n#D;a;x;5;1.5;0.5\n")
    (shown,) = problems_json(caught.value)
    assert shown["field"] == "" and shown["line"] == 3 and "salience" in shown["message"]
    by_field = Problem(path=("actors", 0, "capability"), message="m", line=4)
    assert by_field.shown_field() == "actors[0].capability"
    assert Problem(path=(), message="m").shown_field() == "(top level)"
