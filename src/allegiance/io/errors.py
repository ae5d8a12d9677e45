"""Located, collected errors for everything Allegiance reads.

Readers never let a traceback reach the user: each problem names the file, the line and column
where it can be seen, the field, and what is wrong, and all problems of a file come together.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from allegiance.scenario.model import Problem, ScenarioInvalid

__all__ = ["Problem", "ScenarioInvalid", "ReadError", "problem", "validation_message"]


class ReadError(ScenarioInvalid):
    """A file could not be read as a scenario (every problem found is in ``problems``)."""


def problem(
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    path: tuple = (),
    severity: str = "error",
) -> Problem:
    return Problem(path=path, message=message, file=file, line=line, column=column,
                   severity=severity)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- validation messages
_DMY = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")
_YMD_SLASH = re.compile(r"^\s*(\d{4})[./](\d{1,2})[./](\d{1,2})\s*$")

#: what to write instead, for pydantic's error types grouped by kind
_NUMBER = {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float",
           "finite_number", "decimal_parsing", "decimal_type"}
_DATE = {"date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact",
         "datetime_parsing", "datetime_type", "date_past", "date_future"}
_LIST = {"list_type", "tuple_type", "set_type", "iterable_type"}
_MAPPING = {"dict_type", "model_type", "model_attributes_type", "dataclass_type"}
_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
           "less_than_equal": "<="}


def shown(value: Any, limit: int = 40) -> str:
    """A value as the user wrote it, quoted and shortened for a message."""
    if isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = "nothing (null)"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        text = "a mapping {" + ", ".join(str(k) for k in list(value)[:4]) + "}"
    elif isinstance(value, list | tuple):
        text = f"a list of {len(value)} item(s)"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _iso_date_hint(value: Any) -> str:
    """An ISO spelling of a date written day/month/year or year/month/day, if it is one."""
    text = str(value)
    match = _DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _YMD_SLASH.match(text)
        if not match:
            return ""
        year, month, day = (int(g) for g in match.groups())
    try:
        return f" (did you mean {dt.date(year, month, day).isoformat()}?)"
    except ValueError:
        return ""


def validation_message(error: dict[str, Any]) -> str:
    """A pydantic validation error (one item of ``ValidationError.errors()``) as a sentence that
    says what is wrong and what to write instead.

    >>> validation_message({"type": "model_type", "input": "fifteen", "loc": ("capability",),
    ...                     "msg": "", "ctx": {"class_name": "Estimate"}})[:60]
    "'fifteen' is not an estimate: write a number (e.g. 15) or a "
    >>> validation_message({"type": "date_from_datetime_parsing", "input": "15/01/2025",
    ...                     "loc": ("date",), "msg": ""})
    "'15/01/2025' is not a date: write it as YYYY-MM-DD (did you mean 2025-01-15?)"
    """
    kind = error.get("type", "")
    value = error.get("input")
    ctx = error.get("ctx") or {}
    loc = error.get("loc") or ()
    got = shown(value)
    if kind == "missing":
        if loc and isinstance(loc[-1], int):
            return f"missing: this list needs an item number {loc[-1] + 1}"
        return "missing: this field is required"
    if kind == "extra_forbidden":
        return "unknown field (not part of the scenario format): check its spelling and indentation"
    if kind in _NUMBER:
        return f"{got} is not a number: write a number such as 15 or 0.6 (no units or words)"
    if kind in _DATE:
        reason = ctx.get("error")
        if reason and re.match(r"^\s*\d{4}-\d{1,2}-\d{1,2}\s*$", str(value)):
            return f"{got} is not a date ({reason}): write a real date as YYYY-MM-DD"
        return f"{got} is not a date: write it as YYYY-MM-DD{_iso_date_hint(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{got} is not true or false: write true or false"
    if kind in ("string_type", "string_unicode"):
        return f"{got} is not text: write text (in quotes if it looks like a number or date)"
    if kind == "literal_error":
        return f"{got} is not allowed here: write one of {ctx.get('expected', '')}"
    if kind in ("enum",):
        return f"{got} is not allowed here: write one of {ctx.get('expected', '')}"
    if kind in _LIST:
        example = ("[low, high], e.g. [0, 100]" if loc and loc[-1] == "scale"
                   else "[a, b] or one '- item' per line")
        return f"{got} is not a list: write a list, {example}"
    if kind in _MAPPING:
        if ctx.get("class_name") == "Estimate" or (loc and loc[-1] in (
                "capability", "position", "salience", "value")):
            return (f"{got} is not an estimate: write a number (e.g. 15) or a mapping such as "
                    "{value: 15, low: 10, high: 20}")
        return f"{got} is not a mapping: write 'name: value' entries, one per line"
    if kind in ("too_short", "too_long"):
        size = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        word = "at least" if kind == "too_short" else "at most"
        return f"{got} has {ctx.get('actual_length', '?')} item(s): write {word} {size}"
    if kind in _BOUNDS:
        limit = next(iter(ctx.values()), "")
        return f"{got} is out of range: write a number {_BOUNDS[kind]} {limit}"
    if kind in ("value_error", "assertion_error"):
        reason = str(ctx.get("error", error.get("msg", "")))
        if reason.startswith("expected a number or a mapping with 'value'"):
            return (f"{got} is not an estimate: write a number (e.g. 15) or a mapping such as "
                    "{value: 15, low: 10, high: 20}")
        return reason
    return f"{error.get('msg', 'invalid value')} (got {got})"
