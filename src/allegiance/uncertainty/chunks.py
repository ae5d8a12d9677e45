"""One chunk of a Monte Carlo run (:mod:`allegiance.uncertainty.montecarlo`): the draws of an
index range, run through the model's batch axis in one call and judged coalition by coalition;
what an executor's worker computes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allegiance.models.base import Model
from allegiance.uncertainty.sampling import Sampler
from allegiance.uncertainty.verdicts import Quota, coalition_verdicts


class DrawError(ValueError):
    """The model failed on some draws; the message names the draws and the seed."""


@dataclass
class ChunkTask:
    """Everything a worker needs to compute a chunk (shipped once per run)."""

    sampler: Sampler
    model: Model
    seed: int
    coalitions: dict[str, list[int]]
    quota: Quota


@dataclass
class ChunkResult:
    start: int
    stop: int
    outcome: np.ndarray  # (n, n_issues)
    final: np.ndarray  # (n, n_actors, n_issues)
    winning: np.ndarray  # (n, n_coalitions) bool
    share: np.ndarray  # (n, n_coalitions)
    gains: list[np.ndarray]  # per coalition (n, n_members) bool


def run_chunk(task: ChunkTask, start: int, stop: int) -> ChunkResult:
    """Draw ``start .. stop - 1``, run the model on them in one batch and judge the coalitions."""
    values = task.sampler.sample(task.seed, start, stop)
    arrays = task.sampler.arrays(values)
    rng = np.random.default_rng(np.random.SeedSequence(task.seed, spawn_key=(1, start)))
    try:
        result = task.model.run(arrays, random_state=rng)
    except Exception as exc:  # say which draws, so the failure can be reproduced
        raise DrawError(f"model {task.model.name!r} failed on draws {start}..{stop - 1} of seed "
                        f"{task.seed}: {type(exc).__name__}: {exc}") from exc
    outcome = np.asarray(result.outcome, dtype=float)
    final = np.asarray(result.positions[..., -1, :, :], dtype=float)
    n = stop - start
    winning = np.zeros((n, len(task.coalitions)), dtype=bool)
    share = np.zeros((n, len(task.coalitions)))
    gains = []
    for c, members in enumerate(task.coalitions.values()):
        verdict = coalition_verdicts(arrays, outcome, members, task.quota)
        winning[:, c] = verdict["winning"]
        share[:, c] = verdict["share"]
        gains.append(verdict["gains"])
    return ChunkResult(start, stop, outcome, final, winning, share, gains)
