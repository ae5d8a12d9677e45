"""Shared pieces of the command line: loading scenarios with readable errors, parsing
``--param`` values, output formats. Every command module uses these, so that a bad input gives
the same clear message (file, line, field, what is wrong) and exit code 2 everywhere.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from allegiance.io import DEFAULT_SCENARIO, load_scenario
from allegiance.models.base import ExplainTable, ParameterError
from allegiance.models.registry import UnknownModelError
from allegiance.scenario.model import Problem, Scenario, ScenarioInvalid

if TYPE_CHECKING:
    from rich.table import Table


class _LazyConsole:
    """A Rich console made on first use, so that commands printing only JSON or CSV do not load
    Rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console = None

    @property
    def rich(self) -> Any:
        """The Rich console itself (to hand to Rich's own objects, such as progress bars)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich, name)

    @contextlib.contextmanager
    def captured(self) -> Iterator[io.StringIO]:
        """Print into a buffer instead, as plain text (no colours, no terminal codes)."""
        from rich.console import Console

        buffer = io.StringIO()
        previous = self._console
        self._console = Console(file=buffer, width=160, color_system=None, force_terminal=False,
                                highlight=False, soft_wrap=False)
        try:
            yield buffer
        finally:
            self._console = previous


#: on a terminal Rich uses its width; piped output gets room for the wide tables
console = _LazyConsole(highlight=False, soft_wrap=False,
                       width=None if sys.stdout.isatty() else 160)
err_console = _LazyConsole(stderr=True, highlight=False, soft_wrap=True)


def new_table(*args: Any, **kwargs: Any) -> Table:
    """A Rich table (Rich is imported on first use)."""
    from rich.table import Table

    return Table(*args, **kwargs)

EXIT_BAD_INPUT = 2


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {_escape(message)}")
    raise typer.Exit(EXIT_BAD_INPUT)


def print_problems(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    for p in errors:
        err_console.print(f"[red]{_escape(p.location())}: error:[/] {_escape(p.field())}: "
                          f"{_escape(p.message)}")
    for p in warnings:
        err_console.print(f"[yellow]{_escape(p.location())}: warning:[/] {_escape(p.field())}: "
                          f"{_escape(p.message)}")


def escape_markup(text: str) -> str:
    """``text`` safe to print through Rich (its square brackets are not markup)."""
    from rich.markup import escape

    return escape(str(text))


_escape = escape_markup


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into a clear message and exit code 2."""
    try:
        yield
    except ScenarioInvalid as exc:
        print_problems(exc.problems)
        count = len(exc.errors)
        err_console.print(f"[bold red]{count} error(s); nothing was run.[/]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (ParameterError, UnknownModelError) as exc:
        fail(str(exc))
    except KeyError as exc:  # unknown variant / actor / issue names
        fail(str(exc.args[0]) if exc.args else str(exc))
    except ValueError as exc:
        fail(str(exc))


def load(
    scenario: str | None,
    *,
    input_format: str | None = None,
    as_of: str | None = None,
    variant: str | None = None,
) -> Scenario:
    """Load a scenario for a command, applying ``--variant`` then ``--as-of``."""
    with user_errors():
        loaded = load_scenario(scenario or DEFAULT_SCENARIO, input_format)
        if variant:
            loaded = loaded.variant(variant)
        if as_of:
            loaded = loaded.as_of(as_of)
    return loaded


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["rounds=5", "variant=paper"]`` -> ``{"rounds": 5, "variant": "paper"}`` (YAML scalars)."""
    params: dict[str, Any] = {}
    if not items:
        return params
    import yaml

    for item in items:
        if "=" not in item:
            fail(f"--param takes NAME=VALUE; got {item!r}")
        name, _, raw = item.partition("=")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        params[name.strip().replace("-", "_")] = value
    return params


def explain_table(table: ExplainTable) -> Table:
    rich_table = new_table(title=table.title, caption=table.note or None, title_justify="left")
    for column in table.columns:
        rich_table.add_column(str(column))
    for row in table.rows:
        rich_table.add_row(*(fmt(v) for v in row))
    return rich_table


def fmt(value: Any, digits: int = 2) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "" if value is None else str(value)


@contextlib.contextmanager
def table_output(output: str | None) -> Iterator[None]:
    """Where a command's tables go: the terminal, or with ``--output FILE`` that file, as plain
    text (written atomically once the command has printed everything)."""
    if not output:
        yield
        return
    with console.captured() as buffer:
        yield
    write_output(buffer.getvalue(), output)


def csv_text(header: list[str], rows) -> str:
    """A CSV document (header row, then ``rows``); floats written exactly (``repr``)."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):  # NumPy floats too; NaN and infinities left empty
        return repr(float(value)) if value == value and abs(value) != float("inf") else ""
    if hasattr(value, "item"):  # NumPy integers and booleans
        return value.item()
    return value


def write_output(text: str, output: str | None) -> None:
    """Print ``text`` or write it atomically to ``output``."""
    if output:
        from allegiance.io.yaml_format import write_atomic

        write_atomic(output, text)
        sys.stderr.write(f"wrote {output}\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
