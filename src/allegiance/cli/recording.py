"""``--save`` for the computing commands: a run is stored ``running`` before it computes and
finished in the same row; Ctrl-C marks it ``interrupted`` and exits 130 with one line.

Used by every computing command::

    with recording("forecast", save=save, db=db, source=scenario, input_format=fmt,
                   model=model, params=params, options=options, seed=seed, as_of=as_of,
                   variant=variant) as run:
        analysis = compute_forecast(...)
        run.finish(analysis.document())      # the run id (None without --save)

SQLAlchemy is imported only when ``save`` is true.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer

from allegiance.store.schema import StoreError

SaveOpt = Annotated[bool, typer.Option(
    "--save", help="Store the run in the results store (see `allegiance runs`).")]
DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Results store URL (default: ALLEGIANCE_DATABASE_URL, else a file in the "
    "user's data folder).")]
LabelOpt = Annotated[str | None, typer.Option("--label", help="A label for the stored run.")]

EXIT_INTERRUPTED = 130
#: the stored progress is updated at most this often (seconds): short, rare transactions
PROGRESS_EVERY = 0.5


def scenario_source(source: str | None, input_format: str | None = None
                    ) -> tuple[str, str, str]:
    """``(text, format, file name)`` of a scenario argument (a built-in name or a file), read
    as :func:`allegiance.io.load_scenario` reads it."""
    from allegiance.io import DEFAULT_SCENARIO, detect_format, resolve
    from allegiance.io.filesystem import read_text

    path = resolve(source or DEFAULT_SCENARIO)
    text = read_text(path)
    return text, input_format or detect_format(path, text), path.name


class Recording:
    """The run being stored (or not: ``run_id`` None)."""

    def __init__(self, store=None, run_id: int | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self._last = 0.0

    def progress(self, update: Callable[[int, int], None] | None
                 ) -> Callable[[int, int], None] | None:
        """``update`` (the progress bar's callback), also recording the fraction done."""
        if self.run_id is None:
            return update

        def both(done: int, total: int) -> None:
            if update is not None:
                update(done, total)
            now = time.monotonic()
            if total and now - self._last >= PROGRESS_EVERY:
                self._last = now
                self.store.set_progress(self.run_id, done / total)

        return both

    def finish(self, document: dict[str, Any]) -> int | None:
        if self.run_id is not None:
            self.store.finish_run(self.run_id, document)
        return self.run_id


def open_cli_store(db: str | None):
    """The store for a command; a clear error (exit 2) when it cannot be used."""
    from allegiance.cli.common import fail
    from allegiance.store import open_store

    try:
        return open_store(db)
    except StoreError as exc:
        fail(str(exc))


@contextlib.contextmanager
def recording(kind: str, *, save: bool, db: str | None, source: str | None,
              input_format: str | None = None, model: str, params: dict[str, Any] | None,
              options: dict[str, Any] | None, seed: int | None, as_of: str | None,
              variant: str | None, label: str | None = None, dataset: bool = False
              ) -> Iterator[Recording]:
    """Store the run when ``save`` (see the module docstring)."""
    run = Recording()
    if save:
        from allegiance.cli.common import user_errors
        from allegiance.service import ANALYSES, full_options

        store = open_cli_store(db)
        with user_errors():
            if dataset:
                from allegiance.service import Dataset

                data = Dataset.from_path(source)
                version = store.save_dataset(data.text, name=data.name)
            else:
                text, fmt, name = scenario_source(source, input_format)
                version = store.save_scenario(text, fmt=fmt, source_name=name)
            # the service's kinds are completed with their defaults; a report's options are
            # the report layer's (allegiance.report.stored)
            options = full_options(kind, options) if kind in ANALYSES else dict(options or {})
        run = Recording(store, store.create_run(
            kind, scenario_hash=version.content_hash, model=model, params=params or {},
            options=options, seed=seed, as_of=as_of, variant=variant, label=label))
    try:
        yield run
    except StoreError as exc:  # the store failed under the run (disk full, server gone, ...)
        from allegiance.cli.common import fail

        fail(str(exc))
    except KeyboardInterrupt:
        if run.run_id is not None:
            run.store.mark_interrupted(run.run_id)
            from allegiance.cli.common import INTERRUPT_NOTES

            INTERRUPT_NOTES.append(f"run {run.run_id} marked interrupted")
        raise  # the command line's entry point says so in one line and exits 130
    except typer.Exit as exc:
        if run.run_id is not None and exc.exit_code:
            run.store.fail_run(run.run_id, f"exit {exc.exit_code} (bad input)")
        raise
    except BaseException as exc:
        if run.run_id is not None:
            run.store.fail_run(run.run_id, f"{type(exc).__name__}: {exc}")
        raise


def print_run_id(run_id: int | None) -> None:
    """The table outputs' line naming the stored run."""
    if run_id is not None:
        from allegiance.cli.common import console

        console.print(f"saved as run {run_id}")


def to_json_text(document: dict[str, Any], indent: int | None = 2) -> str:
    """A forecast's document as JSON, written as :meth:`Forecast.to_json` writes it."""
    import pydantic_core

    return pydantic_core.to_json(document, indent=indent, inf_nan_mode="null").decode("utf-8")


def with_run_id(document: dict[str, Any], run_id: int | None) -> dict[str, Any]:
    """The JSON output: the document, with ``"run_id"`` when the run was stored."""
    return document if run_id is None else {**document, "run_id": run_id}


def json_text_with_run_id(text: str, run_id: int | None) -> str:
    """A JSON document's text (a file a command writes, such as ``backtest.json``), with
    ``"run_id"`` last when the run was stored; unchanged otherwise."""
    if run_id is None:
        return text
    import json

    return json.dumps(with_run_id(json.loads(text), run_id), indent=2) + "\n"
