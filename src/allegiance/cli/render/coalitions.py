"""Rich tables for the candidate-coalition report (presentation only; the numbers come from
:func:`allegiance.coalitions.report.coalition_report`).

The dated states are laid out side by side (one column group per state), so that "before vs after"
reads along a row.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from allegiance.coalitions.report import CoalitionReport

__all__ = ["power_rows", "power_tables", "render_report", "report_rows", "report_tables"]


def _names(items) -> str:
    return ", ".join(items) if items else "-"


def _yes(flag: bool) -> Text:
    return Text("yes", style="bold green") if flag else Text("no", style="red")


#: below this console width the wide tables are split into narrower ones
NARROW = 120

SUMMARY_COLUMNS = ("coalition", "as of", "share", "winning", "issues won", "pivotal",
                   "would rather stay out", "joiners", "strongest opponents")


def _summary(report: CoalitionReport, columns: tuple[str, ...] = SUMMARY_COLUMNS,
             title: str | None = None, caption: bool = True) -> Table:
    table = Table(
        title=title or (f"Candidate coalitions - {report.scenario}"
                        + "".join(f", {n}" for n in report.notes if n.startswith("variant "))
                        + f" (model {report.model}; {report.rule['description']})"),
        title_justify="left",
        caption="share: mean over issues of the members' capability share; pivotal: exit makes "
                "a won issue lost; stay out: the agreed position is worth less to it than the "
                "forecast without the coalition; joiners: one of them joining makes it win"
                if caption else None,
    )
    for column in columns:
        table.add_column(column, no_wrap=column == "as of")
    for name, assessments in report.coalitions.items():
        for n, a in enumerate(assessments):
            cells = {
                "coalition": f"{name} ({', '.join(a.members)})" if n == 0 else "",
                "as of": a.state,
                "share": f"{a.share:.1%}",
                "winning": _yes(a.winning),
                "issues won": f"{a.issues_won}/{a.n_issues}",
                "pivotal": _names(a.pivotal),
                "would rather stay out": Text(_names(a.stay_out),
                                              style="yellow" if a.stay_out else ""),
                "joiners": _names(a.joiners),
                "strongest opponents": _names(f"{o['actor']} ({o['opposition']:.3g})"
                                              for o in a.opponents),
            }
            table.add_row(*(cells[c] for c in columns), end_section=n == len(assessments) - 1)
    return table


def _members(report: CoalitionReport, parts: tuple[str, ...] = ("gain", "pivotal on", "power")
             ) -> Table:
    table = Table(
        title="Would each member gain by joining? (utility of the agreed position - utility of "
              "the forecast without the coalition)" if "gain" in parts else
              f"Members: {' and '.join(parts)} by date",
        title_justify="left",
        caption="power: the member's Shapley-Shubik index in the whole game, mean over issues"
        if "power" in parts else None,
    )
    table.add_column("coalition")
    table.add_column("member")
    if "gain" in parts:
        for state in report.states:
            table.add_column(f"gain {state}", justify="right")
    if "pivotal on" in parts:
        for state in report.states:
            table.add_column(f"pivotal on {state}")
    if "power" in parts:
        for state in report.states:
            table.add_column(f"power {state}", justify="right")
    for name, assessments in report.coalitions.items():
        members = assessments[0].members
        for n, member in enumerate(members):
            gains, pivots, power = [], [], []
            for a in assessments:
                detail = next(d for d in a.member_details if d.actor == member)
                style = "green" if detail.gains_by_joining else "yellow"
                gains.append(Text(f"{detail.gain:+.3f}", style=style))
                pivots.append(_names(detail.pivotal_on))
                values = list(detail.power.values())
                power.append(f"{sum(values) / len(values):.3f}" if values else "-")
            cells = [*(gains if "gain" in parts else []), *(pivots if "pivotal on" in parts
                                                            else []),
                     *(power if "power" in parts else [])]
            table.add_row(name if n == 0 else "", member, *cells,
                          end_section=n == len(members) - 1)
    return table


def _issues(report: CoalitionReport) -> Table:
    table = Table(
        title="Per issue: capability share, winning, members' spread, agreed position, forecast "
              "without -> with the coalition",
        title_justify="left",
    )
    table.add_column("coalition")
    table.add_column("issue")
    for state in report.states:
        table.add_column(state, overflow="fold")
    for name, assessments in report.coalitions.items():
        for n, issue in enumerate(report.issues):
            cells = []
            for a in assessments:
                item = next(i for i in a.issues if i.issue == issue)
                if item.agreed_position is None:
                    cells.append(f"{item.share:.0%} {'W' if item.winning else 'L'}  no member")
                    continue
                cells.append(
                    f"{item.share:.0%} {'W' if item.winning else 'L'}  spread {item.spread:g}  "
                    f"agreed {item.agreed_position:.1f}  "
                    f"{item.forecast_outcome:.1f} -> {item.outcome_with_coalition:.1f}"
                )
            table.add_row(name if n == 0 else "", issue, *cells,
                          end_section=n == len(report.issues) - 1)
    return table


def _changes(report: CoalitionReport) -> Table | None:
    if len(report.states) < 2:
        return None
    table = Table(title="What changed between the dated states", title_justify="left")
    table.add_column("coalition")
    table.add_column("change", overflow="fold")
    for name, lines in report.changes.items():
        for n, line in enumerate(lines or ["no change"]):
            table.add_row(name if n == 0 else "", line, end_section=n == max(len(lines), 1) - 1)
    return table


THEORIES = (
    ("minimal_winning", "minimal winning (Riker): smallest weight first"),
    ("minimal_connected", "minimal connected winning (Axelrod): by weight"),
    ("minimal_range", "minimal range (Leiserson, de Swaan): by range"),
)


def _theories(report: CoalitionReport, shown: int = 3) -> Table | None:
    if not report.candidates:
        return None
    table = Table(
        title="Which coalitions could win? Best-ranked candidates of three coalition theories",
        title_justify="left",
        caption="weight share in brackets; range = distance between extreme members' positions",
    )
    table.add_column("issue")
    table.add_column("theory", overflow="fold")
    for state in report.states:
        table.add_column(state, overflow="fold")
    for issue in report.issues:
        for m, (key, title) in enumerate(THEORIES):
            cells = []
            for state in report.states:
                entry = report.candidates.get(state, {}).get(issue, {}).get(key)
                if entry is None:
                    cells.append("-")
                    continue
                if entry.get("error"):
                    cells.append(f"{entry['count']:,} coalitions: over the cap, not listed")
                    continue
                lines = [f"{entry['count']} in all"]
                for c in entry["coalitions"][:shown]:
                    extra = f", range {c['range']:g}" if key == "minimal_range" else ""
                    lines.append(f"{c['rank']}. {', '.join(c['labels'])} ({c['share']:.0%}{extra})")
                cells.append("\n".join(lines))
            table.add_row(issue if m == 0 else "", title, *cells,
                          end_section=m == len(THEORIES) - 1)
    return table


def _blocs(report: CoalitionReport) -> Table | None:
    if not report.blocs:
        return None
    tolerance = next(iter(report.blocs.values()))["tolerance"]
    table = Table(
        title=f"Blocs in the forecast ({report.model}): final positions within "
              f"{tolerance:.0%} of the scale of each other",
        title_justify="left",
    )
    table.add_column("issue")
    for state in report.states:
        table.add_column(state, overflow="fold")
    for issue in [*report.issues, None]:
        cells = []
        for state in report.states:
            data = report.blocs.get(state, {})
            found = (data.get("across_issues", []) if issue is None
                     else data.get("per_issue", {}).get(issue, []))
            cells.append("\n".join(", ".join(b["labels"]) for b in found) or "-")
        table.add_row(issue or "all issues", *cells)
    return table


def report_tables(report: CoalitionReport, width: int = 160) -> Group:
    """All tables of the report as one Rich renderable; below ``NARROW`` columns the wide
    tables are split so that every header keeps its words whole."""
    if width < NARROW:
        parts = [
            _summary(report, SUMMARY_COLUMNS[:7]),
            _summary(report, ("coalition", "as of", "joiners", "strongest opponents"),
                     title="Who could tip them: joiners and strongest opponents", caption=False),
            _members(report, ("gain",)), _members(report, ("pivotal on",)),
            _members(report, ("power",)), _issues(report)]
    else:
        parts = [_summary(report), _members(report), _issues(report)]
    for extra in (_theories(report), _blocs(report)):
        if extra is not None:
            parts.append(extra)
    changes = _changes(report)
    if changes is not None:
        parts.append(changes)
    return Group(*parts)


def render_report(report: CoalitionReport, console: Console | None = None) -> None:
    """Print the report's tables."""
    console = console or Console()
    console.print(report_tables(report, console.width))


def power_tables(power) -> Group:
    """Tables of :func:`allegiance.coalitions.scenario_power.scenario_power`: one per game."""
    names = {a.id: a.name for a in power.scenario.actors}
    issue_names = {i.id: i.name for i in power.scenario.issues}
    parts = []
    for game in power.games:
        data = game.to_dict()
        relation = ">" if data["strict"] else ">="
        where = ("every issue" if len(power.games) == 1 and len(game.issues) > 1
                 else ", ".join(issue_names[i] for i in game.issues))
        table = Table(
            title=f"Power indices - {where}: a coalition wins with weight {relation} "
                  f"{data['quota']:g} of {data['total_weight']:g} ({power.rule.describe()})",
            title_justify="left",
            caption="Shapley-Shubik: share of orders of arrival in which the actor is pivotal; "
                    "Banzhaf: share of swings (normalised), and the probability of being a "
                    "swing voter (absolute)" + ("" if data["exact"] else
                                                "; weights rounded, see the JSON for bounds"),
        )
        for column in ("actor", "weight", "Shapley-Shubik", "Banzhaf", "Banzhaf absolute"):
            table.add_column(column, justify="left" if column == "actor" else "right")
        order = sorted(game.actors, key=lambda a: -data["shapley_shubik"][a])
        for actor in order:
            table.add_row(names.get(actor, actor), f"{data['weights'][actor]:g}",
                          f"{data['shapley_shubik'][actor]:.4f}", f"{data['banzhaf'][actor]:.4f}",
                          f"{data['banzhaf_absolute'][actor]:.4f}")
        parts.append(table)
    return Group(*parts)


def power_rows(power) -> tuple[list[str], list[list]]:
    """Tidy rows for ``allegiance power --format csv``: one row per issue and actor."""
    header = ["issue", "actor", "weight", "quota", "total_weight", "shapley_shubik", "banzhaf",
              "banzhaf_absolute"]
    rows = []
    for game in power.games:
        data = game.to_dict()
        for issue in game.issues:
            for actor in game.actors:
                rows.append([issue, actor, data["weights"][actor], data["quota"],
                             data["total_weight"], data["shapley_shubik"][actor],
                             data["banzhaf"][actor], data["banzhaf_absolute"][actor]])
    return header, rows


def report_rows(document: dict) -> tuple[list[str], list[list]]:
    """Tidy rows of ``CoalitionReport.to_dict()`` for ``--format csv``: one number per row, for
    each coalition and dated state; ``issue`` and ``actor`` are empty where the number is about
    the whole coalition."""
    header = ["coalition", "state", "issue", "actor", "measure", "value"]
    rows: list[list] = []
    for name, assessments in document["coalitions"].items():
        for a in assessments:
            state = a["state"]
            for key in ("share", "winning", "issues_won", "n_issues", "minimal_winning"):
                rows.append([name, state, "", "", key, a[key]])
            for key in ("pivotal", "stay_out", "joiners"):
                rows += [[name, state, "", actor, key, True] for actor in a[key]]
            rows += [[name, state, "", o["actor"], "opposition", o["opposition"]]
                     for o in a["opponents"]]
            for item in a["issues"]:
                for key in ("share", "winning", "spread", "agreed_position", "forecast_outcome",
                            "outcome_with_coalition"):
                    rows.append([name, state, item["issue"], "", key, item[key]])
                rows += [[name, state, item["issue"], actor, "pivotal", True]
                         for actor in item["pivotal"]]
            for d in a["member_details"]:
                for key in ("utility_agreed", "utility_forecast", "gain", "gains_by_joining"):
                    rows.append([name, state, "", d["actor"], key, d[key]])
                rows += [[name, state, issue, d["actor"], "power", value]
                         for issue, value in d["power"].items()]
    return header, rows
