"""Schemathesis over the API's OpenAPI document, signed in with an admin's token: no response
is a server error and every response matches its documented schema. Bounded: a few examples per
operation, no deadline."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from webapp import bearer, make_app

from allegiance.web.library import ensure_stored


def _schema():
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="allegiance-schema-"))
    app, web = make_app(folder, workers=None)
    ensure_stored(web.store, "syria-2014")
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers=bearer("admin"))


schema = _schema()


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(headers=bearer("admin"), checks=[
        checks.not_a_server_error, checks.response_schema_conformance,
        checks.content_type_conformance])
