"""The ``users`` and ``serve`` commands: users added, listed, given tokens and removed; ``serve``
binds to localhost, prints a one-time first-admin link on an empty store, and answers /api/health.
``forecast`` does not import FastAPI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

from typer.testing import CliRunner
from webapp import free_port

from allegiance.cli import app


def test_users_add_token_list_remove(tmp_path):
    db = f"sqlite:///{tmp_path / 'u.db'}"
    password = tmp_path / "pw"
    password.write_text("a long password\n")
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "ann", "--role", "analyst",
                                "--password-file", str(password), "--db", db])
    assert added.exit_code == 0, added.output
    token = runner.invoke(app, ["users", "token", "ann", "--db", db])
    assert token.exit_code == 0 and token.stdout.strip().startswith("alg_")
    from allegiance.store import open_store
    from allegiance.web.auth import hash_token, verify_password

    store = open_store(db)
    assert store.user_for_token_hash(hash_token(token.stdout.strip())).name == "ann"
    assert verify_password(store.get_user("ann").password_hash, "a long password")
    listed = runner.invoke(app, ["users", "list", "--db", db])
    assert "ann" in listed.output and "analyst" in listed.output
    bad_role = runner.invoke(app, ["users", "add", "bob", "--role", "boss",
                                   "--password-file", str(password), "--db", db])
    assert bad_role.exit_code == 2 and "viewer, analyst, admin" in bad_role.output
    short = tmp_path / "short"
    short.write_text("abc")
    too_short = runner.invoke(app, ["users", "add", "bob", "--role", "viewer",
                                    "--password-file", str(short), "--db", db])
    assert too_short.exit_code == 2 and "at least 8" in too_short.output
    removed = runner.invoke(app, ["users", "remove", "ann", "--db", db])
    assert removed.exit_code == 0 and open_store(db).get_user("ann") is None
    again = runner.invoke(app, ["users", "remove", "ann", "--db", db])
    assert again.exit_code == 2 and "no user" in again.output


def test_serve_prints_first_admin_link_and_binds_localhost(tmp_path):
    port = free_port()
    db = f"sqlite:///{tmp_path / 's.db'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "allegiance.cli", "serve", "--port", str(port), "--db", db,
         "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"})
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line:
                break
        output = "".join(lines)
        link = re.search(r"http://localhost:\d+/login\?setup=\S+", output)
        assert link, output
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health") as reply:
                    assert reply.read() == b'{"status":"ok"}'
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer")
        with urllib.request.urlopen(link.group(0).replace("localhost", "127.0.0.1")) as page:
            assert "Create the first administrator" in page.read().decode()
        import psutil  # installed with dask.distributed

        bound = {c.laddr.ip for c in psutil.Process(process.pid).net_connections("tcp")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
        assert bound == {"127.0.0.1"}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_forecast_does_not_import_the_web_stack():
    code = ("import sys; import allegiance.cli as cli; cli.load_command('forecast'); "
            "print('fastapi' in sys.modules, 'uvicorn' in sys.modules, "
            "'allegiance.web' in sys.modules, 'allegiance.cli.web' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False", "False", "False"]
    serve = subprocess.run([sys.executable, "-c", code.replace("'forecast'", "'serve'")],
                           capture_output=True, text=True, check=True).stdout
    # the test can fail: looking serve up loads its command module, and the web layer only
    # when it runs
    assert serve.split() == ["False", "False", "False", "True"]
