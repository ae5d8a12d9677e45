"""Bueno de Mesquita's expected-utility model, as reconstructed by Scholz, Calbert & Smith (2011).

Each issue is run on its own. Every round:

1. **Risk.** With every actor's risk exponent set to 1, actor *i*'s *danger level* is the sum of the
   expected utilities, seen by *i*, of every other actor challenging *i*. Comparing it with a
   reference set of danger levels (``risk_reference``) gives *i*'s risk acceptance ``R_i`` in
   [-1, 1] and its risk exponent ``r_i = (1 - R_i / 3) / (1 + R_i / 3)`` in [0.5, 2].
2. **Expected utilities.** Actor *i* evaluates, with its own exponent ``r_i``, the utility of
   success ``2 - 4 (1/2 - d/2)^r_i``, of failure ``2 - 4 (1/2 + d/2)^r_i`` and of the status quo
   ``2 - 4 (1/2)^r_i`` (``d`` = distance between the two positions over the position range); the
   probability that *i*'s position beats *j*'s is the capability × salience weighted support of
   all actors (each voting with its own exponent) divided by a denominator
   (``probability_denominator``). The challenged actor resists with probability equal to its
   salience; ``q`` weighs the status quo. This gives ``EU_i(i challenges j)`` and
   ``EU_i(j challenges i)``.
3. **Offers.** Actor *i* receives an offer from *j* when, in *i*'s eyes, *j* wins a confrontation
   (both EUs positive, *j*'s larger), when *j* gains more than *i* would lose (compromise: *i*
   moves part of the way), or when *i* would lose more than *j* gains (capitulation, see
   ``capitulation``). *i* takes a confrontation if any (the nearest), else a compromise (chosen by
   ``compromise_rule``), else a capitulation (the nearest). All moves happen at once.

The forecast of an issue is the per-round statistic ``median_statistic`` after the last round.

Two engines compute the same numbers bit for bit: the NumPy functions below (the readable
reference, vectorised over a leading batch axis) and, for batched runs, the Numba kernels of
:mod:`allegiance.models.bdm.kernels` (``engine``), which do the same floating-point operations in
the same order item by item and leave every power to ``portable.power``.
``arithmetic="scholz-order"`` instead forms every quantity in the order of the public code of
Scholz et al. (:mod:`allegiance.models.bdm.code_order`), whose positions it gives bit for bit.

Reference: J. B. Scholz, G. J. Calbert and G. A. Smith, "Unravelling Bueno de Mesquita's group
decision model", *Journal of Theoretical Politics* 23(4), 2011; B. Bueno de Mesquita, "Political
forecasting: an expected utility method", in *European Community Decision Making* (Yale UP, 1994).
The maths and every switch are described in ``docs/models/bdm.md``.

Where each part lives: this module (the model class and its parameters), :mod:`.voting` (votes,
support and danger levels), :mod:`.round` (a round and whole runs, both engines),
:mod:`.code_order` (a round in the public code's order of operations),
:mod:`.kernels` (the compiled kernels), :mod:`.explain` (events and the explanation table).

Example
-------
>>> import numpy as np
>>> from allegiance.scenario.arrays import ScenarioArrays
>>> arrays = ScenarioArrays(("a", "b", "c"), ("x",), position=[[0.0], [40.0], [100.0]],
...     salience=[[0.9], [0.4], [0.8]], capability=[[1.0], [1.0], [2.0]],
...     scale_low=[0.0], scale_high=[100.0])
>>> result = ExpectedUtilityModel(rounds=3).run(arrays)
>>> result.positions.shape
(4, 3, 1)
>>> sorted(result.extra)
['median', 'risk_aversion', 'weighted_mean', 'weighted_median']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from allegiance import parallel
from allegiance.models.base import (
    ExplainTable,
    Model,
    ModelResult,
    ParameterError,
    check_choice,
    check_number,
    per_issue,
)
from allegiance.models.baselines import weighted_median
from allegiance.models.bdm import explain as _explain
from allegiance.models.bdm.round import compiled_kernels, simulate, simulate_compiled
from allegiance.models.bdm.voting import batch_chunks, weighted_mean
from allegiance.scenario.arrays import ScenarioArrays

VARIANTS = ("scholz-code", "paper")
PROBABILITY_DENOMINATORS = ("all-pairs", "pair")
COMPROMISE_RULES = ("eu-weighted-position", "smallest-move")
CAPITULATION_TESTS = ("never", "loss-exceeds-gain")
RISK_REFERENCES = ("actors", "positions")
MEDIAN_STATISTICS = ("mean", "weighted-median")
DISTANCE_SCALES = ("positions", "scale")
ENGINES = ("auto", "numpy", "numba")
ARITHMETICS = ("float", "scholz-order")

#: The value each departure takes in each variant (explicit parameters override these).
VARIANT_DEFAULTS: dict[str, dict[str, str]] = {
    "scholz-code": {
        "probability_denominator": "all-pairs",
        "compromise_rule": "eu-weighted-position",
        "capitulation": "never",
        "risk_reference": "actors",
        "median_statistic": "mean",
    },
    "paper": {
        "probability_denominator": "pair",
        "compromise_rule": "smallest-move",
        "capitulation": "loss-exceeds-gain",
        "risk_reference": "positions",
        "median_statistic": "weighted-median",
    },
}

#: the rules of the public code, the only ones ``arithmetic="scholz-order"`` follows
SCHOLZ_ORDER_RULES = {key: value for key, value in VARIANT_DEFAULTS["scholz-code"].items()
                      if key != "median_statistic"}


class ExpectedUtilityModel(Model):
    """Bueno de Mesquita's expected-utility ("BDM") model as replicated by Scholz et al. (2011).

    Parameters
    ----------
    rounds:
        Rounds of challenges to play (>= 0).
    variant:
        ``"scholz-code"`` (default) follows the rules of the public Python implementation of
        Scholz et al. (to round-off; ``arithmetic="scholz-order"`` reproduces it bit for bit);
        ``"paper"`` follows the published formulas. The variant sets the defaults of the
        five switches below; a switch given explicitly overrides it.
    q:
        Weight of the status quo in the expected utility of a challenge, in [0, 1] (default 1.0).
    probability_denominator:
        ``"all-pairs"`` (scholz-code): the sum of the absolute votes of every actor over every
        ordered pair of actors; ``"pair"`` (paper): the sum of the absolute votes on the pair
        itself, so that ``P(i beats j) + P(j beats i) = 1``.
    compromise_rule:
        Among several compromise offers: ``"eu-weighted-position"`` (scholz-code) takes the offer
        with the smallest |EU|-weighted mean of the two positions; ``"smallest-move"`` (paper) the
        one that moves the actor least.
    capitulation:
        ``"never"`` (scholz-code: the public code's test can never hold) or ``"loss-exceeds-gain"``
        (paper: *i* moves to *j* when *j* gains by challenging, *i* loses by challenging, and *i*'s
        loss exceeds *j*'s gain).
    risk_reference:
        Danger levels that set an actor's risk acceptance: ``"actors"`` (scholz-code) compares the
        actor's danger with every actor's current danger; ``"positions"`` (paper) with the actor's
        own danger at every position currently held by some actor.
    median_statistic:
        The per-round statistic reported as ``extra["median"]`` and used as the forecast:
        ``"mean"`` (scholz-code: the public code reports the weighted mean under "median") or
        ``"weighted-median"`` (paper: Black's capability × salience weighted median).
    distance_scale:
        What distances are divided by: ``"positions"`` (default, both variants) the range of the
        actors' initial positions; ``"scale"`` the issue's scale.
    engine:
        ``"auto"`` (default: the compiled Numba kernels of :mod:`allegiance.models.bdm.kernels`
        for batched runs when Numba is installed and ``risk_reference="actors"``, else NumPy),
        ``"numba"`` or ``"numpy"`` (the readable reference). Both give identical numbers. A single
        unbatched run, which records events and the explanation, always uses NumPy; so does
        ``risk_reference="positions"``, which has no compiled kernel.
    arithmetic:
        ``"float"`` (default): every round in O(n² log n), the quantities regrouped (votes as
        prefix sums over the actors sorted by position); it agrees with the public code to
        round-off. ``"scholz-order"``: every quantity formed and summed in the public code's
        order (:mod:`allegiance.models.bdm.code_order`), so that its positions and offers are
        that program's bit for bit even where round-off decides between two offers (two actors
        whose saliences add up to 1 standing close together); O(n³) a round, NumPy only, for the
        public code's rules (the ``scholz-code`` variant's switches; ``q`` and
        ``distance_scale`` free).

    Example
    -------
    >>> model = ExpectedUtilityModel(variant="paper", capitulation="never")
    >>> model.probability_denominator, model.capitulation
    ('pair', 'never')
    """

    name = "bdm"
    summary = (
        "Expected-utility model (Bueno de Mesquita; Scholz, Calbert & Smith 2011): "
        "challenges, compromises and capitulations round by round."
    )
    stochastic = False
    multi_issue = False

    def __init__(
        self,
        *,
        rounds: int = 10,
        variant: str = "scholz-code",
        q: float = 1.0,
        probability_denominator: str | None = None,
        compromise_rule: str | None = None,
        capitulation: str | None = None,
        risk_reference: str | None = None,
        median_statistic: str | None = None,
        distance_scale: str = "positions",
        engine: str = "auto",
        arithmetic: str = "float",
    ) -> None:
        self.rounds = check_number("rounds", rounds, low=0, integer=True)
        self.variant = check_choice("variant", variant, VARIANTS)
        self.q = check_number("q", q, low=0.0, high=1.0)
        defaults = VARIANT_DEFAULTS[self.variant]
        choices = {
            "probability_denominator": (probability_denominator, PROBABILITY_DENOMINATORS),
            "compromise_rule": (compromise_rule, COMPROMISE_RULES),
            "capitulation": (capitulation, CAPITULATION_TESTS),
            "risk_reference": (risk_reference, RISK_REFERENCES),
            "median_statistic": (median_statistic, MEDIAN_STATISTICS),
        }
        for key, (value, allowed) in choices.items():
            value = defaults[key] if value is None else value
            setattr(self, key, check_choice(key, value, allowed))
        self.distance_scale = check_choice("distance_scale", distance_scale, DISTANCE_SCALES)
        self.engine = check_choice("engine", engine, ENGINES)
        if self.engine == "numba" and compiled_kernels() is None:
            raise ParameterError("engine='numba' needs the numba package")
        self.arithmetic = check_choice("arithmetic", arithmetic, ARITHMETICS)
        if self.arithmetic == "scholz-order":
            departures = [f"{key}={getattr(self, key)!r}" for key, value
                          in SCHOLZ_ORDER_RULES.items() if getattr(self, key) != value]
            if departures:
                raise ParameterError(
                    "arithmetic='scholz-order' follows the public code's rules only, not "
                    + ", ".join(departures) + "; leave them at the scholz-code variant's "
                    "values or use arithmetic='float'")
            if self.engine == "numba":
                raise ParameterError("engine='numba' runs arithmetic='float' only; "
                                     "arithmetic='scholz-order' runs in NumPy (engine='numpy')")

    # ------------------------------------------------------------------ public API
    def run(
        self,
        arrays: ScenarioArrays,
        random_state: int | np.random.Generator | None = None,
    ) -> ModelResult:
        """Run every issue of ``arrays`` (any batch shape) for ``rounds`` rounds."""
        return per_issue(self, arrays, random_state)

    def run_issue(
        self, arrays: ScenarioArrays, rng: np.random.Generator | None = None
    ) -> ModelResult:
        """Run one issue (``arrays`` holds only the actors present on it)."""
        if arrays.n_issues != 1:
            raise ParameterError("run_issue expects single-issue arrays")
        batch = arrays.batch_shape
        n = arrays.n_actors
        size = int(np.prod(batch, dtype=int))
        position = arrays.position[..., 0].reshape(size, n)
        salience = arrays.salience[..., 0].reshape(size, n)
        capability = arrays.capability[..., 0].reshape(size, n)
        if np.any(salience < 0) or np.any(salience > 1):
            raise ParameterError("bdm: saliences must lie in [0, 1]")
        if np.any(capability < 0):
            raise ParameterError("bdm: capabilities must be >= 0")
        if not all(np.all(np.isfinite(v)) for v in (position, salience, capability)):
            raise ParameterError("bdm: positions, saliences and capabilities must be finite")
        if n == 0:  # nobody takes a position on this issue: nothing to forecast
            empty = np.full((*batch, self.rounds + 1), np.nan)
            return ModelResult(
                positions=np.zeros((*batch, self.rounds + 1, 0, 1)),
                outcome=np.full((*batch, 1), np.nan),
                outcome_statistic=self.outcome_statistic,
                n_rounds=np.full(batch, self.rounds, dtype=int),
                extra={"median": empty, "weighted_median": empty, "weighted_mean": empty,
                       "risk_aversion": np.zeros((*batch, self.rounds, 0))},
            )
        value_range = self._value_range(position, arrays)
        unbatched = batch == ()

        trajectory = np.empty((size, self.rounds + 1, n))
        risk = np.empty((size, self.rounds, n))
        mean = np.empty((size, self.rounds + 1))
        median = np.empty((size, self.rounds + 1))
        settings = self._settings()
        chunks = batch_chunks(size, n)

        compiled = self._compiled(unbatched)

        def work(chunk: slice) -> dict[str, Any] | None:
            if compiled:
                traj, rsk, det = simulate_compiled(
                    position[chunk], salience[chunk], capability[chunk], value_range[chunk],
                    self.rounds, settings,
                )
            else:
                traj, rsk, det = simulate(
                    position[chunk], salience[chunk], capability[chunk], value_range[chunk],
                    self.rounds, settings, keep_details=unbatched,
                )
            trajectory[chunk] = traj
            risk[chunk] = rsk
            weight = capability[chunk] * salience[chunk]
            mean[chunk] = weighted_mean(traj, weight)
            median[chunk] = weighted_median(
                traj[..., None], np.broadcast_to(weight[:, None, :, None], (*traj.shape, 1))
            )[..., 0]
            return det

        if min(parallel.THREADS, len(chunks)) > 1:
            # NumPy and the kernels release the GIL inside their loops: chunks run in parallel
            parallel.thread_map(work, chunks)
            details = None
        else:
            details = [work(chunk) for chunk in chunks][-1] if chunks else None

        reported = mean if self.median_statistic == "mean" else median
        outcome = reported[:, -1]

        events: list[dict[str, Any]] = []
        explain: list[ExplainTable] = []
        if unbatched and details is not None:
            events = _explain.events(self, arrays, trajectory[0], details)
            explain = [_explain.explain(self, arrays, details)]

        def shaped(values: np.ndarray, *tail: int) -> np.ndarray:
            return values.reshape(*batch, *tail)

        return ModelResult(
            positions=shaped(trajectory, self.rounds + 1, n, 1),
            outcome=shaped(outcome, 1),
            outcome_statistic=self.outcome_statistic,
            n_rounds=np.full(batch, self.rounds, dtype=int),
            events=events,
            explain=explain,
            extra={
                "median": shaped(reported, self.rounds + 1),
                "weighted_median": shaped(median, self.rounds + 1),
                "weighted_mean": shaped(mean, self.rounds + 1),
                "risk_aversion": shaped(risk, self.rounds, n),
            },
        )

    @property
    def outcome_statistic(self) -> str:
        if self.median_statistic == "mean":
            return (
                "capability x salience weighted mean of the positions after the last round "
                "(what the Scholz et al. code reports as its per-round median)"
            )
        return (
            "capability x salience weighted median of the positions after the last round "
            "(Bueno de Mesquita's forecast: the position no weighted majority prefers to leave)"
        )

    # ------------------------------------------------------------------ helpers
    def _compiled(self, unbatched: bool) -> bool:
        """Whether this run uses the compiled kernels (see ``engine``)."""
        if (self.engine == "numpy" or unbatched or self.risk_reference == "positions"
                or self.arithmetic == "scholz-order"):
            return False
        return compiled_kernels() is not None

    def _settings(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "pair_denominator": self.probability_denominator == "pair",
            "compromise_smallest_move": self.compromise_rule == "smallest-move",
            "capitulation": self.capitulation == "loss-exceeds-gain",
            "risk_over_positions": self.risk_reference == "positions",
            "code_order": self.arithmetic == "scholz-order",
        }

    def _value_range(self, position: np.ndarray, arrays: ScenarioArrays) -> np.ndarray:
        if self.distance_scale == "scale":
            width = float(arrays.scale_high[0] - arrays.scale_low[0])
            if not np.isfinite(width) or width <= 0:
                raise ParameterError("bdm: distance_scale='scale' needs a scale with high > low")
            tolerance = 1e-9 * width
            if np.any(position < arrays.scale_low[0] - tolerance) or np.any(
                position > arrays.scale_high[0] + tolerance
            ):
                raise ParameterError("bdm: positions lie outside the issue's scale")
            return np.full(position.shape[0], width)
        if position.shape[-1] == 0:
            return np.ones(position.shape[0])
        span = position.max(axis=-1) - position.min(axis=-1)
        return np.where(span > 0, span, 1.0)
