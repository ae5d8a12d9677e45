"""What the core commands of :mod:`allegiance.cli` print as tables (Rich): a forecast (compact,
or issue by issue with a sketch of the positions), a scenario's actors × issues with ranges and
source grades, and the lists of models and built-in scenarios."""

from __future__ import annotations

from allegiance.cli.common import console, explain_table, load, new_table, styled
from allegiance.forecast import Forecast
from allegiance.io import builtin_scenarios
from allegiance.models.registry import MODELS, get_model_class
from allegiance.scenario.model import Scenario


def forecast_summary(result: Forecast) -> list[str]:
    """The forecast's summary sentences (:mod:`allegiance.summary`)."""
    from allegiance.summary import summarize

    return summarize("forecast", result.to_dict(), result.scenario)


def render_forecast(result: Forecast, explain: bool = False) -> None:
    from allegiance.summary.render import print_summary

    # the warnings are printed under the model line below, once
    print_summary([line for line in forecast_summary(result) if not line.startswith("Warning")],
                  console)
    scenario = result.scenario
    res = result.result
    stamp = []
    if scenario.derived.get("as_of"):
        stamp.append(f"as of {scenario.derived['as_of']}")
    if scenario.derived.get("variant"):
        stamp.append(f"variant {scenario.derived['variant']}")
    console.print(styled((scenario.title, "bold"), f" ({', '.join(stamp)})" if stamp else ""))
    params = ", ".join(f"{k}={v}" for k, v in result.model.get_params().items())
    console.print(styled("model ", (result.model.name, "bold"), f" ({params})"
                  + (f", seed {result.seed}" if result.seed is not None else "")
                  + f"; {int(res.n_rounds)} round(s)"))
    console.print(f"forecast = {res.outcome_statistic}")
    for warning in result.warnings:
        console.print(styled(("warning:", "bold yellow"), f" {warning}"))
    if len(scenario.issues) > DETAILED_ISSUES:
        _render_compact(result)
    else:
        _render_detailed(result)
    _render_interval_note(result)
    if explain:
        if not res.explain:
            console.print("(this model has nothing to explain: it is static)")
        for table in res.explain:
            console.print(explain_table(table))


#: up to this many issues, the table output shows one table per issue with a sketch of the scale
DETAILED_ISSUES = 4


def _interval_text(interval: dict | None) -> str:
    if not interval:
        return "—"
    return "  ".join(f"{level}% {interval[level][0]:.0f}–{interval[level][1]:.0f}"
                     for level in ("50", "80") if level in interval)


def _render_interval_note(result: Forecast) -> None:
    """What the model interval is (and the model's own notes, e.g. which fitted parts apply)."""
    first = next((v for v in result.intervals.values() if v), None)
    if first:
        console.print(styled((f"model interval: how far this model's forecasts have been from "
                              f"real outcomes — {first['note']}. For the spread from uncertain "
                              f"inputs run `allegiance montecarlo`.", "dim")))
    for note in result.result.extra.get("notes", []) if isinstance(result.result.extra, dict) \
            else []:
        console.print(styled((str(note), "dim")))


def _render_compact(result: Forecast) -> None:
    """Many issues: one table of forecasts, one matrix of actors × issues (start → end)."""
    scenario, res = result.scenario, result.result
    present = scenario.to_arrays().present
    first, last = res.positions[0], res.positions[-1]
    moved = res.positions.shape[0] > 1
    cycling = result.diagnosis.cycling
    issues = new_table(title="forecast per issue", title_justify="left")
    for column in ("issue", "low end", "high end", "forecast", "model interval"):
        issues.add_column(column, justify="right" if column[0] in "fm" else "left")
    for k, issue in enumerate(scenario.issues):
        issues.add_row(issue.name, f"{issue.scale[0]:g} {issue.low_label}".strip(),
                       f"{issue.scale[1]:g} {issue.high_label}".strip(), f"{res.outcome[k]:.1f}",
                       _interval_text(result.intervals.get(issue.id)))
    console.print(issues)
    matrix = new_table(title="positions" + (" (start → end)" if moved else "")
                       + (" ↻ = cycles, see the warnings" if cycling.any() else ""),
                       title_justify="left")
    matrix.add_column("actor")
    for issue in scenario.issues:
        matrix.add_column(issue.id, justify="right")
    for a, actor in enumerate(scenario.actors):
        cells = []
        for k in range(len(scenario.issues)):
            if not present[a, k]:
                cells.append("—")
            elif cycling[a, k]:
                cells.append(f"{first[a, k]:.0f}→{last[a, k]:.0f}↻")
            elif moved and abs(last[a, k] - first[a, k]) > 1e-9:
                cells.append(f"{first[a, k]:.0f}→{last[a, k]:.0f}")
            else:
                cells.append(f"{first[a, k]:.0f}")
        matrix.add_row(actor.name, *cells)
    console.print(matrix)


def _render_detailed(result: Forecast) -> None:
    """Few issues: a table per issue, actors sorted along the scale, with a sketch of it."""
    scenario, res = result.scenario, result.result
    arrays = scenario.to_arrays()
    first, last = res.positions[0], res.positions[-1]
    cycling = result.diagnosis.cycling
    for k, issue in enumerate(scenario.issues):
        low, high = issue.scale
        value = res.outcome[k]
        interval = result.intervals.get(issue.id)
        table = new_table(title=styled(f"{issue.name}: forecast ", (f"{value:.1f}", "bold"),
                                       f" on {low:g} ({issue.low_label or 'low'}) – {high:g} "
                                       f"({issue.high_label or 'high'})"
                                       + (f"; model interval {_interval_text(interval)}"
                                          if interval else "")), title_justify="left")
        longest = max((len(w) for a in scenario.actors for w in a.name.split()), default=5)
        table.add_column("actor", min_width=min(longest, 16))
        for column in ("start", *(("end", "moved") if res.positions.shape[0] > 1 else ()),
                       "salience", "capability"):
            table.add_column(column, justify="right", min_width=len(column))
        table.add_column("where", no_wrap=True)
        bar = 21 if console.width >= 100 else 11  # the sketch narrows before any header does
        order = sorted((a for a in range(arrays.n_actors) if arrays.present[a, k]),
                       key=lambda a: last[a, k])
        for a in order:
            row = [scenario.actors[a].name, f"{first[a, k]:.1f}"]
            if res.positions.shape[0] > 1:
                moved = last[a, k] - first[a, k]
                row += [f"{last[a, k]:.1f}", "cycles" if cycling[a, k]
                        else f"{moved:+.1f}" if abs(moved) > 1e-9 else "·"]
            row += [f"{arrays.salience[a, k]:.2f}", f"{arrays.capability[a, k]:.3g}",
                    _bar(last[a, k], value, low, high, width=bar)]
            table.add_row(*row)
        console.print(table)


def _bar(position: float, outcome: float, low: float, high: float, width: int = 21) -> str:
    """A one-line sketch of the scale: ● the actor, │ the forecast."""
    cells = ["─"] * width
    span = high - low
    at = int(round((position - low) / span * (width - 1)))
    out = int(round((outcome - low) / span * (width - 1)))
    cells[out] = "│"
    cells[at] = "●"
    return "".join(cells)


def _grade(scenario: Scenario, source_ids: list[str]) -> str:
    grades = []
    for sid in source_ids:
        try:
            grades.append(scenario.source(sid).grade)
        except KeyError:
            grades.append("?")
    return ",".join(sorted(set(grades))) or "assumption"


def _estimate(scenario: Scenario, est, digits: int = 1) -> str:
    text = f"{est.value:.{digits}f}"
    if est.low is not None or est.high is not None:
        low = "" if est.low is None else f"{est.low:.{digits}f}"
        high = "" if est.high is None else f"{est.high:.{digits}f}"
        text += f" [{low}–{high}]"
    text += f" ({_grade(scenario, est.all_sources())})"
    if est.history:
        text += f" h{len(est.history)}"
    return text


def render_scenario(scenario: Scenario) -> None:
    console.print(styled((scenario.title, "bold"),
                         f" ({scenario.id}) {scenario.content_hash()[:19]}"))
    if scenario.description:
        console.print(scenario.description.strip())
    if scenario.derived:
        console.print(", ".join(f"{k} {v}" for k, v in scenario.derived.items()))
    issues = new_table(title="issues", title_justify="left")
    for column in ("id", "name", "scale", "low end", "high end", "status quo"):
        issues.add_column(column)
    for issue in scenario.issues:
        issues.add_row(issue.id, issue.name, f"{issue.scale[0]:g}–{issue.scale[1]:g}",
                       issue.low_label, issue.high_label,
                       "" if issue.status_quo is None else f"{issue.status_quo:g}")
    console.print(issues)
    table = new_table(title="actors: value \\[range] (source grades) hN = N dated estimates",
                  title_justify="left")
    table.add_column("actor")
    table.add_column("capability")
    for issue in scenario.issues:
        table.add_column(f"{issue.id}\nposition / salience")
    for actor in scenario.actors:
        row = [actor.name, _estimate(scenario, actor.capability)]
        for issue in scenario.issues:
            stance = actor.issues.get(issue.id)
            row.append("—" if stance is None else
                       f"{_estimate(scenario, stance.position)}\n"
                       f"{_estimate(scenario, stance.salience, 2)}")
        table.add_row(*row)
    console.print(table)
    if scenario.sources:
        sources = new_table(title="sources (Admiralty grade: reliability A–F, credibility 1–6)",
                        title_justify="left")
        for column in ("id", "grade", "title", "date"):
            sources.add_column(column)
        for source in scenario.sources:
            sources.add_row(source.id, source.grade, source.title,
                            "" if source.date is None else source.date.isoformat())
        console.print(sources)
    if scenario.coalitions:
        for name, coalition in scenario.coalitions.items():
            console.print(styled("coalition ", (name, "bold"),
                                 f": {', '.join(coalition.members)}"))
    if scenario.variants:
        for name, variant in scenario.variants.items():
            console.print(styled("variant ", (name, "bold"), f": {variant.description}"))


def render_models() -> None:
    """The forecasting models: name, kind and what each does."""
    table = new_table(title="models", title_justify="left")
    table.add_column("name")
    table.add_column("kind")
    table.add_column("what it does")
    for name in MODELS:
        try:
            cls = get_model_class(name)
        except Exception:  # a model that cannot load is listed as such, not fatal
            table.add_row(name, "", "(not available in this build)")
            continue
        kind = ("multi-issue" if cls.multi_issue else "per issue") + (
            ", stochastic" if cls.stochastic else "")
        table.add_row(name, kind, cls.summary)
    console.print(table)


def render_builtin_scenarios() -> None:
    """The built-in scenarios: name, title and size."""
    table = new_table(title="built-in scenarios", title_justify="left")
    for column in ("name", "title", "actors", "issues"):
        table.add_column(column)
    for name, path in sorted(builtin_scenarios().items()):
        scenario = load(str(path))
        table.add_row(name, scenario.title, str(len(scenario.actors)), str(len(scenario.issues)))
    console.print(table)
