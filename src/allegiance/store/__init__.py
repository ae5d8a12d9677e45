"""The results store: every scenario version and every run, in SQLite or PostgreSQL.

The store's queries are plain SQL on the standard library's sqlite3 or psycopg; SQLAlchemy (the
models) and Alembic (the migrations) are imported only to create or upgrade a database. See
docs/store.md for the tables, the URL and the promises.

For the web app (and any other client)::

    store = open_store(url)                       # None: ALLEGIANCE_DATABASE_URL or the default
    version = store.save_scenario(text, fmt="yaml", saved_by="ann")   # ScenarioInvalid if bad
    store.scenario_versions("syria-2014"); store.get_scenario_version(hash)
    store.list_scenarios(); store.delete_scenario("syria-2014")
    run_id = store.create_run("forecast", scenario_hash=version.content_hash, model="bdm",
                              params={}, seed=1, as_of=None, variant=None,
                              status="queued", owner="ann", options={})
    store.start_run(run_id) -> bool   # a worker takes a queued run: running, this pid + host
    store.set_progress(run_id, 0.5); store.finish_run(run_id, document) -> bool
    store.fail_run(run_id, "message"); store.mark_interrupted(run_id)  # = cancel; -> bool
    store.get_run(run_id) -> RunRecord | None (with .result); store.list_runs(...) (no results)
    store.count_runs(...); store.delete_run(run_id) -> bool
    store.add_user(name, role, password_hash); get_user; list_users; set_user; remove_user
    store.add_token(name, token_hash); user_for_token_hash(token_hash); remove_tokens(name)
    store.add_session(session_hash, name, expires_at, data); session(session_hash)
        -> (User, data) | None; remove_session(session_hash)
    store.add_login_failure(keys, forget_before); login_failures(keys, since) -> {key: [times]};
        clear_login_failures(keys)

Notes for clients: start_run, set_progress, finish_run, fail_run and mark_interrupted change
only an active run (queued or running) and return False otherwise, so a cancelled run stays
``interrupted``; an unknown id raises KeyError; get_run of an unknown id returns None. Records
are frozen dataclasses (``RunRecord``, ``ScenarioVersion``, ``User``) with ``to_dict()`` giving
JSON-ready values (ISO dates); ``ScenarioVersion.hash``/``.fmt`` alias ``content_hash``/``format``.
 ``params`` are the model's parameters; the kind's own settings (runs, quota,
coalitions, top, ...) go in ``options`` - exactly the keyword arguments of
:func:`allegiance.service.run_analysis`, which computes the document to pass to ``finish_run``
(the CLI's ``--format json`` output). A backtest's data set is stored with
``save_dataset(text, name=...)`` and its hash given as ``scenario_hash``. ``resolve_url`` lives
in ``allegiance.store.location`` (light; ``allegiance.store.engine`` imports SQLAlchemy). A
worker process should open its own store (connections are per process and per thread).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: public names -> the submodule defining them (imported on first use: the command line's
#: ``--save`` glue imports this package without SQLAlchemy)
_NAMES = {
    "User": "accounts", "ENV_VAR": "schema", "StoreError": "schema", "RunRecord": "records",
    "ScenarioVersion": "records", "Store": "store", "open_store": "store", "ROLES": "schema",
    "RUN_KINDS": "schema", "RUN_STATUSES": "schema",
}


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module 'allegiance.store' has no attribute {name!r}")
    return getattr(import_module(f"allegiance.store.{_NAMES[name]}"), name)


__all__ = sorted(_NAMES)
