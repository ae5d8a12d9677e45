"""The results tables of the documentation, written by the code that measures them.

Every table of measured numbers in ``docs/`` sits between two marker comments that name the
block and the command that produces it::

    <!-- begin generated backtest: allegiance backtest deu3-dev.tsv --model all ... -->
    | model | ... |
    <!-- end generated backtest -->

``python -m allegiance.docs`` (``make docs``) recomputes every block and rewrites the text
between its markers (atomically); ``--fast`` only the blocks that take seconds (the test suite
regenerates those and fails when the committed text differs: ``tests/test_docs_tables.py``);
``--check`` writes nothing and exits 1 when a block differs; ``--only NAME`` (``--block``,
repeatable) recomputes that block alone. Slow blocks (the full backtest
with the stochastic exchange model) end with a line saying when, on what machine and in how
long they were measured.

The blocks outside docs/validation.md (coalitions, the syria-2014 scenario, SMP against KTAB,
levers, uncertainty) are written by :mod:`allegiance.docs_tables`, outputs of the command line
and of scripts by :mod:`allegiance.docs_outputs`.

The DEU development split is read from ``../shared/reference/deu/deu3-dev.tsv`` beside the
repository, or from ``--deu PATH``.

>>> sorted(BLOCKS)[:2]
['backtest', 'backtest-breakdown']
>>> replace_block("a\\n<!-- begin generated x: cmd -->\\nold\\n<!-- end generated x -->\\n", "x",
...               "new\\n")
'a\\n<!-- begin generated x: cmd -->\\nnew\\n<!-- end generated x -->\\n'
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path

DEU_NAME = "deu3-dev.tsv"
BACKTEST = (f"allegiance backtest {DEU_NAME} --model all --capability all --runs 20 --seed 0")
NASH_TUNE = (f"allegiance backtest {DEU_NAME} --model nash --tune "
             "disagreement=status-quo,worst --capability all")
#: the models whose rows are deterministic and quick (the test regenerates these rows of the
#: slow table and compares them with the committed ones)
FAST_MODELS = ("mean", "median", "bdm", "nash")


@dataclass(frozen=True)
class Block:
    """A generated table: the file it is in, the command named beside it, how to compute it."""

    file: str
    command: str
    fast: bool
    render: Callable[[Path], str]
    needs_deu: bool = True


class _Settings:
    deu: Path | None = None


def deu_path() -> Path:
    """The DEU development split (``--deu``, or beside the repository in the current folder)."""
    if _Settings.deu is not None:
        return _Settings.deu
    return Path.cwd().resolve().parent / "shared" / "reference" / "deu" / DEU_NAME


def use_deu(path: Path) -> None:
    """Read the DEU development split from ``path`` (forgets what was computed from another)."""
    _Settings.deu = Path(path)
    _datasets.cache_clear()
    _backtest.cache_clear()


@cache
def _datasets() -> dict[str, list]:
    from allegiance.io.deu import DeuValuesMapped, read_dataset
    from allegiance.io.deu_capability import OPTIONS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeuValuesMapped)
        return {option: read_dataset(deu_path(), capability=option) for option in OPTIONS}


@cache
def _backtest(models: tuple[str, ...] | None = None):
    from allegiance.validation.backtest import backtest_options

    return backtest_options(_datasets(), models=list(models) if models else "all", runs=20,
                            seed=0, n_boot=2000)


def _measured(seconds: float) -> str:
    from allegiance.version import __version__

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    return (f"\n*Measured {when} UTC on a {os.cpu_count()}-core {platform.machine()} "
            f"{platform.system()} machine (Python {platform.python_version()}, Allegiance "
            f"{__version__}) in {seconds:.0f} s.*\n")


def _timed(render: Callable[[], str]) -> str:
    start = time.perf_counter()
    text = render()
    return text + _measured(time.perf_counter() - start)


def backtest_table(models: tuple[str, ...] | None = None) -> str:
    """The main backtest table (every model, every capability option, the ``cv`` rows)."""
    from allegiance.validation.tables import summary_markdown

    return summary_markdown(_backtest(models).summaries)


def _render_backtest(_: Path) -> str:
    return _timed(backtest_table)


def _render_breakdown(_: Path) -> str:
    from allegiance.validation.tables import breakdown_markdown

    return breakdown_markdown(_backtest(), ["mean", "median", "bdm", "smp", "exchange", "nash",
                                            "learned"], "gdp")


LEARNED_OPENINGS = f"python -m allegiance.validation.fit {DEU_NAME} --openings"


def _render_learned_openings(_: Path) -> str:
    """Each opening of the learned forecaster alone, by leave-one-proposal-out CV (gdp)."""
    from allegiance.validation.backtest import scored
    from allegiance.validation.fit import candidate_matrix, openings, openings_markdown

    def render() -> str:
        issues = scored(_datasets()["gdp"])
        X = candidate_matrix(issues, capability="gdp", seed=0)
        return openings_markdown(openings(issues, X, seed=0))

    return _timed(render)


def _render_interval_calibration(_: Path) -> str:
    """The shipped interval calibration (written by python -m allegiance.validation.fit)."""
    from allegiance.models.intervals import load_calibration
    from allegiance.validation.conformal import calibration_markdown

    return calibration_markdown(load_calibration())


def _render_nash_tune(_: Path) -> str:
    from allegiance.validation.backtest import backtest_options
    from allegiance.validation.tables import summary_markdown

    result = backtest_options(_datasets(), models="nash", runs=20, seed=0, n_boot=2000,
                              tuned=("disagreement", ["status-quo", "worst"]))
    return summary_markdown(result.summaries)


def _render_reference_point(_: Path) -> str:
    from allegiance.validation.backtest import run_backtest
    from allegiance.validation.tables import reference_point_markdown

    result = run_backtest(_datasets()["equal"], models=["mean", "median", "bdm", "nash"],
                          capability="equal", n_boot=2000)
    return reference_point_markdown(result, ["mean", "median", "bdm", "nash"])


def _render_facts(_: Path) -> str:
    from allegiance.io.deu import parse_text
    from allegiance.io.yaml_format import read_text
    from allegiance.validation.tables import dataset_facts, facts_markdown

    parsed = parse_text(read_text(deu_path()), str(deu_path()))
    return facts_markdown(dataset_facts(parsed, _datasets()["equal"]))


SYRIA_DATES = ("2014-08-01", "2014-09-08")  # before and after Tabqa


def _render_power(_: Path) -> str:
    """Power indices on syria-2014's isis-priority before and after Tabqa (simple majority);
    actors with identical rows share one."""
    import allegiance
    from allegiance.coalitions.power import WeightedGame

    scenario = allegiance.load_scenario("syria-2014")
    states = []
    for date in SYRIA_DATES:
        arrays = scenario.as_of(date).to_arrays()
        k = arrays.issue_ids.index("isis-priority")
        present = arrays.present[:, k].astype(bool)
        ids = [a for a, p in zip(arrays.actor_ids, present, strict=True) if p]
        weights = arrays.capability[present, k]
        power = WeightedGame(weights, rule="simple", labels=ids).power_indices()
        states.append({a: (f"{weights[j]:g}", f"{float(power.shapley_shubik[j]):.3f}",
                           f"{float(power.banzhaf[j]):.3f}") for j, a in enumerate(ids)})
    before, after = states
    rows: dict[tuple[str, ...], list[str]] = {}
    for actor in before:
        rows.setdefault(before[actor] + after.get(actor, ("—",) * 3), []).append(actor)
    lines = ["| actor | weight before | SS before | Banzhaf before | weight after | SS after | "
             "Banzhaf after |", "|---|---:|---:|---:|---:|---:|---:|"]
    for cells, actors in sorted(rows.items(), key=lambda kv: -float(kv[0][0])):
        lines.append(f"| {', '.join(actors)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _syria_issue(date: str, issue: str):
    """(actor ids present, capabilities, positions) on one issue of syria-2014 as of a date."""
    import allegiance

    arrays = allegiance.load_scenario("syria-2014").as_of(date).to_arrays()
    k = arrays.issue_ids.index(issue)
    present = arrays.present[:, k].astype(bool)
    ids = [a for a, p in zip(arrays.actor_ids, present, strict=True) if p]
    return ids, arrays.capability[present, k], arrays.position[present, k]


def _render_riker(_: Path) -> str:
    from allegiance.coalitions.formation import minimal_winning_coalitions

    found = []
    for date in SYRIA_DATES:
        ids, weights, _ = _syria_issue(date, "isis-priority")
        found.append((minimal_winning_coalitions(weights, rule="simple", labels=ids),
                      float(weights.sum())))
    (before, total_b), (after, total_a) = found
    lines = [f"On `isis-priority` there are {len(before)} minimal winning coalitions before Tabqa "
             f"and {len(after)} after; the smallest, with {before[0].weight:g} of {total_b:g} "
             f"(before) and {after[0].weight:g} of {total_a:g} (after):", "",
             "| rank | before Tabqa | after Tabqa |", "|---|---|---|"]
    for rank in range(3):
        b, a = before[rank], after[rank]
        lines.append(f"| {rank + 1} | {', '.join(b.labels)} ({b.weight:g}) | "
                     f"{', '.join(a.labels)} ({a.weight:g}) |")
    return "\n".join(lines) + "\n"


def _render_axelrod(_: Path) -> str:
    from allegiance.coalitions.formation import minimal_connected_winning

    tables = []
    for date, label in zip(SYRIA_DATES, ("before Tabqa", "after Tabqa"), strict=True):
        ids, weights, positions = _syria_issue(date, "settlement")
        where = {a: x for a, x in zip(ids, positions, strict=True)}
        lines = [f"| {label} (officers {where['officers']:g}, alawites {where['alawites']:g}) "
                 "| weight | range |", "|---|---:|---:|"]
        for c in minimal_connected_winning(weights, positions, rule="simple", labels=ids):
            lines.append(f"| {', '.join(c.labels)} | {c.weight:g} | {c.range:g} |")
        tables.append("\n".join(lines) + "\n")
    return "\n".join(tables)


def _self(name: str) -> str:
    return f"python -m allegiance.docs --block {name}"


BRIEF = "COLUMNS=80 allegiance brief"


def _render_brief(_: Path) -> str:
    """What ``make run`` prints (``allegiance brief`` at 80 columns), trailing spaces dropped."""
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "allegiance.cli", "brief"], check=True,
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"})
    lines = [line.rstrip() for line in proc.stdout.rstrip().splitlines()]
    return "```text\n" + "\n".join(lines) + "\n```\n"


BLOCKS: dict[str, Block] = {
    "report-brief": Block("docs/report.md", BRIEF, True, _render_brief, needs_deu=False),
    "deu-facts": Block("docs/validation.md", _self("deu-facts"), True, _render_facts),
    "backtest": Block("docs/validation.md", BACKTEST, False, _render_backtest),
    "backtest-breakdown": Block("docs/validation.md", _self("backtest-breakdown"), False,
                                _render_breakdown),
    "nash-reference-point": Block("docs/validation.md", _self("nash-reference-point"), True,
                                  _render_reference_point),
    "nash-tune": Block("docs/validation.md", NASH_TUNE, True, _render_nash_tune),
    "learned-openings": Block("docs/validation.md", LEARNED_OPENINGS, False,
                              _render_learned_openings),
    "interval-calibration": Block("docs/validation.md", _self("interval-calibration"), True,
                                  _render_interval_calibration, needs_deu=False),
    "coalitions-power": Block("docs/coalitions.md", _self("coalitions-power"), True,
                              _render_power, needs_deu=False),
    "coalitions-riker": Block("docs/coalitions.md", _self("coalitions-riker"), True,
                              _render_riker, needs_deu=False),
    "coalitions-axelrod": Block("docs/coalitions.md", _self("coalitions-axelrod"), True,
                                _render_axelrod, needs_deu=False),
}


def _register_tables() -> None:
    """The blocks of :mod:`allegiance.docs_tables` and :mod:`allegiance.docs_outputs`: all
    without DEU."""
    from allegiance import docs_outputs as o
    from allegiance import docs_tables as t

    for name, file, command, render in t.TABLES:
        BLOCKS[name] = Block(file, command or _self(name), True, render, needs_deu=False)
    for name, file, args, fast in o.SCRIPT_OUTPUTS:
        BLOCKS[name] = Block(file, "python " + " ".join(args), fast,
                             partial(o.script_output, args), needs_deu=False)
    for name, file, args, columns, until, fast in o.CLI_OUTPUTS:
        BLOCKS[name] = Block(file, o.cli_command(args, columns), fast,
                             partial(o.cli_output, args, columns, until), needs_deu=False)


_register_tables()

_MARKER = "<!-- begin generated {name}: {command} -->"


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- begin generated {re.escape(name)}: .*? -->\n)(.*?)"
                      rf"(<!-- end generated {re.escape(name)} -->)", re.S)


def committed(text: str, name: str) -> str | None:
    """The committed content of block ``name`` in ``text`` (None: no markers)."""
    match = _pattern(name).search(text)
    return match[2] if match else None


def replace_block(text: str, name: str, content: str) -> str:
    """``text`` with the content of block ``name`` replaced (its markers must be there)."""
    pattern = _pattern(name)
    if not pattern.search(text):
        raise KeyError(f"no markers for block {name!r}")
    return pattern.sub(lambda m: m[1] + content + m[3], text, count=1)


def regenerate(root: Path, names: list[str], *, write: bool = True) -> list[str]:
    """Recompute the blocks ``names`` and rewrite them in their files under ``root``; return
    the names of the blocks whose committed text differed."""
    from allegiance.io.yaml_format import write_atomic

    changed = []
    for name in names:
        block = BLOCKS[name]
        path = root / block.file
        marker = _MARKER.format(name=name, command=block.command)
        if marker not in path.read_text(encoding="utf-8"):
            raise KeyError(f"{block.file}: block {name!r} must open with {marker!r}")
        content = block.render(root)
        text = path.read_text(encoding="utf-8")  # as it is now (a slow block takes minutes)
        if committed(text, name) != content:
            changed.append(name)
            if write:
                write_atomic(path, replace_block(text, name, content))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m allegiance.docs",
                                     description="Regenerate the results tables in docs/.")
    parser.add_argument("--fast", action="store_true", help="only the blocks that take seconds")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on a "
                        "difference")
    parser.add_argument("--block", "--only", action="append", choices=sorted(BLOCKS),
                        metavar="NAME",
                        help="only this block (repeatable): " + ", ".join(sorted(BLOCKS)))
    parser.add_argument("--deu", type=Path, help=f"the DEU development split ({DEU_NAME})")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository")
    args = parser.parse_args(argv)
    use_deu(args.deu if args.deu is not None else
            args.root.resolve().parent / "shared" / "reference" / "deu" / DEU_NAME)
    names = args.block or [n for n, b in BLOCKS.items() if b.fast or not args.fast]
    if any(BLOCKS[n].needs_deu for n in names) and not deu_path().is_file():
        print(f"error: {deu_path()}: not found; give the DEU development split with --deu PATH",
              file=sys.stderr)
        return 2
    changed = regenerate(args.root, names, write=not args.check)
    for name in names:
        state = ("differs" if args.check else "rewritten") if name in changed else "unchanged"
        print(f"{BLOCKS[name].file}: {name}: {state}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
