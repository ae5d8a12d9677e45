"""Pages of the runs: the run form's model catalogue (every parameter with its default and its
one-line explanation), starting a run from the form, a run's progress and result, the history
with rerun, and two runs side by side.
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from allegiance.web import library
from allegiance.web.context import User, check_form_csrf, context, page_user, requires
from allegiance.web.pages import render
from allegiance.web.results import (
    _issue_names,
    comparison,
    comparison_csv,
    headline,
    reference_lines,
    trajectories,
)
from allegiance.web.runs import ACTIVE, KINDS, MAX_ID, RunInputs, run_view, start_run

router = APIRouter(include_in_schema=False)
RunId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
analyst_page = requires("analyst", page_user)

#: the settings of each kind of analysis the run form offers: (name, type, default, help)
KIND_OPTIONS: dict[str, list[tuple[str, str, Any, str]]] = {
    "forecast": [],
    "montecarlo": [("runs", "int", 2000, "Monte Carlo draws from the estimates' ranges")],
    "sensitivity": [("runs", "int", 2000, "draws for the variance-based indices"),
                    ("top", "int", 10, "judgements to list per issue")],
    "timeline": [("runs", "int", 500, "Monte Carlo draws per dated state")],
    "coalitions": [("quota", "str", "simple", "quota rule: simple, two-thirds, 0.6, 60% ...")],
    "power": [("quota", "str", "", "quota rule: simple, two-thirds, 0.6, 60% ...")],
    "backtest": [],
}


def _first_sentence(text: str, limit: int = 170) -> str:
    """The first sentence of a parameter's description, without reST markup, at most
    ``limit`` characters."""
    text = " ".join(text.replace("``", "").replace("`", "").split())
    match = re.match(r"(.+?[.])(\s+[A-Z(]|$)", text)
    sentence = match.group(1) if match else text
    return sentence if len(sentence) <= limit else sentence[:limit - 1].rsplit(" ", 1)[0] + "…"


def _parameter_help(cls: type) -> dict[str, str]:
    """``{name: first sentence}`` from the numpy-style Parameters section of a docstring."""
    doc = inspect.getdoc(cls) or ""
    found: dict[str, str] = {}
    section = re.search(r"Parameters\n-+\n(.*?)(\n\S[^\n]*\n-+\n|\Z)", doc, re.S)
    if not section:
        return found
    name, lines = None, []
    for line in section.group(1).splitlines():
        head = re.match(r"^(\w+)\s*(:.*)?$", line)
        if head and not line.startswith(" "):
            if name:
                found[name] = _first_sentence(" ".join(lines))
            name, lines = head.group(1), []
        elif name:
            lines.append(line.strip())
    if name:
        found[name] = _first_sentence(" ".join(lines))
    return found


@functools.cache
def model_catalogue() -> list[dict[str, Any]]:
    """Every model with its summary and parameters (name, default, one-line explanation)."""
    from allegiance.models.registry import MODELS, UnknownModelError, get_model_class

    models = []
    for name in MODELS:
        try:
            cls = get_model_class(name)
        except UnknownModelError:
            continue
        helps = _parameter_help(cls)
        signature = inspect.signature(cls.__init__)
        params = [{"name": p.name, "help": helps.get(p.name, ""),
                   "default": None if p.default is inspect.Parameter.empty else p.default}
                  for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY]
        models.append({"name": name, "summary": cls.summary, "params": params,
                       "stochastic": cls.stochastic})
    return models


def _value(text: str, kind: str = "auto") -> Any:
    text = text.strip()
    if kind == "str":
        return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    return {"true": True, "false": False}.get(text.lower(), text)


def inputs_from_form(form: Any) -> RunInputs:
    kind = str(form.get("kind", "forecast"))
    if kind not in KINDS:
        raise HTTPException(422, f"unknown analysis {kind!r}")
    model = str(form.get("model", "mean"))
    prefix = f"p:{model}:"
    params = {key[len(prefix):]: _value(str(value)) for key, value in form.items()
              if key.startswith(prefix) and str(value).strip()}
    if kind == "power":  # power indices need no model
        model, params = "", {}
    options = {}
    for name, type_, _default, _help in KIND_OPTIONS.get(kind, []):
        raw = str(form.get(f"o:{kind}:{name}", "")).strip()
        if raw:
            options[name] = _value(raw, type_)
    seed = str(form.get("seed", "")).strip()
    try:
        seed_value = int(seed) if seed else None
    except ValueError:
        raise HTTPException(422, f"the seed must be a whole number; got {seed!r}") from None
    return RunInputs(scenario=str(form.get("scenario", "")), model=model, kind=kind,
                     seed=seed_value, params=params, options=options,
                     as_of=str(form.get("as_of", "")).strip() or None,
                     variant=str(form.get("variant", "")).strip() or None)


@router.post("/runs")
async def start_from_form(request: Request, user: User = Depends(analyst_page)) -> Response:
    form = await check_form_csrf(request, user)
    inputs = inputs_from_form(form)
    web = context(request)
    run_id = start_run(web, user, inputs)
    target = f"/runs/{run_id}"
    if inputs.kind == "forecast" and form.get("with_coalitions"):
        companion = RunInputs(scenario=inputs.scenario, model=inputs.model, kind="coalitions",
                              seed=inputs.seed, params=inputs.params, as_of=inputs.as_of,
                              variant=inputs.variant)
        target += f"?with={start_run(web, user, companion)}"
    return RedirectResponse(target, status_code=303)


@router.post("/backtest")
async def backtest_upload(request: Request, user: User = Depends(analyst_page)) -> Response:
    """Store an uploaded DEU data set and start a backtest on it."""
    from allegiance.scenario.model import ScenarioInvalid

    form = await check_form_csrf(request, user)
    web = context(request)
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read"):
        raise HTTPException(422, "choose a DEU data-set file")
    data = await upload.read(web.limits.max_body + 1)
    if len(data) > web.limits.max_body:
        raise HTTPException(413, f"the file is larger than {web.limits.max_body // 1024} KiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(422, "the data set is not UTF-8 text") from None
    name = "".join(c if c.isalnum() or c in "._-" else "_"
                   for c in (upload.filename or "dataset.tsv"))[-100:]
    try:
        version = web.store.save_dataset(text, name=name, saved_by=user.name)
    except ScenarioInvalid as exc:
        raise HTTPException(422, "; ".join(f"{p.location()}: {p.message}"
                                           for p in exc.errors[:20])) from None
    options = {"capability": str(form.get("capability") or "equal")}
    runs = str(form.get("runs") or "").strip()
    if runs:
        options["runs"] = _value(runs)
    inputs = RunInputs(scenario=version.content_hash, model=str(form.get("model") or "all"),
                       kind="backtest", seed=0, options=options)
    return RedirectResponse(f"/runs/{start_run(web, user, inputs)}", status_code=303)


def _run(request: Request, run_id: int) -> dict[str, Any]:
    row = context(request).store.get_run(run_id)
    if row is None:
        raise HTTPException(404, f"no run {run_id}")
    return run_view(row)


@router.get("/runs")
def runs_page(request: Request, user: User = Depends(page_user), scenario: str | None = None,
              kind: str | None = None, page: int = Query(0, ge=0, le=10**6)) -> Response:
    if kind is not None and kind not in KINDS:
        raise HTTPException(422, f"unknown kind {kind!r}")
    rows = context(request).store.list_runs(scenario=scenario or None, kind=kind or None,
                                            limit=50, offset=50 * max(0, page))
    return render(request, "runs.html", user, runs=[run_view(r, result=False) for r in rows],
                  scenario=scenario, kind=kind, kinds=KINDS, page=max(0, page))


@router.get("/runs/{run_id}")
def run_page(run_id: RunId, request: Request, user: User = Depends(page_user),
             ) -> Response:
    run = _run(request, run_id)
    companion_id = request.query_params.get("with")
    companion = _run(request, int(companion_id)) if companion_id and \
        companion_id.isdigit() and int(companion_id) <= MAX_ID else None
    store = context(request).store
    others = [run_view(r, result=False) for r in store.list_runs(
        scenario=run["scenario_id"], status="done", limit=30) if r.id != run_id]
    versions = library.versions(store, run["scenario_id"])
    hashes = [v["content_hash"] for v in versions]
    previous = None
    if run["scenario_hash"] in hashes:
        at = hashes.index(run["scenario_hash"])
        previous = hashes[at + 1] if at + 1 < len(hashes) else None
    extras = {}
    if run["status"] == "done" and run["result"]:
        version = store.get_scenario_version(run["scenario_hash"])
        scenario = library.scenario_of(version) if version is not None and \
            version.kind == "scenario" else None
        extras = {"headline": headline(run["result"], run["kind"], scenario),
                  "reference": reference_lines(store, run),
                  "variants": [BASE, *scenario.variants] if scenario is not None and
                  scenario.variants and run["kind"] != "backtest" else [],
                  "base_variant": BASE}
    return render(request, "run.html", user, run=run, companion=companion, others=others,
                  previous=previous, active=run["status"] in ACTIVE, **extras)


def _rerun_inputs(run: dict[str, Any], scenario: str | None = None,
                  variant: str | None = "") -> RunInputs:
    """The inputs of ``run`` again, on another version and/or with another variant (``""``:
    the run's own variant; ``None``: no variant)."""
    return RunInputs(scenario=scenario or run["scenario_hash"], model=run["model"],
                     kind=run["kind"], seed=run["seed"], params=run["params"] or {},
                     options=run["options"] or {}, as_of=run["as_of"],
                     variant=run["variant"] if variant == "" else variant)


#: the variant field's value for the scenario as it is, without a variant
BASE = "(none)"


@router.post("/runs/{run_id}/rerun")
async def rerun(run_id: RunId, request: Request, user: User = Depends(analyst_page)) -> Response:
    form = await check_form_csrf(request, user)
    run = _run(request, run_id)
    version = str(form.get("version") or "") or None
    variant: str | None = ""
    if form.get("variant") is not None:  # "base": the scenario without a variant
        variant = str(form.get("variant") or "").strip() or None
        variant = None if variant == BASE else variant
    new_id = start_run(context(request), user, _rerun_inputs(run, version, variant))
    if version or variant != "":  # another version or variant: the two side by side
        return RedirectResponse(f"/compare?a={new_id}&b={run_id}", status_code=303)
    return RedirectResponse(f"/runs/{new_id}", status_code=303)


@router.post("/runs/{run_id}/delete")
async def delete_run(run_id: RunId, request: Request,
                     user: User = Depends(analyst_page)) -> Response:
    from allegiance.web.runs import cancel_or_delete

    await check_form_csrf(request, user)
    row = context(request).store.get_run(run_id, result=False)
    if row is None:
        raise HTTPException(404, f"no run {run_id}")
    status = cancel_or_delete(context(request), user, row)
    return RedirectResponse("/runs" if status == "deleted" else f"/runs/{run_id}",
                            status_code=303)


@router.get("/compare")
def compare_page(request: Request, a: QueryId, b: QueryId,
                 user: User = Depends(page_user)) -> Response:
    first, second = _run(request, a), _run(request, b)
    ready = first["status"] == "done" and second["status"] == "done"
    return render(request, "compare.html", user, a=first, b=second, ready=ready,
                  active=any(r["status"] in ACTIVE for r in (first, second)),
                  table=comparison(first, second) if ready else None,
                  paths=trajectories(first, second) if ready else None,
                  issue_names={**_issue_names(second["result"] or {}),
                               **_issue_names(first["result"] or {})} if ready else {})


@router.get("/compare/export.csv")
def compare_csv(request: Request, a: QueryId, b: QueryId,
                user: User = Depends(page_user)) -> Response:
    """The compared data (per-issue outcomes and the trajectories, A, B and B − A) as CSV."""
    first, second = _run(request, a), _run(request, b)
    if first["status"] != "done" or second["status"] != "done":
        raise HTTPException(409, "both runs must be done to export their comparison")
    return Response(comparison_csv(first, second), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="compare-{a}-{b}.csv"'})
