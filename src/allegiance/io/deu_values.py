"""The cell values of the DEU data sets, as their codebooks and releases write them.

The DEU releases (DEU I: Thomson, Stokman, Achen & König 2006; DEU II: Thomson et al. 2012;
DEU III: Arregui & Perarnaud 2021) and the files prepared from them do not spell every value the
same way. This module maps each spelling to the base value the models use, so that a reader
interprets the whole vocabulary once:

- legislative procedure (``proc``): co-decision — ``COD``, ``codecision``, ``co-decision``, the
  Lisbon name ``OLP`` (ordinary legislative procedure) — or consultation — ``CNS``,
  ``consultation``, ``CNS-SLP`` (consultation as a special legislative procedure);
- Council voting rule (``counvte``): ``QMV`` (``qualified majority``, ``QM``) or ``Unan``
  (``unanimity``, ``unanimous``);
- an annotated variant — a note in parentheses or brackets, a footnote mark (``*``, ``†``) or a
  trailing number, e.g. ``QMV(10)``, ``QMV*``, ``Unan (art. 308)`` — is its base value; a note
  naming a *different* base value (``QMV (Unan in Council)``) cannot be interpreted;
- missing values of numeric cells: empty, ``NA``, ``N/A``, ``n.a.``, ``.``, ``-``, and the
  numeric missing-value codes ``999``, ``9999``, ``-9``, ``-99``, ``-999`` (never a position,
  salience, reference point or outcome on the 0–100 scale).

Upper or lower case and surrounding blanks do not matter. :func:`base_value` returns the base
value and whether the cell was a variant; anything else is refused by the reader with the
values it accepts.

>>> base_value("counvte", "QMV(10)")
('QMV', True)
>>> base_value("proc", "OLP")
('COD', True)
>>> base_value("counvte", "Unan")
('Unan', False)
>>> base_value("counvte", "QMV/Unan") is None
True
>>> is_missing("999"), is_missing("NA"), is_missing("99")
(True, True, False)
"""

from __future__ import annotations

import re

#: base values of the interpreted text columns
BASE_VALUES: dict[str, tuple[str, ...]] = {"proc": ("COD", "CNS"), "counvte": ("QMV", "Unan")}

#: spelling (lower case, blanks collapsed) -> base value, per column
SPELLINGS: dict[str, dict[str, str]] = {
    "proc": {
        "cod": "COD", "codecision": "COD", "co-decision": "COD", "co decision": "COD",
        "olp": "COD", "ordinary legislative procedure": "COD",
        "cns": "CNS", "consultation": "CNS", "cns-slp": "CNS", "slp-cns": "CNS",
        "special legislative procedure (consultation)": "CNS",
    },
    "counvte": {
        "qmv": "QMV", "qm": "QMV", "qualified majority": "QMV",
        "qualified majority voting": "QMV",
        "unan": "Unan", "unanimity": "Unan", "unanimous": "Unan", "una": "Unan",
    },
}

#: text that marks a numeric cell as missing (lower case)
MISSING_TEXT = frozenset({"", "na", "n/a", "n.a.", "nan", ".", "-", "–", "—"})
#: numeric missing-value codes (outside the 0–100 scale)
MISSING_CODES = frozenset({999.0, 9999.0, -9.0, -99.0, -999.0})

#: what may follow a base value as its annotation (matched against the rest of the cell whole)
_NOTE = re.compile(r"\s*(?P<note>\(.*\)|\[.*\]|[*†‡'’]+|\d+)")


def _key(text: str) -> str:
    return " ".join(text.strip().lower().split())


def base_value(column: str, text: str) -> tuple[str, bool] | None:
    """``(base value, was a variant)`` of a ``proc`` or ``counvte`` cell; None when the cell
    cannot be interpreted (empty, unknown, or annotated with a different base value)."""
    spellings = SPELLINGS[column]
    key = _key(text)
    if key in spellings:
        base = spellings[key]
        return base, text != base
    # the shortest known spelling that begins the cell and is followed by nothing but a note
    # (prefixes of the cell are tried, not a pattern with a free base: time linear in the cell)
    for spelling in sorted(spellings, key=len):
        if key.startswith(spelling) and (match := _NOTE.fullmatch(key, len(spelling))):
            break
    else:
        return None
    base = spellings[spelling]
    note = match["note"]
    if any(word in note and other != base for word, other in spellings.items() if len(word) > 2):
        return None  # the note names another rule: which one applies is not clear
    return base, True


def is_missing(text: str) -> bool:
    """True when a numeric cell holds one of the DEU missing-value markers or codes."""
    key = _key(text)
    if key in MISSING_TEXT:
        return True
    try:
        return float(key.replace(",", ".")) in MISSING_CODES
    except ValueError:
        return False


def accepted(column: str) -> str:
    """The values a column accepts, for error messages."""
    base = " or ".join(BASE_VALUES[column])
    others = sorted({s for s in SPELLINGS[column] if s.upper() not in BASE_VALUES[column]})
    return (f"{base} (also {', '.join(others)}; a note in parentheses, e.g. "
            f"{BASE_VALUES[column][0]}(10), is allowed)")


__all__ = ["BASE_VALUES", "MISSING_CODES", "MISSING_TEXT", "SPELLINGS", "accepted",
           "base_value", "is_missing"]
