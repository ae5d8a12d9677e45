"""Bueno de Mesquita's expected-utility ("BDM") model, as reconstructed by Scholz, Calbert & Smith
(2011): challenges, compromises and capitulations, round by round, issue by issue.

Reference: J. B. Scholz, G. J. Calbert and G. A. Smith, "Unravelling Bueno de Mesquita's group
decision model", Journal of Theoretical Politics 23(4), 2011; B. Bueno de Mesquita, "Political
forecasting: an expected utility method" (1994). See :mod:`allegiance.models.bdm.model` and
docs/models/bdm.md.

>>> ExpectedUtilityModel(rounds=3).rounds
3
"""

from allegiance.models.bdm.model import VARIANT_DEFAULTS, ExpectedUtilityModel

__all__ = ["VARIANT_DEFAULTS", "ExpectedUtilityModel"]
