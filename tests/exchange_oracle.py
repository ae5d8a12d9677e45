"""Slow, loop-based reference implementation of one exchange-model round, and a small reader for
the ``#A/#P/#M/#D`` input format used by the reference data.

The oracle follows the rules in ``docs/models/exchange.md`` one exchange at a time, with a Python
object per exchange, a list of planned moves per exchange actor and a dictionary of received
positions per exchange -- the bookkeeping the vectorised model replaces with arrays. It is only
meant for small scenarios in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from allegiance.scenario.arrays import ScenarioArrays

EDGE = 1e-9
MIN_MOVE = 1e-10
MIN_GAIN = 1e-10


def decide_member_order(path: str | Path, arrays: ScenarioArrays) -> list[list[int]]:
    """Per issue, the actor indices in the order the file's ``#D`` rows list them (decide's order
    of summation)."""
    order: list[list[int]] = [[] for _ in arrays.issue_ids]
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = [p.strip().strip("'\"") for p in line.split("\t")]
        if parts and parts[0] == "#D":
            order[arrays.issue_ids.index(parts[2])].append(arrays.actor_ids.index(parts[1]))
    return order


def run_decide_seed(arrays: ScenarioArrays, member_order, seed: int,
                    rounds: int = 10) -> tuple[np.ndarray, int]:
    """Allegiance's decide-compatible run with decide's coin (``random.Random(seed)``) and order of
    summation: the voting outcome of each round on the issues' own scales, and the ties broken."""
    import random

    from allegiance.models.exchange import ExchangeModel

    _, records = ExchangeModel(rounds=rounds, arithmetic="decimal28").simulate(
        arrays, np.random.default_rng(0), coin=random.Random(seed), member_order=member_order)
    low, high = arrays.scale_low, arrays.scale_high
    outcomes = np.array([low + r.voting_outcome * (high - low) / 100 for r in records])
    return outcomes, sum(r.ties for r in records)


def decide_rounds(entry: dict, k: int, arrays: ScenarioArrays) -> np.ndarray:
    """decide's recorded voting outcome of each round of its run ``k`` (rounds x issues)."""
    return np.array([[row[i] for i in arrays.issue_ids]
                     for row in entry["voting_outcome_by_round"][k]])


def read_decide_file(path: str | Path) -> ScenarioArrays:
    """Read a ``#A/#P/#M/#D`` file: actors, issues, scale ends, (position, salience, power)."""
    actors: list[str] = []
    issues: list[str] = []
    bounds: dict[str, list[float]] = {}
    data: dict[tuple[str, str], tuple[float, float, float]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = [p.strip().strip("'\"") for p in line.split("\t")]
        if not parts or not parts[0]:
            continue
        if parts[0] == "#A":
            actors.append(parts[1])
        elif parts[0] == "#P":
            issues.append(parts[1])
        elif parts[0] == "#M":
            bounds.setdefault(parts[1], []).append(float(parts[2]))
        elif parts[0] == "#D":
            data[(parts[1], parts[2])] = (float(parts[3]), float(parts[4]), float(parts[5]))
    shape = (len(actors), len(issues))
    position, salience, power = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    present = np.zeros(shape, dtype=bool)
    for (actor, issue), (x, s, c) in data.items():
        i, k = actors.index(actor), issues.index(issue)
        position[i, k], salience[i, k], power[i, k], present[i, k] = x, s, c, True
    return ScenarioArrays(
        tuple(actors), tuple(issues), position=position, salience=salience, capability=power,
        scale_low=np.array([min(bounds[k]) for k in issues]),
        scale_high=np.array([max(bounds[k]) for k in issues]),
        present=present,
    )


@dataclass
class Side:
    actor: int
    supply: int  # issue it gives ground on
    demand: int  # issue it wants
    position: float  # current position on the supply issue
    target: float  # partner's position on the supply issue
    moves: list[float] = field(default_factory=list)
    move: float = 0.0
    y: float = 0.0
    nbs0: float = 0.0
    nbs1: float = 0.0


@dataclass
class Exchange:
    number: int
    i_side: Side  # demands p, supplies q
    j_side: Side  # demands q, supplies p
    p: int
    q: int
    diagonal: int
    updates: dict[int, dict[int, float]] = field(default_factory=dict)
    gain: float = 0.0
    gain_i: float = 0.0
    gain_j: float = 0.0
    valid: bool = False


class OracleRound:
    """One round of the equal-gain exchange model on 0-100 positions."""

    def __init__(self, x, salience, capability, present, tie_break="first", rng=None):
        self.x, self.s = np.asarray(x, float), np.asarray(salience, float)
        self.present = np.asarray(present, bool)
        self.w = np.asarray(capability, float) * self.s * self.present
        self.D = self.w.sum(axis=0)
        n, m = self.x.shape
        self.outcome = np.array(
            [(self.w[:, k] * self.x[:, k]).sum() / self.D[k] if self.D[k] > 0
             else self.x[:, k].mean() for k in range(m)]
        )
        self.tie_break, self.rng = tie_break, rng
        self.ties = 0
        tradable = self.present & (self.w > 0) & (self.s > 0)
        left = self.x <= self.outcome
        self.exchanges: list[Exchange] = []
        for a in range(m):
            for b in range(a + 1, m):
                groups: dict[int, list[int]] = {0: [], 1: [], 2: [], 3: []}
                for actor in range(n):
                    if tradable[actor, a] and tradable[actor, b]:
                        groups[int(left[actor, a]) + 2 * int(left[actor, b])].append(actor)
                for diagonal, (g1, g2) in enumerate(((0, 3), (1, 2))):
                    for u in groups[g1]:
                        for v in groups[g2]:
                            s = self.s
                            lhs, rhs = s[u, a] * s[v, b], s[v, a] * s[u, b]
                            if lhs < rhs - 1e-12 * max(abs(lhs), abs(rhs)):
                                i, j = v, u
                            else:
                                i, j = u, v
                            side_i = Side(i, supply=b, demand=a, position=self.x[i, b],
                                          target=self.x[j, b])
                            side_j = Side(j, supply=a, demand=b, position=self.x[j, a],
                                          target=self.x[i, a])
                            self.exchanges.append(
                                Exchange(len(self.exchanges), side_i, side_j, a, b, diagonal)
                            )

    # -- helpers ------------------------------------------------------------------------
    def view(self, e: Exchange, side: Side, voting: float) -> float:
        k = side.supply
        positions = {a: self.x[a, k] for a in range(self.x.shape[0])}
        for actor, pos in e.updates.get(k, {}).items():
            positions[actor] = pos
        positions[side.actor] = voting
        total = sum(self.w[a, k] * positions[a] for a in positions)
        return total / self.D[k]

    def move_ok(self, side: Side) -> bool:
        move = side.move
        if abs(move) > 100 + EDGE or abs(move) <= MIN_MOVE:
            return False
        if side.position + move < -EDGE or side.position + move > 100 + EDGE:
            return False
        if sum(side.moves) > 100:
            return False
        return all(m < 0 for m in side.moves) or all(m > 0 for m in side.moves)

    def set_moves(self, e: Exchange, dp: float, dq: float) -> None:
        s = self.s
        e.i_side.move = dq * self.D[e.q] / self.w[e.i_side.actor, e.q]
        e.j_side.move = dp * self.D[e.p] / self.w[e.j_side.actor, e.p]
        for side in (e.i_side, e.j_side):
            if side.position > side.target:
                side.move = -side.move
            side.moves[-1] = side.move
            side.y = side.position + side.move
        e.gain_i = abs(dq * s[e.i_side.actor, e.q] - dp * s[e.i_side.actor, e.p])
        e.gain_j = abs(dp * s[e.j_side.actor, e.p] - dq * s[e.j_side.actor, e.q])

    # -- the terms of one exchange ------------------------------------------------------------
    def calculate(self, e: Exchange) -> None:
        s, w, D = self.s, self.w, self.D
        i, j, p, q = e.i_side.actor, e.j_side.actor, e.p, e.q
        rate = (s[i, p] + s[j, p]) / (s[i, q] + s[j, q])
        dist_i = abs(e.i_side.target - e.i_side.position)
        dist_j = abs(e.j_side.target - e.j_side.position)
        dp = dist_j * w[j, p] / D[p]
        dq = dp * rate
        full_i, full_j = False, True
        if dq * D[q] / w[i, q] > dist_i:
            dq = dist_i * w[i, q] / D[q]
            dp = dq / rate
            full_i, full_j = True, False
        e.i_side.moves.append(0.0)
        e.j_side.moves.append(0.0)
        self.set_moves(e, dp, dq)
        # the side that moves all the way moves exactly its distance (not the distance recovered
        # from the outcome shift, which rounding can put just past 100) and lands on the target
        for side, full, dist in ((e.i_side, full_i, dist_i), (e.j_side, full_j, dist_j)):
            if full:
                side.move = -dist if side.position > side.target else dist
                side.moves[-1] = side.move
                side.y = side.target
        e.gain = e.gain_i
        e.valid = self.move_ok(e.i_side) and self.move_ok(e.j_side) and e.gain >= MIN_GAIN
        if not e.valid:
            return
        for side in (e.i_side, e.j_side):
            side.nbs0 = self.view(e, side, side.position)
            side.nbs1 = self.view(e, side, side.y)
            before, after = side.target - side.nbs0, side.target - side.nbs1
            # only a move carrying the outcome from one side of the demander's position to the
            # other is shortened; an outcome at that position before or after is left alone
            cross = abs(before) > EDGE and abs(after) > EDGE and not (
                (before >= 0 and after >= 0) or (before <= 0 and after <= 0))
            if not cross:
                continue
            # the reference measures the needed shift with the supplier at the position the
            # demander last received from it, when there is one
            received = e.updates.get(side.supply, {}).get(side.actor)
            base = side.nbs0 if received is None else self.view(e, side, received)
            shift = abs(side.target - base)
            if side is e.i_side:
                dq, dp = shift, shift / rate
            else:
                dp, dq = shift, shift * rate
            self.set_moves(e, dp, dq)
            e.gain = e.gain_j if side is e.i_side else e.gain_i
            e.valid = self.move_ok(e.i_side) and self.move_ok(e.j_side)
            side.nbs1 = self.view(e, side, side.y)
        e.valid = self.move_ok(e.i_side) and self.move_ok(e.j_side)

    # -- reaction of a waiting exchange to a realised one -------------------------------------
    def react(self, e: Exchange, r: Exchange) -> None:
        matched = False
        for side in (e.i_side, e.j_side):
            for rside in (r.i_side, r.j_side):
                if side.actor == rside.actor and side.supply == rside.supply:
                    side.position = rside.y
                    side.moves.append(rside.moves[-1])
                    matched = True
        if matched:
            e.i_side.moves.pop()
            e.j_side.moves.pop()
        served = False
        for giver, taker in ((r.i_side, r.j_side), (r.j_side, r.i_side)):
            # taker demanded giver's supply issue
            for side in (e.i_side, e.j_side):
                if side.actor == taker.actor and side.demand == taker.demand:
                    book = e.updates.setdefault(taker.demand, {})
                    if giver.actor in book:
                        old = book[giver.actor]
                        start = self.x[giver.actor, giver.supply]
                        book[giver.actor] = min(old, giver.y) if start <= old else max(old, giver.y)
                    else:
                        book[giver.actor] = giver.y
                    served = True
        if served and not matched:
            e.i_side.moves.pop()
            e.j_side.moves.pop()
        if matched or served:
            self.calculate(e)  # appends fresh current moves

    def run(self) -> list[Exchange]:
        for e in self.exchanges:
            self.calculate(e)
        waiting = [e for e in self.exchanges if e.valid]
        realized: list[Exchange] = []
        while waiting:
            best = max(e.gain for e in waiting)
            tied = [e for e in waiting if e.gain >= best - 1e-12]  # creation order
            pick = tied[0]
            if len(tied) > 1:
                self.ties += 1
                if self.tie_break == "random" and self.rng.random() >= 0.5:
                    pick = tied[1]
            waiting.remove(pick)
            realized.append(pick)
            for e in waiting:
                self.react(e, pick)
            waiting = [e for e in waiting if e.valid]
        return realized


def oracle_trajectory(x, salience, capability, present, rounds, salience_weight=0.4,
                      fixed_weight=0.1):
    """Voting outcomes and positions over ``rounds`` rounds (0-100 scale), ties broken "first"."""
    x = np.array(x, dtype=float)
    records = []
    for _ in range(rounds):
        game = OracleRound(x, salience, capability, present)
        realized = game.run()
        voting, nxt = x.copy(), x.copy()
        for e in realized:
            for side in (e.i_side, e.j_side):
                voting[side.actor, side.supply] = side.y
                share = (1 - salience[side.actor, side.supply]) * salience_weight + fixed_weight
                nxt[side.actor, side.supply] = share * side.y + (1 - share) * x[side.actor,
                                                                               side.supply]
        w = capability * salience * present
        # where nobody weighs in on an issue, the plain mean of the votes (the model's rule)
        outcome = np.array([(w[:, k] * voting[:, k]).sum() / w[:, k].sum()
                            if w[:, k].sum() > 0 else voting[:, k].mean()
                            for k in range(x.shape[1])])
        records.append({"realized": realized, "voting_outcome": outcome, "next": nxt,
                        "ties": game.ties})
        x = nxt
    return records


def rounds_agree(record, expected: dict, arrays: ScenarioArrays) -> list[str]:
    """How one round of Allegiance's model (``record``) differs from a round of decide's
    (``expected``: realised exchanges ``[i, j, i_supply, j_supply, gain, y_i, y_j]`` and voting
    outcomes): an empty list when every exchange is the same, in the same order, with the same
    gain (relative 1e-9) and voting positions (1e-9), and every voting outcome agrees to 1e-10."""
    low, span = arrays.scale_low, arrays.scale_high - arrays.scale_low
    ids, issues = arrays.actor_ids, arrays.issue_ids
    rz = record.realized
    if len(rz["I"]) != len(expected["realized"]):
        return [f"{len(rz['I'])} exchanges, decide {len(expected['realized'])}"]
    differences = []
    for k, want in enumerate(expected["realized"]):
        got = (ids[rz["I"][k]], ids[rz["J"][k]], issues[rz["Q"][k]], issues[rz["P"][k]])
        if got != tuple(want[:4]):
            differences.append(f"exchange {k + 1}: {got}, decide {tuple(want[:4])}")
        elif not (abs(rz["gain"][k] - want[4]) <= max(1e-9 * abs(want[4]), 1e-14)
                  and abs(rz["yI"][k] - want[5]) <= 1e-9 and abs(rz["yJ"][k] - want[6]) <= 1e-9):
            differences.append(f"exchange {k + 1}: gain or voting positions")
    outcome = record.voting_outcome * span / 100 + low
    want = np.array([expected["voting_outcome"][k] for k in issues])
    if not np.all(np.abs(outcome - want) <= 1e-10):
        differences.append("voting outcomes")
    return differences


def first_differing_round(records, rounds: list[dict], arrays: ScenarioArrays) -> int | None:
    """The first round (1-based) in which ``records`` differ from decide's ``rounds``; None when
    all agree (see :func:`rounds_agree`)."""
    for r, (record, expected) in enumerate(zip(records, rounds, strict=True)):
        if rounds_agree(record, expected, arrays):
            return r + 1
    return None
