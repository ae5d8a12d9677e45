"""Exchange-model arithmetic in 28 significant decimal digits, as ``decide-exchange-model`` does it.

The reference implementation of the exchange model (decide-exchange-model, releases 2022.1.28 and
2025.3.1) computes every position, outcome and move with Python's ``decimal`` numbers in the
default context: 28 significant digits, round-half-even after every operation. Its branches are
then decided by exact comparisons of these rounded numbers. One of them matters for the results:
when an earlier exchange has stopped the expected outcome exactly on a demander's position, the
next "does this move push the outcome past the demander?" test compares the demander's position
with an outcome that differs from it only by the rounding residual (about 1e-26), and the sign of
that residual decides whether the move goes on or is stopped. Residuals cannot be reproduced in
binary floating point, so :class:`DecimalRound` keeps, beside the vectorised float engine of
:mod:`allegiance.models.exchange`, the round's state in the same decimal arithmetic: the positions
at the start of the round, the voting positions realised so far and the positions each demander
has received. The float engine decides everything far from an edge; exchanges near one, and every
exchange that is realised, are recomputed here, in the order of operations of the formulas below,
so that their voting positions and branch decisions are decide's to the last digit.

Formulas (one exchange; I demands p and supplies q, J demands q and supplies p; ``w = s * c``,
``D_k = sum of s * c`` over the actors on issue k in input order; all sums in input order):

- outcome seen by a supplier S of issue k whose partner O demands k, with S voting ``v``:
  ``sum((x_a * s_a) * c_a) / D_k`` over the actors on k, ``x_a`` being the position O received
  from a in this round if any, else a's position at the start of the round, and ``v`` for S;
- full move of J: ``dp = ((|t_J - x_J| * s_Jp) * c_Jp) / D_p``,
  ``dq = ((s_Jp + s_Ip) / (s_Jq + s_Iq)) * dp``, I's move ``(dq * D_q) / (c_Iq * s_Iq)``; when
  that exceeds I's distance, I moves fully and J's move follows the same way round;
- a move that carries the outcome across the demander's position x is replaced by the move of
  the supplier (measured from the position the demander last received from it, if any) that puts
  the outcome on x: ``(x * D_k - numerator) / (s * c)``; the partner's move follows from the rate.

Example
-------
>>> from decimal import Decimal
>>> to_decimal(0.1)
Decimal('0.1')
>>> normalise(Decimal("3.0"), Decimal("0.5"), Decimal("7"))
Decimal('38.46153846153846153846153845')
"""

from __future__ import annotations

from decimal import Context, Decimal, localcontext

import numpy as np

#: Python's default decimal context, which decide uses: 28 significant digits, half-even
CONTEXT = Context(prec=28)
_ZERO = Decimal(0)
#: decide compares Decimal moves and gains with these binary floats (exactly, as Python does)
_MIN_MOVE = 1e-10


def to_decimal(value: float) -> Decimal:
    """The decimal a file would hold for ``value``: its shortest round-trip representation."""
    return Decimal(repr(float(value)))


def normalise(x: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """Position on the 0-100 scale: ``(x - low) * (100 / (high - low))`` (0 for a point scale)."""
    with localcontext(CONTEXT):
        span = high - low
        step = Decimal(100) / span if span != 0 else _ZERO
        return (x - low) * step


class DecimalScenario:
    """Decimal inputs of a scenario: saliences, capabilities, members of each issue, D_k."""

    def __init__(self, position, salience, capability, present, low, high,
                 member_order=None) -> None:
        n_actors, n_issues = position.shape
        self.n_issues = n_issues
        # the order of each issue's sums: decide adds in the order its file lists the issue's
        # actors (``member_order``, one list of actor indices per issue), by default actor order
        self.members = [
            [a for a in (range(n_actors) if member_order is None else member_order[k])
             if present[a, k]]
            for k in range(n_issues)
        ]
        self.s = [[to_decimal(salience[a, k]) for k in range(n_issues)] for a in range(n_actors)]
        self.c = [[to_decimal(capability[a, k]) for k in range(n_issues)] for a in range(n_actors)]
        lows = [to_decimal(v) for v in low]
        highs = [to_decimal(v) for v in high]
        self.start = [
            [normalise(to_decimal(position[a, k]), lows[k], highs[k]) if present[a, k] else _ZERO
             for k in range(n_issues)]
            for a in range(n_actors)
        ]
        with localcontext(CONTEXT):
            self.D = []
            for k in range(n_issues):
                total = 0
                for a in self.members[k]:
                    total += self.s[a][k] * self.c[a][k]
                self.D.append(total)

    def outcome(self, positions) -> list[Decimal]:
        """``sum((x * s) * c) / D`` per issue (0 where D is 0)."""
        out = []
        with localcontext(CONTEXT):
            for k, members in enumerate(self.members):
                if self.D[k] == 0:
                    out.append(_ZERO)
                    continue
                numerator = 0
                for a in members:
                    numerator += positions[a][k] * self.s[a][k] * self.c[a][k]
                out.append(numerator / self.D[k])
        return out

    def next_start(self, salience: Decimal, x: Decimal, y: Decimal, salience_weight: float,
                   fixed_weight: float) -> Decimal:
        """``(1 - s) sw y + fw y + (1 - (1 - s) sw - fw) x``, the weights as exact binary floats."""
        with localcontext(CONTEXT):
            sw, fw = Decimal(salience_weight), Decimal(fixed_weight)
            return (1 - salience) * sw * y + fw * y + (1 - (1 - salience) * sw - fw) * x


class DecimalRound:
    """Decimal state of one round: start positions, realised votes, received positions."""

    def __init__(self, scenario: DecimalScenario, start) -> None:
        self.sc = scenario
        self.x0 = start
        self.current: dict[tuple[int, int], Decimal] = {}  # (actor, issue) -> realised vote
        # positions received by a demander on an issue, by supplier: (demander, issue) -> dict
        self.received: dict[tuple[int, int], dict[int, Decimal]] = {}
        self.outcome = scenario.outcome(start)
        n_actors = len(start)
        self.left = np.array(
            [[start[a][k] <= self.outcome[k] for k in range(scenario.n_issues)]
             for a in range(n_actors)], dtype=bool)
        members = scenario.members
        # per issue, in input order: start positions, saliences, capabilities of the members
        self.column = [[start[a][k] for a in m] for k, m in enumerate(members)]
        self.column_s = [[scenario.s[a][k] for a in m] for k, m in enumerate(members)]
        self.column_c = [[scenario.c[a][k] for a in m] for k, m in enumerate(members)]
        self.slot = [{a: n for n, a in enumerate(m)} for m in members]

    def position(self, actor: int, issue: int) -> Decimal:
        return self.current.get((actor, issue), self.x0[actor][issue])

    def _numerator(self, issue: int, demander: int, supplier: int, vote: Decimal | None):
        """Numerator of the outcome the supplier sees: ``sum((x * s) * c)`` in input order, with
        the positions the demander received, and ``vote`` (if given) for the supplier."""
        xs = self.column[issue]
        received = self.received.get((demander, issue))
        if received or vote is not None:
            xs = xs.copy()
            slot = self.slot[issue]
            if received:
                for actor, y in received.items():
                    xs[slot[actor]] = y
            if vote is not None:
                xs[slot[supplier]] = vote
        weights = zip(xs, self.column_s[issue], self.column_c[issue], strict=True)
        return sum(x * s * c for x, s, c in weights)

    def seen(self, issue: int, demander: int, supplier: int, vote: Decimal) -> Decimal:
        D = self.sc.D[issue]
        return self._numerator(issue, demander, supplier, vote) / D if D != 0 else _ZERO

    def receive(self, demander: int, issue: int, supplier: int, start: Decimal, y: Decimal):
        """The demander received ``y``; a repeated receipt keeps the smaller displacement."""
        received = self.received.setdefault((demander, issue), {})
        old = received.get(supplier)
        if old is not None:
            y = (old if old < y else y) if start <= old else (old if old > y else y)
        received[supplier] = y

    def terms(self, i: int, j: int, p: int, q: int):
        """Terms of the exchange (I=i supplies q, J=j supplies p) from the current state.

        Returns ``(pos_i, pos_j, move_i, move_j, y_i, y_j, shift_p, shift_q, gain, checked,
        nbs)``; ``checked`` says whether the outcome tests ran (they run only on exchanges whose
        first terms are valid; the caller checks the moves against their history), ``nbs`` holds
        the outcome views (before, after) of I on q and of J on p.
        """
        sc, x0 = self.sc, self.x0
        s, c, D = sc.s, sc.c, sc.D
        with localcontext(CONTEXT):
            pos_i, pos_j = self.position(i, q), self.position(j, p)
            t_i, t_j = x0[j][q], x0[i][p]
            sIp, sIq, sJp, sJq = s[i][p], s[i][q], s[j][p], s[j][q]
            dp = abs(t_j - pos_j) * sJp * c[j][p] / D[p]
            dq = (sJp + sIp) / (sJq + sIq) * dp
            move_i = dq * D[q] / (c[i][q] * sIq)
            move_j = abs(t_j - pos_j)
            if abs(move_i) > abs(t_i - pos_i):
                dq = abs(t_i - pos_i) * sIq * c[i][q] / D[q]
                dp = (sIq + sJq) / (sIp + sJp) * dq
                move_i = abs(t_i - pos_i)
                move_j = dp * D[p] / (c[j][p] * sJp)
            if pos_i > t_i:
                move_i = -move_i
            if pos_j > t_j:
                move_j = -move_j
            state = {"I": [pos_i, move_i, pos_i + move_i], "J": [pos_j, move_j, pos_j + move_j]}
            shift = {"p": dp, "q": dq}
            gain = abs(dq * sIq - dp * sIp)
            nbs = {"I": (_ZERO, _ZERO), "J": (_ZERO, _ZERO)}
            checked = bounds_ok(move_i, pos_i) and bounds_ok(move_j, pos_j) and gain >= 1e-10
            if checked:
                for side in ("I", "J"):
                    gain = self._stop_at_demander(side, i, j, p, q, state, shift, nbs, gain)
        (pos_i, move_i, y_i), (pos_j, move_j, y_j) = state["I"], state["J"]
        return (pos_i, pos_j, move_i, move_j, y_i, y_j, shift["p"], shift["q"], gain, checked,
                nbs)

    def _stop_at_demander(self, side, i, j, p, q, state, shift, nbs, gain):
        """decide's test of one side: shorten a move that carries the outcome across x."""
        sc, x0 = self.sc, self.x0
        s, c, D = sc.s, sc.c, sc.D
        if side == "I":
            me, other, k, other_issue = i, j, q, p
        else:
            me, other, k, other_issue = j, i, p, q
        other_side = "J" if side == "I" else "I"
        pos, _, y = state[side]
        x = x0[other][k]  # the demander's position on the issue this side supplies
        nbs0 = self.seen(k, other, me, pos)
        nbs1 = self.seen(k, other, me, y)
        before, after = x - nbs0, x - nbs1
        if (before >= 0 and after >= 0) or (before <= 0 and after <= 0):
            nbs[side] = (nbs0, nbs1)
            return gain
        # the supplier's move that puts the outcome on x, measured with the position the
        # demander received from it (if any) in place of its current one
        stale = me in self.received.get((other, k), ())
        numerator = self._numerator(k, other, me, None if stale else pos)
        delta = abs((x * D[k] - numerator) / (s[me][k] * c[me][k]))
        d_me = delta * s[me][k] * c[me][k] / D[k]
        d_other = (s[me][k] + s[other][k]) / (s[me][other_issue] + s[other][other_issue]) * d_me
        pos_o = state[other_side][0]
        move_o = abs(d_other * D[other_issue] / (c[other][other_issue] * s[other][other_issue]))
        move_me = delta
        if pos_o > x0[me][other_issue]:
            move_o = -move_o
        if pos > x:
            move_me = -move_me
        state[other_side] = [pos_o, move_o, pos_o + move_o]
        state[side] = [pos, move_me, pos + move_me]
        shift["q" if side == "I" else "p"] = d_me
        shift["p" if side == "I" else "q"] = d_other
        nbs[side] = (nbs0, self.seen(k, other, me, pos + move_me))
        return abs(d_other * s[other][other_issue] - d_me * s[other][k])


def bounds_ok(move: Decimal, pos: Decimal) -> bool:
    """decide's bounds on a move: larger than 1e-10, at most 100, voter stays on 0-100."""
    return _MIN_MOVE < abs(move) <= 100 and 0 <= pos + move <= 100


def _to_float(values) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in values])


def _decimal_votes_and_starts(decimals, start, realized, salience_weight, fixed_weight):
    """Voting positions and next start positions in decimals (the last realised exchange of an
    actor on an issue sets both, as in the reference)."""
    votes = [row[:] for row in start]
    nxt = [row[:] for row in start]
    for actor_i, issue_q, y_i, actor_j, issue_p, y_j in realized:
        for actor, issue, y in ((actor_i, issue_q, y_i), (actor_j, issue_p, y_j)):
            votes[actor][issue] = y
            nxt[actor][issue] = decimals.next_start(
                decimals.s[actor][issue], start[actor][issue], y, salience_weight, fixed_weight)
    return votes, nxt
