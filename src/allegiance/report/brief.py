"""The briefing on one terminal screen (``allegiance brief``, what ``make run`` prints): the
forecast by date with its intervals, every named coalition's verdict and chance of winning by
date, the sentences that answer the scenario's question, and the commands to try next. Laid out
for 80 columns.

Rendering only: the numbers come from :func:`allegiance.report.collect.collect`.
"""

from __future__ import annotations

from typing import Any

from allegiance.report.collect import Briefing
from allegiance.summary import summarize
from allegiance.summary.text import number, percent, signed

__all__ = ["brief_renderables", "next_commands"]


def next_commands(briefing: Briefing) -> list[tuple[str, str]]:
    """``(command, what it answers)`` for the scenario of the briefing."""
    name = briefing.scenario.id
    runs = briefing.settings["runs"]
    commands = [(f"allegiance show {name}", "judgements and sources")]
    if briefing.scenario.coalitions:
        commands.append((f"allegiance coalitions {name}", "who is pivotal, who joins"))
    if briefing.timeline:
        commands.append((f"allegiance timeline {name} --runs {runs}", "why it moved"))
        last = briefing.timeline["dates"][-1]["coalitions"]
        losing = sorted((len(briefing.scenario.coalitions[c].members), c) for c, v in last.items()
                        if not v["winning"] and c in briefing.scenario.coalitions)
        if losing:  # the smallest coalition that does not win: what would it take?
            commands.append((f"allegiance levers {name} --coalition {losing[0][1]}",
                             "what it would take"))
    commands += [
        (f"allegiance sensitivity {name}", "what matters most"),
        (f"allegiance forecast {name} --model bdm --explain", "a bargaining model"),
        (f"allegiance report {name} -o briefing.html", "the full briefing"),
    ]
    return commands


def _interval(doc: dict[str, Any] | None, issue: str) -> str:
    if not doc:
        return ""
    q = doc["issues"][issue]["quantiles"]
    return f" [{number(q['0.05'], 0)}–{number(q['0.95'], 0)}]"


def brief_renderables(briefing: Briefing) -> list[Any]:
    """Rich renderables of the one-screen briefing, in order."""
    from rich.table import Table
    from rich.text import Text


    scenario, settings = briefing.scenario, briefing.settings
    question = scenario.description.strip().split("? ")[0] + "?" if "?" in (
        scenario.description or "") else ""
    parts: list[Any] = [
        Text(scenario.title, style="bold"),
        *([Text(question, style="italic")] if question else []),
        Text(f"{settings['content_hash'][:23]}…  allegiance {settings['allegiance_version']}  "
             f"model {settings['analysis_model']}, {settings['runs']:,} draws, seed "
             f"{settings['seed']}", style="dim"),
    ]
    timeline = briefing.timeline
    reference = briefing.forecasts[settings["reference_model"]]
    forecast = Table(title="Forecast (compromise model) [90% interval]",
                     title_justify="left", box=None, pad_edge=False, padding=(0, 1))
    forecast.add_column("issue", no_wrap=True)
    if timeline:
        dates = timeline["dates"]
        for d in dates:
            forecast.add_column(d["date"], justify="right", no_wrap=True)
        forecast.add_column("change", justify="right", no_wrap=True)
        for issue in scenario.issue_ids:
            cells = [number(d["outcome"][issue]) + _interval(d.get("montecarlo"), issue)
                     for d in dates]
            change = dates[-1]["outcome"][issue] - dates[0]["outcome"][issue]
            forecast.add_row(Text(issue), *cells, signed(change))
    else:
        forecast.add_column("forecast", justify="right", no_wrap=True)
        mc = briefing.montecarlo.get(settings["reference_model"])
        for issue in scenario.issue_ids:
            forecast.add_row(Text(issue),
                             number(reference["outcome"][issue]) + _interval(mc, issue))
    parts.append(forecast)
    if scenario.coalitions and timeline:
        rule = timeline.get("quota", "")
        table = Table(title=f"Coalitions (winning: {rule.split(': ')[-1]} on every issue)",
                      title_justify="left", box=None, pad_edge=False, padding=(0, 1))
        for column in ("coalition", "winning", "share", "P(winning)", "would rather stay out"):
            table.add_column(column, no_wrap=column != "would rather stay out",
                             justify="right" if column in ("share", "P(winning)") else "left")
        first, last = timeline["dates"][0], timeline["dates"][-1]
        for name in last["coalitions"]:
            was, now = first["coalitions"][name], last["coalitions"][name]
            mc0 = (first.get("montecarlo") or {}).get("coalitions", {}).get(name)
            mc1 = (last.get("montecarlo") or {}).get("coalitions", {}).get(name)
            odds = f"{percent(mc0['p_winning'])} → {percent(mc1['p_winning'])}" if mc0 and mc1 \
                else ""
            out = [m for m, g in now["gains"].items() if not g]
            verdict = f"{'yes' if was['winning'] else 'no'} → {'yes' if now['winning'] else 'no'}"
            table.add_row(Text(name), verdict,
                          f"{percent(was['share'])} → {percent(now['share'])}", odds,
                          Text(", ".join(out) or "none"))
        parts.append(table)
    lines = summarize("briefing", briefing.to_dict(), scenario)
    if timeline:  # the tables above say the forecast and shares; the words say what they mean
        said = [line for line in summarize("timeline", timeline, scenario)
                if "win in none" in line
                or "rather stay out;" in line or "winning;" in line]
        lines = said + [line for line in lines if not line.startswith(
            (*(f"{name}:" for name in scenario.coalitions), "The compromise model's forecast"))]
    from allegiance.summary.render import summary_text

    parts.append(summary_text(lines))
    nxt = Table(title="Next", title_justify="left", box=None, pad_edge=False, padding=(0, 1),
                show_header=False)
    nxt.add_column("command", no_wrap=True, style="cyan")
    nxt.add_column("what")
    for command, what in next_commands(briefing):
        nxt.add_row(Text(command), what)
    parts.append(nxt)
    return parts
