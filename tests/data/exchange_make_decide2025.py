"""How tests/data/exchange_decide_2025.json was made (documentation; the tests never run it).

Runs the reference implementation of the exchange model as published, the registry package
``decide-exchange-model==2025.3.1`` (GPL-3.0; it needs Python 3.13), installed beforehand in a
separate virtual environment outside the Allegiance checkout -- this script neither installs nor
builds it:

    python3.13 -m venv $HOME/decide-venv
    $HOME/decide-venv/bin/pip install decide-exchange-model==2025.3.1

Each repetition is what decide's command line (``decide-cli --model equal --iterations 10``, its
defaults in 2025.3.1: ``--p`` unset, ``--start 0.0 --step 0.00 --stop 0.00``, i.e. randomised
value ``"0"``, plain equal gain) does for one repetition: a fresh model from
``ModelFactory(InputDataFile.open(file))(model_klass=EqualGainModel, randomized_value="0")`` and
ten calls of ``ModelLoop.loop`` (no observers are registered: they only write files). The only
change is that Python's ``random`` is seeded with the repetition's seed before the repetition
(the command line leaves it unseeded), so that the file can be remade. Only numbers are stored.

Usage (from tests/data; one file per call, so that calls can run side by side):

    $HOME/decide-venv/bin/python exchange_make_decide2025.py \\
        ../../../shared/reference/decide/sample_data.txt part.json FIRST_SEED REPETITIONS \\
        [--deterministic]

``--deterministic`` also records one 10-round run with decide's tie coin replaced by the rule
Allegiance calls ``tie_break="first"`` (among exchanges whose gains lie within 1e-12 of the best,
realise the one created first; nothing else changes). The parts are merged by
``exchange_make_decide2025.py --merge out.json part1.json part2.json ...``.
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
from decide.model.observers.observer import Observable
from decide.model.utils import ModelLoop

SOURCE = ("decide-exchange-model==2025.3.1 (ModelFactory + ModelLoop as its command line runs "
          "them, randomized_value='0'), Python 3.13, random.seed(seed) per repetition")


def outcome(model):
    """The voting outcome of the last round on each issue's own scale."""
    return {
        issue.name: float(issue.lower + value * (issue.upper - issue.lower) / 100)
        for issue, value in model.nbs.items()
    }


def run(factory, seed, rounds=10):
    random.seed(seed)
    model = factory(model_klass=equalgain.EqualGainModel, randomized_value="0")
    handler = Observable(model_ref=model, output_directory=Path("."))
    loop = ModelLoop(model, handler, 0)
    per_round = []
    for _ in range(rounds):
        loop.loop()
        per_round.append(outcome(model))
    return per_round, model.tie_count


ORIGINAL_HIGHEST_GAIN = equalgain.EqualGainModel.highest_gain
ORIGINAL_ADD_EXCHANGE = base.AbstractModel.add_exchange


def numbered_add_exchange(self, *args, **kwargs):
    exchange = ORIGINAL_ADD_EXCHANGE(self, *args, **kwargs)
    exchange.created = len(self.exchanges) - 1
    return exchange


def first_rule_highest_gain(self):
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


def exchange_row(e):
    return [
        e.i.actor.actor_id, e.j.actor.actor_id, e.i.supply.issue.name, e.j.supply.issue.name,
        float(e.gain), float(e.i.y), float(e.j.y),
    ]


def deterministic(factory, rounds=10):
    """10 rounds with the deterministic tie rule: realised exchanges and voting outcomes."""
    base.AbstractModel.add_exchange = numbered_add_exchange
    equalgain.EqualGainModel.highest_gain = first_rule_highest_gain
    try:
        model = factory(model_klass=equalgain.EqualGainModel, randomized_value="0")
        handler = Observable(model_ref=model, output_directory=Path("."))
        realized_rows = []

        class Recorder:
            model_ref = model

            def __getattr__(self, name):
                return lambda *a, **k: None

            def execute_exchange(self, exchange):
                realized_rows.append(exchange)

        handler.register(Recorder())
        loop = ModelLoop(model, handler, 0)
        out = []
        for _ in range(rounds):
            realized_rows.clear()
            loop.loop()
            # rows read after the round: the exchange objects hold their final voting positions
            out.append({"realized": [exchange_row(e) for e in realized_rows],
                        "voting_outcome": outcome(model)})
        return out
    finally:
        base.AbstractModel.add_exchange = ORIGINAL_ADD_EXCHANGE
        equalgain.EqualGainModel.highest_gain = ORIGINAL_HIGHEST_GAIN


def main():
    if sys.argv[1] == "--merge":
        out, parts = Path(sys.argv[2]), [json.loads(Path(p).read_text()) for p in sys.argv[3:]]
        merged = {"source": SOURCE, "data": {}}
        for part in parts:
            for name, entry in part["data"].items():
                target = merged["data"].setdefault(name, {"seeds": [], "final_voting_outcome": [],
                                                          "voting_outcome_by_round": [],
                                                          "ties": [], "seconds_per_run": []})
                for key in ("seeds", "final_voting_outcome", "voting_outcome_by_round", "ties",
                            "seconds_per_run"):
                    target[key] += entry[key]
                if "deterministic" in entry:
                    target["deterministic"] = entry["deterministic"]
        out.write_text(json.dumps(merged))
        return
    path, out = Path(sys.argv[1]), Path(sys.argv[2])
    first, count = int(sys.argv[3]), int(sys.argv[4])
    factory = ModelFactory(InputDataFile.open(path))
    entry = {"seeds": [], "final_voting_outcome": [], "voting_outcome_by_round": [], "ties": [],
             "seconds_per_run": []}
    if "--deterministic" in sys.argv:
        entry["deterministic"] = deterministic(factory)
    for seed in range(first, first + count):
        started = time.perf_counter()
        per_round, ties = run(factory, seed)
        entry["seconds_per_run"].append(time.perf_counter() - started)
        entry["seeds"].append(seed)
        entry["final_voting_outcome"].append(per_round[-1])
        entry["voting_outcome_by_round"].append(per_round)
        entry["ties"].append(ties)
        out.write_text(json.dumps({"source": SOURCE, "data": {path.name: entry}}))
        print(path.name, seed, f"{entry['seconds_per_run'][-1]:.2f}s", flush=True)


if __name__ == "__main__":
    main()
