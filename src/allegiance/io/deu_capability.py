"""Capability options for the DEU data: who weighs how much in an EU legislative decision.

The DEU data give positions and saliences but not capabilities; a backtest must choose them. The
options, selectable by name (``allegiance backtest --capability NAME``):

``equal``
    Every actor weighs 1. The neutral baseline.

``gdp``
    The proxy row of the file (a GDP-based number per actor column, added by a third party, with
    the Commission and the Parliament set equal to the largest member state). One option, not the
    truth.

``council-votes``
    Member states: their Council votes under the Treaty of Nice (Germany, France, Italy, United
    Kingdom 29; Spain, Poland 27; Romania 14; Netherlands 13; Belgium, Czech Republic, Greece,
    Hungary, Portugal 12; Austria, Bulgaria, Sweden 10; Denmark, Ireland, Lithuania, Slovakia,
    Finland, Croatia 7; Cyprus, Estonia, Latvia, Luxembourg, Slovenia 4; Malta 3), for every
    proposal whatever its date. The institutions, by procedure:

    ========  ==========================================  =======================================
    proc.     Commission                                   Parliament
    ========  ==========================================  =======================================
    COD       the mean vote of the Council's members       co-legislator: the Council's total
              (initiator and broker, one medium voice)     votes (as strong as the whole Council)
    CNS       the mean vote of the Council's members       0: consulted only, the Council may
                                                           ignore its opinion
    ========  ==========================================  =======================================

    The Council's members (and so its total) are those of the proposal's time, inferred as
    described below.

``shapley-shubik``
    The approach of the DEU literature: each actor's capability is its Shapley–Shubik power index
    in the voting game that the legislative procedure defines (Thomson, Stokman, Achen & König
    (eds.) 2006, *The European Union Decides*, Cambridge UP; Achen 2006, "Institutional realism
    and bargaining models", ch. 4 of that book, weights the compromise model by such power;
    Shapley & Shubik 1954, *American Political Science Review* 48(3)). The games, with
    member-state votes of the proposal's era (the Amsterdam weights, total 87, quota 62, for the
    EU of 15; the Nice weights with quotas 232/321, 255/345 and 260/352 for the EU of 25, 27
    and 28):

    - CNS, QMV: a coalition wins if it holds the Commission and a qualified majority of votes, or
      all member states (a unanimous Council can amend the Commission's proposal). The Parliament
      is a dummy (power 0).
    - CNS, unanimity: all member states are needed; Commission and Parliament are dummies, so each
      state has power 1/n.
    - COD, QMV: the Parliament and a qualified majority of votes (the conciliation route, in which
      the Commission cannot block); the Commission is a dummy.
    - COD, unanimity: the Parliament and all member states.

    Actors with power 0 stay in the scenario with capability 0: they hold a position but no
    weight. This is the "Council-centric" reading of the procedures, which Thomson & Hosli (2006,
    "Who has power in the EU?", *JCMS* 44(2)) found to forecast better than a supranational one.

Council membership of a proposal (which member states vote) is inferred from the data, because
the dates in this file were garbled by a spreadsheet conversion: a later accession wave (2004: CY
CZ EE HU LV LT MT PL SI SK; 2007: BG RO; 2013: HR) counts as member when any of its states takes a
position or has a non-zero salience on any issue of the proposal; a wave implies the earlier ones.
The Lisbon double majority (from November 2014) is not modelled: Nice weights stand in for it.

Example
-------
>>> caps = capabilities("shapley-shubik", present=["com", "de", "lu"], procedure="CNS",
...                     voting_rule="Unan", council=list(EU15), proxy={})
>>> round(caps["de"], 4), caps["com"]
(0.0667, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np

OPTIONS: dict[str, str] = {
    "equal": "every actor weighs 1",
    "gdp": "the file's GDP-based proxy row (third-party; Commission and Parliament = largest "
           "state)",
    "council-votes": "Nice-treaty Council votes; Commission = mean member vote; Parliament = the "
                     "Council's total under COD, 0 under CNS",
    "shapley-shubik": "Shapley–Shubik power in the procedure's voting game, treaty-era votes "
                      "(Thomson & Stokman 2006; Achen 2006)",
}

EU15 = ("at", "be", "dk", "fi", "fr", "de", "el", "ie", "it", "lu", "nl", "pt", "es", "se", "uk")
WAVE_2004 = ("cy", "cz", "ee", "hu", "lv", "lt", "mt", "pl", "si", "sk")
WAVE_2007 = ("bu", "ro")
WAVE_2013 = ("cr",)
WAVES = (EU15, WAVE_2004, WAVE_2007, WAVE_2013)
MEMBER_STATES = EU15 + WAVE_2004 + WAVE_2007 + WAVE_2013

#: Council votes under the Treaty of Nice (Croatia: 7 from its accession in 2013)
NICE_VOTES: dict[str, int] = {
    "de": 29, "fr": 29, "it": 29, "uk": 29, "es": 27, "pl": 27, "ro": 14, "nl": 13,
    "be": 12, "cz": 12, "el": 12, "hu": 12, "pt": 12, "at": 10, "bu": 10, "se": 10,
    "dk": 7, "ie": 7, "lt": 7, "sk": 7, "fi": 7, "cr": 7,
    "cy": 4, "ee": 4, "lv": 4, "lu": 4, "si": 4, "mt": 3,
}
#: Council votes of the EU of 15 before the Nice weights applied (Treaty of Amsterdam)
AMSTERDAM_VOTES: dict[str, int] = {
    "de": 10, "fr": 10, "it": 10, "uk": 10, "es": 8, "be": 5, "el": 5, "nl": 5, "pt": 5,
    "at": 4, "se": 4, "dk": 3, "ie": 3, "fi": 3, "lu": 2,
}
#: qualified-majority quota by number of member states: (votes table, quota)
QUOTAS: dict[int, tuple[dict[str, int], int]] = {
    15: (AMSTERDAM_VOTES, 62),
    25: (NICE_VOTES, 232),
    27: (NICE_VOTES, 255),
    28: (NICE_VOTES, 260),
}


def check_option(option: str) -> str:
    """The option's canonical name; ValueError naming the choices when unknown."""
    name = str(option).strip().lower().replace("_", "-")
    aliases = {"gdp-proxy": "gdp", "nice": "council-votes", "council": "council-votes",
               "ssi": "shapley-shubik", "shapley": "shapley-shubik"}
    name = aliases.get(name, name)
    if name not in OPTIONS:
        raise ValueError(f"unknown capability option {option!r}; choose one of "
                         f"{', '.join(OPTIONS)}")
    return name


def infer_council(active: Iterable[str]) -> list[str]:
    """Member states of the Council given the states active (position or salience) on a proposal."""
    active = set(active)
    latest = 0
    for w, wave in enumerate(WAVES):
        if active & set(wave):
            latest = w
    return [state for wave in WAVES[: latest + 1] for state in wave]


def membership(parsed: Any) -> dict[str, list[str]]:
    """Proposal number -> Council members, for a parsed DEU file (:class:`DeuFile`)."""
    active: dict[str, set[str]] = {}
    for row in parsed.rows:
        states = active.setdefault(row.meta["prnrnmc"], set())
        states.update(a for a in row.position if a in MEMBER_STATES)
        states.update(a for a in row.extra_zero_salience if a in MEMBER_STATES)
        states.update(a for a, s in row.salience.items() if s and a in MEMBER_STATES)
    return {proposal: infer_council(states) for proposal, states in active.items()}


def council_votes(council: list[str]) -> tuple[dict[str, int], int]:
    """Votes and qualified-majority quota for a Council of these members (treaty era by size)."""
    n = len(council)
    if n in QUOTAS:
        table, quota = QUOTAS[n]
        return {s: table[s] for s in council}, quota
    votes = {s: NICE_VOTES[s] for s in council}
    return votes, math.ceil(sum(votes.values()) * 255 / 345)  # the Nice ratio


def _game_value(procedure: str, voting_rule: str, n_states: int, quota: int):
    """v(k, w, has_com, has_ep) for coalitions of k states holding w votes (vectorised in w)."""

    def value(k: int, w: np.ndarray, com: bool, ep: bool) -> np.ndarray:
        everyone = k == n_states
        qualified = w >= quota
        if procedure == "CNS" and voting_rule == "QMV":
            return (com & qualified) | everyone
        if procedure == "CNS":
            return np.full_like(qualified, everyone)
        if voting_rule == "QMV":
            return ep & qualified
        return np.full_like(qualified, ep and everyone)

    return value


def _subset_counts(weights: list[int], total: int) -> np.ndarray:
    """counts[k, w] = number of subsets of ``weights`` with k members and weight sum w."""
    counts = np.zeros((len(weights) + 1, total + 1))
    counts[0, 0] = 1.0
    for weight in weights:
        shifted = np.zeros_like(counts)
        shifted[1:, weight:] = counts[:-1, : total + 1 - weight]
        counts += shifted
    return counts


@lru_cache(maxsize=64)
def shapley_shubik(procedure: str, voting_rule: str, council: tuple[str, ...]
                   ) -> dict[str, float]:
    """Shapley–Shubik index of every member state, the Commission and the Parliament.

    Exact: the coalitions of member states are counted by size and vote total (dynamic
    programming), the two institutions enumerated; the index of player i is
    ``sum_S |S|! (N-|S|-1)! / N! * (v(S + i) - v(S))``.
    """
    votes, quota = council_votes(list(council))
    states = list(council)
    n_states = len(states)
    n_players = n_states + 2
    total = sum(votes.values())
    value = _game_value(procedure, voting_rule, n_states, quota)
    coef = np.array([math.factorial(s) * math.factorial(n_players - s - 1)
                     / math.factorial(n_players) for s in range(n_players)])
    w_axis = np.arange(total + 1)
    power: dict[str, float] = {}
    for i, state in enumerate(states):
        others = [votes[s] for j, s in enumerate(states) if j != i]
        counts = _subset_counts(others, total)
        share = 0.0
        for k in range(n_states):
            row = counts[k]
            if not row.any():
                continue
            for com in (False, True):
                for ep in (False, True):
                    gain = (value(k + 1, w_axis + votes[state], com, ep).astype(float)
                            - value(k, w_axis, com, ep).astype(float))
                    share += coef[k + com + ep] * float(row @ gain)
        power[state] = float(share)
    counts = _subset_counts([votes[s] for s in states], total)
    for name in ("com", "ep"):
        share = 0.0
        for k in range(n_states + 1):
            row = counts[k]
            for other in (False, True):
                if name == "com":
                    gain = (value(k, w_axis, True, other).astype(float)
                            - value(k, w_axis, False, other).astype(float))
                else:
                    gain = (value(k, w_axis, other, True).astype(float)
                            - value(k, w_axis, other, False).astype(float))
                share += coef[k + other] * float(row @ gain)
        power[name] = float(share)
    return power


def capabilities(option: str, *, present: list[str], procedure: str, voting_rule: str,
                 council: list[str], proxy: dict[str, float]) -> dict[str, float]:
    """Capability of each actor in ``present`` under ``option`` (see the module docstring)."""
    option = check_option(option)
    if option == "equal":
        return {a: 1.0 for a in present}
    if option == "gdp":
        missing = [a for a in present if a not in proxy]
        if missing:
            raise ValueError(f"the capability row gives no value for {', '.join(missing)} "
                             "(needed by --capability gdp)")
        return {a: float(proxy[a]) for a in present}
    states = [s for s in council if s in MEMBER_STATES]
    outside = [a for a in present if a in MEMBER_STATES and a not in states]
    council = states + outside  # a state with a position is in the Council
    if option == "council-votes":
        votes = {s: NICE_VOTES[s] for s in council}
        total = float(sum(votes.values()))
        caps = {}
        for actor in present:
            if actor == "com":
                caps[actor] = total / len(votes)
            elif actor == "ep":
                caps[actor] = total if procedure == "COD" else 0.0
            else:
                caps[actor] = float(votes[actor])
        return caps
    ordered = tuple(s for s in MEMBER_STATES if s in council)
    power = shapley_shubik(procedure, voting_rule, ordered)
    return {a: power[a] for a in present}


__all__ = [
    "AMSTERDAM_VOTES",
    "EU15",
    "MEMBER_STATES",
    "NICE_VOTES",
    "OPTIONS",
    "capabilities",
    "check_option",
    "council_votes",
    "infer_council",
    "membership",
    "shapley_shubik",
]
