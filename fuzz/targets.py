"""The fuzz targets: bytes in, an :class:`Outcome` out, and nothing else ever.

A target reads its input the way the CLI does (UTF-8 text, size limit, then the format's reader)
and, when the input is accepted, runs it through everything an accepted scenario reaches: the
validator, the compromise and median models, forecast JSON, the table renderer and a YAML
round trip. A located :class:`~allegiance.scenario.model.ScenarioInvalid` is the expected answer
to a bad input; any other exception is a crash, a non-finite forecast is a NaN finding, and an
input that takes more than :data:`SLOW_SECONDS` of CPU time is slow (CPU time, so that other work
on the machine does not count).
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from allegiance.io import FORMATS, export_scenario
from allegiance.io.deu import read_dataset_text
from allegiance.io.errors import ReadError
from allegiance.scenario import limits
from allegiance.scenario.model import ScenarioInvalid

SLOW_SECONDS = 2.0
#: file name each target's input is read as (the name decides nothing but the error text)
SUFFIX = {"yaml": ".yaml", "bdm-csv": ".csv", "ktab-csv": ".csv", "ktab-xml": ".xml",
          "decide": ".txt", "deu": ".tsv", "render": ".yaml"}
TARGETS = tuple(SUFFIX)


@dataclass
class Outcome:
    """What one input did: ``accepted``, ``rejected`` (a clear located error), ``crash``."""

    target: str
    verdict: str
    seconds: float
    nan: bool = False
    detail: str = ""

    @property
    def slow(self) -> bool:
        return self.seconds > SLOW_SECONDS


def decode(data: bytes, file: str) -> str:
    """The text of ``data`` as :func:`allegiance.io.filesystem.read_text` would give it."""
    from allegiance.io.errors import problem

    if len(data) > limits.MAX_FILE_BYTES:
        raise ReadError([problem("the file is too large", file=file)])
    if b"\x00" in data:
        raise ReadError([problem("this is a binary file, not a scenario", file=file)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError([problem(f"not UTF-8 text (byte {exc.start})", file=file)]) from None


def _finite(values) -> bool:
    return all(isinstance(v, float) and math.isfinite(v) for v in values)


def forecast_json(scenario) -> bool:
    """The validator's checks, the compromise and median models and forecast JSON on an accepted
    scenario; True when every forecast is finite."""
    import allegiance
    from allegiance.scenario.model import check_scenario

    check_scenario(scenario)
    finite = True
    for model in ("mean", "median"):
        result = allegiance.forecast(scenario, model=model)
        finite &= _finite(result.outcome.values())
        result.to_json()
    return finite


def render_round_trip(scenario) -> None:
    """The forecast and scenario tables and a YAML round trip that must keep the content hash."""
    import allegiance
    from allegiance.cli.common import console
    from allegiance.cli.render.core import render_forecast, render_scenario
    from allegiance.io.yaml_format import read_yaml

    with console.captured():
        render_forecast(allegiance.forecast(scenario, model="mean"), explain=False)
        render_scenario(scenario)
    again = read_yaml(Path("round-trip.yaml"), export_scenario(scenario, "yaml"))
    if again.content_hash() != scenario.content_hash():
        raise AssertionError("YAML round trip changed the scenario's content hash")


def run_target(target: str, data: bytes) -> Outcome:
    """Classify one input for ``target`` (never raises)."""
    start = time.process_time()  # CPU time: a busy machine does not make an input slow
    file = f"fuzz-input{SUFFIX[target]}"
    nan = False
    try:
        text = decode(data, file)
        if target == "deu":
            scenarios = read_dataset_text(text, file)[:3]
        else:
            fmt = "yaml" if target == "render" else target
            scenarios = [FORMATS[fmt].read(Path(file), text)]
        for scenario in scenarios:
            nan |= not forecast_json(scenario)
            if target == "render":
                render_round_trip(scenario)
        verdict, detail = "accepted", ""
    except ScenarioInvalid as exc:
        verdict = "rejected"
        detail = str(exc.problems[0]) if exc.problems else ""
    except Exception:  # noqa: BLE001 - a crash is what the harness is looking for
        verdict, detail = "crash", traceback.format_exc(limit=-6)
    return Outcome(target, verdict, time.process_time() - start, nan, detail)
