"""The terms of potential exchanges in the NumPy engine: moves, equal-gain outcome shifts, the
stop at a demander's position, the randomised equal gain, and their validity rules.

:class:`ExchangeTerms` holds the calculation methods of :class:`allegiance.models.exchange.round.
ExchangeRound`, vectorised over a set of exchanges; the compiled engine
(:mod:`allegiance.models.exchange.kernels`) does the same arithmetic one exchange at a time.

Reference: F. N. Stokman and R. van Oosten, "The exchange of voting positions: an
object-oriented model of policy networks", in B. Bueno de Mesquita and F. N. Stokman (eds.),
*European Community Decision Making*, Yale University Press 1994, 105-127; the reference
implementation decide-exchange-model (release 2025.3.1). See docs/models/exchange.md.
"""

from __future__ import annotations

import numpy as np

from allegiance.models.exchange.candidates import _EDGE, _MIN_GAIN, _MIN_MOVE, _NEAR
from allegiance.models.exchange.decimal import bounds_ok


def move_allowed(total, low, high, pos, move):
    """Whether a move is allowed: it is real, keeps the position on the scale, and agrees in
    direction with the actor's history on the issue (``total``, ``low`` and ``high``: the sum,
    smallest and largest of its earlier moves).

    Written once for both engines: on arrays here, and compiled by the compiled engine
    (:mod:`allegiance.models.exchange.kernels`), on numbers.

    >>> bool(move_allowed(0.0, 1.0, 1.0, 50.0, 5.0)), bool(move_allowed(0.0, 1.0, 1.0, 50.0, -5.0))
    (True, False)
    """
    after = pos + move
    return ((np.abs(move) > _MIN_MOVE) & (after >= -_EDGE) & (after <= 100.0 + _EDGE)
            & (total + move <= 100.0) & (((move > 0) & (low > 0)) | ((move < 0) & (high < 0))))


def net_gains(dp, dq, s_ip, s_iq, s_jp, s_jq):
    """The partners' gains in salience-weighted utility when the outcome moves ``dp`` toward I on
    issue p (which J supplies) and ``dq`` toward J on issue q (which I supplies): I gains
    ``dp s_Ip`` and gives up ``dq s_Iq``, J gains ``dq s_Jq`` and gives up ``dp s_Jp``.

    Written once for both engines, like :func:`move_allowed`.

    >>> net_gains(2.0, 1.0, 0.5, 0.25, 0.25, 0.75)
    (0.75, 0.25)
    """
    return dp * s_ip - dq * s_iq, dq * s_jq - dp * s_jp


def break_even_gains(dp, dq, s_ip, s_iq, s_jp, s_jq):
    """What each partner would gain if the other only broke even, with the same outcome shifts
    available (the upper end of the randomised equal gain): I keeping ``dp`` while J breaks even
    at ``dq/dp = s_Jp/s_Jq``, and J keeping ``dq`` while I breaks even at ``dq/dp = s_Ip/s_Iq``.

    >>> break_even_gains(2.0, 1.0, 0.5, 0.25, 0.25, 0.75)
    (0.8333333333333334, 0.625)
    """
    return dp * s_ip - dp * (s_jp / s_jq) * s_iq, dq * s_jq - dq * (s_iq / s_ip) * s_jp


def outcome_seen(base, weight, vote, denominator):
    """The expected outcome of an issue (the capability x salience weighted mean of the votes)
    when one actor of weight ``weight`` votes ``vote`` and the others give ``base``, the sum of
    their weighted votes; ``denominator`` is the sum of all weights.

    >>> outcome_seen(30.0, 1.0, 70.0, 2.0)
    50.0
    """
    return (base + weight * vote) / denominator


class ExchangeTerms:
    """Calculation of the terms of exchanges (mixed into the round's state)."""

    def _move_ok(self, side: str, index: np.ndarray, pos: np.ndarray, move: np.ndarray):
        """Which of the side's moves are allowed (:func:`move_allowed`)."""
        hist = self.hist[side]
        return move_allowed(hist["sum"][index], hist["min"][index], hist["max"][index], pos, move)

    def _outcome_seen(self, index: np.ndarray, side: str, *votes: np.ndarray):
        """Expected outcome on the side's supply issue with that side voting ``votes``.

        The view is the round-start positions, changed by the positions the opposite actor (the
        demander of this issue) received in realised exchanges, and the supplier's own vote
        (which replaces any position the demander received from the supplier).
        """
        w, others, d = self.view_terms[side][index].T
        cell, slot = self.view_cells[side][index].T
        base = others + self.offset[cell] - self.received_shift[slot]
        return tuple(outcome_seen(base, w, vote, d) for vote in votes)

    def calculate(self, index: np.ndarray) -> None:
        """(Re)compute the terms of the exchanges ``index`` from their current positions.

        With a decimal shadow (decide-compatible arithmetic), the valid exchanges whose expected
        outcome comes within ``_NEAR`` of the demander's position, or whose voter comes within
        ``_NEAR`` of the scale's ends, are recomputed in decimal arithmetic, where the rounding
        decides their branch as it does in the reference."""
        if self.shadow is None:
            self._calculate_float(index)
            return
        self.near[index] = False
        self.has_decimal_gain[index] = False
        self._calculate_float(index)
        index = index[self.valid[index]]
        near = self.near[index]
        for y in (self.yI[index], self.yJ[index]):
            near |= ((y < _NEAR) & (y != 0.0)) | ((y > 100.0 - _NEAR) & (y != 100.0))
        for r in index[near].tolist():
            self._calculate_decimal(r)

    def _calculate_decimal(self, r: int) -> tuple:
        """Terms of exchange ``r`` in decide's decimal arithmetic, written into the arrays."""
        terms = self.shadow.terms(int(self.I[r]), int(self.J[r]), int(self.P[r]), int(self.Q[r]))
        pos_i, pos_j, move_i, move_j, y_i, y_j, shift_p, shift_q, gain, checked, nbs = terms
        mi, mj, dp, dq = float(move_i), float(move_j), float(shift_p), float(shift_q)
        self.moveI[r], self.moveJ[r] = mi, mj
        self.yI[r], self.yJ[r] = float(y_i), float(y_j)
        self.dp[r], self.dq[r] = dp, dq
        gain_i, gain_j = net_gains(dp, dq, self.sIp[r], self.sIq[r], self.sJp[r], self.sJq[r])
        self.gainI[r], self.gainJ[r] = abs(gain_i), abs(gain_j)
        self.key[r] = float(gain)
        self.decimal_gains[r], self.has_decimal_gain[r] = gain, True
        self.nbs0I[r], self.nbs1I[r] = float(nbs["I"][0]), float(nbs["I"][1])
        self.nbs0J[r], self.nbs1J[r] = float(nbs["J"][0]), float(nbs["J"][1])
        self.valid[r] = bool(
            checked and bounds_ok(move_i, pos_i) and bounds_ok(move_j, pos_j)
            and self._history_ok("I", r, mi) and self._history_ok("J", r, mj)
        )
        return y_i, y_j

    def _history_ok(self, side: str, r: int, move: float) -> bool:
        hist = self.hist[side]
        return bool(hist["sum"][r] + move <= 100.0 and (
            (move > 0 and hist["min"][r] > 0) or (move < 0 and hist["max"][r] < 0)))

    def _calculate_float(self, index: np.ndarray) -> None:
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
        gainI, gainJ = np.abs(net_gains(dp, dq, sIp, sIq, sJp, sJq))
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
        if self.shadow is not None:  # decided by the decimal residual in the reference
            self.near[index] |= (np.abs(before) < _NEAR) | (np.abs(after) < _NEAR)
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
        gainI, gainJ = np.abs(net_gains(dp, dq, self.sIp[idx], self.sIq[idx], self.sJp[idx],
                                        self.sJq[idx]))
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
        max_i, max_j = break_even_gains(dp, dq, sIp, sIq, sJp, sJq)
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
        gainI, gainJ = net_gains(new_dp, new_dq, sIp, sIq, sJp, sJq)
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
