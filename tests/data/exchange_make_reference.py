"""How tests/data/exchange_decide_reference.json was made (documentation; not run by the tests).

Runs the reference implementation of the exchange model, the registry package
``decide-exchange-model==2022.1.28`` (GPL-3.0), through its library API in a separate virtual
environment (its command line fails headless as shipped), on the reference inputs
``../shared/reference/decide/{sample_data.txt,cop21.csv}``, and stores only numbers:

1. ``first_round``: every potential exchange of round 1 as first calculated (actors, supply issues,
   gain, validity, moves) -- deterministic in the reference.
2. ``deterministic``: 10 rounds with the reference's tie coin replaced by the deterministic rule
   Allegiance calls ``tie_break="first"`` (among exchanges whose gains lie within 1e-12 of the best,
   realise the one created first): realised exchanges per round and voting outcomes per round.
3. ``repetitions``: the unmodified reference (its own coin, Python ``random`` seeded 1000, 1001,
   ...) repeated, final voting outcome per issue after 10 rounds, to compare distributions.

With ``--exact-edge`` (written to ``exchange_decide_exact_edge.json``), the reference's
expected outcome is snapped onto a demander's position when it lies within 1e-12 of it, so that
an outcome sitting exactly on that position is treated as exact arithmetic treats it, rather than
by the sign of a 28-digit rounding residual (see ``docs/models/exchange.md``). Nothing else of the
reference changes.

Usage (outside the Allegiance checkout):
    python3.11 -m venv decide-env && decide-env/bin/pip install decide-exchange-model==2022.1.28
    MPLBACKEND=Agg QT_QPA_PLATFORM=offscreen decide-env/bin/python exchange_make_reference.py \
        ../shared/reference/decide out.json [repetitions_sample] [repetitions_cop21] \
        [--exact-edge] [--only FILE] [--inputs FILE,FILE,...]

``--inputs`` runs other decide-format files instead of the two reference inputs (first round and
deterministic rounds only; the synthetic scenarios of ``exchange_make_synthetic.py``).
"""

import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

from decide.data.modelfactory import ModelFactory
from decide.data.reader import InputDataFile
from decide.model import base, equalgain

ORIGINAL_HIGHEST_GAIN = equalgain.EqualGainModel.highest_gain
ORIGINAL_ADD_EXCHANGE = base.AbstractModel.add_exchange
ORIGINAL_ADJUST_NBS = base.AbstractExchangeActor.adjust_nbs


def exact_edge_adjust_nbs(self, position):
    """The outcome seen by this exchange actor, snapped onto the demander's position when it lies
    within 1e-12 of it (exact arithmetic instead of the sign of a rounding residual)."""
    value = ORIGINAL_ADJUST_NBS(self, position)
    target = self.opposite_actor.demand.position
    return target if abs(value - target) < Decimal("1e-12") else value


def numbered_add_exchange(self, *args, **kwargs):
    exchange = ORIGINAL_ADD_EXCHANGE(self, *args, **kwargs)
    exchange.created = len(self.exchanges) - 1  # position in the round's creation order
    return exchange


def first_rule_highest_gain(self):
    """Deterministic tie rule: the earliest-created exchange among those tied with the best."""
    valid = [e for e in self.exchanges if e.is_valid]
    if not valid:
        self.exchanges.clear()
        return None
    best = max(e.gain for e in valid)
    tied = [e for e in valid if e.gain >= best - Decimal("1e-12")]
    if len(tied) > 1:
        self.tie_count += 1
    pick = min(tied, key=lambda e: e.created)
    self.exchanges.remove(pick)
    return pick


def outcome(model):
    return {
        issue.name: float(issue.lower + value * (issue.upper - issue.lower) / 100)
        for issue, value in model.nbs.items()
    }


def exchange_row(e):
    return [
        e.i.actor.actor_id, e.j.actor.actor_id, e.i.supply.issue.name, e.j.supply.issue.name,
        float(e.gain), bool(e.is_valid), float(e.i.move), float(e.j.move),
        float(e.i.y) if e.i.y is not None else None, float(e.j.y) if e.j.y is not None else None,
    ]


def run(path, rounds, seed, detail):
    random.seed(seed)
    model = ModelFactory(InputDataFile.open(path))(model_klass=equalgain.EqualGainModel)
    record = {"rounds": []}
    for _ in range(rounds):
        model.exchanges = []
        model.calc_nbs()
        model.determine_positions()
        model.calc_combinations()
        model.determine_groups_and_calculate_exchanges()
        this = {}
        if detail:
            this["candidates"] = [exchange_row(e) for e in model.exchanges]
        ties = model.tie_count
        realized = []
        while model.exchanges:
            chosen = model.highest_gain()
            if chosen and chosen.is_valid:
                model.remove_invalid_exchanges(chosen)
                realized.append(chosen)
                if detail:
                    this.setdefault("realized", []).append(exchange_row(chosen))
        this["ties"] = model.tie_count - ties
        for e in realized:
            model.actor_issues[e.i.supply.issue][e.i.actor].position = e.i.y
            model.actor_issues[e.j.supply.issue][e.j.actor].position = e.j.y
        model.calc_nbs()
        this["voting_outcome"] = outcome(model)
        for e in realized:
            model.actor_issues[e.i.supply.issue][e.i.actor].position = e.i.new_start_position()
            model.actor_issues[e.j.supply.issue][e.j.actor].position = e.j.new_start_position()
        record["rounds"].append(this)
    return record


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    args = [a for a in args if a != only]
    if "--inputs" in sys.argv:
        args = [a for a in args if a != sys.argv[sys.argv.index("--inputs") + 1]]
    folder, out = Path(args[0]), Path(args[1])
    reps = {"sample_data.txt": int(args[2]) if len(args) > 2 else 200,
            "cop21.csv": int(args[3]) if len(args) > 3 else 100}
    source = "decide-exchange-model==2022.1.28 (library API), Python 3.11"
    if "--exact-edge" in sys.argv:
        base.AbstractExchangeActor.adjust_nbs = exact_edge_adjust_nbs
        source += "; outcome snapped onto a demander's position within 1e-12 (exact edge)"
    result = {"source": source, "data": {}}
    inputs = [folder / name for name in ("sample_data.txt", "cop21.csv")]
    if "--inputs" in sys.argv:  # other decide-format files (no repetitions are run for them)
        inputs = [Path(p) for p in sys.argv[sys.argv.index("--inputs") + 1].split(",")]
    for path in inputs:
        name = path.name
        if only and name != only:
            continue
        entry = {}
        # 1 + 2: deterministic tie rule
        base.AbstractModel.add_exchange = numbered_add_exchange
        equalgain.EqualGainModel.highest_gain = first_rule_highest_gain
        started = time.perf_counter()
        det = run(path, 10, 0, True)
        entry["deterministic_seconds"] = time.perf_counter() - started
        entry["first_round"] = det["rounds"][0]["candidates"]
        entry["deterministic"] = [
            {"realized": r["realized"], "voting_outcome": r["voting_outcome"], "ties": r["ties"]}
            for r in det["rounds"]
        ]
        # 3: the reference as shipped
        base.AbstractModel.add_exchange = ORIGINAL_ADD_EXCHANGE
        equalgain.EqualGainModel.highest_gain = ORIGINAL_HIGHEST_GAIN
        finals, ties, seconds = [], [], []
        for seed in range(1000, 1000 + reps.get(name, 0)):
            started = time.perf_counter()
            rec = run(path, 10, seed, False)
            seconds.append(time.perf_counter() - started)
            finals.append(rec["rounds"][-1]["voting_outcome"])
            ties.append(sum(r["ties"] for r in rec["rounds"]))
        entry["repetitions"] = {"seeds": [1000, 1000 + reps.get(name, 0)],
                                "final_voting_outcome": finals,
                                "ties": ties, "seconds_per_run": seconds}
        result["data"][name] = entry
        print(name, "done", flush=True)
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
