"""The options every command shares are defined once (``allegiance.cli.common``): each
spelling of a shared option has the same help in every command that takes it, and the format
names in the help of ``--input-format`` are the formats the readers know."""

from __future__ import annotations

from collections import defaultdict

import typer.main

from allegiance.cli import app
from allegiance.cli.common import FORMAT_NAMES
from allegiance.io import FORMATS

SHARED = ("--input-format", "--variant", "--param")


def _commands():
    group = typer.main.get_command(app)
    stack = [("", group)]
    while stack:
        prefix, command = stack.pop()
        if hasattr(command, "list_commands"):  # a group: its commands load when looked up
            stack += [(f"{prefix} {name}".strip(), command.get_command(None, name))
                      for name in command.list_commands(None)]
        else:
            yield prefix, command


def test_format_names_are_the_readers_formats():
    assert FORMAT_NAMES == tuple(FORMATS)


def test_shared_options_read_the_same_everywhere():
    helps: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, command in _commands():
        for param in command.params:
            for spelling in getattr(param, "opts", []):
                if spelling in SHARED:
                    helps[spelling][param.help or ""].append(name)
    assert set(helps) == set(SHARED)
    assert len(helps["--input-format"]) == 1 and sum(
        len(names) for names in helps["--input-format"].values()) >= 8
    for spelling in SHARED:
        if spelling in ("--variant", "--param"):  # forecast's variant also names model
            # variants; backtest's parameters apply to its single --model
            assert len(helps[spelling]) <= 2, dict(helps[spelling])
        else:
            assert len(helps[spelling]) == 1, (spelling, dict(helps[spelling]))


def test_format_option_is_one_of_two():
    helps = {param.help for _, command in _commands() for param in command.params
             if "--format" in getattr(param, "opts", [])}
    assert helps <= {"table, json or csv.", "table or json."}, helps


def test_a_mistyped_command_is_answered_with_the_one_meant():
    """Commands load when looked up, yet every name serves the "did you mean" of a typo."""
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["forcast"])
    assert result.exit_code == 2
    assert "Did you mean 'forecast'?" in result.output


def test_looking_up_a_command_loads_only_its_module():
    import subprocess
    import sys

    code = ("import sys, typer.main; from allegiance.cli import app; "
            "group = typer.main.get_command(app); "
            "print('allegiance.cli.core' in sys.modules, 'forecast' in group.commands, "
            "'allegiance.cli.core' in sys.modules, group.commands['runs'].name, "
            "'allegiance.cli.core' in sys.modules, 'allegiance.scenario' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True", "False", "runs", "False", "False"]


def test_the_commands_list_gives_each_command_one_paragraph_of_help():
    """A docstring's first paragraph spans lines; the list of commands shows it as one."""
    group = typer.main.get_command(app)
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        short = command.short_help or ""
        assert short and "\n" not in short, name
        assert " ".join(command.help.split("\n\n")[0].split()) == short
    assert "who would rather stay out, strongest opponents" in (
        group.get_command(None, "coalitions").short_help)
