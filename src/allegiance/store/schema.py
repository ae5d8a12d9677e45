"""The store's fixed names: schema revision, run kinds and statuses, roles, the URL variable.

(No imports: every part of the store, and the command line, reads these cheaply.)
"""

#: the Alembic revision the models describe (``allegiance db current`` prints it)
HEAD_REVISION = "0003"
#: every revision shipped, oldest first
KNOWN_REVISIONS = ("0001", "0002", "0003")

#: (the column is free text: a new kind needs no migration)
RUN_KINDS = ("forecast", "montecarlo", "coalitions", "sensitivity", "timeline", "backtest",
             "power", "levers", "report")
RUN_STATUSES = ("queued", "running", "done", "failed", "interrupted")
ROLES = ("viewer", "analyst", "admin")

ENV_VAR = "ALLEGIANCE_DATABASE_URL"
#: how long an SQLite writer waits for another one (milliseconds)
BUSY_TIMEOUT_MS = 30_000
#: tables the migrations create (a database holding other tables is someone else's)
OUR_TABLES = {"scenario_versions", "runs", "users", "api_tokens", "web_sessions",
              "login_failures", "alembic_version"}


class StoreError(Exception):
    """A store that cannot be used: unreachable, corrupt, foreign or from a newer version."""
