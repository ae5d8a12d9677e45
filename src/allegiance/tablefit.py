"""Rich tables fitted to a terminal's width without breaking a word.

:func:`fit_tables` takes what a command prints (a table, a group of renderables, anything else)
and returns what to print instead, so that at the given width every header and every cell wraps
between words, never inside one:

1. each column gets at least its longest word (header and cells) and a no-wrap column its whole
   text; what is left is shared out towards each column's natural width, the narrow columns
   served first. The widths are set on the columns, so Rich lays them out exactly so;
2. a table whose longest words do not fit in boxes loses its borders (a rule under the header,
   one space between columns);
3. a table whose longest words do not fit even then is split into several tables of fewer
   columns, each repeating the leading columns that identify a row (the first one, or the first
   two when the first alone repeats), the title on the first part and the caption on the last.

A single word wider than the whole width is the one thing folded (a long identifier at a very
narrow width). Rich is imported on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["fit_table", "fit_tables"]

#: the columns repeated in every part of a split table identify a row; at most this many
MAX_KEYS = 2


def _text(cell: Any) -> str | None:
    """The plain text of a cell (a string or Rich Text), None for other renderables."""
    from rich.text import Text

    if isinstance(cell, str):
        return cell
    if isinstance(cell, Text):
        return cell.plain
    return None


def _plain(value: Any) -> str:
    text = _text(value)
    return "" if text is None else text


class _Column:
    """What the layout needs to know of one column."""

    def __init__(self, column: Any) -> None:
        from rich.cells import cell_len

        self.column = column
        texts = [_plain(column.header)]
        self.opaque = False
        for cell in column.cells:
            text = _text(cell)
            if text is None:
                self.opaque = True
                text = ""
            texts.append(text)
        words = [cell_len(w) for text in texts for w in text.split()]
        lines = [cell_len(line) for text in texts for line in text.splitlines() or [""]]
        self.natural = max(lines, default=0)
        self.header = max((cell_len(line) for line in texts[0].splitlines()), default=0)
        self.word = max(words, default=0)
        if column.no_wrap:
            self.word = self.natural
        self.word = max(self.word, column.min_width or 0)
        if column.max_width:
            self.natural = min(self.natural, max(column.max_width, self.word))
        self.natural = max(self.natural, self.word)
        self.header = min(self.header, self.natural)


def _frame(table: Any, n: int) -> int:
    """Columns of ``table`` taken by borders and padding around ``n`` columns (as Rich counts
    them)."""
    _top, right, _bottom, left = table.padding
    borders = 0 if table.box is None else (n - 1) + (2 if table.show_edge else 0)
    edge = 0 if table.pad_edge else -(left + right)
    return n * (left + right) + borders + edge


def _compact(table: Any) -> None:
    from rich import box

    table.box, table.show_edge = box.SIMPLE_HEAD, False
    table.padding, table.pad_edge = (0, 1, 0, 0), True


def _allocate(columns: list[_Column], room: int) -> list[int]:
    """Widths: every column its longest word; then, cheapest first, its header on one line;
    then the spare shared towards natural widths (water-filling: the columns needing least are
    served whole first)."""
    widths = [c.word for c in columns]
    spare = room - sum(widths)
    for i in sorted(range(len(columns)), key=lambda i: columns[i].header - widths[i]):
        extra = max(columns[i].header - widths[i], 0)
        if extra <= spare:
            widths[i] += extra
            spare -= extra
    waiting = sorted(range(len(columns)), key=lambda i: columns[i].natural - widths[i])
    while waiting and spare > 0:
        share = -(-spare // len(waiting))  # rounded up: the narrow columns first
        i = waiting.pop(0)
        extra = min(columns[i].natural - widths[i], share)
        widths[i] += extra
        spare -= extra
    return widths


def _set_widths(table: Any, columns: list[_Column], width: int) -> None:
    room = width - _frame(table, len(columns))
    needed = sum(c.word for c in columns)
    if needed > room:  # one word wider than everything: fold it, the only way left
        for c in columns:
            c.column.overflow = "fold"
        return
    widths = _allocate(columns, room)
    # a title or caption wraps inside the table's width: room for its longest word too
    from rich.cells import cell_len

    annotation = max((cell_len(w) for a in (table.title, table.caption) if a
                      for w in _plain(a).split()), default=0)
    short = min(annotation, width) - (sum(widths) + _frame(table, len(columns)))
    if short > 0:
        widths[-1] += short
    for c, w in zip(columns, widths, strict=True):
        c.column.width = w
        c.column.min_width = None
        c.column.max_width = None
        c.column.overflow = "fold"  # never reached: every word fits its column


def _keys(table: Any) -> int:
    """How many leading columns identify a row (1 or :data:`MAX_KEYS`)."""
    rows = list(zip(*(list(map(_plain, c.cells)) for c in table.columns), strict=False))
    for n in range(1, MAX_KEYS + 1):
        if len({row[:n] for row in rows}) == len(rows):
            return n
    return 1


def _part(table: Any, indices: list[int], title: Any, caption: Any) -> Any:
    """A table of ``table``'s columns at ``indices`` (same look), with ``title`` and
    ``caption``."""
    import copy

    from rich.table import Table

    part = Table(title=title, caption=caption, box=table.box, show_edge=table.show_edge,
                 padding=table.padding, pad_edge=table.pad_edge,
                 show_header=table.show_header, show_lines=table.show_lines,
                 header_style=table.header_style, title_justify=table.title_justify,
                 caption_justify=table.caption_justify, title_style=table.title_style,
                 caption_style=table.caption_style, row_styles=table.row_styles,
                 leading=table.leading, style=table.style, border_style=table.border_style)
    part.columns = [copy.copy(table.columns[i]) for i in indices]
    for column in part.columns:
        column._cells = list(column._cells)
    part.rows = list(table.rows)
    return part


def _split(table: Any, columns: list[_Column], width: int) -> list[Any]:
    keys = list(range(_keys(table)))
    key_width = sum(columns[i].word for i in keys)
    groups: list[list[int]] = []
    for i in range(len(keys), len(columns)):
        current = groups[-1] if groups else None
        if current is not None:
            trial = keys + current + [i]
            if sum(columns[j].word for j in trial) <= width - _frame(table, len(trial)):
                current.append(i)
                continue
        groups.append([i])
    if not groups or key_width > width // 2:  # nothing to repeat usefully
        keys = []
    title = table.title
    parts = []
    for n, group in enumerate(groups):
        head = title if n == 0 else (f"{_plain(title)} (continued)" if title else None)
        parts.append(_part(table, keys + group, head,
                           table.caption if n == len(groups) - 1 else None))
    for part in parts:
        fit_table(part, width, split=False)
    return parts


def fit_table(table: Any, width: int, split: bool = True) -> list[Any]:
    """``table`` laid out for ``width`` columns (see the module notes): the table itself with
    its column widths set, or the parts it was split into."""
    columns = [_Column(c) for c in table.columns]
    if not columns or any(c.opaque for c in columns):
        return [table]
    needed = sum(c.word for c in columns)
    if needed > width - _frame(table, len(columns)) and table.box is not None \
            and table.show_edge:
        _compact(table)
    if split and needed > width - _frame(table, len(columns)) and len(columns) > 1:
        return _split(table, columns, width)
    _set_widths(table, columns, width)
    return [table]


def fit_tables(renderable: Any, width: int) -> list[Any]:
    """What to print instead of ``renderable`` at ``width`` columns: tables fitted (tables in
    groups too), anything else unchanged."""
    from rich.console import Group
    from rich.table import Table

    if isinstance(renderable, Group):
        parts = [p for item in renderable.renderables for p in fit_tables(item, width)]
        return [Group(*parts, fit=renderable.fit)]
    if isinstance(renderable, Table):
        return fit_table(renderable, width)
    return [renderable]
