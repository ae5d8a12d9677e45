"""Matplotlib figures for static files (PNG, SVG) and the HTML/PDF briefing.

Each builder takes result documents (the JSON the command line prints) and returns a
:class:`matplotlib.figure.Figure`; nothing here computes a result. Matplotlib is imported on
first use with the non-interactive Agg back-end, and figures are built with the object API (no
global pyplot state), so they are safe in servers and tests.

>>> from allegiance.plots.static import tornado_figure
>>> doc = {"baseline": {"x": 50.0}, "issues": {"x": [{"parameter": "a.x.position", "low": 0,
...        "high": 40, "outcome_at_low": 45.0, "outcome_at_high": 55.0, "impact": 10.0}]}}
>>> figure = tornado_figure(doc)
>>> len(figure.axes)
1
"""

from __future__ import annotations

import io
import math
from typing import Any

from allegiance.plots.data import (
    coalition_series,
    outcome_series,
    positions_series,
    record_series,
    tornado_series,
)

__all__ = ["backtest_figure", "coalitions_figure", "outcomes_figure", "positions_figure", "save",
           "to_bytes", "tornado_figure"]

#: colour cycle (Okabe–Ito, readable by colour-blind readers), then grey for the rest
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#000000", "#999999", "#882255", "#44AA99", "#117733")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return figure


def _grid(n: int, columns: int = 3) -> tuple[int, int]:
    columns = min(columns, max(n, 1))
    return math.ceil(max(n, 1) / columns), columns


def positions_figure(forecast: dict[str, Any], reference: dict[str, Any] | None = None,
                     issues: list[str] | None = None):
    """Positions by round, one panel per issue: a line per actor, the model's forecast as a
    dashed line, and ``reference`` (e.g. the compromise model's forecast document) dotted."""
    series = positions_series(forecast, reference)
    keys = [k for k in series if issues is None or k in issues]
    rows, columns = _grid(len(keys))
    figure = _figure(4.2 * columns, 3.2 * rows + 0.6)
    actors = sorted({a for k in keys for a in series[k]["lines"]})
    colour = {a: COLOURS[n % len(COLOURS)] for n, a in enumerate(actors)}
    for n, k in enumerate(keys):
        s = series[k]
        ax = figure.add_subplot(rows, columns, n + 1)
        for actor, values in s["lines"].items():
            ax.plot(s["rounds"][:len(values)], values, marker="." if len(values) < 30 else None,
                    color=colour[actor], label=actor, linewidth=1.4)
        if s["outcome"] is not None:
            ax.axhline(s["outcome"], color="black", linestyle="--", linewidth=1,
                       label=f"forecast ({s['model']})")
        if s["reference"] is not None:
            ax.axhline(s["reference"], color="grey", linestyle=":", linewidth=1.4,
                       label=f"{s['reference_model']} (reference)")
        ax.set_ylim(*s["scale"])
        ax.set_title(s["name"], fontsize=9, wrap=True)
        ax.set_xlabel("round")
        ax.set_ylabel("position")
        ax.grid(alpha=0.3)
    handles, labels = figure.axes[0].get_legend_handles_labels() if figure.axes else ([], [])
    seen = dict(zip(labels, handles, strict=False))
    for ax in figure.axes[1:]:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=False):
            seen.setdefault(label, h)
    if seen:
        figure.legend(list(seen.values()), list(seen.keys()), loc="outside lower center",
                      ncols=min(6, len(seen)), fontsize=7, frameon=False)
    figure.suptitle(f"Positions by round — {forecast.get('model', {}).get('name', '?')}",
                    fontsize=11)
    return figure


def outcomes_figure(montecarlo: dict[str, dict[str, Any]]):
    """Outcome distributions, one panel per issue: each model's histogram of the forecast over
    the draws (as a step line), its median and 90% interval below."""
    series = outcome_series(montecarlo)
    rows, columns = _grid(len(series))
    figure = _figure(4.2 * columns, 3.0 * rows + 0.6)
    models = list(montecarlo)
    colour = {m: COLOURS[n % len(COLOURS)] for n, m in enumerate(models)}
    for n, s in enumerate(series.values()):
        ax = figure.add_subplot(rows, columns, n + 1)
        for level, (model, m) in enumerate(s["models"].items()):
            total = sum(m["counts"]) or 1
            shares = [c / total for c in m["counts"]]
            ax.stairs(shares, m["edges"], color=colour[model], label=model, linewidth=1.4)
            y = -0.04 * (level + 1)
            ax.plot([m["q05"], m["q95"]], [y, y], color=colour[model], linewidth=2.5)
            ax.plot([m["median"]], [y], marker="o", color=colour[model], markersize=4)
        ax.set_xlim(*s["scale"])
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_title(s["name"], fontsize=9, wrap=True)
        ax.set_xlabel("forecast outcome")
        ax.set_ylabel("share of draws")
        ax.grid(alpha=0.3)
    if figure.axes:
        handles, labels = figure.axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=min(6, len(labels)),
                      fontsize=7, frameon=False)
    runs = {m.get("runs") for m in montecarlo.values()}
    figure.suptitle("Outcome distributions over the judgements' ranges "
                    f"({'/'.join(str(r) for r in sorted(r for r in runs if r))} draws; "
                    "bars: median and 90% interval)", fontsize=10)
    return figure


def coalitions_figure(document: dict[str, Any]):
    """Coalition capability shares by date (grouped bars; hatched = winning), the quota line,
    and each coalition's chance of winning over the draws above its bars when known."""
    series = coalition_series(document)
    dates, coalitions = series["dates"], series["coalitions"]
    figure = _figure(max(5.5, 1.3 * len(coalitions) * max(len(dates), 1) + 1.5), 3.6)
    ax = figure.add_subplot(1, 1, 1)
    width = 0.8 / max(len(dates), 1)
    for d, date in enumerate(dates):
        xs = [c + (d - (len(dates) - 1) / 2) * width for c in range(len(coalitions))]
        shares = [v["share"][d] for v in coalitions.values()]
        bars = ax.bar(xs, shares, width=width * 0.95, color=COLOURS[d % len(COLOURS)],
                      label=str(date))
        for bar, v in zip(bars, coalitions.values(), strict=True):
            if v["winning"][d]:
                bar.set_hatch("//")
            if v["p_winning"] is not None:
                ax.annotate(f"P(win) {100 * v['p_winning'][d]:.0f}%",
                            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=7)
    if series["quota"] is not None:
        ax.axhline(series["quota"], color="black", linestyle="--", linewidth=1,
                   label=f"quota {100 * series['quota']:.0f}%")
    ax.set_xticks(range(len(coalitions)), list(coalitions))
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of capability (mean over issues)")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.grid(alpha=0.3, axis="y")
    ax.set_title("Coalition shares by date (hatched: winning on every issue)", fontsize=10)
    return figure


def tornado_figure(sensitivity: dict[str, Any], top: int = 8):
    """Tornado per issue: the ``top`` estimates by impact, each bar spanning the outcome with the
    estimate at its low end to that at its high end; the line is the forecast at the stated
    values."""
    series = tornado_series(sensitivity, top)
    rows, columns = _grid(len(series), 2)
    figure = _figure(6.0 * columns, 0.35 * top * rows + 1.2 * rows)
    for n, (issue, s) in enumerate(series.items()):
        ax = figure.add_subplot(rows, columns, n + 1)
        bars = list(reversed(s["bars"]))
        for y, bar in enumerate(bars):
            base = s["baseline"] if s["baseline"] is not None else bar["low"]
            ax.barh(y, bar["low"] - base, left=base, color=COLOURS[0], height=0.7)
            ax.barh(y, bar["high"] - base, left=base, color=COLOURS[1], height=0.7)
        ax.set_yticks(range(len(bars)), [b["parameter"] for b in bars], fontsize=7)
        if s["baseline"] is not None:
            ax.axvline(s["baseline"], color="black", linewidth=1)
        ax.set_title(f"{issue}: outcome with each estimate at its low (blue) / high (orange) end",
                     fontsize=8)
        ax.grid(alpha=0.3, axis="x")
    return figure


def backtest_figure(backtest: dict[str, Any]):
    """The models' record: mean absolute error per model (bars), one group per capability
    option; the compromise model's error as a dashed line in each group."""
    series = record_series(backtest)
    options, models = series["options"], series["models"]
    figure = _figure(9.0, 3.8)
    ax = figure.add_subplot(1, 1, 1)
    width = 0.8 / max(len(models), 1)
    for m, model in enumerate(models):
        xs = [o + (m - (len(models) - 1) / 2) * width for o in range(len(options))]
        values = [options[o].get(model, {}).get("mae", float("nan")) for o in options]
        ax.bar(xs, values, width=width * 0.95, color=COLOURS[m % len(COLOURS)], label=model)
    for o, option in enumerate(options):
        base = options[option].get("mean", {}).get("mae")
        if base is not None:
            ax.plot([o - 0.45, o + 0.45], [base, base], color="black", linestyle="--",
                    linewidth=1)
    ax.set_xticks(range(len(options)), list(options))
    ax.set_ylabel("mean absolute error (points on 0–100)")
    figure.legend(*ax.get_legend_handles_labels(), fontsize=7, frameon=False,
                  ncols=min(6, len(models)), loc="outside lower center")
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(f"Record on {series['dataset']} ({series['issues']} issues with known outcomes; "
                 "dashed: the compromise model)", fontsize=9)
    return figure


def to_bytes(figure, fmt: str = "svg") -> bytes:
    """The figure as ``svg`` (text drawn as paths: no fonts needed) or ``png`` bytes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "allegiance"}):
        figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def save(figure, path: str) -> None:
    """Write the figure to ``path`` (.png or .svg), atomically."""
    from allegiance.io.yaml_format import write_atomic

    fmt = path.rsplit(".", 1)[-1].lower()
    if fmt not in ("png", "svg"):
        raise ValueError(f"a static figure is written as .png or .svg; got {path!r}")
    data = to_bytes(figure, fmt)
    write_atomic(path, data)
