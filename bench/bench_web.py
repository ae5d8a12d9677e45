"""Load test of the web app on 127.0.0.1: 100 concurrent clients reading results and 20 clients
submitting forecasts, against a real ``allegiance serve`` process (its own store in a temporary
folder, 2 worker processes). Bounded: every client makes a fixed number of requests, and the
whole test stops after ``--timeout`` seconds. Prints request counts, errors and latency
percentiles per kind of request, and the machine's ``uptime`` (its load average) before and
after, since the figures mean little without how busy the machine was; exits 1 on any error.

Usage: .venv/bin/python bench/bench_web.py [--readers 100] [--submitters 20] [--reads 30]
       [--forecasts 3] [--timeout 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from webapp import free_port  # noqa: E402

from allegiance.store import open_store  # noqa: E402
from allegiance.web.auth import hash_password, hash_token  # noqa: E402

MODELS = ("bdm", "mean", "median", "nash")


def setup(folder: Path, submitters: int) -> str:
    url = f"sqlite:///{folder / 'bench.db'}"
    store = open_store(url)
    store.add_user("reader", "viewer", hash_password("reader password"))
    store.add_token("reader", hash_token("token-reader"))
    for i in range(submitters):
        store.add_user(f"analyst{i}", "analyst", hash_password("analyst password"))
        store.add_token(f"analyst{i}", hash_token(f"token-analyst{i}"))
    store.close()
    return url


async def reader(client: httpx.AsyncClient, reads: int, ids: list[int], out: dict) -> None:
    headers = {"Authorization": "Bearer token-reader"}
    for n in range(reads):
        path = f"/api/runs/{ids[n % len(ids)]}" if n % 3 else "/api/runs?limit=20"
        start = time.perf_counter()
        try:
            response = await client.get(path, headers=headers)
            ok = response.status_code == 200
            if not ok:
                out.setdefault("why", []).append(f"{path}: {response.status_code} "
                                                 f"{response.text[:200]}")
        except httpx.HTTPError as exc:
            ok = False
            out.setdefault("why", []).append(f"{path}: {type(exc).__name__} {exc}")
        out.setdefault("read", []).append((time.perf_counter() - start, ok))


async def submitter(client: httpx.AsyncClient, i: int, forecasts: int, out: dict) -> None:
    headers = {"Authorization": f"Bearer token-analyst{i}"}
    for n in range(forecasts):
        body = {"scenario": "syria-2014", "model": MODELS[(i + n) % len(MODELS)],
                "kind": "forecast", "seed": i * 100 + n}
        start = time.perf_counter()
        try:
            response = await client.post("/api/runs", json=body, headers=headers)
            ok = response.status_code == 201
        except httpx.HTTPError:
            ok = False
        out.setdefault("submit", []).append((time.perf_counter() - start, ok))
        if not ok:
            continue
        run_id, submitted = response.json()["id"], start
        while True:  # poll until the run is done, as the pages do
            await asyncio.sleep(0.5)
            start = time.perf_counter()
            try:
                reply = await client.get(f"/api/runs/{run_id}", headers=headers)
                ok = reply.status_code == 200
            except httpx.HTTPError:
                ok = False
            out.setdefault("poll", []).append((time.perf_counter() - start, ok))
            if not ok or reply.json()["status"] not in ("queued", "running"):
                done = ok and reply.json()["status"] == "done"
                out.setdefault("result", []).append((time.perf_counter() - submitted, done))
                break


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def load(base: str, args: argparse.Namespace) -> dict:
    # idle connections are dropped after 2 s, before the server's 5 s keep-alive ends: a client
    # that reuses a connection just as the server closes it sees a ReadError that is no error of
    # the server's (browsers retry such a request; httpx does not)
    limits = httpx.Limits(max_connections=args.readers + args.submitters + 10,
                          keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        seeded = []
        for i, model in enumerate(MODELS):  # results for the readers to read
            headers = {"Authorization": f"Bearer token-analyst{i}"}
            reply = await client.post("/api/runs", headers=headers, json={
                "scenario": "syria-2014", "model": model, "seed": 1})
            seeded.append(reply.json()["id"])
        while True:
            states = [(await client.get(f"/api/runs/{i}", headers=headers)).json()["status"]
                      for i in seeded]
            if all(s == "done" for s in states):
                break
            await asyncio.sleep(0.5)
        out: dict = {}
        for n in range(50):  # one client alone first: the cost of a request without queueing
            start = time.perf_counter()
            reply = await client.get(f"/api/runs/{seeded[n % len(seeded)]}",
                                     headers={"Authorization": "Bearer token-reader"})
            out.setdefault("alone", []).append((time.perf_counter() - start,
                                                reply.status_code == 200))
        started = time.perf_counter()
        tasks = [reader(client, args.reads, seeded, out) for _ in range(args.readers)]
        tasks += [submitter(client, i, args.forecasts, out) for i in range(args.submitters)]
        await asyncio.wait_for(asyncio.gather(*tasks), args.timeout)
        out["wall"] = time.perf_counter() - started
    return out


def uptime() -> str:
    """The ``uptime`` line (load averages over 1, 5 and 15 minutes)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10,
                              check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=100)
    parser.add_argument("--submitters", type=int, default=20)
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--forecasts", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    before = uptime()
    folder = Path(tempfile.mkdtemp(prefix="allegiance-bench-web-"))
    url = setup(folder, args.submitters)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "allegiance.cli", "serve", "--port", str(port), "--db", url,
         "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "ALLEGIANCE_LOG_LEVEL": "error", "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        out = asyncio.run(load(base, args))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"web load test: {args.readers} readers x {args.reads} reads, {args.submitters} "
          f"submitters x {args.forecasts} forecasts (models {', '.join(MODELS)}), "
          f"server with 2 worker processes, SQLite; {out['wall']:.1f} s wall, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'request':<34}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    labels = {"alone": "GET /api/runs/{id}, one client", "read": "GET result or list (readers)",
              "submit": "POST /api/runs",
              "poll": "GET /api/runs/{id} (submitters)", "result": "submit → result done"}
    errors = 0
    for key in ("alone", "read", "submit", "poll", "result"):
        rows = out.get(key, [])
        times = [t * 1000 for t, _ in rows]
        bad = sum(1 for _, ok in rows if not ok)
        errors += bad
        if rows:
            print(f"{labels[key]:<34}{len(rows):>7}{bad:>8}{percentile(times, 0.5):>9.1f}"
                  f"{percentile(times, 0.95):>9.1f}{max(times):>9.1f}")
    print(f"errors: {errors}")
    print(f"uptime before: {before}")
    print(f"uptime after:  {uptime()}")
    for line in out.get("why", [])[:5]:
        print("  " + line)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
