"""Uncertainty: how sure to be of a forecast whose inputs are judgements.

- :mod:`~allegiance.uncertainty.sampling`: every estimate becomes a beta-PERT distribution on its
  range, or on a range derived from its sources' Admiralty grades; reproducible draws.
- :mod:`~allegiance.uncertainty.montecarlo`: the model run on many draws (batched, in chunks):
  outcome distributions, final positions, coalition odds, standard errors, ``until_se``.
- :mod:`~allegiance.uncertainty.executors`: local, local processes, Dask distributed.
- :mod:`~allegiance.uncertainty.sensitivity`: one-at-a-time tornado and first-order Sobol indices.
- :mod:`~allegiance.uncertainty.timeline`: forecasts as of each dated state, and what moved them.

The method is described in ``docs/uncertainty.md``.

Example
-------
>>> import allegiance
>>> from allegiance.uncertainty import run_montecarlo
>>> result = run_montecarlo(allegiance.load_scenario("syria-2014"), "median", runs=500, seed=1)
>>> sorted(result.coalition_summary())[:2]
['local', 'local-us']
"""

from allegiance.uncertainty.executors import (
    DaskExecutor,
    LocalExecutor,
    ProcessExecutor,
    make_executor,
)
from allegiance.uncertainty.montecarlo import MonteCarloResult, run_montecarlo
from allegiance.uncertainty.sampling import DEFAULT_GRADE_WIDTHS, GradeWidths, Sampler
from allegiance.uncertainty.sensitivity import (
    SensitivityResult,
    first_order_indices,
    run_sensitivity,
    tornado,
)
from allegiance.uncertainty.timeline import TimelineResult, run_timeline
from allegiance.uncertainty.verdicts import coalition_verdicts

__all__ = [
    "DEFAULT_GRADE_WIDTHS",
    "DaskExecutor",
    "GradeWidths",
    "LocalExecutor",
    "MonteCarloResult",
    "ProcessExecutor",
    "Sampler",
    "SensitivityResult",
    "TimelineResult",
    "coalition_verdicts",
    "first_order_indices",
    "make_executor",
    "run_montecarlo",
    "run_sensitivity",
    "run_timeline",
    "tornado",
]
