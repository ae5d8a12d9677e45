"""Styled console text without markup, for every renderer.

Allegiance's consoles read no Rich markup: every string is printed exactly as written, so names
and other data with square brackets (``[/x]``, ``[range]``) are never taken for styling. Style comes
only from explicit ``(text, style)`` parts.
"""

from __future__ import annotations

from typing import Any


def styled(*parts: str | tuple[str, str]) -> Any:
    """A Rich ``Text`` made of plain strings and ``(text, style)`` pairs.

    >>> styled(("error:", "bold red"), " [/x] is data").plain
    'error: [/x] is data'
    """
    from rich.text import Text

    return Text.assemble(*parts)
