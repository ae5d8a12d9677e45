"""The long fuzzing campaign (``make fuzz``): seeded mutations of every seed file through every
target, in worker processes, with a table of inputs tried, rejected, accepted, crashes, slow
inputs and NaNs per target. Crashing and slow inputs are written to ``out/fuzz/`` to become
regression cases in ``tests/data/hostile/``. While it runs, ``out/fuzz/progress.md`` holds the
table so far (rewritten after every chunk of inputs), and a line of progress is printed every
:data:`REPORT_EVERY` inputs, so that a run stopped early still leaves its figures.

    python -m fuzz.campaign --inputs 1000000 --seed 1 [--workers 2] [--atheris SECONDS]

The same seed replays the same inputs. ``--atheris`` then runs coverage-guided fuzzing (atheris,
the ``fuzz`` extra) on each target for that many seconds, starting from the same seed files.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import multiprocessing
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

OUT = Path("out") / "fuzz"
#: the render path draws tables of every accepted input (some 50 ms each): a share of the inputs
RENDER_SHARE = 0.02
HANG_SECONDS = 20
REPORT_EVERY = 50_000


class _Hang(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only on a hang
    raise _Hang()


def _chunk(args: tuple[str, int, int]) -> tuple[str, Counter, list[tuple[str, bytes, str]]]:
    """Run ``count`` inputs of ``target`` from ``seed``; counts and the findings' inputs."""
    from fuzz.mutate import mutate, seed_files
    from fuzz.targets import Outcome, run_target

    target, seed, count = args
    seeds = seed_files(target)
    rng = np.random.default_rng(seed)
    counts: Counter = Counter()
    findings: list[tuple[str, bytes, str]] = []
    signal.signal(signal.SIGALRM, _alarm)
    run_target(target, seeds[0])  # warm-up, not counted: the first input loads the models
    for _ in range(count):
        data = mutate(seeds[int(rng.integers(len(seeds)))], rng, target)
        signal.alarm(HANG_SECONDS)
        try:
            outcome = run_target(target, data)
        except _Hang:
            outcome = Outcome(target, "crash", HANG_SECONDS, detail="hang")
        finally:
            signal.alarm(0)
        counts["inputs"] += 1
        counts[outcome.verdict] += 1
        counts["slow"] += outcome.slow
        counts["nan"] += outcome.nan
        if outcome.verdict == "crash" or outcome.slow or outcome.nan:
            kind = "crash" if outcome.verdict == "crash" else "slow" if outcome.slow else "nan"
            findings.append((kind, data, outcome.detail or f"{outcome.seconds:.2f} s"))
    return target, counts, findings[:20]


def campaign(inputs: int, seed: int, workers: int, chunk: int = 1_000) -> dict[str, Counter]:
    from rich.progress import Progress

    from fuzz.targets import TARGETS

    shares = {t: RENDER_SHARE if t == "render" else (1 - RENDER_SHARE) / (len(TARGETS) - 1)
              for t in TARGETS}
    jobs = []
    for t, target in enumerate(TARGETS):
        count = math.ceil(inputs * shares[target])
        for c, start in enumerate(range(0, count, chunk)):
            jobs.append((target, seed * 1_000_003 + t * 10_007 + c, min(chunk, count - start)))
    inputs = sum(job[2] for job in jobs)  # each target's share rounded up
    totals: dict[str, Counter] = {t: Counter() for t in TARGETS}
    OUT.mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    start, done, reported = time.perf_counter(), 0, 0
    with context.Pool(workers) as pool, Progress() as progress:
        bar = progress.add_task("fuzzing", total=sum(job[2] for job in jobs))
        for target, counts, findings in pool.imap_unordered(_chunk, jobs):
            totals[target].update(counts)
            progress.advance(bar, counts["inputs"])
            for kind, data, detail in findings:
                name = f"{target}-{kind}-{hashlib.sha256(data).hexdigest()[:12]}"
                (OUT / f"{name}.bin").write_bytes(data)
                (OUT / f"{name}.txt").write_text(detail)
            done += counts["inputs"]
            seconds = time.perf_counter() - start
            (OUT / "progress.md").write_text(table(totals, seed, seconds, inputs) + "\n")
            if done - reported >= REPORT_EVERY:
                reported = done
                grand = sum(totals.values(), Counter())
                progress.console.print(
                    f"{done:,} of {inputs:,} inputs, {seconds:.0f} s: {grand['crash']} crash, "
                    f"{grand['slow']} slow, {grand['nan']} NaN")
    return totals


def table(totals: dict[str, Counter], seed: int, seconds: float, inputs: int) -> str:
    """The campaign's table as Markdown, under a line naming its seed, time and size."""
    columns = ("inputs", "rejected", "accepted", "crash", "slow", "nan")
    grand = sum(totals.values(), Counter())
    lines = [f"fuzz campaign, seed {seed}, {seconds:.0f} s, {grand['inputs']:,} of {inputs:,} "
             "inputs; slow = over 2 s of CPU time per input",
             "| target | " + " | ".join(columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    for target, counts in totals.items():
        lines.append(f"| {target} | " + " | ".join(f"{counts[c]:,}" for c in columns) + " |")
    lines.append("| all | " + " | ".join(f"{grand[c]:,}" for c in columns) + " |")
    return "\n".join(lines)


def atheris_run(seconds: int) -> None:  # pragma: no cover - the fuzz extra
    """Coverage-guided fuzzing of each target for ``seconds`` (in a child process each)."""
    import subprocess

    from fuzz.targets import TARGETS

    for target in TARGETS:
        corpus = OUT / "corpus" / target
        corpus.mkdir(parents=True, exist_ok=True)
        from fuzz.mutate import seed_files

        for k, data in enumerate(seed_files(target)):
            (corpus / f"seed-{k}").write_bytes(data)
        print(f"atheris: {target} for {seconds} s", flush=True)
        subprocess.run([sys.executable, "-m", "fuzz.coverage_guided", target, str(corpus),
                        f"-max_total_time={seconds}", "-rss_limit_mb=4096",
                        f"-artifact_prefix={OUT}/{target}-atheris-"], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--atheris", type=int, default=0, metavar="SECONDS")
    args = parser.parse_args()
    start = time.perf_counter()
    totals = campaign(args.inputs, args.seed, args.workers)
    tried = sum(counts["inputs"] for counts in totals.values())
    print(table(totals, args.seed, time.perf_counter() - start, tried))
    if args.atheris:
        atheris_run(args.atheris)
    grand = sum(totals.values(), Counter())
    sys.exit(1 if grand["crash"] or grand["slow"] or grand["nan"] else 0)


if __name__ == "__main__":
    main()
