"""Model registry: a name maps to a model class.

Adding a model = one module in ``allegiance.models`` + one entry here + its reference test + its
page in ``docs/models/``. Entries are imported lazily so that a model's dependencies load only
when it is used.
"""

from __future__ import annotations

from difflib import get_close_matches
from importlib import import_module

from allegiance.models.base import Model, ParameterError

#: name -> "module:Class" inside the allegiance.models package
MODELS: dict[str, str] = {
    "mean": "baselines:CompromiseModel",
    "median": "baselines:MedianModel",
    "bdm": "bdm:ExpectedUtilityModel",
    "smp": "smp:SpatialModel",
    "exchange": "exchange:ExchangeModel",
    "nash": "nash:NashBargainingModel",
    "learned": "learned:LearnedModel",
}


class UnknownModelError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


def available_models() -> list[str]:
    """Names of the models whose module is importable."""
    names = []
    for name in MODELS:
        try:
            get_model_class(name)
        except UnknownModelError:
            continue
        names.append(name)
    return names


def get_model_class(name: str) -> type[Model]:
    try:
        target = MODELS[name.lower()]
    except KeyError:
        raise UnknownModelError(
            f"unknown model {name!r}; available: {', '.join(MODELS)}"
        ) from None
    module_name, class_name = target.split(":")
    try:
        module = import_module(f"allegiance.models.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"allegiance.models.{module_name}":
            raise UnknownModelError(f"model {name!r} is not available in this build") from None
        raise
    return getattr(module, class_name)


def make_model(name: str, **params) -> Model:
    """Instantiate the model ``name`` with validated parameters.

    An unknown parameter name is a :class:`ParameterError` that names every unknown parameter,
    suggests the closest accepted name, and lists the accepted ones.
    """
    cls = get_model_class(name)
    accepted = cls.param_names()
    unknown = [key for key in params if key not in accepted]
    if unknown:
        hints = []
        for key in unknown:
            close = get_close_matches(key, accepted, n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ParameterError(
            f"model {cls.name!r} has no parameter {', '.join(hints)}; its parameters: "
            f"{', '.join(accepted) or 'none'}")
    return cls(**params)
