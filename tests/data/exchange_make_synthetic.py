"""How the synthetic exchange-model inputs in tests/data/decide_synthetic/ were made
(documentation; the tests read the files, they do not run this script).

Three scenarios of Allegiance's own, drawn with NumPy (seeds below): positions clustered on a few
points of a 0-100 scale plus noise, so that actors fall on both sides of the expected outcome;
saliences and capabilities uniform, two decimals; an actor is absent from an issue with
probability 0.1. Each is validated as an Allegiance scenario and written in decide's input format
by Allegiance's own exporter (``allegiance.io`` format ``decide``), so the comparison with the
reference implementation also exercises the exporter.

Usage: ``python tests/data/exchange_make_synthetic.py`` (from the repository root).
"""

from pathlib import Path

import numpy as np

from allegiance.io import export_scenario
from allegiance.scenario.model import Scenario

#: name -> (actors, issues, seed)
CASES = {"syn-8x4": (8, 4, 11), "syn-12x6": (12, 6, 12), "syn-20x5": (20, 5, 13)}
OUT = Path(__file__).parent / "decide_synthetic"


def synthetic(name: str, n_actors: int, n_issues: int, seed: int) -> Scenario:
    rng = np.random.default_rng(seed)
    points = np.array([0.0, 20.0, 35.0, 50.0, 65.0, 80.0, 100.0])
    issues = [{"id": f"k{k}", "name": f"issue {k}", "scale": [0, 100]} for k in range(n_issues)]
    actors = []
    for a in range(n_actors):
        stances = {}
        for k in range(n_issues):
            if rng.random() < 0.1:
                continue
            position = round(float(np.clip(rng.choice(points) + rng.uniform(-3, 3), 0, 100)), 2)
            stances[f"k{k}"] = {"position": position,
                                "salience": round(float(rng.uniform(0.1, 1.0)), 2)}
        actors.append({"id": f"a{a}", "name": f"actor {a}",
                       "capability": round(float(rng.uniform(0.2, 1.0)), 2), "issues": stances})
    return Scenario.model_validate({"id": name, "title": f"synthetic {name}", "issues": issues,
                                    "actors": actors})


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, (n_actors, n_issues, seed) in CASES.items():
        text = export_scenario(synthetic(name, n_actors, n_issues, seed), "decide")
        (OUT / f"{name}.csv").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
