"""The exchange model: actors trade voting positions across pairs of issues.

An actor gives ground on an issue it cares little about in return for ground on an issue it cares
a lot about (Stokman & van Oosten 1994, "The exchange of voting positions: an object-oriented model
of policy networks", in Bueno de Mesquita & Stokman (eds.), *European Community Decision Making*,
Yale University Press, 105-127). The *equal-gain* solution fixes the terms of each trade so that
both partners gain the same utility; the *randomised* refinement of Dijkstra, van Assen, Stokman &
Draaijer ("Random variation of exchange rates in the equal utility exchange model", 2018) varies
the terms at random around the equal-gain point with strength ``p``; the *random-rate* variant
draws the exchange rate uniformly between the two partners' break-even rates.

One round, on positions rescaled to 0-100 per issue:

1. The expected outcome of every issue is the capability x salience weighted mean of positions.
2. For every pair of issues (p, q) and every pair of actors on opposite sides of the expected
   outcome on both issues, an exchange exists when their relative saliences differ: the actor
   with the larger salience ratio s_p / s_q (called I) demands p and supplies q; its partner J
   supplies p and demands q. The actor who moves its full distance to the partner's position is
   the one whose full move keeps the partner's move within the partner's own distance; the shift
   of the expected outcome on p (dp) and on q (dq) then stand in the ratio that equalises the
   gains, dq / dp = (s_Ip + s_Jp) / (s_Iq + s_Jq); a move that would push an expected outcome
   past the demander's own position is shortened so that the outcome stops there.
3. Exchanges are realised one at a time, highest gain first. After each one every exchange
   that shares a supplying actor-issue with it continues from the new voting position, and every
   exchange whose demander was served by it sees the moved outcome; exchanges that no longer pay
   are dropped.
4. At the end of the round each actor votes with its last realised voting position (the round's
   *voting* outcome is computed on these), and its position for the next round becomes
   ``x + ((1 - s) * salience_weight + fixed_weight) * (y - x)``.

This module reproduces the semantics of the reference implementation ``decide-exchange-model``
(release 2022.1.28), including its validity rules for moves, except where the documentation in
``docs/models/exchange.md`` says otherwise.

Example
-------
>>> import numpy as np
>>> from allegiance.scenario.arrays import ScenarioArrays
>>> arrays = ScenarioArrays(("a", "b", "c", "d"), ("x", "y"),
...     position=[[0.0, 100.0], [100.0, 0.0], [20.0, 60.0], [80.0, 30.0]],
...     salience=[[0.9, 0.3], [0.2, 0.8], [0.5, 0.5], [0.5, 0.5]],
...     capability=[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
...     scale_low=[0.0, 0.0], scale_high=[100.0, 100.0])
>>> result = ExchangeModel(rounds=2, tie_break="first").run(arrays)
>>> result.positions.shape
(3, 4, 2)
>>> result.events[0]["kind"]
'exchange'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from allegiance.models.base import (
    ExplainTable,
    Model,
    ModelResult,
    ParameterError,
    as_generator,
    check_choice,
    check_number,
)
from allegiance.models.baselines import weighted_mean
from allegiance.scenario.arrays import ScenarioArrays

VARIANTS = ("equal-gain", "random-rate")
TIE_BREAKS = ("random", "first")

#: smallest move counted as a move, and smallest gain that makes an exchange worthwhile
_MIN_MOVE = 1e-10
_MIN_GAIN = 1e-10
#: slack when checking that a voting position stays on the 0-100 scale
_EDGE = 1e-9
#: fields of a realised-exchange record that are indices
_INDEX_FIELDS = ("index", "I", "J", "P", "Q", "diagonal")


@dataclass
class RoundRecord:
    """What happened in one round (normalised 0-100 scale)."""

    preference_outcome: np.ndarray  # (n_issues,) expected outcome at the start of the round
    voting_outcome: np.ndarray  # (n_issues,) expected outcome on the voting positions
    voting_position: np.ndarray  # (n_actors, n_issues)
    next_position: np.ndarray  # (n_actors, n_issues)
    candidates: dict[str, np.ndarray]  # first calculation of every exchange of the round
    realized: dict[str, np.ndarray]  # realised exchanges in order
    externalities: np.ndarray  # (n_realized, n_actors) utility change of every actor
    inner: np.ndarray  # (n_realized, n_actors) actor on the exchange's diagonal of the quadrants
    ties: int


def expected_outcome(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Capability x salience weighted mean per issue. Where no one attaches any salience to an
    issue, the plain mean of the positions, the fallback every model uses (decide writes 0
    there, a value no actor chose)."""
    return weighted_mean(position, weight)


def _candidates(
    position: np.ndarray, salience: np.ndarray, weight: np.ndarray, outcome: np.ndarray,
    tradable: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All potential exchanges in the reference order: (I, J, p, q, diagonal) arrays.

    For issue pairs p < q in order, actors are split into four quadrants by side of the expected
    outcome (left means position <= outcome). Quadrant "a" (right, right) trades with "d" (left,
    left) and "b" (left on p, right on q) with "c"; pairs are listed quadrant-pair by
    quadrant-pair, actors in input order. ``diagonal`` is 0 for a-d and 1 for b-c.
    """
    n_actors, n_issues = position.shape
    first, second = np.triu_indices(n_issues, k=1)
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


class _Round:
    """Vectorised state of all potential exchanges of one round."""

    def __init__(
        self,
        position: np.ndarray,
        salience: np.ndarray,
        capability: np.ndarray,
        present: np.ndarray,
        variant: str,
        p: float,
        tie_break: str,
        tie_tolerance: float,
        rng: np.random.Generator,
    ) -> None:
        self.x0 = position
        self.salience = salience
        self.present = present
        self.weight = capability * salience * present
        self.denominator = self.weight.sum(axis=0)
        self.weighted_sum = (self.weight * position).sum(axis=0)
        self.outcome = expected_outcome(position, self.weight)
        self.variant = variant
        self.p = p
        self.tie_break = tie_break
        self.tie_tolerance = tie_tolerance
        self.rng = rng
        n_actors, n_issues = position.shape
        tradable = present & (self.weight > 0) & (salience > 0)
        i, j, p_issue, q_issue, diagonal = _candidates(
            position, salience, self.weight, self.outcome, tradable
        )
        self.I, self.J, self.P, self.Q, self.diagonal = i, j, p_issue, q_issue, diagonal
        self.quadrant_left = position <= self.outcome
        size = len(i)
        self.size = size
        s, w, x0 = salience, self.weight, position
        self.sIp, self.sIq = s[i, p_issue], s[i, q_issue]
        self.sJp, self.sJq = s[j, p_issue], s[j, q_issue]
        self.wIq, self.wJp = w[i, q_issue], w[j, p_issue]
        self.Dp, self.Dq = self.denominator[p_issue], self.denominator[q_issue]
        # targets: each supplier moves towards its partner's position on the supplied issue
        self.tI = x0[j, q_issue]
        self.tJ = x0[i, p_issue]
        self.startI = x0[i, q_issue]
        self.startJ = x0[j, p_issue]
        self.posI = self.startI.copy()
        self.posJ = self.startJ.copy()
        # exchange rate dq / dp
        equal_rate = (self.sIp + self.sJp) / (self.sIq + self.sJq)
        if variant == "random-rate":
            low = self.sJp / self.sJq  # J's break-even rate
            high = self.sIp / self.sIq  # I's break-even rate
            self.rate = low + (high - low) * rng.random(size)
        else:
            self.rate = equal_rate
        self.moveI = np.zeros(size)
        self.moveJ = np.zeros(size)
        self.yI = self.posI.copy()
        self.yJ = self.posJ.copy()
        self.gainI = np.zeros(size)
        self.gainJ = np.zeros(size)
        self.key = np.zeros(size)
        self.dp = np.zeros(size)
        self.dq = np.zeros(size)
        self.nbs0I = np.zeros(size)
        self.nbs1I = np.zeros(size)
        self.nbs0J = np.zeros(size)
        self.nbs1J = np.zeros(size)
        # history of planned moves of each side (moves made obsolete by a realised exchange)
        self.hist = {
            side: {
                "sum": np.zeros(size),
                "min": np.full(size, np.inf),
                "max": np.full(size, -np.inf),
            }
            for side in ("I", "J")
        }
        self.valid = np.zeros(size, dtype=bool)
        self.static: np.ndarray | None = None
        # exchanges grouped by the actor-issue cell each side supplies / demands
        cells = n_actors * n_issues
        self.n_issues = n_issues
        self.by_supply_i = _Groups(i * n_issues + q_issue, cells)
        self.by_supply_j = _Groups(j * n_issues + p_issue, cells)
        self.by_demand_i = _Groups(i * n_issues + p_issue, cells)
        self.by_demand_j = _Groups(j * n_issues + q_issue, cells)
        # positions received by a demander: received[a, k, b] = b's voting position on issue k as
        # seen by demander a after b supplied k to a in a realised exchange
        self.received: dict[tuple[int, int, int], float] = {}
        # shift of the demander's view of the outcome numerator from received positions, per
        # demander cell (actor * n_issues + issue), and the part due to each supplier
        self.offset = np.zeros(n_actors * n_issues)
        self.received_shift = np.zeros(n_actors * n_issues * n_actors)
        self.has_received = np.zeros(n_actors * n_issues * n_actors, dtype=bool)
        # per exchange and side: the demander cell, the received-shift slot of the supplier, and
        # the supplier's weight and start, the round-start weighted sum of the others on the issue,
        # and the issue's denominator
        cell_i, cell_j = j * n_issues + q_issue, i * n_issues + p_issue
        self.view = {
            "I": (cell_i, cell_i * n_actors + i, self.wIq, self.startI,
                  self.weighted_sum[q_issue] - self.wIq * self.startI, self.Dq),
            "J": (cell_j, cell_j * n_actors + j, self.wJp, self.startJ,
                  self.weighted_sum[p_issue] - self.wJp * self.startJ, self.Dp),
        }
        # the same, gathered in one step: (weight, others, denominator) and (cell, slot)
        self.view_terms = {side: np.column_stack([v[2], v[4], v[5]])
                           for side, v in self.view.items()}
        self.view_cells = {side: np.column_stack([v[0], v[1]]) for side, v in self.view.items()}
        self.ties = 0

    # ------------------------------------------------------------------ calculation
    def _move_ok(self, side: str, index: np.ndarray, pos: np.ndarray, move: np.ndarray):
        """Moves must be real, stay on the scale, and agree in direction with the history."""
        hist = self.hist[side]
        after = pos + move
        return (
            (np.abs(move) > _MIN_MOVE)
            & (after >= -_EDGE)
            & (after <= 100.0 + _EDGE)
            & (hist["sum"][index] + move <= 100.0)
            & (((move > 0) & (hist["min"][index] > 0)) | ((move < 0) & (hist["max"][index] < 0)))
        )

    def _outcome_seen(self, index: np.ndarray, side: str, *votes: np.ndarray):
        """Expected outcome on the side's supply issue with that side voting ``votes``.

        The view is the round-start positions, changed by the positions the opposite actor (the
        demander of this issue) received in realised exchanges, and the supplier's own vote
        (which replaces any position the demander received from the supplier).
        """
        w, others, d = self.view_terms[side][index].T
        cell, slot = self.view_cells[side][index].T
        base = others + self.offset[cell] - self.received_shift[slot]
        return tuple((base + w * vote) / d for vote in votes)

    def calculate(self, index: np.ndarray) -> None:
        """(Re)compute the terms of the exchanges ``index`` from their current positions."""
        if index.size == 0:
            return
        if self.static is None:
            self.static = np.column_stack(
                [self.rate * np.ones(self.size), self.tI, self.tJ, self.wIq, self.wJp, self.Dp,
                 self.Dq, self.sIq, self.sIp, self.sJp, self.sJq]
            )
        rate, tI, tJ, wIq, wJp, Dp, Dq, sIq, sIp, sJp, sJq = self.static[index].T
        posI, posJ = self.posI[index], self.posJ[index]
        distI, distJ = np.abs(tI - posI), np.abs(tJ - posJ)
        # J moves all the way to I's position on p ...
        dp = distJ * wJp / Dp
        dq = dp * rate
        moveI = dq * Dq / wIq
        moveJ = distJ
        # ... unless I's matching move would overshoot J's position on q: then I moves fully
        over = moveI > distI
        if over.any():
            dq = np.where(over, distI * wIq / Dq, dq)
            dp = np.where(over, dq / rate, dp)
            moveI = np.where(over, distI, moveI)
            moveJ = np.where(over, dp * Dp / wJp, moveJ)
        moveI = np.where(posI > tI, -moveI, moveI)
        moveJ = np.where(posJ > tJ, -moveJ, moveJ)
        # the side that moves all the way lands exactly on its partner's position
        yI = np.where(over, tI, posI + moveI)
        yJ = np.where(over, posJ + moveJ, tJ)
        gainI = np.abs(dq * sIq - dp * sIp)
        gainJ = np.abs(dp * sJp - dq * sJq)
        self.moveI[index], self.moveJ[index] = moveI, moveJ
        self.yI[index], self.yJ[index] = yI, yJ
        self.dp[index], self.dq[index] = dp, dq
        self.gainI[index], self.gainJ[index] = gainI, gainJ
        key = gainI if self.variant == "equal-gain" else np.minimum(gainI, gainJ)
        self.key[index] = key
        valid = (
            self._move_ok("I", index, posI, moveI)
            & self._move_ok("J", index, posJ, moveJ)
            & (key >= _MIN_GAIN)
        )
        self.valid[index] = valid
        index = index[valid]
        if index.size == 0:
            return
        # (each shortening below re-checks the validity of the moves it changes)
        self._stop_at_demander(index, "I")
        self._stop_at_demander(index, "J")
        if self.variant == "equal-gain" and self.p > 0:
            self._randomise(index[self.valid[index]])

    def _stop_at_demander(self, index: np.ndarray, side: str) -> None:
        """Shorten a move that would push the expected outcome past the demander's position."""
        if side == "I":
            pos, y, target = self.posI[index], self.yI[index], self.tI[index]
        else:
            pos, y, target = self.posJ[index], self.yJ[index], self.tJ[index]
        nbs0, nbs1 = self._outcome_seen(index, side, pos, y)
        before, after = target - nbs0, target - nbs1
        above = (before >= 0) & (after >= 0)
        below = (before <= 0) & (after <= 0)
        # only a move that carries the outcome from one side of the demander's position to the
        # other is shortened; an outcome already at that position, or brought exactly to it (to
        # rounding), is left alone, as in the reference with exact arithmetic
        cross = ~(above | below) & (np.abs(before) > _EDGE) & (np.abs(after) > _EDGE)
        if side == "I":
            self.nbs0I[index], self.nbs1I[index] = nbs0, nbs1
        else:
            self.nbs0J[index], self.nbs1J[index] = nbs0, nbs1
        if not cross.any():
            return
        idx = index[cross]
        # outcome shift on the supply issue that brings the outcome to the demander's position;
        # like the reference, measured from the position the demander last received from this
        # supplier when there is one (not from the supplier's current position), and then applied
        # from the current position
        _, slot, weight, start, _, denominator = self.view[side]
        own = slot[idx]
        stale = np.where(
            self.has_received[own],
            (self.received_shift[own] - weight[idx] * (pos[cross] - start[idx])) / denominator[idx],
            0.0,
        )
        shift = np.abs(target[cross] - (nbs0[cross] + stale))
        rate = self.rate[idx]
        if side == "I":
            dq, dp = shift, shift / rate
        else:
            dp, dq = shift, shift * rate
        moveI = dq * self.Dq[idx] / self.wIq[idx]
        moveJ = dp * self.Dp[idx] / self.wJp[idx]
        posI, posJ = self.posI[idx], self.posJ[idx]
        moveI = np.where(posI > self.tI[idx], -moveI, moveI)
        moveJ = np.where(posJ > self.tJ[idx], -moveJ, moveJ)
        self.moveI[idx], self.moveJ[idx] = moveI, moveJ
        self.yI[idx], self.yJ[idx] = posI + moveI, posJ + moveJ
        self.dp[idx], self.dq[idx] = dp, dq
        gainI = np.abs(dq * self.sIq[idx] - dp * self.sIp[idx])
        gainJ = np.abs(dp * self.sJp[idx] - dq * self.sJq[idx])
        self.gainI[idx], self.gainJ[idx] = gainI, gainJ
        if self.variant == "equal-gain":
            # the reference reports the gain of the actor opposite the shortened one
            self.key[idx] = gainJ if side == "I" else gainI
        else:
            self.key[idx] = np.minimum(gainI, gainJ)
        self.valid[idx] = self._move_ok("I", idx, posI, moveI) & self._move_ok(
            "J", idx, posJ, moveJ
        )
        voting = self.yI[idx] if side == "I" else self.yJ[idx]
        (nbs1,) = self._outcome_seen(idx, side, voting)
        if side == "I":
            self.nbs1I[idx] = nbs1
        else:
            self.nbs1J[idx] = nbs1

    def _randomise(self, index: np.ndarray) -> None:
        """Randomised equal gain: one partner's gain varies around the equal gain by ``p``.

        With probability 1/2 each partner is the one whose gain varies; with probability 1/2 it
        wins ``p * z * (g_max - g)`` and otherwise loses ``p * z * g`` (z uniform on [0, 1]),
        where g_max is what that partner gets when the other partner only breaks even (within the
        moves available). The other partner's gain follows from the moves.
        """
        if index.size == 0:
            return
        u = self.rng.random(index.size)
        v = self.rng.random(index.size)
        z = self.rng.random(index.size)
        dp, dq = self.dp[index], self.dq[index]
        sIp, sIq, sJp, sJq = self.sIp[index], self.sIq[index], self.sJp[index], self.sJq[index]
        gain = self.gainI[index]
        pick_i = u < 0.5
        # utility of each partner at the other's break-even rate, same outcome shifts available
        # I breaks even at dq/dp = sIp/sIq, J at dq/dp = sJp/sJq
        max_i = dp * sIp - dp * (sJp / sJq) * sIq  # J breaks even, I keeps dp
        max_j = dq * sJq - dq * (sIq / sIp) * sJp  # I breaks even, J keeps dq
        max_i = np.maximum(max_i, gain)
        max_j = np.maximum(max_j, gain)
        g_max = np.where(pick_i, max_i, max_j)
        wins = v < 0.5
        g_new = np.where(wins, gain + self.p * z * (g_max - gain), gain - self.p * z * gain)
        # the chosen partner's gain becomes g_new: I keeps the shift on p it receives and gives
        # up what balances it on q; J keeps the shift on q and gives up what balances it on p
        new_dq = np.where(pick_i, (dp * sIp - g_new) / sIq, dq)
        new_dp = np.where(pick_i, dp, (dq * sJq - g_new) / sJp)
        # no move may exceed the mover's distance: scale both shifts down where needed
        limit_q = np.abs(self.tI[index] - self.posI[index]) * self.wIq[index] / self.Dq[index]
        limit_p = np.abs(self.tJ[index] - self.posJ[index]) * self.wJp[index] / self.Dp[index]
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.minimum(
                np.where(new_dq > limit_q, limit_q / new_dq, 1.0),
                np.where(new_dp > limit_p, limit_p / new_dp, 1.0),
            )
        new_dq, new_dp = new_dq * scale, new_dp * scale
        moveI = new_dq * self.Dq[index] / self.wIq[index]
        moveJ = new_dp * self.Dp[index] / self.wJp[index]
        posI, posJ = self.posI[index], self.posJ[index]
        moveI = np.where(posI > self.tI[index], -moveI, moveI)
        moveJ = np.where(posJ > self.tJ[index], -moveJ, moveJ)
        self.moveI[index], self.moveJ[index] = moveI, moveJ
        self.yI[index], self.yJ[index] = posI + moveI, posJ + moveJ
        self.dp[index], self.dq[index] = new_dp, new_dq
        gainI = new_dp * sIp - new_dq * sIq
        gainJ = new_dq * sJq - new_dp * sJp
        self.gainI[index], self.gainJ[index] = gainI, gainJ
        self.key[index] = np.minimum(gainI, gainJ)
        self.valid[index] = (
            self._move_ok("I", index, posI, moveI)
            & self._move_ok("J", index, posJ, moveJ)
            & (gainI >= 0)
            & (gainJ >= 0)
        )
        (self.nbs1I[index],) = self._outcome_seen(index, "I", self.yI[index])
        (self.nbs1J[index],) = self._outcome_seen(index, "J", self.yJ[index])

    # ------------------------------------------------------------------ realisation
    def _choose(self, score: np.ndarray) -> int:
        """Index of the exchange to realise next (-1: none): the highest gain, ties broken by the
        rule. ``score`` is the gain of every waiting exchange and -inf for the others.

        Gains within ``tie_tolerance`` of the best count as tied. ``"first"`` takes the tied
        exchange listed first; ``"random"`` flips a fair coin between the two listed first (the
        reference flips a coin between the two at the top of its sorted list).
        """
        if score.size == 0:
            return -1
        top = int(score.argmax())
        best = score[top]
        if best == -np.inf:
            return -1
        score[top] = -np.inf
        runner_up = score.max()
        score[top] = best
        if runner_up < best - self.tie_tolerance:
            return top
        tied = np.flatnonzero(score >= best - self.tie_tolerance)
        self.ties += 1
        if self.tie_break == "random" and self.rng.random() >= 0.5:
            return int(tied[1])
        return int(tied[0])

    def _receive(self, demander: int, issue: int, supplier: int, start: float, y: float) -> None:
        """Record that ``demander`` received ``supplier``'s vote ``y`` on ``issue``."""
        key = (demander, issue, supplier)
        old = self.received.get(key)
        if old is not None:
            # keep the smaller displacement from the supplier's start (reference behaviour)
            y = min(old, y) if start <= old else max(old, y)
        self.received[key] = y
        cell = demander * self.n_issues + issue
        slot = cell * self.x0.shape[0] + supplier
        shift = self.weight[supplier, issue] * (y - self.x0[supplier, issue])
        self.offset[cell] += shift - self.received_shift[slot]
        self.received_shift[slot] = shift
        self.has_received[slot] = True

    def run(self) -> dict[str, list]:
        everything = np.arange(self.size)
        self.calculate(everything)
        self.first = {
            "I": self.I.copy(), "J": self.J.copy(), "P": self.P.copy(), "Q": self.Q.copy(),
            "gain": self.key.copy(), "valid": self.valid.copy(),
            "moveI": self.moveI.copy(), "moveJ": self.moveJ.copy(),
            "yI": self.yI.copy(), "yJ": self.yJ.copy(),
        }
        alive = self.valid.copy()
        score = np.where(alive, self.key, -np.inf)
        order: list[int] = []  # realised exchanges, in order (their terms no longer change)
        mark = np.zeros(self.size, dtype=bool)
        while True:
            r = self._choose(score)
            if r < 0:
                break
            alive[r] = False
            score[r] = -np.inf
            order.append(r)
            ri, rj, rp, rq = int(self.I[r]), int(self.J[r]), int(self.P[r]), int(self.Q[r])
            yI, yJ = float(self.yI[r]), float(self.yJ[r])
            # who is touched by this exchange: same supplier on the same issue, or a demander
            # served by it (cells are actor * n_issues + issue)
            m = self.n_issues
            gave_i, gave_j = ri * m + rq, rj * m + rp  # cells supplied by I and by J
            took_j, took_i = rj * m + rq, ri * m + rp  # cells demanded by J and by I
            served = np.concatenate([
                self.by_demand_j.get(took_j), self.by_demand_j.get(took_i),
                self.by_demand_i.get(took_j), self.by_demand_i.get(took_i),
            ])
            served = served[alive[served]]
            self._receive(rj, rq, ri, float(self.startI[r]), yI)
            self._receive(ri, rp, rj, float(self.startJ[r]), yJ)
            # a matched side continues from the realised voting position; its planned move
            # becomes history
            touched = [served]
            for side, groups in (("I", self.by_supply_i), ("J", self.by_supply_j)):
                position = self.posI if side == "I" else self.posJ
                planned = self.moveI if side == "I" else self.moveJ
                hist = self.hist[side]
                for cell, y in ((gave_i, yI), (gave_j, yJ)):
                    idx = groups.get(cell)
                    idx = idx[alive[idx]]
                    if idx.size == 0:
                        continue
                    move = planned[idx]
                    hist["sum"][idx] += move
                    hist["min"][idx] = np.minimum(hist["min"][idx], move)
                    hist["max"][idx] = np.maximum(hist["max"][idx], move)
                    position[idx] = y
                    touched.append(idx)
            touched = np.concatenate(touched)
            if touched.size > 1:  # each once, in order
                mark[touched] = True
                touched = np.flatnonzero(mark)
                mark[touched] = False
            self.calculate(touched)
            alive[touched] = self.valid[touched]
            score[touched] = np.where(alive[touched], self.key[touched], -np.inf)
        done = np.array(order, dtype=int)
        columns = {
            "index": done, "I": self.I, "J": self.J, "P": self.P, "Q": self.Q,
            "fromI": self.posI, "fromJ": self.posJ, "yI": self.yI, "yJ": self.yJ,
            "moveI": self.moveI, "moveJ": self.moveJ, "gain": self.key, "gainI": self.gainI,
            "gainJ": self.gainJ, "nbs0I": self.nbs0I, "nbs1I": self.nbs1I,
            "nbs0J": self.nbs0J, "nbs1J": self.nbs1J, "diagonal": self.diagonal,
        }
        return {name: (column if name == "index" else column[done]).tolist()
                for name, column in columns.items()}


def _externalities(
    engine: _Round, realized: dict[str, list]
) -> tuple[np.ndarray, np.ndarray]:
    """Utility change of every actor from every realised exchange, and who is on its diagonal.

    An actor's change is the fall in its distance to the expected outcome on each of the two
    issues, weighted by its salience, using the outcome views of the exchange (as the reference
    reports them); the two trading actors get the exchange's gain ("own").
    """
    n = len(realized["I"])
    n_actors = engine.x0.shape[0]
    if n == 0:
        return np.zeros((0, n_actors)), np.zeros((0, n_actors), dtype=bool)
    actor_i, actor_j = np.array(realized["I"]), np.array(realized["J"])
    issue_p, issue_q = np.array(realized["P"]), np.array(realized["Q"])
    x0, s = engine.x0, engine.salience
    xp, sp = x0[:, issue_p].T, s[:, issue_p].T  # (n, actors)
    xq, sq = x0[:, issue_q].T, s[:, issue_q].T
    nbs0J, nbs1J = np.array(realized["nbs0J"])[:, None], np.array(realized["nbs1J"])[:, None]
    nbs0I, nbs1I = np.array(realized["nbs0I"])[:, None], np.array(realized["nbs1I"])[:, None]
    change = (np.abs(nbs0J - xp) - np.abs(nbs1J - xp)) * sp + (
        np.abs(nbs0I - xq) - np.abs(nbs1I - xq)
    ) * sq
    on_both = (engine.present[:, issue_p] & engine.present[:, issue_q]).T
    change = np.where(on_both, change, 0.0)
    rows = np.arange(n)
    gain = np.array(realized["gain"])
    change[rows, actor_i] = gain
    change[rows, actor_j] = gain
    left = engine.quadrant_left
    quadrant = left[:, issue_p].T.astype(int) + 2 * left[:, issue_q].T.astype(int)  # (n, actors)
    diagonal = np.array(realized["diagonal"])[:, None]
    inner = np.where(
        diagonal == 0, (quadrant == 0) | (quadrant == 3), (quadrant == 1) | (quadrant == 2)
    )
    return change, inner


def _externality_parts(record: RoundRecord) -> np.ndarray:
    """Third parties' utility changes split into inner +, inner -, outer +, outer -.

    Shape ``(4, n_realized, n_actors)``; the two trading actors are excluded.
    """
    change, inner = record.externalities, record.inner
    third = np.ones(change.shape, dtype=bool)
    rows = np.arange(change.shape[0])
    third[rows, record.realized["I"]] = False
    third[rows, record.realized["J"]] = False
    masks = (
        third & inner & (change > 0), third & inner & (change <= 0),
        third & ~inner & (change > 0), third & ~inner & (change <= 0),
    )
    return np.stack([np.where(mask, change, 0.0) for mask in masks])


class ExchangeModel(Model):
    """Exchange of voting positions (Stokman & van Oosten 1994) with equal-gain terms.

    Parameters
    ----------
    variant:
        ``"equal-gain"`` (default): both partners gain the same utility; with ``p > 0`` the
        gain of one partner varies at random around it (randomised equal gain, Dijkstra et al.).
        ``"random-rate"``: the exchange rate is drawn uniformly between the partners' break-even
        rates and exchanges are realised in order of the smaller partner's gain.
    rounds:
        Number of rounds (the reference calls them iterations), default 10.
    p:
        Strength of the random variation of the randomised equal-gain variant, in [0, 1];
        0 (default) is plain equal gain.
    repetitions:
        Independent repetitions of the whole run (they differ through random tie-breaks, ``p``
        and the random rate); ``outcome`` and ``positions`` are their mean, the single
        repetitions are in ``extra``.
    tie_break:
        ``"random"`` (default, as the reference: when the two best exchanges have equal gains a
        fair coin picks one, from the seeded generator) or ``"first"`` (deterministic: the
        exchange listed first — issue pairs in input order, then quadrant pair, then actors in
        input order).
    salience_weight, fixed_weight:
        How far an actor's position for the next round moves towards its voting position:
        ``(1 - salience) * salience_weight + fixed_weight`` of the way (defaults 0.4 and 0.1).
    tie_tolerance:
        Gains closer than this (on the 0-100 scale) count as equal, default 1e-12.

    Example
    -------
    >>> ExchangeModel(variant="random-rate", rounds=3).get_params()["variant"]
    'random-rate'
    """

    name = "exchange"
    summary = "Exchange of voting positions across issue pairs (Stokman & van Oosten; equal gain)."
    stochastic = True
    multi_issue = True

    def __init__(
        self,
        *,
        variant: str = "equal-gain",
        rounds: int = 10,
        p: float = 0.0,
        repetitions: int = 1,
        tie_break: str = "random",
        salience_weight: float = 0.4,
        fixed_weight: float = 0.1,
        tie_tolerance: float = 1e-12,
    ) -> None:
        self.variant = check_choice("variant", variant, VARIANTS)
        self.rounds = check_number("rounds", rounds, low=0, high=10_000, integer=True)
        self.p = check_number("p", p, low=0.0, high=1.0)
        self.repetitions = check_number("repetitions", repetitions, low=1, integer=True)
        self.tie_break = check_choice("tie_break", tie_break, TIE_BREAKS)
        self.salience_weight = check_number("salience_weight", salience_weight, low=0.0, high=1.0)
        self.fixed_weight = check_number("fixed_weight", fixed_weight, low=0.0, high=1.0)
        if self.salience_weight + self.fixed_weight > 1.0:
            raise ParameterError("salience_weight + fixed_weight must be <= 1")
        self.tie_tolerance = check_number("tie_tolerance", tie_tolerance, low=0.0)
        if self.p > 0 and self.variant != "equal-gain":
            raise ParameterError("p applies to the equal-gain variant only")

    # -------------------------------------------------------------- one trajectory
    def simulate(
        self, arrays: ScenarioArrays, rng: np.random.Generator
    ) -> tuple[np.ndarray, list[RoundRecord]]:
        """Run one unbatched trajectory on the 0-100 scale; returns positions and round records."""
        if arrays.batch_shape:
            raise ValueError("simulate takes unbatched arrays; use run for batches")
        low, high = arrays.scale_low, arrays.scale_high
        span = np.where(high > low, high - low, 1.0)
        position = (arrays.position - low) * 100.0 / span
        salience, capability, present = arrays.salience, arrays.capability, arrays.present
        trajectory = [position.copy()]
        records = []
        for _ in range(self.rounds):
            engine = _Round(
                position, salience, capability, present, self.variant, self.p,
                self.tie_break, self.tie_tolerance, rng,
            )
            realized = engine.run()
            voting = position.copy()
            nxt = position.copy()
            actor_i = np.array(realized["I"], dtype=int)
            actor_j = np.array(realized["J"], dtype=int)
            issue_p = np.array(realized["P"], dtype=int)
            issue_q = np.array(realized["Q"], dtype=int)
            # later exchanges overwrite earlier ones on the same actor-issue (reference order)
            if actor_i.size:
                actor = np.stack([actor_i, actor_j], axis=1).ravel()
                issue = np.stack([issue_q, issue_p], axis=1).ravel()
                y = np.stack([realized["yI"], realized["yJ"]], axis=1).ravel()
                # the last realised exchange of an actor on an issue sets its vote
                cell = actor * arrays.n_issues + issue
                _, last = np.unique(cell[::-1], return_index=True)
                keep = cell.size - 1 - last
                actor, issue, y = actor[keep], issue[keep], y[keep]
                voting[actor, issue] = y
                share = (1.0 - salience[actor, issue]) * self.salience_weight + self.fixed_weight
                nxt[actor, issue] = share * y + (1.0 - share) * position[actor, issue]
            change, inner = _externalities(engine, realized)
            records.append(
                RoundRecord(
                    preference_outcome=engine.outcome,
                    voting_outcome=expected_outcome(voting, engine.weight),
                    voting_position=voting,
                    next_position=nxt,
                    candidates=engine.first,
                    realized={
                        k: np.asarray(v, dtype=int if k in _INDEX_FIELDS else float)
                        for k, v in realized.items()
                    },
                    externalities=change,
                    inner=inner,
                    ties=engine.ties,
                )
            )
            position = nxt
            trajectory.append(position.copy())
        return np.stack(trajectory), records

    # -------------------------------------------------------------- public API
    def run(self, arrays: ScenarioArrays, random_state=None) -> ModelResult:
        rng = as_generator(random_state)
        batch = arrays.batch_shape
        low, high = arrays.scale_low, arrays.scale_high
        span = np.where(high > low, high - low, 1.0)
        n_items = int(np.prod(batch)) if batch else 1
        flat = arrays.with_batch(
            position=arrays.position.reshape(n_items, arrays.n_actors, arrays.n_issues),
            salience=arrays.salience.reshape(n_items, arrays.n_actors, arrays.n_issues),
            capability=arrays.capability.reshape(n_items, arrays.n_actors, arrays.n_issues),
        )
        shape_pos = (self.rounds + 1, arrays.n_actors, arrays.n_issues)
        positions = np.empty((n_items, self.repetitions, *shape_pos))
        outcomes = np.empty((n_items, self.repetitions, arrays.n_issues))
        voting_outcomes = np.empty((n_items, self.repetitions, self.rounds, arrays.n_issues))
        first_records: list[RoundRecord] = []
        ties = np.zeros((n_items, self.repetitions), dtype=int)
        for item in range(n_items):
            one = flat.take(item)
            for rep in range(self.repetitions):
                trajectory, records = self.simulate(one, rng)
                positions[item, rep] = trajectory * span / 100.0 + low
                if records:
                    voting_outcomes[item, rep] = (
                        np.stack([r.voting_outcome for r in records]) * span / 100.0 + low
                    )
                    outcomes[item, rep] = voting_outcomes[item, rep, -1]
                else:
                    weight = one.capability * one.salience * one.present
                    outcomes[item, rep] = expected_outcome(one.position, weight)
                ties[item, rep] = sum(r.ties for r in records)
                if item == 0 and rep == 0:
                    first_records = records
        events: list[dict[str, Any]] = []
        explain: list[ExplainTable] = []
        if not batch:
            events = self._events(arrays, first_records, span, low)
            explain = self._explain(arrays, first_records, span, low)
        extra: dict[str, Any] = {
            "voting_outcome": voting_outcomes.mean(axis=1).reshape(
                *batch, self.rounds, arrays.n_issues
            ),
            "outcome_repetitions": outcomes.reshape(*batch, self.repetitions, arrays.n_issues),
            "ties": ties.reshape(*batch, self.repetitions),
        }
        if first_records:
            extra["exchanges_per_round"] = np.array(
                [len(r.realized["I"]) for r in first_records]
            )
            # (rounds, 4, n_actors): inner +, inner -, outer +, outer - received per round
            extra["externalities_by_actor"] = np.stack(
                [
                    _externality_parts(r).sum(axis=1)
                    if len(r.realized["I"])
                    else np.zeros((4, arrays.n_actors))
                    for r in first_records
                ]
            )
        statistic = (
            "capability x salience weighted mean of the voting positions after the last round"
        )
        if self.repetitions > 1:
            statistic += f", mean over {self.repetitions} repetitions"
        return ModelResult(
            positions=positions.mean(axis=1).reshape(*batch, *shape_pos),
            outcome=outcomes.mean(axis=1).reshape(*batch, arrays.n_issues),
            outcome_statistic=statistic,
            n_rounds=np.full(batch, self.rounds, dtype=int),
            events=events,
            explain=explain,
            extra=extra,
        )

    def _events(self, arrays, records, span, low) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        actors, issues = arrays.actor_ids, arrays.issue_ids
        number = 0
        for round_index, record in enumerate(records, start=1):
            rz = record.realized
            n_real = len(rz["I"])
            if n_real == 0:
                continue
            parts = _externality_parts(record)  # (4, n_real, n_actors)
            sums = parts.sum(axis=-1).T.tolist()  # (n_real, 4)
            giver_i, giver_j = rz["I"].tolist(), rz["J"].tolist()
            issue_p, issue_q = rz["P"].tolist(), rz["Q"].tolist()
            scale_i = (rz["fromI"] * span[rz["Q"]] / 100 + low[rz["Q"]]).tolist()
            scale_iy = (rz["yI"] * span[rz["Q"]] / 100 + low[rz["Q"]]).tolist()
            scale_j = (rz["fromJ"] * span[rz["P"]] / 100 + low[rz["P"]]).tolist()
            scale_jy = (rz["yJ"] * span[rz["P"]] / 100 + low[rz["P"]]).tolist()
            gain_i, gain_j = rz["gainI"].tolist(), rz["gainJ"].tolist()
            for k in range(n_real):
                number += 1
                summary = {
                    "inner_positive": sums[k][0],
                    "inner_negative": sums[k][1],
                    "outer_positive": sums[k][2],
                    "outer_negative": sums[k][3],
                }
                for actor, other, supply, demand, start, y, gain in (
                    (giver_i[k], giver_j[k], issue_q[k], issue_p[k], scale_i[k], scale_iy[k],
                     gain_i[k]),
                    (giver_j[k], giver_i[k], issue_p[k], issue_q[k], scale_j[k], scale_jy[k],
                     gain_j[k]),
                ):
                    events.append(
                        {
                            "round": round_index,
                            "issue": issues[supply],
                            "actor": actors[actor],
                            "counterpart": actors[other],
                            "kind": "exchange",
                            "from": start,
                            "to": y,
                            "detail": {
                                "exchange": number,
                                "demand_issue": issues[demand],
                                "gain": gain,
                                "externalities": summary,
                            },
                        }
                    )
        return events

    def _explain(self, arrays, records, span, low) -> list[ExplainTable]:
        if not records:
            return []
        record = records[-1]
        rz = record.realized
        actors, issues = arrays.actor_ids, arrays.issue_ids
        rows = []
        n_real = len(rz["I"])
        parts = (
            _externality_parts(record) if n_real else np.zeros((4, 0, arrays.n_actors))
        )
        sums = parts.sum(axis=-1).T.round(6).tolist()  # (n_real, 4)
        totals = parts.sum(axis=1)  # (4, n_actors)

        def scale(values, issue):
            return (values * span[issue] / 100.0 + low[issue]).round(4).tolist()

        from_i, to_i = scale(rz["fromI"], rz["Q"]), scale(rz["yI"], rz["Q"])
        from_j, to_j = scale(rz["fromJ"], rz["P"]), scale(rz["yJ"], rz["P"])
        gain_i, gain_j = rz["gainI"].round(6).tolist(), rz["gainJ"].round(6).tolist()
        for k in range(n_real):
            i, j, p, q = int(rz["I"][k]), int(rz["J"][k]), int(rz["P"][k]), int(rz["Q"][k])
            rows.append(
                [
                    k + 1,
                    actors[i], issues[q], from_i[k], to_i[k],
                    actors[j], issues[p], from_j[k], to_j[k],
                    gain_i[k], gain_j[k], *sums[k],
                ]
            )
        table = ExplainTable(
            title=f"Exchanges realised in round {len(records)}",
            columns=[
                "#", "actor", "gives on", "from", "to", "partner", "partner gives on", "from",
                "to", "gain", "partner gain", "inner +", "inner -", "outer +", "outer -",
            ],
            rows=rows,
            note=(
                "Each actor moves on the issue it cares less about towards its partner; gains "
                "are salience-weighted shifts of the expected outcome (0-100 scale). "
                "Externalities: utility changes of third parties on the exchange's diagonal "
                "(inner) or the other diagonal (outer)."
            ),
        )
        by_actor = ExplainTable(
            title=f"Externalities received in round {len(records)}",
            columns=["actor", "inner +", "inner -", "outer +", "outer -"],
            rows=[
                [actors[a], *[round(float(totals[r, a]), 6) for r in range(4)]]
                for a in range(arrays.n_actors)
            ],
        )
        return [table, by_actor]
