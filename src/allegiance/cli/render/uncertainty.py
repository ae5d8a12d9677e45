"""The tables of the ``montecarlo``, ``sensitivity`` and ``timeline`` commands (Rich, on standard
output): what :mod:`allegiance.cli.uncertainty` prints, and ``allegiance runs show`` for a stored
run."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from allegiance.cli.common import console, styled
from allegiance.uncertainty.montecarlo import MonteCarloResult
from allegiance.uncertainty.sensitivity import SensitivityResult
from allegiance.uncertainty.timeline import TimelineResult

SPARK = " ▁▂▃▄▅▆▇█"


def _spark(counts: list[int]) -> str:
    top = max(counts) or 1
    return "".join(SPARK[int(round(c / top * (len(SPARK) - 1)))] for c in counts)


def _f(value: float, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _signed(value: float, digits: int = 1) -> str:
    """A signed change; "·" when it rounds to zero."""
    text = f"{value:+.{digits}f}"
    return "·" if float(text) == 0 else text


def _pct(p: float, se: float | None = None) -> str:
    small = 0 < p < 0.01
    text = f"{100 * p:.2g}%" if small else f"{100 * p:.1f}%"
    if se is None:
        return text
    return text + (f" ±{100 * se:.2g}" if small else f" ±{100 * se:.1f}")


def _prob(p: float, se: float, n: int) -> str:
    """A probability with its standard error; at 0 or 1 the rule-of-three 95% bound instead."""
    if n and p == 0:
        return f"0% (≤{100 * 3 / n:.2g}%)"
    if n and p == 1:
        return f"100% (≥{100 - 100 * 3 / n:.4g}%)"
    return _pct(p, se)


def _summary(kind: str, document: dict[str, Any], scenario) -> None:
    """The summary sentences at the top of a table output (a stored document's own, or made
    from the numbers)."""
    from allegiance.summary import summarize
    from allegiance.summary.render import print_summary

    lines = document.get("summary") or summarize(kind, document, scenario)
    print_summary(lines, console)


def _header(provenance: dict[str, Any]) -> None:
    s = provenance["scenario"]
    stamp = [f"as of {s['as_of']}"] if s.get("as_of") else []
    if s.get("variant"):
        stamp.append(f"variant {s['variant']}")
    console.print(styled((s["title"], "bold"), (f" ({', '.join(stamp)})" if stamp else "")
                         + f"  {s['content_hash'][:19]}"))
    params = ", ".join(f"{k}={v}" for k, v in provenance["model"]["parameters"].items())
    console.print(styled("model ", (provenance["model"]["name"], "bold"),
                         f" ({params}); seed {provenance['seed']}; allegiance "
                         f"{provenance['allegiance_version']}"))


def render_montecarlo(result: MonteCarloResult) -> None:
    _summary("montecarlo", result.to_dict(), result.scenario)
    provenance = result.provenance()
    _header(provenance)
    stop = ""
    if result.until_se is not None:
        reached = result.runs < result.requested_runs or max(
            result.headline_se().values(), default=0.0) <= result.until_se
        stop = (f"; --until-se {result.until_se:g} "
                + ("reached" if reached else "NOT reached within --runs"))
    console.print(f"{result.runs} draws (chunks of {result.chunk_size}, executor "
                  f"{result.executor.get('name')} × {result.executor.get('workers')}){stop}")
    wide = console.width >= 110  # narrower: no quartiles, no histogram
    issues = Table(title="outcome per issue (forecast of each draw)", title_justify="left")
    levels = ("0.05", "0.25", "0.5", "0.75", "0.95") if wide else ("0.05", "0.5", "0.95")
    names = {"0.05": "5%", "0.25": "25%", "0.5": "median", "0.75": "75%", "0.95": "95%"}
    for column in ("issue", "at values", "mean ± se", *(names[q] for q in levels),
                   *(("histogram",) if wide else ()), "model 80%"):
        issues.add_column(column, justify="left" if column[0] in "ih" else "right",
                          no_wrap=column in ("issue", "histogram"))
    for issue, s in result.issue_summary().items():
        q = s["quantiles"]
        low, high = s["scale"]
        issues.add_row(issue, _f(s["baseline"]), f"{_f(s['mean'], 2)} ± {s['se']:.2g}",
                       *(_f(q[k]) for k in levels),
                       *((f"{low:g} {_spark(s['histogram']['counts'])} {high:g}",) if wide
                         else ()),
                       "—" if not s.get("model_interval") else
                       "{:.0f}–{:.0f}".format(*s["model_interval"]["80"]))
    console.print(issues)
    console.print(styled(("5%–95%: spread of the forecast over the draws (how unsure the inputs "
                          "are); model 80%: the model's calibrated interval around the forecast "
                          "at the values (how far its forecasts have been from real outcomes) — "
                          "two different uncertainties, not to be added.", "dim")))
    actors = Table(title="final positions per actor: median [5%–95%]", title_justify="left")
    actors.add_column("actor")
    for issue in result.scenario.issue_ids:
        actors.add_column(issue, justify="right")
    for actor, stances in result.actor_summary().items():
        row = [actor]
        for issue in result.scenario.issue_ids:
            s = stances.get(issue)
            row.append("—" if s is None else f"{_f(s['quantiles']['0.5'])} "
                       f"[{_f(s['quantiles']['0.05'])}–{_f(s['quantiles']['0.95'])}]")
        actors.add_row(*row)
    console.print(actors)
    if result.coalitions:
        table = Table(title=f"coalitions: P(winning) under {result.quota.description} on every "
                      "issue; P(member gains by joining)", title_justify="left")
        for column in ("coalition", "share", "P(winning)", "members: P(gains)"):
            table.add_column(column)
        for name, s in result.coalition_summary().items():
            gains = ", ".join(f"{m} {_pct(p)}" for m, p in s["p_gains"].items())
            table.add_row(name, f"{100 * s['share_mean']:.1f}%",
                          _prob(s["p_winning"], s["se_winning"], result.runs), gains)
        console.print(table)
    figures = result.headline_se()
    if figures:
        worst = max(figures, key=figures.get)
        console.print(f"largest headline standard error: {figures[worst]:.4f} ({worst}; issue "
                      "means as a fraction of the scale)")


def render_sensitivity(result: SensitivityResult, top: int) -> None:
    _summary("sensitivity", result.to_dict(top), result.tornado.scenario)
    _header(result.montecarlo.provenance())
    console.print(f"one at a time: each estimate to its low and high end; Sobol S1 from "
                  f"{result.montecarlo.runs} draws ({result.bins} bins)")
    for k, issue in enumerate(result.tornado.scenario.issues):
        table = Table(title=f"{issue.name} ({issue.id}): forecast "
                      f"{result.tornado.baseline[k]:.1f}; top drivers", title_justify="left")
        for column in ("estimate", "value [low–high]", "range from", "outcome at low",
                       "at high", "impact", "Sobol S1"):
            table.add_column(column, justify="left" if column == "estimate" else "right",
                             no_wrap=column == "estimate" and console.width >= 110,
                             overflow="fold" if column == "estimate" else "ellipsis")
        for row in result.drivers(issue.id, top):
            table.add_row(row["parameter"], f"{row['value']:.3g} [{row['low']:.3g}–"
                          f"{row['high']:.3g}]", row["origin"], _f(row["outcome_at_low"]),
                          _f(row["outcome_at_high"]), _f(row["impact"]),
                          f"{row['sobol']:.2f}")
        table.caption = (f"top {top} by impact, then any of the top {top} by Sobol index not "
                         f"listed; sum of first-order indices {result.sobol[:, k].sum():.2f} "
                         "(the rest is interaction)")
        console.print(table)
    for name, rows in result.coalition_drivers(top).items():
        if rows:
            console.print(styled("coalition ", (name, "bold"), " winning depends most on: "
                                 + ", ".join(f"{r['parameter']} ({r['sobol']:.2f})"
                                             for r in rows)))


def render_timeline(result: TimelineResult, top: int) -> None:
    _summary("timeline", result.to_dict(), result.scenario)
    scenario = result.scenario
    params = ", ".join(f"{k}={v}" for k, v in result.model.get_params().items())
    console.print(styled((scenario.title, "bold"), f"  {scenario.content_hash()[:19]}"))
    console.print(styled("model ", (result.model.name, "bold"),
                         f" ({params}); seed {result.seed}"))
    table = Table(title="forecast by date" + (" (Monte Carlo 5%–95% below)" if result.runs
                                              else ""), title_justify="left")
    table.add_column("date", no_wrap=True)
    for issue in scenario.issue_ids:
        table.add_column(issue, justify="right")
    for point in result.points:
        row = [point.date.isoformat()]
        for k, issue in enumerate(scenario.issue_ids):
            text = _f(point.outcome[k])
            if point.montecarlo:
                s = point.montecarlo["issues"][issue]
                text += f"\n[{_f(s['quantiles']['0.05'])}–{_f(s['quantiles']['0.95'])}]"
            row.append(text)
        table.add_row(*row)
    console.print(table)
    if result.points[0].coalitions:
        verdicts = Table(title=f"coalition verdicts by date ({result.quota.description} on every "
                         "issue)", title_justify="left")
        for column in ("coalition", "date", "share", "winning", "P(winning)",
                       "would rather stay out"):
            verdicts.add_column(column, no_wrap=column in ("coalition", "date"))
        for name in result.points[0].coalitions:
            for i, point in enumerate(result.points):
                verdict = point.coalitions[name]
                out = [m for m, g in verdict["gains"].items() if not g]
                p_win = (_prob(point.montecarlo["coalitions"][name]["p_winning"],
                               point.montecarlo["coalitions"][name]["se_winning"],
                               point.montecarlo["runs"])
                         if point.montecarlo else "")
                verdicts.add_row(name if i == 0 else "", point.date.isoformat(),
                                 f"{100 * verdict['share']:.1f}%",
                                 styled(("yes", "green") if verdict["winning"] else ("no", "red")),
                                 p_win,
                                 ", ".join(out) or "none",
                                 end_section=i == len(result.points) - 1)
        console.print(verdicts)
    for move in result.moves:
        changes = ", ".join(f"{issue} {_signed(move.change[k])}"
                            for k, issue in enumerate(scenario.issue_ids))
        console.print(styled("\n", (f"{move.start} → {move.end}", "bold"), f": {changes}"))
        if not move.drivers:
            console.print("  no estimate changed")
            continue
        drivers = Table(title=f"estimate changes, largest effect first ({len(move.drivers)} "
                        "changed)", title_justify="left")
        drivers.add_column("estimate", no_wrap=True)
        drivers.add_column("from → to", justify="right")
        for issue in scenario.issue_ids:
            drivers.add_column(f"effect on {issue}", justify="right")
        for d in move.drivers[:top]:
            drivers.add_row(d["parameter"], f"{d['from']:.3g} → {d['to']:.3g}",
                            *(_signed(d["effect"][issue]) for issue in scenario.issue_ids))
        drivers.add_row("(interaction)", "", *(_signed(x) for x in move.interaction))
        console.print(drivers)
        for verdict in move.verdicts:
            line = (f"  {verdict['coalition']}: share {100 * verdict['share_from']:.0f}% → "
                    f"{100 * verdict['share_to']:.0f}%")
            for flip in verdict["flips"]:
                by = ", ".join(flip["flipped_alone_by"]) or "no single change (joint effect)"
                line += f"; {flip['what']}: {flip['from']} → {flip['to']} (alone: {by})"
            console.print(line)
