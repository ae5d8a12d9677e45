"""Located, collected errors for everything Allegiance reads.

Readers never let a traceback reach the user: each problem names the file, the line and column
where it can be seen, the field, and what is wrong, and all problems of a file come together.
"""

from __future__ import annotations

from allegiance.scenario.model import Problem, ScenarioInvalid

__all__ = ["Problem", "ScenarioInvalid", "ReadError", "problem"]


class ReadError(ScenarioInvalid):
    """A file could not be read as a scenario (every problem found is in ``problems``)."""


def problem(
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    path: tuple = (),
    severity: str = "error",
) -> Problem:
    return Problem(path=path, message=message, file=file, line=line, column=column,
                   severity=severity)  # type: ignore[arg-type]
