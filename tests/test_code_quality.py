"""The code stays lint-clean and every docstring example runs."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import subprocess
import sys

import pytest
from conftest import REPO

import allegiance


def all_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(allegiance.__path__, prefix="allegiance.")
    )


@pytest.mark.parametrize("name", all_modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failures, _ = doctest.testmod(module, optionflags=flags)
    assert failures == 0, f"{failures} docstring example(s) failed in {name}"


def test_ruff_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "bench"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
