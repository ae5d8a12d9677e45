"""Allegiance: forecast how a contested decision turns out.

>>> import allegiance
>>> scenario = allegiance.load_scenario("eu-emissions-1994")
>>> result = allegiance.forecast(scenario, model="mean")
>>> len(result.outcome)
1

The names below load on first use, so that a command which needs none of them (``runs list``,
``db current``) does not pay for importing the models.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING

from allegiance.version import __version__

#: public name -> module that defines it
_EXPORTS = {
    "Forecast": "allegiance.forecast",
    "forecast": "allegiance.forecast",
    "export_scenario": "allegiance.io",
    "load_scenario": "allegiance.io",
    "save_scenario": "allegiance.io",
    "validate_file": "allegiance.io",
    "levers": "allegiance.levers",
    "available_models": "allegiance.models.registry",
    "make_model": "allegiance.models.registry",
    "Scenario": "allegiance.scenario",
    "ScenarioArrays": "allegiance.scenario",
    "ScenarioInvalid": "allegiance.scenario",
}

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

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors
    from allegiance.forecast import Forecast, forecast
    from allegiance.io import export_scenario, load_scenario, save_scenario, validate_file
    from allegiance.levers import levers
    from allegiance.models.registry import available_models, make_model
    from allegiance.scenario import Scenario, ScenarioArrays, ScenarioInvalid


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'allegiance' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


class _Package(types.ModuleType):
    """``allegiance.forecast`` and ``allegiance.levers`` are functions named like the modules
    that define them: importing those modules must not bind the modules in their place."""

    def __setattr__(self, name: str, value) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
