"""The ``allegiance`` command line (Typer + Rich).

Every command that takes a scenario accepts a built-in name, a YAML file or any importable peer
file; bad input gives a located message and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Annotated

import typer

from allegiance.cli_common import console
from allegiance.version import __version__

app = typer.Typer(
    name="allegiance",
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


# ------------------------------------------------------------------------------- commands
#: the core commands, defined in :mod:`allegiance.cli_core`
CORE_COMMANDS = ("forecast", "models", "scenarios", "show", "validate", "import", "export",
                 "schema")

#: commands provided by the analysis layers: name -> "module:function"
LAYER_COMMANDS = {
    "coalitions": "allegiance.coalitions.cli:coalitions_command",
    "montecarlo": "allegiance.uncertainty.cli:montecarlo_command",
    "sensitivity": "allegiance.uncertainty.cli:sensitivity_command",
    "timeline": "allegiance.uncertainty.cli:timeline_command",
    "backtest": "allegiance.validation.cli:backtest_command",
    "power": "allegiance.coalitions.power_cli:power_command",
    "levers": "allegiance.levers.cli:levers_command",
    "brief": "allegiance.report.cli:brief_command",
    "report": "allegiance.report.cli:report_command",
    "plot": "allegiance.plots.cli:plot_command",
    "runs": "allegiance.store.cli:runs_app",
    "db": "allegiance.store.cli:db_app",
    "serve": "allegiance.web.cli:serve_command",
    "users": "allegiance.web.cli:users_app",
}


def _requested(argv: list[str]) -> tuple[bool, list[str]]:
    """Whether this process needs the core commands, and the layer commands it needs.

    The core commands import the scenario layer and the models, the layers SciPy, Dask and more;
    a process runs one command, so only what it names is loaded: the core commands for a core
    command, one layer for a layer command, and everything when the command is not known yet
    (``--help``, tests, other callers).
    """
    words = [word for word in argv[1:] if not word.startswith("-")]
    if words and words[0] in LAYER_COMMANDS:
        return False, [words[0]]
    if words and words[0] in CORE_COMMANDS:
        return True, []
    return True, list(LAYER_COMMANDS)


def register_core() -> None:
    """Register the core commands (once)."""
    from allegiance.cli_core import core

    registered = {command.name for command in app.registered_commands}
    app.registered_commands[:0] = [command for command in core.registered_commands
                                   if command.name not in registered]


def register_layers(names: list[str] | None = None) -> None:
    """Register the analysis layers' commands (all of them by default)."""
    registered = {command.name for command in app.registered_commands}
    registered |= {group.name for group in app.registered_groups}
    for name in LAYER_COMMANDS if names is None else names:
        if name in registered:
            continue
        module, function = LAYER_COMMANDS[name].split(":")
        target = getattr(import_module(module), function)
        if isinstance(target, typer.Typer):  # a command group (runs, db)
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)


_core_needed, _layers_needed = _requested(sys.argv)
if _core_needed:
    register_core()
register_layers(_layers_needed)


def run() -> None:
    """The console entry point: the application, with Ctrl-C as one line and exit code 130."""
    try:
        app()
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:  # Typer turns KeyboardInterrupt into exit code 130
            from allegiance.cli_common import INTERRUPT_NOTES

            notes = "".join(f"; {note}" for note in INTERRUPT_NOTES)
            sys.stderr.write(f"\nallegiance: interrupted{notes}\n")
        raise


EXIT_INTERRUPTED = 130


if __name__ == "__main__":  # pragma: no cover
    run()

__all__ = ["app"]
