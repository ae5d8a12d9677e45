"""The options of the Spatial Model of Politics, defined once: their KTAB names, their defaults,
and the integer code each engine uses for them.

KTAB (B. Wise, L. Lumley, Y. Mohammed et al., "KTAB: an open-source toolkit for building
agent-based models of collective decision-making", KAPSARC 2015–2017) names each option of its
``smpc`` program (``VotingRule``, ``BigRAdjust``, ...) and each of its values (``Prop``,
``OneThird``, ...). Here every option is an :class:`~enum.IntEnum` whose members are those values
(``BigRAdjust.NONE`` is KTAB's ``None``); the model keeps the KTAB spelling as its parameter
value (what a forecast records), and the engines compare codes with the named members
(``rule == VotingRule.Prop``), never with bare integers. :data:`OPTIONS` maps KTAB's XML tag to
the constructor parameter, its values and its default; the KTAB XML reader
(:mod:`allegiance.io.ktab_xml`) uses it.

Example
-------
>>> option_code(VotingRule, "Prop") == VotingRule.Prop, names(BigRAdjust)[0]
(True, 'None')
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class VotingRule(IntEnum):
    """How much influence a vote carries for a utility difference (KTAB's ``VotingRule``)."""

    Binary = 0
    PropBin = 1
    Prop = 2
    PropCbc = 3
    Cubic = 4
    ASymProsp = 5


class VictoryProbModel(IntEnum):
    """P(a beats b) from the two coalitions' strengths (``VictoryProbModel``)."""

    Linear = 0
    Square = 1
    Quartic = 2
    Octic = 3
    Binary = 4


class PCEModel(IntEnum):
    """Outcome probabilities of a Probabilistic Condorcet Election (``PCEModel``)."""

    Conditional = 0
    MarkovIncentive = 1
    MarkovUniform = 2


class BigRAdjust(IntEnum):
    """Weight of i's own risk attitude in h's estimate of it (``BigRAdjust``; KTAB's ``None`` is
    ``NONE``)."""

    NONE = 0
    OneThird = 1
    Half = 2
    TwoThirds = 3
    Full = 4


class BigRRange(IntEnum):
    """Range of the inferred risk attitudes (``BigRRange``)."""

    Min = 0
    Mid = 1
    Max = 2


class ThirdPartyCommit(IntEnum):
    """How far third parties commit to the side they join (``ThirdPartyCommit``)."""

    NoCommit = 0
    SemiCommit = 1
    FullCommit = 2


class InterVecBrgn(IntEnum):
    """How a bargain interpolates the two positions (``InterVecBrgn``)."""

    S1P1 = 0
    S2P2 = 1
    S2PMax = 2


class BargnModel(IntEnum):
    """Whose view(s) of a challenge become bargains (``BargnModel``)."""

    InitOnlyInterp = 0
    InitRcvrInterp = 1
    PWCompInterp = 2


class StateTransitions(IntEnum):
    """Adopt the likeliest option of a queue, or draw one (``StateTransitions``)."""

    Deterministic = 0
    Stochastic = 1


class BargainKind(IntEnum):
    """Which view a bargain was built from (``extra``/events: ``bargain_kind``)."""

    initiator = 0
    receiver = 1
    compromise = 2


#: plain words for each :class:`BargainKind` (events)
BARGAIN_KIND_WORDS = ("initiator's view", "receiver's view", "power-weighted compromise")


def names(option: type[IntEnum]) -> tuple[str, ...]:
    """KTAB's spelling of each value of ``option``, in code order."""
    return tuple("None" if m.name == "NONE" else m.name for m in option)


def option_code(option: type[IntEnum], name: str) -> int:
    """The code of the value spelled ``name`` (KTAB's spelling)."""
    return int(option["NONE" if name == "None" else name])


#: KTAB's XML tag -> (constructor parameter, option, KTAB default)
OPTIONS: dict[str, tuple[str, type[IntEnum], str]] = {
    "VictoryProbModel": ("victory_prob_model", VictoryProbModel, "Linear"),
    "PCEModel": ("pce_model", PCEModel, "Conditional"),
    "StateTransitions": ("state_transitions", StateTransitions, "Deterministic"),
    "VotingRule": ("voting_rule", VotingRule, "Prop"),
    "BigRAdjust": ("big_r_adjust", BigRAdjust, "OneThird"),
    "BigRRange": ("big_r_range", BigRRange, "Mid"),
    "ThirdPartyCommit": ("third_party_commit", ThirdPartyCommit, "SemiCommit"),
    "InterVecBrgn": ("inter_vec_brgn", InterVecBrgn, "S2P2"),
    "BargnModel": ("bargn_model", BargnModel, "InitOnlyInterp"),
}

#: KTAB's parameter names (XML ``<ModelParameters>``, log headers) -> constructor parameter names.
#: KTAB's ``<IdealAdjustment>`` pairs map to ``accommodation`` ({adjusting: {reference: rate}}).
#: KTAB's ``prngSeed`` is not a model parameter: pass it as the forecast's seed.
KTAB_PARAMETER_NAMES: dict[str, str] = {
    **{tag: parameter for tag, (parameter, _, _) in OPTIONS.items()},
    "IdealAdjustment": "accommodation",
}

VOTING_RULES = names(VotingRule)
VICTORY_PROB_MODELS = names(VictoryProbModel)
PCE_MODELS = names(PCEModel)
BIG_R_ADJUSTS = names(BigRAdjust)
BIG_R_RANGES = names(BigRRange)
THIRD_PARTY_COMMITS = names(ThirdPartyCommit)
INTER_VEC_BRGNS = names(InterVecBrgn)
BARGN_MODELS = names(BargnModel)
STATE_TRANSITIONS = names(StateTransitions)
SALIENCE_SCALES = ("global", "actor", "error")
ENGINES = ("auto", "numba", "numpy")


def engine_codes(params) -> np.ndarray:
    """The codes of a model's options, in the order the compiled kernels take them (see
    :data:`CODE_ORDER`)."""
    return np.array([option_code(option, getattr(params, parameter))
                     for parameter, option in CODE_ORDER], dtype=np.int64)


#: (parameter, option) of each entry of :func:`engine_codes`
CODE_ORDER: tuple[tuple[str, type[IntEnum]], ...] = (
    ("voting_rule", VotingRule),
    ("victory_prob_model", VictoryProbModel),
    ("pce_model", PCEModel),
    ("big_r_adjust", BigRAdjust),
    ("big_r_range", BigRRange),
    ("third_party_commit", ThirdPartyCommit),
    ("inter_vec_brgn", InterVecBrgn),
    ("bargn_model", BargnModel),
    ("state_transitions", StateTransitions),
)
