"""A content hash that identifies a scenario's substance.

The hash is the SHA-256 of the scenario's canonical JSON form: keys sorted, numbers in a fixed
representation, no whitespace. It does not depend on key order or formatting of the file the
scenario came from, nor on whether saliences were written on 0–1 or 0–100. Sections added to the
format later (``lever_sets``) count only when present, so older scenarios keep their hash.
"""

from __future__ import annotations

import hashlib
import json
import math

from pydantic import BaseModel


def _number(text: str) -> float | int:
    """A JSON number in canonical form: an integral float below 2**53 (where it is exact) as an
    int, any other as the float it reads as."""
    value = float(text)
    if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return int(value)
    return value


def canonical_json(scenario: BaseModel) -> str:
    """The scenario's canonical JSON text: keys sorted, no whitespace, numbers in canonical form.

    Pydantic writes the JSON and the standard library reads it back with :func:`_number` for
    every number with a fraction or exponent (a walk over the dumped values took twice as long).
    """
    # sections added to the format later are left out when empty, so that the hash of a
    # scenario without them is the one it always had
    exclude = {"derived"} | ({"lever_sets"} if not scenario.lever_sets else set())
    data = json.loads(scenario.model_dump_json(exclude=exclude), parse_float=_number)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(scenario: BaseModel) -> str:
    """``sha256:<hex>`` of the canonical JSON form of ``scenario``."""
    return "sha256:" + hashlib.sha256(canonical_json(scenario).encode("utf-8")).hexdigest()
