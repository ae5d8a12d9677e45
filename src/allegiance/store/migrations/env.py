"""Alembic environment: runs the migrations on the connection the store hands over
(:func:`allegiance.store.engine.upgrade`). Imported outside Alembic, it does nothing."""

from __future__ import annotations

from alembic import context

from allegiance.store.tables import Base


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


try:
    context.config  # noqa: B018 - set only while Alembic runs this file
except (AttributeError, NameError):
    pass
else:
    run_migrations()
