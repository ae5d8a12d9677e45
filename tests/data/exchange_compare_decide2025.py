"""Print, per issue, how Allegiance's exchange model compares with decide-exchange-model 2025.3.1.

Reads decide's recorded final voting outcomes (tests/data/exchange_decide_2025.json) and runs
Allegiance's model (``repetitions`` seeded runs of 10 rounds, seed 2025) in each arithmetic; for
every issue it prints the two-sample Kolmogorov-Smirnov statistic and p-value, both means, both
standard deviations and the difference of the means in decide's standard deviations. The tables
in docs/models/exchange.md were printed by

    .venv/bin/python tests/data/exchange_compare_decide2025.py [REPETITIONS] [FILE ...]

(from the repository root; needs ../shared/reference/decide; default 200 repetitions, both
files). With ``--markdown`` it prints instead the summary in docs/models/exchange.md (``make docs``
writes it there): the counts the checks rest on, the replay of every recorded decide run with
decide's coin and seed, and, per issue, the KS p-values (decide's seeds; Allegiance's seed with
200 runs, the number the distribution test uses) and the gap of the means.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import ks_2samp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from exchange_oracle import (  # noqa: E402
    decide_member_order,
    decide_rounds,
    first_differing_round,
    read_decide_file,
    run_decide_seed,
)

from allegiance.models.exchange import ExchangeModel  # noqa: E402

SHARED = ROOT.parent / "shared" / "reference" / "decide"
DATA = ROOT / "tests" / "data" / "exchange_decide_2025.json"
REFERENCE_2022 = ROOT / "tests" / "data" / "exchange_decide_reference.json"
#: Allegiance's runs in the distribution test (tests/test_exchange_decide2025.py), and its seed
OWN_REPETITIONS, SEED = 200, 2025


def replay(name: str, arrays, entry) -> tuple[np.ndarray, int]:
    """Allegiance's run of each of decide's recorded seeds (decide's coin: ``random.Random(seed)``;
    decide's order of summation): the final outcomes, and how many runs equal decide's in every
    round (voting outcomes within 1e-9) and in their number of ties."""
    order = decide_member_order(SHARED / name, arrays)
    finals, identical = [], 0
    for k, (seed, ties) in enumerate(zip(entry["seeds"], entry["ties"], strict=True)):
        ours, our_ties = run_decide_seed(arrays, order, seed)
        identical += bool(np.abs(ours - decide_rounds(entry, k, arrays)).max() <= 1e-9
                          and our_ties == ties)
        finals.append(ours[-1])
    return np.array(finals), identical


def markdown() -> str:
    """The summary of the comparison with decide 2025.3.1 written into docs/models/exchange.md."""
    data = json.loads(DATA.read_text())["data"]
    first_round = json.loads(REFERENCE_2022.read_text())["data"]
    facts, rows, passed, family, replay_passed = [], [], 0, 0, 0
    for name, entry in data.items():
        arrays = read_decide_file(SHARED / name)
        theirs = np.array([[row[k] for k in arrays.issue_ids]
                           for row in entry["final_voting_outcome"]])
        _, records = ExchangeModel(rounds=10, tie_break="first").simulate(
            arrays, np.random.default_rng(0))
        parts = first_differing_round(records, entry["deterministic"], arrays)
        _, exact = ExchangeModel(rounds=10, tie_break="first", arithmetic="decimal28").simulate(
            arrays, np.random.default_rng(0))
        same = first_differing_round(exact, entry["deterministic"], arrays)
        replayed, identical = replay(name, arrays, entry)
        facts.append(f"`{name}`: {arrays.n_actors} actors, {arrays.n_issues} issues, "
                     f"{len(first_round[name]['first_round'])} potential exchanges in round 1; "
                     f"decide's recorded runs: {len(theirs)}; `decimal28` deterministic rounds "
                     + ("identical to decide's in all 10" if same is None else
                        f"leave decide's in round {same}")
                     + "; `float` " + ("identical in all 10" if parts is None else
                                       f"leaves them in round {parts}")
                     + f"; random tie-breaks with decide's coin and seeds: {identical} of "
                     f"{len(theirs)} runs identical to decide's in every round and in the number "
                     "of ties")
        model = ExchangeModel(rounds=10, repetitions=OWN_REPETITIONS, arithmetic="decimal28")
        mine = model.run(arrays, random_state=SEED).extra["outcome_repetitions"]
        for k, issue in enumerate(arrays.issue_ids):
            same_seeds = ks_2samp(replayed[:, k], theirs[:, k]).pvalue
            ks = ks_2samp(mine[:, k], theirs[:, k])
            sd = theirs[:, k].std(ddof=1)
            gap = abs(mine[:, k].mean() - theirs[:, k].mean())
            passed += ks.pvalue > 0.05
            replay_passed += same_seeds > 0.05
            family += ks.pvalue > 0.05 / arrays.n_issues
            rows.append(f"| {name} | {issue} | {same_seeds:.3f} | {ks.pvalue:.3f} | "
                        f"{mine[:, k].mean():.3f} | {theirs[:, k].mean():.3f} | {sd:.3f} | "
                        f"{gap / sd:.2f} |")
    largest = max(len(read_decide_file(SHARED / name).issue_ids) for name in data)
    chance = 1 - 0.95 ** largest
    return ("\n".join(f"- {fact}" for fact in facts) + "\n"
            f"- Run on decide's seeds, `decimal28` gives KS p > 0.05 on {replay_passed} of "
            f"{len(rows)} issues.\n"
            f"- {OWN_REPETITIONS} runs on Allegiance's own seed ({SEED}) against decide's: KS "
            f"p > 0.05 on {passed} of {len(rows)} issues, p > 0.05 / number of issues of its file "
            f"(the family-wise 5 % level) on {family} of {len(rows)}. With equal distributions, "
            f"some issue of {largest} falls below p = 0.05 by chance in {chance * 100:.0f} % of "
            "comparisons.\n\n"
            f"| file | issue | KS p (decide's seeds) | KS p (seed {SEED}) | "
            f"mean (ours, seed {SEED}) | mean (decide) | SD (decide) | mean gap / decide SD |\n"
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
            + "\n".join(rows) + "\n")


def main() -> None:
    if "--markdown" in sys.argv:
        print(markdown(), end="")
        return
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
