"""The Spatial Model of Politics ("smp"), compatible with KAPSARC's KTAB ``smpc``: multi-issue
challenges, Probabilistic Condorcet Elections and bargains.

Reference: B. Wise, L. Lumley, Y. Mohammed et al., "KTAB: an open-source toolkit for building
agent-based models of collective decision-making", KAPSARC (2015–2017); see
:mod:`allegiance.models.smp.model` for the model and docs/models/smp.md for every formula.

>>> SpatialModel(rounds=5).rounds
5
"""

from allegiance.models.smp.model import SpatialModel
from allegiance.models.smp.options import KTAB_PARAMETER_NAMES, OPTIONS

__all__ = ["KTAB_PARAMETER_NAMES", "OPTIONS", "SpatialModel"]
