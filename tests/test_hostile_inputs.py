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
