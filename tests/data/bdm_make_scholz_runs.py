"""How tests/data/bdm_scholz_runs.json was made (documentation; the tests never run it).

Runs the public Python implementation of Scholz, Calbert & Smith (2011), ``bdm_scholz_model.py``
of GitHub ``dmasad/bdm-scholz-expected-utility-model`` (HEAD d7c7bba), kept outside the
Allegiance checkout -- this script neither downloads nor copies it -- on scenarios drawn here:
4 to 12 actors, whole-number positions on 0-10 or 0-100, saliences in tenths, capabilities in
twentieths (the coarse grids real data sets use, where saliences that add up to 1 are common).
Each run is what the program's ``run_model`` does for 10 rounds (``update_risk_aversions`` and
``update_positions``), q = 1; the positions of every actor after every round are stored. A
scenario on which the program stops with ZeroDivisionError (every danger level equal) is left
out and counted. Only numbers are stored.

Usage (from tests/data):

    PYTHONPATH=/path/to/bdm-scholz-expected-utility-model \\
        python bdm_make_scholz_runs.py bdm_scholz_runs.json SEED CASES
"""

import json
import sys

import numpy as np
from bdm_scholz_model import BDMScholzModel

SOURCE = ("bdm_scholz_model.py of dmasad/bdm-scholz-expected-utility-model (HEAD d7c7bba), "
          "Python 3.11, BDMScholzModel(data, q=1.0): 10 x (update_risk_aversions(), "
          "update_positions())")
ROUNDS = 10


def draw(rng):
    """One scenario on the coarse grids of real data."""
    n = int(rng.integers(4, 13))
    position = rng.integers(0, 11, n).astype(float) * float(rng.choice([1, 10]))
    salience = rng.integers(1, 11, n) / 10
    capability = rng.integers(1, 21, n) / 20
    return position, salience, capability


def run(position, salience, capability):
    data = [{"Actor": f"a{k}", "Capability": repr(float(c)), "Salience": repr(float(s)),
             "Position": repr(float(p))}
            for k, (p, s, c) in enumerate(zip(position, salience, capability, strict=True))]
    model = BDMScholzModel(data, q=1.0, verbose=False)
    positions = [[actor.x for actor in model.actors]]
    for _ in range(ROUNDS):
        model.update_risk_aversions()
        model.update_positions()
        positions.append([actor.x for actor in model.actors])
    return positions


def main(out, seed, count):
    rng = np.random.default_rng(seed)
    cases, stopped = [], []
    for case in range(count):
        position, salience, capability = draw(rng)
        try:
            positions = run(position, salience, capability)
        except ZeroDivisionError:
            stopped.append(case)
            continue
        cases.append({"case": case, "position": position.tolist(),
                      "salience": salience.tolist(), "capability": capability.tolist(),
                      "positions": positions})
    document = {"origin": SOURCE, "seed": seed, "rounds": ROUNDS,
                "stopped_with_zero_division": stopped, "cases": cases}
    with open(out, "w") as handle:
        json.dump(document, handle, indent=0)
        handle.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
