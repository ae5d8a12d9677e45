"""The CI rule of tests/conftest.py: with CI set, a skipped test fails the run unless allowed."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text()

SKIPPING = """
import pytest

def test_runs():
    assert True

def test_skips():
    pytest.skip("data absent")

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_failure():
    assert False
"""


def test_a_skip_fails_a_ci_run(pytester, monkeypatch):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sample=SKIPPING)
    monkeypatch.delenv("CI", raising=False)
    outside = pytester.runpytest_subprocess()
    outside.assert_outcomes(passed=1, skipped=1, xfailed=1)
    assert outside.ret == 0
    monkeypatch.setenv("CI", "true")
    inside = pytester.runpytest_subprocess()
    inside.assert_outcomes(passed=1, skipped=1, xfailed=1)
    assert inside.ret == 1
    inside.stdout.fnmatch_lines(["*skipped in CI*", "*test_sample.py::test_skips: *data absent*"])


def test_an_allowed_skip_passes_a_ci_run(pytester, monkeypatch):
    allowed = CONFTEST.replace(
        "CI_ALLOWED_SKIPS: dict[str, str] = {}",
        'CI_ALLOWED_SKIPS: dict[str, str] = {"test_sample.py::test_skips": "a test of the rule"}')
    assert allowed != CONFTEST
    pytester.makeconftest(allowed)
    pytester.makepyfile(test_sample=SKIPPING)
    monkeypatch.setenv("CI", "1")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, skipped=1, xfailed=1)
    assert result.ret == 0
