"""Coalition analysis: power indices, winning and connected coalitions, blocs, viability reports.

- :mod:`allegiance.coalitions.power` — Shapley–Shubik and Banzhaf indices of weighted majority
  games, exact by generating functions (:mod:`~allegiance.coalitions.power_kernel`), under the
  quota rules of :mod:`~allegiance.coalitions.quota`;
- :mod:`allegiance.coalitions.formation` — minimal winning (Riker), minimal connected winning
  (Axelrod) and minimal-range (Leiserson, de Swaan) coalitions; :mod:`~allegiance.coalitions.blocs`
  — blocs in a forecast;
- :mod:`allegiance.coalitions.report` — the candidate-coalition report ("is this coalition
  viable, who is pivotal, who would rather stay out?"), imported from its module
  (``from allegiance.coalitions.report import coalition_report``) because it runs models; one
  coalition's assessment is :mod:`~allegiance.coalitions.assessment`, the array functions it
  rests on :mod:`~allegiance.coalitions.utility`.
"""

from allegiance.coalitions.blocs import blocs, blocs_across_issues
from allegiance.coalitions.formation import (
    EnumerationLimitError,
    count_minimal_winning,
    minimal_connected_winning,
    minimal_range_winning,
    minimal_winning_coalitions,
)
from allegiance.coalitions.power import (
    PowerIndices,
    WeightedGame,
    banzhaf,
    power_indices,
    shapley_shubik,
)
from allegiance.coalitions.quota import RULES, QuotaRule, parse_quota

__all__ = [
    "EnumerationLimitError",
    "RULES",
    "PowerIndices",
    "QuotaRule",
    "WeightedGame",
    "banzhaf",
    "blocs",
    "blocs_across_issues",
    "count_minimal_winning",
    "minimal_connected_winning",
    "minimal_range_winning",
    "minimal_winning_coalitions",
    "parse_quota",
    "power_indices",
    "shapley_shubik",
]
