"""The summary sentences at the top of a table output: one bullet each, wrapped to the console.

>>> import io
>>> from rich.console import Console
>>> console = Console(width=40, record=True, file=io.StringIO())
>>> print_summary(["The answer is 42."], console)
>>> console.export_text().strip()
'• The answer is 42.'
"""

from __future__ import annotations

from typing import Any

__all__ = ["print_summary", "summary_text"]


def summary_text(lines: list[str]):
    """A Rich renderable: each sentence as a bullet with a hanging indent."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for line in lines:
        grid.add_row("•", Text(line))
    return Group(Padding(grid, (0, 0, 1, 0)))


def print_summary(lines: list[str], console: Any) -> None:
    """Print ``lines`` (from :func:`allegiance.summary.summarize`) on ``console``; nothing when
    there are none. Each sentence is a Rich ``Text`` (its square brackets are not markup: names
    are data)."""
    if lines:
        console.print(summary_text(lines))
