"""A throwaway PostgreSQL server for the store tests: ``initdb`` and ``pg_ctl`` from the Debian
package (``/usr/lib/postgresql/*/bin``), a cluster in a temporary folder, listening on a free
loopback port with trust authentication. PostgreSQL refuses to run as root, so under root the
server runs as the unprivileged user ``nobody``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

SUPERUSER = "allegiance"


def binaries() -> Path:
    """The newest installed PostgreSQL's bin folder; a clear error when there is none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not found:
        raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); "
                           "install the Debian package postgresql, as .ci/run does")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_user() -> dict:
    """subprocess arguments running the server as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return {}
    user = pwd.getpwnam("nobody")
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a cluster; yields the URL of its ``postgres`` database; stops and removes it."""
    bin_dir = binaries()
    folder = Path(tempfile.mkdtemp(prefix="allegiance-pg-"))
    data = folder / "data"
    run_as = _as_user()
    if run_as:
        os.chown(folder, run_as["user"], run_as["group"])
    os.chmod(folder, 0o700)
    env = {**os.environ, "LC_ALL": "C", "HOME": str(folder)}
    port = _free_port()
    try:
        subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER,
                        "--auth=trust", "-E", "UTF8", "--no-sync"], check=True, env=env,
                       cwd=folder, capture_output=True, **run_as)
        options = (f"-c listen_addresses=127.0.0.1 -c port={port} "
                   f"-c unix_socket_directories={folder} -c fsync=off "
                   "-c max_connections=60")
        subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"),
                        "-o", options, "-w", "-t", "120", "start"], check=True, env=env,
                       cwd=folder, capture_output=True, **run_as)
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
    except subprocess.CalledProcessError as exc:
        log = folder / "log"
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr.decode(errors='replace')}"
                           + (log.read_text(errors="replace") if log.exists() else "")) from None
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                            "-w", "stop"], env=env, cwd=folder, capture_output=True, **run_as)
        time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server; its URL."""
    import psycopg

    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
