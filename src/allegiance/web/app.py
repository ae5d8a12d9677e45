"""The FastAPI application: routes, static files (Plotly's JavaScript from the installed
``plotly`` package), security headers, body size limit and error pages.

Nothing but ``/api/health``, ``/login`` and ``/static`` is reachable signed out: the API answers
401, pages redirect to ``/login``. No error ever shows a stack trace: unexpected errors are logged
on the server and the client gets a plain message.

Example
-------
>>> from allegiance.web.app import create_app            # doctest: +SKIP
>>> app = create_app(WebContext(store=open_store(url), db_url=url))   # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from allegiance.scenario.model import ScenarioInvalid
from allegiance.version import __version__
from allegiance.web.context import SignedOut, WebContext, api_user

HERE = Path(__file__).parent
log = logging.getLogger("allegiance.web")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def plotly_js() -> Path:
    """plotly.min.js as shipped inside the installed ``plotly`` Python package."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class BodyLimit:
    """ASGI middleware: refuse request bodies larger than ``limit`` bytes with 413."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await _too_large(self.limit, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(self.limit, send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(limit: int, send) -> None:
    body = f'{{"detail":"the request is larger than {limit // 1024} KiB"}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _methods(app: FastAPI, path: str) -> list[str]:
    from fastapi.routing import APIRoute

    found: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            found |= set(route.methods)
    return sorted(found)


def create_app(web: WebContext) -> FastAPI:
    """The web app on ``web``'s store and job pool."""
    app = FastAPI(title="Allegiance", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None, description="Forecast contested decisions: scenarios, "
                  "runs and their results. Authenticate with `Authorization: Bearer <token>` "
                  "(`allegiance users token NAME`).")
    app.state.web = web
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["version"] = __version__
    app.state.templates = templates

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        if response.status_code == 405:  # Allow: every method of every route on this path
            response.headers["Allow"] = ", ".join(_methods(app, request.url.path))
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(BodyLimit, limit=web.limits.max_body)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user=Depends(api_user)) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_bundle() -> FileResponse:
        return FileResponse(plotly_js(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    from allegiance.web import api, pages, run_pages, scenario_pages

    for module in (api, pages, scenario_pages, run_pages):
        app.include_router(module.router)

    def error_page(request: Request, status: int, message: str) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=status)
        return templates.TemplateResponse(request, "error.html", {
            "status": status, "message": message, "user": None}, status_code=status)

    @app.exception_handler(SignedOut)
    async def signed_out(request: Request, exc: SignedOut) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        return error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                     "type": e.get("type", "")} for e in exc.errors()]
        if _is_api(request):
            return JSONResponse({"detail": problems}, status_code=422)
        text = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in problems)
        return error_page(request, 422, text)

    @app.exception_handler(ScenarioInvalid)
    async def invalid_scenario(request: Request, exc: ScenarioInvalid) -> Response:
        from allegiance.web.library import problems_json

        if _is_api(request):
            return JSONResponse({"detail": "the scenario is not valid",
                                 "problems": problems_json(exc)}, status_code=422)
        return error_page(request, 422, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_page(request, 500, "something went wrong on the server; the error was "
                          "logged. Try again, or tell the administrator.")

    return app


__all__ = ["HTTPException", "create_app"]
