"""Tests of the expected-utility ("BDM") model: the reference log, the slow twin, invariances."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from allegiance.models.base import ParameterError
from allegiance.models.bdm import ExpectedUtilityModel
from allegiance.scenario.arrays import ScenarioArrays

sys.path.insert(0, str(Path(__file__).parent))
from bdm_oracle import PAPER, run_oracle  # noqa: E402

DATA = Path(__file__).parent / "data"
EXAMPLE = json.loads((DATA / "bdm_example_log.json").read_text())
REL = 1e-9

SWITCH_SETS = [
    {},
    {"variant": "paper"},
    {"probability_denominator": "pair"},
    {"compromise_rule": "smallest-move", "capitulation": "loss-exceeds-gain"},
    {"risk_reference": "positions"},
    {"variant": "paper", "probability_denominator": "all-pairs", "q": 0.5},
]


def single_issue(position, salience, capability, ids=None, low=None, high=None) -> ScenarioArrays:
    position = np.asarray(position, dtype=float)
    n = position.shape[-1]
    ids = ids or tuple(f"a{k}" for k in range(n))
    low = float(np.min(position)) if low is None else low
    high = float(np.max(position)) if high is None else high
    return ScenarioArrays(
        actor_ids=tuple(ids), issue_ids=("issue",),
        position=position[..., None],
        salience=np.asarray(salience, dtype=float)[..., None],
        capability=np.asarray(capability, dtype=float)[..., None],
        scale_low=[low], scale_high=[max(high, low + 1.0)],
    )


def example_arrays() -> ScenarioArrays:
    actors = EXAMPLE["actors"]
    return single_issue(
        [a["position"] for a in actors], [a["salience"] for a in actors],
        [a["capability"] for a in actors], ids=tuple(a["actor"] for a in actors),
    )


def random_scenario(rng: np.random.Generator, n: int):
    position = rng.uniform(0.0, 100.0, n)
    if rng.random() < 0.3:  # shared positions, as in real data
        position[: n // 2] = position[0]
    return position, rng.uniform(0.0, 1.0, n), rng.uniform(0.05, 2.0, n)


def oracle_switches(params: dict) -> dict:
    base = dict(PAPER) if params.get("variant") == "paper" else {}
    base.update({k: v for k, v in params.items() if k not in ("variant", "q")})
    base.pop("median_statistic", None)
    return base


# --------------------------------------------------------------------------- the reference log
def test_example_log_every_round_scholz_code():
    result = ExpectedUtilityModel(rounds=10).run(example_arrays())
    by_round: dict[int, list] = {}
    for event in result.events:
        by_round.setdefault(event["round"], []).append(event)
    assert sorted(by_round) == [r["round"] for r in EXAMPLE["rounds"]]
    for logged in EXAMPLE["rounds"]:
        events = by_round[logged["round"]]
        assert [(e["actor"], e["counterpart"], e["kind"]) for e in events] == [
            (m["actor"], m["counterpart"], m["kind"]) for m in logged["moves"]
        ]
        for event, move in zip(events, logged["moves"], strict=True):
            assert event["to"] == pytest.approx(move["to"], rel=REL)
            assert event["detail"]["eu_actor_challenges"] == pytest.approx(
                move["eu_actor_challenges"], rel=REL)
            assert event["detail"]["eu_counterpart_challenges"] == pytest.approx(
                move["eu_counterpart_challenges"], rel=REL)
    # actors that the log does not move keep their position
    positions = result.positions[:, :, 0]
    ids = example_arrays().actor_ids
    for logged in EXAMPLE["rounds"]:
        t = logged["round"]
        moved = {m["actor"] for m in logged["moves"]}
        for k, actor in enumerate(ids):
            if actor not in moved:
                assert positions[t, k] == positions[t - 1, k]


def test_example_log_median_and_mean_lines():
    result = ExpectedUtilityModel(rounds=10).run(example_arrays())
    mean = result.extra["weighted_mean"]["issue"]
    reported = result.extra["median"]["issue"]
    median = result.extra["weighted_median"]["issue"]
    # before round 1 the log prints the true median and the mean
    assert median[0] == pytest.approx(EXAMPLE["initial"]["median_line"], rel=REL)
    assert mean[0] == pytest.approx(EXAMPLE["initial"]["mean_line"], rel=REL)
    for logged in EXAMPLE["rounds"]:
        t = logged["round"]
        assert reported[t] == pytest.approx(logged["median_line"], rel=REL)
        assert mean[t] == pytest.approx(logged["mean_line"], rel=REL)
    assert result.outcome[0] == pytest.approx(EXAMPLE["rounds"][-1]["median_line"], rel=REL)


def test_oracle_reproduces_the_log_too():
    actors = EXAMPLE["actors"]
    out = run_oracle([a["position"] for a in actors], [a["salience"] for a in actors],
                     [a["capability"] for a in actors], rounds=10)
    ids = [a["actor"] for a in actors]
    for logged, moves in zip(EXAMPLE["rounds"], out["moves"], strict=True):
        got = [(ids[i], ids[j], kind, eu, other, to) for i, j, kind, eu, other, to in moves]
        assert [g[:3] for g in got] == [
            (m["actor"], m["counterpart"], m["kind"]) for m in logged["moves"]]
        for g, m in zip(got, logged["moves"], strict=True):
            assert g[5] == pytest.approx(m["to"], rel=REL)
            assert g[3] == pytest.approx(m["eu_actor_challenges"], rel=REL)
        assert out["mean"][logged["round"]] == pytest.approx(logged["mean_line"], rel=REL)


# --------------------------------------------------------------------------- fast vs slow twin
@pytest.mark.parametrize("params", SWITCH_SETS)
def test_fast_matches_oracle_on_random_scenarios(params):
    rng = np.random.default_rng(20110401)
    for _ in range(6):
        n = int(rng.integers(2, 8))
        position, salience, capability = random_scenario(rng, n)
        model = ExpectedUtilityModel(rounds=5, **params)
        fast = model.run(single_issue(position, salience, capability))
        slow = run_oracle(position, salience, capability, rounds=5, q=model.q,
                          **oracle_switches(params))
        np.testing.assert_allclose(fast.positions[:, :, 0], slow["positions"], rtol=REL,
                                   atol=1e-9)
        np.testing.assert_allclose(fast.extra["risk_aversion"]["issue"], slow["risk"],
                                   rtol=REL, atol=1e-9)
        got = [(e["round"], e["actor"], e["counterpart"], e["kind"]) for e in fast.events]
        want = [(t + 1, f"a{i}", f"a{j}", kind)
                for t, moves in enumerate(slow["moves"]) for i, j, kind, *_ in moves]
        assert got == want
        slow_eu = [m[3] for moves in slow["moves"] for m in moves]
        fast_eu = [e["detail"]["eu_actor_challenges"] for e in fast.events]
        np.testing.assert_allclose(fast_eu, slow_eu, rtol=REL, atol=1e-12)
        statistic = "mean" if model.median_statistic == "mean" else "weighted_median"
        assert fast.outcome[0] == pytest.approx(slow[statistic][-1], rel=REL)


def test_large_scenario_uses_binary_search_path_and_matches_oracle():
    rng = np.random.default_rng(7)
    position, salience, capability = random_scenario(rng, 60)  # above the brute-force count size
    fast = ExpectedUtilityModel(rounds=2).run(single_issue(position, salience, capability))
    slow = run_oracle(position, salience, capability, rounds=2)
    np.testing.assert_allclose(fast.positions[:, :, 0], slow["positions"], rtol=REL, atol=1e-9)


# --------------------------------------------------------------------------- batching
@pytest.mark.parametrize("params", [{}, {"variant": "paper"}])
def test_batch_equals_single_runs(params):
    rng = np.random.default_rng(3)
    draws = [random_scenario(rng, 6) for _ in range(5)]
    batch = single_issue(*(np.stack(part) for part in zip(*draws, strict=True)),
                         low=0.0, high=100.0)
    model = ExpectedUtilityModel(rounds=6, **params)
    together = model.run(batch)
    assert together.positions.shape == (5, 7, 6, 1)
    assert together.events == [] and together.explain == []
    for b, draw in enumerate(draws):
        alone = model.run(single_issue(*draw, low=0.0, high=100.0))
        np.testing.assert_allclose(together.positions[b], alone.positions, rtol=1e-12)
        np.testing.assert_allclose(together.outcome[b], alone.outcome, rtol=1e-12)
        np.testing.assert_allclose(together.extra["weighted_mean"]["issue"][b],
                                   alone.extra["weighted_mean"]["issue"], rtol=1e-12)


def test_threaded_chunks_equal_one_chunk(monkeypatch):
    import allegiance.models.bdm.voting as bdm_voting
    from allegiance import parallel

    rng = np.random.default_rng(5)
    draws = [random_scenario(rng, 5) for _ in range(40)]
    batch = single_issue(*(np.stack(part) for part in zip(*draws, strict=True)),
                         low=0.0, high=100.0)
    reference = ExpectedUtilityModel(rounds=4).run(batch).positions
    monkeypatch.setattr(bdm_voting, "CHUNK_ELEMENTS", 3 * 25)  # 3 items per chunk, many chunks
    monkeypatch.setattr(parallel, "THREADS", 2)
    np.testing.assert_array_equal(ExpectedUtilityModel(rounds=4).run(batch).positions, reference)


# --------------------------------------------------------------------------- properties
scenarios = st.integers(min_value=2, max_value=7).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0, 100, allow_nan=False), min_size=n, max_size=n),
        st.lists(st.floats(0, 1, allow_nan=False), min_size=n, max_size=n),
        st.lists(st.floats(0.01, 10, allow_nan=False), min_size=n, max_size=n),
    )
)
variants = st.sampled_from(["scholz-code", "paper"])
FEW = settings(max_examples=25, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _no_equidistant_offers(position) -> bool:
    """True when no actor sees two different positions at the same distance (a tie that the
    model breaks by actor order, which relabelling changes)."""
    x = np.asarray(position)
    for i in range(len(x)):
        others = np.unique(x[x != x[i]])
        distances = np.abs(others - x[i])
        if len(np.unique(distances)) < len(distances):
            return False
    return True


@FEW
@given(scenarios, variants, st.randoms(use_true_random=False))
def test_relabelling_actors_permutes_the_result(scenario, variant, random):
    position, salience, capability = scenario
    assume(_no_equidistant_offers(position))
    n = len(position)
    perm = list(range(n))
    random.shuffle(perm)
    model = ExpectedUtilityModel(rounds=4, variant=variant)
    base = model.run(single_issue(position, salience, capability))
    shuffled = model.run(single_issue(np.asarray(position)[perm], np.asarray(salience)[perm],
                                      np.asarray(capability)[perm]))
    # actor k of the shuffled run is actor perm[k] of the original one
    np.testing.assert_allclose(shuffled.positions[:, :, 0], base.positions[:, perm, 0],
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(shuffled.outcome, base.outcome, rtol=1e-9, atol=1e-9)


@FEW
@given(scenarios, variants, st.sampled_from([2.0**-10, 0.25, 2.0, 8.0, 2.0**20]))
def test_scaling_all_capabilities_changes_nothing(scenario, variant, factor):
    """Any scenario, scaled by a power of two (exact in floating point): identical results."""
    position, salience, capability = scenario
    model = ExpectedUtilityModel(rounds=4, variant=variant)
    base = model.run(single_issue(position, salience, capability))
    scaled = model.run(single_issue(position, salience, np.asarray(capability) * factor))
    np.testing.assert_array_equal(scaled.positions, base.positions)
    assert scaled.events == base.events


@FEW
@given(st.integers(0, 2**32 - 1), st.integers(2, 8), variants, st.floats(0.001, 1000))
def test_scaling_capabilities_by_any_factor_on_generic_scenarios(seed, n, variant, factor):
    """Any factor, on scenarios drawn from continuous distributions (no exact ties between
    expected utilities, which rounding could otherwise break either way)."""
    position, salience, capability = random_scenario(np.random.default_rng(seed), n)
    model = ExpectedUtilityModel(rounds=4, variant=variant)
    base = model.run(single_issue(position, salience, capability))
    scaled = model.run(single_issue(position, salience, capability * factor))
    np.testing.assert_allclose(scaled.positions, base.positions, rtol=1e-9, atol=1e-9)
    assert [(e["actor"], e["counterpart"]) for e in scaled.events] == [
        (e["actor"], e["counterpart"]) for e in base.events]


@FEW
@given(scenarios, variants, st.data())
def test_zero_salience_actor_never_challenges(scenario, variant, data):
    position, salience, capability = scenario
    silent = data.draw(st.integers(0, len(position) - 1))
    salience = list(salience)
    salience[silent] = 0.0
    result = ExpectedUtilityModel(rounds=5, variant=variant).run(
        single_issue(position, salience, capability))
    assert all(e["counterpart"] != f"a{silent}" for e in result.events)


@FEW
@given(scenarios, variants)
def test_positions_stay_inside_the_scale(scenario, variant):
    position, salience, capability = scenario
    arrays = single_issue(position, salience, capability, low=0.0, high=100.0)
    for scale in ("positions", "scale"):
        result = ExpectedUtilityModel(rounds=5, variant=variant, distance_scale=scale).run(arrays)
        assert np.all(np.isfinite(result.positions))
        assert np.all(result.positions >= min(position) - 1e-9)
        assert np.all(result.positions <= max(position) + 1e-9)


# --------------------------------------------------------------------------- the paper variant
def test_paper_variant_runs_and_differs_from_the_code():
    arrays = example_arrays()
    code = ExpectedUtilityModel().run(arrays)
    paper = ExpectedUtilityModel(variant="paper").run(arrays)
    assert paper.positions.shape == code.positions.shape
    assert not np.allclose(paper.positions, code.positions)
    assert "weighted median" in paper.outcome_statistic
    assert paper.outcome[0] == pytest.approx(paper.extra["weighted_median"]["issue"][-1])
    assert code.outcome[0] == pytest.approx(code.extra["weighted_mean"]["issue"][-1])


def test_smallest_move_rule_changes_round_4_of_the_example():
    """The reference code's compromise rule sends Belgium to the Netherlands side in round 4;
    choosing the smallest move keeps it compromising with France, and rounds 1-3 are unchanged."""
    events = ExpectedUtilityModel(compromise_rule="smallest-move").run(example_arrays()).events
    belgium = {e["round"]: e for e in events if e["actor"] == "Belgium"}
    logged = {r["round"]: m for r in EXAMPLE["rounds"] for m in r["moves"]
              if m["actor"] == "Belgium"}
    for t in (1, 2, 3):
        assert belgium[t]["to"] == pytest.approx(logged[t]["to"], rel=REL)
    assert logged[4]["counterpart"] == "Netherlands"
    assert belgium[4]["counterpart"] == "France" and belgium[4]["kind"] == "compromise"


def test_capitulation_fires_only_with_the_paper_test():
    rng = np.random.default_rng(11)
    kinds = {"never": set(), "loss-exceeds-gain": set()}
    for _ in range(12):
        arrays = single_issue(*random_scenario(rng, 6))
        for test in kinds:
            events = ExpectedUtilityModel(rounds=4, capitulation=test).run(arrays).events
            kinds[test].update(e["kind"] for e in events)
    assert "capitulation" not in kinds["never"]
    assert "capitulation" in kinds["loss-exceeds-gain"]


def test_pair_denominator_makes_probabilities_complementary():
    """With the pair denominator P(i beats j) + P(j beats i) = 1; with equal saliences and
    exponents the two expected utilities of a symmetric pair then mirror each other."""
    arrays = single_issue([0.0, 100.0], [0.5, 0.5], [1.0, 1.0])
    result = ExpectedUtilityModel(rounds=1, probability_denominator="pair").run(arrays)
    rows = {(r[0], r[1]): r for r in result.explain[0].rows}
    assert rows[("a0", "a1")][4] == pytest.approx(rows[("a1", "a0")][4])


# --------------------------------------------------------------------------- parameters and output
def test_parameters_validated_and_variant_defaults_overridable():
    with pytest.raises(ParameterError):
        ExpectedUtilityModel(variant="bogus")
    with pytest.raises(ParameterError):
        ExpectedUtilityModel(q=1.5)
    with pytest.raises(ParameterError):
        ExpectedUtilityModel(rounds=-1)
    with pytest.raises(ParameterError):
        ExpectedUtilityModel(compromise_rule="nearest")
    model = ExpectedUtilityModel(variant="paper", capitulation="never", rounds="3")
    assert model.rounds == 3 and model.capitulation == "never"
    assert model.probability_denominator == "pair"
    assert ExpectedUtilityModel(**model.get_params()).get_params() == model.get_params()


def test_bad_input_is_a_clear_error():
    with pytest.raises(ParameterError, match="salience"):
        ExpectedUtilityModel().run(single_issue([0.0, 1.0], [0.5, 1.5], [1.0, 1.0]))


def test_explain_table_has_every_pair_and_valid_quadrants():
    arrays = example_arrays()
    result = ExpectedUtilityModel().run(arrays)
    (table,) = result.explain
    x = result.positions[-2, :, 0]  # the positions the last round started from
    same = sum(1 for i in range(10) for j in range(10) if i != j and x[i] == x[j])
    assert len(table.rows) == 10 * 9 - same
    col = {name: k for k, name in enumerate(table.columns)}
    for row in table.rows:
        quadrant = row[col["quadrant"]]
        assert quadrant in {"conflict", "compromise", "capitulation", "stalemate"}
        mine = row[col["EU actor challenges"]]
        theirs = row[col["EU other challenges"]]
        if quadrant == "stalemate":
            assert mine <= 0 and theirs <= 0
        if quadrant == "conflict":
            assert mine > 0 and theirs > 0


def test_multi_issue_and_absent_actors():
    arrays = ScenarioArrays(
        actor_ids=("a", "b", "c"), issue_ids=("x", "y"),
        position=[[0.0, 10.0], [50.0, 20.0], [100.0, 90.0]],
        salience=[[0.9, 0.5], [0.4, 0.0], [0.8, 0.7]],
        capability=[[1.0, 1.0], [1.0, 1.0], [2.0, 1.0]],
        scale_low=[0.0, 0.0], scale_high=[100.0, 100.0],
        present=[[True, True], [True, False], [True, True]],
    )
    result = ExpectedUtilityModel(rounds=3).run(arrays)
    assert result.positions.shape == (4, 3, 2)
    assert np.all(result.positions[:, 1, 1] == 20.0)  # absent actor keeps its input position
    alone = ExpectedUtilityModel(rounds=3).run(arrays.issue(0))
    np.testing.assert_allclose(result.positions[:, :, 0], alone.positions[:, :, 0])
    assert {t.title.split("issue ")[1].split(",")[0] for t in result.explain} == {"x", "y"}


def test_degenerate_issues():
    same = ExpectedUtilityModel().run(single_issue([5.0, 5.0, 5.0], [1, 1, 1], [1, 1, 1]))
    assert np.all(same.positions == 5.0) and same.events == []
    one = ExpectedUtilityModel().run(single_issue([3.0], [1.0], [1.0]))
    assert one.outcome[0] == 3.0
    nobody = ScenarioArrays(("a", "b"), ("x", "y"), position=[[0.0, 1.0], [5.0, 2.0]],
                            salience=[[1.0, 1.0], [1.0, 1.0]], capability=[[1.0, 1.0], [1.0, 1.0]],
                            scale_low=[0.0, 0.0], scale_high=[10.0, 10.0],
                            present=[[True, False], [True, False]])
    result = ExpectedUtilityModel(rounds=2).run(nobody)
    assert np.isnan(result.outcome[1]) and np.isfinite(result.outcome[0])
    zero_rounds = ExpectedUtilityModel(rounds=0).run(example_arrays())
    assert zero_rounds.positions.shape == (1, 10, 1) and len(zero_rounds.explain) == 1


def test_row_blocks_and_threads_equal_one_block(monkeypatch):
    import allegiance.models.bdm.round as bdm_round
    from allegiance import parallel

    rng = np.random.default_rng(9)
    arrays = single_issue(*random_scenario(rng, 12))
    reference = ExpectedUtilityModel(rounds=4).run(arrays)
    monkeypatch.setattr(bdm_round, "ROW_BLOCK", 5)  # 12 receivers in blocks of 5, on 2 threads
    monkeypatch.setattr(parallel, "THREADS", 2)
    blocked = ExpectedUtilityModel(rounds=4).run(arrays)
    np.testing.assert_array_equal(blocked.positions, reference.positions)
    assert blocked.events == reference.events
    assert blocked.explain[0].rows == reference.explain[0].rows


def test_sultan_reference_run():
    """The reference code moves nobody on the Sultan data; the means it logs must match."""
    sultan = json.loads((DATA / "bdm_sultan_log.json").read_text())
    actors = sultan["actors"]
    result = ExpectedUtilityModel(rounds=10).run(single_issue(
        [a["position"] for a in actors], [a["salience"] for a in actors],
        [a["capability"] for a in actors], ids=tuple(a["actor"] for a in actors)))
    assert result.events == [] and all(not r["moves"] for r in sultan["rounds"])
    assert result.extra["weighted_median"]["issue"][0] == pytest.approx(
        sultan["initial"]["median_line"], rel=REL)
    for logged in sultan["rounds"]:
        assert result.extra["median"]["issue"][logged["round"]] == pytest.approx(
            logged["median_line"], rel=REL)


def test_positions_risk_reference_in_blocks_equals_one_block(monkeypatch):
    import allegiance.models.bdm.voting as bdm_voting

    rng = np.random.default_rng(13)
    arrays = single_issue(*random_scenario(rng, 9))
    for denominator in ("pair", "all-pairs"):
        model = ExpectedUtilityModel(rounds=3, variant="paper",
                                     probability_denominator=denominator)
        reference = model.run(arrays).positions
        with monkeypatch.context() as patch:
            patch.setattr(bdm_voting, "CHUNK_ELEMENTS", 2 * 81)  # two moved actors per block
            np.testing.assert_allclose(model.run(arrays).positions, reference, rtol=1e-12)


# --------------------------------------------------------------------------- engines
ENGINE_SWITCH_SETS = [
    {},
    {"variant": "paper", "risk_reference": "actors"},
    {"probability_denominator": "pair"},
    {"compromise_rule": "smallest-move", "capitulation": "loss-exceeds-gain"},
    {"variant": "paper", "risk_reference": "actors", "probability_denominator": "all-pairs",
     "q": 0.5},
]


def random_batch(rng: np.random.Generator, size: int, n: int) -> ScenarioArrays:
    """A batch with shared positions, positions on a coarse grid and zero saliences mixed in."""
    position = rng.uniform(0.0, 100.0, (size, n))
    position[: size // 3, : n // 2] = position[: size // 3, :1]
    position[size // 3: size // 2] = np.round(position[size // 3: size // 2] / 25.0) * 25.0
    salience = rng.uniform(0.0, 1.0, (size, n))
    salience[::4, 0] = 0.0
    return single_issue(position, salience, rng.uniform(0.05, 2.0, (size, n)),
                        low=0.0, high=100.0)


@pytest.mark.parametrize("params", ENGINE_SWITCH_SETS)
def test_numba_and_numpy_engines_agree_exactly_on_random_batches(params):
    rng = np.random.default_rng(1994)
    for n in (2, 3, 7, 10, 19):
        batch = random_batch(rng, 24, n)
        numpy_run = ExpectedUtilityModel(rounds=5, engine="numpy", **params).run(batch)
        numba_run = ExpectedUtilityModel(rounds=5, engine="numba", **params).run(batch)
        np.testing.assert_array_equal(numba_run.positions, numpy_run.positions)
        np.testing.assert_array_equal(numba_run.outcome, numpy_run.outcome)
        for key in ("risk_aversion", "median", "weighted_median", "weighted_mean"):
            np.testing.assert_array_equal(numba_run.extra[key]["issue"],
                                          numpy_run.extra[key]["issue"])


def test_engines_agree_exactly_above_the_brute_force_count_size():
    batch = random_batch(np.random.default_rng(4), 3, 55)  # midpoint counts by binary search
    numpy_run = ExpectedUtilityModel(rounds=3, engine="numpy").run(batch)
    numba_run = ExpectedUtilityModel(rounds=3, engine="numba").run(batch)
    np.testing.assert_array_equal(numba_run.positions, numpy_run.positions)


@pytest.mark.parametrize("params", ENGINE_SWITCH_SETS)
def test_numba_engine_matches_oracle_on_random_batches(params):
    rng = np.random.default_rng(2011)
    n = int(rng.integers(3, 8))
    batch = random_batch(rng, 6, n)
    model = ExpectedUtilityModel(rounds=4, engine="numba", **params)
    fast = model.run(batch)
    for b in range(6):
        item = batch.take(b)
        slow = run_oracle(item.position[:, 0], item.salience[:, 0], item.capability[:, 0],
                          rounds=4, q=model.q, **oracle_switches(params))
        np.testing.assert_allclose(fast.positions[b, :, :, 0], slow["positions"], rtol=REL,
                                   atol=1e-9)
        np.testing.assert_allclose(fast.extra["risk_aversion"]["issue"][b], slow["risk"],
                                   rtol=REL, atol=1e-9)


def test_numba_engine_threads_and_chunks_equal_one_chunk(monkeypatch):
    import allegiance.models.bdm.voting as bdm_voting
    from allegiance import parallel

    batch = random_batch(np.random.default_rng(8), 30, 19)
    model = ExpectedUtilityModel(rounds=4, engine="numba")
    monkeypatch.setattr(parallel, "THREADS", 1)
    reference = model.run(batch).positions
    monkeypatch.setattr(bdm_voting, "CHUNK_ELEMENTS", 4 * 19 * 19)  # 4 items per chunk
    monkeypatch.setattr(parallel, "THREADS", 2)
    np.testing.assert_array_equal(model.run(batch).positions, reference)


def test_engine_parameter_and_fallbacks():
    with pytest.raises(ParameterError):
        ExpectedUtilityModel(engine="fortran")
    assert ExpectedUtilityModel().engine == "auto"
    # risk over positions has no compiled kernel: the numba engine falls back to the same numbers
    batch = random_batch(np.random.default_rng(2), 4, 5)
    paper = {"variant": "paper", "rounds": 3}
    np.testing.assert_array_equal(
        ExpectedUtilityModel(engine="numba", **paper).run(batch).positions,
        ExpectedUtilityModel(engine="numpy", **paper).run(batch).positions)
    # a single run records events and explanations with either engine
    single = ExpectedUtilityModel(rounds=10, engine="numba").run(example_arrays())
    assert single.events == ExpectedUtilityModel(rounds=10, engine="numpy").run(
        example_arrays()).events


def test_compiled_sum_follows_numpy_summation_order():
    from allegiance.models.bdm.summation import pairwise_sum

    rng = np.random.default_rng(0)
    for count in (1, 7, 8, 9, 100, 128, 129, 300, 1000, 40_000):
        values = rng.standard_normal(count) * 10.0 ** rng.uniform(-6, 6, count)
        assert pairwise_sum(values, 0, count) == values.sum()  # bit for bit


def test_default_threads_follow_the_environment(monkeypatch):
    from allegiance import parallel

    monkeypatch.setenv("ALLEGIANCE_THREADS", "3")
    assert parallel.default_threads() == 3
    monkeypatch.setenv("ALLEGIANCE_THREADS", "")
    assert 1 <= parallel.default_threads() <= 4
