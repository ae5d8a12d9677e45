"""How the synthetic exchange-model inputs in tests/data/decide_synthetic/ were made
(documentation; the tests read the files, they do not run this script).

Three scenarios of Allegiance's own, drawn with NumPy (seeds below): positions clustered on a few
points of a 0-100 scale plus noise, so that actors fall on both sides of the expected outcome;
saliences and capabilities uniform, two decimals; an actor is absent from an issue with
probability 0.1. Two more, ``grid-*``, put every position on 0, 50 or 100, every salience at 0.5
or 1 and every capability at 0.1 or 0.2: many exchanges then have equal gains (the reference's
coin decides often, and the copies its tie rule leaves in its list matter), and on some issues
the expected outcome is exactly 50, so that actors sit on it (the side the reference's exact
arithmetic puts them on decides which exchanges exist). Each is validated as an Allegiance
scenario and written in decide's input format by Allegiance's own exporter (``allegiance.io``
format ``decide``), so the comparison with the reference implementation also exercises the
exporter.

Usage: ``python tests/data/exchange_make_synthetic.py`` (from the repository root).
"""

from pathlib import Path

import numpy as np

from allegiance.io import export_scenario
from allegiance.scenario.model import Scenario

#: name -> (actors, issues, seed)
CASES = {"syn-8x4": (8, 4, 11), "syn-12x6": (12, 6, 12), "syn-20x5": (20, 5, 13)}
#: name -> seed; 11 actors, 7 issues, everyone on every issue
GRID_CASES = {"grid-11x7-a": 12, "grid-11x7-b": 14}
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


def grid(name: str, seed: int, n_actors: int = 11, n_issues: int = 7) -> Scenario:
    rng = np.random.default_rng(seed)
    position = rng.choice([0.0, 50.0, 100.0], size=(n_actors, n_issues))
    salience = rng.choice([0.5, 1.0], size=(n_actors, n_issues))
    capability = rng.choice([0.1, 0.2], size=n_actors)
    issues = [{"id": f"k{k}", "name": f"issue {k}", "scale": [0, 100]} for k in range(n_issues)]
    actors = [
        {"id": f"a{a}", "name": f"actor {a}", "capability": float(capability[a]),
         "issues": {f"k{k}": {"position": float(position[a, k]),
                              "salience": float(salience[a, k])} for k in range(n_issues)}}
        for a in range(n_actors)
    ]
    return Scenario.model_validate({"id": name, "title": f"synthetic {name}", "issues": issues,
                                    "actors": actors})


def main() -> None:
    OUT.mkdir(exist_ok=True)
    scenarios = [synthetic(name, *case) for name, case in CASES.items()]
    scenarios += [grid(name, seed) for name, seed in GRID_CASES.items()]
    for scenario in scenarios:
        text = export_scenario(scenario, "decide")
        (OUT / f"{scenario.id}.csv").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
