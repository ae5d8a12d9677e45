"""Constants of the exchange model, the expected outcome, and the list of potential exchanges
of a round in the reference order (issue pairs, then quadrant pairs, then actors).

Reference: F. N. Stokman and R. van Oosten, "The exchange of voting positions: an
object-oriented model of policy networks", in B. Bueno de Mesquita and F. N. Stokman (eds.),
*European Community Decision Making*, Yale University Press 1994, 105-127; the reference
implementation decide-exchange-model (release 2025.3.1). See docs/models/exchange.md.
"""

from __future__ import annotations

import numpy as np

from allegiance.models.baselines import weighted_mean

VARIANTS = ("equal-gain", "random-rate")
TIE_BREAKS = ("random", "first")
#: "float": binary floating point, an outcome exactly on a demander's position treated as exact
#: arithmetic treats it; "decimal28": decide's 28-digit decimal arithmetic decides those branches
ARITHMETICS = ("float", "decimal28")
#: which engine runs a batch: the compiled kernel (numba) or the vectorised NumPy round
ENGINES = ("auto", "numpy", "numba")

#: smallest move counted as a move, and smallest gain that makes an exchange worthwhile
_MIN_MOVE = 1e-10
_MIN_GAIN = 1e-10
#: slack when checking that a voting position stays on the 0-100 scale
_EDGE = 1e-9
#: decide-compatible mode: distance to an edge (demander's position, end of the scale) within
#: which an exchange is recomputed in decimal arithmetic
_NEAR = 1e-6
#: fields of a realised-exchange record that are indices
_INDEX_FIELDS = ("index", "I", "J", "P", "Q", "diagonal")


def expected_outcome(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Capability x salience weighted mean per issue. Where no one attaches any salience to an
    issue, the plain mean of the positions, the fallback every model uses (decide writes 0
    there, a value no actor chose)."""
    return weighted_mean(position, weight)


def _candidates(
    position: np.ndarray, salience: np.ndarray, weight: np.ndarray, outcome: np.ndarray,
    tradable: np.ndarray, left: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All potential exchanges in the reference order: (I, J, p, q, diagonal) arrays.

    For issue pairs p < q in order, actors are split into four quadrants by side of the expected
    outcome (left means position <= outcome). Quadrant "a" (right, right) trades with "d" (left,
    left) and "b" (left on p, right on q) with "c"; pairs are listed quadrant-pair by
    quadrant-pair, actors in input order. ``diagonal`` is 0 for a-d and 1 for b-c.
    """
    n_actors, n_issues = position.shape
    first, second = np.triu_indices(n_issues, k=1)
    if left is None:
        left = position <= outcome
    both = tradable[:, first] & tradable[:, second]  # (n, K)
    quadrant = left[:, first].astype(int) + 2 * left[:, second].astype(int)
    quadrant = np.where(both, quadrant, -1)
    qa, qd = quadrant == 0, quadrant == 3
    qb, qc = quadrant == 1, quadrant == 2
    pairs = np.stack(
        [qa.T[:, :, None] & qd.T[:, None, :], qb.T[:, :, None] & qc.T[:, None, :]], axis=1
    )  # (K, 2, n, n)
    k, diagonal, u, v = np.nonzero(pairs)
    p, q = first[k], second[k]
    # I demands p and supplies q: the actor with the larger salience ratio s_p / s_q
    # (cross-multiplied; ratios equal to rounding count as equal, and then u is I)
    lhs, rhs = salience[u, p] * salience[v, q], salience[v, p] * salience[u, q]
    u_larger = ~(lhs < rhs - 1e-12 * np.maximum(np.abs(lhs), np.abs(rhs)))
    actor_i = np.where(u_larger, u, v)
    actor_j = np.where(u_larger, v, u)
    return actor_i, actor_j, p, q, diagonal


class _Groups:
    """Indices of the items sharing each integer key (a compressed sparse row lookup)."""

    def __init__(self, keys: np.ndarray, n_keys: int) -> None:
        self.order = np.argsort(keys, kind="stable")
        self.start = np.searchsorted(keys[self.order], np.arange(n_keys + 1))

    def get(self, key: int) -> np.ndarray:
        return self.order[self.start[key] : self.start[key + 1]]


