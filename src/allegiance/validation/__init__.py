"""Validation: backtests of the models on data sets whose outcomes are known.

- :mod:`allegiance.io.deu_capability`: capability options for the DEU data (equal, the GDP
  proxy, Council votes, Shapley–Shubik power in the procedure's voting game).
- :mod:`allegiance.validation.backtest`: runs every registered model on every issue and scores
  the forecasts against the recorded outcomes.
- :mod:`allegiance.cli.backtest`: the ``allegiance backtest`` command.

See docs/validation.md for the method and the results.
"""

from allegiance.io.deu_capability import OPTIONS as CAPABILITY_OPTIONS
from allegiance.validation.backtest import BacktestResult, run_backtest, tune

__all__ = ["CAPABILITY_OPTIONS", "BacktestResult", "run_backtest", "tune"]
