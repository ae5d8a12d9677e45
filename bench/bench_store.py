"""Benchmark of the results store (SQLite, the default): what ``--save`` adds to a forecast,
``runs list`` over 10,000 stored runs, and listing/filtering 100,000 runs.

Usage: .venv/bin/python bench/bench_store.py

Prints one table: each figure, its target and the measured value (whole processes: best and
median of 7 after one unmeasured run), then the machine check of bench/machine.py.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import best_of, report  # noqa: E402

from allegiance.store import open_store  # noqa: E402
from allegiance.store.engine import make_engine  # noqa: E402
from allegiance.store.records import encode_result, utcnow  # noqa: E402
from allegiance.store.tables import RunRow  # noqa: E402

CLI = [sys.executable, "-m", "allegiance.cli"]
REPEAT = 7


def _timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def process(command: list[str]) -> tuple[float, float]:
    """Best and median wall seconds of ``command`` (after one unmeasured run)."""
    subprocess.run(command, check=True, capture_output=True)
    times = sorted(_timed(command)[0] for _ in range(REPEAT))
    return times[0], times[len(times) // 2]


def paired(first: list[str], second: list[str], repeat: int = 15) -> dict[str, float]:
    """Medians of ``second`` minus ``first`` (wall and CPU seconds), the two run alternately so
    that the machine's load changes hit both alike."""
    subprocess.run(first, check=True, capture_output=True)
    subprocess.run(second, check=True, capture_output=True)
    walls, cpus = [], []
    for _ in range(repeat):
        a, b = _timed(first), _timed(second)
        walls.append(b[0] - a[0])
        cpus.append(b[1] - a[1])
    walls.sort()
    cpus.sort()
    return {"wall": walls[repeat // 2], "cpu": cpus[repeat // 2]}


def fill(url: str, n: int) -> None:
    """``n`` finished forecast runs (a small result each) over two scenarios and three kinds,
    inserted in one transaction."""
    store = open_store(url)
    versions = [store.save_scenario((ROOT / "src/allegiance/data/scenarios" / f"{name}.yaml")
                                    .read_text(encoding="utf-8"))
                for name in ("syria-2014", "eu-emissions-1994")]
    data, encoding, digest = encode_result({"outcome": {"x": 50.0}, "seed": 1})
    now = utcnow()
    kinds = ("forecast", "montecarlo", "timeline")
    rows = [dict(kind=kinds[i % 3], scenario_hash=versions[i % 2].content_hash,
                 scenario_id=versions[i % 2].scenario_id, model="bdm", params={},
                 options={}, parameters={"rounds": 10}, seed=str(i), as_of=None, variant=None,
                 allegiance_version="bench", status="failed" if i % 97 == 0 else "done",
                 created_at=now, started_at=now, finished_at=now, result=data,
                 result_encoding=encoding, result_sha256=digest, progress=1.0)
            for i in range(n)]
    store.close()
    engine = make_engine(url)
    with engine.begin() as connection:
        for start in range(0, n, 10_000):
            connection.execute(RunRow.__table__.insert(), rows[start:start + 10_000])
    engine.dispose()


def in_process(fn, repeat: int = 5) -> float:
    """Best wall seconds of ``repeat`` calls of ``fn`` in this process."""
    return best_of(repeat, fn)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="allegiance-bench-store-"))
    env_url = f"sqlite:///{folder / 'save.db'}"
    os.environ.pop("ALLEGIANCE_DATABASE_URL", None)
    rows: list[tuple[str, str, str]] = []

    forecast = [*CLI, "forecast", "eu-emissions-1994", "-m", "bdm", "-f", "json"]
    open_store(env_url).close()  # created once; each saving process then only writes
    plain = process(forecast)
    rows.append(("`forecast -m bdm` (EU example), whole process, no --save", "—",
                 f"best {plain[0]:.3f} s, median {plain[1]:.3f} s"))
    added = paired(forecast, [*forecast, "--save", "--db", env_url])
    rows.append(("what --save adds to that process (SQLite file; median of 15 alternating "
                 "pairs)", "≤ 20 ms", f"wall {1000 * added['wall']:+.0f} ms, CPU "
                 f"{1000 * added['cpu']:+.0f} ms"))

    from allegiance.service import compute_forecast

    store = open_store(env_url)
    text = (ROOT / "src/allegiance/data/scenarios/eu-emissions-1994.yaml").read_text("utf-8")
    document = compute_forecast("eu-emissions-1994", model="bdm").document()

    def save_once() -> None:
        version = store.save_scenario(text, source_name="eu-emissions-1994.yaml")
        run_id = store.create_run("forecast", scenario_hash=version.content_hash, model="bdm",
                                  params={}, seed=None, as_of=None, variant=None)
        store.finish_run(run_id, document)

    rows.append(("  of which the store's work (version found again, create, finish), in process",
                 "—", f"{1000 * in_process(save_once):.1f} ms"))
    store.close()
    importing = paired([sys.executable, "-c", "import allegiance.io"],
                       [sys.executable, "-c", "import allegiance.io, allegiance.store.store"])
    rows.append(("  of which importing the store (sqlite3; no SQLAlchemy)", "—",
                 f"wall {1000 * importing['wall']:+.0f} ms, CPU {1000 * importing['cpu']:+.0f} "
                 "ms"))

    url10 = f"sqlite:///{folder / 'runs10k.db'}"
    fill(url10, 10_000)
    listing = process([*CLI, "runs", "list", "--db", url10])
    rows.append(("`runs list` (newest 100, table) over 10,000 runs, whole process", "≤ 0.3 s",
                 f"best {listing[0]:.3f} s, median {listing[1]:.3f} s"))
    versus = paired([*CLI, "forecast", "eu-emissions-1994", "-m", "mean", "-f", "json"],
                    [*CLI, "runs", "list", "--db", url10])
    rows.append(("  `runs list` minus the trivial forecast process (median of 15 pairs)", "—",
                 f"wall {1000 * versus['wall']:+.0f} ms, CPU {1000 * versus['cpu']:+.0f} ms"))
    listing_json = process([*CLI, "runs", "list", "--db", url10, "-f", "json"])
    rows.append(("`runs list -f json` over 10,000 runs, whole process", "≤ 0.3 s",
                 f"best {listing_json[0]:.3f} s, median {listing_json[1]:.3f} s"))

    url100 = f"sqlite:///{folder / 'runs100k.db'}"
    fill(url100, 100_000)
    filtered = process([*CLI, "runs", "list", "--db", url100, "--scenario",
                        "eu-emissions-1994", "--kind", "timeline", "--status", "failed"])
    rows.append(("`runs list --scenario --kind --status` over 100,000 runs, whole process",
                 "≤ 1 s", f"best {filtered[0]:.3f} s, median {filtered[1]:.3f} s"))
    store = open_store(url100)
    checks = {
        "newest 100": lambda: store.list_runs(limit=100),
        "page 500 (offset 50,000)": lambda: store.list_runs(limit=100, offset=50_000),
        "one scenario": lambda: store.list_runs(scenario="syria-2014"),
        "one kind and status": lambda: store.list_runs(kind="timeline", status="failed"),
        "count of one scenario's runs": lambda: store.count_runs(scenario="syria-2014"),
    }
    for name, fn in checks.items():
        rows.append((f"100,000 runs in process: {name}", "≤ 1 s", f"{in_process(fn):.4f} s"))
    rows.append(("100,000 runs in process: all 100,000 as records", "—",
                 f"{in_process(lambda: store.list_runs(limit=100_000), 1):.2f} s"))
    store.close()

    width = max(len(r[0]) for r in rows)
    print(f"| {'figure':<{width}} | target | measured |")
    print(f"| {'-' * width} | --- | --- |")
    for name, target, measured in rows:
        print(f"| {name:<{width}} | {target} | {measured} |")
    print()
    print(report([*CLI, "forecast", "eu-emissions-1994", "-m", "mean", "-f", "json"]))


if __name__ == "__main__":
    main()
