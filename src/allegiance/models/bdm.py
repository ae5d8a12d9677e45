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
:mod:`allegiance.models.bdm_kernels` (``engine``), which do the same floating-point operations in
the same order item by item and leave every power to ``numpy.power``.

Reference: J. B. Scholz, G. J. Calbert and G. A. Smith, "Unravelling Bueno de Mesquita's group
decision model", *Journal of Theoretical Politics* 23(4), 2011; B. Bueno de Mesquita, "Political
forecasting: an expected utility method", in *European Community Decision Making* (Yale UP, 1994).
The maths and every switch are described in ``docs/models/bdm.md``.

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

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

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
from allegiance.scenario.arrays import ScenarioArrays

VARIANTS = ("scholz-code", "paper")
PROBABILITY_DENOMINATORS = ("all-pairs", "pair")
COMPROMISE_RULES = ("eu-weighted-position", "smallest-move")
CAPITULATION_TESTS = ("never", "loss-exceeds-gain")
RISK_REFERENCES = ("actors", "positions")
MEDIAN_STATISTICS = ("mean", "weighted-median")
DISTANCE_SCALES = ("positions", "scale")
ENGINES = ("auto", "numpy", "numba")

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

#: Offer kinds, by the code used in the per-actor ``kind`` arrays.
OFFER_KINDS = {1: "confrontation", 2: "compromise", 3: "capitulation"}

# Work on at most this many (batch item × actor × actor) elements at once (keeps arrays in cache).
_CHUNK_ELEMENTS = 1 << 16
#: Up to this many actors the explanation lists every ordered pair; above, the top few per actor.
EXPLAIN_ALL_PAIRS_MAX_ACTORS = 30
EXPLAIN_TOP_OTHERS = 5
# Receiving actors handled together when a single large scenario is split across threads.
_ROW_BLOCK = 128


def _default_threads() -> int:
    """Threads for large batches: the usable cores (at most 4), or ``ALLEGIANCE_THREADS``; 1 in a
    worker process of a pool (process pools and Dask workers already use every core)."""
    import multiprocessing

    requested = os.environ.get("ALLEGIANCE_THREADS", "").strip()
    if requested.isdigit() and int(requested) > 0:
        return int(requested)
    if multiprocessing.parent_process() is not None:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


#: Threads used for large batches (chunks of the batch are independent).
THREADS = _default_threads()
# A batch is split across threads only when each thread gets at least this many items.
_MIN_ITEMS_PER_THREAD = 32
# Up to this many actors, voter prefix sums are a small matrix product (faster than cumsum).
_MATMUL_PREFIX_MAX_ACTORS = 64
# Up to this many actors, the voters left of each midpoint are counted by brute force (n³ booleans);
# above it, by a binary search per batch item.
_BRUTE_COUNT_MAX_ACTORS = 48


class ExpectedUtilityModel(Model):
    """Bueno de Mesquita's expected-utility ("BDM") model as replicated by Scholz et al. (2011).

    Parameters
    ----------
    rounds:
        Rounds of challenges to play (>= 0).
    variant:
        ``"scholz-code"`` (default) reproduces the public Python implementation of Scholz et al.
        exactly; ``"paper"`` follows the published formulas. The variant sets the defaults of the
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
        ``"auto"`` (default: the compiled Numba kernels of :mod:`allegiance.models.bdm_kernels`
        for batched runs when Numba is installed and ``risk_reference="actors"``, else NumPy),
        ``"numba"`` or ``"numpy"`` (the readable reference). Both give identical numbers. A single
        unbatched run, which records events and the explanation, always uses NumPy; so does
        ``risk_reference="positions"``, which has no compiled kernel.

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
        if self.engine == "numba" and _kernels() is None:
            raise ParameterError("engine='numba' needs the numba package")

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
        chunks = _chunks(size, n)

        compiled = self._compiled(unbatched)

        def work(chunk: slice) -> dict[str, Any] | None:
            if compiled:
                traj, rsk, det = _simulate_compiled(
                    position[chunk], salience[chunk], capability[chunk], value_range[chunk],
                    self.rounds, settings,
                )
            else:
                traj, rsk, det = _simulate(
                    position[chunk], salience[chunk], capability[chunk], value_range[chunk],
                    self.rounds, settings, keep_details=unbatched,
                )
            trajectory[chunk] = traj
            risk[chunk] = rsk
            weight = capability[chunk] * salience[chunk]
            mean[chunk] = _weighted_mean(traj, weight)
            median[chunk] = weighted_median(
                traj[..., None], np.broadcast_to(weight[:, None, :, None], (*traj.shape, 1))
            )[..., 0]
            return det

        workers = min(THREADS, len(chunks))
        if workers > 1:  # NumPy releases the GIL inside its loops: chunks run in parallel
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(work, chunks))
            details = None
        else:
            details = [work(chunk) for chunk in chunks][-1] if chunks else None

        reported = mean if self.median_statistic == "mean" else median
        outcome = reported[:, -1]

        events: list[dict[str, Any]] = []
        explain: list[ExplainTable] = []
        if unbatched and details is not None:
            events = self._events(arrays, trajectory[0], details)
            explain = [self._explain(arrays, details)]

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
        if self.engine == "numpy" or unbatched or self.risk_reference == "positions":
            return False
        return _kernels() is not None

    def _settings(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "pair_denominator": self.probability_denominator == "pair",
            "compromise_smallest_move": self.compromise_rule == "smallest-move",
            "capitulation": self.capitulation == "loss-exceeds-gain",
            "risk_over_positions": self.risk_reference == "positions",
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

    def _events(self, arrays: ScenarioArrays, trajectory: np.ndarray, details: dict) -> list[dict]:
        issue_id = arrays.issue_ids[0]
        ids = arrays.actor_ids
        events = []
        for t in range(self.rounds):
            kind = details["kind"][t]
            for i in np.flatnonzero(kind):
                j = int(details["counterpart"][t, i])
                events.append({
                    "round": t + 1,
                    "issue": issue_id,
                    "actor": ids[i],
                    "counterpart": ids[j],
                    "kind": OFFER_KINDS[int(kind[i])],
                    "from": float(trajectory[t, i]),
                    "to": float(trajectory[t + 1, i]),
                    "detail": {
                        "eu_actor_challenges": float(details["eu_challenge"][t, i]),
                        "eu_counterpart_challenges": float(details["eu_challenged"][t, i]),
                        "risk_aversion": float(details["risk"][t, i]),
                    },
                })
        return events

    def _explain(self, arrays: ScenarioArrays, details: dict) -> ExplainTable:
        ids = arrays.actor_ids
        n = len(ids)
        x = details["view_position"]
        eu_ij, eu_ji = details["view_eu_challenge"], details["view_eu_challenged"]
        if n <= EXPLAIN_ALL_PAIRS_MAX_ACTORS:
            others = [[j for j in range(n) if j != i] for i in range(n)]
            scope = "Every ordered pair is listed"
        else:  # each actor's most threatening others only, to stay readable
            threat = np.where(x[None, :] == x[:, None], -np.inf, eu_ji)
            np.fill_diagonal(threat, -np.inf)
            top = np.argsort(-threat, axis=1, kind="stable")[:, :EXPLAIN_TOP_OTHERS]
            others = [list(row) for row in top]
            scope = (f"With {n} actors, each actor's {EXPLAIN_TOP_OTHERS} others with the largest "
                     "EU(other challenges actor) are listed")
        rows: list[list[Any]] = []
        for i in range(n):
            for j in others[i]:
                if x[i] == x[j]:
                    continue
                quadrant, expected = _quadrant(ids[i], ids[j], eu_ij[i, j], eu_ji[i, j],
                                               self.capitulation != "never")
                rows.append([ids[i], ids[j], round(float(x[i]), 4), round(float(x[j]), 4),
                             round(float(eu_ij[i, j]), 4), round(float(eu_ji[i, j]), 4),
                             quadrant, expected])
        when = f"start of round {self.rounds}" if self.rounds else "the initial positions"
        return ExplainTable(
            title=f"BDM: each actor's view of each other actor, issue {arrays.issue_ids[0]}, "
                  f"{when}",
            columns=["actor", "other", "x actor", "x other", "EU actor challenges",
                     "EU other challenges", "quadrant", "expected"],
            rows=rows,
            note=(
                "Both expected utilities are computed by 'actor' with its own risk attitude. "
                "conflict: both gain from challenging (the larger EU expects to win); compromise: "
                "one gains more than the other loses, the loser concedes part of the distance; "
                "capitulation: the loser's loss exceeds the winner's gain, it gives in "
                f"(capitulation test in this run: {self.capitulation}); stalemate: neither gains. "
                f"{scope}; pairs at the same position are omitted."
            ),
        )


def _quadrant(
    actor: str, other: str, eu_challenge: float, eu_challenged: float, capitulation: bool
) -> tuple[str, str]:
    """Name the quadrant of (EU_i(i challenges j), EU_i(j challenges i)) and who yields."""
    gives_in = "capitulates to" if capitulation else "would capitulate (test off: no move) to"
    if eu_challenge > 0 and eu_challenged > 0:
        if eu_challenged > eu_challenge:
            return "conflict", f"{actor} loses a confrontation to {other}"
        return "conflict", f"{other} loses a confrontation to {actor}"
    if eu_challenged > 0 > eu_challenge:
        if eu_challenged > -eu_challenge:
            return "compromise", f"{actor} compromises toward {other}"
        return "capitulation", f"{actor} {gives_in} {other}"
    if eu_challenge > 0 > eu_challenged:
        if eu_challenge > -eu_challenged:
            return "compromise", f"{other} compromises toward {actor}"
        return "capitulation", f"{other} {gives_in} {actor}"
    return "stalemate", "no move"


def _weighted_mean(trajectory: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(size, rounds + 1) capability x salience weighted mean (plain mean if all weights are 0)."""
    total = weight.sum(axis=-1)[:, None]
    weighted = np.einsum("btn,bn->bt", trajectory, weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = weighted / total
    return np.where(total > 0, mean, trajectory.mean(axis=-1))


# ---------------------------------------------------------------------- the vectorised core
def _chunks(size: int, n: int) -> list[slice]:
    """Equal slices of the batch of at most ``_CHUNK_ELEMENTS`` pair elements each, and at least
    one per thread when the batch is large enough (``_MIN_ITEMS_PER_THREAD``), so that the
    threads get equal shares of the work."""
    if size == 0:
        return []
    step = max(1, _CHUNK_ELEMENTS // max(n * n, 1))
    count = -(-size // step)
    if THREADS > 1 and size >= THREADS * _MIN_ITEMS_PER_THREAD:
        count = max(count, THREADS)
    step = -(-size // count)
    return [slice(start, min(size, start + step)) for start in range(0, size, step)]


def _kernels():
    """The compiled kernels module, or None when Numba is not installed."""
    try:
        from allegiance.models import bdm_kernels
    except ImportError:  # pragma: no cover - numba missing
        return None
    return bdm_kernels


def _midpoint_index(ordered: np.ndarray) -> np.ndarray:
    """Flat indices into the ``(B, n + 1, n)`` voter prefix sums used by :func:`_support`.

    For positions ``ordered`` sorted ascending, ``m[b, p, q] = #{k : x_k < (x_p + x_q) / 2}`` is
    the number of voters below the midpoint of p and q; the index returned points at row ``m``,
    column ``q`` of batch item ``b``.
    """
    size, n = ordered.shape
    midpoint = (ordered[:, :, None] + ordered[:, None, :]) * 0.5
    if n <= _BRUTE_COUNT_MAX_ACTORS:  # counts fit in int8
        below = ordered[:, :, None, None] < midpoint[:, None, :, :]
        counts = below.view(np.int8).sum(axis=1, dtype=np.int8).astype(np.intp)
    else:
        counts = np.empty((size, n, n), dtype=np.intp)
        for b in range(size):  # one binary search per batch item (large n, small batch)
            counts[b] = np.searchsorted(ordered[b], midpoint[b], side="left")
    counts *= n
    counts += (np.arange(size) * ((n + 1) * n))[:, None, None] + np.arange(n)
    return counts


def _support(weighted_distance: np.ndarray, index: np.ndarray, below: np.ndarray) -> np.ndarray:
    """``S[b, p, q] = sum_k max(0, wd[b, k, q] - wd[b, k, p])``: votes for p's position over q's.

    Actors are sorted by position; ``weighted_distance[b, k, a]`` is voter k's weighted
    (risk-transformed) distance to actor a. A voter prefers p over q exactly when it is nearer to
    x_p than to x_q, i.e. on p's side of their midpoint, so the sum runs over a prefix (x_p < x_q)
    or a suffix (x_p > x_q) of the voters: one cumulative sum over voters answers every pair in
    O(1), O(n²) in all instead of O(n³). ``index`` comes from :func:`_midpoint_index`.
    """
    cumulative = _voter_prefix_sums(weighted_distance)
    total = cumulative[:, -1, :]
    prefix = cumulative.reshape(-1).take(index)  # [b, p, q] = sum over voters below m_pq of wd_q
    gain = prefix - prefix.swapaxes(1, 2)  # sum over voters below the midpoint of (wd_q - wd_p)
    support = np.subtract(total[:, None, :], total[:, :, None], out=prefix)  # reuse the buffer
    support -= gain  # the suffix sums, right for x_p > x_q ...
    np.copyto(support, gain, where=below)  # ... and the prefix sums for x_p < x_q
    np.maximum(support, 0.0, out=support)
    return support


def _voter_prefix_sums(weighted_distance: np.ndarray) -> np.ndarray:
    """``(B, n + 1, n)``: row r sums voters 0 .. r-1 of ``weighted_distance[b, k, a]``."""
    size, n, _ = weighted_distance.shape
    if n <= _MATMUL_PREFIX_MAX_ACTORS:
        return _prefix_matrix(n) @ weighted_distance
    cumulative = np.zeros((size, n + 1, n))
    np.cumsum(weighted_distance, axis=1, out=cumulative[:, 1:])
    return cumulative


_PREFIX_MATRICES: dict[int, np.ndarray] = {}


def _prefix_matrix(n: int) -> np.ndarray:
    """``(n + 1, n)`` matrix whose row r sums the first r rows (a cumulative sum as a product)."""
    matrix = _PREFIX_MATRICES.get(n)
    if matrix is None:
        matrix = _PREFIX_MATRICES[n] = np.tril(np.ones((n + 1, n)), -1)
    return matrix


def _unsort_pairs(values: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """``out[b, i, j] = values[b, rank[b, i], rank[b, j]]``: back from sorted to actor order."""
    size, n = rank.shape
    if size == 1:
        return values[0][np.ix_(rank[0], rank[0])][None]
    flat = rank[:, :, None] * n + (rank + (np.arange(size) * (n * n))[:, None])[:, None, :]
    return values.reshape(-1).take(flat)


def _risk_acceptance(own: np.ndarray, high: np.ndarray, low: np.ndarray) -> np.ndarray:
    width = high - low
    acceptance = np.zeros_like(own)
    np.divide(2.0 * own - high - low, width, out=acceptance, where=width > 0)
    return acceptance


def _danger_over_positions(
    distance: np.ndarray,
    support: np.ndarray,
    weight: np.ndarray,
    salience: np.ndarray,
    pair_denominator: bool,
) -> np.ndarray:
    """``danger[b, i, m]``: i's danger level if i held actor m's position (exponents all 1).

    Moving i changes the votes (i votes from its new place and is compared from it), so every
    probability is corrected for voter i; for the all-pairs denominator the terms of the triple sum
    that involve i are replaced. O(n³) per round, in blocks of actors.
    """
    size, n, _ = distance.shape
    # unit-weight sums of absolute distance differences: spread[b, v, a] = sum_b |d_va - d_vb|
    ordered = np.sort(distance, axis=-1)
    rank_of = np.argsort(np.argsort(distance, axis=-1, kind="stable"), axis=-1, kind="stable")
    cum = np.concatenate([np.zeros((size, n, 1)), np.cumsum(ordered, axis=-1)], axis=-1)
    ranks = np.arange(n)
    spread_sorted = (ranks * ordered - cum[..., :-1]) + (cum[..., -1:] - cum[..., 1:]
                                                         - (n - 1 - ranks) * ordered)
    spread = np.take_along_axis(spread_sorted, rank_of, axis=-1)
    both_ways = support + support.swapaxes(1, 2)  # sum_k w_k |d_k,a - d_k,b|
    total_triples = np.einsum("bk,bk->b", weight, spread.sum(axis=-1))
    weighted_spread = np.einsum("bk,bkm->bm", weight, spread)
    row_sum = distance.sum(axis=-1)
    # touching[b, i, m]: the triple-sum terms involving actor i when i stands at x_m
    w_i = weight[:, :, None]
    alpha = spread.sum(axis=-1)[:, None, :] - 2.0 * spread.swapaxes(1, 2)  # [i, m] = Q_m - 2 U_mi
    beta = row_sum[:, None, :] - distance  # [i, m] = sum_b d_mb - d_mi
    gamma = weighted_spread[:, None, :] - w_i * spread - both_ways + w_i * distance
    touching = w_i * alpha + 2.0 * w_i * beta + 2.0 * gamma
    own_touching = np.diagonal(touching, axis1=1, axis2=2)[:, :, None]
    moved_total = total_triples[:, None, None] - own_touching + touching  # [b, i, m]

    danger = np.empty((size, n, n))
    block = max(1, _CHUNK_ELEMENTS // max(size * n * n, 1))
    for start in range(0, n, block):  # blocks of moved actors i, to bound memory
        stop = min(n, start + block)
        idx = np.arange(start, stop)
        w_blk = weight[:, start:stop, None, None]
        d_i = distance[:, start:stop, :]  # [b, i, a] distance of voter i (original place) to a
        # voter i's original vote for a (third axis) over b (fourth axis)
        vote_i = w_blk * np.maximum(d_i[:, :, None, :] - d_i[:, :, :, None], 0.0)
        # for i at x_m (axis 2) challenged by o (axis 3): support for x_o over x_m
        numerator = support.swapaxes(1, 2)[:, None, :, :] - vote_i.swapaxes(2, 3)
        if pair_denominator:
            against = (support[:, None, :, :] - vote_i) + w_blk * distance[:, None, :, :]
            denominator = numerator + against
        else:
            denominator = np.broadcast_to(moved_total[:, start:stop, :, None], numerator.shape)
        same = distance[:, None, :, :] == 0.0
        prob = np.zeros_like(numerator)
        np.divide(numerator, denominator, out=prob, where=(denominator > 0) & ~same)
        s_i = salience[:, start:stop, None, None]
        terms = 2.0 * distance[:, None, :, :] * (1.0 - 2.0 * s_i * (1.0 - prob))
        terms[:, np.arange(stop - start), :, idx] = 0.0  # the moved actor does not challenge itself
        danger[:, start:stop, :] = terms.sum(axis=-1)
    return danger


def _danger(
    distance: np.ndarray, support: np.ndarray, salience: np.ndarray, pair: bool
) -> np.ndarray:
    """Danger level of every actor with every exponent 1 (then u_success = 2d, u_failure = -2d and
    u_status_quo = 0): ``sum_j EU_i(j challenges i) = sum_j 2 d_ij (1 - 2 s_i (1 - P_ji))``."""
    if pair:
        probability = np.zeros_like(support)
        denominator = support + support.swapaxes(1, 2)
        np.divide(support, denominator, out=probability, where=denominator > 0)
        pressure = (distance * probability).sum(axis=1)  # [i] = sum_j d_ji P_ji
    else:
        total = 2.0 * support.sum(axis=(1, 2))
        pressure = np.zeros(support.shape[:2])
        np.divide((distance * support).sum(axis=1), total[:, None], out=pressure,
                  where=total[:, None] > 0)
    return 2.0 * (1.0 - 2.0 * salience) * distance.sum(axis=-1) + 4.0 * salience * pressure


def _round(
    position: np.ndarray,
    salience: np.ndarray,
    weight: np.ndarray,
    value_range: np.ndarray,
    settings: dict[str, Any],
) -> dict[str, np.ndarray]:
    """One round for a batch ``(B, n)``: risk exponents, expected utilities, offers, new positions.

    Votes are summed with the actors sorted by position (see :func:`_support`); expected
    utilities and offers are computed in the actors' own order, so that ties between equally good
    offers go to the first actor, as in the reference implementation.
    """
    q = settings["q"]
    pair = settings["pair_denominator"]
    size, n = position.shape
    order = np.argsort(position, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(n), (size, n)), axis=-1)
    ordered = np.take_along_axis(position, order, axis=-1)
    salience_s = np.take_along_axis(salience, order, axis=-1)
    weight_s = np.take_along_axis(weight, order, axis=-1)
    distance_s = ordered[:, None, :] - ordered[:, :, None]
    below_s = distance_s > 0.0
    np.abs(distance_s, out=distance_s)
    distance_s /= value_range[:, None, None]
    index = _midpoint_index(ordered)

    # 1. risk exponents from danger levels computed with every exponent at 1
    support_1 = _support(weight_s[:, :, None] * distance_s, index, below_s)
    if settings["risk_over_positions"]:
        over = _danger_over_positions(distance_s, support_1, weight_s, salience_s, pair)
        acceptance_s = _risk_acceptance(
            np.diagonal(over, axis1=1, axis2=2), over.max(axis=-1), over.min(axis=-1)
        )
    else:
        danger = _danger(distance_s, support_1, salience_s, pair)
        acceptance_s = _risk_acceptance(
            danger, danger.max(axis=-1, keepdims=True), danger.min(axis=-1, keepdims=True)
        )
    risk_s = (1.0 - acceptance_s / 3.0) / (1.0 + acceptance_s / 3.0)
    risk = np.take_along_axis(risk_s, rank, axis=-1)

    # 2. probabilities of success: every voter votes with its own exponent
    weighted = np.power(distance_s, risk_s[:, :, None])
    weighted *= weight_s[:, :, None]
    support = _unsort_pairs(_support(weighted, index, below_s), rank)
    separation = position[:, None, :] - position[:, :, None]  # [b, i, j] = x_j - x_i
    same = separation == 0.0
    np.abs(separation, out=separation)
    distance = separation / value_range[:, None, None]
    if pair:
        denominator = support + support.swapaxes(1, 2)
    else:
        denominator = np.broadcast_to(2.0 * support.sum(axis=(1, 2))[:, None, None],
                                      support.shape)
    probability = np.zeros_like(support)
    usable = denominator > 0
    usable &= ~same
    np.divide(support, denominator, out=probability, where=usable)

    # 3.-4. expected utilities and offers, by blocks of receiving actors (rows are independent)
    eu_challenge = np.empty((size, n, n))
    eu_challenged = np.empty((size, n, n))
    kind = np.empty((size, n), dtype=np.int8)
    pick = np.empty((size, n), dtype=np.intp)
    new_position = np.empty((size, n))

    def offers(rows: slice) -> None:
        block = _offers(position, salience, risk, probability, separation, distance, same, rows,
                        q, settings, eu_challenge[:, rows], eu_challenged[:, rows])
        kind[:, rows], pick[:, rows], new_position[:, rows] = block

    if size == 1 and n >= _ROW_BLOCK:
        blocks = [slice(start, min(n, start + _ROW_BLOCK)) for start in range(0, n, _ROW_BLOCK)]
        if THREADS > 1:
            with ThreadPoolExecutor(max_workers=THREADS) as pool:
                list(pool.map(offers, blocks))
        else:
            for rows in blocks:
                offers(rows)
    else:
        offers(slice(0, n))
    return {
        "position": new_position,
        "risk": risk,
        "kind": kind,
        "counterpart": pick,
        "eu_challenge": eu_challenge,
        "eu_challenged": eu_challenged,
    }


def _offers(
    position: np.ndarray,
    salience: np.ndarray,
    risk: np.ndarray,
    probability: np.ndarray,
    separation: np.ndarray,
    distance: np.ndarray,
    same: np.ndarray,
    rows: slice,
    q: float,
    settings: dict[str, Any],
    eu_challenge: np.ndarray,
    eu_challenged: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected utilities seen by the receiving actors ``rows`` and the offer each one takes.

    Fills ``eu_challenge, eu_challenged`` (``[b, i, j]`` for i in ``rows``: EU_i(i challenges j),
    EU_i(j challenges i)) and returns per receiver the offer kind (0 none), the counterpart and
    the new position.
    """
    size, n = position.shape
    x_i = position[:, rows]
    count = x_i.shape[1]
    separation = separation[:, rows]  # |x_j - x_i|
    distance = distance[:, rows]
    # utilities seen by i with its own exponent (in place: these arrays are the hot path)
    exponent = risk[:, rows, None]
    toward = np.multiply(distance, -0.5)
    toward += 0.5
    np.maximum(toward, 0.0, out=toward)
    np.power(toward, exponent, out=toward)  # u_success = 2 - 4 toward
    spread = np.multiply(distance, 0.5)
    spread += 0.5
    np.power(spread, exponent, out=spread)  # u_failure = 2 - 4 spread
    spread -= toward
    spread *= 4.0  # u_success - u_failure
    status_quo = 2.0 - 4.0 * np.power(0.5, risk[:, rows])
    base = np.multiply(toward, -4.0, out=toward)
    base += (2.0 - q * status_quo)[:, :, None]  # u_success - q u_status_quo
    np.subtract(1.0, probability[:, rows], out=eu_challenge)
    eu_challenge *= spread
    eu_challenge *= salience[:, None, :]
    np.subtract(base, eu_challenge, out=eu_challenge)
    np.subtract(1.0, probability[:, :, rows].swapaxes(1, 2), out=eu_challenged)
    eu_challenged *= spread
    eu_challenged *= salience[:, rows, None]
    np.subtract(base, eu_challenged, out=eu_challenged)

    # offers received by i (rows) from j (columns); the three kinds exclude one another
    valid = ~same[:, rows]
    confront = valid & (eu_challenged > eu_challenge) & (eu_challenge > 0)
    loses = valid & (eu_challenged > 0) & (eu_challenge < 0)
    compromise = loses & (eu_challenged > np.abs(eu_challenge))
    # a receiver takes the first kind it is offered (confrontation, compromise, capitulation)
    has_confront = confront.any(axis=-1)
    has_compromise = compromise.any(axis=-1)
    kind = np.where(has_confront, 1, np.where(has_compromise, 2, 0)).astype(np.int8)
    eligible = np.where(has_confront[:, :, None], confront, compromise)
    if settings["capitulation"]:
        capitulate = loses & ~compromise & (eu_challenged != -eu_challenge)
        has_capitulate = capitulate.any(axis=-1) & (kind == 0)
        kind[has_capitulate] = 3
        eligible |= capitulate & has_capitulate[:, :, None]
    # ranking keys: the move for confrontations and capitulations; compromises get theirs below
    key = np.where(eligible, separation, np.inf)
    where = np.flatnonzero(compromise & eligible)
    if where.size:
        mine = x_i.reshape(-1)[where // n]  # row b * count + i
        theirs = position.reshape(-1)[(where // (count * n)) * n + where % n]
        lose = eu_challenge.reshape(-1)[where]
        gain = eu_challenged.reshape(-1)[where]
        if settings["compromise_smallest_move"]:
            offered = mine + (theirs - mine) * np.abs(lose / gain)
            key.reshape(-1)[where] = np.abs(mine - offered)
        else:
            key.reshape(-1)[where] = (np.abs(lose) * mine + np.abs(gain) * theirs) / (
                np.abs(lose) + np.abs(gain))
    pick = np.argmin(key, axis=-1)
    moved = kind > 0
    flat = np.arange(size * count) * n + pick.reshape(-1)
    chosen = position.reshape(-1)[(flat // (count * n)) * n + pick.reshape(-1)].reshape(size, count)
    conceding = kind == 2  # compromise: move part of the way toward the chosen actor
    if conceding.any():
        lose = eu_challenge.reshape(-1)[flat].reshape(size, count)
        gain = eu_challenged.reshape(-1)[flat].reshape(size, count)
        with np.errstate(divide="ignore", invalid="ignore"):
            partial = x_i + (chosen - x_i) * np.abs(lose / gain)
        chosen = np.where(conceding, partial, chosen)
    new_position = np.where(moved, chosen, x_i)
    pick[~moved] = 0
    return kind, pick, new_position


def _simulate(
    position: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    value_range: np.ndarray,
    rounds: int,
    settings: dict[str, Any],
    keep_details: bool,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any] | None]:
    """Play ``rounds`` rounds for a batch ``(B, n)``; details are kept for a single run."""
    size, n = position.shape
    trajectory = np.empty((size, rounds + 1, n))
    trajectory[:, 0] = position
    risk = np.ones((size, rounds, n))
    weight = capability * salience
    details: dict[str, Any] | None = None
    if keep_details:
        details = {key: np.zeros((rounds, n), dtype=dtype) for key, dtype in (
            ("kind", np.int8), ("counterpart", np.intp), ("eu_challenge", float),
            ("eu_challenged", float), ("risk", float))}
    x = position.copy()
    state: dict[str, np.ndarray] | None = None
    for t in range(rounds):
        if n < 2:
            trajectory[:, t + 1] = x
            continue
        state = _round(x, salience, weight, value_range, settings)
        x = state["position"]
        trajectory[:, t + 1] = x
        risk[:, t] = state["risk"]
        if details is not None:
            rows = np.arange(n)
            details["kind"][t] = state["kind"][0]
            details["counterpart"][t] = state["counterpart"][0]
            details["eu_challenge"][t] = state["eu_challenge"][0, rows, state["counterpart"][0]]
            details["eu_challenged"][t] = state["eu_challenged"][0, rows, state["counterpart"][0]]
            details["risk"][t] = state["risk"][0]
            details["view_position"] = trajectory[0, t]
            details["view_eu_challenge"] = state["eu_challenge"][0]
            details["view_eu_challenged"] = state["eu_challenged"][0]
    if details is not None and "view_position" not in details:
        if n >= 2:
            state = _round(position, salience, weight, value_range, settings)
            details["view_eu_challenge"] = state["eu_challenge"][0]
            details["view_eu_challenged"] = state["eu_challenged"][0]
        else:
            details["view_eu_challenge"] = np.zeros((n, n))
            details["view_eu_challenged"] = np.zeros((n, n))
        details["view_position"] = position[0]
    return trajectory, risk, details


def _simulate_compiled(
    position: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    value_range: np.ndarray,
    rounds: int,
    settings: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray, None]:
    """:func:`_simulate` with the Numba kernels (same numbers; no details, no positions-risk).

    Each round is ``sort_round`` (compiled), the prefix sums of the unit votes
    (:func:`_voter_prefix_sums`), ``risk_round`` (compiled), the powers of the round with
    ``numpy.power`` exactly as :func:`_round` and :func:`_offers` compute them, the prefix sums of
    the votes, then ``finish_round`` (compiled).
    """
    kernels = _kernels()
    size, n = position.shape
    trajectory = np.empty((size, rounds + 1, n))
    trajectory[:, 0] = position
    risk = np.ones((size, rounds, n))
    if n < 2:
        trajectory[:, 1:] = position[:, None, :]
        return trajectory, risk, None
    salience = np.ascontiguousarray(salience, dtype=float)
    weight = capability * salience
    value_range = np.ascontiguousarray(value_range, dtype=float)
    pair = bool(settings["pair_denominator"])
    rank = np.empty((size, n), dtype=np.intp)
    counts = np.empty((size, n, n), dtype=np.intp)
    below = np.empty((size, n, n), dtype=np.bool_)
    distance_s = np.empty((size, n, n))
    weight_s = np.empty((size, n))
    unit_votes = np.empty((size, n, n))
    risk_s = np.empty((size, n))
    toward = np.empty((size, n, n))
    spread = np.empty((size, n, n))
    x = np.ascontiguousarray(position, dtype=float)
    for t in range(rounds):
        round_risk = risk[:, t]
        kernels.sort_round(x, weight, value_range, rank, counts, below, distance_s, weight_s,
                           unit_votes)
        kernels.risk_round(x, salience, value_range, pair, rank, counts, below, distance_s,
                           _voter_prefix_sums(unit_votes), risk_s, round_risk, toward, spread)
        votes = np.power(distance_s, risk_s[:, :, None])
        votes *= weight_s[:, :, None]
        exponent = round_risk[:, :, None]
        np.power(toward, exponent, out=toward)
        np.power(spread, exponent, out=spread)
        status_quo = 2.0 - 4.0 * np.power(0.5, round_risk)
        new_position = np.empty((size, n))
        kernels.finish_round(x, salience, _voter_prefix_sums(votes), rank, counts, below,
                             toward, spread, status_quo, float(settings["q"]), pair,
                             bool(settings["compromise_smallest_move"]),
                             bool(settings["capitulation"]), new_position)
        trajectory[:, t + 1] = new_position
        x = new_position
    return trajectory, risk, None
