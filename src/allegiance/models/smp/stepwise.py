"""Long runs of the compiled SMP engine, played in blocks: progress within a turn, and Ctrl-C
answered within a fraction of a second.

A compiled kernel keeps the interpreter until it returns, so one call per run
(:func:`allegiance.models.smp.kernel_run.run`) neither reports progress nor hears Ctrl-C: a turn
of 1,000 actors takes tens of seconds (the challenge search and the risk-neutral PCE are both
O(n³)). :func:`run` plays the same turns from Python, calling the kernels on blocks of about
:data:`BLOCK_WORK` elementary steps each (a tenth of a second): rows of the challenge search
and rows of each PCE's coalition strengths. Rows are independent and each is computed by the
same compiled code, so the numbers are the same, bit for bit, as the one-call run
(``tests/test_smp.py`` compares them). Between blocks the interpreter raises
``KeyboardInterrupt`` on Ctrl-C and the progress callback is called.

Progress goes to the callback of :func:`allegiance.models.smp.progress.reporting` (the command
line shows it as a bar on standard error).

Imported lazily, only when Numba is installed (it loads the compiled kernels).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from allegiance.models.smp import kernel_run as kr
from allegiance.models.smp import kernels as k
from allegiance.models.smp import kernels_assess as ka
from allegiance.models.smp.progress import PROGRESS, Progress

#: single runs of at least this many actors are played in blocks (smaller ones take seconds)
STEPWISE_FROM = 200
#: elementary steps (votes of a PCE, third parties of a contest) per block
BLOCK_WORK = 1 << 24
#: a contest's third party costs about this many PCE votes (for the shares of progress)
CONTEST_COST = 3


class _Report:
    """The share of the current turn's work done, for the progress callback."""

    def __init__(self, callback: Progress | None, n: int, max_turns: int) -> None:
        self.callback, self.max_turns, self.turn = callback, max_turns, 0
        assess = n * n * (n - 1) / 2
        self.expected = assess + n * n * n * CONTEST_COST
        self.first = self.expected + assess  # turn 1 also assesses the initial positions
        self.done = 0.0

    def add(self, work: float) -> None:
        self.done += work
        if self.callback is not None:
            total = self.first if self.turn == 0 else self.expected
            self.callback(self.turn, self.max_turns, min(self.done / total, 1.0))

    def next_turn(self) -> None:
        self.turn += 1
        self.done = 0.0
        if self.callback is not None:
            self.callback(self.turn, self.max_turns, 0.0)


def _triangle_blocks(m: int, voters: int) -> Iterator[tuple[int, int, int]]:
    """Blocks ``(start, stop, work)`` of the rows of a PCE's coalition strengths (row a costs
    ``a × voters`` votes), each of about :data:`BLOCK_WORK` votes."""
    start, work = 0, 0
    for a in range(m):
        work += a * voters
        if work >= BLOCK_WORK or a == m - 1:
            yield start, a + 1, work
            start, work = a + 1, 0


def pce(util_t, weight, rule, vpm, pcem, report: _Report | None = None) -> np.ndarray:
    """:func:`allegiance.models.smp.kernels_assess.pce` in blocks of rows (the same numbers)."""
    m, voters = util_t.shape
    c = np.empty((m, m))
    for start, stop, work in _triangle_blocks(m, voters):
        ka.pce_coalitions(util_t, weight, rule, c, start, stop)
        if report is not None:
            report.add(work)
    return ka.pce_from_coalitions(c, vpm, pcem)


def _assess(ideal, position, salience, cap, codes, report):
    d = ka.distance_matrix(ideal, position, salience)
    p = pce(ka.neutral_values(d), cap, codes[0], codes[1], codes[2], report)
    return d, ka.big_r(p, codes[4])


def _challenge_search(d, risk, weight, s_sum, codes, report):
    n = d.shape[0]
    d_t = d.T.copy()
    target = np.full(n, -1)
    prob = np.full(n, np.nan)
    gain = np.full(n, np.nan)
    rows = max(1, BLOCK_WORK // (n * n * CONTEST_COST))
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        k.search_rows(start, stop, d, d_t, risk, weight, s_sum, codes[0], codes[3], codes[5],
                      target, prob, gain)
        report.add((stop - start) * n * n * CONTEST_COST)
    return target, prob, gain


def run(position0, salience, cap, accommodation, has_accommodation, codes, max_turns,
        min_turns, min_ratio, min_sig, uniforms, details=True,
        progress: Progress | None = None):
    """The same run, and the same tuple, as :func:`allegiance.models.smp.kernel_run.run`,
    played in blocks; ``progress`` (default: the one set by
    :func:`allegiance.models.smp.progress.reporting`) is called after
    each block."""
    callback = progress if progress is not None else PROGRESS.get()
    n, dims = position0.shape
    report = _Report(callback, n, max_turns)
    record = kr.allocate(n, dims, max_turns, codes[7])
    history, risks, ratios = record[0], record[1], record[13]
    s_sum, weight = kr.weights(salience, cap)
    position = position0.copy()
    ideal = position0.copy()
    history[0] = position
    first_move = -1.0
    t = 0
    d, risk = _assess(ideal, position, salience, cap, codes, report)
    while True:
        risks[t] = risk
        target, prob, gain = _challenge_search(d, risk, weight, s_sum, codes, report)
        new_position, ideal = kr.play_turn(t, position, ideal, d, risk, target, prob, gain,
                                           salience, cap, weight, s_sum, accommodation,
                                           has_accommodation, codes, uniforms, details, record)
        t += 1
        move = kr.movement(new_position, position)
        if first_move < 0:
            first_move = move + min_sig
        ratios[t - 1] = move / first_move
        position = new_position
        history[t] = position
        d, risk = _assess(ideal, position, salience, cap, codes, report)
        report.next_turn()
        if t >= max_turns or (t >= min_turns and ratios[t - 1] < min_ratio):
            break
    risks[t] = risk
    return (t, *record[:13], ratios, d)
