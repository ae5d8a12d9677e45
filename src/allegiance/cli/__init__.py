"""The ``allegiance`` command line (Typer + Rich): the application and its command group.

The package holds the presentation layer's commands, a module per command group: ``core``
(forecast, show, validate, import, export, ...), ``coalitions``, ``power``, ``uncertainty``
(montecarlo, sensitivity, timeline), ``backtest``, ``levers``, ``report`` (brief, report),
``plots``, ``store`` (runs, db) and ``web`` (serve, users); ``common`` holds the options they
share, errors and output, ``recording`` the ``--save`` of a run, and ``render/`` the terminal
renderers. A command parses options, calls :mod:`allegiance.service` (or its layer) and hands
the result to a renderer; none computes.

Every command that takes a scenario accepts a built-in name, a YAML file or any importable peer
file; bad input gives a located message and exit code 2, never a traceback.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Iterator, MutableMapping
from importlib import import_module
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from allegiance.cli.common import console
from allegiance.version import __version__

if TYPE_CHECKING:
    from typer import _click as click

# ------------------------------------------------------------------------------- commands
#: the core commands, defined in :mod:`allegiance.cli.core`
CORE_COMMANDS = ("forecast", "models", "scenarios", "show", "validate", "import", "export",
                 "schema")

#: the other commands, a module of this package per group: name -> "module:function"
LAYER_COMMANDS = {
    "coalitions": "allegiance.cli.coalitions:coalitions_command",
    "montecarlo": "allegiance.cli.uncertainty:montecarlo_command",
    "sensitivity": "allegiance.cli.uncertainty:sensitivity_command",
    "timeline": "allegiance.cli.uncertainty:timeline_command",
    "backtest": "allegiance.cli.backtest:backtest_command",
    "power": "allegiance.cli.power:power_command",
    "levers": "allegiance.cli.levers:levers_command",
    "brief": "allegiance.cli.report:brief_command",
    "report": "allegiance.cli.report:report_command",
    "plot": "allegiance.cli.plots:plot_command",
    "runs": "allegiance.cli.store:runs_app",
    "db": "allegiance.cli.store:db_app",
    "serve": "allegiance.cli.web:serve_command",
    "users": "allegiance.cli.web:users_app",
}


def load_command(name: str) -> click.Command | None:
    """The click command ``name``, importing only the module that defines it (None: unknown).

    The core commands import the scenario layer and the models, the layers SciPy, Dask and more;
    a process runs one command, so it loads only that command's module (``--help`` loads them
    all, for their one-line help).
    """
    if name in CORE_COMMANDS:
        from allegiance.cli.core import core

        target = typer.Typer(add_completion=False)
        target.registered_commands = [info for info in core.registered_commands
                                      if info.name == name]
    elif name in LAYER_COMMANDS:
        module, attribute = LAYER_COMMANDS[name].split(":")
        target = getattr(import_module(module), attribute)
        if not isinstance(target, typer.Typer):  # a command, not a group of them (runs, db)
            function, target = target, typer.Typer(add_completion=False)
            target.command(name)(function)
    else:
        return None
    command = typer.main.get_command(target)
    command.name = name
    if not command.short_help and command.help:
        # the commands list shows the first paragraph of the help as one line: Rich would keep
        # the docstring's line breaks
        first_paragraph = inspect.cleandoc(command.help).split("\n\n")[0]
        command.short_help = " ".join(first_paragraph.split())
    return command


class CommandsOnLookup(MutableMapping):
    """The application's commands by name: every name is listed, and a command is loaded (with
    :func:`load_command`) when it is first looked up."""

    def __init__(self, loaded: dict[str, click.Command]) -> None:
        self._loaded = dict(loaded)

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            command = load_command(name)
            if command is None:
                raise KeyError(name)
            self._loaded[name] = command
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in CORE_COMMANDS or name in LAYER_COMMANDS or name in self._loaded

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*CORE_COMMANDS, *LAYER_COMMANDS, *self._loaded]))

    def __len__(self) -> int:
        return len(list(iter(self)))


class LazyCommands(TyperGroup):
    """The application's command group: each command is loaded when it is looked up; the names
    of all of them serve ``--help`` and the "did you mean" of a mistyped command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = CommandsOnLookup(self.commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


app = typer.Typer(
    name="allegiance",
    cls=LazyCommands,
    help="Forecast how a contested decision turns out: who moves where, what outcome the "
    "bargaining converges to, which coalitions can form, and how sure to be.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"allegiance {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback,
                                          is_eager=True, help="Print the version.")] = False,
) -> None:
    """Allegiance command line."""


def run() -> None:
    """The console entry point: the application, with Ctrl-C as one line and exit code 130.

    The command line uses no pydantic plugins, so it skips looking for them among the installed
    packages' entry points (about 10 ms of every process); set ``PYDANTIC_DISABLE_PLUGINS`` to
    an empty value to load them.

    NumPy's OpenBLAS runs on one thread unless ``OPENBLAS_NUM_THREADS`` says otherwise: its
    matrix products here are small, Allegiance's own parallel work (process and thread pools,
    compiled kernels, Dask) would only be oversubscribed by more, and starting a thread per
    core when NumPy loads cost about 6% of a trivial forecast's process (bench/README.md).
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        app()
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:  # Typer turns KeyboardInterrupt into exit code 130
            from allegiance.cli.common import INTERRUPT_NOTES

            notes = "".join(f"; {note}" for note in INTERRUPT_NOTES)
            sys.stderr.write(f"\nallegiance: interrupted{notes}\n")
        raise


EXIT_INTERRUPTED = 130


__all__ = ["app"]
