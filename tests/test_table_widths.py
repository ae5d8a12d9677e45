"""Every table output at 80 columns: no line longer than 80 and no word broken across lines
(headers and cells alike), for every command that prints tables, every model's ``--explain``
and ``allegiance brief``.

How a broken word is found: while the command prints at 80 columns, each thing it prints is also
rendered, as given, 1,000 columns wide (where nothing wraps). Every word of the 80-column output
must be a word of that wide rendering; a word cut in two ("capitulat" + "ion"), cropped
("saudi-ar…") or folded shows up as a fragment that is not.
"""

from __future__ import annotations

import io
import re

import pytest
from typer.testing import CliRunner

from allegiance.cli import app
from allegiance.cli.common import _LazyConsole, console
from allegiance.models.registry import available_models, get_model_class

WIDTH = 80
BOX = re.compile(r"[\u2500-\u257f]")  # box drawing: borders, rules and the scale sketches
#: the one word the fitting adds: the title of a table's second part
ADDED = {"(continued)"}


def words(text: str) -> set[str]:
    return set(BOX.sub(" ", text).split())


@pytest.fixture
def narrow(monkeypatch):
    """Run a command with the console 80 columns wide; returns (stdout, words of the same
    output rendered 1,000 columns wide)."""
    from rich.console import Console

    wide: list[str] = []
    original = _LazyConsole.print

    def printing(self, *objects, **options):
        if self is console:
            buffer = io.StringIO()
            Console(file=buffer, width=1000, color_system=None, highlight=False,
                    soft_wrap=False, markup=False).print(*objects, **{**options, "width": 1000})
            wide.append(buffer.getvalue())
        original(self, *objects, **options)

    monkeypatch.setattr(_LazyConsole, "print", printing)
    monkeypatch.setitem(console._options, "width", WIDTH)
    monkeypatch.setattr(console, "_console", None)

    def run(*args: str) -> tuple[str, set[str]]:
        wide.clear()
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout, words("".join(wide)) | ADDED

    yield run
    console._console = None


def check(output: str, vocabulary: set[str], boxed: bool = True) -> None:
    too_long = [line for line in output.splitlines() if len(line.rstrip()) > WIDTH]
    assert not too_long, too_long[:3]
    broken = words(output) - vocabulary
    assert not broken, sorted(broken)[:20]
    if boxed:  # tables were printed
        assert any(BOX.search(line) for line in output.splitlines())


def _seed(model: str) -> list[str]:
    return ["--seed", "1"] if get_model_class(model).stochastic else []


@pytest.mark.parametrize("model", available_models())
@pytest.mark.parametrize("scenario", ["syria-2014", "eu-emissions-1994"])
def test_every_models_explain_tables_keep_words_whole(narrow, model, scenario):
    output, vocabulary = narrow("forecast", scenario, "--model", model, "--explain",
                                *_seed(model))
    check(output, vocabulary)


COMMANDS = [
    ["show", "syria-2014"],
    ["show", "eu-emissions-1994"],
    ["forecast", "ktab-dummy-3dim", "--model", "smp", "--explain", "--seed", "1"],
    ["models"],
    ["scenarios"],
    ["coalitions", "syria-2014"],
    ["coalitions", "syria-2014", "--model", "bdm", "--as-of", "2014-06-01"],
    ["montecarlo", "syria-2014", "--runs", "100", "--seed", "1", "--no-progress"],
    ["sensitivity", "syria-2014", "--runs", "100", "--seed", "1", "--no-progress"],
    ["timeline", "syria-2014", "--runs", "100", "--seed", "1"],
    ["power", "syria-2014"],
    ["levers", "syria-2014", "--budget", "2", "--seed", "4"],
    ["brief", "--runs", "100"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_table_command_keeps_words_whole(narrow, args):
    check(*narrow(*args), boxed=args[0] != "brief")  # the brief's tables have no borders


def test_backtest_and_stored_runs_keep_words_whole(narrow, tmp_path):
    from test_backtest import TINY_TSV

    data = tmp_path / "tiny.tsv"
    data.write_text(TINY_TSV)
    db = f"sqlite:///{tmp_path / 'store.db'}"
    check(*narrow("backtest", str(data), "-m", "median", "--bootstrap", "200", "-o",
                  str(tmp_path / "out"), "--save", "--db", db))
    check(*narrow("forecast", "syria-2014", "--model", "bdm", "--save", "--db", db))
    check(*narrow("runs", "list", "--db", db))
    check(*narrow("runs", "show", "1", "--db", db))
