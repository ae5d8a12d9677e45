"""The exchange model against decide-exchange-model 2025.3.1 as published, on its real data sets.

The reference numbers are in tests/data/exchange_decide_2025.json, made by running decide itself
(tests/data/exchange_make_decide2025.py says how; tests/data/exchange_reference.md in prose).
Allegiance's decide-compatible arithmetic (``arithmetic="decimal28"``) is compared with them:

- with the same deterministic tie rule on both sides, all 10 rounds are identical (every realised
  exchange in the same order, with the same gain and voting positions, and every voting outcome);
- with random tie-breaks and decide's coin (Python ``random`` seeded as decide's recorded run),
  each run is decide's run of that seed: the same voting outcomes in every round and the same
  number of ties (decide's list of exchanges, its sort and its copies reproduced);
- with Allegiance's own seeded generator, the distribution of the final (round 10) voting
  outcome of every issue agrees: two-sample Kolmogorov-Smirnov tests do not reject equality at
  the family-wise 5 % level, and the means differ by less than one of decide's standard
  deviations.

The inputs are decide's own files (GPL), which stay outside the repository in
``../shared/reference/decide``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from exchange_oracle import (
    decide_member_order,
    decide_rounds,
    first_differing_round,
    read_decide_file,
    rounds_agree,
    run_decide_seed,
)

from allegiance.models.exchange import ExchangeModel

SHARED = Path(__file__).parents[2] / "shared" / "reference" / "decide"
DECIDE_2025 = Path(__file__).parent / "data" / "exchange_decide_2025.json"
REFERENCE_2022 = Path(__file__).parent / "data" / "exchange_decide_reference.json"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"reference inputs not present at {SHARED} (GPL data, not shipped)"
)
NAMES = ["sample_data.txt", "cop21.csv"]
#: repetitions of Allegiance's model in the distribution test, and its seed (fixed beforehand)
OWN_REPETITIONS = 200
SEED = 2025


@pytest.fixture(scope="module")
def decide_2025():
    return json.loads(DECIDE_2025.read_text())["data"]


def _assert_rounds_equal(records, rounds, arrays):
    """Every round of ``records`` agrees with decide's ``rounds`` (``rounds_agree``)."""
    for r, (record, expected) in enumerate(zip(records, rounds, strict=True)):
        differences = rounds_agree(record, expected, arrays)
        assert not differences, (f"round {r + 1}", differences)


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_deterministic_rounds_identical_to_decide_2025(name, decide_2025):
    """All 10 rounds, deterministic tie rule on both sides, identical to decide as shipped."""
    arrays = read_decide_file(SHARED / name)
    rounds = decide_2025[name]["deterministic"]
    assert len(rounds) == 10
    _, records = ExchangeModel(rounds=10, tie_break="first", arithmetic="decimal28").simulate(
        arrays, np.random.default_rng(0))
    _assert_rounds_equal(records, rounds, arrays)


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_decide_2022_release_gives_the_same_rounds(name, decide_2025):
    """The 2022.1.28 release, as shipped, realised the same exchanges in all 10 deterministic
    rounds as 2025.3.1 (its model code differs only in form), so the older reference numbers
    (tests/data/exchange_decide_reference.json) are consistent with the published release."""
    old = json.loads(REFERENCE_2022.read_text())["data"][name]["deterministic"]
    new = decide_2025[name]["deterministic"]
    for r, (a, b) in enumerate(zip(old, new, strict=True)):
        assert [row[:4] for row in a["realized"]] == [row[:4] for row in b["realized"]], r
        np.testing.assert_allclose([row[8] for row in a["realized"]],
                                   [row[5] for row in b["realized"]], atol=1e-9)
        for issue, value in b["voting_outcome"].items():
            assert a["voting_outcome"][issue] == pytest.approx(value, abs=1e-9)


@needs_shared
def test_float_arithmetic_parts_from_decide_2025():
    """The float model (edges decided as exact arithmetic decides them) is a different model:
    on the sample data its deterministic rounds leave decide's after round 4, where decide's
    decimal rounding residual stops a move that exact arithmetic lets go on."""
    arrays = read_decide_file(SHARED / "sample_data.txt")
    rounds = json.loads(DECIDE_2025.read_text())["data"]["sample_data.txt"]["deterministic"]
    _, records = ExchangeModel(rounds=10, tie_break="first").simulate(
        arrays, np.random.default_rng(0))
    assert first_differing_round(records, rounds, arrays) == 5


#: recorded runs replayed seed by seed in the test suite (all of them: ``python
#: tests/data/exchange_compare_decide2025.py --markdown``, docs/models/exchange.md)
REPLAYED = {"sample_data.txt": 20, "cop21.csv": 4}


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_random_runs_are_decides_runs_seed_by_seed(name, decide_2025):
    """With decide's coin (``random.Random(seed)``) and decide's order of summation, every round's
    voting outcome and the number of ties equal decide's recorded run of that seed."""
    arrays = read_decide_file(SHARED / name)
    order = decide_member_order(SHARED / name, arrays)
    entry = decide_2025[name]
    for k in range(REPLAYED[name]):
        seed = entry["seeds"][k]
        ours, ties = run_decide_seed(arrays, order, seed)
        np.testing.assert_allclose(ours, decide_rounds(entry, k, arrays), rtol=0, atol=1e-9,
                                   err_msg=f"seed {seed}")
        assert ties == entry["ties"][k], seed


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_outcome_distribution_agrees_with_decide_2025(name, decide_2025):
    """Final voting outcome per issue over repetitions: the two-sample KS test does not reject
    equality and the means lie within one of decide's standard deviations, on every issue.

    The KS tests of one file are a family (6 or 13 issues): with equal distributions, some issue
    falls below p = 0.05 by chance in most runs (1 - 0.95**13 = 49 %), so equality is rejected
    only when the family-wise level exceeds 5 % (Bonferroni: p <= 0.05 / number of issues)."""
    from scipy.stats import ks_2samp

    arrays = read_decide_file(SHARED / name)
    theirs = decide_2025[name]["final_voting_outcome"]
    theirs = np.array([[row[k] for k in arrays.issue_ids] for row in theirs])
    model = ExchangeModel(rounds=10, repetitions=OWN_REPETITIONS, arithmetic="decimal28")
    mine = model.run(arrays, random_state=SEED).extra["outcome_repetitions"]
    assert mine.shape == (OWN_REPETITIONS, arrays.n_issues)
    assert theirs.std(axis=0).max() > 0.1, "decide's coin spreads the outcomes"
    failures = []
    for k, issue in enumerate(arrays.issue_ids):
        ks = ks_2samp(mine[:, k], theirs[:, k])
        sd = theirs[:, k].std(ddof=1)
        gap = abs(mine[:, k].mean() - theirs[:, k].mean())
        if not (ks.pvalue > 0.05 / arrays.n_issues and gap < sd):
            failures.append((issue, ks.pvalue, gap, sd))
    assert not failures, failures


def test_decimal_arithmetic_is_for_plain_equal_gain():
    from allegiance.models.base import ParameterError

    for params in ({"p": 0.3}, {"variant": "random-rate"}, {"arithmetic": "binary"}):
        with pytest.raises(ParameterError):
            ExchangeModel(arithmetic=params.pop("arithmetic", "decimal28"), **params)


def test_decimal_arithmetic_runs_on_scenarios_with_absent_actors():
    """Actors absent from issues and scales other than 0-100: the decimal voting outcome is the
    weighted mean of the decimal voting positions, every voter stays on the scale, and exchanges
    are realised."""
    import allegiance

    path = Path(__file__).parent / "data" / "decide_synthetic" / "syn-12x6.csv"
    arrays = allegiance.load_scenario(str(path)).to_arrays()
    assert not arrays.present.all()
    _, records = ExchangeModel(rounds=3, arithmetic="decimal28").simulate(
        arrays, np.random.default_rng(3))
    weight = arrays.capability * arrays.salience * arrays.present
    for record in records:
        assert len(record.realized["I"]) > 0
        votes = record.voting_position
        assert np.all(votes[arrays.present] >= 0) and np.all(votes[arrays.present] <= 100)
        expected = (weight * votes).sum(axis=0) / weight.sum(axis=0)
        np.testing.assert_allclose(record.voting_outcome, expected, rtol=0, atol=1e-9)


#: scenarios of Allegiance's own on a coarse grid (tests/data/exchange_make_synthetic.py), with
#: decide 2025.3.1's runs of them (tests/data/exchange_decide_2025_grid.json)
GRID_INPUTS = Path(__file__).parent / "data" / "decide_synthetic"
GRID_2025 = Path(__file__).parent / "data" / "exchange_decide_2025_grid.json"
GRID_NAMES = ["grid-11x7-a.csv", "grid-11x7-b.csv"]


@pytest.fixture(scope="module")
def decide_2025_grid():
    return json.loads(GRID_2025.read_text())["data"]


@pytest.mark.parametrize("name", GRID_NAMES)
def test_grid_scenarios_deterministic_rounds_identical_to_decide_2025(name, decide_2025_grid):
    """Every position on 0, 50 or 100: on some issues the expected outcome is exactly 50 and
    actors sit on it. They count as left of it, as decide's exact arithmetic puts them (in
    binary the outcome can round just below 50), so the same exchanges exist; all 10 rounds are
    identical."""
    arrays = read_decide_file(GRID_INPUTS / name)
    _, records = ExchangeModel(rounds=10, tie_break="first", arithmetic="decimal28").simulate(
        arrays, np.random.default_rng(0))
    _assert_rounds_equal(records, decide_2025_grid[name]["deterministic"], arrays)


@pytest.mark.parametrize("name", GRID_NAMES)
def test_grid_scenarios_random_runs_are_decides_runs(name, decide_2025_grid):
    """Many equal gains, so decide's coin decides often and its list holds copies: an exchange
    listed twice is recalculated once per entry after each realisation, as decide's loop over
    its list does. Every recorded run, seed by seed, is decide's in every round and in its
    number of ties."""
    arrays = read_decide_file(GRID_INPUTS / name)
    order = decide_member_order(GRID_INPUTS / name, arrays)
    entry = decide_2025_grid[name]
    assert sum(entry["ties"]) > 10 * len(entry["seeds"]), "the coin decides often"
    for k, seed in enumerate(entry["seeds"]):
        ours, ties = run_decide_seed(arrays, order, seed)
        np.testing.assert_allclose(ours, decide_rounds(entry, k, arrays), rtol=0, atol=1e-9,
                                   err_msg=f"seed {seed}")
        assert ties == entry["ties"][k], seed
