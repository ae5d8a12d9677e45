"""Hostile input: every case that once crashed, hung or was misread (tests/data/hostile/, made by
its make_cases.py) does what it must now, and a short seeded fuzz run of every target finds no
crash and no NaN. The long campaign is ``make fuzz`` (docs/limits.md)."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fuzz.mutate import mutate, seed_files  # noqa: E402
from fuzz.targets import TARGETS, run_target  # noqa: E402

HOSTILE = REPO / "tests" / "data" / "hostile"
CASES = json.loads((HOSTILE / "cases.json").read_text())
#: a guard against hangs, not a timing: these inputs once took from 9 s to minutes
HANG_GUARD_SECONDS = 30


@pytest.fixture
def hang_guard():
    def expired(signum, frame):
        raise TimeoutError(f"no answer within {HANG_GUARD_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(HANG_GUARD_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("name", sorted(CASES))
def test_regression_case(name, hang_guard):
    case = CASES[name]
    outcome = run_target(case["format"], (HOSTILE / name).read_bytes())
    assert outcome.verdict == case["expect"], outcome.detail
    assert not outcome.nan
    if outcome.verdict == "rejected":
        # the error quotes at most a short excerpt of the offending value
        assert len(outcome.detail) < 400, outcome.detail[:400]


def test_every_target_has_seed_files():
    for target in TARGETS:
        assert seed_files(target), target


@pytest.mark.parametrize("target", TARGETS)
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_mutations_never_crash(target, seed, hang_guard):
    seeds = seed_files(target)
    rng = np.random.default_rng(seed)
    data = mutate(seeds[int(rng.integers(len(seeds)))], rng, target)
    outcome = run_target(target, data)
    assert outcome.verdict != "crash", outcome.detail
    assert not outcome.nan, "an accepted input gave a NaN forecast"


def test_case_files_are_current():
    """The committed cases are what make_cases.py writes (so the generator stays the source)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_cases", HOSTILE / "make_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(module.CASES) == sorted(CASES)
    for name, (fmt, expect, text) in module.CASES.items():
        assert (HOSTILE / name).read_text(encoding="utf-8") == text, name
        assert CASES[name] == {"format": fmt, "expect": expect}


def test_stance_limit_holds_for_every_reader(tmp_path):
    """``max-stances`` is checked in the scenario model, so every reader and API body meets it;
    a decide file's line limit counts stances."""
    from allegiance.io import decide, validate_file
    from allegiance.scenario import limits

    actors, dims = 41, limits.MAX_STANCES // 41 + 1  # one stance over the limit
    assert actors * dims > limits.MAX_STANCES
    ktab = tmp_path / "wide.csv"
    ktab.write_text(f"Wide,Generated,{actors},{dims}\nActor,Description,Power,"
                    + ",".join(f"D{d} Position,D{d} Salience" for d in range(dims)) + "\n"
                    + "".join(f"A{a},Actor {a},1," + ",".join(["50,0.5"] * dims) + "\n"
                              for a in range(actors)))
    yaml = tmp_path / "wide.yaml"
    cells = ", ".join(f"i{j}: {{position: 1, salience: 1}}" for j in range(dims))
    yaml.write_text("id: w\ntitle: W\nissues:\n"
                    + "".join(f"- {{id: i{j}, name: I, scale: [0, 1]}}\n" for j in range(dims))
                    + "actors:\n" + "".join(f"- {{id: a{a}, name: A, capability: 1, "
                                            f"issues: {{{cells}}}}}\n" for a in range(actors)))
    for path in (ktab, yaml):
        problems = validate_file(path)
        assert [p.message for p in problems if p.severity == "error"] == [
            f"the actors have {actors * dims:,} stances (an actor's entry on one issue) in all: "
            f"write at most {limits.MAX_STANCES:,}, or split the scenario (limit max-stances)"]

    long_decide = tmp_path / "long.txt"
    long_decide.write_text("#A\ta\tA\n" * (decide.MAX_LINES + 1))
    (problem,) = validate_file(long_decide)
    assert "limits max-actors, max-issues, max-stances" in problem.message
    assert decide.MAX_LINES >= limits.MAX_ACTORS + limits.MAX_STANCES
