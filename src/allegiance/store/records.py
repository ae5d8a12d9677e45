"""What the store hands out: plain records (no database session attached), and the codec of
result documents (JSON, zlib-compressed when large, checked by SHA-256 on the way out)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: result documents larger than this (bytes of JSON) are stored zlib-compressed
COMPRESS_ABOVE = 4096


@dataclass(frozen=True)
class ScenarioVersion:
    """One stored version of a scenario (or of a backtest's data set)."""

    content_hash: str
    scenario_id: str
    title: str
    kind: str
    format: str
    source_name: str
    document: str
    saved_by: str | None
    saved_at: dt.datetime

    @property
    def hash(self) -> str:
        return self.content_hash

    @property
    def fmt(self) -> str:
        return self.format

    def scenario(self):
        """The scenario this version holds, read from its document as when it was saved."""
        return parse_scenario(self.document, self.format, self.source_name)

    def to_dict(self, document: bool = True) -> dict[str, Any]:
        data = asdict(self)
        data["saved_at"] = _iso(self.saved_at)
        if not document:
            data.pop("document")
        return data


@dataclass(frozen=True)
class RunRecord:
    """One run; ``result`` is loaded by :meth:`Store.get_run` only."""

    id: int
    kind: str
    scenario_hash: str
    scenario_id: str
    model: str
    params: dict[str, Any]
    options: dict[str, Any]
    parameters: dict[str, Any] | None
    seed: int | None
    as_of: str | None
    variant: str | None
    allegiance_version: str
    status: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    label: str | None
    note: str | None
    progress: float | None
    pid: int | None
    host: str | None
    owner: str | None
    result: dict[str, Any] | None = field(default=None, repr=False)

    def to_dict(self, result: bool = True) -> dict[str, Any]:
        data = asdict(self)
        for key in ("created_at", "started_at", "finished_at"):
            data[key] = _iso(getattr(self, key))
        if not result:
            data.pop("result")
        return data


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were written in UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_scenario(document: str, fmt: str, source_name: str):
    """A Scenario from a stored document in format ``fmt`` (ScenarioInvalid listing every
    problem otherwise), read by the same reader as the file it came from."""
    from allegiance.io import DATASET_FORMATS, FORMATS, ReadError
    from allegiance.io.errors import problem

    if fmt not in FORMATS or fmt in DATASET_FORMATS:
        known = ", ".join(f for f in FORMATS if f not in DATASET_FORMATS)
        raise ReadError([problem(f"unknown scenario format {fmt!r} (known: {known})",
                                 file=source_name)])
    return FORMATS[fmt].read(Path(source_name), document)


def check_size(document: str, source_name: str) -> None:
    from allegiance.io import ReadError
    from allegiance.io.errors import problem
    from allegiance.io.filesystem import MAX_BYTES

    size = len(document.encode("utf-8"))
    if size > MAX_BYTES:
        raise ReadError([problem(f"the document is {size / 1e6:.1f} MB; the limit is "
                                 f"{MAX_BYTES / 1e6:.0f} MB", file=source_name)])


def encode_result(result: dict[str, Any]) -> tuple[bytes, str, str]:
    """``(stored bytes, encoding, sha256 of the JSON text)`` of a result document."""
    if not isinstance(result, dict):
        raise TypeError(f"a result document is a JSON object, not a {type(result).__name__}")
    text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    raw = text.encode("utf-8")
    digest = hashlib.sha256(raw).hexdigest()
    if len(raw) > COMPRESS_ABOVE:
        return zlib.compress(raw, 6), "zlib", digest
    return raw, "json", digest


def decode_result(data: bytes, encoding: str | None, digest: str | None, where: str
                  ) -> dict[str, Any]:
    """The result document back; ValueError naming ``where`` when it is damaged."""
    try:
        raw = zlib.decompress(data) if encoding == "zlib" else bytes(data)
    except zlib.error as exc:
        raise ValueError(f"{where}: the stored result cannot be decompressed ({exc})") from None
    if digest and hashlib.sha256(raw).hexdigest() != digest:
        raise ValueError(f"{where}: the stored result does not match its checksum (damaged)")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: the stored result is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ValueError(f"{where}: the stored result is not a JSON object")
    return document
