"""Compile every Numba kernel once, in one process, into Numba's on-disk cache.

``make test`` and ``make bench`` run this first (``python -m allegiance.precompile``), so that
every later process (a test, a command it starts, a worker of a Monte Carlo pool) only reads
compiled code from the cache. Processes that compile the same kernel at the same moment can write
cache files that do not match one another, and the next process that loads them crashes
(numba/numba#10128, #4807); compiling in one process first takes that race away. Running it again
takes a second or two: what is cached is loaded, not compiled.

Numba checks a cached kernel against the file it is written in, not against the files of the
functions it calls (the exchange kernels that call ``terms.move_allowed`` keep their cached
code when only ``terms.py`` changes). So this step first compares the sources of every
cached kernel with the stamp it wrote last time (``__pycache__/kernel-sources.json`` in the
package) and, when any of them changed, empties the whole cache, so that everything is compiled
afresh from the present sources.

What is compiled: the batch kernels of the BDM, SMP and exchange models, SMP's single-run and
blocked (large-scenario) kernels, the machine-independent powers and logarithms
(:mod:`allegiance.models.portable`) and the power-index kernels (serial and threaded), each with
the argument types the models give it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from unittest.mock import patch

import numpy as np

from allegiance.scenario.arrays import ScenarioArrays


def _arrays(size: int, n_actors: int, n_issues: int) -> ScenarioArrays:
    """A small batch of random scenarios (``size`` 0: one unbatched scenario)."""
    rng = np.random.default_rng(0)
    shape = (size, n_actors, n_issues) if size else (n_actors, n_issues)
    capability = rng.uniform(1.0, 10.0, shape)
    return ScenarioArrays(
        actor_ids=[f"a{k}" for k in range(n_actors)],
        issue_ids=[f"i{k}" for k in range(n_issues)],
        position=rng.uniform(0.0, 100.0, shape),
        salience=rng.uniform(0.1, 1.0, shape),
        capability=capability,
        scale_low=np.zeros(n_issues),
        scale_high=np.full(n_issues, 100.0),
    )


def _bdm() -> None:
    from allegiance.models.bdm import ExpectedUtilityModel

    ExpectedUtilityModel(rounds=1, engine="numba").run(_arrays(2, 4, 1))


def _smp() -> None:
    from allegiance.models.smp import SpatialModel, stepwise

    model = SpatialModel(rounds=1, engine="numba")
    model.run(_arrays(2, 4, 2))  # the batch kernel
    model.run(_arrays(0, 4, 2))  # the single-run kernel
    with patch.object(stepwise, "STEPWISE_FROM", 4):  # the blocked turn, on a small scenario
        model.run(_arrays(0, 4, 2))


def _exchange() -> None:
    from allegiance.models.exchange import ExchangeModel

    ExchangeModel(rounds=1, engine="numba").run(_arrays(2, 4, 2), random_state=0)


def _portable() -> None:
    from allegiance.models import portable

    pow_, exp_, log_ = portable._ufuncs()
    values = np.array([0.5, 2.0])
    pow_(values, values)
    exp_(values)
    log_(values)


def _power_indices() -> None:
    from allegiance.coalitions import power_kernel
    from allegiance.coalitions.power import power_indices

    weights = [3.0, 2.0, 2.0, 1.0]
    power_indices(weights)  # a small game: the serial kernel
    with patch.object(power_kernel, "PARALLEL_THRESHOLD", 0.0):  # the threaded kernel
        power_indices(weights)


STEPS: dict[str, Callable[[], None]] = {
    "BDM batch kernel": _bdm,
    "SMP batch, single-run and blocked kernels": _smp,
    "exchange batch kernel": _exchange,
    "portable pow/exp/log": _portable,
    "power-index kernels": _power_indices,
}


PACKAGE = Path(__file__).resolve().parent
STAMP = Path("__pycache__") / "kernel-sources.json"


def cache_files(root: Path) -> list[Path]:
    """Numba's cache files below ``root`` (an index ``.nbi`` and its ``.nbc`` code files)."""
    return sorted(path for pattern in ("*.nbi", "*.nbc") for path in root.rglob(pattern))


def cached_sources(root: Path) -> list[Path]:
    """The source files whose functions have cached code: an index file
    ``__pycache__/<module>.<function>-<line>.py311.nbi`` names ``<module>.py`` beside it."""
    sources = {index.parent.parent / (index.name.split(".", 1)[0] + ".py")
               for index in root.rglob("*.nbi")}
    return sorted(path for path in sources if path.exists())


def sources_digest(root: Path, sources: list[Path]) -> dict[str, str]:
    """Each source's SHA-256 (a missing file: an empty text), by path relative to ``root``."""
    return {str(path.relative_to(root)): hashlib.sha256(
        path.read_bytes() if path.exists() else b"").hexdigest() for path in sources}


def clear_stale_cache(root: Path = PACKAGE) -> bool:
    """Empty the cache below ``root`` when a source it was compiled from has changed since the
    stamp was written, when code is cached from a source the stamp does not list, or when there
    is no stamp to tell; True when it was emptied."""
    files = cache_files(root)
    if not files:
        return False
    try:
        stamp = json.loads((root / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = None
    if isinstance(stamp, dict):
        sources = {root / name for name in stamp} | set(cached_sources(root))
        if stamp == sources_digest(root, sorted(sources)):
            return False
    for path in files:
        path.unlink(missing_ok=True)
    return True


def write_stamp(root: Path = PACKAGE) -> None:
    """Record the sources of the cached kernels as they are now (after compiling)."""
    target = root / STAMP
    target.parent.mkdir(exist_ok=True)
    digest = sources_digest(root, cached_sources(root))
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(digest, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(target)


def precompile() -> dict[str, float]:
    """Compile (or load from the cache) every kernel; seconds taken by each step."""
    seconds = {}
    for name, step in STEPS.items():
        start = time.perf_counter()
        step()
        seconds[name] = time.perf_counter() - start
    return seconds


def main() -> int:
    if clear_stale_cache():
        print("kernel sources changed since the cache was written: compiling afresh")
    for name, taken in precompile().items():
        print(f"compiled {name} ({taken:.1f} s)")
    write_stamp()
    return 0


if __name__ == "__main__":
    sys.exit(main())
