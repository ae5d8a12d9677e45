"""Coalition analysis: power indices, winning and connected coalitions, blocs, viability reports.

- :mod:`allegiance.coalitions.power` — Shapley–Shubik and Banzhaf indices of weighted majority
  games, exact by generating functions;
- :mod:`allegiance.coalitions.formation` — minimal winning (Riker), minimal connected winning
  (Axelrod) and minimal-range (Leiserson, de Swaan) coalitions, and blocs in a forecast;
- :mod:`allegiance.coalitions.report` — the candidate-coalition report ("is this coalition
  viable, who is pivotal, who would rather stay out?"), imported from its module
  (``from allegiance.coalitions.report import coalition_report``) because it runs models.
"""

from allegiance.coalitions.formation import (
    EnumerationLimitError,
    blocs,
    blocs_across_issues,
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
