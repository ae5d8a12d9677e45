"""A content hash that identifies a scenario's substance.

The hash is the SHA-256 of the scenario's canonical JSON form: keys sorted, numbers in a fixed
representation, no whitespace. It does not depend on key order or formatting of the file the
scenario came from, nor on whether saliences were written on 0–1 or 0–100. Sections added to the
format later (``lever_sets``) count only when present, so older scenarios keep their hash.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from allegiance.scenario.model import Scenario


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        if value == int(value) and abs(value) < 2**53:
            return int(value)
        return float(repr(value))
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def content_hash(scenario: Scenario) -> str:
    """``sha256:<hex>`` of the canonical JSON form of ``scenario``."""
    # sections added to the format later are left out when empty, so that the hash of a
    # scenario without them is the one it always had
    exclude = {"derived"} | ({"lever_sets"} if not scenario.lever_sets else set())
    data = _canonical(scenario.model_dump(mode="json", exclude=exclude))
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
