"""Starting, showing and cancelling runs for the API and the pages alike: inputs checked before
anything is queued (model, parameters, variant, date, sizes), the per-user limit, the store row
created ``queued`` and handed to the job pool.
"""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import asdict, dataclass, field
from typing import Any

from fastapi import HTTPException

from allegiance.service import ANALYSES, full_options
from allegiance.web import library
from allegiance.web.jobs import TooManyJobs

#: every analysis the service layer computes (the CLI's commands)
KINDS = tuple(ANALYSES)
ACTIVE = ("queued", "running")
#: the largest run id (a 64-bit signed integer in the database)
MAX_ID = 2**63 - 1
STATUSES = ("queued", "running", "done", "failed", "interrupted")


@dataclass
class RunInputs:
    scenario: str = "syria-2014"
    model: str | None = "mean"
    kind: str = "forecast"
    seed: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    as_of: str | None = None
    variant: str | None = None
    label: str | None = None


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(422, message)


def check_inputs(web: Any, inputs: RunInputs) -> Any:
    """The stored scenario version to run on, after checking every input (422 otherwise)."""
    from allegiance.models.base import ParameterError
    from allegiance.models.registry import UnknownModelError, get_model_class, make_model
    from allegiance.scenario.model import ScenarioInvalid

    if inputs.kind not in KINDS:
        raise _unprocessable(f"unknown kind {inputs.kind!r}; known: {', '.join(KINDS)}")
    try:
        full_options(inputs.kind, inputs.options)
        version = library.ensure_stored(web.store, inputs.scenario)
    except KeyError as exc:
        raise _unprocessable(str(exc.args[0])) from None
    except ValueError as exc:
        raise _unprocessable(str(exc)) from None
    runs = inputs.options.get("runs")
    if runs is not None and (not isinstance(runs, int) or not 0 <= runs <= web.limits.max_runs):
        raise _unprocessable(f"options.runs must be a whole number from 0 to "
                             f"{web.limits.max_runs}")
    if (version.kind == "dataset") != (inputs.kind == "backtest"):
        raise _unprocessable("a backtest runs on a stored data set (DEU file) and every other "
                             "analysis on a scenario")
    if inputs.kind == "backtest":
        inputs.model = inputs.model or "all"
        return version
    try:
        scenario = library.scenario_of(version)
    except ScenarioInvalid as exc:
        raise _unprocessable(str(exc)) from None
    library.check_limits(scenario, web.limits)
    if inputs.kind == "power":
        if inputs.model or inputs.params:
            raise _unprocessable("power indices take no model or model parameters: send "
                                 "\"model\": null")
        return version
    inputs.model = inputs.model or "mean"
    try:
        cls = get_model_class(inputs.model)
        if inputs.variant and inputs.variant not in scenario.variants \
                and "variant" not in cls.param_names():
            scenario.variant(inputs.variant)  # the "no such variant" error
        make_model(inputs.model, **inputs.params)
        if inputs.as_of:
            dt.date.fromisoformat(inputs.as_of)
    except (UnknownModelError, ParameterError) as exc:
        raise _unprocessable(str(exc)) from None
    except KeyError as exc:
        raise _unprocessable(str(exc.args[0]) if exc.args else str(exc)) from None
    except (ValueError, TypeError) as exc:
        raise _unprocessable(f"as_of: {exc} (write YYYY-MM-DD)") from None
    if inputs.kind == "timeline" and inputs.as_of:
        raise _unprocessable("a timeline evaluates every dated state; leave as_of empty")
    return version


def start_run(web: Any, user: Any, inputs: RunInputs) -> int:
    """Queue a run for ``user``; its id."""
    if web.pool is not None:
        try:
            web.pool.check_limit(user.name)
        except TooManyJobs as exc:
            raise HTTPException(429, str(exc)) from None
    version = check_inputs(web, inputs)
    content_hash = version.content_hash
    arguments = dict(scenario_hash=content_hash, model=inputs.model or "", params=inputs.params,
                     seed=inputs.seed, as_of=inputs.as_of, variant=inputs.variant,
                     label=inputs.label, status="queued", owner=user.name)
    if "options" in inspect.signature(web.store.create_run).parameters:
        arguments["options"] = inputs.options
    run_id = web.store.create_run(inputs.kind, **arguments)
    request = {**asdict(inputs), "scenario_hash": content_hash}
    if web.scheduler and inputs.kind in ("montecarlo", "sensitivity"):
        request["options"] = {**inputs.options, "executor": "dask", "scheduler": web.scheduler}
    if web.pool is not None:
        web.pool.submit(run_id, user.name, request)
    return run_id


VIEW_FIELDS = ("id", "status", "progress", "kind", "scenario_id", "scenario_hash", "model",
               "seed", "as_of", "variant", "error", "owner", "created_at", "started_at",
               "finished_at", "label", "params", "options")


def run_view(record: Any, result: bool = True) -> dict[str, Any]:
    """A run as the API shows it (read field by field: the result document is not copied)."""
    def get(key: str) -> Any:
        return record.get(key) if isinstance(record, dict) else getattr(record, key, None)

    view = {key: get(key) for key in VIEW_FIELDS}
    if view["status"] == "done":
        view["progress"] = 1.0
    for key in ("created_at", "started_at", "finished_at"):
        value = view[key]
        if isinstance(value, dt.datetime):
            view[key] = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    view["result"] = get("result") if result else None
    return view


def cancel_or_delete(web: Any, user: Any, record: Any) -> str:
    """Cancel an active run or delete a finished one; who may: its owner or an admin."""
    row = library.as_dict(record, result=False)
    if row.get("owner") != user.name and user.role != "admin":
        raise HTTPException(403, "only the run's owner or an admin may cancel or delete it")
    if row["status"] in ACTIVE:
        if web.pool is not None:
            web.pool.cancel(row["id"])
        web.store.mark_interrupted(row["id"])
        return "interrupted"
    web.store.delete_run(row["id"])
    return "deleted"
