"""The slow, obviously-correct twin of ``allegiance.models.bdm``: plain loops over actors.

Every quantity is computed straight from its definition (docs/models/bdm.md), pair by pair and
voter by voter, with nothing precomputed except the probability denominator of a given set of
positions. Used by the tests (fast vs slow on random scenarios) and by ``bench/bench_bdm.py``.

>>> result = run_oracle([0.0, 40.0, 100.0], [0.9, 0.4, 0.8], [1.0, 1.0, 2.0], rounds=2)
>>> len(result["positions"])
3
"""

from __future__ import annotations

from typing import Any

SCHOLZ_CODE = {
    "probability_denominator": "all-pairs",
    "compromise_rule": "eu-weighted-position",
    "capitulation": "never",
    "risk_reference": "actors",
    "median_statistic": "mean",
}
PAPER = {
    "probability_denominator": "pair",
    "compromise_rule": "smallest-move",
    "capitulation": "loss-exceeds-gain",
    "risk_reference": "positions",
    "median_statistic": "weighted-median",
}


class _State:
    """Positions, weights and risk exponents of one issue at one moment."""

    def __init__(self, x, salience, capability, value_range, q, denominator):
        self.x = list(x)
        self.s = list(salience)
        self.c = list(capability)
        self.n = len(self.x)
        self.range = value_range
        self.q = q
        self.denominator = denominator
        self.r = [1.0] * self.n
        self._all_pairs = None

    def vote(self, k, a_pos, b_pos):
        """Voter k's capability x salience weighted preference for position a over position b."""
        far_b = (abs(self.x[k] - b_pos) / self.range) ** self.r[k]
        far_a = (abs(self.x[k] - a_pos) / self.range) ** self.r[k]
        return self.c[k] * self.s[k] * (far_b - far_a)

    def all_pairs_total(self):
        if self._all_pairs is None:
            total = 0.0
            for k in range(self.n):
                for a in range(self.n):
                    for b in range(self.n):
                        total += abs(self.vote(k, self.x[a], self.x[b]))
            self._all_pairs = total
        return self._all_pairs

    def probability(self, i, j):
        """Probability that actor i's position beats actor j's."""
        if self.x[i] == self.x[j]:
            return 0.0
        numerator = sum(max(0.0, self.vote(k, self.x[i], self.x[j])) for k in range(self.n))
        if self.denominator == "all-pairs":
            denominator = self.all_pairs_total()
        else:
            denominator = sum(abs(self.vote(k, self.x[i], self.x[j])) for k in range(self.n))
        return numerator / denominator if denominator > 0 else 0.0

    def expected_utility(self, viewer, i, j):
        """EU of i challenging j, as seen by ``viewer`` (with the viewer's exponent)."""
        r = self.r[viewer]
        d = abs(self.x[i] - self.x[j]) / self.range
        success = 2 - 4 * max(0.0, 0.5 - 0.5 * d) ** r
        failure = 2 - 4 * (0.5 + 0.5 * d) ** r
        status_quo = 2 - 4 * 0.5**r
        p = self.probability(i, j)
        resist = self.s[j] * (p * success + (1 - p) * failure)
        give_in = (1 - self.s[j]) * success
        return resist + give_in - self.q * status_quo

    def danger(self, i):
        return sum(self.expected_utility(i, o, i) for o in range(self.n) if o != i)


def _acceptance(own, levels):
    high, low = max(levels), min(levels)
    if high == low:
        return 0.0
    return (2 * own - high - low) / (high - low)


def _weighted_median(x, weight):
    """Smallest position with at least half the weight at or below it (midpoint on exact half)."""
    total = sum(weight)
    if total <= 0:
        ordered = sorted(x)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    pairs = sorted(zip(x, weight, strict=True), key=lambda p: p[0])
    half, cumulative = total / 2, 0.0
    tol = 1e-12 * max(total, 1.0)
    for index, (pos, w) in enumerate(pairs):
        cumulative += w
        if cumulative >= half - tol:
            if abs(cumulative - half) <= tol:
                later = [p for p, wt in pairs[index + 1:] if wt > 0]
                return (pos + later[0]) / 2 if later else pos
            return pos
    return pairs[-1][0]


def run_oracle(
    position,
    salience,
    capability,
    rounds: int = 10,
    q: float = 1.0,
    value_range: float | None = None,
    **switches: str,
) -> dict[str, Any]:
    """Run the model on one issue. ``switches`` override the scholz-code settings.

    Returns ``positions`` (rounds + 1 lists), ``moves`` (per round: list of (actor, counterpart,
    kind, eu_actor_challenges, eu_counterpart_challenges, new position)), ``risk`` (per round),
    ``mean`` and ``weighted_median`` per round.
    """
    settings = dict(SCHOLZ_CODE, **switches)
    x = [float(v) for v in position]
    n = len(x)
    if value_range is None:
        value_range = (max(x) - min(x)) or 1.0
    weight = [c * s for c, s in zip(capability, salience, strict=True)]
    positions, moves, risks = [list(x)], [], []
    for _ in range(rounds):
        # risk exponents, computed with every exponent at 1
        state = _State(x, salience, capability, value_range, q, settings["probability_denominator"])
        acceptance = []
        dangers = [state.danger(k) for k in range(n)]
        for i in range(n):
            if settings["risk_reference"] == "actors":
                acceptance.append(_acceptance(dangers[i], dangers))
            else:
                levels = []
                for p in sorted(set(x)):
                    moved = list(x)
                    moved[i] = p
                    alt = _State(moved, salience, capability, value_range, q,
                                 settings["probability_denominator"])
                    levels.append(alt.danger(i))
                acceptance.append(_acceptance(dangers[i], levels))
        risk = [(1 - a / 3) / (1 + a / 3) for a in acceptance]
        state = _State(x, salience, capability, value_range, q, settings["probability_denominator"])
        state.r = list(risk)
        new_x = list(x)
        round_moves = []
        for i in range(n):
            offers: dict[str, list] = {"confrontation": [], "compromise": [], "capitulation": []}
            for j in range(n):
                if j == i or x[i] == x[j]:
                    continue
                eu_ij = state.expected_utility(i, i, j)
                eu_ji = state.expected_utility(i, j, i)
                if eu_ji > eu_ij > 0:
                    offers["confrontation"].append((j, eu_ij, eu_ji, x[j]))
                elif eu_ji > 0 > eu_ij and eu_ji > abs(eu_ij):
                    target = x[i] + (x[j] - x[i]) * abs(eu_ij / eu_ji)
                    offers["compromise"].append((j, eu_ij, eu_ji, target))
                elif (settings["capitulation"] == "loss-exceeds-gain"
                      and eu_ji > 0 > eu_ij and eu_ji < abs(eu_ij)):
                    offers["capitulation"].append((j, eu_ij, eu_ji, x[j]))
            best, kind = None, None
            if offers["confrontation"]:
                kind = "confrontation"
                best = min(offers[kind], key=lambda o: abs(x[i] - o[3]))
            elif offers["compromise"]:
                kind = "compromise"
                if settings["compromise_rule"] == "smallest-move":
                    best = min(offers[kind], key=lambda o: abs(x[i] - o[3]))
                else:
                    best = min(offers[kind], key=lambda o: (abs(o[1]) * x[i] + abs(o[2]) * x[o[0]])
                               / (abs(o[1]) + abs(o[2])))
            elif offers["capitulation"]:
                kind = "capitulation"
                best = min(offers[kind], key=lambda o: abs(x[i] - o[3]))
            if best is not None:
                new_x[i] = best[3]
                round_moves.append((i, best[0], kind, best[1], best[2], best[3]))
        x = new_x
        positions.append(list(x))
        moves.append(round_moves)
        risks.append(risk)
    total = sum(weight)
    means = [
        (sum(w * v for w, v in zip(weight, xs, strict=True)) / total) if total > 0
        else sum(xs) / len(xs)
        for xs in positions
    ]
    medians = [_weighted_median(xs, weight) for xs in positions]
    return {"positions": positions, "moves": moves, "risk": risks, "mean": means,
            "weighted_median": medians}
