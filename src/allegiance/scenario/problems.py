"""What is wrong with a scenario: located problems and the exception that carries them.

A :class:`Problem` names the path of the offending field; the file readers fill in its file, line
and column. :class:`ScenarioInvalid` carries every problem found at once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Path = tuple[str | int, ...]


class Problem(BaseModel):
    """One thing wrong (or worth a warning) in a scenario, located by its path."""

    path: Path
    message: str
    severity: Literal["error", "warning"] = "error"
    # filled in by the file readers
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def location(self) -> str:
        where = self.file or "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def field(self) -> str:
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text or "(top level)"

    def shown_field(self) -> str:
        """The field to show beside the message: none ("") for a problem a reader located by
        line and column rather than by field."""
        return "" if not self.path and self.line is not None else self.field()

    def described(self) -> str:
        """``field: message``, or the message alone when no field is shown."""
        shown = self.shown_field()
        return f"{shown}: {self.message}" if shown else self.message

    def __str__(self) -> str:
        return f"{self.location()}: {self.severity}: {self.described()}"


class ScenarioInvalid(Exception):
    """Every problem found in a scenario (not a ValueError, so pydantic lets it through)."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = problems
        self.source = source
        errors = [p for p in problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in {source or 'scenario'}"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in errors))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]
