"""Quota rules of weighted majority games: when a coalition's weight wins (a share of the total
weight, reached or exceeded, or an absolute quota), the named rules (simple and qualified
majorities, unanimity, the 1958 EEC Council) and reading a rule from its text."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from allegiance.models.base import ParameterError


@dataclass(frozen=True)
class QuotaRule:
    """How much weight a coalition needs to win.

    Exactly one of ``fraction`` (a share of the total weight) and ``absolute`` (a weight) is set.
    With ``strict=False`` a coalition wins when its weight is *at least* the threshold; with
    ``strict=True`` it must *exceed* it (the simple majority: more than half).
    """

    name: str
    fraction: Fraction | None = None
    absolute: Fraction | None = None
    strict: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if (self.fraction is None) == (self.absolute is None):
            raise ParameterError("a quota rule needs exactly one of fraction and absolute")
        if self.fraction is not None and not 0 < self.fraction <= 1:
            raise ParameterError(f"quota fraction must be in (0, 1]; got {self.fraction}")
        if self.absolute is not None and self.absolute <= 0:
            raise ParameterError(f"quota must be a positive weight; got {self.absolute}")
        if self.fraction == 1 and self.strict:
            raise ParameterError("no coalition can exceed 100% of the weight")

    def threshold(self, total: Fraction) -> Fraction:
        """The threshold weight for a game whose total weight is ``total``."""
        return self.fraction * total if self.fraction is not None else self.absolute

    def describe(self) -> str:
        relation = ">" if self.strict else ">="
        if self.fraction is not None:
            value = f"{float(self.fraction) * 100:.4g}% of total weight"
        else:
            value = f"weight {float(self.absolute):g}"
        return f"{self.name}: {relation} {value}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fraction": None if self.fraction is None else float(self.fraction),
            "absolute": None if self.absolute is None else float(self.absolute),
            "strict": self.strict,
            "description": self.describe(),
        }


#: Named quota rules. ``eec-1958`` and ``eu-qmv-nice`` are the vote thresholds of two EU Councils
#: as shares of the total vote; for ``eu-qmv-nice`` only the weighted-vote condition of the Nice
#: triple majority is a weighted game (the member-state and 62 % population conditions are not).
RULES: dict[str, QuotaRule] = {
    "simple": QuotaRule("simple", fraction=Fraction(1, 2), strict=True,
                        note="more than half of the total weight"),
    "three-fifths": QuotaRule("three-fifths", fraction=Fraction(3, 5)),
    "two-thirds": QuotaRule("two-thirds", fraction=Fraction(2, 3)),
    "three-quarters": QuotaRule("three-quarters", fraction=Fraction(3, 4)),
    "unanimity": QuotaRule("unanimity", fraction=Fraction(1),
                           note="every actor with positive weight"),
    "eec-1958": QuotaRule("eec-1958", fraction=Fraction(12, 17),
                          note="Treaty of Rome art. 148(2): 12 of 17 Council votes"),
    "eu-qmv-nice": QuotaRule("eu-qmv-nice", fraction=Fraction(255, 345),
                             note="Treaty of Nice, EU-27: 255 of 345 Council votes "
                                  "(vote condition only)"),
}


def reaches_quota(weight, total, rule: QuotaRule) -> np.ndarray:
    """Whether a coalition of weight ``weight`` wins a game of total weight ``total`` (arrays
    broadcast: one test per batch item and issue).

    The test of :meth:`WeightedGame.winning`: weights are compared with a tolerance of ``1e-9`` of
    the total weight, so a coalition whose weight equals the threshold up to rounding counts as
    reaching it.

    >>> reaches_quota(np.array([50.0, 50.1]), 100.0, RULES["simple"]).tolist()
    [False, True]
    """
    weight = np.asarray(weight, dtype=float)
    total = np.asarray(total, dtype=float)
    if rule.fraction is not None:
        threshold = float(rule.fraction) * total
    else:
        threshold = np.full_like(total, float(rule.absolute))
    tolerance = 1e-9 * total
    if rule.strict:
        return weight > threshold + tolerance
    return weight >= threshold - tolerance


def as_fraction(value: Any, name: str) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name} must be a number; got {value!r}")
    try:
        if isinstance(value, (float, np.floating)):
            if not math.isfinite(value):
                raise ValueError
            return Fraction(repr(float(value)))
        if isinstance(value, (int, np.integer)):
            return Fraction(int(value))
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise ParameterError(f"{name} must be a number or fraction; got {value!r}") from None


def parse_quota(spec: str | float | Fraction | QuotaRule | None = None) -> QuotaRule:
    """Read a quota rule: a name from :data:`RULES`, a share of the total weight, or a rule.

    Shares may be written ``0.6``, ``"60%"``, ``"3/5"``; a leading ``>`` makes the rule strict
    (``">50%"`` is the simple majority). ``None`` means ``"simple"``.

    >>> parse_quota("two-thirds").describe()
    'two-thirds: >= 66.67% of total weight'
    >>> parse_quota(">50%").strict
    True
    """
    if spec is None:
        return RULES["simple"]
    if isinstance(spec, QuotaRule):
        return spec
    if isinstance(spec, str):
        text = spec.strip().lower()
        if text in RULES:
            return RULES[text]
        strict = text.startswith(">")
        body = text.lstrip(">=").strip()
        percent = body.endswith("%")
        if percent:
            body = body[:-1].strip()
        try:
            value = as_fraction(body, "quota")
        except ParameterError:
            raise ParameterError(
                f"unknown quota {spec!r}: use one of {', '.join(RULES)}, a share such as 0.6, "
                "60% or 3/5, or prefix '>' for a strict majority"
            ) from None
        if percent:
            value /= 100
        if not 0 < value <= 1:
            raise ParameterError(f"quota share must be in (0, 1] (or 0-100%); got {spec!r}")
        return QuotaRule(spec.strip(), fraction=value, strict=strict)
    value = as_fraction(spec, "quota")
    if not 0 < value <= 1:
        raise ParameterError(
            f"quota share must be in (0, 1]; got {spec!r} (use WeightedGame(quota=...) "
            "for an absolute weight)"
        )
    return QuotaRule(f"{float(value):g}", fraction=value)
