"""The briefing as one self-contained HTML page (and PDF through headless Chromium).

:func:`render_html` fills ``templates/briefing.html.j2`` (Jinja2 with autoescaping on: every
name, label and note from the scenario is data and is escaped) with a :class:`Briefing`'s
documents, their summary sentences and the figures of :mod:`allegiance.plots.static`, each
embedded as a base64 SVG image — no script, font, stylesheet or image is fetched from anywhere.
:func:`write_pdf` prints that page with Chromium (``--headless --print-to-pdf``).

Example
-------
>>> from allegiance.report.collect import collect
>>> page = render_html(collect("eu-emissions-1994", models=["mean"], runs=50, seed=1))
>>> page.startswith("<!DOCTYPE html>") and 'id="section-forecasts"' in page
True
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from allegiance.report.collect import Briefing
from allegiance.scenario.model import CREDIBILITY, RELIABILITY
from allegiance.summary import summarize
from allegiance.summary.text import number, percent

__all__ = ["SECTIONS", "chromium", "figures", "render_html", "write_pdf", "write_png"]

#: section id -> heading, in page order
SECTIONS = {
    "section-answer": "The answer",
    "section-question": "The question and the scenario",
    "section-forecasts": "Forecasts by model",
    "section-coalitions": "Coalition verdicts by date",
    "section-levers": "What it would take",
    "section-changes": "What changed between the dated states, and why",
    "section-sensitivity": "Which judgements matter most",
    "section-caveats": "Caveats",
    "section-reproduce": "Reproducing this briefing",
}


def _image(figure) -> str:
    from allegiance.plots.static import to_bytes

    data = base64.b64encode(to_bytes(figure, "svg")).decode("ascii")
    return f"data:image/svg+xml;base64,{data}"


def figures(briefing: Briefing) -> list[dict[str, str]]:
    """The briefing's figures: ``id``, ``title``, ``caption`` and ``src`` (a data: URI)."""
    from allegiance.plots import static

    found = []
    reference = briefing.forecasts.get(briefing.settings["reference_model"])
    for name, doc in briefing.forecasts.items():
        if len(doc.get("rounds") or []) > 1:
            found.append({"id": f"figure-positions-{name}", "title": f"Positions by round: {name}",
                          "caption": "Each actor's position after each round; dashed: the "
                          "model's forecast; dotted: the compromise model's (reference).",
                          "src": _image(static.positions_figure(doc, reference))})
    if briefing.montecarlo:
        found.append({"id": "figure-outcomes", "title": "Outcome distributions",
                      "caption": "Share of the draws forecasting each outcome, per model; bars "
                      "below: median and 90% interval.",
                      "src": _image(static.outcomes_figure(briefing.montecarlo))})
    shares = briefing.timeline or briefing.coalitions
    if shares:
        found.append({"id": "figure-coalitions", "title": "Coalition shares by date",
                      "caption": "Mean capability share of each named coalition; hatched: "
                      "winning on every issue; the dashed line is the quota.",
                      "src": _image(static.coalitions_figure(shares))})
    if briefing.record:
        found.append({"id": "figure-record", "title": "The models' record",
                      "caption": "Mean absolute error of each model on decisions with known "
                      "outcomes, per capability option; dashed: the compromise model.",
                      "src": _image(static.backtest_figure(briefing.record))})
    if briefing.sensitivity:
        found.append({"id": "figure-tornado", "title": "Tornado: one judgement at a time",
                      "caption": "The forecast with each estimate at the low (blue) and high "
                      "(orange) end of its range, the others at their values.",
                      "src": _image(static.tornado_figure(briefing.sensitivity))})
    return found


def _scenario_tables(briefing: Briefing) -> dict[str, Any]:
    scenario = briefing.scenario
    sources = [{"id": s.id, "grade": s.grade, "title": s.title,
                "date": "" if s.date is None else s.date.isoformat(),
                "meaning": f"{RELIABILITY[s.reliability]}. {CREDIBILITY[int(s.credibility)]}."}
               for s in scenario.sources]
    grade = {s.id: s.grade for s in scenario.sources}

    def grades(estimate) -> str:
        found = sorted({grade.get(sid, "?") for sid in estimate.all_sources()})
        return ", ".join(found) or "assumption"

    def estimate(e, digits: int = 0) -> str:
        text = number(e.value, digits)
        if e.low is not None or e.high is not None:
            text += f" [{number(e.low, digits) if e.low is not None else ''}–" \
                    f"{number(e.high, digits) if e.high is not None else ''}]"
        return text

    actors = []
    for actor in scenario.actors:
        stances = {}
        for issue in scenario.issues:
            stance = actor.issues.get(issue.id)
            stances[issue.id] = None if stance is None else {
                "position": estimate(stance.position), "salience": estimate(stance.salience, 2),
                "grades": grades(stance.position)}
        actors.append({"id": actor.id, "name": actor.name,
                       "capability": estimate(actor.capability),
                       "capability_grades": grades(actor.capability), "issues": stances})
    issues = [{"id": i.id, "name": i.name, "scale": f"{number(i.scale[0])}–{number(i.scale[1])}",
               "low_label": i.low_label, "high_label": i.high_label,
               "points": [(number(p.value), p.label) for p in i.points],
               "status_quo": None if i.status_quo is None else number(i.status_quo)}
              for i in scenario.issues]
    return {"actors": actors, "issues": issues, "sources": sources,
            "coalitions": {n: c.members for n, c in scenario.coalitions.items()}}


def _forecast_table(briefing: Briefing) -> list[dict[str, Any]]:
    rows = []
    for issue in briefing.scenario.issues:
        cells = []
        for name, doc in briefing.forecasts.items():
            value = doc["outcome"].get(issue.id)
            mc = (briefing.montecarlo.get(name) or {}).get("issues", {}).get(issue.id)
            cells.append({"model": name, "value": number(value),
                          "interval": "" if mc is None else
                          f"{number(mc['quantiles']['0.05'])}–{number(mc['quantiles']['0.95'])}"})
        rows.append({"issue": issue.id, "name": issue.name, "cells": cells})
    return rows


def _coalition_table(briefing: Briefing) -> list[dict[str, Any]]:
    rows = []
    report = briefing.coalitions or {}
    timeline = {d["date"]: d for d in (briefing.timeline or {}).get("dates", [])}
    for name, items in (report.get("coalitions") or {}).items():
        for a in items:
            mc = (timeline.get(a["state"], {}).get("montecarlo") or {}).get("coalitions", {})
            p = mc.get(name, {}).get("p_winning")
            rows.append({"coalition": name, "members": ", ".join(a["members"]),
                         "state": a["state"], "share": percent(a["share"]),
                         "winning": a["winning"], "issues": f"{a['issues_won']}/{a['n_issues']}",
                         "p_winning": "" if p is None else percent(p),
                         "pivotal": ", ".join(a["pivotal"]) or "—",
                         "stay_out": ", ".join(a["stay_out"]) or "—",
                         "joiners": ", ".join(a["joiners"]) or "—"})
    return rows


def _odds_table(briefing: Briefing) -> list[dict[str, Any]]:
    """Each named coalition's chance of winning under each model (Monte Carlo)."""
    rows = []
    for name in briefing.scenario.coalitions:
        cells = []
        for model in briefing.forecasts:
            c = (briefing.montecarlo.get(model) or {}).get("coalitions", {}).get(name)
            cells.append("" if c is None else percent(c["p_winning"]))
        rows.append({"coalition": name, "cells": cells})
    return rows


def _caveats(briefing: Briefing) -> list[str]:
    scenario = briefing.scenario
    lines = []
    cited: dict[str, int] = {}
    for _, est in scenario.estimates():
        for sid in set(est.all_sources()):
            cited[sid] = cited.get(sid, 0) + 1
    weak = [s for s in scenario.sources if s.reliability == "F" or int(s.credibility) >= 4]
    for s in weak:
        lines.append(f"Unverified: {s.id} ({s.grade}: {RELIABILITY[s.reliability].split(':')[0]}, "
                     f"{CREDIBILITY[int(s.credibility)].split(':')[0].lower()}) — cited by "
                     f"{cited.get(s.id, 0)} estimate(s).")
    for doc in briefing.forecasts.values():
        lines.extend(line for line in summarize("forecast", doc, scenario)
                     if line.startswith(("Warning", "Degenerate", "No forecast")))
    lines.extend(briefing.problems)
    if briefing.record:
        lines.extend(f"Record: {line}" for line in summarize("backtest", briefing.record))
    return lines


def render_html(briefing: Briefing) -> str:
    """The briefing as one self-contained HTML page."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True, lstrip_blocks=True,
    )
    scenario = briefing.scenario
    docs = briefing.to_dict()
    summaries = {
        "answer": summarize("briefing", docs, scenario),
        "forecasts": {n: summarize("forecast", d, scenario) for n, d in
                      briefing.forecasts.items()},
        "montecarlo": {n: [line for line in summarize("montecarlo", d, scenario)
                           if not line.startswith("Coalition ")]
                       for n, d in briefing.montecarlo.items()},
        "coalitions": summarize("coalitions", briefing.coalitions, scenario)
        if briefing.coalitions else [],
        "timeline": summarize("timeline", briefing.timeline, scenario)
        if briefing.timeline else [],
        "sensitivity": summarize("sensitivity", briefing.sensitivity, scenario)
        if briefing.sensitivity else [],
        "levers": {name: summarize("levers", doc, scenario)
                   for name, doc in briefing.levers.items()},
    }
    drivers = []
    for move in (briefing.timeline or {}).get("moves", []):
        for d in move["drivers"][:8]:
            drivers.append({"span": f"{move['from']} → {move['to']}", "parameter": d["parameter"],
                            "change": f"{number(d['from'])} → {number(d['to'])}",
                            "effects": {i: number(e) for i, e in d["effect"].items()}})
    ranking = []
    for issue, rows in ((briefing.sensitivity or {}).get("issues") or {}).items():
        for row in rows[:8]:
            ranking.append({"issue": issue, "parameter": row["parameter"],
                            "range": f"{number(row['low'])}–{number(row['high'])}",
                            "origin": row["origin"], "impact": number(row["impact"]),
                            "sobol": number(row.get("sobol"), 2)})
    template = environment.get_template("briefing.html.j2")
    return template.render(
        briefing=briefing, settings=briefing.settings, scenario=scenario,
        sections=SECTIONS, summaries=summaries, tables=_scenario_tables(briefing),
        forecast_rows=_forecast_table(briefing), models=list(briefing.forecasts),
        coalition_rows=_coalition_table(briefing), odds_rows=_odds_table(briefing),
        drivers=drivers,
        issue_ids=scenario.issue_ids, ranking=ranking, caveats=_caveats(briefing),
        figures={f["id"]: f for f in figures(briefing)},
    )


#: the flags that run Chromium headless here without touching the network or a profile
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


def chromium() -> str:
    """The Chromium executable (``ALLEGIANCE_CHROMIUM``, else chromium on the PATH)."""
    found = os.environ.get("ALLEGIANCE_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser") or shutil.which("google-chrome")
    if not found:
        raise RuntimeError("PDF output needs Chromium (Debian: apt-get install chromium); "
                           "write .html instead")
    return found


def _chromium(html: str, path: str | Path, options: list[str], name: str,
              timeout: float) -> None:
    """Load ``html`` in headless Chromium with ``options`` writing ``{out}``; move it to
    ``path`` atomically."""
    with tempfile.TemporaryDirectory(prefix="allegiance-chromium-") as work:
        page = Path(work) / "briefing.html"
        page.write_text(html, encoding="utf-8")
        out = Path(work) / name
        command = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={Path(work) / 'profile'}",
                   *(o.format(out=out) for o in options), page.as_uri()]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"Chromium could not write {name} (exit {proc.returncode}): "
                               f"{proc.stderr.strip()[-400:]}")
        from allegiance.io.yaml_format import write_atomic

        write_atomic(path, out.read_bytes())


def write_pdf(html: str, path: str | Path, timeout: float = 120) -> None:
    """Print ``html`` to a PDF (A4) at ``path`` with headless Chromium (atomically)."""
    _chromium(html, path, ["--no-pdf-header-footer", "--print-to-pdf={out}"], "briefing.pdf",
              timeout)


def write_png(html: str, path: str | Path, width: int = 1100, height: int = 1500,
              timeout: float = 120) -> None:
    """A screenshot of the page's first ``width`` × ``height`` pixels, as a PNG at ``path``."""
    _chromium(html, path, [f"--window-size={width},{height}", "--hide-scrollbars",
                           "--screenshot={out}"], "briefing.png", timeout)
