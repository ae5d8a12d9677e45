"""The exchange model's class and parameters: runs of one scenario or of a batch (Monte Carlo
draws), in the NumPy engine or the compiled one.

Reference: F. N. Stokman and R. van Oosten, "The exchange of voting positions: an
object-oriented model of policy networks", in B. Bueno de Mesquita and F. N. Stokman (eds.),
*European Community Decision Making*, Yale University Press 1994, 105-127; the reference
implementation decide-exchange-model (release 2025.3.1). See docs/models/exchange.md.
"""

from __future__ import annotations

import sys
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
from allegiance.models.exchange.candidates import (
    _INDEX_FIELDS,
    ARITHMETICS,
    ENGINES,
    TIE_BREAKS,
    VARIANTS,
    expected_outcome,
)
from allegiance.models.exchange.decimal import (
    DecimalRound,
    DecimalScenario,
    _decimal_votes_and_starts,
    _to_float,
)
from allegiance.models.exchange.explain import (
    _externalities,
    _externality_parts,
    events,
    explain_tables,
)
from allegiance.models.exchange.round import ExchangeRound, RoundRecord
from allegiance.parallel import thread_map
from allegiance.scenario.arrays import ScenarioArrays

#: engine="auto" takes the compiled engine for batches of at least this many runs (loading it
#: takes about a second once per process, some thirty runs of a small scenario in NumPy)
COMPILED_RUNS = 8
#: batch items per call of the compiled kernel when deterministic runs are spread over threads
BATCH_BLOCK = 512


def _kernels():
    """The compiled engine's module, or None when Numba is not installed (its source then runs
    as plain Python, slower than the NumPy engine, which takes over)."""
    from allegiance.models.exchange import kernel_run

    return kernel_run if kernel_run.HAVE_NUMBA else None


class ExchangeModel(Model):
    """Exchange of voting positions (Stokman & van Oosten 1994) with equal-gain terms.

    Parameters
    ----------
    variant:
        ``"equal-gain"`` (default): both partners gain the same utility; with ``p > 0`` the
        gain of one partner varies at random around it (randomised equal gain, Dijkstra et al.).
        ``"random-rate"``: the exchange rate is drawn uniformly between the partners' break-even
        rates and exchanges are realised in order of the smaller partner's gain.
    rounds:
        Number of rounds (the reference calls them iterations), default 10.
    p:
        Strength of the random variation of the randomised equal-gain variant, in [0, 1];
        0 (default) is plain equal gain.
    repetitions:
        Independent repetitions of the whole run (they differ through random tie-breaks, ``p``
        and the random rate); ``outcome`` and ``positions`` are their mean, the single
        repetitions are in ``extra``.
    tie_break:
        ``"random"`` (default, as the reference: when the two best exchanges have equal gains a
        fair coin picks one, from the seeded generator) or ``"first"`` (deterministic: the
        exchange listed first — issue pairs in input order, then quadrant pair, then actors in
        input order).
    salience_weight, fixed_weight:
        How far an actor's position for the next round moves towards its voting position:
        ``(1 - salience) * salience_weight + fixed_weight`` of the way (defaults 0.4 and 0.1).
    tie_tolerance:
        Gains closer than this (on the 0-100 scale) count as equal, default 1e-12.
    arithmetic:
        ``"float"`` (default): binary floating point; an expected outcome that sits exactly on a
        demander's position lets a further move go on, as exact arithmetic does.
        ``"decimal28"``: decide-compatible; positions, outcomes and the moves of realised and
        near-edge exchanges in 28-digit decimal arithmetic, so that decide's rounding residual
        decides those cases as it does in decide (equal gain with ``p = 0`` only; ~2x slower).
    engine:
        ``"auto"`` (default), ``"numba"`` or ``"numpy"``: which engine runs a batch (Monte Carlo
        draws). Both give the same numbers bit for bit; the compiled one
        (:mod:`allegiance.models.exchange.kernel_run`) runs a whole batch in one call, and
        ``"auto"`` takes it for batches of at least :data:`COMPILED_RUNS` runs. An unbatched
        run, which reports every exchange, and ``arithmetic="decimal28"`` run in NumPy.

    Example
    -------
    >>> ExchangeModel(variant="random-rate", rounds=3).get_params()["variant"]
    'random-rate'
    """

    name = "exchange"
    summary = "Exchange of voting positions across issue pairs (Stokman & van Oosten; equal gain)."
    stochastic = True
    multi_issue = True

    def __init__(
        self,
        *,
        variant: str = "equal-gain",
        rounds: int = 10,
        p: float = 0.0,
        repetitions: int = 1,
        tie_break: str = "random",
        salience_weight: float = 0.4,
        fixed_weight: float = 0.1,
        tie_tolerance: float = 1e-12,
        arithmetic: str = "float",
        engine: str = "auto",
    ) -> None:
        self.variant = check_choice("variant", variant, VARIANTS)
        self.rounds = check_number("rounds", rounds, low=0, high=10_000, integer=True)
        self.p = check_number("p", p, low=0.0, high=1.0)
        self.repetitions = check_number("repetitions", repetitions, low=1, integer=True)
        self.tie_break = check_choice("tie_break", tie_break, TIE_BREAKS)
        self.salience_weight = check_number("salience_weight", salience_weight, low=0.0, high=1.0)
        self.fixed_weight = check_number("fixed_weight", fixed_weight, low=0.0, high=1.0)
        if self.salience_weight + self.fixed_weight > 1.0:
            raise ParameterError("salience_weight + fixed_weight must be <= 1")
        self.tie_tolerance = check_number("tie_tolerance", tie_tolerance, low=0.0)
        if self.p > 0 and self.variant != "equal-gain":
            raise ParameterError("p applies to the equal-gain variant only")
        self.arithmetic = check_choice("arithmetic", arithmetic, ARITHMETICS)
        if self.arithmetic == "decimal28" and (self.variant != "equal-gain" or self.p > 0):
            raise ParameterError(
                "arithmetic='decimal28' reproduces decide's plain equal-gain model only; "
                "use variant='equal-gain' with p=0, or arithmetic='float'")
        self.engine = check_choice("engine", engine, ENGINES)
        if self.engine == "numba" and self.arithmetic != "float":
            raise ParameterError("engine='numba' runs arithmetic='float' only; the "
                                 "decide-compatible decimal28 arithmetic needs engine='numpy'")
        if self.engine == "numba" and _kernels() is None:
            raise ParameterError("engine='numba' needs the numba package")

    # -------------------------------------------------------------- one trajectory
    def simulate(
        self, arrays: ScenarioArrays, rng: np.random.Generator, coin=None, member_order=None
    ) -> tuple[np.ndarray, list[RoundRecord]]:
        """Run one unbatched trajectory on the 0-100 scale; returns positions and round records.

        ``coin`` (``arithmetic="decimal28"`` with random tie-breaks) is what flips decide's tie
        coin, anything with a ``random()`` method; by default ``rng``. ``random.Random(seed)``
        flips the coins decide flips after ``random.seed(seed)``, so that a run can be compared
        with decide's run of that seed exchange by exchange. ``member_order`` (one list of actor
        indices per issue) is the order in which a decide file lists each issue's actors: decide
        adds each issue's 28-digit terms in that order (by default actor order), and the last
        digit can decide the order of exactly tied exchanges.
        """
        if arrays.batch_shape:
            raise ValueError("simulate takes unbatched arrays; use run for batches")
        low, high = arrays.scale_low, arrays.scale_high
        span = np.where(high > low, high - low, 1.0)
        position = (arrays.position - low) * 100.0 / span
        salience, capability, present = arrays.salience, arrays.capability, arrays.present
        decimals = start = None
        if self.arithmetic == "decimal28":
            decimals = DecimalScenario(arrays.position, salience, capability, present, low, high,
                                       member_order)
            start = decimals.start
            position = _to_float(start)
        trajectory = [position.copy()]
        records = []
        for _ in range(self.rounds):
            shadow = DecimalRound(decimals, start) if decimals is not None else None
            engine = ExchangeRound(
                position, salience, capability, present, self.variant, self.p,
                self.tie_break, self.tie_tolerance, rng, shadow, coin,
            )
            realized = engine.run()
            voting = position.copy()
            nxt = position.copy()
            actor_i = np.array(realized["I"], dtype=int)
            actor_j = np.array(realized["J"], dtype=int)
            issue_p = np.array(realized["P"], dtype=int)
            issue_q = np.array(realized["Q"], dtype=int)
            # later exchanges overwrite earlier ones on the same actor-issue (reference order)
            if actor_i.size:
                actor = np.stack([actor_i, actor_j], axis=1).ravel()
                issue = np.stack([issue_q, issue_p], axis=1).ravel()
                y = np.stack([realized["yI"], realized["yJ"]], axis=1).ravel()
                # the last realised exchange of an actor on an issue sets its vote
                cell = actor * arrays.n_issues + issue
                _, last = np.unique(cell[::-1], return_index=True)
                keep = cell.size - 1 - last
                actor, issue, y = actor[keep], issue[keep], y[keep]
                voting[actor, issue] = y
                share = (1.0 - salience[actor, issue]) * self.salience_weight + self.fixed_weight
                nxt[actor, issue] = share * y + (1.0 - share) * position[actor, issue]
            voting_outcome = expected_outcome(voting, engine.weight)
            if shadow is not None:
                votes, start = _decimal_votes_and_starts(
                    decimals, start, engine.realized_decimal, self.salience_weight,
                    self.fixed_weight)
                voting, nxt = _to_float(votes), _to_float(start)
                voting_outcome = np.array([float(v) for v in decimals.outcome(votes)])
            change, inner = _externalities(engine, realized)
            records.append(
                RoundRecord(
                    preference_outcome=engine.outcome,
                    voting_outcome=voting_outcome,
                    voting_position=voting,
                    next_position=nxt,
                    candidates=engine.first,
                    realized={
                        k: np.asarray(v, dtype=int if k in _INDEX_FIELDS else float)
                        for k, v in realized.items()
                    },
                    externalities=change,
                    inner=inner,
                    ties=engine.ties,
                )
            )
            position = nxt
            trajectory.append(position.copy())
        return np.stack(trajectory), records

    # -------------------------------------------------------------- public API
    def run(self, arrays: ScenarioArrays, random_state=None) -> ModelResult:
        rng = as_generator(random_state)
        batch = arrays.batch_shape
        low, high = arrays.scale_low, arrays.scale_high
        span = np.where(high > low, high - low, 1.0)
        n_items = int(np.prod(batch)) if batch else 1
        flat = arrays.with_batch(
            position=arrays.position.reshape(n_items, arrays.n_actors, arrays.n_issues),
            salience=arrays.salience.reshape(n_items, arrays.n_actors, arrays.n_issues),
            capability=arrays.capability.reshape(n_items, arrays.n_actors, arrays.n_issues),
        )
        shape_pos = (self.rounds + 1, arrays.n_actors, arrays.n_issues)
        kernels = self._choose_kernels(bool(batch), n_items, arrays.n_issues)
        if kernels is not None:
            positions, outcomes, voting_outcomes, ties, first_records = self._run_compiled(
                kernels, flat, span, low, rng)
        else:
            positions, outcomes, voting_outcomes, ties, first_records = self._run_numpy(
                flat, n_items, span, low, rng)
        event_list: list[dict[str, Any]] = []
        tables: list[ExplainTable] = []
        if not batch:
            event_list = events(arrays, first_records, span, low)
            tables = explain_tables(arrays, first_records, span, low)
        extra: dict[str, Any] = {
            "voting_outcome": voting_outcomes.mean(axis=1).reshape(
                *batch, self.rounds, arrays.n_issues
            ),
            "outcome_repetitions": outcomes.reshape(*batch, self.repetitions, arrays.n_issues),
            "ties": ties.reshape(*batch, self.repetitions),
        }
        if first_records and not batch:  # the per-exchange detail of an unbatched run
            extra["exchanges_per_round"] = np.array(
                [len(r.realized["I"]) for r in first_records]
            )
            # (rounds, 4, n_actors): inner +, inner -, outer +, outer - received per round
            extra["externalities_by_actor"] = np.stack(
                [
                    _externality_parts(r).sum(axis=1)
                    if len(r.realized["I"])
                    else np.zeros((4, arrays.n_actors))
                    for r in first_records
                ]
            )
        statistic = (
            "capability x salience weighted mean of the voting positions after the last round"
        )
        if self.repetitions > 1:
            statistic += f", mean over {self.repetitions} repetitions"
        return ModelResult(
            positions=positions.mean(axis=1).reshape(*batch, *shape_pos),
            outcome=outcomes.mean(axis=1).reshape(*batch, arrays.n_issues),
            outcome_statistic=statistic,
            n_rounds=np.full(batch, self.rounds, dtype=int),
            events=event_list,
            explain=tables,
            extra=extra,
        )

    def _run_numpy(self, flat: ScenarioArrays, n_items: int, span, low, rng):
        """Item by item, the repetitions of an item in turn, in the NumPy engine."""
        shape_pos = (self.rounds + 1, flat.n_actors, flat.n_issues)
        positions = np.empty((n_items, self.repetitions, *shape_pos))
        outcomes = np.empty((n_items, self.repetitions, flat.n_issues))
        voting_outcomes = np.empty((n_items, self.repetitions, self.rounds, flat.n_issues))
        first_records: list[RoundRecord] = []
        ties = np.zeros((n_items, self.repetitions), dtype=int)
        for item in range(n_items):
            one = flat.take(item)
            for rep in range(self.repetitions):
                trajectory, records = self.simulate(one, rng)
                positions[item, rep] = trajectory * span / 100.0 + low
                if records:
                    voting_outcomes[item, rep] = (
                        np.stack([r.voting_outcome for r in records]) * span / 100.0 + low
                    )
                    outcomes[item, rep] = voting_outcomes[item, rep, -1]
                else:
                    weight = one.capability * one.salience * one.present
                    outcomes[item, rep] = expected_outcome(one.position, weight)
                ties[item, rep] = sum(r.ties for r in records)
                if item == 0 and rep == 0:
                    first_records = records
        return positions, outcomes, voting_outcomes, ties, first_records

    def _choose_kernels(self, batched: bool, n_items: int, n_issues: int):
        """The compiled engine's module, or None for the NumPy engine.

        The compiled engine runs batches in float arithmetic (an unbatched run reports every
        exchange, which the NumPy engine records; ``decimal28`` is NumPy only). ``"auto"`` takes
        it for batches of at least :data:`COMPILED_RUNS` runs, or when it is already loaded.
        With fewer than two issues there is nothing to exchange and the NumPy engine is as fast.
        """
        if (self.engine == "numpy" or self.arithmetic != "float" or not batched
                or self.rounds == 0 or n_issues < 2):
            return None
        if self.engine == "auto" and n_items * self.repetitions < COMPILED_RUNS:
            loaded = sys.modules.get(f"{__package__}.kernel_run")
            if loaded is None or not getattr(loaded.run_batch, "signatures", None):
                return None
        return _kernels()

    def _run_compiled(self, kernels, flat: ScenarioArrays, span, low, rng):
        """The whole batch in the compiled engine, the same numbers as item by item.

        Runs that draw random numbers (random tie-breaks, ``p > 0``, the random rate) run in one
        thread, drawing from ``rng`` in the NumPy engine's order; deterministic ones run in
        blocks of :data:`BATCH_BLOCK` items in :data:`allegiance.parallel.THREADS` threads. A batch
        has no round records (they are for the events of an unbatched run)."""
        n_items, n, m = flat.position.shape
        reps, rounds = self.repetitions, self.rounds
        position = np.ascontiguousarray((flat.position - low) * 100.0 / span, dtype=float)
        salience = np.ascontiguousarray(flat.salience, dtype=float)
        weight = np.ascontiguousarray(flat.capability * flat.salience * flat.present, dtype=float)
        trajectory = np.empty((n_items, reps, rounds + 1, n, m))
        voting = np.empty((n_items, reps, rounds, m))
        ties = np.zeros((n_items, reps), dtype=np.int64)
        realised = np.zeros((n_items, reps, rounds), dtype=np.int64)
        random_rate = self.variant == "random-rate"
        tie_random = self.tie_break == "random"

        def block(start: int, stop: int) -> None:
            kernels.run_batch(
                position[start:stop], salience[start:stop], weight[start:stop], rounds, reps,
                random_rate, float(self.p), tie_random, float(self.tie_tolerance),
                float(self.salience_weight), float(self.fixed_weight), rng,
                trajectory[start:stop], voting[start:stop], ties[start:stop],
                realised[start:stop])

        if random_rate or tie_random or self.p > 0:
            block(0, n_items)
        else:
            thread_map(lambda start: block(start, min(n_items, start + BATCH_BLOCK)),
                       range(0, n_items, BATCH_BLOCK))
        positions = trajectory * span / 100.0 + low
        voting_outcomes = voting * span / 100.0 + low
        outcomes = voting_outcomes[:, :, -1].copy()
        return positions, outcomes, voting_outcomes, ties.astype(int), []
