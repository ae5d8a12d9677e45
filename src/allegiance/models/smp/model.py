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
7. Stop after ``rounds`` turns, or from turn ``min_turns`` on when the total movement of the turn is
   below ``min_delta_ratio`` times the first turn's movement (+ ``min_sig_delta``).

Outcome statistic: the PCE-probability-weighted mean of the final positions — each distinct final
position weighted by its probability of prevailing in a Probabilistic Condorcet Election among
all actors (KTAB's per-turn "winning probability" of a position), mapped back to each issue's
scale.

Reference: B. Wise, L. Lumley, Y. Mohammed et al., "KTAB: an open-source toolkit for building
agent-based models of collective decision-making", KAPSARC (2015–2017); the Spatial Model of
Politics is KTAB's ``examples/smp``. See docs/models/smp.md for every option and the (few)
deliberate differences.

Where each part lives: :mod:`.options` (option names and engine codes), :mod:`.inputs` (scaling,
accommodation), :mod:`.formulas`, :mod:`.pce`, :mod:`.challenge` and :mod:`.turn` (the NumPy
engine), :mod:`.kernels` and :mod:`.kernel_run` (the compiled engine, whole runs and batches),
:mod:`.explain` (events and the explanation table); this module holds the model class.

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

import sys
from typing import Any

import numpy as np

from allegiance.models.base import (
    Model,
    ModelResult,
    ParameterError,
    as_generator,
    check_choice,
    check_number,
)
from allegiance.models.smp import explain as _explain
from allegiance.models.smp import turn as _turn
from allegiance.models.smp.inputs import accommodation_matrix, check_accommodation, prepare
from allegiance.models.smp.options import (
    BARGN_MODELS,
    BIG_R_ADJUSTS,
    BIG_R_RANGES,
    ENGINES,
    INTER_VEC_BRGNS,
    PCE_MODELS,
    SALIENCE_SCALES,
    STATE_TRANSITIONS,
    THIRD_PARTY_COMMITS,
    VICTORY_PROB_MODELS,
    VOTING_RULES,
    engine_codes,
)
from allegiance.parallel import thread_map
from allegiance.scenario.arrays import ScenarioArrays

#: engine="auto" loads the compiled kernels for batches of at least this many runs, or for jobs
#: of at least ``COMPILED_WORK`` runs × actors³ (loading them takes about half a second)
COMPILED_RUNS = 8
COMPILED_WORK = 1 << 24
#: batch items per call of the compiled batch kernel (bounds the memory of its histories)
BATCH_BLOCK = 512
OUTCOME_STATISTIC = ("PCE-probability-weighted mean of the final positions (each distinct final "
                     "position weighted by its probability of prevailing in a Probabilistic "
                     "Condorcet Election)")


def _kernels():
    """The compiled engine's module, or None when Numba is not installed."""
    try:
        from allegiance.models.smp import kernel_run
    except ImportError:  # pragma: no cover - numba missing
        return None
    return kernel_run


class _Stochastic:
    """``model.stochastic``: whether this instance draws random numbers (it does when
    ``state_transitions="Stochastic"``); on the class, True: some instances do."""

    def __get__(self, model, owner=None) -> bool:
        if model is None:
            return True
        return model.state_transitions == "Stochastic"


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
    rounds, min_turns, min_delta_ratio, min_sig_delta:
        Stopping rule: at most ``rounds`` turns (KTAB's ``maxTurns``), and from turn
        ``min_turns`` on stop when a turn moves less than ``min_delta_ratio`` times the first
        (defaults 100, 2, 0.02, 1e-4 as in KTAB).
    accommodation:
        Ideal-accommodation matrix: None (identity: ideals are positions), an ``(n, n)`` matrix
        (row i: how fast i's ideal moves toward each position; rows sum to at most 1), or a
        mapping ``{adjusting_actor: {reference_actor: rate}}`` overriding the identity (KTAB's
        ``<IdealAdjustment>``). (On the command line, ``--param`` parses YAML/JSON into these.)
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
    #: True on an instance that draws (``state_transitions="Stochastic"``); on the class, True
    #: (the model can draw, see :class:`_Stochastic`)
    stochastic = _Stochastic()

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
        rounds: int = 100,
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
        self.rounds = check_number("rounds", rounds, low=1, integer=True)
        self.min_turns = check_number("min_turns", min_turns, low=1, integer=True)
        self.min_delta_ratio = check_number("min_delta_ratio", min_delta_ratio, low=0)
        self.min_sig_delta = check_number("min_sig_delta", min_sig_delta, low=0)
        self.accommodation = check_accommodation(accommodation)
        self.salience_scale = check_choice("salience_scale", salience_scale, SALIENCE_SCALES)
        if not isinstance(record, (bool, np.bool_)) and record not in (0, 1):
            raise ParameterError(f"record must be true or false; got {record!r}")
        self.record = bool(record)
        self.engine = check_choice("engine", engine, ENGINES)
        if self.engine == "numba" and _kernels() is None:
            raise ParameterError("engine='numba' needs the numba package")


    # ------------------------------------------------------------------ public entry point
    def run(self, arrays: ScenarioArrays, random_state=None) -> ModelResult:
        """Run ``arrays`` (any leading batch shape); events and the explanation for an
        unbatched run. A batch runs in the compiled engine in one call per block of
        :data:`BATCH_BLOCK` items when it is chosen (see ``engine``), else item by item."""
        rng = as_generator(random_state)
        batch = arrays.batch_shape
        if not batch:
            return self._run_one(arrays, rng, detailed=True,
                                 kernels=self._choose_kernels(arrays.n_actors, 1, self.record))
        size = int(np.prod(batch))
        kernels = self._choose_kernels(arrays.n_actors, size, False)
        if kernels is not None:
            return self._run_batch(kernels, arrays, rng)
        runs = [self._run_one(arrays.take(index), rng, detailed=False, kernels=None)
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
                           outcome_statistic=OUTCOME_STATISTIC, n_rounds=n_rounds)

    def _run_batch(self, kernels, arrays: ScenarioArrays, rng) -> ModelResult:
        """The whole batch in the compiled engine: the same numbers as item by item."""
        batch = arrays.batch_shape
        size, n, dims = int(np.prod(batch)), arrays.n_actors, arrays.n_issues
        position, salience, cap, low, span = prepare(arrays, self.salience_scale)
        position = np.ascontiguousarray(np.broadcast_to(position, (*batch, n, dims)),
                                        dtype=float).reshape(size, n, dims)
        salience = np.ascontiguousarray(np.broadcast_to(salience, (*batch, n, dims)),
                                        dtype=float).reshape(size, n, dims)
        cap = np.ascontiguousarray(np.broadcast_to(cap, (*batch, n)), dtype=float).reshape(size, n)
        accommodation = accommodation_matrix(self.accommodation, arrays.actor_ids)
        acc = np.zeros((1, 1)) if accommodation is None else np.ascontiguousarray(accommodation)
        stochastic = self.state_transitions == "Stochastic"
        # the same stream as item by item: each item draws (rounds, n) uniforms in turn
        uniforms = (rng.random((size, self.rounds, n)) if stochastic
                    else np.zeros((size, 1, 1)))
        turns = np.empty(size, dtype=np.int64)
        history = np.empty((size, self.rounds + 1, n, dims))
        outcome = np.empty((size, dims))
        codes = engine_codes(self)
        span, low = np.ascontiguousarray(span, dtype=float), np.ascontiguousarray(low, dtype=float)

        def block(start: int) -> None:
            stop = min(size, start + BATCH_BLOCK)
            kernels.run_batch(
                position[start:stop], salience[start:stop], cap[start:stop], acc,
                accommodation is not None, codes, int(self.rounds), int(self.min_turns),
                float(self.min_delta_ratio), float(self.min_sig_delta), uniforms[start:stop],
                span, low, turns[start:stop], history[start:stop], outcome[start:stop])

        thread_map(block, range(0, size, BATCH_BLOCK))
        length = int(turns.max()) + 1
        positions = history[:, :length] if length < history.shape[1] else history
        absent = ~arrays.present.astype(bool)
        if absent.any():  # report the input value where an actor takes no position
            raw = np.broadcast_to(np.asarray(arrays.position, dtype=float),
                                  (*batch, n, dims)).reshape(size, n, dims)
            positions[:, :, absent] = raw[:, None, absent]
        n_rounds = turns
        return ModelResult(positions=positions.reshape(*batch, length, n, dims),
                           outcome=outcome.reshape(*batch, dims),
                           outcome_statistic=OUTCOME_STATISTIC,
                           n_rounds=n_rounds.reshape(batch).astype(int))

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
            loaded = sys.modules.get(f"{__package__}.kernel_run")
            if loaded is None or not loaded.run.signatures:
                return None
        return _kernels()

    def _run_one(self, arrays: ScenarioArrays, rng: np.random.Generator,
                 detailed: bool, kernels=None) -> ModelResult:
        position, salience, cap, low, span = prepare(arrays, self.salience_scale)
        accommodation = accommodation_matrix(self.accommodation, arrays.actor_ids)
        n = len(cap)
        uniforms = (rng.random((self.rounds, n)) if self.state_transitions == "Stochastic"
                    else np.zeros((0, n)))
        if kernels is not None:
            run = self._run_compiled(kernels, position, salience, cap, accommodation, uniforms)
        else:
            run = _turn.run_numpy(self, position, salience, cap, accommodation, uniforms,
                           record=self.record and detailed)
        history, turns, risks, ratios, final_d, win_probability = run
        t = len(turns)
        for turn in turns:
            if "positions" in turn.record:
                turn.record["positions"] = turn.record["positions"] * span + low
        position = history[-1]
        state = {"distance": final_d, "risk": risks[-1]}
        final_win, reps = _turn.win_probability(self, state, position, cap, return_reps=True,
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
            outcome_statistic=OUTCOME_STATISTIC,
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
            result.events = _explain.events(arrays, turns, history, span, low)
            result.explain = _explain.explain(arrays, turns, history, span, low)
        return result

    def _run_compiled(self, kernels, position, salience, cap, accommodation, uniforms):
        n = len(cap)
        acc = np.zeros((1, 1)) if accommodation is None else np.ascontiguousarray(accommodation)
        draws = uniforms if uniforms.size else np.zeros((1, 1))
        from allegiance.models.smp import stepwise  # blocks: progress, Ctrl-C within a turn

        play = stepwise if n >= stepwise.STEPWISE_FROM else kernels
        (t, history, risks, targets, estimates, n_bargains, b_init, b_rcvr, b_kind, b_pos_i,
         b_pos_j, adopted, chosen_prob, queue_len, ratios, final_d) = play.run(
            np.ascontiguousarray(position, dtype=float),
            np.ascontiguousarray(salience, dtype=float), np.ascontiguousarray(cap, dtype=float),
            acc, accommodation is not None, engine_codes(self), int(self.rounds),
            int(self.min_turns), float(self.min_delta_ratio), float(self.min_sig_delta), draws)
        turns = []
        for k in range(t):
            nb = int(n_bargains[k])
            est = estimates[k]
            has = targets[k] >= 0
            turns.append(_turn.Turn(
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
