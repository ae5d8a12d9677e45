"""The options of the Spatial Model of Politics as the model takes them: KTAB's spellings
(defined once, with KTAB's file format, in :mod:`allegiance.io.ktab_options`), the engine
choice, and the integer code each engine uses for each option.

The model keeps the KTAB spelling as its parameter value (what a forecast records), and the
engines compare codes with the named members (``rule == VotingRule.Prop``), never with bare
integers.

Example
-------
>>> option_code(VotingRule, "Prop") == VotingRule.Prop, names(BigRAdjust)[0]
(True, 'None')
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from allegiance.io.ktab_options import (  # noqa: F401 - the model's options, re-exported
    KTAB_PARAMETER_NAMES,
    OPTIONS,
    BargnModel,
    BigRAdjust,
    BigRRange,
    InterVecBrgn,
    PCEModel,
    StateTransitions,
    ThirdPartyCommit,
    VictoryProbModel,
    VotingRule,
    names,
    option_code,
)


class BargainKind(IntEnum):
    """Which view a bargain was built from (``extra``/events: ``bargain_kind``)."""

    initiator = 0
    receiver = 1
    compromise = 2


#: plain words for each :class:`BargainKind` (events)
BARGAIN_KIND_WORDS = ("initiator's view", "receiver's view", "power-weighted compromise")


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
