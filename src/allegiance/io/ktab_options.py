"""KTAB's vocabulary for the options of its Spatial Model of Politics: each option's name, its
values' spellings and its default, as ``smpc`` and its XML scenarios write them.

KTAB (B. Wise, L. Lumley, Y. Mohammed et al., "KTAB: an open-source toolkit for building
agent-based models of collective decision-making", KAPSARC 2015–2017) names each option of its
``smpc`` program (``VotingRule``, ``BigRAdjust``, ...) and each of its values (``Prop``,
``OneThird``, ...). Here every option is an :class:`~enum.IntEnum` whose members are those values
(``BigRAdjust.NONE`` is KTAB's ``None``). They are part of KTAB's file format, so they live with
the readers: the KTAB XML reader (:mod:`allegiance.io.ktab_xml`) checks a file's options against
them, and the model (:mod:`allegiance.models.smp.options`) takes the same spellings as its
parameter values and compares codes with the named members (``rule == VotingRule.Prop``).

Example
-------
>>> option_code(VotingRule, "Prop") == VotingRule.Prop, names(BigRAdjust)[0]
(True, 'None')
"""

from __future__ import annotations

from enum import IntEnum


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
