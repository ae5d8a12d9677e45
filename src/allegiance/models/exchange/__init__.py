"""The exchange model: actors trade voting positions across pairs of issues.

An actor gives ground on an issue it cares little about in return for ground on an issue it cares
a lot about (Stokman & van Oosten 1994, "The exchange of voting positions: an object-oriented model
of policy networks", in Bueno de Mesquita & Stokman (eds.), *European Community Decision Making*,
Yale University Press, 105-127). The *equal-gain* solution fixes the terms of each trade so that
both partners gain the same utility; the *randomised* refinement of Dijkstra, van Assen, Stokman &
Draaijer ("Random variation of exchange rates in the equal utility exchange model", 2018) varies
the terms at random around the equal-gain point with strength ``p``; the *random-rate* variant
draws the exchange rate uniformly between the two partners' break-even rates.

One round, on positions rescaled to 0-100 per issue:

1. The expected outcome of every issue is the capability x salience weighted mean of positions.
2. For every pair of issues (p, q) and every pair of actors on opposite sides of the expected
   outcome on both issues, an exchange exists when their relative saliences differ: the actor
   with the larger salience ratio s_p / s_q (called I) demands p and supplies q; its partner J
   supplies p and demands q. The actor who moves its full distance to the partner's position is
   the one whose full move keeps the partner's move within the partner's own distance; the shift
   of the expected outcome on p (dp) and on q (dq) then stand in the ratio that equalises the
   gains, dq / dp = (s_Ip + s_Jp) / (s_Iq + s_Jq); a move that would push an expected outcome
   past the demander's own position is shortened so that the outcome stops there.
3. Exchanges are realised one at a time, highest gain first. After each one every exchange
   that shares a supplying actor-issue with it continues from the new voting position, and every
   exchange whose demander was served by it sees the moved outcome; exchanges that no longer pay
   are dropped.
4. At the end of the round each actor votes with its last realised voting position (the round's
   *voting* outcome is computed on these), and its position for the next round becomes
   ``x + ((1 - s) * salience_weight + fixed_weight) * (y - x)``.

This package reproduces the semantics of the reference implementation ``decide-exchange-model``
(release 2025.3.1, whose model is that of 2022.1.28), including its validity rules for moves,
except where the documentation in ``docs/models/exchange.md`` says otherwise. With
``arithmetic="decimal28"`` the edge cases that decide's 28-digit decimal arithmetic decides are
decided the same way (:mod:`allegiance.models.exchange.decimal`), and its numbers are reproduced.

Where each part lives: :mod:`.candidates` (steps 1-2), :mod:`.terms` (the terms of exchanges),
:mod:`.round` (step 3, NumPy engine), :mod:`.kernels` and :mod:`.kernel_run` (the compiled
engine: whole batches of draws), :mod:`.model` (``ExchangeModel``, step 4, choice of engine),
:mod:`.decimal` (decide's arithmetic) and :mod:`.explain` (events, externalities).

Example
-------
>>> import numpy as np
>>> from allegiance.scenario.arrays import ScenarioArrays
>>> arrays = ScenarioArrays(("a", "b", "c", "d"), ("x", "y"),
...     position=[[0.0, 100.0], [100.0, 0.0], [20.0, 60.0], [80.0, 30.0]],
...     salience=[[0.9, 0.3], [0.2, 0.8], [0.5, 0.5], [0.5, 0.5]],
...     capability=[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
...     scale_low=[0.0, 0.0], scale_high=[100.0, 100.0])
>>> result = ExchangeModel(rounds=2, tie_break="first").run(arrays)
>>> result.positions.shape
(3, 4, 2)
>>> result.events[0]["kind"]
'exchange'
"""

from allegiance.models.exchange.candidates import (
    ARITHMETICS,
    ENGINES,
    TIE_BREAKS,
    VARIANTS,
    expected_outcome,
)
from allegiance.models.exchange.model import ExchangeModel
from allegiance.models.exchange.round import RoundRecord

__all__ = ["ARITHMETICS", "ENGINES", "TIE_BREAKS", "VARIANTS", "ExchangeModel", "RoundRecord",
           "expected_outcome"]
