"""Shared pieces of the command line: loading scenarios with readable errors, parsing
``--param`` values, output formats. Every command module uses these, so that a bad input gives
the same clear message (file, line, field, what is wrong) and exit code 2 everywhere.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from allegiance.textstyle import styled

if TYPE_CHECKING:  # the scenario layer and the models load where a command uses them
    from rich.table import Table

    from allegiance.models.base import ExplainTable
    from allegiance.scenario.model import Problem, Scenario


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

    def print(self, *objects: Any, **options: Any) -> None:
        """Rich's print, with every table fitted to the width so that a narrow terminal wraps
        headers and cells between words, never inside one (:func:`fit_columns`)."""
        width = options.get("width") or self.rich.width
        objects = tuple(part for item in objects for part in fit_columns(item, width))
        self.rich.print(*objects, **options)

    @contextlib.contextmanager
    def captured(self) -> Iterator[io.StringIO]:
        """Print into a buffer instead, as plain text (no colours, no terminal codes)."""
        from rich.console import Console

        buffer = io.StringIO()
        previous = self._console
        options = {**self._options, "width": self._options.get("width") or 160}
        self._console = Console(file=buffer, color_system=None, force_terminal=False, **options)
        try:
            yield buffer
        finally:
            self._console = previous


def fit_columns(renderable: Any, width: int = 80) -> list[Any]:
    """What to print instead of ``renderable`` so that its tables fit in ``width`` columns
    without a word broken inside (:func:`allegiance.tablefit.fit_tables`)."""
    from allegiance.tablefit import fit_tables

    return fit_tables(renderable, width)


#: on a terminal (or with COLUMNS set) Rich uses that width; piped output gets room for the
#: wide tables
console = _LazyConsole(highlight=False, soft_wrap=False, markup=False,
                       width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)
err_console = _LazyConsole(stderr=True, highlight=False, soft_wrap=True, markup=False)


def new_table(*args: Any, **kwargs: Any) -> Table:
    """A Rich table (Rich is imported on first use)."""
    from rich.table import Table

    return Table(*args, **kwargs)

EXIT_BAD_INPUT = 2
#: what an interrupted command left behind, said in the one line Ctrl-C prints (cli.run)
INTERRUPT_NOTES: list[str] = []


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def fail(message: str) -> NoReturn:
    err_console.print(styled(("error:", "bold red"), f" {message}"))
    raise typer.Exit(EXIT_BAD_INPUT)


#: problems printed one per line; the rest are counted (a generated file can have thousands)
MAX_PRINTED_ERRORS = 200
MAX_PRINTED_WARNINGS = 20
#: warnings that say the same thing (one per unsourced number of a peer file) printed at most
MAX_PRINTED_ALIKE = 3


def print_problems(problems: list[Problem]) -> None:
    """Every error (up to :data:`MAX_PRINTED_ERRORS`) and the first warnings, one per line with
    file:line:column; what is left is counted, warnings grouped by what they say.

    Rarer warnings come first, and at most :data:`MAX_PRINTED_ALIKE` of any one message are
    printed: a reader's note on how it interpreted the file is not buried under hundreds of
    "no source" lines (a peer format has no field for sources).
    """
    from collections import Counter

    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    for p in errors[:MAX_PRINTED_ERRORS]:
        err_console.print(styled((f"{p.location()}: error:", "red"),
                                 f" {p.described()}"))
    if len(errors) > MAX_PRINTED_ERRORS:
        err_console.print(styled((f"… and {len(errors) - MAX_PRINTED_ERRORS:,} more error(s)",
                                  "red")))
    alike = Counter(p.message for p in warnings)
    printed: Counter[str] = Counter()
    rest: Counter[str] = Counter()
    for p in sorted(warnings, key=lambda p: alike[p.message]):  # stable: file order kept
        if printed.total() < MAX_PRINTED_WARNINGS and printed[p.message] < MAX_PRINTED_ALIKE:
            printed[p.message] += 1
            err_console.print(styled((f"{p.location()}: warning:", "yellow"),
                                     f" {p.described()}"))
        else:
            rest[p.message] += 1
    for message, count in rest.most_common():
        err_console.print(styled((f"… and {count:,} more warning(s):", "yellow"), f" {message}"))


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into a clear message and exit code 2."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - anything else is raised again below
        from allegiance.models.base import ParameterError
        from allegiance.models.registry import UnknownModelError
        from allegiance.scenario.model import ScenarioInvalid

        if isinstance(exc, ScenarioInvalid):
            print_problems(exc.problems)
            count = len(exc.errors)
            err_console.print(styled((f"{count} error(s); nothing was run.", "bold red")))
            raise typer.Exit(EXIT_BAD_INPUT) from None
        if isinstance(exc, ParameterError | UnknownModelError):
            fail(str(exc))
        if isinstance(exc, KeyError):  # unknown variant / actor / issue names
            fail(str(exc.args[0]) if exc.args else str(exc))
        if isinstance(exc, ValueError):
            fail(str(exc))
        raise


def load(
    scenario: str | None,
    *,
    input_format: str | None = None,
    as_of: str | None = None,
    variant: str | None = None,
) -> Scenario:
    """Load a scenario for a command, applying ``--variant`` then ``--as-of``; the reader's
    warnings go to standard error."""
    from allegiance.io import DEFAULT_SCENARIO, load_scenario

    with user_errors():
        loaded = load_scenario(scenario or DEFAULT_SCENARIO, input_format)
        # what the reader had to interpret (an actor left out, saliences read on 0-100)
        print_problems(loaded.derived.get("read_warnings", []))
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


def check_output(output: str | None) -> str | None:
    """A Typer callback for ``--output``: refuse a path that cannot be written before anything
    is computed, so that a long run's result is never lost at the end."""
    if output:
        from allegiance.io.filesystem import output_problem

        reason = output_problem(output)
        if reason:
            fail(f"cannot write the output: {reason}")
    return output


#: the scenario argument of every command that takes one
ScenarioArg = Annotated[
    str | None,
    typer.Argument(help="Built-in scenario name, YAML file or peer file (default: syria-2014).",
                   show_default=False),
]

#: ``--param/-p NAME=VALUE`` of every command that runs a model (read by :func:`parse_params`)
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="Model parameter NAME=VALUE (repeatable).")]

#: ``--progress/--no-progress`` of the commands that show a progress bar on standard error
ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")]

#: ``--output/-o``, checked before anything is computed (every command that writes uses it)
OutputOpt = Annotated[str | None, typer.Option(
    "--output", "-o", help="Write to this file.", callback=check_output)]

#: the names of the readable formats, for the help of ``--input-format`` (the command line loads
#: the readers only when it reads; ``tests/test_cli_options.py`` checks the list against them)
FORMAT_NAMES = ("yaml", "bdm-csv", "ktab-csv", "ktab-xml", "decide", "deu")

#: ``--input-format`` of every command that reads a scenario
InputFormatOpt = Annotated[str | None, typer.Option(
    "--input-format", help=f"Scenario file format: {', '.join(FORMAT_NAMES)} (default: from the "
    "file).")]

#: ``--variant`` of every command that reads a scenario
VariantOpt = Annotated[str | None, typer.Option(
    "--variant", help="Apply one of the scenario's what-if variants first.")]

#: ``--as-of`` of the commands that evaluate a scenario at a date
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="Evaluate the scenario as of this date (YYYY-MM-DD).")]

#: ``--format/-f`` of the commands that print a table, JSON or CSV
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")]

#: ``--format/-f`` of the commands without a CSV form
TableOrJsonOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")]


def write_output(text: str, output: str | None) -> None:
    """Print ``text`` or write it to ``output`` (atomically for a regular file); a folder that
    had to be created is named, and a failure is a clear error, never a traceback."""
    if output:
        from allegiance.io.filesystem import WriteError, missing_folders, write_atomic

        created = missing_folders(output)
        try:
            write_atomic(output, text)
        except WriteError as exc:
            fail(str(exc))
        if created is not None:
            sys.stderr.write(f"created folder {created}\n")
        sys.stderr.write(f"wrote {output}\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


@contextlib.contextmanager
def model_progress(model: str) -> Iterator[None]:
    """For a model whose long runs report progress (``smp`` with many actors): a Rich bar on
    standard error, turn by turn and within each turn, shown from the first report on (short
    runs report nothing and show nothing)."""
    if model != "smp":
        yield
        return
    from allegiance.models.smp.progress import reporting

    state: dict[str, Any] = {}

    def update(turn: int, most: int, done: float) -> None:
        if "bar" not in state:
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            label = "smp turn {task.fields[turn]} (at most {task.fields[most]})"
            bar = Progress(TextColumn(label), BarColumn(), TaskProgressColumn(),
                           TimeElapsedColumn(), console=err_console.rich, transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("smp", total=1.0, turn=1, most=most)
        state["bar"].update(state["task"], completed=done, turn=min(turn + 1, most), most=most)

    try:
        with reporting(update):
            yield
    finally:
        if "bar" in state:
            state["bar"].stop()
