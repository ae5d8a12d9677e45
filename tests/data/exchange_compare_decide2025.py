"""Print, per issue, how Allegiance's exchange model compares with decide-exchange-model 2025.3.1.

Reads decide's recorded final voting outcomes (tests/data/exchange_decide_2025.json) and runs
Allegiance's model (``repetitions`` seeded runs of 10 rounds, seed 2025) in each arithmetic; for
every issue it prints the two-sample Kolmogorov-Smirnov statistic and p-value, both means, both
standard deviations and the difference of the means in decide's standard deviations. The tables
in docs/models/exchange.md were printed by

    .venv/bin/python tests/data/exchange_compare_decide2025.py [REPETITIONS] [FILE ...]

(from the repository root; needs ../shared/reference/decide; default 200 repetitions, both
files).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import ks_2samp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from exchange_oracle import read_decide_file  # noqa: E402

from allegiance.models.exchange import ExchangeModel  # noqa: E402

SHARED = ROOT.parent / "shared" / "reference" / "decide"
DATA = ROOT / "tests" / "data" / "exchange_decide_2025.json"


def main() -> None:
    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    data = json.loads(DATA.read_text())["data"]
    names = sys.argv[2:] or list(data)
    for name in names:
        entry = data[name]
        arrays = read_decide_file(SHARED / name)
        theirs = np.array([[row[k] for k in arrays.issue_ids]
                           for row in entry["final_voting_outcome"]])
        for arithmetic in ("decimal28", "float"):
            model = ExchangeModel(rounds=10, repetitions=repetitions, arithmetic=arithmetic)
            mine = model.run(arrays, random_state=2025).extra["outcome_repetitions"]
            print(f"\n{name}: arithmetic={arithmetic}, {repetitions} runs vs decide's "
                  f"{len(theirs)}")
            print("| issue | KS D | KS p | mean (ours) | mean (decide) | SD (ours) | SD (decide) "
                  "| mean gap / decide SD |")
            print("| --- | --- | --- | --- | --- | --- | --- | --- |")
            for k, issue in enumerate(arrays.issue_ids):
                ks = ks_2samp(mine[:, k], theirs[:, k])
                sd_mine, sd = mine[:, k].std(ddof=1), theirs[:, k].std(ddof=1)
                gap = abs(mine[:, k].mean() - theirs[:, k].mean())
                print(f"| {issue} | {ks.statistic:.3f} | {ks.pvalue:.3f} | "
                      f"{mine[:, k].mean():.3f} | {theirs[:, k].mean():.3f} | {sd_mine:.3f} | "
                      f"{sd:.3f} | {gap / sd if sd > 0 else float('nan'):.2f} |")


if __name__ == "__main__":
    main()
