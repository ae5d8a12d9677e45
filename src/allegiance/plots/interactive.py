"""Plotly figures for interactive HTML (``allegiance plot ... -o FILE.html``) and the web app.

Each builder takes result documents (the JSON the command line prints, or a stored run's
result) and returns a :class:`plotly.graph_objects.Figure`, drawing the same series as the
Matplotlib figures (:mod:`allegiance.plots.data`). Plotly is imported on first use.

>>> from allegiance.plots.interactive import coalitions_figure
>>> doc = {"states": ["current"], "rule": {"fraction": 0.5},
...        "coalitions": {"ab": [{"share": 0.7, "winning": True}]}}
>>> [trace.type for trace in coalitions_figure(doc).data]
['bar']
"""

from __future__ import annotations

from typing import Any

from allegiance.plots.data import (
    coalition_series,
    outcome_series,
    positions_series,
    record_series,
    tornado_series,
)
from allegiance.plots.static import COLOURS

__all__ = ["backtest_figure", "coalitions_figure", "outcomes_figure", "positions_figure",
           "to_html", "tornado_figure"]


def _subplots(n: int, titles: list[str], columns: int = 3, **options: Any):
    from plotly.subplots import make_subplots

    columns = min(columns, max(n, 1))
    rows = -(-max(n, 1) // columns)
    return make_subplots(rows=rows, cols=columns, subplot_titles=titles, **options), columns


def positions_figure(forecast: dict[str, Any], reference: dict[str, Any] | None = None):
    """Positions by round, one panel per issue; the forecast dashed, ``reference`` dotted."""
    series = positions_series(forecast, reference)
    figure, columns = _subplots(len(series), [s["name"] for s in series.values()])
    actors = sorted({a for s in series.values() for a in s["lines"]})
    colour = {a: COLOURS[n % len(COLOURS)] for n, a in enumerate(actors)}
    for n, s in enumerate(series.values()):
        row, col = n // columns + 1, n % columns + 1
        for actor, values in s["lines"].items():
            figure.add_scatter(x=s["rounds"][:len(values)], y=values, mode="lines+markers",
                               name=actor, legendgroup=actor, showlegend=n == 0,
                               line={"color": colour[actor]}, row=row, col=col)
        if s["outcome"] is not None:
            figure.add_hline(y=s["outcome"], line_dash="dash", line_color="black",
                             annotation_text=f"forecast ({s['model']})", row=row, col=col)
        if s["reference"] is not None:
            figure.add_hline(y=s["reference"], line_dash="dot", line_color="grey",
                             annotation_text=f"{s['reference_model']}", row=row, col=col)
        figure.update_yaxes(range=list(s["scale"]), title_text="position", row=row, col=col)
        figure.update_xaxes(title_text="round", row=row, col=col)
    figure.update_layout(title=f"Positions by round — {forecast.get('model', {}).get('name')}",
                         template="plotly_white")
    return figure


def outcomes_figure(montecarlo: dict[str, dict[str, Any]]):
    """Outcome distributions per issue: each model's histogram over the draws, with its median
    and 90% interval in the hover text."""
    series = outcome_series(montecarlo)
    figure, columns = _subplots(len(series), [s["name"] for s in series.values()])
    models = list(montecarlo)
    colour = {m: COLOURS[n % len(COLOURS)] for n, m in enumerate(models)}
    for n, s in enumerate(series.values()):
        row, col = n // columns + 1, n % columns + 1
        for model, m in s["models"].items():
            total = sum(m["counts"]) or 1
            centres = [(a + b) / 2 for a, b in zip(m["edges"], m["edges"][1:], strict=False)]
            figure.add_scatter(
                x=centres, y=[c / total for c in m["counts"]], mode="lines",
                line={"shape": "hvh", "color": colour[model]}, name=model, legendgroup=model,
                showlegend=n == 0, row=row, col=col,
                hovertemplate=(f"{model}: median {m['median']:.1f}, 90% interval "
                               f"{m['q05']:.1f}–{m['q95']:.1f}<br>%{{x:.1f}}: %{{y:.1%}}"
                               "<extra></extra>"))
        figure.update_xaxes(range=list(s["scale"]), title_text="forecast outcome", row=row,
                            col=col)
        figure.update_yaxes(title_text="share of draws", tickformat=".0%", row=row, col=col)
    figure.update_layout(title="Outcome distributions over the judgements' ranges",
                         template="plotly_white")
    return figure


def coalitions_figure(document: dict[str, Any]):
    """Coalition capability shares by date (grouped bars), the quota line, chances of winning
    in the hover text when the document has draws."""
    import plotly.graph_objects as go

    series = coalition_series(document)
    figure = go.Figure()
    names = list(series["coalitions"])
    for d, date in enumerate(series["dates"]):
        texts = []
        for v in series["coalitions"].values():
            text = "winning" if v["winning"][d] else "not winning"
            if v["p_winning"] is not None:
                text += f"; P(win) {100 * v['p_winning'][d]:.1f}%"
            texts.append(text)
        figure.add_bar(x=names, y=[v["share"][d] for v in series["coalitions"].values()],
                       name=str(date), marker_color=COLOURS[d % len(COLOURS)], hovertext=texts,
                       marker_pattern_shape=["/" if v["winning"][d] else ""
                                             for v in series["coalitions"].values()])
    if series["quota"] is not None:
        figure.add_hline(y=series["quota"], line_dash="dash",
                         annotation_text=f"quota {100 * series['quota']:.0f}%")
    figure.update_layout(barmode="group", template="plotly_white",
                         title="Coalition shares by date (hatched: winning on every issue)",
                         yaxis={"range": [0, 1], "tickformat": ".0%",
                                "title": "share of capability"})
    return figure


def tornado_figure(sensitivity: dict[str, Any], top: int = 8):
    """Tornado per issue: outcome with each of the ``top`` estimates at its low and high end."""
    series = tornado_series(sensitivity, top)
    figure, columns = _subplots(len(series), list(series), columns=2,
                                horizontal_spacing=0.25)
    for n, s in enumerate(series.values()):
        row, col = n // columns + 1, n % columns + 1
        bars = list(reversed(s["bars"]))
        base = s["baseline"] or 0.0
        labels = [b["parameter"] for b in bars]
        for end, colour in (("low", COLOURS[0]), ("high", COLOURS[1])):
            figure.add_bar(y=labels, x=[b[end] - base for b in bars], base=base,
                           orientation="h", marker_color=colour, name=f"estimate at its {end}",
                           legendgroup=end, showlegend=n == 0, row=row, col=col,
                           hovertemplate="%{y}: outcome %{x:.1f}<extra></extra>")
        figure.add_vline(x=base, line_color="black", row=row, col=col)
    figure.update_layout(barmode="overlay", template="plotly_white",
                         title="Which judgements move each forecast (one at a time)")
    return figure


def backtest_figure(backtest: dict[str, Any]):
    """The models' record: mean absolute error per model and capability option, with the
    difference from the compromise model and its 95% interval in the hover text."""
    import plotly.graph_objects as go

    series = record_series(backtest)
    figure = go.Figure()
    options = list(series["options"])
    for m, model in enumerate(series["models"]):
        rows = [series["options"][o].get(model, {}) for o in options]
        hover = []
        for r in rows:
            text = f"{model}: MAE {r.get('mae', float('nan')):.1f}"
            if r.get("low") is not None and model != "mean":
                text += (f"; vs mean {r['vs_mean']:+.2f} [{r['low']:+.2f}, {r['high']:+.2f}]")
            hover.append(text)
        figure.add_bar(x=options, y=[r.get("mae") for r in rows], name=model,
                       marker_color=COLOURS[m % len(COLOURS)], hovertext=hover,
                       hoverinfo="text")
    figure.update_layout(barmode="group", template="plotly_white",
                         title=f"Record on {series['dataset']} ({series['issues']} issues)",
                         yaxis={"title": "mean absolute error (points on 0–100)"})
    return figure


def to_html(figure, full_page: bool = True) -> str:
    """The figure as HTML with Plotly's JavaScript inline (no CDN, works offline)."""
    return figure.to_html(include_plotlyjs=True, full_html=full_page)
