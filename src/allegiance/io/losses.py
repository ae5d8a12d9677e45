"""What an export leaves out: every format but YAML holds less than a scenario, so writing one
drops data. :func:`export_losses` names what this scenario would lose in a format (and, for KTAB,
what KTAB would refuse), so that the command line can say so instead of dropping it silently.

>>> from allegiance.io import load_scenario
>>> losses = export_losses(load_scenario("syria-2014"), "ktab-csv")
>>> any(line.startswith("ranges") for line in losses)
True
>>> export_losses(load_scenario("syria-2014"), "yaml")
[]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from allegiance.scenario.model import Estimate, Scenario

__all__ = ["DROPPED", "export_losses"]


def _estimates(scenario: Scenario) -> Iterator[Estimate]:
    for actor in scenario.actors:
        yield actor.capability
        for stance in actor.issues.values():
            yield stance.position
            yield stance.salience
            if stance.capability is not None:
                yield stance.capability


def _count(scenario: Scenario, test: Callable[[Estimate], int]) -> int:
    return sum(test(e) for e in _estimates(scenario))


#: what each part of a scenario is called, and how much of it this scenario has
FEATURES: dict[str, Callable[[Scenario], int]] = {
    "ranges": lambda s: _count(s, lambda e: e.low is not None or e.high is not None),
    "history": lambda s: _count(s, lambda e: len(e.history)),
    "sources": lambda s: len(s.sources) + _count(s, lambda e: bool(e.sources)),
    "notes": lambda s: _count(s, lambda e: bool(e.note)),
    "per-issue capabilities": lambda s: sum(st.capability is not None for a in s.actors
                                            for st in a.issues.values()),
    "descriptions": lambda s: bool(s.description) + sum(bool(a.description) for a in s.actors)
    + sum(bool(i.description) for i in s.issues),
    "groups": lambda s: sum(bool(a.groups) for a in s.actors),
    "status quo": lambda s: sum(i.status_quo is not None for i in s.issues),
    "scale points": lambda s: sum(len(i.points) for i in s.issues),
    "scales other than 0-100": lambda s: sum(tuple(i.scale) != (0.0, 100.0) for i in s.issues),
    "missing stances": lambda s: sum(i.id not in a.issues for a in s.actors for i in s.issues),
    "coalitions": lambda s: len(s.coalitions),
    "variants": lambda s: len(s.variants),
    "model parameters": lambda s: len(s.model_parameters),
    "seed": lambda s: s.seed is not None,
}

#: how each format treats each feature it does not keep as it is
_KTAB = {
    "ranges": "not written", "history": "not written", "sources": "not written",
    "notes": "not written", "per-issue capabilities": "not written (the actor's capability is)",
    "groups": "not written", "status quo": "not written", "scale points": "not written",
    "scales other than 0-100": "positions mapped linearly onto 0-100",
    "missing stances": "written as position 50, salience 0", "coalitions": "not written",
    "variants": "not written",
}
DROPPED: dict[str, dict[str, str]] = {
    "yaml": {},
    "ktab-csv": {**_KTAB, "model parameters": "not written", "seed": "not written"},
    "ktab-xml": {**_KTAB, "model parameters": "only the smp model's are written"},
    "bdm-csv": {
        "ranges": "not written", "history": "not written", "sources": "not written",
        "notes": "not written", "descriptions": "not written", "groups": "not written",
        "status quo": "not written", "scale points": "not written",
        "scales other than 0-100": "the scale is not written", "coalitions": "not written",
        "variants": "not written", "model parameters": "not written", "seed": "not written",
        "missing stances": "those actors are left out",
    },
    "decide": {
        "ranges": "not written", "history": "not written", "sources": "not written",
        "notes": "not written", "groups": "not written", "status quo": "not written",
        "coalitions": "not written", "variants": "not written",
        "model parameters": "not written", "seed": "not written",
        "missing stances": "those actors have no row on the issue",
    },
}

#: limits of KTAB's smpc reader (kmodel.h, smpread.cpp)
KTAB_NAME_CHARS = 25
KTAB_ACTORS = (3, 250)


def _ktab_refusals(scenario: Scenario) -> list[str]:
    lines = []
    long_names = [a.name for a in scenario.actors if len(a.name) > KTAB_NAME_CHARS]
    if long_names:
        lines.append(f"KTAB refuses actor names longer than {KTAB_NAME_CHARS} characters: "
                     + ", ".join(repr(n) for n in long_names[:4])
                     + (f" and {len(long_names) - 4} more" if len(long_names) > 4 else ""))
    sums = {a.id: sum(st.salience.value for st in a.issues.values()) for a in scenario.actors}
    over = {k: v for k, v in sums.items() if v > 1 + 1e-9}
    if over:
        worst = max(over, key=over.get)
        lines.append(f"KTAB refuses an actor whose saliences sum to more than 100: {len(over)} "
                     f"actor(s) do (largest: {worst}, {100 * over[worst]:.4g}); divide every "
                     f"salience by {over[worst]:.4g} to keep their ratios")
    low, high = KTAB_ACTORS
    if not low <= len(scenario.actors) <= high:
        lines.append(f"KTAB needs {low} to {high} actors; this scenario has "
                     f"{len(scenario.actors)}")
    return lines


def export_losses(scenario: Scenario, to: str) -> list[str]:
    """One line per part of ``scenario`` that format ``to`` does not keep as it is (empty for a
    lossless export), then what KTAB would refuse when ``to`` is a KTAB format."""
    lines = []
    for feature, treatment in DROPPED.get(to, {}).items():
        count = FEATURES[feature](scenario)
        if count:
            lines.append(f"{feature} ({int(count)}): {treatment}")
    if to.startswith("ktab"):
        lines += _ktab_refusals(scenario)
    return lines
