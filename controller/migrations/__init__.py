"""Alembic migrations of the store's schema (run by :mod:`controller.store.migrate`)."""
