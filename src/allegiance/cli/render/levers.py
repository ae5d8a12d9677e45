"""Rendering of the levers answer: Rich tables and CSV (presentation only; the numbers come from
:func:`allegiance.levers.analysis.levers`)."""

from __future__ import annotations

import csv
import io

from allegiance.levers.analysis import LeverSolution, LeversResult
from allegiance.levers.briefing import sentences
from allegiance.textstyle import styled

__all__ = ["render_levers", "to_csv"]

CSV_COLUMNS = ("solution", "rank", "count", "total_cost", "inside_ranges", "actor", "issue",
               "field", "from", "to", "range_low", "range_high", "grade", "cost", "inside_range",
               "winning_after", "stable_after", "moves_there_after")


def _solutions(result: LeversResult) -> list[tuple[str, int, LeverSolution]]:
    rows = []
    if result.solution is not None:
        rows.append(("best", 0, result.solution))
    rows += [("alternative", n, s) for n, s in enumerate(result.alternatives, 1)]
    if result.outside is not None:
        rows.append(("beyond-ranges", 0, result.outside))
    rows += [("beyond-ranges-alternative", n, s)
             for n, s in enumerate(result.outside_alternatives, 1)]
    cheapest = result.cheapest_by_cost
    if cheapest is not None and not any(_same(cheapest, s) for _, _, s in rows):
        rows.append(("cheapest-by-cost", 0, cheapest))
    return rows


def _same(one: LeverSolution, other: LeverSolution) -> bool:
    return [(c.actor, c.issue, c.field, c.after) for c in one.changes] == \
        [(c.actor, c.issue, c.field, c.after) for c in other.changes]


def to_csv(result: LeversResult) -> str:
    """One row per change of every solution listed (best, alternatives, beyond the ranges)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for kind, rank, s in _solutions(result):
        for c in s.changes:
            writer.writerow([kind, rank, s.count, f"{s.cost:.6g}", s.inside_ranges, c.actor,
                             c.issue or "", c.field, f"{c.before:.6g}", f"{c.after:.6g}",
                             f"{c.range_low:.6g}", f"{c.range_high:.6g}", c.grade,
                             f"{c.cost:.6g}", c.inside_range, s.verdict["winning"],
                             s.verdict["stable"], s.verdict["moves_there"]])
    return out.getvalue()


def _verdict_row(label: str, verdict: dict) -> list[str]:
    def yes(flag: bool, suffix: str = ""):
        return styled(("yes", "green") if flag else ("no", "red"), suffix)

    gains = ", ".join(f"{a} {g:+.3f}" for a, g in verdict["gain"].items())
    forecast = ", ".join(
        f"{k} {verdict['forecast_with_coalition'][k]:.1f}/{v:.1f}"
        for k, v in verdict["agreed_position"].items() if v is not None)
    return [label, yes(verdict["winning"], f" {verdict['issues_won']}/{verdict['n_issues']}"),
            yes(verdict["stable"]), gains, yes(verdict["moves_there"]), forecast]


def render_levers(result: LeversResult, console) -> None:
    """Print the answer: the plain sentences, the changes of each solution, the verdicts."""
    from rich.table import Table

    stamp = f"as of {result.state}" if result.state != "current" else "current state"
    if result.variant:
        stamp += f", variant {result.variant}"
    console.print(styled((f"What would it take for {result.coalition} "
                          f"({', '.join(result.members)})?", "bold"),
                         f" {result.scenario} ({stamp}); model {result.model}; within "
                         f"{result.within}; budget {result.budget}; seed {result.seed}; levers "
                         f"{', '.join(result.levers) if result.levers else 'all'}"))
    for line in sentences(result):
        console.print(f"  {line}")
    for kind, rank, s in _solutions(result):
        title = kind + (f" {rank}" if rank else "")
        table = Table(title=f"{title}: {s.count} change(s), total cost {s.cost:.3f}"
                      + ("" if s.inside_ranges else " (beyond some ranges)"),
                      title_justify="left")
        for column in ("actor", "issue", "field", "from → to", "range", "source", "cost"):
            table.add_column(column, justify="right" if column == "cost" else "left")
        for c in s.changes:
            style = "" if c.inside_range else "yellow"
            table.add_row(c.actor, c.issue or "(every issue)", c.field,
                          f"{c.before:.4g} → {c.after:.4g}",
                          styled((f"{c.range_low:.4g}–{c.range_high:.4g}", style)), c.grade,
                          f"{c.cost:.3f}")
        console.print(table)
    verdicts = Table(title="verdicts (re-computed by the coalition layer on the changed scenario)",
                     title_justify="left",
                     caption=f"forecast with the coalition / agreed position per issue; moves "
                             f"there = within {result.tolerance:.0%} of each scale")
    for column in ("scenario", "winning", "stable", "gain by joining", "moves there",
                   "forecast with / agreed"):
        verdicts.add_column(column)
    verdicts.add_row(*_verdict_row("as given", result.before))
    for kind, rank, s in _solutions(result):
        verdicts.add_row(*_verdict_row(kind + (f" {rank}" if rank else ""), s.verdict))
    console.print(verdicts)
    console.print(styled((f"{result.proof}; {result.evaluations} candidate scenarios evaluated "
                          f"in {result.seconds:.2f} s; {result.content_hash[:19]}", "dim")))
    for note in result.notes:
        console.print(styled((f"note: {note}", "dim")))
