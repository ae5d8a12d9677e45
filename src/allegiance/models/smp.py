"""Spatial Model of Politics ("smp"): multi-issue bargaining decided by Probabilistic Condorcet
Elections, compatible with KAPSARC's KTAB ``smpc`` (same options, same numbers).

Every actor holds a position in all issues at once (a point of [0, 1]^D after scaling each issue)
and cares about the issues in proportion to its saliences. Each turn:

1. Distances ``d[i, j]`` from i's ideal to j's position, salience-weighted; risk-neutral values
   ``1 − d``.
2. Risk attitudes ``R`` from a risk-neutral PCE over all positions (likelier positions make
   their holders more risk-acceptant), utilities ``u = (1 − d)(1 + d·R)``, and one utility
   matrix per perspective h (h's guess of i's attitude mixes ``R_h`` and ``R_i``, BigRAdjust).
3. Every actor i looks, from its own perspective, at every target j: the probability that i beats
   j once third parties join the side they expect to serve them best (ThirdPartyCommit), and the
   expected gain of challenging; it challenges the target with the largest gain (if > 1e-5).
4. Each challenge yields a bargain: both positions interpolated, issue by issue, with weights
   salience^n × probability^m (InterVecBrgn), rounded to 4 decimals (BargnModel says whose
   view(s) are proposed). The bargain joins the queues of both parties; each queue also holds
   the actor's status quo.
5. All actors value each option in an actor's queue (their mean utility over all positions once
   the option's two positions are substituted); a PCE over the options gives their probabilities,
   and the actor adopts the likeliest (Deterministic) or a random draw (Stochastic).
6. Ideals follow positions through the accommodation matrix (identity: ideals = positions).
7. Stop after ``max_turns``, or from turn ``min_turns`` on when the total movement of the turn is
   below ``min_delta_ratio`` times the first turn's movement (+ ``min_sig_delta``).

Outcome statistic: the PCE-probability-weighted mean of the final positions — each distinct final
position weighted by its probability of prevailing in a Probabilistic Condorcet Election among
all actors (KTAB's per-turn "winning probability" of a position), mapped back to each issue's
scale.

Reference: B. Wise, L. Lumley, Y. Mohammed et al., "KTAB: an open-source toolkit for building
agent-based models of collective decision-making", KAPSARC (2015–2017); the Spatial Model of
Politics is KTAB's ``examples/smp``. See docs/models/smp.md for every option and the (few)
deliberate differences.

Example
-------
>>> import numpy as np
>>> from allegiance.scenario.arrays import ScenarioArrays
>>> arrays = ScenarioArrays(("a", "b", "c"), ("x", "y"),
...     position=[[10.0, 80.0], [50.0, 50.0], [90.0, 20.0]],
...     salience=[[0.6, 0.3], [0.5, 0.5], [0.2, 0.7]],
...     capability=[[30.0, 30.0], [20.0, 20.0], [40.0, 40.0]],
...     scale_low=[0.0, 0.0], scale_high=[100.0, 100.0])
>>> result = SpatialModel().run(arrays)
>>> result.positions.shape[-2:], int(result.n_rounds) >= 2
((3, 2), True)
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allegiance.models.base import (
    ExplainTable,
    Model,
    ModelResult,
    ParameterError,
    as_generator,
    check_choice,
    check_number,
)
from allegiance.models.smp_pce import (
    BIG_R_RANGES,
    PCE_MODELS,
    VICTORY_PROB_MODELS,
    VOTING_RULES,
    big_r,
    scalar_pce,
    vote,
)
from allegiance.scenario.arrays import ScenarioArrays

#: KTAB's parameter names (XML ``<ModelParameters>``, log headers) -> constructor parameter names.
#: KTAB's ``<IdealAdjustment>`` pairs map to ``accommodation`` ({adjusting: {reference: rate}}).
#: KTAB's ``prngSeed`` is not a model parameter: pass it as the forecast's seed.
KTAB_PARAMETER_NAMES: dict[str, str] = {
    "VictoryProbModel": "victory_prob_model",
    "PCEModel": "pce_model",
    "StateTransitions": "state_transitions",
    "VotingRule": "voting_rule",
    "BigRAdjust": "big_r_adjust",
    "BigRRange": "big_r_range",
    "ThirdPartyCommit": "third_party_commit",
    "InterVecBrgn": "inter_vec_brgn",
    "BargnModel": "bargn_model",
    "IdealAdjustment": "accommodation",
}

STATE_TRANSITIONS = ("Deterministic", "Stochastic")
BIG_R_ADJUSTS = ("None", "OneThird", "Half", "TwoThirds", "Full")
THIRD_PARTY_COMMITS = ("NoCommit", "SemiCommit", "FullCommit")
INTER_VEC_BRGNS = ("S1P1", "S2P2", "S2PMax")
BARGN_MODELS = ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp")
SALIENCE_SCALES = ("global", "actor", "error")
ENGINES = ("auto", "numba", "numpy")


def _kernels():
    """The compiled kernels module, or None when Numba is not installed."""
    try:
        from allegiance.models import smp_kernels
    except ImportError:  # pragma: no cover - numba missing
        return None
    return smp_kernels

#: an actor challenges only when the expected gain exceeds this
MIN_SIGNIFICANT_GAIN = 1e-5
#: positions closer than this (Euclidean, on the [0, 1] scale) are the same position
POSITION_TOLERANCE = 1e-3
#: elements per chunk of the O(n³) challenge search (keeps memory O(n²))
CHUNK_ELEMENTS = 1 << 19
#: engine="auto" loads the compiled kernels for batches of at least this many runs, or for jobs
#: of at least ``COMPILED_WORK`` runs × actors³ (loading them takes about half a second)
COMPILED_RUNS = 8
COMPILED_WORK = 1 << 24
#: elements per block of the challenge matrices' third-party terms (fits a core's cache)
CACHE_BLOCK = 1 << 16


# ----------------------------------------------------------------------------- small formulas
def utility(d: np.ndarray, risk) -> np.ndarray:
    """KTAB's utility of a salience-weighted distance ``d`` for risk attitude ``risk``."""
    return np.where(d <= 1.0, (1.0 - d) * (1.0 + d * risk), (1.0 - d) * (1.0 + risk))


def estimated_risk(own, other, adjust: str):
    """h's estimate of i's risk attitude from its own ``R_h`` and i's ``R_i`` (BigRAdjust)."""
    if adjust == "OneThird":
        return ((2.0 * own) + other) / 3.0
    if adjust == "None":
        return own + 0.0 * other
    if adjust == "Half":
        return (own + other) / 2
    if adjust == "TwoThirds":
        return (own + (2.0 * other)) / 3.0
    return other + 0.0 * own  # Full


def distance(ideal: np.ndarray, position: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """``d[i, j] = sqrt(Σ_d (s_id (ideal_id − x_jd))² / Σ_d s_id²)``; 0 for an actor with no
    salience."""
    ds = (ideal[:, None, :] - position[None, :, :]) * salience[:, None, :]
    ds_sqr = (ds * ds).sum(axis=-1)
    ss_sqr = (salience * salience).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.sqrt(ds_sqr / ss_sqr[:, None])
    return np.where(ss_sqr[:, None] > 0, d, 0.0)


def interpolate(pos_i, pos_j, sal_i, sal_j, prob_i, prob_j, rule: str):
    """Bargain positions ``(b_i, b_j)`` for initiator i and receiver j (InterVecBrgn).

    All arguments broadcast: positions and saliences ``(..., D)``, probabilities ``(..., 1)``.
    S1P1/S2P2: weighted mean with weights ``s^n p^n`` (1e-6 added to the side that keeps its own
    position when nobody cares), rounded to 4 decimals. S2PMax: the weaker side moves by
    ``Δp·s_other² / (Δp·s_other² + 1e-6 + (1 − Δp)·s_own²)`` of the gap.
    """
    if rule in ("S1P1", "S2P2"):
        power = 1 if rule == "S1P1" else 2
        w_i = sal_i ** power * prob_i ** power
        w_j = sal_j ** power * prob_j ** power
        total = w_i + 1e-6 + w_j
        b_i = ((w_i + 1e-6) * pos_i + w_j * pos_j) / total
        b_j = (w_i * pos_i + (1e-6 + w_j) * pos_j) / total
        return _round4(b_i), _round4(b_j)
    d_i = np.maximum(prob_j - prob_i, 0.0)
    d_j = np.maximum(prob_i - prob_j, 0.0)
    s_i2, s_j2 = sal_i * sal_i, sal_j * sal_j
    m_i = (d_i * s_j2) / ((d_i * s_j2) + 1e-6 + ((1 - d_i) * s_i2))
    m_j = (d_j * s_i2) / ((d_j * s_i2) + 1e-6 + ((1 - d_j) * s_j2))
    return pos_i + m_i * (pos_j - pos_i), pos_j + m_j * (pos_i - pos_j)


def _round4(x: np.ndarray) -> np.ndarray:
    return np.trunc(0.5 + x * 10000.0) / 10000.0


def unique_positions(position: np.ndarray, tol: float = POSITION_TOLERANCE):
    """Greedy classes of equivalent positions: ``(representatives, class_of_each_actor)``.

    Actor i joins the first representative within ``tol`` of it, else becomes one. For the
    probability of an actor's position, the last representative within ``tol`` is used.
    """
    reps: list[int] = []
    for i in range(len(position)):
        if reps:
            near = np.sqrt(((position[reps] - position[i]) ** 2).sum(axis=-1)) < tol
            if near.any():
                continue
        reps.append(i)
    rep = np.array(reps)
    near = np.sqrt(((position[:, None, :] - position[None, rep, :]) ** 2).sum(axis=-1)) < tol
    last = near.shape[1] - 1 - np.argmax(near[:, ::-1], axis=1)
    return rep, last


# ----------------------------------------------------------------------------- the model
@dataclass
class _Turn:
    """Everything computed in one turn (for events, explanations and records)."""

    target: np.ndarray
    probability: np.ndarray
    gain: np.ndarray
    estimates: np.ndarray  # (n, 4, 2): (i,i,i,j), (i,j,i,j), (j,i,i,j), (j,j,i,j) -> (p, gain)
    bargains: dict[str, np.ndarray]
    queues: list[np.ndarray]
    queue_utility: list[np.ndarray]
    queue_probability: list[np.ndarray]
    chosen: np.ndarray  # index in the queue
    adopted: np.ndarray  # bargain index adopted by each actor, -1 = status quo
    chosen_probability: np.ndarray  # probability of the adopted option
    queue_length: np.ndarray  # options in each actor's queue (status quo included)
    record: dict[str, Any] = field(default_factory=dict)


class SpatialModel(Model):
    """KTAB-compatible Spatial Model of Politics (multi-issue; parameters use KTAB's names).

    Parameters
    ----------
    victory_prob_model:
        Linear (default), Square, Quartic, Octic, Binary — P(a beats b) from coalition strengths.
    pce_model:
        Conditional (default), MarkovIncentive, MarkovUniform.
    state_transitions:
        Deterministic (default: adopt the likeliest option) or Stochastic (draw one).
    voting_rule:
        Binary, PropBin, Prop (default; ``Proportional`` accepted), PropCbc, Cubic, ASymProsp.
    big_r_adjust:
        None, OneThird (default), Half, TwoThirds, Full — weight of the other's own risk attitude
        in an actor's estimate of it.
    big_r_range:
        Min, Mid (default), Max — the range of inferred risk attitudes.
    third_party_commit:
        NoCommit, SemiCommit (default), FullCommit.
    inter_vec_brgn:
        S1P1, S2P2 (default), S2PMax.
    bargn_model:
        InitOnlyInterp (default), InitRcvrInterp, PWCompInterp.
    max_turns, min_turns, min_delta_ratio, min_sig_delta:
        Stopping rule (defaults 100, 2, 0.02, 1e-4 as in KTAB).
    accommodation:
        Ideal-accommodation matrix: None (identity: ideals are positions), an ``(n, n)`` matrix
        (row i: how fast i's ideal moves toward each position; rows sum to at most 1), or a
        mapping ``{adjusting_actor: {reference_actor: rate}}`` overriding the identity (KTAB's
        ``<IdealAdjustment>``). A JSON string of either form is accepted.
    salience_scale:
        KTAB requires each actor's saliences to sum to at most 1. "global" (default): if some
        actor's sum exceeds 1, all saliences are divided by the largest sum (relative weights are
        kept); "actor": only those actors' saliences are divided by their own sum; "error": raise.
    record:
        Keep every turn's matrices in ``extra["turns"]`` (utilities, perspectives, estimates,
        bargains, queues); off by default so that the fast path does not pay for them.
    engine:
        "auto" (default), "numba" or "numpy"; both engines give the same numbers (equal to
        rounding). "auto" uses the compiled Numba kernels when Numba is installed, nothing is
        recorded, and they are already loaded in this process, or the batch has at least 8
        runs, or the job (runs × actors³) is at least ``COMPILED_WORK`` (2²⁴, about 256
        actors for one run): loading them takes about half a second, more than NumPy needs
        for one run of fewer actors.
    """

    name = "smp"
    summary = ("Spatial Model of Politics (KTAB): multi-issue challenges, probabilistic "
               "Condorcet elections and bargains.")
    multi_issue = True
    stochastic = False

    def __init__(
        self,
        *,
        victory_prob_model: str = "Linear",
        pce_model: str = "Conditional",
        state_transitions: str = "Deterministic",
        voting_rule: str = "Prop",
        big_r_adjust: str = "OneThird",
        big_r_range: str = "Mid",
        third_party_commit: str = "SemiCommit",
        inter_vec_brgn: str = "S2P2",
        bargn_model: str = "InitOnlyInterp",
        max_turns: int = 100,
        min_turns: int = 2,
        min_delta_ratio: float = 0.02,
        min_sig_delta: float = 1e-4,
        accommodation: Any = None,
        salience_scale: str = "global",
        record: bool = False,
        engine: str = "auto",
    ) -> None:
        self.victory_prob_model = check_choice("victory_prob_model", victory_prob_model,
                                               VICTORY_PROB_MODELS)
        self.pce_model = check_choice("pce_model", pce_model, PCE_MODELS)
        self.state_transitions = check_choice("state_transitions", state_transitions,
                                              STATE_TRANSITIONS)
        rule = check_choice("voting_rule", voting_rule, (*VOTING_RULES, "Proportional"))
        self.voting_rule = "Prop" if rule == "Proportional" else rule
        self.big_r_adjust = check_choice("big_r_adjust", big_r_adjust, BIG_R_ADJUSTS)
        self.big_r_range = check_choice("big_r_range", big_r_range, BIG_R_RANGES)
        self.third_party_commit = check_choice("third_party_commit", third_party_commit,
                                               THIRD_PARTY_COMMITS)
        self.inter_vec_brgn = check_choice("inter_vec_brgn", inter_vec_brgn, INTER_VEC_BRGNS)
        self.bargn_model = check_choice("bargn_model", bargn_model, BARGN_MODELS)
        self.max_turns = check_number("max_turns", max_turns, low=1, integer=True)
        self.min_turns = check_number("min_turns", min_turns, low=1, integer=True)
        self.min_delta_ratio = check_number("min_delta_ratio", min_delta_ratio, low=0)
        self.min_sig_delta = check_number("min_sig_delta", min_sig_delta, low=0)
        self.accommodation = _check_accommodation(accommodation)
        self.salience_scale = check_choice("salience_scale", salience_scale, SALIENCE_SCALES)
        if isinstance(record, str):
            record = record.strip().lower() in ("1", "true", "yes", "on")
        self.record = bool(record)
        self.engine = check_choice("engine", engine, ENGINES)
        if self.engine == "numba" and _kernels() is None:
            raise ParameterError("engine='numba' needs the numba package")
        self.stochastic = self.state_transitions == "Stochastic"

    # ------------------------------------------------------------------ public entry point
    def run(self, arrays: ScenarioArrays, random_state=None) -> ModelResult:
        rng = as_generator(random_state)
        batch = arrays.batch_shape
        if not batch:
            return self._run_one(arrays, rng, detailed=True,
                                 kernels=self._choose_kernels(arrays.n_actors, 1, self.record))
        kernels = self._choose_kernels(arrays.n_actors, int(np.prod(batch)), False)
        runs = [self._run_one(arrays.take(index), rng, detailed=False, kernels=kernels)
                for index in np.ndindex(*batch)]
        length = max(r.positions.shape[0] for r in runs)
        positions = np.empty((*batch, length, arrays.n_actors, arrays.n_issues))
        outcome = np.empty((*batch, arrays.n_issues))
        n_rounds = np.empty(batch, dtype=int)
        for index, r in zip(np.ndindex(*batch), runs, strict=True):
            traj = r.positions
            pad = length - traj.shape[0]
            if pad:
                traj = np.concatenate([traj, np.repeat(traj[-1:], pad, axis=0)])
            positions[index] = traj
            outcome[index] = r.outcome
            n_rounds[index] = r.n_rounds
        return ModelResult(positions=positions, outcome=outcome,
                           outcome_statistic=runs[0].outcome_statistic, n_rounds=n_rounds)

    # ------------------------------------------------------------------ one scenario
    def _prepare(self, arrays: ScenarioArrays):
        low, high = arrays.scale_low, arrays.scale_high
        span = np.where(high > low, high - low, 1.0)
        present = arrays.present.astype(bool)
        salience = np.where(present, np.nan_to_num(arrays.salience), 0.0)
        capability = np.nan_to_num(arrays.capability)
        if (salience < 0).any():
            raise ValueError("smp: saliences must be >= 0")
        weight = capability * salience
        raw = np.asarray(arrays.position, dtype=float)
        # an actor absent from an issue sits at the weighted mean of those present (it does not
        # care about that issue, but others measure their distance to its position)
        filled = np.where(present & np.isfinite(raw), raw, np.nan)
        w = np.where(np.isfinite(filled), np.where(weight > 0, weight, 1e-12), 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.nansum(w * np.nan_to_num(filled), axis=0) / w.sum(axis=0)
        centre = np.where(np.isfinite(centre), centre, (low + high) / 2)
        raw = np.where(np.isfinite(filled), raw, centre)
        position = (raw - low) / span
        totals = salience.sum(axis=-1)
        if (totals > 1 + 1e-9).any():
            if self.salience_scale == "error":
                worst = int(np.argmax(totals))
                raise ValueError(
                    f"smp: actor {arrays.actor_ids[worst]!r} has saliences summing to "
                    f"{totals[worst]:.4g} > 1 (KTAB requires at most 1; set salience_scale)")
            if self.salience_scale == "global":
                salience = salience / totals.max()
            else:
                salience = salience / np.maximum(totals, 1.0)[:, None]
        with np.errstate(invalid="ignore"):
            cap_present = np.where(present, capability, np.nan)
            cap = np.nanmean(cap_present, axis=-1)
        cap = np.where(np.isfinite(cap), cap, 0.0)
        return position, salience, cap, low, span

    def _accommodation_matrix(self, actor_ids) -> np.ndarray | None:
        acc = self.accommodation
        n = len(actor_ids)
        if acc is None:
            return None
        if isinstance(acc, dict):
            matrix = np.eye(n)
            # actors by id, or by the id's case-insensitive slug (KTAB files name them "Alice")
            index = {_slug(a): k for k, a in enumerate(actor_ids)}
            index.update({a: k for k, a in enumerate(actor_ids)})

            def find(name: str) -> int:
                k = index.get(name, index.get(_slug(name)))
                if k is None:
                    raise ParameterError(f"accommodation: unknown actor {name!r}")
                return k

            for adjusting, row in acc.items():
                for reference, rate in row.items():
                    matrix[find(adjusting), find(reference)] = float(rate)
        else:
            matrix = np.asarray(acc, dtype=float)
            if matrix.shape != (n, n):
                raise ParameterError(f"accommodation must be a {n}x{n} matrix for {n} actors; "
                                     f"got shape {matrix.shape}")
        if (matrix.sum(axis=1) > 1 + 1e-10).any():
            raise ParameterError("accommodation: each row must sum to at most 1")
        if np.allclose(matrix, np.eye(n), rtol=0, atol=1e-10):
            return None
        return matrix

    def _choose_kernels(self, n_actors: int, n_runs: int, record: bool):
        """The compiled kernels module to use, or None for the NumPy engine.

        ``engine="auto"`` uses the kernels when they are already loaded in this process, for a
        batch of at least :data:`COMPILED_RUNS` runs, or when the job (runs × actors³) is at
        least :data:`COMPILED_WORK`: loading them costs about half a second once per process,
        more than the NumPy engine needs for one run of a few hundred actors. Recording every
        matrix needs the NumPy engine.
        """
        if self.engine == "numpy" or record:
            return None
        if (self.engine == "auto" and n_runs < COMPILED_RUNS
                and n_runs * n_actors ** 3 < COMPILED_WORK):
            loaded = sys.modules.get(f"{__package__}.smp_kernels")
            if loaded is None or not loaded.run.signatures:
                return None
        return _kernels()

    def _run_one(self, arrays: ScenarioArrays, rng: np.random.Generator,
                 detailed: bool, kernels=None) -> ModelResult:
        position, salience, cap, low, span = self._prepare(arrays)
        accommodation = self._accommodation_matrix(arrays.actor_ids)
        n = len(cap)
        uniforms = (rng.random((self.max_turns, n)) if self.state_transitions == "Stochastic"
                    else np.zeros((0, n)))
        if kernels is not None:
            run = self._run_compiled(kernels, position, salience, cap, accommodation, uniforms)
        else:
            run = self._run_numpy(position, salience, cap, accommodation, uniforms,
                                  record=self.record and detailed)
        history, turns, risks, ratios, final_d, win_probability = run
        t = len(turns)
        for turn in turns:
            if "positions" in turn.record:
                turn.record["positions"] = turn.record["positions"] * span + low
        position = history[-1]
        state = {"distance": final_d, "risk": risks[-1]}
        final_win, reps = self._win_probability(state, position, cap, return_reps=True,
                                                kernels=kernels)
        if win_probability is not None:
            win_probability.append(final_win)
        p_rep = final_win["by_representative"]
        outcome = (p_rep[:, None] * position[reps]).sum(axis=0) * span + low
        positions = np.stack(history) * span + low
        absent = ~arrays.present.astype(bool)
        if absent.any():  # report the input value where an actor takes no position
            positions[:, absent] = np.asarray(arrays.position, dtype=float)[absent]
        result = ModelResult(
            positions=positions,
            outcome=outcome,
            outcome_statistic=("PCE-probability-weighted mean of the final positions (each "
                               "distinct final position weighted by its probability of "
                               "prevailing in a Probabilistic Condorcet Election)"),
            n_rounds=np.array(t),
        )
        if detailed:
            result.extra = {
                "risk_attitude": np.stack(risks),
                "target": np.stack([tr.target for tr in turns]),
                "target_probability": np.stack([tr.probability for tr in turns]),
                "expected_gain": np.stack([tr.gain for tr in turns]),
                "change_ratio": np.array(ratios),
                "win_probability_final": final_win["by_actor"],
            }
            if win_probability is not None:
                result.extra["turns"] = [tr.record for tr in turns]
                result.extra["win_probability"] = np.stack([w["by_actor"]
                                                            for w in win_probability])
            result.events = self._events(arrays, turns, history, span, low)
            result.explain = self._explain(arrays, turns, history, span, low)
        return result

    def _stop(self, t: int, ratio: float) -> bool:
        return t >= self.max_turns or (t >= self.min_turns and ratio < self.min_delta_ratio)

    def _codes(self) -> np.ndarray:
        return np.array([
            VOTING_RULES.index(self.voting_rule),
            VICTORY_PROB_MODELS.index(self.victory_prob_model),
            PCE_MODELS.index(self.pce_model),
            BIG_R_ADJUSTS.index(self.big_r_adjust),
            BIG_R_RANGES.index(self.big_r_range),
            THIRD_PARTY_COMMITS.index(self.third_party_commit),
            INTER_VEC_BRGNS.index(self.inter_vec_brgn),
            BARGN_MODELS.index(self.bargn_model),
            STATE_TRANSITIONS.index(self.state_transitions),
        ], dtype=np.int64)

    def _run_compiled(self, kernels, position, salience, cap, accommodation, uniforms):
        n = len(cap)
        acc = np.zeros((1, 1)) if accommodation is None else np.ascontiguousarray(accommodation)
        draws = uniforms if uniforms.size else np.zeros((1, 1))
        (t, history, risks, targets, estimates, n_bargains, b_init, b_rcvr, b_kind, b_pos_i,
         b_pos_j, adopted, chosen_prob, queue_len, ratios, final_d) = kernels.run(
            np.ascontiguousarray(position, dtype=float),
            np.ascontiguousarray(salience, dtype=float), np.ascontiguousarray(cap, dtype=float),
            acc, accommodation is not None, self._codes(), int(self.max_turns),
            int(self.min_turns), float(self.min_delta_ratio), float(self.min_sig_delta), draws)
        turns = []
        for k in range(t):
            nb = int(n_bargains[k])
            est = estimates[k]
            has = targets[k] >= 0
            turns.append(_Turn(
                target=targets[k], probability=np.where(has, est[:, 0, 0], np.nan),
                gain=np.where(has, est[:, 0, 1], np.nan), estimates=est,
                bargains={"initiator": b_init[k, :nb], "receiver": b_rcvr[k, :nb],
                          "kind": b_kind[k, :nb], "position_initiator": b_pos_i[k, :nb],
                          "position_receiver": b_pos_j[k, :nb]},
                queues=[], queue_utility=[], queue_probability=[],
                chosen=np.zeros(n, dtype=int), adopted=adopted[k],
                chosen_probability=chosen_prob[k], queue_length=queue_len[k]))
        return (list(history[:t + 1]), turns, list(risks[:t + 1]), list(ratios[:t]), final_d,
                None)

    def _run_numpy(self, position, salience, cap, accommodation, uniforms, record: bool):
        ideal = position.copy()
        history = [position]
        risks: list[np.ndarray] = []
        turns: list[_Turn] = []
        ratios: list[float] = []
        win_probability: list[dict] | None = [] if record else None
        first_move = None
        state = self._assess(ideal, position, salience, cap)
        t = 0
        while True:
            risks.append(state["risk"])
            if win_probability is not None:
                win_probability.append(self._win_probability(state, position, cap))
            draws = uniforms[t] if uniforms.size else None
            turn = self._turn(state, ideal, position, salience, cap, draws, record=record)
            new_position = position.copy()
            moved = turn.adopted >= 0
            chosen_b = turn.adopted[moved]
            initiators = turn.bargains["initiator"][chosen_b]
            actors = np.flatnonzero(moved)
            is_init = initiators == actors
            new_position[actors] = np.where(is_init[:, None],
                                            turn.bargains["position_initiator"][chosen_b],
                                            turn.bargains["position_receiver"][chosen_b])
            if accommodation is None:
                ideal = new_position.copy()
            else:
                lag = 1.0 - np.minimum(accommodation.sum(axis=1), 1.0)
                ideal = accommodation @ new_position + lag[:, None] * ideal
            t += 1
            move = float(np.sqrt(((new_position - position) ** 2).sum(axis=-1)).sum())
            if first_move is None:
                first_move = move + self.min_sig_delta
            ratio = move / first_move
            ratios.append(ratio)
            if record:
                turn.record["positions"] = new_position
                turn.record["change_ratio"] = ratio
            turns.append(turn)
            position = new_position
            history.append(position)
            state = self._assess(ideal, position, salience, cap)
            if self._stop(t, ratio):
                break
        risks.append(state["risk"])
        return history, turns, risks, ratios, state["distance"], win_probability

    # ------------------------------------------------------------------ per-state assessment
    def _assess(self, ideal, position, salience, cap) -> dict[str, np.ndarray]:
        d = distance(ideal, position, salience)
        value = utility(d, 0.0)
        p_neutral = scalar_pce(value, cap, self.voting_rule, self.victory_prob_model,
                               self.pce_model)
        risk = big_r(p_neutral, self.big_r_range)
        return {"distance": d, "value": value, "p_neutral": p_neutral, "risk": risk}

    def _self_utility(self, state) -> np.ndarray:
        """``aUtil[h][h, j]``: each actor's own utility for every position."""
        risk = state["risk"]
        own = estimated_risk(risk, risk, self.big_r_adjust)
        return utility(state["distance"], own[:, None])

    def _win_probability(self, state, position, cap, return_reps=False, kernels=None):
        reps, klass = unique_positions(position)
        u = self._self_utility(state)[:, reps]
        if kernels is not None:
            codes = self._codes()
            p = kernels.pce(np.ascontiguousarray(u.T), np.ascontiguousarray(cap, dtype=float),
                            codes[0], codes[1], codes[2])
        else:
            p = scalar_pce(u, cap, self.voting_rule, self.victory_prob_model, self.pce_model)
        out = {"by_representative": p, "by_actor": p[klass]}
        return (out, reps) if return_reps else out

    # ------------------------------------------------------------------ challenges
    def estimates(self, state, salience, cap, h, k, i, j):
        """h's estimate of the probability that i beats j, and of k's expected gain from i
        challenging j (vectorised over index arrays ``h, k, i, j``; third parties chunked)."""
        d, risk = state["distance"], state["risk"]
        h, k, i, j = (np.asarray(a, dtype=np.intp) for a in (h, k, i, j))
        n = d.shape[0]
        s_sum = salience.sum(axis=-1)
        weight = s_sum * cap
        prob = np.empty(h.shape)
        gain = np.empty(h.shape)
        step = max(1, CHUNK_ELEMENTS // max(n, 1))
        d_t = d.T
        d_diag = np.diagonal(d)[None, :]
        rule, adjust = self.voting_rule, self.big_r_adjust
        third = np.arange(n)[None, :]
        for start in range(0, h.size, step):
            sl = slice(start, start + step)
            hh, kk, ii, jj = h[sl], k[sl], i[sl], j[sl]
            r_h = risk[hh]

            def u(a, b, r_h=r_h):
                return utility(d[a, b], estimated_risk(r_h, risk[a], adjust))

            uii, uij, uji, ujj = u(ii, ii), u(ii, jj), u(jj, ii), u(jj, jj)
            uki, ukj = u(kk, ii), u(kk, jj)
            contrib_i = vote(rule, weight[ii], uii - uij)
            contrib_j = vote(rule, weight[jj], uji - ujj)
            c_ij = (1e-10 + np.maximum(contrib_i, 0.0)) + np.maximum(contrib_j, 0.0)
            c_ji = (1e-10 - np.minimum(contrib_i, 0.0)) - np.minimum(contrib_j, 0.0)
            r_n = estimated_risk(r_h[:, None], risk[None, :], adjust)
            uni = utility(d_t[ii], r_n)
            unj = utility(d_t[jj], r_n)
            unn = utility(d_diag, r_n)
            w_n = weight[None, :]
            contrib_n = vote(rule, w_n, uni - unj)
            cni = c_ij[:, None] + np.maximum(contrib_n, 0.0)
            cnj = c_ji[:, None] - np.minimum(contrib_n, 0.0)
            pin = cni / (cni + cnj)
            pjn = 1.0 - pin
            commit = self.third_party_commit
            if commit == "SemiCommit":
                u_ik_j = pin * (uni + uni + unn) + pjn * (unj + unj + unj)
                u_i_jk = pin * (uni + uni + uni) + pjn * (unj + unj + unn)
            elif commit == "FullCommit":
                u_ik_j = pin * (uni + uni + uni) + pjn * (unj + unj + unj)
                u_i_jk = u_ik_j
            else:
                u_ik_j = pin * (uni + uni + unn) + pjn * (unj + unj + unn)
                u_i_jk = u_ik_j
            v = vote(rule, w_n, u_ik_j - u_i_jk)
            v = np.where((third == ii[:, None]) | (third == jj[:, None]), 0.0, v)
            c_ij = c_ij + np.maximum(v, 0.0).sum(axis=1)
            c_ji = c_ji - np.minimum(v, 0.0).sum(axis=1)
            p_ij = c_ij / (c_ij + c_ji)
            p_ji = c_ji / (c_ij + c_ji)
            s_j = s_sum[jj]
            victory = uki + uki
            contest = p_ij * victory + p_ji * (ukj + ukj)
            prob[sl] = p_ij
            gain[sl] = ((1 - s_j) * victory + s_j * contest) - (uki + ukj)
        return prob, gain

    def challenge_matrices(self, state, salience, cap):
        """Every actor's own estimate of every challenge it could make: ``(prob, gain)``,
        ``prob[i, j]`` the probability that i beats j and ``gain[i, j]`` i's expected gain
        from challenging j, as i sees them (the diagonal holds 0 and −inf).

        The numbers of :meth:`estimates` with ``h = k = i`` (equal to rounding), computed
        faster: whatever depends on one pair only is an ``(n, n)`` matrix computed once, and the
        third parties' ``(i, j, n)`` terms (:meth:`_third_party_votes`) are worked through in
        cache-sized blocks.
        """
        d, risk = state["distance"], state["risk"]
        rule = self.voting_rule
        s_sum = salience.sum(axis=-1)
        weight = s_sum * cap
        est = estimated_risk(risk[:, None], risk[None, :], self.big_r_adjust)  # est[h, a]
        diag = np.diagonal(d)
        u_ii = utility(diag, np.diagonal(est))  # i's utility for its own position
        u_ij = utility(d, np.diagonal(est)[:, None])  # ... and for j's
        # i's estimates of actor n's utility for i's position and for n's own (n = j included)
        u_ni = utility(d.T, est)
        u_nn = utility(diag[None, :], est)
        contrib_i = vote(rule, weight[:, None], u_ii[:, None] - u_ij)
        contrib_j = vote(rule, weight[None, :], u_ni - u_nn)
        c_ij = (1e-10 + np.maximum(contrib_i, 0.0)) + np.maximum(contrib_j, 0.0)
        c_ji = (1e-10 - np.minimum(contrib_i, 0.0)) - np.minimum(contrib_j, 0.0)
        if self.third_party_commit == "SemiCommit":
            third_for, third_against = self._third_party_votes(d, est, weight, u_ni, u_nn,
                                                               c_ij, c_ji)
            c_ij = c_ij + third_for
            c_ji = c_ji - third_against
        # NoCommit and FullCommit: a third party expects the same whichever side it joins, so
        # its vote is zero
        with np.errstate(invalid="ignore", divide="ignore"):
            p_ij = c_ij / (c_ij + c_ji)
            p_ji = c_ji / (c_ij + c_ji)
        s_j = s_sum[None, :]
        victory = u_ii[:, None] + u_ii[:, None]
        contest = p_ij * victory + p_ji * (u_ij + u_ij)
        gain = ((1 - s_j) * victory + s_j * contest) - (u_ii[:, None] + u_ij)
        np.fill_diagonal(gain, -np.inf)
        np.fill_diagonal(p_ij, 0.0)
        return p_ij, gain

    def _third_party_votes(self, d, est, weight, u_ni, u_nn, c_ij, c_ji):
        """Sums over third parties n (n ≠ i, j) of the positive and negative SemiCommit votes
        in i's challenge of j, as i estimates them: ``(Σ max(v, 0), Σ min(v, 0))``, each
        ``(n, n)``.

        n first sides with i or j by its own utilities (``vote(u_ni − u_nj)``), which gives the
        odds ``p_in`` of i winning with n's help; it then votes by how much better it expects
        to do by committing to i's side than to j's:
        ``p_in (u_nn − u_ni) + (1 − p_in)(u_nj − u_nn)`` (a committed third party keeps its
        own position when its side wins and takes the winner's otherwise).
        """
        n = d.shape[0]
        rule = self.voting_rule
        prop = rule == "Prop"
        d_jn = np.ascontiguousarray(d.T)  # d[n, j] laid out [j, n]
        # u_nj = utility(d[n, j], est[i, n]) = keep[j, n] + slope[j, n] · est[i, n]
        keep = 1.0 - d_jn
        slope = np.where(d_jn <= 1.0, keep * d_jn, keep)
        a_in = u_nn - u_ni  # gain for n when i wins and n keeps its own position
        c_sum = c_ij + c_ji
        w_n = weight[None, None, :]
        block = max(1, CACHE_BLOCK // max(n * n, 1))
        buffers = np.empty((3, min(n, block) * n * n))
        third_for = np.empty((n, n))
        third_against = np.empty((n, n))
        rows = np.arange(n)
        with np.errstate(invalid="ignore", divide="ignore"):
            for start in range(0, n, block):
                sl = slice(start, min(n, start + block))
                shape = (sl.stop - start, n, n)
                b_jn, vote_n, p_in = (buf[:np.prod(shape)].reshape(shape) for buf in buffers)
                a = a_in[sl, None, :]
                # b_jn = u_nj − u_nn: gain for n when j wins and n keeps its own position
                np.multiply(slope[None], est[sl, None, :], out=b_jn)
                b_jn += keep[None]
                b_jn -= u_nn[sl, None, :]
                # n's vote between i and j: u_ni − u_nj = −(a + b)
                np.add(a, b_jn, out=vote_n)
                if prop:
                    vote_n *= -w_n
                else:
                    vote_n = vote(rule, w_n, np.negative(vote_n, out=vote_n))
                np.maximum(vote_n, 0.0, out=p_in)
                p_in += c_ij[sl, :, None]
                np.abs(vote_n, out=vote_n)
                vote_n += c_sum[sl, :, None]
                p_in /= vote_n
                # n's preference for committing to i: b + p_in (a − b)
                commit = np.subtract(a, b_jn, out=vote_n)
                commit *= p_in
                commit += b_jn
                v = np.multiply(w_n, commit, out=commit) if prop else vote(rule, w_n, commit)
                v[rows[sl] - start, :, rows[sl]] = 0.0  # i is no third party
                v[:, rows, rows] = 0.0  # nor is j
                total = v.sum(axis=-1)
                size = np.abs(v, out=v).sum(axis=-1)
                third_for[sl] = (total + size) / 2.0
                third_against[sl] = (total - size) / 2.0
        return third_for, third_against

    def _turn(self, state, ideal, position, salience, cap, draws, record: bool) -> _Turn:
        n = len(cap)
        prob_m, gain_m = self.challenge_matrices(state, salience, cap)
        best = np.argmax(gain_m, axis=1)
        best_gain = gain_m[np.arange(n), best]
        has = best_gain > MIN_SIGNIFICANT_GAIN
        target = np.where(has, best, -1)
        t_prob = np.where(has, prob_m[np.arange(n), best], np.nan)
        t_gain = np.where(has, best_gain, np.nan)
        ci = np.flatnonzero(has)
        cj = best[ci]
        # the other three estimates KTAB reports for each challenge
        hs = np.concatenate([ci, cj, cj])
        ks = np.concatenate([cj, ci, cj])
        p3, g3 = self.estimates(state, salience, cap, hs, ks,
                                np.tile(ci, 3), np.tile(cj, 3))
        m = len(ci)
        estimates = np.full((n, 4, 2), np.nan)
        estimates[ci, 0, 0], estimates[ci, 0, 1] = t_prob[ci], t_gain[ci]
        for r in range(3):
            estimates[ci, r + 1, 0] = p3[r * m:(r + 1) * m]
            estimates[ci, r + 1, 1] = g3[r * m:(r + 1) * m]
        # bargains
        p_iij = t_prob[ci][:, None]
        # the receiver's view: KTAB passes j's estimate of i's *expected gain* (not of the
        # probability) as the interpolation weight; kept for identical numbers
        p_jij = estimates[ci, 2, 1][:, None]
        pos_i, pos_j = position[ci], position[cj]
        sal_i, sal_j = salience[ci], salience[cj]
        iij = interpolate(pos_i, pos_j, sal_i, sal_j, p_iij, 1 - p_iij, self.inter_vec_brgn)
        jij = interpolate(pos_i, pos_j, sal_i, sal_j, p_jij, 1 - p_jij, self.inter_vec_brgn)
        s_sum = salience.sum(axis=-1)
        # power weights of the compromise; KTAB uses the initiator's capability for both sides
        w_i = (cap[ci] * s_sum[ci])[:, None]
        w_j = (cap[ci] * s_sum[cj])[:, None]
        comp = ((w_i * iij[0] + w_j * jij[0]) / (w_i + w_j),
                (w_i * iij[1] + w_j * jij[1]) / (w_i + w_j))
        if self.bargn_model == "InitOnlyInterp":
            parts = [(iij, 0)]
        elif self.bargn_model == "PWCompInterp":
            parts = [(comp, 2)]
        else:
            parts = [(iij, 0), (jij, 1)]
        k_parts = len(parts)
        # bargains ordered by initiator, then by kind
        b_init = np.repeat(ci, k_parts)
        b_rcvr = np.repeat(cj, k_parts)
        b_kind = np.tile([kind for _, kind in parts], m)
        dim = position.shape[1]
        b_pos_i = np.stack([p[0] for p, _ in parts], axis=1).reshape(m * k_parts, dim)
        b_pos_j = np.stack([p[1] for p, _ in parts], axis=1).reshape(m * k_parts, dim)
        bargains = {"initiator": b_init, "receiver": b_rcvr, "kind": b_kind,
                    "position_initiator": b_pos_i, "position_receiver": b_pos_j}
        # value of each bargain to every actor
        self_u = self._self_utility(state)
        row_sum = self_u.sum(axis=1)
        risk = state["risk"]
        u_init = utility(distance(ideal, b_pos_i, salience), risk[:, None])
        u_rcvr = utility(distance(ideal, b_pos_j, salience), risk[:, None])
        # both sums are symmetric in (initiator, receiver), so that a bargain and its mirror
        # image (i->j and j->i giving the same two positions) tie exactly, as in KTAB
        u_bargain = ((row_sum[:, None] - (self_u[:, b_init] + self_u[:, b_rcvr]))
                     + (u_init + u_rcvr)) / n
        u_sq = row_sum / n
        # queues: status quo first, then the bargains involving the actor
        involved = np.zeros((n, len(b_init)), dtype=bool)
        involved[b_init, np.arange(len(b_init))] = True
        involved[b_rcvr, np.arange(len(b_init))] = True
        queues = [np.flatnonzero(involved[k]) for k in range(n)]
        lengths = np.array([len(q) for q in queues])
        q_prob: list[np.ndarray] = [np.empty(0)] * n
        q_util: list[np.ndarray] = [np.empty((n, 0))] * n
        for length in np.unique(lengths):
            group = np.flatnonzero(lengths == length)
            if length == 0:
                for k in group:
                    q_prob[k] = np.ones(1)
                    q_util[k] = u_sq[:, None]
                continue
            idx = np.stack([queues[k] for k in group])  # (G, L)
            util = np.concatenate(
                [np.broadcast_to(u_sq[None, :, None], (len(group), n, 1)),
                 np.moveaxis(u_bargain[:, idx], 0, 1)], axis=2)  # (G, n, L+1)
            p = scalar_pce(util, np.broadcast_to(cap, (len(group), n)), self.voting_rule,
                           self.victory_prob_model, self.pce_model)
            for g, k in enumerate(group):
                q_prob[k] = p[g]
                if record:
                    q_util[k] = util[g]
        chosen = np.zeros(n, dtype=int)
        for k in range(n):
            if self.state_transitions == "Deterministic":
                chosen[k] = int(np.argmax(q_prob[k]))
            else:
                hit = np.flatnonzero(draws[k] <= np.cumsum(q_prob[k]))
                chosen[k] = int(hit[0]) if hit.size else len(q_prob[k]) - 1
        adopted = np.array([queues[k][chosen[k] - 1] if chosen[k] > 0 else -1
                            for k in range(n)], dtype=int)
        turn = _Turn(target=target, probability=t_prob, gain=t_gain, estimates=estimates,
                     bargains=bargains, queues=queues, queue_utility=q_util,
                     queue_probability=q_prob, chosen=chosen, adopted=adopted,
                     chosen_probability=np.array([q_prob[k][chosen[k]] for k in range(n)]),
                     queue_length=lengths + 1)
        if record:
            risk = state["risk"]
            est = estimated_risk(risk[:, None], risk[None, :], self.big_r_adjust)  # (h, i)
            perspective = utility(state["distance"][None, :, :], est[:, :, None])
            full = lambda a: np.full((n, 2, position.shape[1]), np.nan)  # noqa: E731
            iij_all, jij_all, comp_all = full(0), full(0), full(0)
            for arr, src in ((iij_all, iij), (jij_all, jij), (comp_all, comp)):
                arr[ci, 0], arr[ci, 1] = src[0], src[1]
            turn.record.update({
                "raw_utility": state["value"],
                "p_neutral": state["p_neutral"],
                "risk": risk,
                "utility": utility(state["distance"], risk[:, None]),
                "perspective_utility": perspective,
                "gain_matrix": gain_m,
                "probability_matrix": prob_m,
                "estimates": estimates,
                "bargain_iij": iij_all,
                "bargain_jij": jij_all,
                "bargain_compromise": comp_all,
                "bargains": bargains,
                "queues": queues,
                "queue_utility": q_util,
                "queue_probability": q_prob,
                "chosen": chosen,
            })
        return turn

    # ------------------------------------------------------------------ reporting
    def _events(self, arrays, turns, history, span, low) -> list[dict[str, Any]]:
        ids, issues = arrays.actor_ids, arrays.issue_ids
        kinds = ("initiator's view", "receiver's view", "power-weighted compromise")
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

    def _explain(self, arrays, turns, history, span, low) -> list[ExplainTable]:
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


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")


def _check_accommodation(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("", "identity", "none"):
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParameterError(f"accommodation: not a matrix or JSON mapping: {exc}") from None
    if isinstance(value, dict):
        clean: dict[str, dict[str, float]] = {}
        for adjusting, row in value.items():
            if not isinstance(row, dict):
                raise ParameterError("accommodation mapping must be {actor: {actor: rate}}")
            clean[str(adjusting)] = {}
            for reference, rate in row.items():
                rate = check_number("accommodation rate", rate, low=0.0, high=1.0)
                clean[str(adjusting)][str(reference)] = rate
        return clean
    matrix = np.asarray(value, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ParameterError(f"accommodation must be a square matrix; got shape {matrix.shape}")
    if (matrix < 0).any() or (matrix > 1).any():
        raise ParameterError("accommodation rates must lie in [0, 1]")
    if (matrix.sum(axis=1) > 1 + 1e-10).any():
        raise ParameterError("accommodation: each row must sum to at most 1")
    return matrix
