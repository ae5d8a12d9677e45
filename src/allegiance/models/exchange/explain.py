"""Events and explanation tables of the exchange model: the realised exchanges of every round,
their gains, and the externalities they cause for third parties (inner and outer, as the
reference reports them).

Reference: F. N. Stokman and R. van Oosten, "The exchange of voting positions: an
object-oriented model of policy networks", in B. Bueno de Mesquita and F. N. Stokman (eds.),
*European Community Decision Making*, Yale University Press 1994, 105-127; the reference
implementation decide-exchange-model (release 2025.3.1). See docs/models/exchange.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from allegiance.models.base import ExplainTable
from allegiance.models.exchange.round import ExchangeRound, RoundRecord


def _externalities(
    engine: ExchangeRound, realized: dict[str, list]
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




def events(arrays, records, span, low) -> list[dict[str, Any]]:
    """One event per side of every realised exchange of ``records`` (scenario units)."""
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

def explain_tables(arrays, records, span, low) -> list[ExplainTable]:
    """The last round's realised exchanges and the externalities each actor received."""
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
