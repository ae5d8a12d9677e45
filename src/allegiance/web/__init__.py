"""The web app: analysts edit scenarios, run every analysis and read the answers in charts.

``allegiance serve`` starts it (see docs/web.md). :func:`allegiance.web.app.create_app` builds
the FastAPI application on a :class:`~allegiance.web.context.WebContext` (store, job pool,
limits). Nothing here is imported by the other commands.
"""
