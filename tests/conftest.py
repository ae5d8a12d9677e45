"""Shared test fixtures (paths to the reference data) and the CI rule that no test may skip.

The permissively licensed references (KTAB's inputs and logs, the BDM example) are copied into
``tests/data/reference`` (origin and licence: its README), so the tests on them cannot skip.
The GPL inputs of decide and the DEU development split stay beside the repository in
``../shared/reference``; tests on them skip when it is absent — except in CI, where it is
present and where a skipped test fails the run (below).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"
#: the copies shipped with the tests (tests/data/reference/README.md)
SHIPPED_REFERENCE = REPO / "tests" / "data" / "reference"

#: Tests allowed to skip in CI: node-id prefix -> why the skip is expected there. Keep it short;
#: every entry needs a reason a reviewer accepts. A skip not listed here fails a CI run.
CI_ALLOWED_SKIPS: dict[str, str] = {}


@pytest.fixture
def reference() -> Path:
    """``../shared/reference`` (the decide inputs and the DEU split; absent: skip)."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE} (it sits beside the repository)")
    return REFERENCE


@pytest.fixture(autouse=True)
def _own_results_store(tmp_path, monkeypatch):
    """No test touches the user's own results store: ``ALLEGIANCE_DATABASE_URL`` names an
    SQLite file in the test's folder (created only if a command stores a run; tests that pass
    ``--db`` use theirs)."""
    monkeypatch.setenv("ALLEGIANCE_DATABASE_URL", f"sqlite:///{tmp_path / 'results.db'}")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


_UNEXPECTED_SKIPS: list[tuple[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not (report.skipped and _in_ci()) or hasattr(report, "wasxfail"):
        return
    if any(report.nodeid.startswith(prefix) for prefix in CI_ALLOWED_SKIPS):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    _UNEXPECTED_SKIPS.append((report.nodeid, reason))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _UNEXPECTED_SKIPS:
        terminalreporter.section("skipped in CI (not on CI_ALLOWED_SKIPS in tests/conftest.py)",
                                 red=True)
        for nodeid, reason in _UNEXPECTED_SKIPS:
            terminalreporter.line(f"{nodeid}: {reason}", red=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _UNEXPECTED_SKIPS and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
