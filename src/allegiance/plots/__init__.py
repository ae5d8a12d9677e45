"""Figures of Allegiance's results, built from result documents (the JSON the command line
prints): :mod:`~allegiance.plots.static` (Matplotlib: PNG, SVG, the briefing) and
:mod:`~allegiance.plots.interactive` (Plotly: interactive HTML, the web app), drawing the same
series (:mod:`~allegiance.plots.data`).

=============  ==========================================  =================================
kind           what it shows                               built from
=============  ==========================================  =================================
positions      each actor's position by round, per issue   a forecast (+ a reference one)
outcomes       distribution of each issue's forecast       Monte Carlo documents by model
coalitions     coalition shares (and odds) by date         a timeline or coalition report
tornado        outcome with each judgement at its ends     a sensitivity document
backtest       each model's error on decided cases         a backtest document
=============  ==========================================  =================================

Nothing here imports Matplotlib or Plotly until a figure is built.
"""

#: figure kinds and their one-line descriptions (``allegiance plot KIND``)
KINDS = {
    "positions": "each actor's position by round, per issue (dynamic models)",
    "outcomes": "distribution of each issue's forecast over the judgements' ranges",
    "coalitions": "named coalitions' capability shares and chance of winning by date",
    "tornado": "the forecast with each judgement at the ends of its range",
    "backtest": "the models' errors on decisions with known outcomes (the record)",
}

__all__ = ["KINDS"]
