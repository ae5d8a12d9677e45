"""One round of the exchange model in the NumPy engine: the state of every potential exchange,
the choice of the best one, its realisation, and the recalculation of the exchanges it touches.

Reference: F. N. Stokman and R. van Oosten, "The exchange of voting positions: an
object-oriented model of policy networks", in B. Bueno de Mesquita and F. N. Stokman (eds.),
*European Community Decision Making*, Yale University Press 1994, 105-127; the reference
implementation decide-exchange-model (release 2025.3.1). See docs/models/exchange.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allegiance.models.exchange.candidates import _candidates, _Groups, expected_outcome
from allegiance.models.exchange.decimal import DecimalRound
from allegiance.models.exchange.terms import ExchangeTerms


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


class ExchangeRound(ExchangeTerms):
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
        shadow: DecimalRound | None = None,
        coin=None,
    ) -> None:
        self.shadow = shadow
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
        self.quadrant_left = position <= self.outcome if shadow is None else shadow.left
        i, j, p_issue, q_issue, diagonal = _candidates(
            position, salience, self.weight, self.outcome, tradable, self.quadrant_left
        )
        self.I, self.J, self.P, self.Q, self.diagonal = i, j, p_issue, q_issue, diagonal
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
        self.near = np.zeros(size, dtype=bool)  # near an edge that decimals decide
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
        #: decide-compatible mode: realised exchanges (I, q, y_I, J, p, y_J) in decimals, and how
        #: often a realised exchange was valid in floating point but not in decimals
        self.realized_decimal: list[tuple] = []
        #: decide-compatible mode with random tie-breaks: decide's list of exchanges, in its
        #: order, and the coin that breaks its ties
        self.as_decide = shadow is not None and tie_break == "random"
        self.decide_list = np.arange(size if self.as_decide else 0)
        self.coin = rng if coin is None else coin
        if shadow is not None:
            self.decimal_gains = np.empty(size, dtype=object)  # decimal gain, where known
            self.has_decimal_gain = np.zeros(size, dtype=bool)
        self.decimal_disagreements = 0

    # ------------------------------------------------------------------ calculation
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

    def _next_as_decide(self) -> int | None:
        """The next exchange taken from decide's list (None when the list is empty).

        The reference keeps every exchange of the round in one list. Before each choice it sorts
        the list by decimal gain, highest first (stable: equal gains keep their order), and takes
        the first. When the next one's gain differs from it by less than 1e-20 a coin decides: on
        heads (``random() >= 0.5``) the first goes to the end of the list and the next is taken;
        on tails the first is taken and the next is appended to the end as well, so that it is
        listed twice (a copy that later ties with itself and is recomputed twice). An invalid
        exchange taken from the list is dropped (it can be taken only before the first
        realisation, which removes them all). Float gains order the list; gains within
        ``tie_tolerance`` of each other are taken in decimals (computed once after each change)
        and ordered by those, so that exchanges of equal decimal gain keep their list order.
        """
        held = self.decide_list
        if held.size == 0:
            return None
        # sorted by float gain; a chain of gains within the tolerance of each other keeps its
        # list order and is then ordered by decimal gain, as decide's sort orders it
        order = np.argsort(-self.key[held], kind="stable")
        ranked = self.key[held[order]]
        step = ranked[:-1] - ranked[1:] > self.tie_tolerance
        run = np.concatenate([[0], np.cumsum(step)])
        held = held[order[np.lexsort((order, run))]]
        in_chain = np.zeros(held.size, dtype=bool)
        in_chain[:-1] |= ~step
        in_chain[1:] |= ~step
        if in_chain.any():
            where = np.flatnonzero(in_chain)
            chained = held[where].tolist()
            gains = [self._decimal_gain(t) for t in chained]
            chain_of = run[where].tolist()
            ranks = sorted(range(len(chained)), key=lambda n: (chain_of[n], -gains[n]))
            held[where] = [chained[n] for n in ranks]
        taken, held = int(held[0]), held[1:]
        if in_chain[0] and abs(self.decimal_gains[taken] - self.decimal_gains[held[0]]) < 1e-20:
            self.ties += 1
            following = int(held[0])
            if self.coin.random() >= 0.5:
                taken, held = following, np.append(held[1:], taken)
            else:
                held = np.append(held, following)
        self.decide_list = held
        return taken

    def _keep_as_decide(self, r: int, supplied: dict[str, list[np.ndarray]]) -> None:
        """After realising ``r``, keep in decide's list what the reference keeps.

        The reference goes through its list in order and recalculates each entry that is still
        valid, keeping those that stay valid (a copy of ``r`` turns invalid). An exchange listed
        twice (the copy a tie leaves) is one object recalculated once per entry: when a side of
        it supplies the cell ``r`` just moved, each recalculation after the first makes that
        side's planned move history once more (the first did so in :meth:`run`). So the second
        entry can turn the exchange invalid; the entries seen before it stay listed, and are
        skipped when taken, as the reference skips them.
        """
        listed = self.decide_list
        keep = self.valid[listed] & (listed != r)
        sides = {side: np.concatenate(parts) if parts else np.empty(0, dtype=int)
                 for side, parts in supplied.items()}
        moved = np.union1d(sides["I"], sides["J"])
        copies = np.bincount(listed, minlength=self.size)
        for t in moved[(copies[moved] > 1) & self.valid[moved]].tolist():
            entries = np.flatnonzero(listed == t)
            kept = 1
            while kept < entries.size:
                for side, planned in (("I", self.moveI), ("J", self.moveJ)):
                    if t in sides[side]:
                        hist = self.hist[side]
                        hist["sum"][t] += planned[t]
                        hist["min"][t] = min(hist["min"][t], planned[t])
                        hist["max"][t] = max(hist["max"][t], planned[t])
                self.calculate(np.array([t]))
                if not self.valid[t]:
                    break
                kept += 1
            keep[entries] = False
            keep[entries[:kept]] = True
        self.decide_list = listed[keep]

    def _decimal_gain(self, r: int):
        """The decimal gain of ``r`` in its current terms (computed once after each change)."""
        if not self.has_decimal_gain[r]:
            self._calculate_decimal(r)
        return self.decimal_gains[r]

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

    def _realise_decimal(self, r: int, ri: int, rj: int, rp: int, rq: int) -> None:
        """Realise ``r`` in the decimal shadow: its exact voting positions become the suppliers'
        current positions and the positions its demanders received."""
        valid = bool(self.valid[r])
        y_i, y_j = self._calculate_decimal(r)
        if not self.valid[r] and valid:
            self.decimal_disagreements += 1
        shadow = self.shadow
        shadow.current[(ri, rq)], shadow.current[(rj, rp)] = y_i, y_j
        shadow.receive(rj, rq, ri, shadow.x0[ri][rq], y_i)
        shadow.receive(ri, rp, rj, shadow.x0[rj][rp], y_j)
        self.realized_decimal.append((ri, rq, y_i, rj, rp, y_j))

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
        realised = np.zeros(self.size, dtype=bool)
        as_decide = self.as_decide
        while True:
            if as_decide:
                r = self._next_as_decide()
                if r is None:
                    break
                if not self.valid[r]:
                    continue
                # decide recalculates the exchanges valid now (decimals may have changed some)
                alive = self.valid & ~realised
            else:
                r = self._choose(score)
                if r < 0:
                    break
            alive[r] = False
            realised[r] = True
            score[r] = -np.inf
            order.append(r)
            ri, rj, rp, rq = int(self.I[r]), int(self.J[r]), int(self.P[r]), int(self.Q[r])
            if self.shadow is not None:
                self._realise_decimal(r, ri, rj, rp, rq)
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
            supplied = {"I": [], "J": []}  # exchanges whose side supplies a cell just moved
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
                    supplied[side].append(idx)
            touched = np.concatenate(touched)
            if touched.size > 1:  # each once, in order
                mark[touched] = True
                touched = np.flatnonzero(mark)
                mark[touched] = False
            self.calculate(touched)
            alive[touched] = self.valid[touched]
            score[touched] = np.where(alive[touched], self.key[touched], -np.inf)
            if as_decide:
                self._keep_as_decide(r, supplied)
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
