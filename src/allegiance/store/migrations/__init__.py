"""Alembic migrations of the results store (run by :mod:`allegiance.store.engine`)."""
