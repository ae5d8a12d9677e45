"""Forecasting models. See :mod:`allegiance.models.registry` for the list."""

from allegiance.models.base import ExplainTable, Model, ModelResult, ParameterError
from allegiance.models.registry import available_models, get_model_class, make_model

__all__ = [
    "ExplainTable",
    "Model",
    "ModelResult",
    "ParameterError",
    "available_models",
    "get_model_class",
    "make_model",
]
