"""What the expected-utility ("BDM") model says about a run, in words: one event per offer
taken (``ModelResult.events``) and the table of each actor's view of each other actor
(``--explain``), named by Bueno de Mesquita's quadrants (conflict, compromise, capitulation,
stalemate).

Reference: B. Bueno de Mesquita, "Political forecasting: an expected utility method" (1994);
J. B. Scholz, G. J. Calbert and G. A. Smith, "Unravelling Bueno de Mesquita's group decision
model", Journal of Theoretical Politics 23(4), 2011. See docs/models/bdm.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from allegiance.models.base import ExplainTable
from allegiance.models.bdm.formulas import OFFER_KINDS
from allegiance.scenario.arrays import ScenarioArrays

#: Up to this many actors the explanation lists every ordered pair; above, the top few per actor.
EXPLAIN_ALL_PAIRS_MAX_ACTORS = 30
EXPLAIN_TOP_OTHERS = 5


def events(model, arrays: ScenarioArrays, trajectory: np.ndarray, details: dict) -> list[dict]:
    issue_id = arrays.issue_ids[0]
    ids = arrays.actor_ids
    events = []
    for t in range(model.rounds):
        kind = details["kind"][t]
        for i in np.flatnonzero(kind):
            j = int(details["counterpart"][t, i])
            events.append({
                "round": t + 1,
                "issue": issue_id,
                "actor": ids[i],
                "counterpart": ids[j],
                "kind": OFFER_KINDS[int(kind[i])],
                "from": float(trajectory[t, i]),
                "to": float(trajectory[t + 1, i]),
                "detail": {
                    "eu_actor_challenges": float(details["eu_challenge"][t, i]),
                    "eu_counterpart_challenges": float(details["eu_challenged"][t, i]),
                    "risk_aversion": float(details["risk"][t, i]),
                },
            })
    return events

def explain(model, arrays: ScenarioArrays, details: dict) -> ExplainTable:
    ids = arrays.actor_ids
    n = len(ids)
    x = details["view_position"]
    eu_ij, eu_ji = details["view_eu_challenge"], details["view_eu_challenged"]
    if n <= EXPLAIN_ALL_PAIRS_MAX_ACTORS:
        others = [[j for j in range(n) if j != i] for i in range(n)]
        scope = "Every ordered pair is listed"
    else:  # each actor's most threatening others only, to stay readable
        threat = np.where(x[None, :] == x[:, None], -np.inf, eu_ji)
        np.fill_diagonal(threat, -np.inf)
        top = np.argsort(-threat, axis=1, kind="stable")[:, :EXPLAIN_TOP_OTHERS]
        others = [list(row) for row in top]
        scope = (f"With {n} actors, each actor's {EXPLAIN_TOP_OTHERS} others with the largest "
                 "EU(other challenges actor) are listed")
    rows: list[list[Any]] = []
    for i in range(n):
        for j in others[i]:
            if x[i] == x[j]:
                continue
            kind, expected = quadrant(ids[i], ids[j], eu_ij[i, j], eu_ji[i, j],
                                      model.capitulation != "never")
            rows.append([ids[i], ids[j], round(float(x[i]), 4), round(float(x[j]), 4),
                         round(float(eu_ij[i, j]), 4), round(float(eu_ji[i, j]), 4),
                         kind, expected])
    when = f"start of round {model.rounds}" if model.rounds else "the initial positions"
    return ExplainTable(
        title=f"BDM: each actor's view of each other actor, issue {arrays.issue_ids[0]}, "
              f"{when}",
        columns=["actor", "other", "x actor", "x other", "EU actor challenges",
                 "EU other challenges", "quadrant", "expected"],
        rows=rows,
        note=(
            "Both expected utilities are computed by 'actor' with its own risk attitude. "
            "conflict: both gain from challenging (the larger EU expects to win); compromise: "
            "one gains more than the other loses, the loser concedes part of the distance; "
            "capitulation: the loser's loss exceeds the winner's gain, it gives in "
            f"(capitulation test in this run: {model.capitulation}); stalemate: neither gains. "
            f"{scope}; pairs at the same position are omitted."
        ),
    )




def quadrant(
    actor: str, other: str, eu_challenge: float, eu_challenged: float, capitulation: bool
) -> tuple[str, str]:
    """Name the quadrant of (EU_i(i challenges j), EU_i(j challenges i)) and who yields."""
    gives_in = "capitulates to" if capitulation else "would capitulate (test off: no move) to"
    if eu_challenge > 0 and eu_challenged > 0:
        if eu_challenged > eu_challenge:
            return "conflict", f"{actor} loses a confrontation to {other}"
        return "conflict", f"{other} loses a confrontation to {actor}"
    if eu_challenged > 0 > eu_challenge:
        if eu_challenged > -eu_challenge:
            return "compromise", f"{actor} compromises toward {other}"
        return "capitulation", f"{actor} {gives_in} {other}"
    if eu_challenge > 0 > eu_challenged:
        if eu_challenge > -eu_challenged:
            return "compromise", f"{other} compromises toward {actor}"
        return "capitulation", f"{other} {gives_in} {actor}"
    return "stalemate", "no move"
