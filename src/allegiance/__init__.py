"""Allegiance: forecast how a contested decision turns out.

>>> import allegiance
>>> scenario = allegiance.load_scenario("eu-emissions-1994")
>>> result = allegiance.forecast(scenario, model="mean")
>>> len(result.outcome)
1
"""

from allegiance.forecast import Forecast, forecast
from allegiance.io import export_scenario, load_scenario, save_scenario, validate_file
from allegiance.levers import levers
from allegiance.models.registry import available_models, make_model
from allegiance.scenario import Scenario, ScenarioArrays, ScenarioInvalid
from allegiance.version import __version__

__all__ = [
    "Forecast",
    "Scenario",
    "ScenarioArrays",
    "ScenarioInvalid",
    "__version__",
    "available_models",
    "export_scenario",
    "forecast",
    "levers",
    "load_scenario",
    "make_model",
    "save_scenario",
    "validate_file",
]
