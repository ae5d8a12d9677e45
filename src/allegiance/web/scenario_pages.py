"""Pages of the scenario library and editor: the list, import (upload), export, duplicate,
delete; one scenario with its versions; the actors × issues editor with the CLI's validation on
every cell; saving a new version; the diff between two versions.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from allegiance.io import DATASET_FORMATS, FORMATS, builtin_scenarios, export_scenario
from allegiance.scenario.model import ScenarioInvalid
from allegiance.web import editor, library
from allegiance.web.context import User, check_form_csrf, context, page_user, requires
from allegiance.web.pages import render
from allegiance.web.run_pages import model_catalogue

router = APIRouter(include_in_schema=False)
analyst_page = requires("analyst", page_user)
admin_page = requires("admin", page_user)
EXPORT_FORMATS = [name for name in FORMATS if name not in DATASET_FORMATS]
SUFFIX = {"yaml": "yaml", "bdm-csv": "csv", "ktab-csv": "csv", "ktab-xml": "xml",
          "decide": "txt"}


def _open(request: Request, ref: str, version: str | None = None):
    try:
        return library.open_scenario(context(request).store, version or ref)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None


@router.get("/")
def library_page(request: Request, user: User = Depends(page_user)) -> Response:
    return render(request, "library.html", user, rows=library.library(context(request).store),
                  formats=list(FORMATS), models=model_catalogue())


@router.post("/scenarios/import")
async def import_scenario(request: Request, user: User = Depends(analyst_page)) -> Response:
    form = await check_form_csrf(request, user)
    web = context(request)
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read"):
        raise HTTPException(422, "choose a file to import")
    data = await upload.read(web.limits.max_body + 1)
    fmt = str(form.get("format") or "") or None
    try:
        if len(data) > web.limits.max_body:
            raise HTTPException(413, f"the file is larger than {web.limits.max_body // 1024} KiB")
        scenario, text, fmt = library.read_upload(upload.filename or "upload", data, fmt)
        library.check_limits(scenario, web.limits)
        version = web.store.save_scenario(text, fmt=fmt, saved_by=user.name,
                                          source_name=upload.filename or f"upload.{fmt}")
    except ScenarioInvalid as exc:
        return render(request, "library.html", user, status=422, rows=library.library(
            web.store), formats=list(FORMATS), problems=editor.problem_rows(exc.problems),
            models=model_catalogue())
    return RedirectResponse(f"/scenarios/{version.scenario_id}", status_code=303)


@router.get("/scenarios/{scenario_id}")
def scenario_page(scenario_id: str, request: Request, version: str | None = None,
                  user: User = Depends(page_user)) -> Response:
    scenario, stored = _open(request, scenario_id, version)
    web = context(request)
    return render(request, "scenario.html", user, scenario=scenario, stored=stored,
                  versions=library.versions(web.store, scenario.id),
                  builtin=scenario.id in builtin_scenarios(), export_formats=EXPORT_FORMATS,
                  content_hash=scenario.content_hash(), models=model_catalogue(),
                  runs=[library.as_dict(r, result=False) for r in web.store.list_runs(
                      scenario=scenario.id, limit=10)])


@router.get("/scenarios/{scenario_id}/export")
def export_page(scenario_id: str, request: Request, to: str = "yaml", version: str | None = None,
                issue: str | None = None, user: User = Depends(page_user)) -> Response:
    scenario, stored = _open(request, scenario_id, version)
    if to not in EXPORT_FORMATS:
        raise HTTPException(422, f"unknown export format {to!r}; known: "
                            f"{', '.join(EXPORT_FORMATS)}")
    try:
        single = {"issue": issue} if issue and to == "bdm-csv" else {}  # single-issue format
        text = export_scenario(scenario, to, **single)
    except (ValueError, KeyError) as exc:
        raise HTTPException(422, str(exc)) from None
    name = f"{scenario.id}.{SUFFIX.get(to, 'txt')}"
    return Response(text, media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/scenarios/{scenario_id}/duplicate")
async def duplicate(scenario_id: str, request: Request,
                    user: User = Depends(analyst_page)) -> Response:
    form = await check_form_csrf(request, user)
    scenario, _ = _open(request, scenario_id, str(form.get("version") or "") or None)
    web = context(request)
    new_id = str(form.get("new_id") or "").strip() or f"{scenario.id}-copy"
    copy = scenario.model_copy(update={"id": new_id, "title": f"{scenario.title} (copy)"})
    document = editor.editable_document(copy)
    checked, problems = editor.validate(document)
    if checked is None:
        raise HTTPException(422, "; ".join(p.message for p in problems))
    version = web.store.save_scenario(editor.document_yaml(checked), saved_by=user.name)
    return RedirectResponse(f"/scenarios/{version.scenario_id}", status_code=303)


@router.post("/scenarios/{scenario_id}/delete")
async def delete(scenario_id: str, request: Request, user: User = Depends(admin_page)) -> Response:
    await check_form_csrf(request, user)
    web = context(request)
    if not library.versions(web.store, scenario_id):
        raise HTTPException(404, f"no stored scenario {scenario_id!r} (built-in files stay)")
    web.store.delete_scenario(scenario_id)
    return RedirectResponse("/", status_code=303)


# ---------------------------------------------------------------------- editor
def _editor(request: Request, user: User, scenario: Any, base_hash: str, status: int = 200,
            problems: list | None = None, document: dict | None = None,
            yaml_text: str | None = None, saved: bool = False) -> Response:
    return render(request, "editor.html", user, status=status, scenario=scenario,
                  base_hash=base_hash, problems=editor.problem_rows(problems or []),
                  document=document or editor.editable_document(scenario),
                  yaml_text=yaml_text if yaml_text is not None else
                  editor.document_yaml(scenario), saved=saved,
                  history=editor.history_rows(scenario))


@router.get("/scenarios/{scenario_id}/edit")
def edit_page(scenario_id: str, request: Request, version: str | None = None,
              user: User = Depends(analyst_page)) -> Response:
    scenario, _ = _open(request, scenario_id, version)
    _, problems = editor.validate(editor.editable_document(scenario))
    return _editor(request, user, scenario, scenario.content_hash(), problems=problems)


def _base(request: Request, scenario_id: str, form: Any):
    ref = str(form.get("base") or "") or scenario_id
    scenario, _ = _open(request, scenario_id, ref if library.is_hash(ref) else None)
    return scenario


@router.post("/scenarios/{scenario_id}/check")
async def check(scenario_id: str, request: Request,
                user: User = Depends(analyst_page)) -> JSONResponse:
    """Validate the editor's fields as they are (the page calls this as the analyst types)."""
    form = await check_form_csrf(request, user)
    base = _base(request, scenario_id, form)
    if form.get("yaml") is not None:
        _, problems = editor.validate_yaml_text(str(form.get("yaml")))
        return JSONResponse({"problems": editor.problem_rows(problems)})
    edit = editor.apply_edits(editor.editable_document(base), form)
    _, problems = editor.validate(edit.document)
    return JSONResponse({"problems": edit.rows(problems)})


@router.post("/scenarios/{scenario_id}/save")
async def save(scenario_id: str, request: Request, user: User = Depends(analyst_page)) -> Response:
    form = await check_form_csrf(request, user)
    base = _base(request, scenario_id, form)
    web = context(request)
    yaml_text = form.get("yaml")
    if yaml_text is not None:
        checked, problems = editor.validate_yaml_text(str(yaml_text))
        document = None
    else:
        edit = editor.apply_edits(editor.editable_document(base), form)
        document = edit.document
        checked, problems = editor.validate(document)
        problems = [*edit.problems, *(p.model_copy(update={"path": edit.page_path(p.path)})
                                      for p in problems)]
        if edit.problems:  # a new row without its id or name
            checked = None
    if checked is not None:
        try:
            library.check_limits(checked, web.limits)
        except ScenarioInvalid as exc:
            checked, problems = None, exc.problems
    if checked is None:
        return _editor(request, user, base, base.content_hash(), status=422, problems=problems,
                       document=document, yaml_text=str(yaml_text) if yaml_text else None)
    text = str(yaml_text) if yaml_text is not None else editor.document_yaml(checked)
    if checked.id == base.id and scenario_id in builtin_scenarios():
        library.ensure_stored(web.store, base.id)  # the original first, so the diff has it
    version = web.store.save_scenario(text, saved_by=user.name)
    # the saved version is shown (it may be an earlier one again: the same content, one hash)
    return RedirectResponse(f"/scenarios/{version.scenario_id}?version={version.content_hash}"
                            f"&saved={version.content_hash}",
                            status_code=303)


@router.get("/scenarios/{scenario_id}/diff")
def diff_page(scenario_id: str, request: Request, a: str, b: str,
              user: User = Depends(page_user)) -> Response:
    old, _ = _open(request, scenario_id, a)
    new, _ = _open(request, scenario_id, b)
    return render(request, "diff.html", user, scenario=new, old=old, a=a, b=b,
                  changes=editor.diff(old, new))
