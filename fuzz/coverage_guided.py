"""Coverage-guided fuzzing of one target with atheris (libFuzzer's engine for Python):

    python -m fuzz.coverage_guided TARGET CORPUS_DIR [libFuzzer flags]

A crash (any exception but a located ScenarioInvalid) or a non-finite forecast stops the run and
leaves the input as an artifact for ``tests/data/hostile/``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["allegiance"]):
    from fuzz.targets import run_target

TARGET = sys.argv.pop(1)


class Finding(Exception):
    """An input the target must not produce: a crash or a NaN forecast."""


def test_one_input(data: bytes) -> None:
    outcome = run_target(TARGET, data)
    if outcome.verdict == "crash" or outcome.nan:
        raise Finding(outcome.detail or "NaN forecast")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
