"""Where the results store is, and what went wrong reaching it: the database URL (``--db``, else
the environment variable, else a file in the user data folder) and a driver error in a line.

(Imported by both :mod:`allegiance.store.database` and :mod:`allegiance.store.engine`, so that
neither needs the other for these.)
"""

from __future__ import annotations

import os
from pathlib import Path

from allegiance.store.schema import ENV_VAR


def default_url() -> str:
    """``sqlite:///<user data folder>/allegiance.db``."""
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('allegiance', appauthor=False)) / 'allegiance.db'}"


def resolve_url(url: str | None = None) -> str:
    """The database URL to use: ``url``, else the environment variable, else the default. A
    plain path is an SQLite file."""
    url = url or os.environ.get(ENV_VAR) or default_url()
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def reason(exc: BaseException) -> str:
    """What went wrong, in a line (a corrupt SQLite file named as such)."""
    message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "file is not a database" in message or "malformed" in message:
        return f"the file is corrupt or not an SQLite database ({message})"
    return message
