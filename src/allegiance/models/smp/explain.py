"""What the Spatial Model of Politics says about a run, in words: one event per challenge and
per move (``ModelResult.events``) and the table explaining the last turn (``--explain``).

Reference: KTAB's Spatial Model of Politics (Wise et al., KAPSARC 2015–2017); the numbers
explained are those of docs/models/smp.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from allegiance.models.base import ExplainTable
from allegiance.models.smp.options import BARGAIN_KIND_WORDS


def events(arrays, turns, history, span, low) -> list[dict[str, Any]]:
    ids, issues = arrays.actor_ids, arrays.issue_ids
    kinds = BARGAIN_KIND_WORDS
    events: list[dict[str, Any]] = []
    append = events.append

    def maps(values: np.ndarray) -> list[dict[str, float]]:
        rows = (values * span + low).round(10).tolist()
        return [dict(zip(issues, row, strict=True)) for row in rows]

    after = maps(history[0]) if turns else []
    for t, turn in enumerate(turns):
        before, after = after, maps(history[t + 1])
        b = turn.bargains
        init, rcvr = b["initiator"].tolist(), b["receiver"].tolist()
        pos_i, pos_j = maps(b["position_initiator"]), maps(b["position_receiver"])
        est = turn.estimates.tolist()
        adopted = turn.adopted.tolist()
        adopters: dict[int, list[str]] = {}
        for k, bi in enumerate(adopted):
            if bi >= 0:
                adopters.setdefault(bi, []).append(ids[k])
        kind = b["kind"].tolist()
        round_ = t + 1
        for bi, i in enumerate(init):
            j = rcvr[bi]
            e0, e1, e2, e3 = est[i]
            append({
                "round": round_, "issue": None, "actor": ids[i], "counterpart": ids[j],
                "kind": "challenge", "from": before[i], "to": pos_i[bi],
                "detail": {
                    "probability": e0[0],
                    "expected_gain": e0[1],
                    "initiator_estimate_of_target_gain": e1[1],
                    "target_estimate_probability": e2[0],
                    "target_estimate_of_initiator_gain": e2[1],
                    "target_estimate_of_own_gain": e3[1],
                    "bargain_kind": kinds[kind[bi]],
                    "bargain": {ids[i]: pos_i[bi], ids[j]: pos_j[bi]},
                    "adopted_by": adopters.get(bi, []),
                },
            })
        probability = turn.chosen_probability.tolist()
        length = turn.queue_length.tolist()
        for k, bi in enumerate(adopted):
            if bi < 0 or before[k] == after[k]:
                continue
            i, j = init[bi], rcvr[bi]
            append({
                "round": round_, "issue": None, "actor": ids[k],
                "counterpart": ids[j if k == i else i], "kind": "move",
                "from": before[k], "to": after[k],
                "detail": {"bargain": f"{ids[i]}->{ids[j]}", "probability": probability[k],
                           "options": length[k]},
            })
    return events

def explain(arrays, turns, history, span, low) -> list[ExplainTable]:
    if not turns:
        return []
    ids = arrays.actor_ids
    turn = turns[-1]
    before, after = history[-2], history[-1]
    b = turn.bargains
    rows = []
    for k in range(len(ids)):
        bi = int(turn.adopted[k])
        p_choice = round(float(turn.chosen_probability[k]), 4)
        step = round(float(np.sqrt((((after[k] - before[k]) * span) ** 2).sum())), 4)
        moved = f"{step:.3g}" if step > 0 else "no"
        if bi < 0:
            rows.append([ids[k], moved, "status quo", None, None, None, None, p_choice])
            continue
        i, j = int(b["initiator"][bi]), int(b["receiver"][bi])
        est = turn.estimates[i]
        why = f"challenged {ids[j]}" if k == i else f"challenged by {ids[i]}"
        rows.append([ids[k], moved, why, round(float(est[0, 0]), 3),
                     round(float(est[0, 1]), 3), round(float(est[2, 0]), 3),
                     round(float(est[3, 1]), 3), p_choice])
    return [ExplainTable(
        title=f"Why each actor moved in turn {len(turns)}",
        columns=["actor", "moved", "bargain", "P(win) init.", "gain init.",
                 "P(win) target", "gain target", "P(option)"],
        rows=rows,
        note=("moved: distance moved (issue units). Each actor adopts the likeliest option "
              "of its queue (status quo, bargains it proposed or received) by a PCE among "
              "all actors. P(win) / gain: the initiator's chance of beating the target and "
              "expected utility gain as the initiator sees it, and as the target sees it "
              "(target's gain: its own)."),
    )]
