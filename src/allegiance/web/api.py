"""The JSON API (``/api/...``), documented by FastAPI's OpenAPI document at ``/openapi.json``.

Callers authenticate with ``Authorization: Bearer <token>`` (``allegiance users token NAME``) or
the pages' session cookie. Viewers read; analysts also save scenarios and start runs; admins also
delete scenarios. A run's ``result`` is exactly what the CLI's ``--format json`` prints.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from allegiance.io import builtin_scenarios
from allegiance.io.errors import ReadError, problem
from allegiance.io.yaml_format import dump_yaml, parse_yaml, scenario_from_data
from allegiance.scenario.model import Scenario, ScenarioInvalid
from allegiance.web import library
from allegiance.web.context import User, api_user, context, requires
from allegiance.web.runs import (
    KINDS,
    MAX_ID,
    STATUSES,
    RunInputs,
    cancel_or_delete,
    run_view,
    start_run,
)

router = APIRouter(prefix="/api", tags=["api"])
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="The run's id")]
ERRORS = {401: {"description": "Not signed in"}, 403: {"description": "Not allowed"},
          404: {"description": "No such thing"}}


class Health(BaseModel):
    status: str = "ok"


class VersionOut(BaseModel):
    content_hash: str
    scenario_id: str
    title: str
    saved_by: str | None = None
    saved_at: str | None = None


class ScenarioRow(BaseModel):
    id: str
    title: str
    builtin: bool
    versions: list[VersionOut]


class ScenarioOut(ScenarioRow):
    content_hash: str
    document: str = Field(description="The scenario document (YAML) of this version")
    scenario: dict[str, Any] = Field(description="The scenario as validated, in JSON")


class RunRequest(BaseModel):
    scenario: str = Field("syria-2014", description="Scenario id, content hash or built-in")
    model: str | None = Field("mean", description="A model name; null for power indices")
    kind: Literal[KINDS] = "forecast"  # type: ignore[valid-type]
    seed: int | None = Field(None, ge=0, strict=True)
    params: dict[str, Any] = Field(default_factory=dict, description="Model parameters")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="The analysis' own settings (runs, quota, ...)")
    as_of: str | None = Field(None, description="YYYY-MM-DD")
    variant: str | None = None
    label: str | None = Field(None, max_length=200)


class RunCreated(BaseModel):
    id: int


class RunOut(BaseModel):
    id: int
    status: str
    progress: float | None = None
    result: dict[str, Any] | None = None
    kind: str
    scenario_id: str
    scenario_hash: str
    model: str
    seed: int | None = None
    as_of: str | None = None
    variant: str | None = None
    error: str | None = None
    owner: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


class RunDeleted(BaseModel):
    id: int
    status: str = Field(description="interrupted (cancelled) or deleted")


@router.get("/health", response_model=Health)
def health() -> Health:
    """The server is up (no sign-in needed)."""
    return Health()


@router.get("/scenarios", response_model=list[ScenarioRow], responses=ERRORS)
def list_scenarios(request: Request, user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """The built-in scenarios and every stored one, with their versions (newest first)."""
    return library.library(context(request).store)


def _scenario_out(request: Request, ref: str) -> dict[str, Any]:
    store = context(request).store
    try:
        scenario, version = library.open_scenario(store, ref)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    return {"id": scenario.id, "title": scenario.title,
            "builtin": scenario.id in builtin_scenarios(),
            "versions": library.versions(store, scenario.id),
            "content_hash": scenario.content_hash(),
            "document": version.document if version is not None else dump_yaml(scenario),
            "scenario": scenario.model_dump(mode="json", exclude={"derived"})}


@router.get("/scenarios/{scenario_id}", response_model=ScenarioOut, responses=ERRORS)
def get_scenario(scenario_id: str, request: Request, user: User = Depends(api_user)):
    """One scenario (its newest version, or the version a content hash names)."""
    return _scenario_out(request, scenario_id)


def problems_response(exc: ScenarioInvalid) -> JSONResponse:
    return JSONResponse(status_code=422, content={
        "detail": "the scenario is not valid", "problems": library.problems_json(exc)})


BODY_DOC = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object"}},
    "application/yaml": {"schema": {"type": "string"}}}}}


async def _read_document(request: Request) -> tuple[Scenario, str]:
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReadError([problem("the body is not UTF-8 text", file="request")]) from None
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ReadError([problem(f"not valid JSON: {exc}", file="request")]) from None
        scenario = scenario_from_data(data, {}, "request")
    else:
        data, where = parse_yaml(text, "request")
        scenario = scenario_from_data(data, where, "request")
    library.check_limits(scenario, context(request).limits)
    return scenario, text


@router.post("/scenarios", response_model=VersionOut, status_code=201, openapi_extra=BODY_DOC,
             responses={**ERRORS, 422: {"description": "Every problem, with its location"}})
async def post_scenario(request: Request, user: User = Depends(requires("analyst"))):
    """Store a scenario (YAML or JSON body) as a new version of its id."""
    return await _store_document(request, user, None)


@router.put("/scenarios/{scenario_id}", response_model=VersionOut, openapi_extra=BODY_DOC,
            responses={**ERRORS, 422: {"description": "Every problem, with its location"}})
async def put_scenario(scenario_id: str, request: Request,
                       user: User = Depends(requires("analyst"))):
    """Store a new version of ``scenario_id`` (the document's id must be the same)."""
    return await _store_document(request, user, scenario_id)


async def _store_document(request: Request, user: User, expected_id: str | None):
    try:
        scenario, text = await _read_document(request)
        if expected_id is not None and scenario.id != expected_id:
            raise ReadError([problem(f"the document's id is {scenario.id!r}, not "
                                     f"{expected_id!r}; change it or PUT to "
                                     f"/api/scenarios/{scenario.id}", path=("id",))])
        store = context(request).store
        if scenario.id in builtin_scenarios():  # the original first, so the history has it
            library.ensure_stored(store, scenario.id)
        version = store.save_scenario(text, fmt="yaml", saved_by=user.name)
    except ScenarioInvalid as exc:
        return problems_response(exc)
    return library.as_dict(version, document=False)


@router.delete("/scenarios/{scenario_id}", status_code=204, responses=ERRORS)
def delete_scenario(scenario_id: str, request: Request, user: User = Depends(requires("admin"))):
    """Delete every stored version of a scenario (admin). Built-in files stay."""
    store = context(request).store
    if not library.versions(store, scenario_id):
        raise HTTPException(404, f"no stored scenario {scenario_id!r}")
    store.delete_scenario(scenario_id)


@router.post("/runs", response_model=RunCreated, status_code=201,
             responses={**ERRORS, 422: {"description": "Invalid inputs"},
                        429: {"description": "Too many runs in progress"}})
def post_run(body: RunRequest, request: Request, user: User = Depends(requires("analyst"))):
    """Start an analysis as a background job; poll ``GET /api/runs/{id}``."""
    inputs = RunInputs(**body.model_dump())
    return {"id": start_run(context(request), user, inputs)}


@router.get("/runs", response_model=list[RunOut], responses=ERRORS)
def list_runs(request: Request, user: User = Depends(api_user),
              scenario: str | None = None,
              kind: Literal[KINDS] | None = None,  # type: ignore[valid-type]
              status: Literal[STATUSES] | None = None,  # type: ignore[valid-type]
              owner: str | None = None,
              limit: int = Query(100, ge=1, le=1000),
              offset: int = Query(0, ge=0, le=MAX_ID)):
    """Runs, newest first (without their results)."""
    rows = context(request).store.list_runs(scenario=scenario, kind=kind, status=status,
                                            owner=owner, limit=limit, offset=offset)
    return [run_view(row, result=False) for row in rows]


def _get(request: Request, run_id: int) -> Any:
    row = context(request).store.get_run(run_id)
    if row is None:
        raise HTTPException(404, f"no run {run_id}")
    return row


@router.get("/runs/{run_id}", response_model=RunOut, responses=ERRORS)
def get_run(run_id: RunId, request: Request, user: User = Depends(api_user)):
    """A run: status (queued, running, done, failed, interrupted), progress, result."""
    # the view is built from validated store records: sent as is (results can be large)
    return JSONResponse(run_view(_get(request, run_id)))


@router.delete("/runs/{run_id}", response_model=RunDeleted, responses=ERRORS)
def delete_run(run_id: RunId, request: Request, user: User = Depends(requires("analyst"))):
    """Cancel a queued or running run; delete a finished one (its owner or an admin)."""
    row = _get(request, run_id)
    return {"id": run_id, "status": cancel_or_delete(context(request), user, row)}
